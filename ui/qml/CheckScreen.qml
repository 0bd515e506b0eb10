import QtQuick
import QtQuick.Controls
import QtQuick.Layouts

// Every answer, each with its own Change button, in a list that scrolls; under it, always in
// view whatever the number of answers, the consent and the one "Accept and send".
Item {
    id: screen
    // With bigger text the statement, the error and both buttons would leave the answers a line or less: the
    // statement then ends the list of answers (read just before I agree), and only the buttons stay below it.
    readonly property bool statementInList: Theme.textScale > 1
        && statementHeight.implicitHeight + consentButtons.implicitHeight + 3 * Theme.gap > 0.4 * height
    Text { // the statement's height at the page's width, wherever it is shown
        id: statementHeight
        visible: false
        width: screen.width - 2 * Theme.margin
        text: kiosk.consentText
        font.pixelSize: Theme.body; wrapMode: Text.Wrap
    }

    component Statement: Text {
        objectName: "consentText"
        Layout.fillWidth: true
        text: kiosk.consentText
        font.pixelSize: Theme.body; color: Theme.text; wrapMode: Text.Wrap
        horizontalAlignment: Text.AlignLeft
        Accessible.role: Accessible.StaticText
        Accessible.name: text
    }

    ColumnLayout {
        anchors.fill: parent
        spacing: 0

        Flickable {
            id: flick
            objectName: "answersList"
            Layout.fillWidth: true
            Layout.fillHeight: true
            contentWidth: width
            contentHeight: column.implicitHeight + 2 * Theme.margin
            clip: true
            boundsBehavior: Flickable.StopAtBounds
            ScrollIndicator.vertical: ScrollIndicator { active: flick.contentHeight > flick.height }

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
                    Accessible.role: Accessible.StaticText
                    Accessible.name: text
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
                                    horizontalAlignment: Text.AlignLeft
                                    Accessible.role: Accessible.StaticText
                                    Accessible.name: text
                                }
                                Text {
                                    objectName: "answer_" + modelData.pageId
                                    Layout.fillWidth: true
                                    text: modelData.answer
                                    font.pixelSize: Theme.body; font.bold: true; color: Theme.text; wrapMode: Text.Wrap
                                    horizontalAlignment: Text.AlignLeft
                                    Accessible.role: Accessible.StaticText
                                    Accessible.name: text
                                }
                                Text { // an answer the administration already knew (once-only), unchanged
                                    objectName: "source_" + modelData.pageId
                                    visible: modelData.source !== ""
                                    Layout.fillWidth: true
                                    text: modelData.source
                                    font.pixelSize: Theme.small; font.italic: true; color: Theme.primary; wrapMode: Text.Wrap
                                    horizontalAlignment: Text.AlignLeft
                                    Accessible.role: Accessible.StaticText
                                    Accessible.name: text
                                }
                                Flow { // a document's pages, a signature: small pictures from the private folder
                                    id: thumbs
                                    visible: modelData.images.length > 0
                                    Layout.fillWidth: true
                                    spacing: Theme.gap / 2
                                    Repeater {
                                        model: modelData.images
                                        Image {
                                            required property string modelData
                                            required property int index
                                            objectName: "checkThumb_" + index
                                            height: 140 * Theme.u
                                            width: Math.min(thumbs.width, Math.max(1, implicitWidth * height / Math.max(1, implicitHeight)))
                                            source: modelData
                                            cache: false
                                            fillMode: Image.PreserveAspectFit
                                            sourceSize.height: 280
                                            Accessible.ignored: true
                                            Rectangle { anchors.fill: parent; color: "transparent"; border.color: Theme.border; border.width: 1 }
                                        }
                                    }
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
                Statement { visible: screen.statementInList; Layout.topMargin: Theme.gap }
            }
        }

        // The consent, never below the fold.
        Rectangle {
            objectName: "consentPanel"
            Layout.fillWidth: true
            Layout.preferredHeight: consentColumn.implicitHeight + 2 * Theme.gap
            color: Theme.background
            Rectangle { width: parent.width; height: Math.round(3 * Theme.u); color: Theme.border }
            ColumnLayout {
                id: consentColumn
                anchors.fill: parent
                anchors.leftMargin: Theme.margin; anchors.rightMargin: Theme.margin
                anchors.topMargin: Theme.gap; anchors.bottomMargin: Theme.gap
                spacing: Theme.gap / 2
                Statement { visible: !screen.statementInList }
                Rectangle {
                    visible: kiosk.submitError !== ""
                    Layout.fillWidth: true
                    implicitHeight: submitError.implicitHeight + Theme.gap
                    color: Theme.errorBackground; border.color: Theme.error; border.width: 3 * Theme.u; radius: Theme.radius
                    Text {
                        id: submitError
                        objectName: "submitErrorText"
                        anchors.fill: parent; anchors.margins: Theme.gap / 2
                        text: kiosk.submitError
                        color: Theme.error; font.pixelSize: Theme.body; font.bold: true; wrapMode: Text.Wrap
                        Accessible.role: Accessible.AlertMessage
                        Accessible.name: text
                    }
                }
                GridLayout {
                    id: consentButtons
                    Layout.fillWidth: true
                    // Side by side when both fit, else one above the other.
                    columns: consentButton.implicitWidth + submitButton.implicitWidth + Theme.gap <= width ? 2 : 1
                    columnSpacing: Theme.gap; rowSpacing: Theme.gap
                    BigButton {
                        id: consentButton
                        objectName: "consentButton"
                        Layout.fillWidth: true
                        fontSize: Theme.chromeBody  // the actions, like Back and Next: the statement above grows
                        text: (kiosk.consentGiven ? "☑  " : "☐  ") + kiosk.t["consent.agree"]
                        alignStart: true
                        selected: kiosk.consentGiven
                        Accessible.name: kiosk.t["consent.agree"]
                        Accessible.role: Accessible.CheckBox
                        Accessible.checkable: true
                        Accessible.checked: kiosk.consentGiven
                        onClicked: kiosk.giveConsent(!kiosk.consentGiven)
                    }
                    BigButton {
                        id: submitButton
                        objectName: "submitButton"
                        Layout.fillWidth: true
                        fontSize: Theme.chromeBody
                        text: kiosk.busy ? "…" : kiosk.t["submit.accept_and_send"]
                        Accessible.name: kiosk.t["submit.accept_and_send"]
                        fill: Theme.primary; ink: Theme.primaryText
                        enabled: !kiosk.busy
                        onClicked: kiosk.submit()
                    }
                }
            }
        }
    }
}
