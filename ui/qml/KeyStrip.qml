import QtQuick
import QtQuick.VirtualKeyboard

// Keys above the on-screen keyboard that fit the question: the pieces of an email address,
// the language's accented letters on keys of their own, and (for a name in Arabic) the switch
// between Latin letters and Arabic ones. The lists come from the bridge. The keys never take
// the focus: they type into the field being edited, through the keyboard's own input engine.
Rectangle {
    id: strip
    objectName: "keyStrip"
    readonly property bool wanted: kiosk.extraKeys.length > 0 || kiosk.scriptSwitch
    implicitHeight: wanted ? keys.implicitHeight + Theme.gap : 0
    color: Theme.secondary
    Accessible.role: Accessible.ToolBar
    Accessible.name: kiosk.t["keyboard.extra_keys"]

    Flow {
        id: keys
        anchors.left: parent.left; anchors.right: parent.right; anchors.top: parent.top
        anchors.margins: Theme.gap / 2
        spacing: Theme.gap / 2
        BigButton {
            objectName: "scriptSwitch"
            visible: kiosk.scriptSwitch
            focusPolicy: Qt.NoFocus
            height: Math.round(Theme.touch * 0.8)
            // As wide as its words, unwrapped (the label wraps to the button's width otherwise).
            readonly property TextMetrics word: TextMetrics { text: kiosk.scriptSwitchLabel; font.pixelSize: Theme.small; font.bold: true }
            implicitWidth: Math.max(height, Math.ceil(word.advanceWidth) + 2 * sidePadding + Theme.gap)
            fontSize: Theme.small
            sidePadding: Theme.gap
            fill: Theme.band; ink: Theme.bandText
            text: kiosk.scriptSwitchLabel
            onClicked: kiosk.switchScript()
        }
        Repeater {
            model: kiosk.extraKeys
            BigButton {
                required property string modelData
                required property int index
                objectName: "extraKey_" + index
                focusPolicy: Qt.NoFocus
                height: Math.round(Theme.touch * 0.8)
                readonly property TextMetrics word: TextMetrics { text: modelData; font.pixelSize: Theme.body; font.bold: true }
                implicitWidth: Math.max(height, Math.ceil(word.advanceWidth) + 2 * sidePadding + Theme.gap)
                fontSize: Theme.body
                sidePadding: Theme.gap
                fill: Theme.background
                text: modelData
                onClicked: InputContext.inputEngine.virtualKeyClick(Qt.Key_unknown, modelData, Qt.NoModifier)
            }
        }
    }
}
