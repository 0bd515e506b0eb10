import QtQuick
import QtQuick.Controls
import QtQuick.Layouts

// Big tiles, one per public service: pictogram, title, one easy-read line.
Item {
    ColumnLayout {
        anchors.fill: parent
        anchors.margins: Theme.margin
        anchors.topMargin: Theme.gap; anchors.bottomMargin: Theme.gap
        spacing: Theme.gap
        Text {
            objectName: "screenTitle"
            Layout.fillWidth: true
            text: kiosk.t["services.title"]
            font.pixelSize: Theme.large; font.bold: true
            color: Theme.text
            wrapMode: Text.Wrap
            Accessible.role: Accessible.Heading
            Accessible.name: text
        }
        Text {
            visible: kiosk.services.length === 0
            Layout.fillWidth: true
            text: kiosk.t["services.none"]
            font.pixelSize: Theme.body; color: Theme.text; wrapMode: Text.Wrap
        }
        Flickable {
            id: flick
            objectName: "serviceList"
            Layout.fillWidth: true
            Layout.fillHeight: true
            contentWidth: width
            contentHeight: tiles.implicitHeight
            clip: true
            boundsBehavior: Flickable.StopAtBounds
            ScrollIndicator.vertical: ScrollIndicator { active: flick.contentHeight > flick.height }
            GridLayout {
                id: tiles
                width: flick.width
                // Tiles as tall as their words: three across on a wide screen, one on a narrow one.
                columns: width > 1200 * Theme.u ? 3 : (width > 900 ? 2 : 1)
                columnSpacing: Theme.gap; rowSpacing: Theme.gap
                Repeater {
                    model: kiosk.services
                    AbstractButton {
                        id: tile
                        required property var modelData
                        objectName: "service_" + modelData.id
                        Layout.fillWidth: true
                        Layout.fillHeight: true
                        Layout.preferredWidth: 1  // equal columns
                        implicitHeight: Math.max(Theme.touch * 2, tileColumn.implicitHeight + 2 * Theme.gap)
                        Accessible.role: Accessible.Button
                        Accessible.name: modelData.title
                        Accessible.description: modelData.description
                        onClicked: kiosk.chooseService(modelData.id)
                        background: Rectangle {
                            radius: Theme.radius
                            color: tile.down ? Theme.secondary : Theme.background
                            border.width: tile.visualFocus ? 5 * Theme.u : 3 * Theme.u
                            border.color: tile.visualFocus ? Theme.focus : Theme.border
                        }
                        contentItem: Item {
                            ColumnLayout {
                                id: tileColumn
                                x: Theme.gap; y: Theme.gap
                                width: tile.width - 2 * Theme.gap
                                spacing: Theme.gap / 2
                                RowLayout {
                                    Layout.fillWidth: true
                                    spacing: Theme.gap
                                    Image {
                                        Layout.preferredWidth: 64 * Theme.u; Layout.preferredHeight: 64 * Theme.u
                                        Layout.alignment: Qt.AlignTop
                                        source: tile.modelData.pictogram
                                        sourceSize.width: width; sourceSize.height: height
                                        visible: tile.modelData.pictogram !== ""
                                        Accessible.ignored: true
                                    }
                                    Text {
                                        Layout.fillWidth: true
                                        text: tile.modelData.title
                                        font.pixelSize: Theme.body; font.bold: true
                                        color: Theme.text; wrapMode: Text.Wrap
                                        horizontalAlignment: Text.AlignLeft
                                    }
                                }
                                Text {
                                    Layout.fillWidth: true
                                    text: tile.modelData.description
                                    font.pixelSize: Theme.small
                                    color: Theme.secondaryText; wrapMode: Text.Wrap
                                    horizontalAlignment: Text.AlignLeft
                                }
                            }
                        }
                    }
                }
                // A journey paused earlier goes on with its code (ResumeScreen.qml): one more tile.
                BigButton {
                    objectName: "haveCodeButton"
                    visible: drafts !== null
                    Layout.fillWidth: true
                    Layout.fillHeight: true
                    Layout.preferredWidth: 1
                    text: kiosk.t["drafts.have_code"]
                    fill: Theme.secondary
                    onClicked: kiosk.enterCode()
                }
            }
        }
    }
}
