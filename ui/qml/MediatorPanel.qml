import QtQuick
import QtQuick.Controls
import QtQuick.Layouts

// The mediator's side sheet: plain-language notes for the current question,
// the answers so far and what the service requires. Mediator-facing, so
// always left-to-right in the mediator's language.
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
        anchors.margins: 16
        spacing: 10

        RowLayout {
            Layout.fillWidth: true
            Text {
                objectName: "panelTitle"
                Layout.fillWidth: true
                text: mediator.t["m.panel.title"].replace("{name}", mediator.signIn.mediatorName)
                font.pixelSize: 24; font.bold: true; color: Theme.band
                elide: Text.ElideRight
            }
            MediatorButton {
                objectName: "panelHide"
                text: mediator.t["m.panel.hide"]
                onClicked: mediator.hidePanel()
            }
        }
        Text {
            objectName: "panelMode"
            Layout.fillWidth: true
            text: panel.p.mode
            wrapMode: Text.Wrap
            font.pixelSize: 20; font.bold: true
            color: mediator.assist.mayFill ? Theme.primary : Theme.secondaryText
        }

        Text {
            objectName: "panelVoiceNotice"
            Layout.fillWidth: true
            visible: mediator.notice !== ""
            text: mediator.notice
            wrapMode: Text.Wrap
            font.pixelSize: 18; color: Theme.error
        }
        Flickable {
            objectName: "panelScroll"
            Layout.fillWidth: true
            Layout.fillHeight: true
            clip: true
            contentHeight: body.implicitHeight
            boundsBehavior: Flickable.StopAtBounds
            ScrollBar.vertical: ScrollBar { policy: ScrollBar.AsNeeded; width: 12 }

            ColumnLayout {
                id: body
                width: parent.width - 14
                spacing: 8

                Text {
                    visible: !panel.p.hasJourney
                    text: mediator.t["m.panel.no_journey"]
                    font.pixelSize: 20; color: Theme.secondaryText
                    Layout.fillWidth: true; wrapMode: Text.Wrap
                }
                Text {
                    objectName: "panelService"
                    visible: panel.p.service !== ""
                    text: panel.p.service
                    font.pixelSize: 22; font.bold: true; color: Theme.text
                    Layout.fillWidth: true; wrapMode: Text.Wrap
                }
                Text {
                    visible: panel.p.question !== ""
                    text: mediator.t["m.panel.question"] + ": " + panel.p.question
                    font.pixelSize: 20; color: Theme.text
                    Layout.fillWidth: true; wrapMode: Text.Wrap
                }
                Rectangle {
                    visible: panel.p.hasJourney && panel.p.question !== ""
                    Layout.fillWidth: true
                    implicitHeight: notes.implicitHeight + 20
                    color: "#fff7bf"; radius: 6; border.color: "#c9a800"
                    Column {
                        id: notes
                        anchors.left: parent.left; anchors.right: parent.right; anchors.top: parent.top
                        anchors.margins: 10
                        spacing: 4
                        Text { text: mediator.t["m.panel.notes"]; font.pixelSize: 18; font.bold: true; color: Theme.text }
                        Text {
                            objectName: "panelNotes"
                            width: parent.width
                            text: panel.p.notes !== "" ? panel.p.notes : mediator.t["m.panel.no_notes"]
                            font.pixelSize: 20; color: Theme.text; wrapMode: Text.Wrap
                        }
                    }
                }
                Text {
                    visible: panel.p.hasJourney
                    text: mediator.t["m.panel.requirements"]
                    font.pixelSize: 18; font.bold: true; color: Theme.text
                }
                Text {
                    objectName: "panelRequirements"
                    visible: panel.p.hasJourney
                    text: panel.p.requirements !== "" ? panel.p.requirements : mediator.t["m.panel.no_requirements"]
                    font.pixelSize: 20; color: Theme.text
                    Layout.fillWidth: true; wrapMode: Text.Wrap
                }
                Text {
                    visible: panel.p.hasJourney
                    text: mediator.t["m.panel.answers"]
                    font.pixelSize: 18; font.bold: true; color: Theme.text
                }
                Text {
                    visible: panel.p.hasJourney && panel.p.answers.length === 0
                    text: mediator.t["m.panel.no_answers"]
                    font.pixelSize: 20; color: Theme.secondaryText
                }
                Repeater {
                    objectName: "panelAnswers"
                    model: panel.p.answers
                    Column {
                        required property var modelData
                        Layout.fillWidth: true
                        Text { width: parent.width; text: modelData.question; font.pixelSize: 16; color: Theme.secondaryText; wrapMode: Text.Wrap }
                        Text { width: parent.width; text: modelData.answer; font.pixelSize: 20; font.bold: true; color: Theme.text; wrapMode: Text.Wrap }
                    }
                }
                Text {
                    text: mediator.t["m.panel.identity"]
                    font.pixelSize: 18; font.bold: true; color: Theme.text
                }
                Flow {
                    Layout.fillWidth: true
                    spacing: 6
                    Repeater {
                        model: mediator.assist.documentKinds
                        MediatorButton {
                            required property var modelData
                            objectName: "identity_" + modelData.code
                            text: modelData.label
                            fontSize: 18
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
            columnSpacing: 8; rowSpacing: 8
            MediatorButton { // a signature question that allows it: the citizen agreed out loud instead
                objectName: "panelOralConfirm"
                Layout.fillWidth: true; Layout.columnSpan: 2
                visible: mediator.assist.oralAllowed
                text: mediator.t["m.oral.confirm"]
                onClicked: mediator.assist.confirmOral()
            }
            MediatorButton {
                objectName: "panelAskConsent"
                Layout.fillWidth: true; Layout.columnSpan: 2
                text: mediator.t["m.panel.ask_consent"]
                fill: Theme.primary; ink: Theme.primaryText
                visible: !mediator.assist.mayFill
                enabled: panel.p.hasJourney
                onClicked: mediator.askConsent()
            }
            MediatorButton {
                objectName: "panelHandBack"
                Layout.fillWidth: true
                text: mediator.t["m.panel.hand_back"]
                onClicked: mediator.handBack()
            }
            MediatorButton {
                objectName: "panelConsole"
                Layout.fillWidth: true
                text: mediator.t["m.panel.console"]
                onClicked: mediator.openConsole()
            }
        }
    }
}
