import QtQuick
import QtQuick.Controls
import QtQuick.Layouts

// After Send: the reference number in large type (the one thing to take away), then what
// happens next, what it costs and how to follow up, from the service definition. Side by side
// on a wide screen; one under the other (scrolling if it must) on a narrow one. Finish stays in view.
Item {
    ColumnLayout {
        anchors.fill: parent
        spacing: 0
        Flickable {
            Layout.fillWidth: true
            Layout.fillHeight: true
            id: flick
            objectName: "donePage"
            contentWidth: width
            contentHeight: grid.implicitHeight + 2 * Theme.margin
            clip: true
            boundsBehavior: Flickable.StopAtBounds
            ScrollIndicator.vertical: ScrollIndicator { active: flick.contentHeight > flick.height }
            // Side by side only while both columns hold their words: bigger text goes one under the other.
            readonly property bool wide: width > 1100 * Theme.u * Theme.textScale

            GridLayout {
                id: grid
                x: Theme.margin; y: Theme.margin
                width: flick.width - 2 * Theme.margin
                columns: flick.wide ? 2 : 1
                columnSpacing: 2 * Theme.margin; rowSpacing: Theme.margin

                ColumnLayout {
                    Layout.fillWidth: true
                    Layout.preferredWidth: 1
                    Layout.alignment: Qt.AlignTop
                    spacing: Theme.margin * 0.75
                    Text {
                        objectName: "screenTitle"
                        Layout.fillWidth: true
                        text: "✓  " + kiosk.t["done.title"]
                        font.pixelSize: Theme.large; font.bold: true; color: Theme.primary; wrapMode: Text.Wrap
                        horizontalAlignment: Text.AlignLeft
                        Accessible.role: Accessible.Heading
                        Accessible.name: kiosk.t["done.title"]
                    }
                    Text {
                        Layout.fillWidth: true
                        text: kiosk.t["done.reference_intro"]
                        font.pixelSize: Theme.body; color: Theme.text; wrapMode: Text.Wrap
                        horizontalAlignment: Text.AlignLeft
                    }
                    Rectangle {
                        Layout.alignment: Qt.AlignLeft
                        Layout.maximumWidth: parent.width
                        implicitWidth: referenceText.implicitWidth + 2 * Theme.margin
                        implicitHeight: referenceText.implicitHeight + Theme.margin
                        color: Theme.background; border.color: Theme.text; border.width: 4 * Theme.u; radius: Theme.radius
                        Text {
                            id: referenceText
                            objectName: "referenceText"
                            anchors.centerIn: parent
                            text: kiosk.reference
                            font.pixelSize: Math.min(Theme.huge * 1.3, (flick.width - 6 * Theme.margin) / 7)
                            font.bold: true; font.family: "DejaVu Sans Mono"
                            font.letterSpacing: 6 * Theme.u
                            color: Theme.text
                            LayoutMirroring.enabled: false
                            Accessible.role: Accessible.StaticText
                            Accessible.name: kiosk.t["done.reference_intro"] + " " + kiosk.reference.split("").join(" ")
                        }
                    }
                    Text {
                        Layout.fillWidth: true
                        text: kiosk.t["done.reference_help"]
                        font.pixelSize: Theme.body; color: Theme.text; wrapMode: Text.Wrap
                        horizontalAlignment: Text.AlignLeft
                    }
                    FeedbackCard { Layout.fillWidth: true; Layout.topMargin: Theme.gap }  // optional; never blocks Finish
                }

                ColumnLayout {
                    objectName: "afterSubmit"
                    Layout.fillWidth: true
                    Layout.preferredWidth: 1
                    Layout.alignment: Qt.AlignTop
                    spacing: Theme.gap
                    visible: kiosk.nextSteps !== "" || kiosk.followUp.length > 0 || kiosk.cost !== ""
                             || (typeof receipt !== "undefined" && receipt !== null && receipt.available)
                    Text {
                        Layout.fillWidth: true
                        visible: kiosk.nextSteps !== ""
                        text: kiosk.t["done.next_title"]
                        font.pixelSize: Theme.body; font.bold: true; color: Theme.text; wrapMode: Text.Wrap
                        horizontalAlignment: Text.AlignLeft
                        Accessible.role: Accessible.Heading
                        Accessible.name: text
                    }
                    Text {
                        objectName: "nextStepsText"
                        Layout.fillWidth: true
                        visible: text !== ""
                        text: kiosk.nextSteps
                        font.pixelSize: Theme.body; color: Theme.text; wrapMode: Text.Wrap
                        horizontalAlignment: Text.AlignLeft
                    }
                    Text {
                        Layout.fillWidth: true
                        visible: kiosk.cost !== ""
                        text: kiosk.t["done.cost"]
                        font.pixelSize: Theme.body; font.bold: true; color: Theme.text; wrapMode: Text.Wrap
                        horizontalAlignment: Text.AlignLeft
                    }
                    Text {
                        objectName: "doneCostText"
                        Layout.fillWidth: true
                        visible: text !== ""
                        text: kiosk.cost
                        font.pixelSize: Theme.body; color: Theme.text; wrapMode: Text.Wrap
                        horizontalAlignment: Text.AlignLeft
                    }
                    Text {
                        Layout.fillWidth: true
                        visible: kiosk.followUp.length > 0
                        text: kiosk.t["done.follow_title"]
                        font.pixelSize: Theme.body; font.bold: true; color: Theme.text; wrapMode: Text.Wrap
                        horizontalAlignment: Text.AlignLeft
                    }
                    Repeater {
                        model: kiosk.followUp
                        Text {
                            required property var modelData
                            objectName: "followUp_" + modelData.kind
                            Layout.fillWidth: true
                            text: modelData.label + ": " + modelData.text
                            font.pixelSize: Theme.body; color: Theme.text; wrapMode: Text.Wrap
                            horizontalAlignment: Text.AlignLeft
                            Accessible.role: Accessible.StaticText
                            Accessible.name: text
                        }
                    }
                    // The receipt (QR code, print) after the words, so Finish stays in view on a wide screen.
                    ReceiptCard { Layout.fillWidth: true; Layout.topMargin: Theme.gap }
                }
            }
        }

        // Finish, always in view (the page above may scroll on a small screen).
        Rectangle {
            Layout.fillWidth: true
            Layout.preferredHeight: finishButton.implicitHeight + 2 * Theme.gap
            color: Theme.secondary
            BigButton {
                id: finishButton
                objectName: "finishButton"
                anchors.centerIn: parent
                width: Math.min(parent.width - 2 * Theme.gap, Math.max(implicitWidth, 360 * Theme.u))
                text: kiosk.t["done.finish"]
                fill: Theme.primary; ink: Theme.primaryText
                fontSize: Theme.large
                onClicked: kiosk.finish()
            }
        }
    }
}
