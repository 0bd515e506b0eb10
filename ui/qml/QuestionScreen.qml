import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import QtQuick.VirtualKeyboard.Settings

// One question per screen. Which input appears depends only on the question
// type the bridge reports; checking the answer happens in Python.
Flickable {
    id: flick
    contentWidth: width
    contentHeight: column.implicitHeight + 2 * Theme.margin
    clip: true
    boundsBehavior: Flickable.StopAtBounds
    ScrollIndicator.vertical: ScrollIndicator { active: flick.contentHeight > flick.height }

    readonly property string type: kiosk.questionType
    readonly property bool isChoice: type === "single_choice" || type === "multiple_choice" || type === "yes_no"
    readonly property bool isText: !isChoice && type !== "date" && type !== "" && type !== "signature" && type !== "document"
    // Height left for the options once the question, hint and error are laid out.
    readonly property real optionSpace: height - 2 * Theme.margin - optionGrid.y
    readonly property int optionCount: isChoice ? kiosk.options.length : 0
    // Fewest columns in which every option fits without scrolling. A row is as tall as its
    // longest label wrapped to the column (estimated from the label's length, so the choice
    // of columns never depends on the layout it produces).
    function optionRowsHeight(c) {
        var opts = kiosk.options
        var colWidth = (width - 2 * Theme.margin - (c - 1) * Theme.gap) / c
        var textWidth = colWidth - 4 * Theme.gap - Theme.body * 1.8 - 2 * Theme.body
        var perLine = Math.max(1, Math.floor(textWidth / (Theme.body * 0.58)))
        var total = 0
        for (var r = 0; r < Math.ceil(opts.length / c); ++r) {
            var lines = 1
            for (var i = r * c; i < Math.min(opts.length, (r + 1) * c); ++i)
                lines = Math.max(lines, Math.ceil(opts[i].label.length / perLine))
            total += Math.max(Theme.touch, lines * Theme.body * 1.4 + 2 * Theme.gap) + Theme.gap
        }
        return total
    }
    readonly property int optionColumns: {
        if (optionCount < 2) return 1
        var maxColumns = width >= 900 * Theme.u ? 3 : (width >= 600 ? 2 : 1)
        for (var c = 1; c <= maxColumns; ++c)
            if (optionRowsHeight(c) <= optionSpace) return c
        return maxColumns
    }

    // Keep the field being typed in in view when the page gets shorter (the keyboard opened).
    onHeightChanged: if (Qt.inputMethod.visible) keepFocusedFieldInView()  // qmllint disable missing-property
    function keepFocusedFieldInView() { if (field.activeFocus) ensureVisible(field); else if (area.activeFocus) ensureVisible(area) }
    // Keep the field in view when the on-screen keyboard takes the bottom half.
    function ensureVisible(item) {
        var p = item.mapToItem(column, 0, 0)
        if (p.y + item.height > contentY + height) contentY = Math.min(p.y + item.height - height + Theme.gap, contentHeight - height)
        else if (p.y < contentY) contentY = Math.max(0, p.y - Theme.gap)
    }

    ColumnLayout {
        id: column
        x: Theme.margin; y: Theme.margin
        width: flick.width - 2 * Theme.margin
        spacing: Theme.gap

        RowLayout {
            Layout.fillWidth: true
            spacing: Theme.margin
            Image {
                visible: kiosk.pictogram !== ""
                source: kiosk.pictogram
                Layout.preferredWidth: 96 * Theme.u; Layout.preferredHeight: 96 * Theme.u
                sourceSize.width: width; sourceSize.height: height
                Layout.alignment: Qt.AlignTop
                Accessible.ignored: true
            }
            Text {
                id: questionText
                objectName: "questionText"
                Layout.fillWidth: true
                text: kiosk.question
                font.pixelSize: Theme.large; font.bold: true
                color: Theme.text
                wrapMode: Text.Wrap
                Accessible.role: Accessible.Heading
                Accessible.name: text
                Accessible.focusable: true
            }
        }
        Text {
            objectName: "hintText"
            visible: text !== ""
            Layout.fillWidth: true
            text: kiosk.hint
            font.pixelSize: Theme.body
            color: Theme.secondaryText
            wrapMode: Text.Wrap
            Accessible.role: Accessible.StaticText
            Accessible.name: text
        }
        Rectangle { // the error, next to the field, in words a person understands
            objectName: "errorBox"
            visible: kiosk.error !== ""
            Layout.fillWidth: true
            implicitHeight: errorText.implicitHeight + 2 * Theme.gap
            color: Theme.errorBackground
            border.color: Theme.error; border.width: 3 * Theme.u
            radius: Theme.radius
            Text {
                id: errorText
                objectName: "errorText"
                anchors.fill: parent; anchors.margins: Theme.gap
                text: kiosk.error
                color: Theme.error
                font.pixelSize: Theme.body; font.bold: true
                wrapMode: Text.Wrap
                Accessible.role: Accessible.AlertMessage
                Accessible.name: text
            }
        }

        // Choices: one big button per option, in as many columns as it takes for every option
        // ("None of these", "I do not know") to be seen without scrolling.
        GridLayout {
            id: optionGrid
            objectName: "optionGrid"
            visible: flick.isChoice
            Layout.fillWidth: true
            columns: flick.optionColumns
            columnSpacing: Theme.gap; rowSpacing: Theme.gap
            Repeater {
                model: flick.isChoice ? kiosk.options : []
                BigButton {
                    required property var modelData
                    objectName: "option_" + modelData.value
                    Layout.fillWidth: true
                    Layout.fillHeight: true
                    Layout.preferredWidth: 1  // equal columns whatever the labels
                    // A mark as well as the colour: colour is never the only sign of the chosen answer.
                    text: (kiosk.questionType === "multiple_choice" ? (modelData.selected ? "☑  " : "☐  ")
                                                                    : (modelData.selected ? "◉  " : "○  ")) + modelData.label
                    Accessible.name: modelData.label
                    iconSource: modelData.pictogram
                    // A white plate behind a chosen answer's pictogram: blue on the blue selected fill would vanish.
                    iconPlate: modelData.selected ? "#ffffff" : "transparent"
                    alignStart: true
                    selected: modelData.selected
                    checkable: false
                    Accessible.role: kiosk.questionType === "multiple_choice" ? Accessible.CheckBox : Accessible.RadioButton
                    Accessible.checkable: true
                    Accessible.checked: modelData.selected
                    // The control's own state too: with the bridge on, AbstractButton copies it over Accessible.checked at creation.
                    checked: modelData.selected
                    onClicked: kiosk.chooseOption(modelData.value)
                }
            }
        }

        // A phone number or a number typed in an Arabic session: digits and spaces have no direction of their own,
        // so the field takes the keyboard's (right to left) and "+351 912 345 678" would show as "678 345 912 351+".
        // The digit pad of a left-to-right keyboard (the same keys) keeps the number in the order it is typed and
        // read; the answer itself is untouched (no direction marks in it).
        Binding {
            target: VirtualKeyboardSettings; property: "locale"; value: "en_GB"
            when: kiosk.rtl && field.visible && ["phone", "digits"].indexOf(kiosk.keypad) >= 0
        }
        // Text, numbers, phone, email, postcode, ID number.
        TextField {
            id: field
            objectName: "answerField"
            visible: flick.isText && kiosk.questionType !== "long_text"
            Layout.fillWidth: true
            // As tall as its text at every text size (at x2 a fixed height cut the typed answer in half).
            Layout.preferredHeight: Math.max(Theme.touch, implicitHeight)
            font.pixelSize: Theme.large
            text: kiosk.answerText
            maximumLength: kiosk.maxLength
            color: Theme.text
            inputMethodHints: kiosk.keypad === "phone" ? Qt.ImhDialableCharactersOnly
                            : kiosk.keypad === "number" ? Qt.ImhFormattedNumbersOnly
                            : kiosk.keypad === "digits" ? Qt.ImhDigitsOnly
                            : kiosk.keypad === "id" ? (Qt.ImhPreferUppercase | Qt.ImhNoPredictiveText)
                            : kiosk.keypad === "email" ? (Qt.ImhEmailCharactersOnly | Qt.ImhNoAutoUppercase)
                            : kiosk.keypad === "postcode" ? (Qt.ImhPreferNumbers | Qt.ImhNoPredictiveText)
                            : Qt.ImhNoPredictiveText
            Accessible.name: kiosk.question
            Accessible.role: Accessible.EditableText
            background: Rectangle {
                color: Theme.background
                border.width: field.activeFocus ? 5 * Theme.u : 3 * Theme.u
                border.color: kiosk.error !== "" ? Theme.error : (field.activeFocus ? Theme.selected : Theme.border)
                radius: Theme.radius / 2
                FocusRing { shown: field.activeFocus; cornerRadius: Theme.radius / 2 }
            }
            onTextEdited: kiosk.setAnswer(text)
            onAccepted: kiosk.next()
            onActiveFocusChanged: if (activeFocus) flick.ensureVisible(field)
        }
        TextArea {
            id: area
            objectName: "answerArea"
            visible: kiosk.questionType === "long_text"
            Layout.fillWidth: true
            Layout.preferredHeight: Theme.touch * 1.8
            font.pixelSize: Theme.body
            wrapMode: TextArea.Wrap
            text: kiosk.answerText
            color: Theme.text
            inputMethodHints: Qt.ImhNoPredictiveText
            Accessible.name: kiosk.question
            Accessible.role: Accessible.EditableText
            background: Rectangle {
                color: Theme.background
                border.width: area.activeFocus ? 5 * Theme.u : 3 * Theme.u
                border.color: kiosk.error !== "" ? Theme.error : (area.activeFocus ? Theme.selected : Theme.border)
                radius: Theme.radius / 2
                FocusRing { shown: area.activeFocus; cornerRadius: Theme.radius / 2 }
            }
            onTextChanged: if (activeFocus) kiosk.setAnswer(text)
            onActiveFocusChanged: if (activeFocus) flick.ensureVisible(area)
        }

        // A signature drawn with a finger; Python renders it (documents/signature.py).
        Loader {
            objectName: "signatureLoader"
            active: kiosk.questionType === "signature" && !documents.oralDone && !documents.oralAsked
            visible: active
            Layout.fillWidth: true
            // As tall as the screen leaves down to its bottom edge (Clear in view without scrolling), 200 to 340.
            Layout.preferredHeight: Math.max(200 * Theme.u, Math.min(340 * Theme.u, flick.height - Theme.margin - y))
            sourceComponent: Item {
                SignaturePad {
                    anchors.fill: parent
                    padLabel: kiosk.t["signature.pad"]
                    clearLabel: kiosk.t["signature.clear"]
                    onStrokesChanged: kiosk.setSignature(strokes, padWidth, padHeight)
                }
                // "I cannot sign" (where the definition allows an oral agreement), across from Clear.
                BigButton {
                    objectName: "cannotSign"
                    visible: documents.oralAllowed
                    anchors.left: parent.left; anchors.bottom: parent.bottom
                    text: kiosk.t["signature.cannot_sign"]
                    Accessible.name: kiosk.t["signature.cannot_sign"]
                    Accessible.description: kiosk.t["signature.oral_hint"]
                    onClicked: documents.askOral()
                }
            }
        }
        // After "I cannot sign": waiting for the helper, then what they noted.
        SignatureOral {
            visible: kiosk.questionType === "signature" && (documents.oralAsked || documents.oralDone)
            Layout.fillWidth: true
        }

        // A document's pages: scanner, camera, USB stick (ui/documents_bridge.py).
        Loader {
            id: documentLoader
            objectName: "documentLoader"
            active: kiosk.questionType === "document"
            visible: active
            Layout.fillWidth: true  // and as tall as the pages need (the Loader takes its item's implicit height)
            sourceComponent: DocumentQuestion { room: flick.height - Theme.margin - documentLoader.y }
        }

        // Dates: day, month, year in three boxes with a numeric keypad.
        RowLayout {
            visible: kiosk.questionType === "date"
            Layout.fillWidth: true
            spacing: Theme.gap
            // Day first in reading order: leftmost in LTR, rightmost in RTL.
            Repeater {
                id: dateParts
                model: [
                    {"name": "day", "label": kiosk.t["date.day"], "len": 2},
                    {"name": "month", "label": kiosk.t["date.month"], "len": 2},
                    {"name": "year", "label": kiosk.t["date.year"], "len": 4}
                ]
                ColumnLayout {
                    required property var modelData
                    required property int index
                    property alias value: part.text
                    spacing: Theme.gap / 2
                    Text { text: modelData.label; font.pixelSize: Theme.body; color: Theme.text }
                    TextField {
                        id: part
                        objectName: modelData.name + "Field"
                        // Never smaller than its own text, at every text size.
                        Layout.preferredWidth: Math.max((modelData.len === 4 ? 160 : 110) * Theme.u, implicitWidth)
                        Layout.preferredHeight: Math.max(Theme.touch, implicitHeight)
                        font.pixelSize: Theme.large
                        maximumLength: modelData.len
                        inputMethodHints: Qt.ImhDigitsOnly
                        color: Theme.text
                        Accessible.name: modelData.label
                        Accessible.role: Accessible.EditableText
                        text: kiosk.dateParts[index]
                        background: Rectangle {
                            color: Theme.background
                            border.width: part.activeFocus ? 5 * Theme.u : 3 * Theme.u
                            border.color: kiosk.error !== "" ? Theme.error : (part.activeFocus ? Theme.selected : Theme.border)
                            radius: Theme.radius / 2
                            FocusRing { shown: part.activeFocus; cornerRadius: Theme.radius / 2 }
                        }
                        onTextEdited: kiosk.setDateAnswer(dateParts.itemAt(0).value, dateParts.itemAt(1).value, dateParts.itemAt(2).value)
                        onActiveFocusChanged: if (activeFocus) flick.ensureVisible(part)
                    }
                }
            }
            Item { Layout.fillWidth: true }
        }
    }
}
