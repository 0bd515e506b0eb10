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
    // The citizen cannot close the kiosk; only the mediator console (or --windowed) can.
    onClosing: function(close) { close.accepted = app.allowExit }

    // Everything flips for right-to-left languages; digits and references opt out locally.
    LayoutMirroring.enabled: kiosk.rtl
    LayoutMirroring.childrenInherit: true

    Binding { target: Theme; property: "u"; value: Math.max(1.0, Math.min(root.width / 1366, root.height / 768)) }
    Binding { target: VirtualKeyboardSettings; property: "locale"; value: kiosk.keyboardLocale }

    readonly property bool inJourney: kiosk.screen === "question" || kiosk.screen === "check"
    readonly property string screenKey: kiosk.screen + ":" + kiosk.pageId
    // A new page is a new screen: fresh fields, scrolled to the top, keyboard closed.
    onScreenKeyChanged: {
        Qt.inputMethod.hide()
        screenLoader.active = false
        screenLoader.active = true
    }

    ColumnLayout {
        anchors.fill: parent
        spacing: 0

        // Header band: where am I, language, help.
        Rectangle {
            Layout.fillWidth: true
            Layout.preferredHeight: Theme.touch + Theme.gap
            color: Theme.band
            visible: kiosk.screen !== "attract"
            RowLayout {
                anchors.fill: parent
                anchors.leftMargin: Theme.margin; anchors.rightMargin: Theme.gap
                spacing: Theme.gap
                ColumnLayout {
                    Layout.fillWidth: true
                    spacing: 0
                    Text {
                        objectName: "serviceTitle"
                        Layout.fillWidth: true
                        text: kiosk.serviceTitle !== "" ? kiosk.serviceTitle : "Ponte"
                        color: Theme.bandText; font.pixelSize: Theme.small; font.bold: true
                        elide: Text.ElideRight
                    }
                    Text {
                        objectName: "progressText"
                        visible: text !== ""
                        text: kiosk.progressText
                        color: Theme.bandText; font.pixelSize: Theme.small
                    }
                }
                BigButton {
                    objectName: "languageButton"
                    visible: root.inJourney || kiosk.screen === "services"
                    text: kiosk.t["nav.change_language"]
                    fontSize: Theme.small
                    onClicked: languagePopup.open()
                }
                BigButton {
                    objectName: "callHelperButton"
                    text: kiosk.t["nav.call_mediator"]
                    fontSize: Theme.small
                    fill: Theme.focus
                    onClicked: if (typeof mediator !== "undefined" && mediator) mediator.requestHelp()
                }
            }
        }
        // A thin progress bar under the header during questions.
        Rectangle {
            Layout.fillWidth: true
            Layout.preferredHeight: 8 * Theme.u
            color: Theme.secondary
            visible: root.inJourney
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
                case "question": return "QuestionScreen.qml"
                case "check": return "CheckScreen.qml"
                case "done": return "DoneScreen.qml"
                }
                return ""
            }
        }

        // Footer: Back and Next, always in the same place, always big.
        Rectangle {
            Layout.fillWidth: true
            Layout.preferredHeight: Theme.touch + 2 * Theme.gap
            color: Theme.secondary
            visible: kiosk.screen !== "attract" && kiosk.screen !== "done"
            RowLayout {
                anchors.fill: parent
                anchors.margins: Theme.gap
                spacing: Theme.gap
                BigButton {
                    objectName: "backButton"
                    Layout.preferredWidth: 240 * Theme.u
                    Layout.fillHeight: true
                    text: (kiosk.rtl ? "→  " : "←  ") + kiosk.t["nav.back"]
                    fill: Theme.background
                    visible: kiosk.canGoBack
                    onClicked: kiosk.back()
                }
                Item { Layout.fillWidth: true; Layout.fillHeight: true
                    // VOICE: VoiceBar here
                    VoiceBar { anchors.centerIn: parent; height: parent.height; width: Math.min(implicitWidth, parent.width) }
                }
                BigButton {
                    objectName: "nextButton"
                    Layout.preferredWidth: 240 * Theme.u
                    Layout.fillHeight: true
                    // On check answers the same place sends, so nobody has to find Send by scrolling.
                    readonly property bool sends: kiosk.screen === "check"
                    text: sends ? kiosk.t["submit.button"] : kiosk.t["nav.next"] + (kiosk.rtl ? "  ←" : "  →")
                    fill: Theme.primary; ink: Theme.primaryText
                    visible: kiosk.screen === "question" || sends
                    enabled: !kiosk.busy
                    onClicked: sends ? kiosk.submit() : kiosk.next()
                }
            }
        }

        // The on-screen keyboard sits below everything, never over the field.
        InputPanel {
            id: keyboard
            objectName: "keyboard"
            Layout.alignment: Qt.AlignHCenter
            // Width drives height; cap it so a 768 px tall screen keeps room for the question.
            Layout.preferredWidth: Math.min(root.width, root.height * 1.2)
            Layout.preferredHeight: active ? implicitHeight : 0
            visible: active
        }
    }

    IdleOverlay { anchors.fill: parent; z: 50 }

    // MEDIATOR: MediatorLayer here
    MediatorLayer { anchors.fill: parent; z: 60 }

    Popup {
        id: languagePopup
        objectName: "languagePopup"
        anchors.centerIn: parent
        width: Math.min(parent.width - 2 * Theme.margin, 900 * Theme.u)
        modal: true
        padding: Theme.margin
        background: Rectangle { color: Theme.background; border.color: Theme.border; border.width: 3 * Theme.u; radius: Theme.radius }
        contentItem: GridLayout {
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
