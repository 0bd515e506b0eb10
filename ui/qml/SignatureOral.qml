import QtQuick
import QtQuick.Layouts

// Under a signature pad, where the definition allows it (`oral_alternative`): "I cannot sign". A helper comes
// and notes, from the mediator panel, that the citizen agrees out loud; no image is made in their place.
ColumnLayout {
    id: oral
    objectName: "signatureOral"
    spacing: Theme.gap

    BigButton {
        objectName: "cannotSign"
        visible: !documents.oralAsked && !documents.oralDone
        text: kiosk.t["signature.cannot_sign"]
        Accessible.name: kiosk.t["signature.cannot_sign"]
        onClicked: documents.askOral()
    }
    Rectangle {
        objectName: "oralBox"
        visible: documents.oralAsked || documents.oralDone
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
