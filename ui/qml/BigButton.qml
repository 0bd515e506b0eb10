import QtQuick
import QtQuick.Controls

// A large, high-contrast touch target with a visible focus ring.
AbstractButton {
    id: control
    property color fill: Theme.secondary
    property color ink: Theme.text
    property bool selected: false
    property string iconSource: ""
    property color iconPlate: "transparent"   // a rounded plate behind the icon (keeps it visible on a selected fill)
    property real fontSize: Theme.body
    property bool alignStart: false   // lists of options read better from the start edge
    property real sidePadding: 1.5 * Theme.gap   // space each side of the label (less in a crowded header)
    readonly property real iconSize: iconSource !== "" ? fontSize * 1.8 : 0
    // Natural size from the unwrapped label (not from the Row, whose width depends on ours).
    implicitHeight: Math.max(Theme.touch, content.implicitHeight + 2 * Theme.gap)
    implicitWidth: Math.max(Theme.touch * 2, label.implicitWidth + iconSize + (iconSize ? Theme.gap : 0) + 2 * sidePadding)
    focusPolicy: Qt.StrongFocus
    Accessible.role: Accessible.Button
    Accessible.name: text

    background: Rectangle {
        radius: Theme.radius
        color: control.selected ? Theme.selected : control.fill
        opacity: control.enabled ? 1.0 : 0.45
        border.width: Math.round(2 * Theme.u)
        border.color: Theme.border
        Rectangle { // pressed feedback
            anchors.fill: parent; radius: parent.radius
            color: "#000000"; opacity: control.down ? 0.18 : 0
        }
        FocusRing { shown: control.visualFocus }
    }
    contentItem: Item {
        implicitWidth: content.implicitWidth
        implicitHeight: content.implicitHeight
        Row {
            id: content
            anchors.horizontalCenter: control.alignStart ? undefined : parent.horizontalCenter
            anchors.left: control.alignStart ? parent.left : undefined
            anchors.leftMargin: Theme.gap
            anchors.verticalCenter: parent.verticalCenter
            spacing: Theme.gap
            Image {
                visible: control.iconSource !== ""
                source: control.iconSource
                width: control.iconSize; height: width
                sourceSize.width: width; sourceSize.height: height
                anchors.verticalCenter: parent.verticalCenter
                Rectangle { // drawn beneath the icon (negative z), outside the Row's layout
                    z: -1
                    anchors.fill: parent; anchors.margins: -Math.round(Theme.gap / 3)
                    radius: Theme.radius; color: control.iconPlate
                }
            }
            Text {
                id: label
                text: control.text
                color: control.selected ? Theme.selectedText : control.ink
                font.pixelSize: control.fontSize
                font.bold: true
                wrapMode: Text.Wrap
                width: Math.min(implicitWidth, control.width - 2 * control.sidePadding - control.iconSize - (control.iconSize ? Theme.gap : 0))
                horizontalAlignment: control.alignStart ? Text.AlignLeft : Text.AlignHCenter
                anchors.verticalCenter: parent.verticalCenter
            }
        }
    }
}
