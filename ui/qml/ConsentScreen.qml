import QtQuick
import QtQuick.Controls
import QtQuick.Layouts

// Citizen-facing: may the mediator fill in for me? In the citizen's language,
// easy-read, right-to-left for Arabic; the citizen answers by touch.
Rectangle {
    id: consent
    objectName: "consentScreen"
    color: Theme.background
    LayoutMirroring.enabled: mediator.assist.citizenRtl
    LayoutMirroring.childrenInherit: true
    readonly property var c: mediator.assist.ct

    ColumnLayout {
        anchors.fill: parent
        anchors.margins: Theme.margin
        spacing: Theme.gap

        Text {
            objectName: "consentTitle"
            Layout.fillWidth: true
            text: consent.c["m.consent.title"]
            font.pixelSize: Theme.large; font.bold: true; color: Theme.text
            wrapMode: Text.Wrap
            horizontalAlignment: Text.AlignLeft
            Accessible.role: Accessible.Heading
            Accessible.name: text
        }
        Repeater {
            model: ["m.consent.who", "m.consent.what", "m.consent.scope", "m.consent.stop"]
            Text {
                required property var modelData
                objectName: "consentLine_" + modelData
                Layout.fillWidth: true
                text: consent.c[modelData]
                font.pixelSize: Theme.body; color: Theme.text
                wrapMode: Text.Wrap
                horizontalAlignment: Text.AlignLeft
            }
        }
        Item { Layout.fillHeight: true }
        RowLayout {
            Layout.fillWidth: true
            spacing: Theme.gap
            BigButton {
                objectName: "consentRefuse"
                Layout.fillWidth: true
                Layout.preferredHeight: Theme.touch * 1.3
                text: consent.c["m.consent.refuse"]
                onClicked: mediator.refuseConsent()
            }
            BigButton {
                objectName: "consentAccept"
                Layout.fillWidth: true
                Layout.preferredHeight: Theme.touch * 1.3
                text: consent.c["m.consent.accept"]
                fill: Theme.primary; ink: Theme.primaryText
                onClicked: mediator.acceptConsent()
            }
        }
    }
}
