import QtQuick
import QtQuick.Controls
import QtQuick.Layouts

// After a journey is taken back with its code, when there is something to say: the service
// changed (some questions are asked again), or a signature or scanned pages must be given again
// (never kept during a pause). One button; the wipe closes it with everything else.
Popup {
    id: popup
    objectName: "resumedNoticePopup"
    anchors.centerIn: parent
    width: Math.min(parent.width - 2 * Theme.margin, 900 * Theme.u)
    modal: true
    closePolicy: Popup.NoAutoClose
    padding: Theme.margin
    visible: drafts !== null && drafts.notice !== "" && (kiosk.screen === "question" || kiosk.screen === "check")
    background: Rectangle { color: Theme.background; border.color: Theme.border; border.width: 3 * Theme.u; radius: Theme.radius }
    contentItem: ColumnLayout {
        objectName: "resumedNotice"
        spacing: Theme.margin
        Text {
            Layout.fillWidth: true
            text: kiosk.t["drafts.welcome_back"]
            font.pixelSize: Theme.large; font.bold: true; color: Theme.text; wrapMode: Text.Wrap
            horizontalAlignment: Text.AlignLeft
            Accessible.role: Accessible.Heading
            Accessible.name: text
        }
        Text {
            objectName: "resumedNoticeText"
            Layout.fillWidth: true
            text: drafts !== null ? drafts.notice : ""
            font.pixelSize: Theme.body; color: Theme.text; wrapMode: Text.Wrap
            horizontalAlignment: Text.AlignLeft
            lineHeight: 1.15
            Accessible.role: Accessible.StaticText
            Accessible.name: text
        }
        BigButton {
            objectName: "resumedNoticeOk"
            Layout.alignment: Qt.AlignHCenter
            text: kiosk.t["drafts.notice_ok"]
            fill: Theme.primary; ink: Theme.primaryText
            onClicked: drafts.dismissNotice()
        }
    }
}
