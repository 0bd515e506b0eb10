import QtQuick
import QtQuick.Controls
import QtQuick.Layouts

// The receipt on the confirmation screen: a QR code to photograph (the reference and the
// follow-up address), "Print my receipt", and what the printer did, in words. A copy of the
// answers only when the citizen asks (sensitive answers masked). Nothing here blocks Finish.
ColumnLayout {
    id: card
    objectName: "receiptCard"
    visible: receipt.available
    spacing: Theme.gap

    RowLayout {
        Layout.fillWidth: true
        spacing: Theme.gap
        Rectangle {
            // White margin around the code: phone cameras need the quiet zone.
            implicitWidth: Math.round(200 * Theme.u); implicitHeight: implicitWidth
            color: "#ffffff"; border.color: Theme.border; border.width: Math.round(2 * Theme.u)
            Image {
                id: qrImage
                objectName: "receiptQr"
                anchors.fill: parent; anchors.margins: Math.round(6 * Theme.u)
                source: receipt.qrImage
                fillMode: Image.PreserveAspectFit
                smooth: false  // keep the modules sharp
                Accessible.role: Accessible.Graphic
                Accessible.name: kiosk.t["receipt.qr_alt"]
            }
        }
        ColumnLayout {
            Layout.fillWidth: true
            Layout.alignment: Qt.AlignTop
            spacing: Theme.gap
            Text {
                Layout.fillWidth: true
                text: receipt.qrLabel
                font.pixelSize: Theme.small; color: Theme.text; wrapMode: Text.Wrap
                horizontalAlignment: Text.AlignLeft
            }
            BigButton {
                // Next to the code, so it is on screen without scrolling.
                objectName: "printReceiptButton"
                visible: receipt.canPrint
                text: kiosk.t["receipt.print"]
                enabled: !receipt.printing
                fill: Theme.selected; ink: Theme.selectedText
                onClicked: receipt.print()
            }
        }
    }
    Text {
        objectName: "printResultText"
        Layout.fillWidth: true
        visible: text !== ""
        text: receipt.resultText
        font.pixelSize: Theme.body; font.bold: !receipt.resultOk
        color: receipt.resultOk || receipt.printing ? Theme.text : Theme.error
        wrapMode: Text.Wrap
        horizontalAlignment: Text.AlignLeft
        Accessible.role: Accessible.AlertMessage
        Accessible.name: text
    }
    Text {
        objectName: "expectedByText"
        Layout.fillWidth: true
        visible: text !== ""
        text: receipt.expectedBy
        font.pixelSize: Theme.body; font.bold: true; color: Theme.text; wrapMode: Text.Wrap
        horizontalAlignment: Text.AlignLeft
    }

    Flow {
        Layout.fillWidth: true
        spacing: Theme.gap
        BigButton {
            visible: receipt.canPrint
            objectName: "printAnswersButton"
            text: kiosk.t["receipt.print_answers"]
            enabled: !receipt.printing
            fontSize: Theme.small
            onClicked: receipt.printWithAnswers()
        }
        BigButton {
            objectName: "showAnswersButton"
            text: receipt.answersShown ? kiosk.t["receipt.hide_answers"] : kiosk.t["receipt.show_answers"]
            fontSize: Theme.small
            onClicked: receipt.showAnswers(!receipt.answersShown)
        }
    }
    ColumnLayout {
        objectName: "answersCopy"
        Layout.fillWidth: true
        visible: receipt.answersShown
        spacing: Math.round(4 * Theme.u)
        Text {
            Layout.fillWidth: true
            text: kiosk.t["receipt.answers_title"]
            font.pixelSize: Theme.body; font.bold: true; color: Theme.text; wrapMode: Text.Wrap
            horizontalAlignment: Text.AlignLeft
            Accessible.role: Accessible.Heading
            Accessible.name: text
        }
        Repeater {
            model: receipt.answers
            ColumnLayout {
                required property var modelData
                Layout.fillWidth: true
                spacing: 0
                Text {
                    Layout.fillWidth: true
                    text: modelData.question
                    font.pixelSize: Theme.small; color: Theme.secondaryText; wrapMode: Text.Wrap
                    horizontalAlignment: Text.AlignLeft
                }
                Text {
                    objectName: "answerCopy_" + modelData.pageId
                    Layout.fillWidth: true
                    text: modelData.answer
                    font.pixelSize: Theme.body; font.bold: true; color: Theme.text; wrapMode: Text.Wrap
                    horizontalAlignment: Text.AlignLeft
                    Accessible.role: Accessible.StaticText
                    Accessible.name: modelData.question + " " + text
                }
            }
        }
    }
}
