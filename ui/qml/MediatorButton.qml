import QtQuick
import QtQuick.Controls

// A compact button for mediator-facing screens: at least 48 px tall (touch target >= 44 px).
AbstractButton {
    id: control
    property color fill: Theme.secondary
    property color ink: Theme.text
    property bool selected: false
    property real fontSize: 20
    implicitHeight: Math.max(48, label.implicitHeight + 16)
    implicitWidth: Math.max(64, label.implicitWidth + 28)
    focusPolicy: Qt.StrongFocus
    Accessible.role: Accessible.Button
    Accessible.name: text
    background: Rectangle {
        radius: 8
        color: control.selected ? Theme.selected : control.fill
        opacity: control.enabled ? 1.0 : 0.45
        border.width: 2
        border.color: Theme.border
        Rectangle { anchors.fill: parent; radius: parent.radius; color: "#000000"; opacity: control.down ? 0.18 : 0 }
        FocusRing { shown: control.visualFocus; cornerRadius: 8 }
    }
    contentItem: Text {
        id: label
        text: control.text
        color: control.selected ? Theme.selectedText : control.ink
        font.pixelSize: control.fontSize
        font.bold: true
        wrapMode: Text.Wrap
        horizontalAlignment: Text.AlignHCenter
        verticalAlignment: Text.AlignVCenter
    }
}
