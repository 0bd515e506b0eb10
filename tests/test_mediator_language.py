"""The mediator's own language, per account (issue 11).

The store keeps it (and adds the column to files made before it existed), the
CLI sets and lists it, and a mediator who signs in with the PIN reads the panel
in it while the citizen's screen stays in the citizen's language. Real SQLite
files and the real QML screens offscreen.
"""
from __future__ import annotations

import io
import json
import sqlite3

import pytest

from kiosk.mediators import MediatorError, MediatorStore
from tests.test_mediator_ui import close_kiosk, enter_pin, make_kiosk, start, wait_idle
from translations import table
from translations import text as tr

pytestmark = pytest.mark.timeout(300)

# The schema of mediators.db before accounts had a language (kiosk.mediators up to b7f2235).
OLD_SCHEMA = ("CREATE TABLE mediators ("
              " id TEXT PRIMARY KEY, name TEXT NOT NULL, role TEXT NOT NULL,"
              " pin_hash TEXT NOT NULL, active INTEGER NOT NULL DEFAULT 1,"
              " failures INTEGER NOT NULL DEFAULT 0, locked_until REAL NOT NULL DEFAULT 0,"
              " created_at REAL NOT NULL)")


def _old_file(path, pin: str = "482913") -> None:
    from kiosk import pin as pins
    db = sqlite3.connect(path)
    db.execute(OLD_SCHEMA)
    db.execute("INSERT INTO mediators (id, name, role, pin_hash, created_at) VALUES (?,?,?,?,?)",
               ("ana.s", "Ana Silva", "mediator", pins.hash_pin(pin), 1.0))
    db.commit()
    db.close()


def test_an_old_file_gains_the_language_column(tmp_path):
    path = tmp_path / "mediators.db"
    _old_file(path)
    store = MediatorStore(path)
    try:
        ana = store.get("ana.s")
        assert ana is not None and ana.language == "" and ana.name == "Ana Silva"
        assert store.authenticate("ana.s", "482913").ok  # the old row still signs in
        store.set_language("ana.s", "pt")
        store.add("rui.s", "Rui Santos", "supervisor", "730519", language="fr")
        assert [(m.id, m.language) for m in store.list()] == [("ana.s", "pt"), ("rui.s", "fr")]
    finally:
        store.close()
    # Opening again (the column is there now) changes nothing.
    again = MediatorStore(path)
    try:
        reopened = again.get("ana.s")
        assert reopened is not None and reopened.language == "pt"
    finally:
        again.close()
    columns = [r[1] for r in sqlite3.connect(path).execute("PRAGMA table_info(mediators)")]
    assert columns.count("language") == 1


def test_the_store_refuses_a_language_it_has_no_words_for(tmp_path):
    store = MediatorStore(tmp_path / "mediators.db")
    try:
        with pytest.raises(MediatorError):
            store.add("ana.s", "Ana Silva", "mediator", "482913", language="xx")
        store.add("ana.s", "Ana Silva", "mediator", "482913")
        with pytest.raises(MediatorError):
            store.set_language("ana.s", "de")
        with pytest.raises(MediatorError):
            store.set_language("nobody", "pt")
        store.set_language("ana.s", "")  # back to the kiosk's
        ana = store.get("ana.s")
        assert ana is not None and ana.language == ""
    finally:
        store.close()


def test_cli_sets_and_lists_the_language(tmp_path, monkeypatch, capsys):
    from commands.cli import main
    monkeypatch.setenv("PONTE_DATA_DIR", str(tmp_path))
    monkeypatch.setattr("kiosk.config.config_path", lambda: None)
    _old_file(tmp_path / "mediators.db")  # an existing kiosk's file, made before the column
    monkeypatch.setattr("sys.stdin", io.StringIO("593817\n"))
    assert main(["mediators", "add", "rui.m", "--name", "Rui M", "--language", "pt"]) == 0
    monkeypatch.setattr("sys.stdin", io.StringIO("593817\n"))
    assert main(["mediators", "add", "eva.m", "--name", "Eva M", "--language", "de"]) != 0
    assert main(["mediators", "set-language", "ana.s", "ar"]) == 0
    assert main(["mediators", "set-language", "nobody", "ar"]) == 1
    capsys.readouterr()
    assert main(["mediators", "list"]) == 0
    lines = {line.split()[0]: line.split() for line in capsys.readouterr().out.splitlines()}
    assert lines["rui.m"][2] == "pt" and lines["ana.s"][2] == "ar"
    assert main(["mediators", "set-language", "rui.m", "default"]) == 0
    capsys.readouterr()
    assert main(["mediators", "list", "--json"]) == 0
    listed = {m["id"]: m["language"] for m in json.loads(capsys.readouterr().out)}
    assert listed == {"ana.s": "ar", "rui.m": None}


def _sign_in(d, account: str = "ana.s", pin: str = "482913") -> None:
    d.click("callHelperButton")
    d.click("helpHelperHere")
    enter_pin(d, pin, account)
    assert d.ctrl.layer.view == "panel" and d.has("mediatorPanel")


def test_panel_speaks_the_mediators_language_beside_an_english_citizen(qtbot, tmp_path):
    d = make_kiosk(qtbot, tmp_path)  # the kiosk's default language is English
    try:
        store = MediatorStore.for_config(d.config)
        store.set_language("ana.s", "pt")
        store.close()
        start(d, "en")
        journey = d.app.bridge.journey
        service, page = journey.service, journey.page
        question_en = service.text(page.question, "en")
        assert service.text(page.question, "pt") != question_en
        assert d.text_of("questionText") == question_en
        assert d.ctrl.t["m.panel.hide"] == table("en")["m.panel.hide"]  # nobody signed in: the kiosk's

        _sign_in(d)
        pt = table("pt")
        assert d.text_of("panelTitle") == pt["m.panel.title"].replace("{name}", "Ana Silva")
        assert d.text_of("panelHide") == pt["m.panel.hide"] != table("en")["m.panel.hide"]
        assert d.text_of("panelHandBack") == pt["m.panel.hand_back"]
        assert d.text_of("panelRequirementsTitle") == pt["m.panel.requirements"]
        if service.requirements:
            assert d.text_of("panelRequirements") == service.text(service.requirements, "pt")
        assert d.text_of("identity_" + d.ctrl.assist.documentKinds[0]["code"]) == \
            tr("pt", "m.doc." + d.ctrl.assist.documentKinds[0]["code"])
        # The citizen's screen stays theirs: the question and the helper bar in English.
        assert d.app.bridge.language == "en"
        assert d.text_of("questionText") == question_en
        assert d.text_of("assistBarText") == tr("en", "m.citizen.with_you", name="Ana Silva",
                                                service=service.text(service.title, "en"))

        # The console, opened from the panel, is in Portuguese too.
        d.click("panelConsole")
        wait_idle(d)
        assert d.ctrl.console.language == "pt"

        # Signed out: the next mediator's PIN pad is in the kiosk's language again.
        d.ctrl.signOut()
        d.settle()
        assert d.ctrl.language == "en" and d.ctrl.t["m.panel.hide"] == table("en")["m.panel.hide"]
        assert d.ctrl.pin.language == d.ctrl.assist.language == d.ctrl.console.language == "en"
    finally:
        close_kiosk(d)


def test_an_account_without_a_language_keeps_the_kiosks(qtbot, tmp_path):
    d = make_kiosk(qtbot, tmp_path, mediator={"language": "fr"})  # [mediator] language = fr
    try:
        start(d, "pt")
        _sign_in(d)
        fr = table("fr")
        assert d.text_of("panelHide") == fr["m.panel.hide"]
        assert d.text_of("panelHandBack") == fr["m.panel.hand_back"]
    finally:
        close_kiosk(d)
