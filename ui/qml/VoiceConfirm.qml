import QtQuick
import QtQuick.Controls
import QtQuick.Layouts

// "You said: Yes. Is that right?" — what voice recognition understood, shown
// and spoken before it is used. Answer by touch (Yes / No) or by voice.
Popup {
    id: popup
    objectName: "voiceConfirm"
    readonly property bool ready: typeof voice !== "undefined" && voice !== null
    readonly property var vt: ready ? voice.t : ({})
    function tr(key, fallback) { return (vt && vt[key]) ? vt[key] : fallback }
    parent: Overlay.overlay
    anchors.centerIn: parent
    width: parent ? Math.min(parent.width - 2 * Theme.margin, 900 * Theme.u) : 600
    modal: true
    closePolicy: Popup.NoAutoClose
    visible: ready && voice.confirmPending
    padding: Theme.margin
    background: Rectangle { color: Theme.background; border.color: Theme.border; border.width: 3 * Theme.u; radius: Theme.radius }

    contentItem: ColumnLayout {
        spacing: Theme.gap
        Text {
            objectName: "voiceConfirmText"
            Layout.fillWidth: true
            text: popup.ready ? voice.confirmQuestion : ""
            color: Theme.text
            font.pixelSize: Math.max(24, Theme.large)
            font.bold: true
            wrapMode: Text.Wrap
            horizontalAlignment: Text.AlignHCenter
        }
        RowLayout {
            Layout.fillWidth: true
            spacing: Theme.gap
            BigButton {
                objectName: "voiceConfirmYes"
                Layout.fillWidth: true
                Layout.minimumHeight: 64
                text: popup.tr("voice.confirm_yes", "Yes")
                Accessible.name: text
                fill: Theme.primary; ink: Theme.primaryText
                fontSize: Math.max(24, Theme.body)
                onClicked: voice.confirm(true)
            }
            BigButton {
                objectName: "voiceConfirmNo"
                Layout.fillWidth: true
                Layout.minimumHeight: 64
                text: popup.tr("voice.confirm_no", "No")
                Accessible.name: text
                fontSize: Math.max(24, Theme.body)
                onClicked: voice.confirm(false)
            }
            BigButton {
                objectName: "voiceConfirmSpeak"
                Layout.minimumHeight: 64
                visible: popup.ready && voice.micAvailable
                text: "🎤 " + (popup.ready && voice.listening ? popup.tr("voice.stop_listening", "Stop")
                                                              : popup.tr("voice.microphone", "Speak"))
                Accessible.name: popup.tr("voice.microphone", "Speak")
                fill: popup.ready && voice.listening ? Theme.error : Theme.secondary
                fontSize: Math.max(24, Theme.body)
                onClicked: voice.listening ? voice.stopListening() : voice.startListening()
            }
        }
    }
}
