pragma Singleton
import QtQuick

// Colours and sizes in one place, so high-contrast and large-text themes are a
// change of values, not of screens. Sizes are for a 1366x768 screen and grow
// with `u` on bigger ones; `textScale` is the citizen's large-text choice.
QtObject {
    property real u: 1.0
    property real textScale: 1.0

    readonly property color background: "#ffffff"
    readonly property color text: "#0b0c0c"
    readonly property color secondaryText: "#383f43"
    readonly property color primary: "#00703c"      // go / next / send
    readonly property color primaryText: "#ffffff"
    readonly property color secondary: "#e6e8ea"
    readonly property color border: "#0b0c0c"
    readonly property color focus: "#ffdd00"
    readonly property color error: "#b0151f"
    readonly property color selected: "#1d70b8"
    readonly property color selectedText: "#ffffff"
    readonly property color band: "#1d3f5e"         // header band
    readonly property color bandText: "#ffffff"

    readonly property real small: Math.round(24 * u * textScale)   // never below 24 px at 1366x768
    readonly property real body: Math.round(28 * u * textScale)
    readonly property real large: Math.round(36 * u * textScale)
    readonly property real huge: Math.round(64 * u * textScale)
    readonly property real touch: Math.round(72 * u)               // minimum height of anything touchable
    readonly property real gap: Math.round(16 * u)
    readonly property real margin: Math.round(32 * u)
    readonly property real radius: Math.round(10 * u)
}
