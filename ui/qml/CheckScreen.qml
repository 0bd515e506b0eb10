import QtQuick
import QtQuick.Controls
import QtQuick.Layouts

// Every answer on one page, each with its own Change button; then consent and Send.
Flickable {
    id: flick
    contentWidth: width
    contentHeight: column.implicitHeight + 2 * Theme.margin
    clip: true
    boundsBehavior: Flickable.StopAtBounds
    ScrollIndicator.vertical: ScrollIndicator { active: true }
    // A refusal (no consent, a disk problem) is shown at the bottom: bring it into view.
    readonly property string submitError: kiosk.submitError
    onSubmitErrorChanged: if (submitError !== "") contentY = Math.max(0, contentHeight - height)

    ColumnLayout {
        id: column
        x: Theme.margin; y: Theme.margin
        width: flick.width - 2 * Theme.margin
        spacing: Theme.gap
        Text {
            objectName: "screenTitle"
            Layout.fillWidth: true
            text: kiosk.t["check.title"]
            font.pixelSize: Theme.large; font.bold: true; color: Theme.text
            wrapMode: Text.Wrap
            Accessible.role: Accessible.Heading
            Accessible.name: text
        }
        Text {
            Layout.fillWidth: true
            text: kiosk.t["check.intro"]
            font.pixelSize: Theme.body; color: Theme.secondaryText; wrapMode: Text.Wrap
        }
        Repeater {
            model: kiosk.summary
            Rectangle {
                required property var modelData
                Layout.fillWidth: true
                implicitHeight: row.implicitHeight + 2 * Theme.gap
                color: Theme.background
                border.color: Theme.secondary; border.width: 2 * Theme.u
                radius: Theme.radius
                RowLayout {
                    id: row
                    anchors.fill: parent; anchors.margins: Theme.gap
                    spacing: Theme.gap
                    ColumnLayout {
                        Layout.fillWidth: true
                        spacing: 4 * Theme.u
                        Text {
                            Layout.fillWidth: true
                            text: modelData.question
                            font.pixelSize: Theme.small; color: Theme.secondaryText; wrapMode: Text.Wrap
                        }
                        Text {
                            objectName: "answer_" + modelData.pageId
                            Layout.fillWidth: true
                            text: modelData.answer
                            font.pixelSize: Theme.body; font.bold: true; color: Theme.text; wrapMode: Text.Wrap
                        }
                    }
                    BigButton {
                        objectName: "change_" + modelData.pageId
                        text: kiosk.t["check.change"]
                        Accessible.name: kiosk.t["check.change"] + ": " + modelData.question
                        onClicked: kiosk.change(modelData.pageId)
                    }
                }
            }
        }
        Text {
            Layout.fillWidth: true
            Layout.topMargin: Theme.gap
            text: kiosk.t["consent.title"]
            font.pixelSize: Theme.large; font.bold: true; color: Theme.text; wrapMode: Text.Wrap
            Accessible.role: Accessible.Heading
            Accessible.name: text
        }
        Text {
            objectName: "consentText"
            Layout.fillWidth: true
            text: kiosk.consentText
            font.pixelSize: Theme.body; color: Theme.text; wrapMode: Text.Wrap
        }
        BigButton {
            objectName: "consentButton"
            Layout.fillWidth: true
            text: (kiosk.consentGiven ? "☑  " : "☐  ") + kiosk.t["consent.agree"]
            selected: kiosk.consentGiven
            Accessible.role: Accessible.CheckBox
            Accessible.checkable: true
            Accessible.checked: kiosk.consentGiven
            onClicked: kiosk.giveConsent(!kiosk.consentGiven)
        }
        Rectangle {
            visible: kiosk.submitError !== ""
            Layout.fillWidth: true
            implicitHeight: submitError.implicitHeight + 2 * Theme.gap
            color: "#fdecee"; border.color: Theme.error; border.width: 3 * Theme.u; radius: Theme.radius
            Text {
                id: submitError
                objectName: "submitErrorText"
                anchors.fill: parent; anchors.margins: Theme.gap
                text: kiosk.submitError
                color: Theme.error; font.pixelSize: Theme.body; font.bold: true; wrapMode: Text.Wrap
                Accessible.role: Accessible.AlertMessage
                Accessible.name: text
            }
        }
        BigButton {
            objectName: "submitButton"
            Layout.fillWidth: true
            Layout.preferredHeight: Theme.touch * 1.3
            text: kiosk.busy ? "…" : kiosk.t["submit.button"]
            fill: Theme.primary; ink: Theme.primaryText
            fontSize: Theme.large
            enabled: !kiosk.busy
            onClicked: kiosk.submit()
        }
    }
}
