pragma Singleton
import QtQuick

// Colours and sizes in one place, so high-contrast and large-text themes are a
// change of values, not of screens. Sizes are for a 1366x768 screen and grow
// with `u` on bigger ones; `textScale` is the citizen's large-text choice.
QtObject {
    property real u: 1.0
    property real textScale: 1.0

    property bool highContrast: false   // the citizen's high-contrast choice: white and yellow on black

    readonly property color background: highContrast ? "#000000" : "#ffffff"
    readonly property color text: highContrast ? "#ffffff" : "#0b0c0c"
    readonly property color secondaryText: highContrast ? "#ffffff" : "#383f43"
    readonly property color primary: highContrast ? "#ffdd00" : "#005a30"      // go / next / send (8.4:1 with white)
    readonly property color primaryText: highContrast ? "#000000" : "#ffffff"
    readonly property color secondary: highContrast ? "#000000" : "#e6e8ea"
    readonly property color border: highContrast ? "#ffffff" : "#0b0c0c"
    readonly property color focus: "#ffdd00"
    readonly property color focusText: "#0b0c0c"      // text on the yellow "Call a helper" and the flag
    readonly property color error: highContrast ? "#ff9a9a" : "#9b1320"         // 7.3:1 on errorBackground
    readonly property color errorBackground: highContrast ? "#000000" : "#fdecee"
    readonly property color selected: highContrast ? "#ffffff" : "#0b3d91"      // 10:1 with white (text 7:1, tests/test_contrast.py)
    readonly property color selectedText: highContrast ? "#000000" : "#ffffff"
    readonly property color band: highContrast ? "#000000" : "#1d3f5e"         // header band
    readonly property color bandText: "#ffffff"

    readonly property real small: Math.round(24 * u * textScale)   // never below 24 px at 1366x768
    readonly property real body: Math.round(28 * u * textScale)
    readonly property real large: Math.round(36 * u * textScale)
    readonly property real huge: Math.round(64 * u * textScale)
    // What frames every screen (the header, the helper flag, the voice bar, Back/Next, I agree/Send and the
    // text size dialog) grows with bigger text only up to x1.25, so that at x2 on a 768 px tall screen the
    // question, its answers and the answers to check keep the room between them (tests/test_text_scale.py).
    readonly property real chromeScale: Math.min(textScale, 1.25)
    readonly property real chromeSmall: Math.round(24 * u * chromeScale)
    readonly property real chromeBody: Math.round(28 * u * chromeScale)
    readonly property real chromeLarge: Math.round(36 * u * chromeScale)
    readonly property real touch: Math.round(72 * u)               // minimum height of anything touchable
    readonly property real gap: Math.round(16 * u)
    readonly property real margin: Math.round(32 * u)
    readonly property real radius: Math.round(10 * u)
}
