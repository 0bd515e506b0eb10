import QtQuick
import QtQuick.Controls
import QtQuick.Layouts

// The reference number in large type: the one thing to take away.
Item {
    ColumnLayout {
        anchors.centerIn: parent
        width: parent.width - 4 * Theme.margin
        spacing: Theme.margin
        Text {
            objectName: "screenTitle"
            Layout.fillWidth: true
            horizontalAlignment: Text.AlignHCenter
            text: "✓  " + kiosk.t["done.title"]
            font.pixelSize: Theme.large; font.bold: true; color: Theme.primary; wrapMode: Text.Wrap
            Accessible.role: Accessible.Heading
            Accessible.name: kiosk.t["done.title"]
        }
        Text {
            Layout.fillWidth: true
            horizontalAlignment: Text.AlignHCenter
            text: kiosk.t["done.reference_intro"]
            font.pixelSize: Theme.body; color: Theme.text; wrapMode: Text.Wrap
        }
        Rectangle {
            Layout.alignment: Qt.AlignHCenter
            implicitWidth: referenceText.implicitWidth + 4 * Theme.margin
            implicitHeight: referenceText.implicitHeight + 2 * Theme.margin
            color: Theme.background; border.color: Theme.text; border.width: 4 * Theme.u; radius: Theme.radius
            Text {
                id: referenceText
                objectName: "referenceText"
                anchors.centerIn: parent
                text: kiosk.reference
                font.pixelSize: Theme.huge * 1.3; font.bold: true; font.family: "DejaVu Sans Mono"
                font.letterSpacing: 6 * Theme.u
                color: Theme.text
                LayoutMirroring.enabled: false
                Accessible.role: Accessible.StaticText
                Accessible.name: kiosk.t["done.reference_intro"] + " " + kiosk.reference.split("").join(" ")
            }
        }
        Text {
            Layout.fillWidth: true
            horizontalAlignment: Text.AlignHCenter
            text: kiosk.t["done.reference_help"]
            font.pixelSize: Theme.body; color: Theme.text; wrapMode: Text.Wrap
        }
        BigButton {
            objectName: "finishButton"
            Layout.alignment: Qt.AlignHCenter
            text: kiosk.t["done.finish"]
            fill: Theme.primary; ink: Theme.primaryText
            fontSize: Theme.large
            onClicked: kiosk.finish()
        }
    }
}
