import QtQuick
import QtQuick.Controls
import QtQuick.Layouts

// Voice guidance controls, on every screen that has a footer:
// Listen again, voice on/off, slower, faster, and the push-to-talk microphone.
// Everything reads the `voice` context property (ui/voice_bridge.py); without
// it (voice not installed) the bar shows nothing.
Item {
    id: bar
    objectName: "voiceBar"
    readonly property bool ready: typeof voice !== "undefined" && voice !== null
    readonly property var vt: ready ? voice.t : ({})
    function tr(key, fallback) { return (vt && vt[key]) ? vt[key] : fallback }
    visible: ready
    // One line when there is room; the buttons wrap onto more lines on a narrow screen.
    // (Each button's own condition, not its `visible`: that also follows the parent's, a loop.)
    function shown(b) { return b.objectName === "voiceMicrophone" ? bar.ready && voice.micAvailable
                             : b.objectName === "voiceReadAnswer" ? bar.ready && voice.canReadPersonal
                             : (b.objectName === "voiceQuieter" || b.objectName === "voiceLouder") ? bar.volumeShown
                             : b.objectName === "voiceHeadphonesInline" ? false  // wraps under the buttons
                             : true }
    // On a row of its own (Main.qml sets it): the headphones hint goes in the row, never over the page.
    property bool ownRow: false
    // Volume only while there is something to hear: the footer stays as short as it was otherwise.
    readonly property bool volumeShown: bar.ready && (voice.enabled || voice.speaking)
    implicitWidth: { var w = -row.spacing; for (var i = 0; i < row.children.length; ++i) if (shown(row.children[i])) w += row.children[i].implicitWidth + row.spacing; return Math.max(0, w) }
    implicitHeight: row.implicitHeight

  Flow {
    id: row
    width: bar.width
    spacing: Math.round(8 * Theme.u)

    BigButton {
        objectName: "voiceListenAgain"
        Layout.fillHeight: true
        Layout.minimumWidth: 64
        Layout.minimumHeight: 64
        text: "🔊 " + bar.tr("voice.listen_again", "Listen again")
        Accessible.name: bar.tr("voice.listen_again", "Listen again")
        fontSize: Math.max(24, Theme.chromeSmall)
        fill: bar.ready && voice.speaking ? Theme.selected : Theme.background
        ink: bar.ready && voice.speaking ? Theme.selectedText : Theme.text
        onClicked: voice.listenAgain()
    }
    BigButton {
        objectName: "voiceToggle"
        Layout.fillHeight: true
        Layout.minimumWidth: 64
        Layout.minimumHeight: 64
        text: bar.ready && voice.enabled ? bar.tr("voice.on", "Voice on") : bar.tr("voice.off", "Voice off")
        // A switch (toggle button): one name, and its state says on or off.
        Accessible.name: bar.tr("voice.switch_name", "Voice")
        Accessible.role: Accessible.Button
        Accessible.checkable: true
        Accessible.checked: bar.ready && voice.enabled
        // The control's own state too: AbstractButton copies it over Accessible.checked.
        checkable: false
        checked: bar.ready && voice.enabled
        selected: bar.ready && voice.enabled
        fontSize: Math.max(24, Theme.chromeSmall)
        onClicked: voice.toggle()
    }
    BigButton {
        objectName: "voiceSlower"
        Layout.fillHeight: true
        Layout.minimumWidth: 64
        Layout.minimumHeight: 64
        text: "−  " + bar.tr("voice.slower", "Slower")
        Accessible.name: bar.tr("voice.slower", "Slower")
        fontSize: Math.max(24, Theme.chromeSmall)
        enabled: bar.ready && voice.rate > voice.minRate
        onClicked: voice.slower()
    }
    BigButton {
        objectName: "voiceFaster"
        Layout.fillHeight: true
        Layout.minimumWidth: 64
        Layout.minimumHeight: 64
        text: "+  " + bar.tr("voice.faster", "Faster")
        Accessible.name: bar.tr("voice.faster", "Faster")
        fontSize: Math.max(24, Theme.chromeSmall)
        enabled: bar.ready && voice.rate < voice.maxRate
        onClicked: voice.faster()
    }
    BigButton {
        objectName: "voiceQuieter"
        Layout.fillHeight: true
        Layout.minimumWidth: 64
        Layout.minimumHeight: 64
        visible: bar.volumeShown
        text: "🔉 " + bar.tr("voice.quieter", "Quieter")
        Accessible.name: bar.tr("voice.quieter", "Quieter")
        Accessible.description: bar.ready ? bar.tr("voice.volume_is", "Volume {percent}%").replace("{percent}", voice.volume) : ""
        fontSize: Math.max(24, Theme.chromeSmall)
        enabled: bar.ready && voice.volume > voice.minVolume
        onClicked: voice.quieter()
    }
    BigButton {
        objectName: "voiceLouder"
        Layout.fillHeight: true
        Layout.minimumWidth: 64
        Layout.minimumHeight: 64
        visible: bar.volumeShown
        text: "🔊 " + bar.tr("voice.louder", "Louder")
        Accessible.name: bar.tr("voice.louder", "Louder")
        Accessible.description: bar.ready ? bar.tr("voice.volume_is", "Volume {percent}%").replace("{percent}", voice.volume) : ""
        fontSize: Math.max(24, Theme.chromeSmall)
        enabled: bar.ready && voice.volume < voice.maxVolume
        onClicked: voice.louder()
    }
    BigButton {
        objectName: "voiceMicrophone"
        Layout.fillHeight: true
        Layout.minimumWidth: 64
        Layout.minimumHeight: 64
        // Hidden when this language has no recognition model or there is no microphone.
        visible: bar.ready && voice.micAvailable
        text: "🎤 " + (bar.ready && voice.listening ? bar.tr("voice.stop_listening", "Stop")
                                                    : bar.tr("voice.microphone", "Speak"))
        Accessible.name: bar.ready && voice.listening ? bar.tr("voice.listening", "Listening")
                                                      : bar.tr("voice.microphone", "Speak")
        fontSize: Math.max(24, Theme.chromeSmall)
        fill: bar.ready && voice.listening ? Theme.error : Theme.primary
        ink: Theme.primaryText
        onClicked: voice.listening ? voice.stopListening() : voice.startListening()
    }
    BigButton {
        objectName: "voiceReadAnswer"
        Layout.fillHeight: true
        Layout.minimumWidth: 64
        Layout.minimumHeight: 64
        visible: bar.ready && voice.canReadPersonal
        text: bar.tr("voice.read_answer", "Read my answer aloud")
        Accessible.name: text
        fontSize: Math.max(24, Theme.chromeSmall)
        onClicked: voice.readPersonalAnswer()
    }
    Rectangle {
        objectName: "voiceHeadphonesInline"
        visible: bar.ready && voice.headphonesHint && bar.ownRow
        width: Math.min(inlineHint.implicitWidth + 2 * Theme.gap, bar.width)
        height: Math.max(Theme.touch * 0.75, inlineHint.implicitHeight + Theme.gap)
        radius: Theme.radius
        color: Theme.band
        Text {
            id: inlineHint
            anchors.centerIn: parent
            width: Math.min(implicitWidth, bar.width - 2 * Theme.gap)
            text: "🎧 " + bar.tr("voice.headphones", "Use headphones")
            color: Theme.bandText
            font.pixelSize: Math.max(24, Theme.chromeSmall)
            wrapMode: Text.Wrap
        }
    }

  }

    // "Use headphones" while voice is on: floats just above the bar.
    Rectangle {
        objectName: "voiceHeadphonesHint"
        visible: bar.ready && voice.headphonesHint && !bar.ownRow
        anchors.horizontalCenter: parent.horizontalCenter
        y: -height - Math.round(6 * Theme.u) - Theme.gap
        width: hint.implicitWidth + 2 * Theme.gap
        height: hint.implicitHeight + Theme.gap
        radius: Theme.radius
        color: Theme.band
        Text {
            id: hint
            anchors.centerIn: parent
            text: "🎧 " + bar.tr("voice.headphones", "Use headphones")
            color: Theme.bandText
            font.pixelSize: Math.max(24, Theme.chromeSmall)
        }
    }

    VoiceConfirm { }
}
