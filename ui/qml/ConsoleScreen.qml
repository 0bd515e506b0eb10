import QtQuick
import QtQuick.Controls
import QtQuick.Layouts

// The mediator console: queue and device health, today's anonymous figures,
// and the kiosk's lock-down actions. Counts, ages and reasons only: never a
// citizen's answer. References appear only in the reprint list, which the
// mediator opens on purpose (reference, service, state and time; no answers).
Rectangle {
    id: con
    objectName: "consoleScreen"
    color: "#f3f6f9"
    LayoutMirroring.enabled: false
    LayoutMirroring.childrenInherit: true
    readonly property var ops: mediator.console
    readonly property var m: ops.snapshot
    readonly property var q: m.queue || ({})
    readonly property var d: m.device || ({})
    readonly property var s: m.stats || ({})
    readonly property bool settingsView: mediator.layer.view === "settings"
    readonly property bool receiptsView: !settingsView && ops.receiptsShown
    // Three cards side by side on a landscape screen; on a narrow or portrait one the queue above the other two.
    readonly property bool wide: width >= 1000 && width > height

    component Heading: Text { font.pixelSize: 22; font.bold: true; color: Theme.band; Layout.fillWidth: true; wrapMode: Text.Wrap }
    component Line: Text { font.pixelSize: 18; color: Theme.text; Layout.fillWidth: true; wrapMode: Text.Wrap }
    component Card: Rectangle { color: Theme.background; radius: 8; border.color: "#b1b4b6"; border.width: 2 }

    ColumnLayout {
        anchors.fill: parent
        anchors.margins: 16
        spacing: 12

        GridLayout {
            Layout.fillWidth: true
            columns: con.wide ? 4 : 3
            columnSpacing: 10; rowSpacing: 6
            Text {
                objectName: "consoleTitle"
                Layout.fillWidth: true
                Layout.columnSpan: con.wide ? 1 : 3
                text: mediator.t["m.console.title"] + " · " + mediator.signIn.mediatorName
                font.pixelSize: 28; font.bold: true; color: Theme.band
                elide: Text.ElideRight
            }
            Text {
                objectName: "consoleAudit"
                Layout.fillWidth: !con.wide
                text: (con.m.audit || {}).text || ""
                color: (con.m.audit || {}).ok ? Theme.primary : Theme.error
                font.pixelSize: 18; font.bold: true
                wrapMode: Text.Wrap
            }
            MediatorButton {
                objectName: "consoleRefresh"
                text: mediator.t["m.console.refresh"]
                onClicked: con.ops.refresh()
            }
            MediatorButton {
                objectName: "consoleClose"
                text: mediator.t["m.console.close"]
                onClicked: con.settingsView ? mediator.openConsole() : mediator.closeConsole()
            }
        }

        // --- settings (read-only) ---------------------------------------------------
        Card {
            visible: con.settingsView
            Layout.fillWidth: true; Layout.fillHeight: true
            ColumnLayout {
                anchors.fill: parent; anchors.margins: 16
                spacing: 6
                Heading { text: mediator.t["m.console.settings"] }
                Repeater {
                    objectName: "settingsList"
                    model: con.m.settings || []
                    Line { required property var modelData; text: modelData.key + ":  " + modelData.value }
                }
                Item { Layout.fillHeight: true }
            }
        }

        // --- reprint a receipt: the newest submissions, by reference -----------------------
        Card {
            objectName: "consoleReceipts"
            visible: con.receiptsView
            Layout.fillWidth: true; Layout.fillHeight: true
            ColumnLayout {
                anchors.fill: parent; anchors.margins: 12
                spacing: 6
                RowLayout {
                    Layout.fillWidth: true
                    spacing: 12
                    Heading { text: mediator.t["m.console.receipts_title"] }
                    MediatorButton {
                        objectName: "consoleReceiptsBack"
                        text: mediator.t["m.console.back"]
                        onClicked: con.ops.showReceipts(false)
                    }
                }
                Line { text: mediator.t["m.console.receipts_note"]; color: Theme.secondaryText; font.pixelSize: 16 }
                Line {
                    visible: con.ops.recent.length === 0 && !con.ops.busy
                    text: mediator.t["m.console.no_receipts"]; color: Theme.secondaryText
                }
                ListView {
                    objectName: "consoleRecent"
                    Layout.fillWidth: true; Layout.fillHeight: true
                    clip: true
                    spacing: 6
                    model: con.ops.recent
                    delegate: Rectangle {
                        id: recentRow
                        required property var modelData
                        required property int index
                        width: ListView.view.width
                        height: Math.max(recentText.implicitHeight, reprintButton.implicitHeight) + 12
                        color: index % 2 ? "transparent" : Theme.secondary
                        radius: 6
                        RowLayout {
                            anchors.fill: parent; anchors.margins: 6
                            spacing: 12
                            Text {
                                objectName: "consoleRecentReference_" + recentRow.index
                                text: recentRow.modelData.reference
                                font.pixelSize: 22; font.bold: true; font.family: "DejaVu Sans Mono"
                                color: Theme.text
                            }
                            Text {
                                id: recentText
                                Layout.fillWidth: true
                                textFormat: Text.PlainText
                                text: recentRow.modelData.service + "\n"
                                      + (mediator.t["m.console.is." + recentRow.modelData.state] || recentRow.modelData.state)
                                      + " · " + recentRow.modelData.when
                                font.pixelSize: 18; color: Theme.text; wrapMode: Text.Wrap
                            }
                            MediatorButton {
                                id: reprintButton
                                objectName: "consoleReprint_" + recentRow.index
                                text: mediator.t["m.console.reprint"]
                                Accessible.name: mediator.t["m.console.reprint"] + " " + recentRow.modelData.reference
                                enabled: !con.ops.busy
                                onClicked: con.ops.reprint(recentRow.modelData.id)
                            }
                        }
                    }
                }
            }
        }

        GridLayout {
            visible: !con.settingsView && !con.receiptsView
            Layout.fillWidth: true; Layout.fillHeight: true
            // Portrait: the queue across the top, as tall as the screen leaves; device and today side by side
            // under it (one above the other they left the queue's problems no room at 800x1280).
            columns: con.wide ? 3 : 2
            columnSpacing: 12; rowSpacing: 12

            // --- queue ---------------------------------------------------------------
            Card {
                objectName: "consoleQueue"
                Layout.fillWidth: true; Layout.fillHeight: true
                Layout.columnSpan: con.wide ? 1 : 2
                Layout.preferredWidth: 3
                ColumnLayout {
                    anchors.fill: parent; anchors.margins: 12
                    spacing: 6
                    Heading { text: mediator.t["m.console.queue"] }
                    Line { objectName: "consoleQueueReason"; visible: !con.q.available; text: con.q.reason || ""; color: Theme.error }
                    Line {  // the exception, for whoever the mediator calls: small, below the words
                        visible: !con.q.available && (con.q.reasonDetail || "") !== ""
                        text: con.q.reasonDetail || ""; color: Theme.secondaryText; font.pixelSize: 14
                    }
                    Flow {
                        Layout.fillWidth: true
                        spacing: 8
                        visible: con.q.available === true
                        Repeater {
                            model: con.q.counts || []
                            Rectangle {
                                required property var modelData
                                objectName: "consoleCount_" + modelData.state
                                width: countText.implicitWidth + 16; height: 36; radius: 6
                                color: modelData.needsPerson && modelData.count > 0 ? "#f6d7d2" : Theme.secondary
                                Text {
                                    id: countText
                                    anchors.centerIn: parent
                                    text: modelData.label  // "2 waiting to be sent", "1 refused: needs you"
                                    font.pixelSize: 18; font.bold: true; color: Theme.text
                                }
                            }
                        }
                    }
                    Line { visible: con.q.available === true; objectName: "consoleOldest"; text: con.q.oldest || "" }
                    Line { visible: con.q.available === true; objectName: "consoleLastSync"; text: con.q.lastSync || "" }
                    Heading { text: mediator.t["m.console.destinations"]; font.pixelSize: 18 }
                    Repeater {
                        model: con.q.destinations || []
                        Line {
                            required property var modelData
                            text: "● " + modelData.name + ": " + modelData.state
                            color: modelData.online ? Theme.primary : modelData.known ? Theme.error : Theme.secondaryText
                        }
                    }
                    Heading { text: mediator.t["m.console.failed"]; font.pixelSize: 18 }
                    Line {
                        visible: (con.q.failed || []).length === 0
                        text: mediator.t["m.console.no_failed"]; color: Theme.secondaryText
                    }
                    ListView {
                        objectName: "consoleFailed"
                        Layout.fillWidth: true; Layout.fillHeight: true
                        clip: true
                        spacing: 6
                        model: con.q.failed || []
                        delegate: RowLayout {
                            required property var modelData
                            required property int index
                            width: ListView.view.width
                            spacing: 8
                            // What happened and what to do; the service and attempts; the connector's words for support.
                            ColumnLayout {
                                Layout.fillWidth: true
                                spacing: 2
                                Text {
                                    objectName: "consoleProblem_" + index
                                    Layout.fillWidth: true
                                    text: modelData.title
                                    font.pixelSize: 18; font.bold: true; wrapMode: Text.Wrap
                                    color: modelData.state === "dead" ? Theme.error : Theme.text
                                }
                                Text {
                                    Layout.fillWidth: true
                                    text: modelData.line
                                    font.pixelSize: 16; color: Theme.text; wrapMode: Text.Wrap
                                }
                                Text {
                                    objectName: "consoleProblemDetail_" + index
                                    Layout.fillWidth: true
                                    text: modelData.detail
                                    font.pixelSize: 14; color: Theme.secondaryText; wrapMode: Text.Wrap
                                }
                            }
                            MediatorButton {
                                objectName: "consoleRetry_" + index
                                text: mediator.t["m.console.retry"]
                                enabled: !con.ops.busy
                                onClicked: con.ops.retry(modelData.id)
                            }
                        }
                    }
                }
            }

            // --- device --------------------------------------------------------------
            Card {
                objectName: "consoleDevice"
                Layout.fillWidth: true; Layout.fillHeight: con.wide
                Layout.preferredWidth: 2
                Layout.preferredHeight: con.wide ? -1 : deviceColumn.implicitHeight + 24
                ColumnLayout {
                    id: deviceColumn
                    anchors.fill: parent; anchors.margins: 12
                    spacing: 6
                    Heading { text: mediator.t["m.console.device"] }
                    Line { text: con.d.disk || ""; color: con.d.diskLow ? Theme.error : Theme.text }
                    Line { text: con.d.databases || "" }
                    Line { text: con.d.voiceModels || "" }
                    Line { text: con.d.tts || "" }
                    Line { text: con.d.catalogue || "" }
                    Line { text: con.d.clock || ""; color: con.d.clockWrong ? Theme.error : Theme.text }
                    Line { visible: con.d.clockWrong === true; text: mediator.t["m.console.clock_wrong"]; color: Theme.error; font.bold: true }
                    Item { Layout.fillHeight: true }
                }
            }

            // --- today ---------------------------------------------------------------
            Card {
                objectName: "consoleToday"
                Layout.fillWidth: true; Layout.fillHeight: con.wide
                Layout.preferredWidth: 2
                Layout.preferredHeight: con.wide ? -1 : todayColumn.implicitHeight + 24
                ColumnLayout {
                    id: todayColumn
                    anchors.fill: parent; anchors.margins: 12
                    spacing: 6
                    Heading { text: mediator.t["m.console.today"] }
                    Line { text: con.s.started || "" }
                    Line { text: con.s.completed || "" }
                    Line { text: con.s.abandoned || "" }
                    Line { text: con.s.assisted || "" }
                    Line { text: con.s.average || "" }
                    Line { text: con.s.languages || "" }
                    Line { text: con.s.abandonedAt || "" }
                    Line { text: con.s.feedback || "" }
                    Repeater {
                        model: con.s.byService || []
                        Line {
                            required property var modelData
                            font.pixelSize: 16
                            text: modelData.service + ": " + modelData.started + " / " + modelData.completed + " / " + modelData.abandoned
                        }
                    }
                    Item { Layout.fillHeight: true }
                }
            }
        }

        Text {
            objectName: "consoleMessage"
            visible: text !== ""
            Layout.fillWidth: true
            text: con.ops.message
            font.pixelSize: 18; font.bold: true; color: Theme.band
            wrapMode: Text.Wrap; maximumLineCount: 3
            elide: Text.ElideRight
        }

        Flow {
            Layout.fillWidth: true
            spacing: 8
            visible: !con.settingsView
            MediatorButton { objectName: "consoleSyncNow"; text: mediator.t["m.console.sync_now"]; fill: Theme.primary; ink: Theme.primaryText; enabled: !con.ops.busy; onClicked: con.ops.syncNow() }
            MediatorButton { objectName: "consoleRetryAll"; text: mediator.t["m.console.retry_all"]; enabled: !con.ops.busy; onClicked: con.ops.retryAll() }
            MediatorButton { objectName: "consoleExport"; text: mediator.t["m.console.export"]; enabled: !con.ops.busy; onClicked: con.ops.exportBundle() }
            MediatorButton { objectName: "consoleExportAudit"; text: mediator.t["m.console.export_audit"]; visible: con.m.supervisor === true; enabled: !con.ops.busy; onClicked: con.ops.exportAudit() }
            MediatorButton { objectName: "consoleReceiptsOpen"; text: mediator.t["m.console.receipts"]; visible: !con.receiptsView; onClicked: con.ops.showReceipts(true) }
            MediatorButton { objectName: "consoleCloseDay"; text: mediator.t["m.console.close_day"]; enabled: !con.ops.busy; onClicked: con.ops.closeDay() }
            MediatorButton { objectName: "consoleSettings"; text: mediator.t["m.console.settings"]; onClicked: mediator.openSettings() }
            MediatorButton {
                objectName: "consoleRestart"
                text: con.ops.confirmPending === "restart" ? mediator.t["m.console.confirm"] : mediator.t["m.console.restart"]
                fill: con.ops.confirmPending === "restart" ? Theme.focus : Theme.secondary
                onClicked: con.ops.restartKiosk()
            }
            MediatorButton {
                objectName: "consoleExit"
                text: con.ops.confirmPending === "exit" ? mediator.t["m.console.confirm"] : mediator.t["m.console.exit"]
                fill: con.ops.confirmPending === "exit" ? Theme.focus : Theme.error
                ink: con.ops.confirmPending === "exit" ? Theme.text : "#ffffff"
                onClicked: con.ops.exitKiosk()
            }
        }
    }

    // --- closing the day: the signed-in mediator's PIN, over the console ---------------------------
    Rectangle {
        objectName: "consoleDayScrim"
        anchors.fill: parent
        visible: con.ops.closingDay
        color: "#000000"; opacity: 0.55
        MouseArea {
            objectName: "consoleDayScrimBlocker"
            anchors.fill: parent
            Accessible.name: mediator.t["m.layer.scrim"]
            onClicked: {}
        }
    }
    PinPad {
        objectName: "consoleDayPin"
        visible: con.ops.closingDay
        anchors.centerIn: parent
        width: Math.min(560, parent.width - 16)
        height: Math.min(implicitHeight, parent.height - 16)
        pin: con.ops.dayPin
        title: mediator.t["m.console.close_day_pin"]
        submitText: mediator.t["m.console.close_day"]
        signInPad: false
        onCancelled: con.ops.cancelCloseDay()
    }
}
