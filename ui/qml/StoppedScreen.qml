import QtQuick
import QtQuick.Controls
import QtQuick.Layouts

// An eligibility answer means this service cannot help: say why kindly, and what to do instead.
// Back (in the footer) returns to the question; Start again or Call a helper from the header.
Item {
    ColumnLayout {
        anchors.fill: parent
        spacing: 0
        Flickable {
            Layout.fillWidth: true
            Layout.fillHeight: true
            id: flick
            objectName: "stoppedPage"
            contentWidth: width
            contentHeight: column.implicitHeight + 2 * Theme.margin
            clip: true
            boundsBehavior: Flickable.StopAtBounds

            ColumnLayout {
                id: column
                x: Theme.margin; y: Theme.margin
                width: flick.width - 2 * Theme.margin
                spacing: Theme.gap
                Text {
                    objectName: "screenTitle"
                    Layout.fillWidth: true
                    text: kiosk.stopText
                    font.pixelSize: Theme.large; font.bold: true; color: Theme.text; wrapMode: Text.Wrap
                    horizontalAlignment: Text.AlignLeft
                    Accessible.role: Accessible.Heading
                    Accessible.name: text
                }
                Text {
                    Layout.fillWidth: true
                    text: kiosk.t["stopped.instead"]
                    font.pixelSize: Theme.body; font.bold: true; color: Theme.text; wrapMode: Text.Wrap
                    horizontalAlignment: Text.AlignLeft
                    visible: kiosk.stopInstead !== ""
                }
                Text {
                    objectName: "stopInstead"
                    Layout.fillWidth: true
                    text: kiosk.stopInstead
                    font.pixelSize: Theme.body; color: Theme.text; wrapMode: Text.Wrap
                    horizontalAlignment: Text.AlignLeft
                    Accessible.role: Accessible.StaticText
                    Accessible.name: text
                }
                Text {
                    Layout.fillWidth: true
                    text: kiosk.t["stopped.nothing_sent"]
                    font.pixelSize: Theme.body; color: Theme.secondaryText; wrapMode: Text.Wrap
                    horizontalAlignment: Text.AlignLeft
                }
            }
        }
        Item {
            Layout.fillWidth: true
            Layout.preferredHeight: stoppedFinish.implicitHeight + 2 * Theme.gap
            BigButton {
                id: stoppedFinish
                objectName: "stoppedFinishButton"
                anchors.left: parent.left; anchors.leftMargin: Theme.margin
                anchors.verticalCenter: parent.verticalCenter
                text: kiosk.t["stopped.finish"]
                fill: Theme.primary; ink: Theme.primaryText
                onClicked: kiosk.restart()
            }
        }
    }
}
