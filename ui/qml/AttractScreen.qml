import QtQuick
import QtQuick.Controls

// The screen nobody is using: big invitation, languages in their own names.
Item {
    id: screen
    // Someone walking past should meet their own language: the invitation cycles through them all.
    property int shown: 0
    readonly property var current: kiosk.welcomes.length ? kiosk.welcomes[shown % kiosk.welcomes.length] : null
    Timer { interval: 3000; running: true; repeat: true; onTriggered: screen.shown += 1 }
    MouseArea {
        anchors.fill: parent
        objectName: "attractArea"
        onClicked: kiosk.start()
    }
    Column {
        anchors.centerIn: parent
        width: parent.width - 2 * Theme.margin
        spacing: Theme.margin
        Text {
            width: parent.width
            horizontalAlignment: Text.AlignHCenter
            text: kiosk.languages.map(l => l.name).join("  ·  ")
            color: Theme.secondaryText
            font.pixelSize: Theme.body
            wrapMode: Text.Wrap
        }
        Text {
            width: parent.width
            horizontalAlignment: Text.AlignHCenter
            objectName: "welcomeText"
            text: screen.current ? screen.current.welcome : kiosk.t["attract.welcome"]
            LayoutMirroring.enabled: screen.current ? screen.current.rtl : false
            color: Theme.text
            font.pixelSize: Theme.huge
            font.bold: true
        }
        BigButton {
            objectName: "startButton"
            anchors.horizontalCenter: parent.horizontalCenter
            text: screen.current ? screen.current.start : kiosk.t["attract.touch_to_start"]
            fill: Theme.primary; ink: Theme.primaryText
            fontSize: Theme.large
            implicitHeight: Theme.touch * 1.5
            onClicked: kiosk.start()
        }
        BigButton {
            objectName: "readToMeButton"
            anchors.horizontalCenter: parent.horizontalCenter
            visible: typeof voice !== "undefined" && voice !== null
            text: "🔊  " + kiosk.t["attract.read_to_me"]
            Accessible.name: kiosk.t["attract.read_to_me"]  // without the speaker glyph a reader would say aloud
            fontSize: Theme.body
            onClicked: { voice.readToMe(); kiosk.start() }
        }
        Text { // keyboards and keypads: any key starts, with speech (ui/keynav.py)
            objectName: "pressAnyKeyText"
            width: parent.width
            horizontalAlignment: Text.AlignHCenter
            text: screen.current ? screen.current.keys : kiosk.t["keys.press_any_key"]
            LayoutMirroring.enabled: screen.current ? screen.current.rtl : false
            color: Theme.text
            font.pixelSize: Theme.body; font.bold: true
            wrapMode: Text.Wrap
            Accessible.role: Accessible.StaticText
            Accessible.name: text
        }
        Text {
            width: parent.width
            horizontalAlignment: Text.AlignHCenter
            text: kiosk.t["attract.help_available"]
            color: Theme.secondaryText
            font.pixelSize: Theme.body
            wrapMode: Text.Wrap
        }
    }
}
