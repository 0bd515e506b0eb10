import QtQuick
import QtQuick.Controls
import QtQuick.Layouts

// "How was it?" on the confirmation screen: five large faces, each with its word, then
// optionally one reason from the short list (or Skip), then "Thank you". Entirely optional:
// nothing here stands in the way of Finish. The answer is anonymous (FeedbackBridge queues it);
// the bridge forgets it at the wipe, and this card forgets the face picked with it.
ColumnLayout {
    id: card
    objectName: "feedbackCard"
    visible: typeof feedback !== "undefined" && feedback !== null
    spacing: Theme.gap

    // The face picked, waiting for a reason or Skip (0: none yet).
    property int face: 0
    readonly property bool given: visible && feedback.given

    Connections {
        target: kiosk
        function onRestarted() { card.face = 0 }
    }

    Text {
        Layout.fillWidth: true
        text: card.given ? kiosk.t["feedback.thanks"]
              : card.face === 0 ? kiosk.t["feedback.title"] : kiosk.t["feedback.reason_title"]
        objectName: card.given ? "feedbackThanks" : "feedbackTitle"
        font.pixelSize: Theme.body; font.bold: true; color: Theme.text; wrapMode: Text.Wrap
        horizontalAlignment: Text.AlignLeft
        Accessible.role: card.given ? Accessible.StaticText : Accessible.Heading
        Accessible.name: text
    }

    // The five faces, 1 very bad ... 5 very good.
    RowLayout {
        Layout.fillWidth: true
        visible: !card.given && card.face === 0
        spacing: Theme.gap
        Repeater {
            model: card.visible ? feedback.faces : []
            Rectangle {
                id: faceButton
                required property int modelData
                objectName: "feedbackFace_" + modelData
                Layout.fillWidth: true
                Layout.preferredWidth: 1
                Layout.maximumWidth: Math.round(140 * Theme.u)
                implicitHeight: Math.max(Theme.touch, faceColumn.implicitHeight + Theme.gap)
                radius: Theme.radius
                color: faceArea.pressed ? Theme.selected : Theme.secondary
                border.color: Theme.border; border.width: Math.round(2 * Theme.u)
                Accessible.role: Accessible.Button
                Accessible.name: kiosk.t["feedback.face." + modelData]
                Accessible.onPressAction: card.face = modelData

                Column {
                    id: faceColumn
                    anchors.horizontalCenter: parent.horizontalCenter
                    y: Theme.gap / 2
                    width: parent.width - Theme.gap / 2
                    spacing: Math.round(4 * Theme.u)
                    Canvas {
                        // A drawn face: the same on every screen, no emoji font needed.
                        id: drawn
                        anchors.horizontalCenter: parent.horizontalCenter
                        width: Math.round(48 * Theme.u); height: width
                        property color ink: faceArea.pressed ? Theme.selectedText : Theme.text
                        onInkChanged: requestPaint()
                        onPaint: {
                            var c = getContext("2d"), w = width, s = w / 48
                            c.reset()
                            c.strokeStyle = ink; c.fillStyle = ink; c.lineWidth = 3 * s
                            c.beginPath(); c.arc(w / 2, w / 2, w / 2 - 2 * s, 0, 2 * Math.PI); c.stroke()
                            c.beginPath(); c.arc(w * 0.35, w * 0.4, 3 * s, 0, 2 * Math.PI); c.fill()
                            c.beginPath(); c.arc(w * 0.65, w * 0.4, 3 * s, 0, 2 * Math.PI); c.fill()
                            var bend = (faceButton.modelData - 3) * 5 * s  // down for bad, up for good
                            c.beginPath(); c.moveTo(w * 0.3, w * 0.66)
                            c.quadraticCurveTo(w / 2, w * 0.66 + bend, w * 0.7, w * 0.66); c.stroke()
                        }
                    }
                    Text {
                        width: parent.width
                        text: kiosk.t["feedback.face." + faceButton.modelData]
                        font.pixelSize: Theme.small
                        color: faceArea.pressed ? Theme.selectedText : Theme.text
                        wrapMode: Text.Wrap; horizontalAlignment: Text.AlignHCenter
                    }
                }
                MouseArea {
                    id: faceArea
                    anchors.fill: parent
                    onClicked: card.face = faceButton.modelData
                }
            }
        }
    }

    // Then, optionally, one reason; Skip sends the face alone.
    Flow {
        Layout.fillWidth: true
        visible: !card.given && card.face !== 0
        spacing: Theme.gap
        Repeater {
            model: card.visible ? feedback.reasons : []
            BigButton {
                required property string modelData
                objectName: "feedbackReason_" + modelData
                width: Math.min(implicitWidth, card.width)
                text: kiosk.t["feedback.reason." + modelData]
                fontSize: Theme.small
                onClicked: feedback.give(card.face, modelData)
            }
        }
        BigButton {
            objectName: "feedbackSkip"
            width: Math.min(implicitWidth, card.width)
            text: kiosk.t["feedback.skip"]
            fontSize: Theme.small
            fill: Theme.selected; ink: Theme.selectedText
            onClicked: feedback.give(card.face, "")
        }
    }
}
