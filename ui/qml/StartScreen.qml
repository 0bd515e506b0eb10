import QtQuick
import QtQuick.Controls
import QtQuick.Layouts

// The service's start page (GOV.UK "start page"): what it does, what to have with you,
// about how long, what it costs, and who receives the answers. Start is the footer's Next.
Flickable {
    id: flick
    objectName: "startPage"
    contentWidth: width
    contentHeight: column.implicitHeight + 2 * Theme.margin
    clip: true
    boundsBehavior: Flickable.StopAtBounds
    ScrollIndicator.vertical: ScrollIndicator { active: flick.contentHeight > flick.height }

    component Section: ColumnLayout {
        property string heading
        property string body
        property string name
        visible: body !== ""
        Layout.fillWidth: true
        spacing: Theme.gap / 2
        Text {
            Layout.fillWidth: true
            text: parent.heading
            font.pixelSize: Theme.body; font.bold: true; color: Theme.text; wrapMode: Text.Wrap
            horizontalAlignment: Text.AlignLeft
            Accessible.role: Accessible.Heading
            Accessible.name: text
        }
        Text {
            objectName: parent.name
            Layout.fillWidth: true
            text: parent.body
            font.pixelSize: Theme.body; color: Theme.text; wrapMode: Text.Wrap
            horizontalAlignment: Text.AlignLeft
            lineHeight: 1.15
            Accessible.role: Accessible.StaticText
            Accessible.name: text
        }
    }

    ColumnLayout {
        id: column
        x: Theme.margin; y: Theme.margin
        width: flick.width - 2 * Theme.margin
        spacing: Theme.margin * 0.75
        Text {
            objectName: "screenTitle"
            Layout.fillWidth: true
            text: kiosk.serviceTitle
            font.pixelSize: Theme.large; font.bold: true; color: Theme.text; wrapMode: Text.Wrap
            horizontalAlignment: Text.AlignLeft
            Accessible.role: Accessible.Heading
            Accessible.name: text
        }
        GridLayout {
            Layout.fillWidth: true
            columns: width > 1000 * Theme.u ? 2 : 1
            columnSpacing: 2 * Theme.margin; rowSpacing: Theme.margin * 0.75
            ColumnLayout {
                Layout.fillWidth: true
                Layout.preferredWidth: 1
                Layout.alignment: Qt.AlignTop
                spacing: Theme.margin * 0.75
                Text {
                    objectName: "startDescription"
                    Layout.fillWidth: true
                    text: kiosk.serviceDescription
                    font.pixelSize: Theme.body; color: Theme.text; wrapMode: Text.Wrap
                    horizontalAlignment: Text.AlignLeft
                    Accessible.role: Accessible.StaticText
                    Accessible.name: text
                }
                Section { name: "startDuration"; heading: kiosk.t["start.how_long"]; body: kiosk.duration }
                Section { name: "startCost"; heading: kiosk.t["start.cost"]; body: kiosk.cost }
            }
            ColumnLayout {
                Layout.fillWidth: true
                Layout.preferredWidth: 1
                Layout.alignment: Qt.AlignTop
                spacing: Theme.margin * 0.75
                Section { name: "startRequirements"; heading: kiosk.t["start.bring"]; body: kiosk.requirements }
                // Who receives the answers, in one line; the whole notice one touch away.
                Rectangle {
                    Layout.fillWidth: true
                    implicitHeight: dataColumn.implicitHeight + 2 * Theme.gap
                    color: Theme.secondary; radius: Theme.radius
                    ColumnLayout {
                        id: dataColumn
                        anchors.fill: parent; anchors.margins: Theme.gap
                        spacing: Theme.gap
                        Section { name: "startReceiver"; heading: kiosk.t["data.title"]; body: kiosk.receiver }
                        BigButton {
                            objectName: "startDataNoticeButton"
                            text: kiosk.t["data.read"]
                            fill: Theme.background
                            Layout.maximumWidth: dataColumn.width
                            onClicked: kiosk.showDataNotice(true)
                        }
                    }
                }
            }
        }
    }
}
