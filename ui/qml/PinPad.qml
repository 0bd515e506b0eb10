import QtQuick
import QtQuick.Controls
import QtQuick.Layouts

// Mediator sign-in: choose the account, then the PIN on a keypad whose digits
// move on every attempt. QML only sends key positions; the digits stay in Python.
Rectangle {
    id: pad
    objectName: "pinPad"
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
            text: mediator.t["m.pin.title"]
            font.pixelSize: 30; font.bold: true; color: Theme.text
            Layout.fillWidth: true
        }
        Flow {
            Layout.fillWidth: true
            spacing: 8
            visible: mediator.accounts.length > 1
            Repeater {
                model: mediator.accounts
                MediatorButton {
                    required property var modelData
                    objectName: "pinAccount_" + modelData.id
                    text: modelData.name
                    selected: mediator.selectedAccount === modelData.id
                    onClicked: mediator.selectAccount(modelData.id)
                }
            }
        }
        Text {
            objectName: "pinPrompt"
            text: mediator.pinPrompt
            font.pixelSize: 24; color: Theme.text
            Layout.fillWidth: true; wrapMode: Text.Wrap
        }
        Row { // the PIN as dots: its length only
            objectName: "pinDots"
            Layout.alignment: Qt.AlignHCenter
            Layout.preferredHeight: 28
            spacing: 12
            Accessible.name: mediator.pinLength + " digits"
            Repeater {
                model: mediator.pinLength
                Rectangle { width: 22; height: 22; radius: 11; color: Theme.text }
            }
        }
        GridLayout {
            objectName: "pinKeys"
            Layout.alignment: Qt.AlignHCenter
            columns: 3
            columnSpacing: 10; rowSpacing: 10
            enabled: !mediator.pinLocked && mediator.selectedAccount !== ""
            Repeater {
                model: 9
                MediatorButton {
                    required property int index
                    objectName: "pinKey_" + index
                    Layout.preferredWidth: 120; Layout.preferredHeight: 64
                    text: mediator.keypad[index]
                    fontSize: 30
                    Accessible.name: "key " + (index + 1)
                    onClicked: mediator.pressKey(index)
                }
            }
            MediatorButton {
                objectName: "pinClear"
                Layout.preferredWidth: 120; Layout.preferredHeight: 64
                text: mediator.t["m.pin.clear"]
                onClicked: mediator.clearPin()
            }
            MediatorButton {
                objectName: "pinKey_9"
                Layout.preferredWidth: 120; Layout.preferredHeight: 64
                text: mediator.keypad[9]
                fontSize: 30
                Accessible.name: "key 10"
                onClicked: mediator.pressKey(9)
            }
            MediatorButton {
                objectName: "pinDelete"
                Layout.preferredWidth: 120; Layout.preferredHeight: 64
                text: "⌫ " + mediator.t["m.pin.delete"]
                Accessible.name: mediator.t["m.pin.delete"]
                onClicked: mediator.deleteDigit()
            }
        }
        Text {
            objectName: "pinMessage"
            visible: text !== ""
            text: mediator.pinMessage
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
                onClicked: mediator.cancelPin()
            }
            MediatorButton {
                objectName: "pinSubmit"
                Layout.fillWidth: true; Layout.preferredHeight: 64
                text: mediator.t["m.pin.ok"]
                fill: Theme.primary; ink: Theme.primaryText
                enabled: mediator.pinLength >= 6 && !mediator.pinLocked
                onClicked: mediator.submitPin()
            }
        }
    }
}
