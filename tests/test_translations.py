"""Every interface text in every language, and the .ts files translators use, checked with Qt's own tools."""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import translations
from translations import ROOT, languages
from translations.check import problems
from translations.ts import QT_FORMS, export_ts, import_ts

LRELEASE = Path(sys.executable).parent / "pyside6-lrelease"


def test_no_interface_text_is_missing_unfinished_or_has_other_blanks():
    """CI fails here on a text a language lacks (English would show), leaves empty, or words with other blanks."""
    assert [str(p) for p in problems()] == []


def test_the_check_finds_a_missing_text_a_lost_blank_and_a_missing_plural_form(tmp_path):
    root = tmp_path / "translations"
    shutil.copytree(ROOT, root, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    core = root / "core" / "fr.json"
    text = core.read_text(encoding="utf-8")
    text = text.replace('"nav.back": "Retour",', "")
    text = text.replace('"progress": "Question {n} sur {total}"', '"progress": "Question {n}"')
    core.write_text(text, encoding="utf-8")
    ar = root / "mediator" / "ar.json"
    ar.write_text(ar.read_text(encoding="utf-8").replace('"two": "الرقم السري خطأ. بقيت محاولتان.", ', ""),
                  encoding="utf-8")
    found = {(p.language, p.key): p.message for p in problems(root)}
    assert found[("fr", "nav.back")].startswith("missing")
    assert "plural forms missing: two" == found[("ar", "m.pin.wrong")]
    assert found[("fr", "progress")] == "blank {total} of the English text is missing"
    assert len(found) == 3


@pytest.fixture(scope="module")
def qm_dir(tmp_path_factory):
    """Every language exported to .ts and compiled by Qt's own lrelease."""
    out = tmp_path_factory.mktemp("qm")
    for language in languages():
        if language == "en":
            continue
        ts = out / f"ponte_{language}.ts"
        ts.write_text(export_ts(language), encoding="utf-8")
        result = subprocess.run([str(LRELEASE), str(ts), "-qm", str(out / f"ponte_{language}.qm")],
                                capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stderr
        assert " 0 unfinished" in result.stdout, result.stdout  # Qt counts no unfinished text either
    return out


def translator(qm_dir: Path, language: str):
    from PySide6.QtCore import QTranslator
    t = QTranslator()
    assert t.load(str(qm_dir / f"ponte_{language}.qm"))
    return t


@pytest.mark.parametrize("language", ["pt", "fr", "es", "ar"])
def test_qt_finds_each_text_by_area_english_and_key(qapp, qm_dir, language):
    t = translator(qm_dir, language)
    assert t.translate("core", "Back", "nav.back") == translations.text(language, "nav.back")
    assert t.translate("mediator", "Wrong PIN. {left} tries left.", "m.pin.wrong", 3) != ""


@pytest.mark.parametrize("language", ["pt", "fr", "es", "ar"])
def test_qts_own_plural_rules_pick_the_form_cldr_picks(qapp, qm_dir, language):
    """The numerus order written into the .ts (QT_FORMS) agrees with Qt's rules for every count tried, so a
    translator in Qt Linguist sees each form under the right label."""
    t = translator(qm_dir, language)
    for n in (0, 1, 2, 3, 5, 10, 11, 21, 99, 100, 101, 102, 111, 1000):
        ours = translations.text(language, "services.questions", count=n)
        qt = t.translate("core", "{count} questions", "services.questions", n)
        assert qt.replace("{count}", translations.format_number(language, n)) == ours, \
            f"{language} n={n}: Qt picks {qt!r}, CLDR {ours!r}"


def test_a_translator_s_file_comes_back_into_the_json(tmp_path):
    root = tmp_path / "translations"
    shutil.copytree(ROOT, root, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    (root / "core" / "es.json").write_text(
        (root / "core" / "es.json").read_text(encoding="utf-8").replace('"nav.back": "Atrás",', ""), encoding="utf-8")
    ts_text = export_ts("es", root)
    assert 'type="unfinished"' in ts_text and "<comment>nav.back</comment>" in ts_text
    # What a translator does in Linguist: fill the text in, mark it finished.
    block_start = ts_text.index("<comment>nav.back</comment>")
    end = ts_text.index("</message>", block_start)
    edited = ts_text[:block_start] + ts_text[block_start:end].replace(
        '<translation type="unfinished" />', "<translation>Volver</translation>") + ts_text[end:]
    path = tmp_path / "ponte_es.ts"
    path.write_text(edited, encoding="utf-8")
    result = import_ts(path, root)
    assert result.language == "es" and result.written == 1 and result.unknown == ()
    assert problems(root, ["es"]) == []
    assert '"nav.back": "Volver"' in (root / "core" / "es.json").read_text(encoding="utf-8")


def test_qt_forms_cover_the_categories_each_language_needs():
    for language, forms in QT_FORMS.items():
        assert translations.plural_categories(language) - {"many"} <= set(forms)


def test_the_commands_check_export_and_refuse_english(tmp_path):
    from click.testing import CliRunner

    from commands.cli import kiosk
    runner = CliRunner()
    result = runner.invoke(kiosk, ["translations", "check"])
    assert result.exit_code == 0 and "every interface text translated" in result.output
    result = runner.invoke(kiosk, ["translations", "export", str(tmp_path / "ts"), "--lang", "fr"])
    assert result.exit_code == 0 and (tmp_path / "ts" / "ponte_fr.ts").is_file()
    assert runner.invoke(kiosk, ["translations", "export", str(tmp_path), "--lang", "en"]).exit_code == 2
    bad = tmp_path / "bad.ts"
    bad.write_text("<TS", encoding="utf-8")
    result = runner.invoke(kiosk, ["translations", "import", str(bad)])
    assert result.exit_code == 2 and "not a readable .ts file" in result.output
