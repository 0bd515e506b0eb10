"""Status updates: the kiosk's optional page for a mobile number or email, and where the contact goes.

The pages are generated from the definition's `status_updates:` (kiosk/status_updates.py); the contact
travels sealed to the backend in payload["status_updates"] and never in the answers, the logs or a
printed copy in clear. End to end against the real dev-backend over HTTP on 127.0.0.1.
"""
from __future__ import annotations

import logging
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml

from kiosk import status_updates
from kiosk.config import config_from_dict
from kiosk.definition import DefinitionError, load_service
from kiosk.journey import CHECK, QUESTION, Journey
from kiosk.receipt import answer_lines
from kiosk.screen import error_text
from kiosk.submission import build_payload, submit
from kiosk.xform import xform_for
from offline_queue import open_outbox
from offline_queue.connectors.render import render_xform
from offline_queue.devbackend import start_dev_backend
from offline_queue.sync import Syncer
from tests.queue_fixtures import FAST, make_queue_config, with_destinations

pytestmark = pytest.mark.timeout(60)

SERVICES = Path(__file__).resolve().parent.parent / "kiosk" / "services"
LANGUAGES = ("en", "pt", "fr", "es", "ar")
CANARY_PHONE = "+351 912 777 313"  # a number that appears nowhere else, looked for in logs and files
CANARY_STORED = "+351912777313"  # as the phone validator keeps it
CANARY_EMAIL = "canary.updates@example.org"
TARIFF_ANSWERS = {"nif": "123456789", "benefits": ["old_age_supplement"], "people_home": "2", "energy": "both",
                  "supplier": "dont_know", "contract_holder": "yes", "home_postcode": "4000-123",
                  "anything_else": "", "phone": ""}


def walk(journey: Journey, answers: dict) -> None:
    """Answer page by page as the screen would, until the status updates page (or check answers)."""
    while journey.step == QUESTION and journey.page.id not in status_updates.PAGE_IDS:
        assert journey.next(answers.get(journey.page.id)) is None, journey.page.id


def tariff_at_updates(language: str = "en") -> Journey:
    journey = Journey(load_service(SERVICES / "social-energy-tariff.yaml"), language)
    walk(journey, TARIFF_ANSWERS)
    return journey


# --- the page ----------------------------------------------------------------------------------------

def test_updatesPage_isOffered_onlyByFlaggedServices_atTheEnd():
    address = load_service(SERVICES / "change-of-address.yaml")
    assert not address.status_updates
    assert not {p.id for p in address.pages} & set(status_updates.PAGE_IDS)
    for name in ("birth-certificate", "social-energy-tariff"):
        service = load_service(SERVICES / f"{name}.yaml")
        assert service.status_updates == ("sms", "email")
        assert [p.id for p in service.pages[-3:]] == list(status_updates.PAGE_IDS)
        choice = service.page(status_updates.CHANNEL)
        assert not choice.required and [o.value for o in choice.options] == ["sms", "email", "none"]
        for page in service.pages[-3:]:  # worded in every language of the service
            for texts in (page.question, page.hint, page.mediator_notes, *[o.label for o in page.options]):
                assert set(texts) == set(LANGUAGES) and all(texts.values()), page.id
        assert service.page(status_updates.PHONE).sensitive and service.page(status_updates.EMAIL).personal


def test_updatesPage_skipped_orNoThanks_goesToCheck_withoutContact():
    journey = tariff_at_updates()
    assert journey.page.id == status_updates.CHANNEL
    assert journey.next(None) is None  # optional: skipping it is "No thanks"
    assert journey.step == CHECK
    payload = build_payload(journey, config_from_dict({}))
    assert "status_updates" not in payload
    journey = tariff_at_updates()
    journey.next("none")
    assert journey.step == CHECK
    assert build_payload(journey, config_from_dict({}))["status_updates"] == {"channel": "none"}


@pytest.mark.parametrize("language", LANGUAGES)
def test_textMessage_asksTheNumber_andRefusesBadOnes_inEveryLanguage(language):
    journey = tariff_at_updates(language)
    journey.next("sms")
    assert journey.page.id == status_updates.PHONE
    problem = journey.next("call me")
    assert problem is not None and problem.key == "invalid_phone"
    message = error_text(journey.service, journey.page, problem, language)
    assert message and "{" not in message
    assert journey.next("") is not None  # chosen "by text message": the number is needed
    assert journey.next(CANARY_PHONE) is None
    assert journey.step == CHECK


def test_email_asksTheAddress_andRefusesBadOnes():
    journey = tariff_at_updates()
    journey.next("email")
    assert journey.page.id == status_updates.EMAIL
    assert journey.next("canary.updates@").key == "invalid_email"
    assert journey.next(CANARY_EMAIL) is None
    payload = build_payload(journey, config_from_dict({}))
    assert payload["status_updates"] == {"channel": "email", "email": CANARY_EMAIL}
    assert not set(payload["answers"]) & set(status_updates.PAGE_IDS)
    assert CANARY_EMAIL not in repr(payload["answers"]) + repr(payload["fields"])


def test_changingTheChannel_fromCheck_sendsOnlyTheNewOne():
    journey = tariff_at_updates()
    journey.next("sms")
    journey.next(CANARY_PHONE)
    journey.change(status_updates.CHANNEL)
    journey.next("email")
    journey.next(CANARY_EMAIL)
    assert journey.step == CHECK
    payload = build_payload(journey, config_from_dict({}))
    assert payload["status_updates"] == {"channel": "email", "email": CANARY_EMAIL}
    assert "912777313" not in repr(payload)


def test_receiptCopy_masksTheContact():
    journey = tariff_at_updates()
    journey.next("sms")
    journey.next(CANARY_PHONE)
    lines = answer_lines(journey.service, [(r.page, r.value) for r in journey.summary()], "en")
    text = repr(lines)
    assert "313" in text and "912" not in text


# --- the definition --------------------------------------------------------------------------------

def _definition(tmp_path: Path, change) -> Path:
    doc = yaml.safe_load((SERVICES / "social-energy-tariff.yaml").read_text(encoding="utf-8"))
    change(doc)
    path = tmp_path / "social-energy-tariff.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    for pictogram in (SERVICES / "pictograms").iterdir():
        (tmp_path / "pictograms").mkdir(exist_ok=True)
        (tmp_path / "pictograms" / pictogram.name).write_bytes(pictogram.read_bytes())
    return path


@pytest.mark.parametrize("change, expected", [
    (lambda d: d["pages"][-1].update(id="status_updates_phone"), "kiosk's own page for status updates"),
    (lambda d: d["mapping"].update(nif="status_updates/nif"), "where the kiosk puts the contact"),
    (lambda d: d["status_updates"]["about"].pop("ar"), "no text in ar"),
    (lambda d: d["status_updates"].update(channels=["fax"]), "'fax' is not allowed"),
], ids=["page-id", "mapping", "about-language", "channel"])
def test_definition_refusesWhatCollidesWithTheKiosksPages(tmp_path, change, expected):
    with pytest.raises(DefinitionError, match=expected):
        load_service(_definition(tmp_path, change))


def test_oneChannel_offersOnlyIt(tmp_path):
    service = load_service(_definition(tmp_path, lambda d: d["status_updates"].update(channels=["email"])))
    assert [o.value for o in service.page(status_updates.CHANNEL).options] == ["email", "none"]
    assert status_updates.PHONE not in {p.id for p in service.pages}
    assert "status_updates/phone" not in xform_for(service)


# --- where the contact goes ------------------------------------------------------------------------

def test_contact_reachesTheDevBackend_sealed_andNeverInLogsOrTheQueueFile(tmp_path, caplog):
    caplog.set_level(logging.DEBUG)  # every logger, every level: the contact must be in none of them
    config, private = make_queue_config(tmp_path)
    backend = start_dev_backend(tmp_path / "backend.db", [private])
    config = with_destinations(config, {"*": {"url": backend.url, "read_timeout": 2.0}})
    outbox = open_outbox(config)
    try:
        journey = tariff_at_updates("pt")
        journey.next("sms")
        journey.next(CANARY_PHONE)
        journey.give_consent()
        receipt = submit(journey, config, outbox)
        queue_bytes = b"".join(p.read_bytes() for p in config.data_dir.rglob("*") if p.is_file())
        assert b"912777313" not in queue_bytes and b"912 777" not in queue_bytes  # sealed at rest
        assert Syncer(outbox, config, FAST).run_once().delivered == 1
        [row] = backend.rows()
        assert row["reference"] == receipt.reference
        assert row["payload"]["status_updates"] == {"channel": "sms", "phone": CANARY_STORED}
        assert not set(row["payload"]["answers"]) & set(status_updates.PAGE_IDS)
        schema = _sync_api_validator("Payload")  # what docs/sync-api.yaml tells a backend it receives
        schema.validate(row["payload"])
        with pytest.raises(Exception, match="not one of"):
            schema.validate({**row["payload"], "status_updates": {"channel": "fax"}})
    finally:
        outbox.close()
        backend.stop()
    logged = "\n".join(r.getMessage() + repr(r.args) for r in caplog.records)
    assert caplog.records and "912777313" not in logged and "912 777" not in logged


def test_openRosa_instance_carriesTheGroup_theFormPublishes():
    journey = tariff_at_updates()
    journey.next("email")
    journey.next(CANARY_EMAIL)
    journey.give_consent()
    payload = build_payload(journey, config_from_dict({}))
    instance = ET.fromstring(render_xform(payload).body)
    assert instance.findtext("status_updates/channel") == "email"
    assert instance.findtext("status_updates/email") == CANARY_EMAIL
    assert instance.find("status_updates/phone") is None
    form = xform_for(journey.service)
    for path in ("status_updates/channel", "status_updates/phone", "status_updates/email"):
        assert f'nodeset="/data/{path}"' in form



def _sync_api_validator(name: str):
    import jsonschema
    doc = yaml.safe_load((SERVICES.parent.parent / "docs" / "sync-api.yaml").read_text(encoding="utf-8"))
    return jsonschema.Draft202012Validator({"$ref": f"#/components/schemas/{name}", "components": doc["components"]})
