import QtQuick
import QtQuick.Layouts

// A signature pad: a finger (or the mouse) draws strokes on white. The strokes, in the pad's pixels, go to
// Python, which renders the PNG and SVG that are sent (documents/signature.py); the pad only collects points.
// Its words arrive as properties: no user-facing English here.
ColumnLayout {
    id: pad
    objectName: "signaturePad"
    spacing: Theme.gap

    property var strokes: []            // [[[x, y], ...], ...], replaced (never edited in place) at each stroke end
    property string padLabel: ""        // e.g. "Sign here with your finger"
    property string clearLabel: ""      // e.g. "Clear"
    readonly property bool empty: strokes.length === 0
    readonly property real padWidth: area.width
    readonly property real padHeight: area.height
    property var _current: null         // the stroke being drawn

    function clear() {
        _current = null
        strokes = []
        canvas.requestPaint()
    }

    Rectangle {
        Layout.fillWidth: true
        Layout.fillHeight: true
        Layout.minimumHeight: 120 * Theme.u  // lower on a small screen with a long question: Clear stays in view
        color: "white"
        border.color: Theme.text; border.width: 2 * Theme.u
        radius: Theme.radius
        Accessible.role: Accessible.Canvas
        Accessible.name: pad.padLabel

        Canvas {
            id: canvas
            anchors.fill: parent
            onPaint: {
                var ctx = getContext("2d")
                ctx.reset()
                ctx.strokeStyle = "black"
                ctx.lineWidth = 4
                ctx.lineCap = "round"; ctx.lineJoin = "round"
                var all = pad._current ? pad.strokes.concat([pad._current]) : pad.strokes
                for (var i = 0; i < all.length; ++i) {
                    var s = all[i]
                    ctx.beginPath()
                    ctx.moveTo(s[0][0], s[0][1])
                    for (var j = 1; j < s.length; ++j) ctx.lineTo(s[j][0], s[j][1])
                    if (s.length === 1) ctx.lineTo(s[0][0] + 0.1, s[0][1])
                    ctx.stroke()
                }
            }
        }
        MultiPointTouchArea {
            id: area
            objectName: "signatureArea"
            anchors.fill: parent
            maximumTouchPoints: 1
            mouseEnabled: true
            // On a page that scrolls, a steep stroke must draw, not scroll the page: keep the finger.
            onGestureStarted: (gesture) => gesture.grab()
            onPressed: (points) => {
                pad._current = [[points[0].x, points[0].y]]
                canvas.requestPaint()
            }
            onUpdated: (points) => {
                if (!pad._current) return
                pad._current.push([points[0].x, points[0].y])
                canvas.requestPaint()
            }
            onReleased: (points) => {
                if (!pad._current) return
                var last = pad._current[pad._current.length - 1]
                if (points.length && (points[0].x !== last[0] || points[0].y !== last[1]))
                    pad._current.push([points[0].x, points[0].y])
                pad.strokes = pad.strokes.concat([pad._current])
                pad._current = null
                canvas.requestPaint()
            }
        }
    }
    BigButton {
        objectName: "signatureClear"
        Layout.alignment: Qt.AlignRight
        text: pad.clearLabel
        Accessible.name: pad.clearLabel
        enabled: !pad.empty
        onClicked: pad.clear()
    }
}
