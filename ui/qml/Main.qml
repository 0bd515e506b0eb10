import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import QtQuick.VirtualKeyboard
import QtQuick.VirtualKeyboard.Settings

ApplicationWindow {
    id: root
    objectName: "mainWindow"
    title: "Ponte"
    color: Theme.background
    // The scroll cue (ScrollIndicator) and other Basic-style lines are drawn in palette.mid: light grey
    // was 1.6:1 on white, the page's border colour passes 3:1 in both themes (tests/test_contrast.py).
    palette.mid: Theme.border
    // The citizen cannot close the kiosk; only the mediator console (or --windowed) can.
    onClosing: function(close) { close.accepted = app.allowExit }

    // Everything flips for right-to-left languages; digits and references opt out locally.
    LayoutMirroring.enabled: kiosk.rtl
    LayoutMirroring.childrenInherit: true

    Binding { target: Theme; property: "u"; value: Math.max(1.0, Math.min(root.width / 1366, root.height / 768)) }
    Binding { target: Theme; property: "textScale"; value: kiosk.textScale }
    Binding { target: Theme; property: "highContrast"; value: kiosk.highContrast }
    Binding { target: VirtualKeyboardSettings; property: "locale"; value: kiosk.keyboardLocale }

    readonly property bool inJourney: kiosk.screen === "question" || kiosk.screen === "check"
                                      || kiosk.screen === "start" || kiosk.screen === "stopped"
    readonly property string screenKey: kiosk.screen + ":" + kiosk.pageId
    // A new page is a new screen: fresh fields, scrolled to the top, keyboard closed.
    onScreenKeyChanged: {
        Qt.inputMethod.hide()  // qmllint disable missing-property
        screenLoader.active = false
        screenLoader.active = true
    }

    ColumnLayout {
        id: citizenArea
        objectName: "citizenArea"
        anchors.fill: parent
        // The mediator's panel has its own strip at the side (the end side: left in Arabic): nothing is under it.
        anchors.rightMargin: mediatorLayer.sideReserve
        spacing: 0
        // Behind a dialog nothing can be used, not even by keys or a screen reader's actions.
        enabled: kiosk.idlePhase !== "warning" && !kiosk.dataNoticeOpen && !mediatorLayer.modal
                 && !startAgainPopup.visible && !displayPopup.visible && !languagePopup.visible

        // Header band: where am I, start again, language, help. On a narrow screen the
        // buttons go on a second row so the service title is never cut short.
        Rectangle {
            id: header
            objectName: "headerBand"
            Layout.fillWidth: true
            Layout.preferredHeight: Math.max(Theme.touch + Theme.gap, headerGrid.implicitHeight + Theme.gap)
            color: Theme.band
            visible: kiosk.screen !== "attract"
            // The buttons' natural width in one row (from each button's own condition: `visible` would loop).
            readonly property real buttonsWidth: {
                var w = -Theme.gap
                for (var i = 0; i < headerButtons.children.length; ++i) {
                    var b = headerButtons.children[i]
                    if (b.wanted) w += b.implicitWidth + Theme.gap
                }
                return w
            }
            readonly property bool narrow: buttonsWidth + 280 * Theme.u + Theme.margin + 2 * Theme.gap > width
            GridLayout {
                id: headerGrid
                anchors.fill: parent
                anchors.leftMargin: Theme.margin; anchors.rightMargin: Theme.gap
                anchors.topMargin: Theme.gap / 2; anchors.bottomMargin: Theme.gap / 2
                columns: header.narrow ? 1 : 2
                columnSpacing: Theme.gap; rowSpacing: Theme.gap / 2
                ColumnLayout {
                    Layout.fillWidth: true
                    spacing: 0
                    Text {
                        objectName: "serviceTitle"
                        Layout.fillWidth: true
                        text: kiosk.serviceTitle !== "" ? kiosk.serviceTitle : "Ponte"
                        color: Theme.bandText; font.pixelSize: Theme.chromeSmall; font.bold: true
                        wrapMode: Text.Wrap
                        Accessible.role: Accessible.Heading
                        Accessible.name: text
                    }
                    Text {
                        objectName: "progressText"
                        Layout.fillWidth: true
                        visible: text !== ""
                        text: kiosk.progressText
                        color: Theme.bandText; font.pixelSize: Theme.chromeSmall
                        wrapMode: Text.Wrap
                        Accessible.role: Accessible.StaticText
                        Accessible.name: text
                    }
                }
                Flow {
                    id: headerButtons
                    Layout.alignment: header.narrow ? Qt.AlignLeft : Qt.AlignRight
                    Layout.fillWidth: header.narrow
                    Layout.preferredWidth: header.narrow ? -1 : header.buttonsWidth
                    spacing: Theme.gap
                    BigButton {
                        objectName: "startAgainButton"
                        readonly property bool wanted: kiosk.screen !== "attract" && kiosk.screen !== "done" && kiosk.screen !== "paused"
                        visible: wanted
                        text: kiosk.t["nav.start_again"]
                        fontSize: Theme.chromeSmall
                        sidePadding: Theme.gap
                        fill: Theme.background
                        onClicked: startAgainPopup.open()
                    }
                    BigButton {
                        objectName: "dataNoticeButton"
                        readonly property bool wanted: kiosk.hasDataNotice
                        visible: wanted
                        text: kiosk.t["data.button"]
                        Accessible.name: kiosk.t["data.title"]
                        fontSize: Theme.chromeSmall
                        sidePadding: Theme.gap
                        fill: Theme.background
                        onClicked: kiosk.showDataNotice(true)
                    }
                    BigButton {
                        objectName: "displayButton"
                        readonly property bool wanted: kiosk.screen !== "attract"
                        visible: wanted
                        text: "Aa  " + kiosk.t["display.button"]
                        Accessible.name: kiosk.t["display.title"]
                        fontSize: Theme.chromeSmall
                        sidePadding: Theme.gap
                        fill: Theme.background
                        onClicked: displayPopup.open()
                    }
                    BigButton {
                        objectName: "languageButton"
                        readonly property bool wanted: root.inJourney || kiosk.screen === "services" || kiosk.screen === "resume"
                        visible: wanted
                        text: kiosk.t["nav.change_language"]
                        fontSize: Theme.chromeSmall
                        sidePadding: Theme.gap
                        onClicked: languagePopup.open()
                    }
                    BigButton {
                        objectName: "callHelperButton"
                        readonly property bool wanted: true
                        visible: wanted
                        text: kiosk.t["nav.call_mediator"]
                        fontSize: Theme.chromeSmall
                        sidePadding: Theme.gap
                        fill: Theme.focus; ink: Theme.focusText
                        onClicked: kiosk.callHelper()
                    }
                }
            }
        }
        // Room for the mediator layer's "a helper is with you" bar while one helps: it covers nothing.
        Item {
            id: assistBarSlot
            objectName: "assistBarSlot"
            Layout.fillWidth: true
            Layout.preferredHeight: mediatorLayer.assistBarShown ? mediatorLayer.assistBarHeight : 0
            visible: mediatorLayer.assistBarShown
        }
        // A helper has been called: a flag seen from the counter, until someone comes or the wipe.
        Rectangle {
            objectName: "helperFlag"
            Layout.fillWidth: true
            Layout.preferredHeight: flagText.implicitHeight + Theme.gap
            visible: kiosk.helpWaiting
            color: Theme.focus
            border.color: Theme.border; border.width: Math.round(4 * Theme.u)
            Text {
                id: flagText
                objectName: "helperFlagText"
                anchors.centerIn: parent
                width: parent.width - 2 * Theme.margin
                horizontalAlignment: Text.AlignHCenter
                text: "✋  " + kiosk.helpWaitingText + "  ·  " + kiosk.helpWaitedText  // minutes, seen from the counter
                font.pixelSize: Theme.chromeBody; font.bold: true; color: Theme.focusText
                wrapMode: Text.Wrap
                Accessible.role: Accessible.AlertMessage
                Accessible.name: kiosk.helpWaitingText + " " + kiosk.helpWaitedText
            }
        }
        // A thin progress bar under the header during questions.
        Rectangle {
            Layout.fillWidth: true
            Layout.preferredHeight: 8 * Theme.u
            color: Theme.secondary
            visible: kiosk.screen === "question" || kiosk.screen === "check"
            Rectangle {
                width: parent.width * kiosk.progressFraction
                height: parent.height
                color: Theme.primary
                anchors.left: parent.left
            }
        }

        Loader {
            id: screenLoader
            objectName: "screenLoader"
            Layout.fillWidth: true
            Layout.fillHeight: true
            focus: true
            source: {
                switch (kiosk.screen) {
                case "attract": return "AttractScreen.qml"
                case "language": return "LanguageScreen.qml"
                case "services": return "ServiceScreen.qml"
                case "start": return "StartScreen.qml"
                case "stopped": return "StoppedScreen.qml"
                case "question": return "QuestionScreen.qml"
                case "check": return "CheckScreen.qml"
                case "done": return "DoneScreen.qml"
                case "paused": return "PauseCard.qml"
                case "resume": return "ResumeScreen.qml"
                }
                return ""
            }
        }

        // Keys that fit the question (email pieces, accented letters, Latin/Arabic) and the
        // on-screen keyboard, under the page and above the footer: never over the field, and
        // Back and Next stay where they were when the keyboard opens.
        KeyStrip {
            Layout.fillWidth: true
            Layout.preferredHeight: keyboard.active ? implicitHeight : 0
            visible: keyboard.active && wanted
        }
        InputPanel {
            id: keyboard
            objectName: "keyboard"
            Layout.alignment: Qt.AlignHCenter
            // Width drives height; cap it so a 768 px tall screen keeps room for the question.
            Layout.preferredWidth: Math.min(citizenArea.width, root.height * 1.1)
            Layout.preferredHeight: active ? implicitHeight : 0
            visible: active
        }

        // Footer: Back and Next, always in the same place, always big. The voice controls sit
        // between them when they fit, else on their own row above, so nothing overlaps.
        Rectangle {
            id: footer
            objectName: "footerBand"
            Layout.fillWidth: true
            Layout.preferredHeight: footerColumn.implicitHeight + 2 * Theme.gap
            color: Theme.secondary
            visible: kiosk.screen !== "attract" && kiosk.screen !== "done"
            // Back and Next as wide as the wider of the two needs (at least 200), the same for both.
            readonly property real buttonWidth: Math.min(Math.max(200 * Theme.u, backButton.implicitWidth, nextButton.implicitWidth),
                                                         (width - 3 * Theme.gap) / 2)
            readonly property bool narrow: voiceBar.ready
                && voiceBar.implicitWidth + 2 * buttonWidth + 4 * Theme.gap > width
            ColumnLayout {
                id: footerColumn
                anchors.fill: parent
                anchors.margins: Theme.gap
                spacing: Theme.gap
                Item {
                    id: voiceRow
                    visible: footer.narrow
                    Layout.fillWidth: true
                    Layout.preferredHeight: voiceBar.implicitHeight
                }
                RowLayout {
                    Layout.fillWidth: true
                    // Taller when bigger text needs it, so Back and Next never cut their words.
                    Layout.preferredHeight: Math.max(Theme.touch, backButton.implicitHeight, nextButton.implicitHeight)
                    spacing: Theme.gap
                    BigButton {
                        id: backButton
                        objectName: "backButton"
                        Layout.preferredWidth: footer.buttonWidth
                        Layout.fillHeight: true
                        text: (kiosk.rtl ? "→  " : "←  ") + kiosk.t["nav.back"]
                        fontSize: Theme.chromeBody
                        Accessible.name: kiosk.t["nav.back"]
                        fill: Theme.background
                        visible: kiosk.canGoBack
                        onClicked: kiosk.back()
                    }
                    Item { id: voiceSlot; Layout.fillWidth: true; Layout.fillHeight: true }
                    BigButton {
                        id: nextButton
                        objectName: "nextButton"
                        Layout.preferredWidth: footer.buttonWidth
                        Layout.fillHeight: true
                        text: kiosk.screen === "start" ? kiosk.t["start.button"] : kiosk.t["nav.next"] + (kiosk.rtl ? "  ←" : "  →")
                        fontSize: Theme.chromeBody
                        Accessible.name: kiosk.screen === "start" ? kiosk.t["start.button"] : kiosk.t["nav.next"]
                        fill: Theme.primary; ink: Theme.primaryText
                        visible: kiosk.screen === "question" || kiosk.screen === "start"
                        enabled: !kiosk.busy
                        onClicked: kiosk.screen === "start" ? kiosk.begin() : kiosk.next()
                    }
                }
            }
            VoiceBar {
                id: voiceBar
                parent: footer.narrow ? voiceRow : voiceSlot
                ownRow: footer.narrow
                anchors.centerIn: parent
                height: implicitHeight
                width: Math.min(implicitWidth, parent.width)
            }
        }
    }

    DataNotice { anchors.fill: citizenArea; z: 40 }

    IdleOverlay { anchors.fill: citizenArea; z: 50 }

    ResumedNotice {}  // after a journey is taken back with its code, when there is something to say

    // "Start again": one question before everything is deleted, then deleted at once.
    Popup {
        id: startAgainPopup
        objectName: "startAgainPopup"
        x: citizenArea.x + (citizenArea.width - width) / 2; y: (parent.height - height) / 2  // beside the mediator's panel
        width: Math.min(citizenArea.width - 2 * Theme.margin, 900 * Theme.u)
        modal: true
        padding: Theme.margin
        background: Rectangle { color: Theme.background; border.color: Theme.border; border.width: 3 * Theme.u; radius: Theme.radius }
        contentItem: ColumnLayout {
            objectName: "startAgainDialog"
            spacing: Theme.margin
            Text {
                Layout.fillWidth: true
                text: kiosk.t["restart.title"]
                font.pixelSize: Theme.large; font.bold: true; color: Theme.text; wrapMode: Text.Wrap
                horizontalAlignment: Text.AlignLeft
                Accessible.role: Accessible.Heading
                Accessible.name: text
            }
            Text {
                Layout.fillWidth: true
                text: kiosk.t["restart.body"]
                font.pixelSize: Theme.body; color: Theme.text; wrapMode: Text.Wrap
                horizontalAlignment: Text.AlignLeft
                Accessible.role: Accessible.StaticText
                Accessible.name: text
            }
            GridLayout {
                Layout.fillWidth: true
                columns: restartYes.implicitWidth + restartNo.implicitWidth + Theme.gap <= width ? 2 : 1
                columnSpacing: Theme.gap; rowSpacing: Theme.gap
                BigButton {
                    id: restartNo
                    objectName: "startAgainCancel"
                    Layout.fillWidth: true
                    text: kiosk.t["restart.cancel"]
                    fill: Theme.primary; ink: Theme.primaryText
                    onClicked: startAgainPopup.close()
                }
                BigButton {
                    id: restartYes
                    objectName: "startAgainConfirm"
                    Layout.fillWidth: true
                    text: kiosk.t["restart.confirm"]
                    fill: Theme.background
                    onClicked: { startAgainPopup.close(); kiosk.restart() }
                }
            }
            // Or keep the answers for later (ui/drafts_bridge.py): from every question and Check your answers.
            BigButton {
                objectName: "pauseButton"
                visible: (kiosk.screen === "question" || kiosk.screen === "check") && drafts !== null
                Layout.fillWidth: true
                text: kiosk.t["drafts.pause"]
                fill: Theme.background
                enabled: !kiosk.busy
                onClicked: { startAgainPopup.close(); kiosk.pause() }
            }
        }
    }
    // Bigger text and high contrast, for this citizen only (reset at the wipe).
    Popup {
        id: displayPopup
        objectName: "displayPopup"
        x: citizenArea.x + (citizenArea.width - width) / 2; y: (parent.height - height) / 2  // beside the mediator's panel
        width: Math.min(citizenArea.width - 2 * Theme.margin, 900 * Theme.u)
        modal: true
        padding: Theme.margin
        background: Rectangle { color: Theme.background; border.color: Theme.border; border.width: 3 * Theme.u; radius: Theme.radius }
        contentItem: ColumnLayout {
            objectName: "displayDialog"
            spacing: Theme.gap
            Text {
                Layout.fillWidth: true
                text: kiosk.t["display.title"]
                // The dialog that sets the size grows no more than the header (the three choices show their own
                // size), so that x2 can always be undone on a 768 px tall screen.
                font.pixelSize: Theme.chromeLarge; font.bold: true; color: Theme.text; wrapMode: Text.Wrap
                horizontalAlignment: Text.AlignLeft
                Accessible.role: Accessible.Heading
                Accessible.name: text
            }
            GridLayout {
                Layout.fillWidth: true
                columns: width > 700 * Theme.u ? 3 : 1
                columnSpacing: Theme.gap; rowSpacing: Theme.gap
                Repeater {
                    model: [{"scale": 1.0, "key": "display.text_normal"}, {"scale": 1.5, "key": "display.text_bigger"},
                            {"scale": 2.0, "key": "display.text_biggest"}]
                    BigButton {
                        required property var modelData
                        objectName: "textScale_" + String(modelData.scale).replace(".", "_")
                        Layout.fillWidth: true
                        Layout.preferredWidth: 1
                        text: kiosk.t[modelData.key]
                        fontSize: Theme.body * (modelData.scale / kiosk.textScale)
                        selected: kiosk.textScale === modelData.scale
                        Accessible.role: Accessible.RadioButton
                        Accessible.checkable: true
                        Accessible.checked: selected
                        onClicked: kiosk.setTextScale(modelData.scale)
                    }
                }
            }
            BigButton {
                objectName: "highContrastButton"
                Layout.fillWidth: true
                text: (kiosk.highContrast ? "☑  " : "☐  ") + kiosk.t["display.high_contrast"]
                Accessible.name: kiosk.t["display.high_contrast"]
                Accessible.role: Accessible.CheckBox
                Accessible.checkable: true
                Accessible.checked: kiosk.highContrast
                alignStart: true
                fontSize: Theme.chromeBody
                selected: kiosk.highContrast
                onClicked: kiosk.setHighContrast(!kiosk.highContrast)
            }
            BigButton {
                objectName: "displayClose"
                Layout.alignment: Qt.AlignHCenter
                text: kiosk.t["data.close"]
                fontSize: Theme.chromeBody
                fill: Theme.primary; ink: Theme.primaryText
                onClicked: displayPopup.close()
            }
        }
    }
    Connections {
        target: kiosk
        // A wipe (idle, Start again, Finish) closes whatever the citizen had open.
        function onRestarted() { startAgainPopup.close(); languagePopup.close(); displayPopup.close() }
        // The warning goes on top of everything: a popup left open would hide "I need more time".
        function onIdleChanged() { if (kiosk.idlePhase === "warning") { startAgainPopup.close(); languagePopup.close(); displayPopup.close() } }
    }

    // MEDIATOR: MediatorLayer here
    MediatorLayer {
        id: mediatorLayer
        anchors.fill: parent; z: 60
        assistBarTop: assistBarSlot.y  // the citizen's "a helper is with you" bar, in the slot below
    }

    Popup {
        id: languagePopup
        objectName: "languagePopup"
        x: citizenArea.x + (citizenArea.width - width) / 2; y: (parent.height - height) / 2  // beside the mediator's panel
        width: Math.min(citizenArea.width - 2 * Theme.margin, 900 * Theme.u)
        modal: true
        padding: Theme.margin
        background: Rectangle { color: Theme.background; border.color: Theme.border; border.width: 3 * Theme.u; radius: Theme.radius }
        contentItem: GridLayout {
            objectName: "languageDialog"
            columns: 2
            columnSpacing: Theme.gap; rowSpacing: Theme.gap
            Repeater {
                model: kiosk.languages
                BigButton {
                    required property var modelData
                    objectName: "switchLang_" + modelData.code
                    Layout.fillWidth: true
                    text: modelData.name
                    selected: kiosk.language === modelData.code
                    onClicked: { kiosk.chooseLanguage(modelData.code); languagePopup.close() }
                }
            }
        }
    }
}
