import QtQuick
import QtQuick.Layouts

// After "I cannot sign" (the button sits across from the signature pad's Clear, in QuestionScreen.qml): the
// citizen waits for a helper, who notes from the mediator panel that the citizen agrees out loud. No image is
// made in place of a signature.
ColumnLayout {
    id: oral
    objectName: "signatureOral"
    spacing: Theme.gap

    Rectangle {
        objectName: "oralBox"
        Layout.fillWidth: true
        implicitHeight: oralText.implicitHeight + 2 * Theme.gap
        color: Theme.secondary
        border.color: Theme.selected; border.width: 3 * Theme.u
        radius: Theme.radius
        Text {
            id: oralText
            objectName: "oralText"
            anchors.fill: parent; anchors.margins: Theme.gap
            text: documents.oralDone ? kiosk.t["signature.oral_done"] : kiosk.t["signature.oral_waiting"]
            font.pixelSize: Theme.body; font.bold: true; color: Theme.text
            wrapMode: Text.Wrap
            Accessible.role: Accessible.StaticText
            Accessible.name: text
        }
    }
    BigButton {
        objectName: "signInstead"
        visible: documents.oralAsked
        text: kiosk.t["signature.sign_instead"]
        Accessible.name: kiosk.t["signature.sign_instead"]
        onClicked: documents.cancelOral()
    }
}
