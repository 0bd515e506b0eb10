import QtQuick
import QtQuick.Controls
import QtQuick.Layouts

// "Are you still there?" with a countdown; after it the bridge wipes everything.
Rectangle {
    id: overlay
    objectName: "idleOverlay"
    visible: kiosk.idlePhase === "warning"
    color: "#cc0b0c0c"
    MouseArea { anchors.fill: parent }  // nothing behind can be touched meanwhile (Main.qml disables it for keys too)
    Accessible.role: Accessible.Dialog
    Accessible.name: kiosk.t["idle.title"]
    Rectangle {
        anchors.centerIn: parent
        width: Math.min(parent.width - 2 * Theme.margin, 900 * Theme.u)
        height: box.implicitHeight + 2 * Theme.margin
        radius: Theme.radius
        color: Theme.background
        border.color: Theme.focus; border.width: 6 * Theme.u
        ColumnLayout {
            id: box
            anchors.fill: parent; anchors.margins: Theme.margin
            spacing: Theme.margin
            Text {
                objectName: "idleTitle"
                Layout.fillWidth: true
                horizontalAlignment: Text.AlignHCenter
                text: kiosk.t["idle.title"]
                font.pixelSize: Theme.large; font.bold: true; color: Theme.text; wrapMode: Text.Wrap
                Accessible.role: Accessible.Heading
                Accessible.name: text
            }
            Text {
                objectName: "idleCountdown"
                Layout.fillWidth: true
                horizontalAlignment: Text.AlignHCenter
                text: kiosk.idleCountdownText
                font.pixelSize: Theme.body; color: Theme.text; wrapMode: Text.Wrap
                Accessible.role: Accessible.AlertMessage
                Accessible.name: text
            }
            BigButton {
                objectName: "moreTimeButton"
                Layout.fillWidth: true
                Layout.preferredHeight: Math.max(Theme.touch * 1.5, implicitHeight)  // Arabic's tall lines at x2
                text: kiosk.t["idle.more_time"]
                fill: Theme.primary; ink: Theme.primaryText
                fontSize: Theme.large
                onClicked: kiosk.moreTime()
            }
        }
    }
}
