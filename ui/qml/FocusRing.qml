import QtQuick

// The keyboard focus indicator of every control: a thick dark outline holding a yellow line, with a
// thin dark line next to the control (GOV.UK style). On a light page the dark outline stands out, on
// a dark band or in high contrast the yellow does, and on a yellow button the inner dark line does:
// whatever it sits on, some part of it contrasts at least 3:1 (tests/test_focus.py measures it).
// Put it inside the control's background; it is drawn outside the control's edge.
Rectangle {
    id: ring
    objectName: "focusRing"
    property bool shown: false
    property real cornerRadius: Theme.radius
    readonly property real band: Math.max(2, Math.round(3 * Theme.u))
    readonly property color outerColor: "#0b0c0c"
    readonly property color middleColor: "#ffdd00"
    readonly property color innerColor: "#0b0c0c"
    visible: shown
    anchors.fill: parent
    anchors.margins: -3 * band
    radius: cornerRadius + 3 * band
    color: "transparent"
    border.width: band
    border.color: outerColor
    Rectangle {
        anchors.fill: parent; anchors.margins: ring.band
        radius: ring.cornerRadius + 2 * ring.band
        color: "transparent"
        border.width: ring.band; border.color: ring.middleColor
        Rectangle {
            anchors.fill: parent; anchors.margins: ring.band
            radius: ring.cornerRadius + ring.band
            color: "transparent"
            border.width: ring.band; border.color: ring.innerColor
        }
    }
}
