import QtQuick
import QtQuick.Controls
import QtQuick.Layouts

// "What happens to my data": the service's notice as GDPR article 13 orders it, over any page.
Rectangle {
    id: overlay
    objectName: "dataNotice"
    visible: kiosk.dataNoticeOpen
    color: "#cc0b0c0c"
    MouseArea { anchors.fill: parent }  // nothing behind can be touched meanwhile
    Accessible.role: Accessible.Dialog
    Accessible.name: kiosk.t["data.title"]

    Rectangle {
        anchors.fill: parent
        anchors.margins: Math.min(Theme.margin, parent.width / 30)
        radius: Theme.radius
        color: Theme.background
        border.color: Theme.border; border.width: 3 * Theme.u
        ColumnLayout {
            anchors.fill: parent; anchors.margins: Theme.margin
            spacing: Theme.gap
            Text {
                objectName: "dataNoticeTitle"
                Layout.fillWidth: true
                text: kiosk.t["data.title"] + " — " + kiosk.serviceTitle
                font.pixelSize: Theme.large; font.bold: true; color: Theme.text; wrapMode: Text.Wrap
                horizontalAlignment: Text.AlignLeft
                Accessible.role: Accessible.Heading
                Accessible.name: text
            }
            Flickable {
                id: flick
                Layout.fillWidth: true
                Layout.fillHeight: true
                contentWidth: width
                contentHeight: parts.implicitHeight
                clip: true
                boundsBehavior: Flickable.StopAtBounds
                ScrollIndicator.vertical: ScrollIndicator { active: flick.contentHeight > flick.height }
                GridLayout {
                    id: parts
                    // A few pixels inside the clip: a line of Arabic can overhang its box by a pixel or two.
                    x: Math.round(Theme.gap / 4)
                    width: flick.width - 2 * x
                    // Two columns on a wide screen, so the whole notice fits without scrolling.
                    columns: width > 1000 * Theme.u ? 2 : 1
                    columnSpacing: Theme.margin; rowSpacing: Theme.gap
                    Repeater {
                        model: overlay.visible ? kiosk.dataNotice : []
                        ColumnLayout {
                            required property var modelData
                            Layout.fillWidth: true
                            Layout.preferredWidth: 1
                            Layout.alignment: Qt.AlignTop
                            spacing: 4 * Theme.u
                            Text {
                                Layout.fillWidth: true
                                text: modelData.heading
                                font.pixelSize: Theme.body; font.bold: true; color: Theme.text; wrapMode: Text.Wrap
                                horizontalAlignment: Text.AlignLeft
                                Accessible.role: Accessible.Heading
                                Accessible.name: text
                            }
                            Text {
                                objectName: "dataNotice_" + modelData.key
                                Layout.fillWidth: true
                                text: modelData.text
                                font.pixelSize: Theme.body; color: Theme.text; wrapMode: Text.Wrap
                                horizontalAlignment: Text.AlignLeft
                                Accessible.role: Accessible.StaticText
                                Accessible.name: text
                            }
                        }
                    }
                }
            }
            BigButton {
                objectName: "dataNoticeClose"
                Layout.alignment: Qt.AlignHCenter
                Layout.preferredWidth: Math.min(parent.width, Math.max(implicitWidth, 320 * Theme.u))
                text: kiosk.t["data.close"]
                fill: Theme.primary; ink: Theme.primaryText
                onClicked: kiosk.showDataNotice(false)
            }
        }
    }
}
