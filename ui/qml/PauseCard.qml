import QtQuick
import QtQuick.Controls
import QtQuick.Layouts

// "Pause and come back later": while the answers are sealed, a word that they are being kept;
// then the resume code in large type, grouped for reading (ABCD-EFGH-JK), until when it works,
// and Finish. By then the journey is gone from the screen and from memory (ui/bridge.py
// `paused`); Finish or the idle wipe clears the code too (DraftsBridge.clear). If the answers
// could not be kept, the citizen goes back to them: nothing is lost.
Item {
    id: card
    objectName: "pauseCard"

    readonly property bool ready: drafts !== null && drafts.code !== ""
    readonly property bool failed: drafts !== null && !ready && !drafts.busy && drafts.error !== ""

    ColumnLayout {
        anchors.fill: parent
        spacing: 0

        Flickable {
            id: flick
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
                    objectName: "pauseTitle"
                    Layout.fillWidth: true
                    text: card.ready ? kiosk.t["drafts.paused_title"]
                          : card.failed ? kiosk.t["drafts.not_saved"] : kiosk.t["drafts.saving"]
                    font.pixelSize: Theme.large; font.bold: true; color: Theme.text; wrapMode: Text.Wrap
                    horizontalAlignment: Text.AlignLeft
                    Accessible.role: Accessible.Heading
                    Accessible.name: text
                }

                // The code: a code, not words, so left to right in every language, in a face where
                // 2 and Z, 5 and S, 8 and B do not look alike.
                Rectangle {
                    visible: card.ready
                    Layout.alignment: Qt.AlignHCenter
                    Layout.maximumWidth: column.width
                    implicitWidth: codeColumn.implicitWidth + 2 * Theme.margin
                    implicitHeight: codeColumn.implicitHeight + Theme.gap
                    radius: Theme.radius
                    color: Theme.background
                    border.color: Theme.border; border.width: Math.round(4 * Theme.u)
                    ColumnLayout {
                        id: codeColumn
                        anchors.centerIn: parent
                        spacing: Theme.gap / 2
                        Text {
                            id: codeText
                            objectName: "pauseCode"
                            Layout.alignment: Qt.AlignHCenter
                            LayoutMirroring.enabled: false
                            text: card.ready ? drafts.code : ""
                            // As large as fits: never cut, never wrapped in the middle of a group.
                            readonly property real size: Math.min(Math.round(Theme.huge * 1.15), Math.floor((column.width - 2 * Theme.margin) / 9))
                            font.pixelSize: size
                            font.family: "DejaVu Sans Mono"
                            font.bold: true
                            font.letterSpacing: size * 0.08
                            color: Theme.text
                            Accessible.role: Accessible.StaticText
                            Accessible.name: kiosk.t["drafts.code_label"] + ": " + text.split("").join(" ")
                        }
                    }
                }

                Text {
                    objectName: "pauseKeptUntil"
                    visible: card.ready
                    Layout.fillWidth: true
                    text: drafts !== null ? drafts.keptUntil : ""
                    font.pixelSize: Theme.body; font.bold: true; color: Theme.text; wrapMode: Text.Wrap
                    horizontalAlignment: Text.AlignLeft
                    Accessible.role: Accessible.StaticText
                    Accessible.name: text
                }
                Text {
                    objectName: "pauseWriteDown"
                    visible: card.ready
                    Layout.fillWidth: true
                    text: kiosk.t["drafts.write_down"]
                    font.pixelSize: Theme.body; color: Theme.text; wrapMode: Text.Wrap
                    horizontalAlignment: Text.AlignLeft
                    Accessible.role: Accessible.StaticText
                    Accessible.name: text
                }
                // A signature or scanned pages are never kept in a paused journey (ui/drafts_bridge.py).
                Rectangle {
                    visible: card.ready && drafts.filesNotKept
                    Layout.fillWidth: true
                    implicitHeight: filesText.implicitHeight + Theme.gap
                    color: Theme.secondary; radius: Theme.radius
                    Text {
                        id: filesText
                        objectName: "pauseFilesNotKept"
                        anchors.fill: parent; anchors.margins: Theme.gap / 2
                        text: kiosk.t["drafts.files_not_kept"]
                        font.pixelSize: Theme.body; font.bold: true; color: Theme.text; wrapMode: Text.Wrap
                        horizontalAlignment: Text.AlignLeft
                        Accessible.role: Accessible.StaticText
                        Accessible.name: text
                    }
                }

                Rectangle { // the answers could not be kept
                    visible: card.failed
                    Layout.fillWidth: true
                    implicitHeight: errorText.implicitHeight + 2 * Theme.gap
                    color: Theme.errorBackground
                    border.color: Theme.error; border.width: 3 * Theme.u
                    radius: Theme.radius
                    Text {
                        id: errorText
                        objectName: "pauseError"
                        anchors.fill: parent; anchors.margins: Theme.gap
                        text: drafts !== null ? drafts.errorText : ""
                        color: Theme.error; font.pixelSize: Theme.body; font.bold: true; wrapMode: Text.Wrap
                        horizontalAlignment: Text.AlignLeft
                        Accessible.role: Accessible.AlertMessage
                        Accessible.name: text
                    }
                }

            }
        }

        // Finish (and Print), never below the fold.
        Rectangle {
            objectName: "pauseActions"
            Layout.fillWidth: true
            Layout.preferredHeight: actions.implicitHeight + 2 * Theme.gap
            visible: card.ready || card.failed
            color: Theme.background
            Rectangle { width: parent.width; height: Math.round(3 * Theme.u); color: Theme.border }
            ColumnLayout {
                id: actions
                anchors.fill: parent
                anchors.leftMargin: Theme.margin; anchors.rightMargin: Theme.margin
                anchors.topMargin: Theme.gap; anchors.bottomMargin: Theme.gap
                spacing: Theme.gap / 2
                Text {
                    objectName: "pausePrintResult"
                    visible: text !== ""
                    Layout.fillWidth: true
                    text: drafts === null ? "" : drafts.printing ? kiosk.t["drafts.printing"] : drafts.printResult
                    font.pixelSize: Theme.body; font.bold: true; color: Theme.text; wrapMode: Text.Wrap
                    horizontalAlignment: Text.AlignLeft
                    Accessible.role: Accessible.AlertMessage
                    Accessible.name: text
                }

                GridLayout {
                    Layout.fillWidth: true
                    visible: card.ready || card.failed
                    columns: printButton.visible && printButton.implicitWidth + finishButton.implicitWidth + Theme.gap > width ? 1 : 2
                    columnSpacing: Theme.gap; rowSpacing: Theme.gap
                    BigButton {
                        id: printButton
                        objectName: "pausePrintButton"
                        visible: card.ready && drafts.canPrint
                        Layout.fillWidth: true
                        text: kiosk.t["drafts.print_code"]
                        fill: Theme.background
                        enabled: drafts !== null && !drafts.printing
                        onClicked: drafts.print()
                    }
                    BigButton {
                        id: finishButton
                        objectName: card.ready ? "pauseFinishButton" : "pauseBackButton"
                        Layout.fillWidth: true
                        text: card.ready ? kiosk.t["done.finish"] : kiosk.t["drafts.back_to_answers"]
                        fill: Theme.primary; ink: Theme.primaryText
                        onClicked: card.ready ? kiosk.finish() : kiosk.cancelPause()
                    }
                }
            }
        }
    }
}
