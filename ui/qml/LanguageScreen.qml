import QtQuick
import QtQuick.Controls
import QtQuick.Layouts

// Each language offered in its own name and its own direction.
Item {
    ColumnLayout {
        anchors.fill: parent
        anchors.margins: Theme.margin
        spacing: Theme.margin
        Text {
            objectName: "screenTitle"
            Layout.fillWidth: true
            text: kiosk.t["language.title"]
            font.pixelSize: Theme.large; font.bold: true
            color: Theme.text
            wrapMode: Text.Wrap
            Accessible.role: Accessible.Heading
            Accessible.name: text
        }
        GridLayout {
            Layout.fillWidth: true
            columns: width > 900 * Theme.u ? 3 : 2
            columnSpacing: Theme.gap; rowSpacing: Theme.gap
            Repeater {
                model: kiosk.languages
                BigButton {
                    required property var modelData
                    objectName: "lang_" + modelData.code
                    Layout.fillWidth: true
                    Layout.preferredHeight: Math.max(Theme.touch * 1.4, implicitHeight)  // Arabic's tall glyphs at bigger text
                    text: modelData.name
                    // Grows like the header (x1.25 at most): five names in their own scripts stay on one page
                    // on a portrait screen with x2 text.
                    fontSize: Theme.chromeLarge
                    selected: kiosk.language === modelData.code
                    LayoutMirroring.enabled: modelData.rtl
                    onClicked: kiosk.chooseLanguage(modelData.code)
                }
            }
        }
        Item { Layout.fillHeight: true }
    }
}
