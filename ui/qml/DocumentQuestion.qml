pragma ComponentBehavior: Bound
import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import QtMultimedia

// A `document` question: the pages so far as large thumbnails (Retake, Remove), the page count against the
// definition's limits, and a button per page source present on this kiosk (scanner, camera, USB stick).
// The camera shows a live preview with a frame guide; the stick shows its pictures to choose from.
// Everything it shows comes from `documents` (ui/documents_bridge.py); words from kiosk.t.
ColumnLayout {
    id: doc
    objectName: "documentQuestion"
    spacing: Theme.gap

    // A page card: the thumbnail as tall as the screen leaves (140 to 420 px), so that with the pages' buttons
    // and the sources everything is in view on a 1366x768 screen where it can be; several cards side by side.
    readonly property real cardWidth: Math.min(width, Math.max(300 * Theme.u, thumbHeight * 1.1))
    readonly property real thumbHeight: Math.max(140 * Theme.u, Math.min(420 * Theme.u, room - aboveAndBelow))
    // Everything on the screen but the thumbnails: the count, the sources and a card's label and buttons.
    readonly property real aboveAndBelow: countRow.height + Theme.gap + (sourcesFlow.visible ? sourcesFlow.height + Theme.gap : 0)
                                          + (messageBox.visible ? messageBox.height + Theme.gap : 0)
                                          + 3 * Theme.gap + Theme.small * 1.5 + Math.max(Theme.touch, Theme.small * 1.4 + 2 * Theme.gap)
    // The height the question screen has left for this item (set by QuestionScreen.qml): the camera's preview
    // takes what it can, so that Take the photo stays in view.
    property real room: 600 * Theme.u

    RowLayout {
        id: countRow
        visible: documents.mode !== "camera"  // the preview takes the room
        Layout.fillWidth: true
        spacing: Theme.gap
        Text {
            objectName: "docCount"
            Layout.fillWidth: true
            text: documents.countText
            font.pixelSize: Theme.body; font.bold: true; color: Theme.text
            wrapMode: Text.Wrap
            Accessible.role: Accessible.StaticText
            Accessible.name: text
        }
        Text {
            objectName: "docBusy"
            visible: documents.busy
            text: documents.busyText
            font.pixelSize: Theme.body; color: Theme.secondaryText
            Accessible.role: Accessible.StaticText
            Accessible.name: text
        }
    }

    Rectangle { // what went wrong with the last page, in the citizen's words
        id: messageBox
        objectName: "docMessageBox"
        visible: documents.message !== ""
        Layout.fillWidth: true
        implicitHeight: messageText.implicitHeight + 2 * Theme.gap
        color: Theme.errorBackground
        border.color: Theme.error; border.width: 3 * Theme.u
        radius: Theme.radius
        Text {
            id: messageText
            objectName: "docMessage"
            anchors.fill: parent; anchors.margins: Theme.gap
            text: documents.message
            color: Theme.error
            font.pixelSize: Theme.body; font.bold: true
            wrapMode: Text.Wrap
            Accessible.role: Accessible.AlertMessage
            Accessible.name: text
        }
    }

    // --- the pages so far ----------------------------------------------------------------------------------
    Flow {
        objectName: "docPages"
        visible: documents.mode === "" && documents.count > 0
        Layout.fillWidth: true
        spacing: Theme.gap
        Repeater {
            model: documents.pages
            Rectangle {
                id: card
                required property string url
                required property int number
                objectName: "docPage_" + number
                width: doc.cardWidth
                height: cardColumn.implicitHeight + 2 * Theme.gap
                color: Theme.secondary
                border.color: Theme.border; border.width: 2 * Theme.u
                radius: Theme.radius
                ColumnLayout {
                    id: cardColumn
                    x: Theme.gap; y: Theme.gap
                    width: parent.width - 2 * Theme.gap
                    spacing: Theme.gap / 2
                    Image {
                        objectName: "docThumb_" + card.number
                        Layout.fillWidth: true
                        Layout.preferredHeight: doc.thumbHeight
                        source: card.url
                        cache: false          // a citizen's page is never kept in a shared cache
                        asynchronous: true
                        fillMode: Image.PreserveAspectFit
                        sourceSize.height: 480
                        Accessible.role: Accessible.Graphic
                        Accessible.name: pageLabel.text
                    }
                    Text {
                        id: pageLabel
                        Layout.fillWidth: true
                        text: kiosk.t["doc.page"].replace("{n}", card.number)
                        font.pixelSize: Theme.small; font.bold: true; color: Theme.text
                        horizontalAlignment: Text.AlignHCenter
                        Accessible.ignored: true
                    }
                    RowLayout {
                        Layout.fillWidth: true
                        spacing: Theme.gap / 2
                        BigButton {
                            objectName: "docRetake_" + card.number
                            Layout.fillWidth: true
                            Layout.fillHeight: true
                            Layout.preferredWidth: 1
                            text: kiosk.t["doc.retake"]
                            fontSize: Theme.small
                            sidePadding: Theme.gap / 2
                            Accessible.name: kiosk.t["doc.retake"] + ": " + pageLabel.text
                            enabled: !documents.busy
                            onClicked: documents.retake(card.number - 1)
                        }
                        BigButton {
                            objectName: "docRemove_" + card.number
                            Layout.fillWidth: true
                            Layout.fillHeight: true
                            Layout.preferredWidth: 1
                            text: kiosk.t["doc.remove"]
                            fontSize: Theme.small
                            sidePadding: Theme.gap / 2
                            Accessible.name: kiosk.t["doc.remove"] + ": " + pageLabel.text
                            enabled: !documents.busy
                            onClicked: documents.remove(card.number - 1)
                        }
                    }
                }
            }
        }
    }
    // The next page: one button per source present on this kiosk, in one row so that, with no page yet, the
    // whole question fits a 1366x768 screen without scrolling.
    Flow {
        id: sourcesFlow
        objectName: "docSources"
        visible: documents.mode === "" && documents.sources.length > 0 && documents.count < documents.maxPages
        Layout.fillWidth: true
        spacing: Theme.gap
        Text {
            objectName: "docAddTitle"
            height: Math.max(Theme.touch, implicitHeight)  // a line of bigger text is taller than a button
            width: Math.min(implicitWidth, parent.width)
            text: documents.count > 0 ? kiosk.t["doc.add_another"] : kiosk.t["doc.add_first"]
            font.pixelSize: Theme.body; font.bold: true; color: Theme.text
            verticalAlignment: Text.AlignVCenter
            wrapMode: Text.Wrap
            Accessible.role: Accessible.StaticText
            Accessible.name: text
        }
        Repeater {
            model: documents.sources
            BigButton {
                required property var modelData
                objectName: "docSource_" + modelData.id
                text: modelData.label
                Accessible.name: modelData.label
                fill: Theme.primary; ink: Theme.primaryText
                enabled: documents.canAdd
                onClicked: modelData.id === "scanner" ? documents.scan()
                         : modelData.id === "camera" ? documents.openCamera() : documents.openUsb()
            }
        }
    }
    Text {
        objectName: "docNoSource"
        visible: documents.mode === "" && documents.sources.length === 0
        Layout.fillWidth: true
        text: kiosk.t["doc.no_source"]
        font.pixelSize: Theme.body; color: Theme.error; font.bold: true
        wrapMode: Text.Wrap
        Accessible.role: Accessible.AlertMessage
        Accessible.name: text
    }

    // --- the camera: live preview with a frame guide ----------------------------------------------------
    Loader {
        id: cameraLoader
        objectName: "docCameraLoader"
        active: documents.mode === "camera"
        visible: active
        Layout.fillWidth: true
        Layout.preferredHeight: active ? Math.max(260 * Theme.u, Math.min(900 * Theme.u, doc.room - cameraLoader.y)) : 0
        sourceComponent: ColumnLayout {
            spacing: Theme.gap
            Rectangle {
                Layout.fillWidth: true
                Layout.fillHeight: true
                color: "#000000"
                radius: Theme.radius
                VideoOutput {
                    id: preview
                    objectName: "docPreview"
                    anchors.fill: parent
                    fillMode: VideoOutput.PreserveAspectFit
                    Component.onCompleted: documents.setVideoSink(preview.videoSink)
                    Accessible.role: Accessible.Animation
                    Accessible.name: kiosk.t["doc.camera_guide"]
                }
                Rectangle { // the frame guide: an A4 page, upright, in the middle of the picture itself
                    objectName: "docFrameGuide"
                    readonly property rect picture: preview.contentRect
                    height: Math.min(picture.height * 0.9, picture.width * 0.9 * 1.414)
                    width: height / 1.414
                    x: picture.x + (picture.width - width) / 2
                    y: picture.y + (picture.height - height) / 2
                    color: "transparent"
                    border.color: Theme.focus; border.width: 5 * Theme.u
                    radius: Theme.radius / 2
                    Accessible.ignored: true
                }
                Text {
                    anchors.bottom: parent.bottom; anchors.bottomMargin: Theme.gap
                    anchors.horizontalCenter: parent.horizontalCenter
                    width: parent.width - 2 * Theme.gap
                    text: kiosk.t["doc.camera_guide"]
                    font.pixelSize: Theme.small; font.bold: true
                    color: "#ffffff"; style: Text.Outline; styleColor: "#000000"
                    horizontalAlignment: Text.AlignHCenter
                    wrapMode: Text.Wrap
                    Accessible.role: Accessible.StaticText
                    Accessible.name: text
                }
            }
            RowLayout {
                Layout.fillWidth: true
                spacing: Theme.gap
                BigButton {
                    objectName: "docCancel"
                    text: kiosk.t["doc.cancel"]
                    Accessible.name: kiosk.t["doc.cancel"]
                    onClicked: documents.closeView()
                }
                Item { Layout.fillWidth: true }
                BigButton {
                    objectName: "docTakePhoto"
                    text: kiosk.t["doc.take_photo"]
                    Accessible.name: kiosk.t["doc.take_photo"]
                    fill: Theme.primary; ink: Theme.primaryText
                    enabled: !documents.busy
                    onClicked: documents.takePhoto()
                }
            }
        }
    }

    // --- the stick: its pictures to choose from --------------------------------------------------------
    ColumnLayout {
        visible: documents.mode === "usb"
        Layout.fillWidth: true
        spacing: Theme.gap
        Text {
            Layout.fillWidth: true
            text: kiosk.t["doc.usb_choose"]
            font.pixelSize: Theme.body; color: Theme.text
            wrapMode: Text.Wrap
            Accessible.role: Accessible.StaticText
            Accessible.name: text
        }
        Flow {
            Layout.fillWidth: true
            spacing: Theme.gap
            Repeater {
                model: documents.mode === "usb" ? documents.usbFiles : []
                AbstractButton {
                    id: fileButton
                    required property var modelData
                    objectName: "docFile_" + modelData.index
                    width: 220 * Theme.u
                    height: 220 * Theme.u + fileName.implicitHeight + Theme.gap
                    Accessible.role: Accessible.Button
                    Accessible.name: modelData.name
                    onClicked: documents.pickFile(modelData.index)
                    background: Rectangle {
                        color: Theme.secondary; radius: Theme.radius
                        border.color: Theme.border; border.width: 2 * Theme.u
                    }
                    contentItem: Column {
                        padding: Theme.gap / 2
                        spacing: Theme.gap / 2
                        Image {
                            width: fileButton.width - Theme.gap; height: 200 * Theme.u - Theme.gap
                            source: fileButton.modelData.url
                            cache: false
                            asynchronous: true
                            fillMode: Image.PreserveAspectFit
                            sourceSize.width: 320; sourceSize.height: 320
                        }
                        Text {
                            id: fileName
                            width: fileButton.width - Theme.gap
                            text: fileButton.modelData.name
                            font.pixelSize: Theme.small; color: Theme.text
                            wrapMode: Text.WrapAnywhere  // a long file name wraps: never cut
                            horizontalAlignment: Text.AlignHCenter
                        }
                    }
                }
            }
        }
        BigButton {
            objectName: "docUsbCancel"
            text: kiosk.t["doc.cancel"]
            Accessible.name: kiosk.t["doc.cancel"]
            onClicked: documents.closeView()
        }
    }
}
