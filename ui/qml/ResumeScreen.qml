import QtQuick
import QtQuick.Controls
import QtQuick.Layouts

// "I have a code": big keys for the code's own alphabet (no 0/O, 1/I/L: the keys a code can
// hold, from DraftsBridge.alphabet), not the system keyboard. The code shows as it is typed, in
// its groups (ABCD-EFGH-JK); Go on checks it off the GUI thread. Wrong, locked, expired: said in
// the citizen's language (drafts.errorText). On success the journey bridge goes on at the page
// where the journey stopped; this screen (and what was typed) is unloaded with it.
Item {
    id: screen
    objectName: "resumeScreen"
    focus: true

    property string typed: ""
    readonly property string alphabet: drafts !== null ? drafts.alphabet : ""
    readonly property int codeLength: drafts !== null ? drafts.codeLength : 10
    readonly property bool busy: drafts !== null && drafts.busy
    readonly property bool wide: width > height * 1.15
    // Keys: the alphabet and Delete, in as many columns as the space allows, each key square.
    readonly property int keyCount: alphabet.length + 1
    readonly property int columns: 8
    readonly property int rows: Math.ceil(keyCount / columns) + 1  // and Go on under them
    readonly property real keySpace: wide ? (width - 3 * Theme.margin) * 0.6 : width - 2 * Theme.margin
    readonly property real keySize: Math.max(Theme.touch * 0.8,
        Math.min(Theme.touch * (wide ? 1.3 : 1.6),
                 (keySpace - (columns - 1) * Theme.gap / 2) / columns,
                 wide ? (height - 2 * Theme.margin - (rows - 1) * Theme.gap / 2) / rows : Theme.touch * 1.6))

    // The code as typed so far, in its groups, with a mark for each sign still to come.
    function grouped() {
        var groups = drafts !== null ? drafts.groups : [4, 4, 2]
        var out = [], at = 0
        for (var g = 0; g < groups.length; ++g) {
            var part = ""
            for (var i = 0; i < groups[g]; ++i, ++at)
                part += at < typed.length ? typed.charAt(at) : "_"
            out.push(part)
        }
        return out.join("-")
    }
    function add(sign) {
        if (busy || typed.length >= codeLength || alphabet.indexOf(sign) < 0)
            return
        typed += sign
        if (drafts.error !== "")
            drafts.clearError()
    }
    function removeLast() {
        if (busy || typed.length === 0)
            return
        typed = typed.slice(0, -1)
        if (drafts.error !== "")
            drafts.clearError()
    }
    function goOn() {
        if (!busy && typed.length === codeLength)
            drafts.resume(typed)
    }

    // A keyboard at the counter works too (a helper typing for the citizen).
    Keys.onPressed: function(event) {
        if (event.key === Qt.Key_Backspace) { removeLast(); event.accepted = true }
        else if (event.key === Qt.Key_Return || event.key === Qt.Key_Enter) { goOn(); event.accepted = true }
        else if (event.text.length === 1 && alphabet.indexOf(event.text.toUpperCase()) >= 0) {
            add(event.text.toUpperCase()); event.accepted = true
        }
    }

    Flickable {
        id: flick
        anchors.fill: parent
        contentWidth: width
        contentHeight: layout.implicitHeight + 2 * Theme.margin
        clip: true
        boundsBehavior: Flickable.StopAtBounds
        ScrollIndicator.vertical: ScrollIndicator { active: flick.contentHeight > flick.height }

        GridLayout {
            id: layout
            x: Theme.margin; y: Theme.margin
            width: flick.width - 2 * Theme.margin
            columns: screen.wide ? 2 : 1
            columnSpacing: Theme.margin; rowSpacing: Theme.margin

            ColumnLayout {
                Layout.fillWidth: true
                Layout.alignment: Qt.AlignTop
                spacing: Theme.gap
                Text {
                    objectName: "screenTitle"
                    Layout.fillWidth: true
                    text: kiosk.t["drafts.enter_title"]
                    font.pixelSize: Theme.large; font.bold: true; color: Theme.text; wrapMode: Text.Wrap
                    horizontalAlignment: Text.AlignLeft
                    Accessible.role: Accessible.Heading
                    Accessible.name: text
                }
                Text {
                    objectName: "resumeHint"
                    visible: drafts === null || drafts.errorText === ""
                    Layout.fillWidth: true
                    text: kiosk.t["drafts.enter_hint"]
                    font.pixelSize: Theme.body; color: Theme.secondaryText; wrapMode: Text.Wrap
                    horizontalAlignment: Text.AlignLeft
                    Accessible.role: Accessible.StaticText
                    Accessible.name: text
                }
                Rectangle {
                    Layout.fillWidth: true
                    implicitHeight: codeText.implicitHeight + Theme.gap
                    radius: Theme.radius / 2
                    color: Theme.background
                    border.color: drafts !== null && drafts.error !== "" ? Theme.error : Theme.border
                    border.width: Math.round(3 * Theme.u)
                    Text {
                        id: codeText
                        objectName: "resumeTyped"
                        anchors.centerIn: parent
                        width: parent.width - Theme.gap
                        horizontalAlignment: Text.AlignHCenter
                        LayoutMirroring.enabled: false
                        text: screen.grouped()
                        // As large as fits in the box: 12 signs in a monospaced face.
                        readonly property real size: Math.min(Math.round(Theme.huge * 0.9), Math.floor(width / 8))
                        font.pixelSize: size
                        font.family: "DejaVu Sans Mono"
                        font.bold: true
                        font.letterSpacing: size * 0.05
                        color: Theme.text
                        Accessible.role: Accessible.StaticText
                        Accessible.name: screen.typed.split("").join(" ")
                    }
                }
                Rectangle {
                    visible: drafts !== null && drafts.errorText !== ""
                    Layout.fillWidth: true
                    implicitHeight: errorText.implicitHeight + Theme.gap
                    color: Theme.errorBackground
                    border.color: Theme.error; border.width: 3 * Theme.u
                    radius: Theme.radius
                    Text {
                        id: errorText
                        objectName: "resumeError"
                        anchors.fill: parent; anchors.margins: Theme.gap / 2
                        text: drafts !== null ? drafts.errorText : ""
                        color: Theme.error; font.pixelSize: Theme.body; font.bold: true; wrapMode: Text.Wrap
                        horizontalAlignment: Text.AlignLeft
                        Accessible.role: Accessible.AlertMessage
                        Accessible.name: text
                    }
                }
            }

            // The keys, in the code's own order in every language (a code is not words).
            GridLayout {
                id: keys
                objectName: "codeKeys"
                Layout.alignment: Qt.AlignTop | Qt.AlignHCenter
                LayoutMirroring.enabled: false
                LayoutMirroring.childrenInherit: true
                columns: screen.columns
                columnSpacing: Theme.gap / 2; rowSpacing: Theme.gap / 2
                Repeater {
                    model: screen.alphabet.split("")
                    BigButton {
                        required property string modelData
                        objectName: "codeKey_" + modelData
                        implicitWidth: screen.keySize; implicitHeight: screen.keySize
                        Layout.preferredWidth: screen.keySize; Layout.preferredHeight: screen.keySize
                        text: modelData
                        fontSize: Theme.large
                        sidePadding: 0
                        enabled: !screen.busy
                        onClicked: screen.add(modelData)
                    }
                }
                BigButton {
                    objectName: "codeKeyDelete"
                    implicitWidth: screen.keySize; implicitHeight: screen.keySize
                    Layout.preferredWidth: screen.keySize; Layout.preferredHeight: screen.keySize
                    text: "⌫"
                    Accessible.name: kiosk.t["drafts.delete"]
                    fontSize: Theme.large
                    sidePadding: 0
                    fill: Theme.background
                    enabled: !screen.busy && screen.typed.length > 0
                    onClicked: screen.removeLast()
                }
                // Go on, with the keys: in view as soon as the last sign is typed.
                BigButton {
                    objectName: "resumeGoOn"
                    Layout.columnSpan: screen.columns
                    Layout.fillWidth: true
                    Layout.preferredHeight: Math.max(Theme.touch * 0.8, screen.keySize)
                    text: screen.busy ? kiosk.t["drafts.checking"] : kiosk.t["drafts.go_on"] + (kiosk.rtl ? "  ←" : "  →")
                    Accessible.name: kiosk.t["drafts.go_on"]
                    fill: Theme.primary; ink: Theme.primaryText
                    enabled: !screen.busy && screen.typed.length === screen.codeLength
                    onClicked: screen.goOn()
                }
            }
        }
    }
}
