import QtQuick
import QtQuick.Controls
import QtQuick.Layouts

// Everything the mediator brings to the screen, over the citizen's screens:
// the "helper is coming" card, the PIN pad, the side panel, the consent
// screen, the citizen's Stop bar and the console. Sits in Main.qml above the
// journey; lets touches through wherever it shows nothing.
Item {
    id: layer
    objectName: "mediatorLayer"
    anchors.fill: parent
    readonly property string view: mediator.layer.view
    // Which views are modal is decided in Python (ui/mediator_view.py).
    readonly property bool modal: mediator.layer.modal
    readonly property real panelWidth: Math.round(Math.min(480 * Theme.u, Math.max(width * 0.36, Math.min(360 * Theme.u, width * 0.45))))
    // The panel and its collapsed tab sit in a strip of their own at the end side of the citizen's
    // screen (right; left in right-to-left languages). Main.qml narrows the citizen's screen by
    // `sideReserve`, so the panel never lies over a control of theirs, keyboard up or not.
    readonly property bool panelOnLeft: kiosk.rtl
    // While the on-screen keyboard is up the panel folds to its tab: the citizen's page needs the
    // height a two-row header would take, and the field being typed in must stay in view.
    readonly property bool keyboardUp: Qt.inputMethod.visible  // qmllint disable missing-property
    readonly property bool tabShown: view === "tab" || (view === "panel" && keyboardUp)
    readonly property real sideReserve: panelShown ? panelWidth : tabShown ? tab.implicitWidth + Theme.gap : 0
    // The citizen's bar while a helper is with them: Main.qml keeps a slot of this height in the
    // page's flow, under the header, and tells where it is (nothing of the citizen's is covered).
    // Like the panel, it steps aside while the on-screen keyboard is up: the page needs the room.
    readonly property bool assistBarShown: mediator.assist.assisted && !modal
                                           && !Qt.inputMethod.visible  // qmllint disable missing-property
    // As tall as its line while the helper only guides; as tall as the Stop button beside it while they
    // fill in. Every pixel counts for the citizen's page at 1024x768 (two-row header, panel at the side).
    readonly property real assistBarHeight: mediator.assist.mayFill ? Theme.touch + Theme.gap / 2
                                                                    : assistBarText.implicitHeight + Theme.gap
    property real assistBarTop: 0
    readonly property bool panelShown: view === "panel" && !keyboardUp

    // Dims the citizen screen and swallows touches behind modal views.
    Rectangle {
        objectName: "mediatorScrim"
        anchors.fill: parent
        visible: layer.modal
        color: "#000000"; opacity: 0.55
        MouseArea {
            objectName: "mediatorScrimBlocker"
            anchors.fill: parent
            Accessible.name: mediator.t["m.layer.scrim"]
            onClicked: {}
        }
    }

    // The discreet way in: press and hold the top corner on the title side for two
    // seconds (top-left; top-right in right-to-left languages, where the header's
    // buttons move to the left). A short tap does nothing.
    MouseArea {
        objectName: "mediatorCorner"
        width: 56; height: 56
        anchors.top: parent.top
        anchors.left: parent.left
        pressAndHoldInterval: 2000
        // Invisible and press-and-hold only: a screen reader must not offer citizens a button that does nothing.
        Accessible.ignored: true
        Accessible.name: mediator.t["m.pin.title"]
        onPressAndHold: mediator.cornerGesture()
    }

    // --- citizen-facing: a helper is on the way ------------------------------------------
    Rectangle {
        objectName: "helpCalledCard"
        visible: layer.view === "called"
        anchors.centerIn: parent
        width: Math.min(parent.width - 2 * Theme.margin, 900 * Theme.u)
        height: calledColumn.implicitHeight + 2 * Theme.margin
        radius: Theme.radius
        color: Theme.background
        border.color: Theme.border; border.width: 3
        LayoutMirroring.enabled: mediator.assist.citizenRtl
        LayoutMirroring.childrenInherit: true
        ColumnLayout {
            id: calledColumn
            anchors.fill: parent
            anchors.margins: Theme.margin
            spacing: Theme.gap
            Text {
                objectName: "helpCalledTitle"
                Layout.fillWidth: true
                text: mediator.assist.ct["m.citizen.called_title"]
                font.pixelSize: Theme.large; font.bold: true; color: Theme.text; wrapMode: Text.Wrap
                horizontalAlignment: Text.AlignLeft
            }
            Text {
                Layout.fillWidth: true
                text: mediator.assist.ct["m.citizen.called_body"]
                font.pixelSize: Theme.body; color: Theme.text; wrapMode: Text.Wrap
                horizontalAlignment: Text.AlignLeft
            }
            // The main action: wait. The card goes, the call and the flag (with the minutes) stay.
            BigButton {
                objectName: "helpWait"
                Layout.fillWidth: true
                Layout.preferredHeight: Math.max(implicitHeight, Theme.touch * 1.25)
                text: mediator.assist.ct["m.citizen.will_wait"]
                fontSize: Theme.large
                fill: Theme.primary; ink: Theme.primaryText
                onClicked: mediator.cancelHelp()
            }
            GridLayout {
                id: helpSecondary
                Layout.fillWidth: true
                columns: helpCancel.implicitWidth + helpHelperHere.implicitWidth + Theme.gap <= width ? 2 : 1
                columnSpacing: Theme.gap; rowSpacing: Theme.gap
                BigButton {
                    id: helpCancel
                    objectName: "helpCancel"
                    Layout.fillWidth: true
                    text: mediator.assist.ct["m.citizen.called_cancel"]
                    fontSize: Theme.small
                    fill: Theme.background
                    onClicked: { kiosk.cancelHelp(); mediator.cancelHelp() }  // the staff are told it is over
                }
                BigButton {
                    id: helpHelperHere
                    objectName: "helpHelperHere"
                    Layout.fillWidth: true
                    text: mediator.assist.ct["m.citizen.helper_here"]
                    fontSize: Theme.small
                    fill: Theme.background
                    onClicked: mediator.openPin()
                }
            }
        }
    }

    // --- PIN --------------------------------------------------------------------------------
    PinPad {
        visible: layer.view === "pin"
        anchors.centerIn: parent
        width: 560
        height: Math.min(implicitHeight, parent.height - 16)
    }

    // --- the citizen's bar: who is helping, and Stop while the mediator fills in ----------
    Rectangle {
        id: citizenBar
        objectName: "assistBar"
        visible: layer.assistBarShown
        // Under the header, in the slot Main.qml keeps for it, as wide as the citizen's screen
        // (x, not anchors: the side the panel takes is set here, not by mirroring).
        x: layer.panelOnLeft ? layer.sideReserve : 0; y: layer.assistBarTop
        width: parent.width - layer.sideReserve
        height: layer.assistBarHeight
        color: mediator.assist.mayFill ? Theme.focus : "#dbe9f6"
        border.color: Theme.border; border.width: 2
        LayoutMirroring.enabled: mediator.assist.citizenRtl
        LayoutMirroring.childrenInherit: true
        RowLayout {
            anchors.fill: parent
            anchors.leftMargin: Theme.margin; anchors.rightMargin: Theme.gap
            spacing: Theme.gap
            Text {
                id: assistBarText
                objectName: "assistBarText"
                Layout.fillWidth: true
                text: mediator.assist.mayFill ? mediator.assist.ct["m.citizen.filling"] : mediator.assist.ct["m.citizen.with_you"]
                font.pixelSize: Theme.body; font.bold: true; color: Theme.text
                elide: Text.ElideRight
                horizontalAlignment: Text.AlignLeft
            }
            BigButton {
                objectName: "withdrawConsent"
                visible: mediator.assist.mayFill
                text: mediator.assist.ct["m.citizen.stop"]
                fontSize: Theme.small
                fill: Theme.background
                onClicked: mediator.assist.withdrawConsent()
            }
        }
    }

    // --- mediator panel and its collapsed tab ------------------------------------------------
    MediatorPanel {
        visible: layer.panelShown
        x: layer.panelOnLeft ? 0 : parent.width - width
        y: 0
        height: parent.height
        LayoutMirroring.enabled: false
        width: layer.panelWidth
    }
    MediatorButton {
        id: tab
        objectName: "mediatorTab"
        visible: layer.tabShown
        x: layer.panelOnLeft ? Theme.gap / 2 : parent.width - width - Theme.gap / 2
        anchors.verticalCenter: parent.verticalCenter
        LayoutMirroring.enabled: false
        fontSize: Theme.small
        text: mediator.t["m.panel.show"]
        fill: Theme.band; ink: Theme.bandText
        onClicked: mediator.showPanel()
    }

    // --- consent (citizen-facing) --------------------------------------------------------------
    ConsentScreen {
        visible: layer.view === "consent"
        anchors.fill: parent
    }

    // --- console and settings -----------------------------------------------------------------
    ConsoleScreen {
        visible: layer.view === "console" || layer.view === "settings"
        anchors.fill: parent
    }
}
