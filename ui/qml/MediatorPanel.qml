import QtQuick
import QtQuick.Controls
import QtQuick.Layouts

// The mediator's side sheet: what the service requires (first, whole), plain-language
// notes for the current question and the answers so far. Mediator-facing, so always
// left-to-right in the mediator's language, at the citizen screen's text sizes (Theme).
Rectangle {
    id: panel
    objectName: "mediatorPanel"
    color: "#f3f6f9"
    border.color: Theme.band; border.width: 3
    LayoutMirroring.enabled: false
    LayoutMirroring.childrenInherit: true
    readonly property var p: mediator.assist.panel

    ColumnLayout {
        anchors.fill: parent
        anchors.margins: Theme.gap
        spacing: Theme.gap / 2

        RowLayout {
            Layout.fillWidth: true
            Text {
                objectName: "panelTitle"
                Layout.fillWidth: true
                text: mediator.t["m.panel.title"].replace("{name}", mediator.signIn.mediatorName)
                font.pixelSize: Theme.body; font.bold: true; color: Theme.band
                wrapMode: Text.Wrap
            }
            MediatorButton {
                objectName: "panelHide"
                Layout.alignment: Qt.AlignTop
                fontSize: Theme.small
                text: mediator.t["m.panel.hide"]
                onClicked: mediator.hidePanel()
            }
        }
        Text {
            objectName: "panelMode"
            Layout.fillWidth: true
            text: panel.p.mode
            wrapMode: Text.Wrap
            font.pixelSize: Theme.small; font.bold: true
            color: mediator.assist.mayFill ? Theme.primary : Theme.secondaryText
        }

        Flickable {
            id: panelScroll
            objectName: "panelScroll"
            Layout.fillWidth: true
            Layout.fillHeight: true
            clip: true
            contentHeight: body.implicitHeight
            boundsBehavior: Flickable.StopAtBounds
            // Always shown when there is more below: a line cut at the edge must not look like the end.
            ScrollBar.vertical: ScrollBar {
                objectName: "panelScrollBar"
                policy: panelScroll.contentHeight > panelScroll.height + 1 ? ScrollBar.AlwaysOn : ScrollBar.AlwaysOff
                width: Math.round(12 * Theme.u)
            }

            ColumnLayout {
                id: body
                width: parent.width - Math.round(14 * Theme.u)
                spacing: Theme.gap / 2

                Text {
                    visible: !panel.p.hasJourney
                    text: mediator.t["m.panel.no_journey"]
                    font.pixelSize: Theme.body; color: Theme.secondaryText
                    Layout.fillWidth: true; wrapMode: Text.Wrap
                }
                Text {
                    objectName: "panelService"
                    visible: panel.p.service !== ""
                    text: panel.p.service
                    font.pixelSize: Theme.body; font.bold: true; color: Theme.text
                    Layout.fillWidth: true; wrapMode: Text.Wrap
                }
                // What to have at hand comes first and whole (wrapped, never cut), above the notes.
                Text {
                    objectName: "panelRequirementsTitle"
                    visible: panel.p.hasJourney
                    text: mediator.t["m.panel.requirements"]
                    font.pixelSize: Theme.small; font.bold: true; color: Theme.text
                    Layout.fillWidth: true; wrapMode: Text.Wrap
                }
                Text {
                    objectName: "panelRequirements"
                    visible: panel.p.hasJourney
                    text: panel.p.requirements !== "" ? panel.p.requirements : mediator.t["m.panel.no_requirements"]
                    font.pixelSize: Theme.body; color: Theme.text
                    Layout.fillWidth: true; wrapMode: Text.Wrap
                }
                // A notice (no microphone, a refused action) comes after what the citizen needs, so that
                // stays whole at 1024x768; it is still in view without scrolling at 1366x768.
                Text {
                    objectName: "panelVoiceNotice"
                    Layout.fillWidth: true
                    visible: mediator.notice !== ""
                    text: mediator.notice
                    wrapMode: Text.Wrap
                    font.pixelSize: Theme.small; color: Theme.error
                }
                Text {
                    visible: panel.p.question !== ""
                    text: mediator.t["m.panel.question"] + ": " + panel.p.question
                    font.pixelSize: Theme.body; color: Theme.text
                    Layout.fillWidth: true; wrapMode: Text.Wrap
                }
                Rectangle {
                    visible: panel.p.hasJourney && panel.p.question !== ""
                    Layout.fillWidth: true
                    implicitHeight: notes.implicitHeight + 2 * Theme.gap
                    color: "#fff7bf"; radius: Theme.radius / 2; border.color: "#c9a800"
                    Column {
                        id: notes
                        anchors.left: parent.left; anchors.right: parent.right; anchors.top: parent.top
                        anchors.margins: Theme.gap
                        spacing: Theme.gap / 4
                        Text { width: parent.width; text: mediator.t["m.panel.notes"]; font.pixelSize: Theme.small; font.bold: true; color: Theme.text; wrapMode: Text.Wrap }
                        Text {
                            objectName: "panelNotes"
                            width: parent.width
                            text: panel.p.notes !== "" ? panel.p.notes : mediator.t["m.panel.no_notes"]
                            font.pixelSize: Theme.body; color: Theme.text; wrapMode: Text.Wrap
                        }
                    }
                }
                Text {
                    visible: panel.p.hasJourney
                    text: mediator.t["m.panel.answers"]
                    font.pixelSize: Theme.small; font.bold: true; color: Theme.text
                    Layout.fillWidth: true; wrapMode: Text.Wrap
                }
                Text {
                    visible: panel.p.hasJourney && panel.p.answers.length === 0
                    text: mediator.t["m.panel.no_answers"]
                    font.pixelSize: Theme.body; color: Theme.secondaryText
                    Layout.fillWidth: true; wrapMode: Text.Wrap
                }
                Repeater {
                    objectName: "panelAnswers"
                    model: panel.p.answers
                    Column {
                        required property var modelData
                        Layout.fillWidth: true
                        Text { width: parent.width; text: modelData.question; font.pixelSize: Theme.small; color: Theme.secondaryText; wrapMode: Text.Wrap }
                        Text { width: parent.width; text: modelData.answer; font.pixelSize: Theme.body; font.bold: true; color: Theme.text; wrapMode: Text.Wrap }
                    }
                }
                Text {
                    text: mediator.t["m.panel.identity"]
                    font.pixelSize: Theme.small; font.bold: true; color: Theme.text
                    Layout.fillWidth: true; wrapMode: Text.Wrap
                }
                Flow {
                    Layout.fillWidth: true
                    spacing: Theme.gap / 2
                    Repeater {
                        model: mediator.assist.documentKinds
                        MediatorButton {
                            required property var modelData
                            objectName: "identity_" + modelData.code
                            text: modelData.label
                            fontSize: Theme.small
                            selected: panel.p.identity === modelData.code
                            onClicked: mediator.assist.checkIdentity(modelData.code)
                        }
                    }
                }
                // Once-only (ui/prefill_bridge.py): offered only online, after an ID check; one line of state.
                Text {
                    visible: mediator.prefill.panel.shown
                    text: mediator.t["m.prefill.title"]
                    font.pixelSize: Theme.small; font.bold: true; color: Theme.text
                    Layout.fillWidth: true; wrapMode: Text.Wrap
                }
                Text {
                    objectName: "panelPrefillStatus"
                    visible: mediator.prefill.panel.shown
                    text: mediator.prefill.panel.status
                    font.pixelSize: Theme.body; color: Theme.text
                    Layout.fillWidth: true; wrapMode: Text.Wrap
                }
                MediatorButton {
                    objectName: "panelAskPrefill"
                    visible: mediator.prefill.panel.shown && mediator.prefill.panel.canAsk
                    Layout.fillWidth: true
                    text: mediator.t["m.prefill.ask"]
                    onClicked: mediator.askPrefill()
                }
            }
        }

        GridLayout {
            Layout.fillWidth: true
            columns: 2
            columnSpacing: Theme.gap / 2; rowSpacing: Theme.gap / 2
            MediatorButton { // a signature question that allows it: the citizen agreed out loud instead
                objectName: "panelOralConfirm"
                fontSize: Theme.small
                Layout.fillWidth: true; Layout.columnSpan: 2
                visible: mediator.assist.oralAllowed
                text: mediator.t["m.oral.confirm"]
                onClicked: mediator.assist.confirmOral()
            }
            MediatorButton {
                objectName: "panelAskConsent"
                fontSize: Theme.small
                Layout.fillWidth: true; Layout.columnSpan: 2
                text: mediator.t["m.panel.ask_consent"]
                fill: Theme.primary; ink: Theme.primaryText
                visible: !mediator.assist.mayFill
                enabled: panel.p.hasJourney
                onClicked: mediator.askConsent()
            }
            MediatorButton {
                objectName: "panelHandBack"
                fontSize: Theme.small
                Layout.fillWidth: true
                text: mediator.t["m.panel.hand_back"]
                onClicked: mediator.handBack()
            }
            MediatorButton {
                objectName: "panelConsole"
                fontSize: Theme.small
                Layout.fillWidth: true
                text: mediator.t["m.panel.console"]
                onClicked: mediator.openConsole()
            }
        }
    }
}
