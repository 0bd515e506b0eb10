import QtQuick
import QtQuick.Controls
import QtQuick.Layouts

// Mediator sign-in: choose the account (by initials: anyone can open this pad),
// then the PIN on a keypad whose digits move on every attempt. QML only sends
// key positions; the digits and the PIN's length limits stay in Python.
Rectangle {
    id: pad
    objectName: "pinPad"
    // The sign-in pad by default; the console reuses it to confirm closing the day (its own PinEntry, its
    // own title, and Cancel goes back to the console instead of ending the sign-in).
    property var pin: mediator.pin
    property string title: mediator.t["m.pin.title"]
    property string submitText: mediator.t["m.pin.ok"]
    property bool signInPad: true
    signal cancelled()
    color: Theme.background
    radius: Theme.radius
    border.color: Theme.border; border.width: 3
    implicitWidth: 560
    implicitHeight: column.implicitHeight + 48
    LayoutMirroring.enabled: false
    LayoutMirroring.childrenInherit: true

    ColumnLayout {
        id: column
        anchors.fill: parent
        anchors.margins: 24
        spacing: 12

        Text {
            objectName: "pinTitle"
            text: pad.title
            font.pixelSize: 30; font.bold: true; color: Theme.text
            Layout.fillWidth: true; wrapMode: Text.Wrap
            Accessible.role: Accessible.Heading
            Accessible.name: text
        }
        Flow {
            Layout.fillWidth: true
            spacing: 8
            visible: pad.pin.accounts.length > 1
            Repeater {
                model: pad.pin.accounts
                MediatorButton {
                    required property var modelData
                    objectName: "pinAccount_" + modelData.index
                    text: modelData.label
                    selected: pad.pin.selectedAccount === modelData.index
                    enabled: !pad.pin.busy
                    onClicked: pad.pin.selectAccount(modelData.index)
                }
            }
        }
        Text {
            objectName: "pinPrompt"
            text: pad.pin.prompt
            font.pixelSize: 24; color: Theme.text
            Layout.fillWidth: true; wrapMode: Text.Wrap
        }
        Row { // the PIN as dots: its length only
            objectName: "pinDots"
            Layout.alignment: Qt.AlignHCenter
            Layout.preferredHeight: 28
            spacing: 12
            Accessible.role: Accessible.StaticText
            Accessible.name: pad.pin.digitsTyped
            Repeater {
                model: pad.pin.length
                Rectangle { width: 22; height: 22; radius: 11; color: Theme.text }
            }
        }
        GridLayout {
            objectName: "pinKeys"
            Layout.alignment: Qt.AlignHCenter
            columns: 3
            columnSpacing: 10; rowSpacing: 10
            enabled: !pad.pin.locked && !pad.pin.busy && pad.pin.selectedAccount >= 0
            Repeater {
                model: 9
                MediatorButton {
                    required property int index
                    objectName: "pinKey_" + index
                    Layout.preferredWidth: 120; Layout.preferredHeight: 64
                    text: pad.pin.keypad[index]
                    fontSize: 30
                    // Named by the digit it shows (the keys move, so "key 3" tells a reader nothing); a
                    // digit is read in the reader's own language.
                    Accessible.role: Accessible.Button
                    Accessible.name: text
                    onClicked: pad.pin.pressKey(index)
                }
            }
            MediatorButton {
                objectName: "pinClear"
                Layout.preferredWidth: 120; Layout.preferredHeight: 64
                text: mediator.t["m.pin.clear"]
                Accessible.role: Accessible.Button
                Accessible.name: text
                onClicked: pad.pin.clear()
            }
            MediatorButton {
                objectName: "pinKey_9"
                Layout.preferredWidth: 120; Layout.preferredHeight: 64
                text: pad.pin.keypad[9]
                fontSize: 30
                Accessible.role: Accessible.Button
                Accessible.name: text
                onClicked: pad.pin.pressKey(9)
            }
            MediatorButton {
                objectName: "pinDelete"
                Layout.preferredWidth: 120; Layout.preferredHeight: 64
                text: "⌫ " + mediator.t["m.pin.delete"]
                Accessible.role: Accessible.Button
                Accessible.name: mediator.t["m.pin.delete"]  // what it does, without the glyph
                onClicked: pad.pin.deleteDigit()
            }
        }
        Text {
            objectName: "pinMessage"
            visible: text !== ""
            text: pad.pin.busy ? mediator.t["m.pin.checking"] : pad.pin.message
            color: Theme.error; font.pixelSize: 22; font.bold: true
            Layout.fillWidth: true; wrapMode: Text.Wrap
        }
        Text {
            text: mediator.t["m.pin.keypad_note"]
            color: Theme.secondaryText; font.pixelSize: 18
            Layout.fillWidth: true; wrapMode: Text.Wrap
        }
        RowLayout {
            Layout.fillWidth: true
            spacing: 12
            MediatorButton {
                objectName: "pinCancel"
                Layout.fillWidth: true; Layout.preferredHeight: 64
                text: mediator.t["m.pin.cancel"]
                onClicked: pad.signInPad ? mediator.cancelPin() : pad.cancelled()
            }
            MediatorButton {
                objectName: "pinSubmit"
                Layout.fillWidth: true; Layout.preferredHeight: 64
                text: pad.submitText
                fill: Theme.primary; ink: Theme.primaryText
                enabled: pad.pin.length >= pad.pin.minLength && !pad.pin.locked && !pad.pin.busy
                onClicked: pad.pin.submit()
            }
        }
    }
}
