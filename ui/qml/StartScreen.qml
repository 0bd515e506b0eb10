import QtQuick
import QtQuick.Controls
import QtQuick.Layouts

// The service's start page (GOV.UK "start page"): what it does, what to have with you,
// about how long, what it costs, and who receives the answers. Start is the footer's Next.
// Who receives the answers and "Read what happens to my data" sit in a bar at the foot of
// the page, outside the scrolling part: in view on every screen size without scrolling (with text so big that
// it would leave the page above it a line or two, it ends the page instead).
Item {
    id: page
    // With bigger text the bar would leave the page above it only a line or two: it then ends the page instead
    // (scrolled to like the rest), so that the description is read whole.
    // A page squeezed to a few lines (the helper's panel open on a small screen) does the same: a bar pinned to
    // its foot rose over the header and hid Language and Call a helper. This test reads the page's height alone
    // (never the bar's own), so moving the bar cannot flip it back.
    readonly property bool barInline: Theme.textScale > 1 && dataBar.implicitHeight > 0.4 * height
                                      || height > 0 && height < 4 * Theme.touch

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

    Flickable {
        id: flick
        objectName: "startPage"
        anchors.left: parent.left; anchors.right: parent.right
        anchors.top: parent.top; anchors.bottom: page.barInline ? page.bottom : dataBar.top
        contentWidth: width
        contentHeight: column.implicitHeight + Theme.margin + Theme.gap
        clip: true
        boundsBehavior: Flickable.StopAtBounds
        ScrollIndicator.vertical: ScrollIndicator { active: flick.contentHeight > flick.height }

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
                }
            }
            Item {
                id: inlineSlot
                Layout.fillWidth: true
                Layout.preferredHeight: page.barInline ? dataBar.height : 0
                visible: page.barInline
            }
        }
    }

    // Who receives the answers, in one line; the whole notice one touch away.
    Rectangle {
        id: dataBar
        objectName: "startDataBar"
        parent: page.barInline ? inlineSlot : page
        anchors.left: parent.left; anchors.right: parent.right; anchors.bottom: parent.bottom
        anchors.leftMargin: page.barInline ? 0 : Theme.margin; anchors.rightMargin: page.barInline ? 0 : Theme.margin
        anchors.bottomMargin: page.barInline ? 0 : Theme.gap
        implicitHeight: dataGrid.implicitHeight + 2 * Theme.gap
        height: implicitHeight
        color: Theme.secondary; radius: Theme.radius
        GridLayout {
            id: dataGrid
            anchors.fill: parent; anchors.margins: Theme.gap
            // Text and button side by side when the button leaves the text at least 320 px (more with bigger text).
            columns: width - dataButton.implicitWidth - Theme.margin >= 320 * Theme.u * Theme.textScale ? 2 : 1
            columnSpacing: Theme.margin; rowSpacing: Theme.gap
            Section { name: "startReceiver"; heading: kiosk.t["data.title"]; body: kiosk.receiver }
            BigButton {
                id: dataButton
                objectName: "startDataNoticeButton"
                text: kiosk.t["data.read"]
                fill: Theme.background
                Layout.maximumWidth: dataGrid.width
                Layout.alignment: Qt.AlignVCenter
                onClicked: kiosk.showDataNotice(true)
            }
        }
    }
}
