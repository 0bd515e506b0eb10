import QtQuick
import QtQuick.Controls
import QtQuick.Layouts

// Big tiles, one per public service: pictogram, title, one easy-read line.
Item {
    ColumnLayout {
        anchors.fill: parent
        anchors.margins: Theme.margin
        spacing: Theme.gap
        Text {
            objectName: "screenTitle"
            Layout.fillWidth: true
            text: kiosk.t["services.title"]
            font.pixelSize: Theme.large; font.bold: true
            color: Theme.text
            wrapMode: Text.Wrap
            Accessible.role: Accessible.Heading
            Accessible.name: text
        }
        Text {
            visible: kiosk.services.length === 0
            Layout.fillWidth: true
            text: kiosk.t["services.none"]
            font.pixelSize: Theme.body; color: Theme.text; wrapMode: Text.Wrap
        }
        GridView {
            id: grid
            Layout.fillWidth: true
            Layout.fillHeight: true
            clip: true
            readonly property int columns: width > 1200 * Theme.u ? 3 : 2
            cellWidth: width / columns
            readonly property int rows: Math.max(1, Math.ceil(count / columns))
            // Tall enough for the whole easy-read description; fill the screen when few services.
            cellHeight: Math.max(Theme.touch * 3.5, Math.min(420 * Theme.u, height / rows))
            model: kiosk.services
            boundsBehavior: Flickable.StopAtBounds
            ScrollIndicator.vertical: ScrollIndicator { active: true }
            delegate: Item {
                required property var modelData
                width: grid.cellWidth; height: grid.cellHeight
                AbstractButton {
                    id: tile
                    objectName: "service_" + modelData.id
                    anchors.fill: parent
                    anchors.margins: Theme.gap / 2
                    Accessible.role: Accessible.Button
                    Accessible.name: modelData.title
                    Accessible.description: modelData.description
                    onClicked: kiosk.chooseService(modelData.id)
                    background: Rectangle {
                        radius: Theme.radius
                        color: tile.down ? Theme.secondary : Theme.background
                        border.width: tile.visualFocus ? 5 * Theme.u : 3 * Theme.u
                        border.color: tile.visualFocus ? Theme.focus : Theme.border
                    }
                    contentItem: RowLayout {
                        spacing: Theme.gap
                        Image {
                            Layout.preferredWidth: 96 * Theme.u; Layout.preferredHeight: 96 * Theme.u
                            Layout.alignment: Qt.AlignTop
                            Layout.margins: Theme.gap
                            source: modelData.pictogram
                            sourceSize.width: width; sourceSize.height: height
                            visible: modelData.pictogram !== ""
                            Accessible.ignored: true
                        }
                        ColumnLayout {
                            Layout.fillWidth: true
                            Layout.margins: Theme.gap
                            spacing: Theme.gap / 2
                            Text {
                                Layout.fillWidth: true
                                text: modelData.title
                                font.pixelSize: Theme.body; font.bold: true
                                color: Theme.text; wrapMode: Text.Wrap
                            }
                            Text {
                                Layout.fillWidth: true
                                Layout.fillHeight: true
                                text: modelData.description
                                font.pixelSize: Theme.small
                                color: Theme.secondaryText; wrapMode: Text.Wrap
                            }
                        }
                    }
                }
            }
        }
    }
}
