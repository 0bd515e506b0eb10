"""A document of several pages over OpenRosa, as ODK Central takes repeated media.

The parking-card sample (a proof of address of 1-3 pages and a signature) goes through the real journey, the
real outbox and the real sync to a loopback OpenRosa server that reads the published XForm the way Central
does: every element bound to `binary` names a file, one repeat per page, and each file arrives as its own
multipart part whose name and filename are that element's value. Nothing more, nothing less, byte-identical.
"""
from __future__ import annotations

import datetime as dt
import email.parser
import email.policy
import os
import threading
import xml.etree.ElementTree as ET
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from kiosk.definition import load_service
from kiosk.documents import Attachment
from kiosk.journey import CHECK, QUESTION, Journey
from kiosk.samples import sample_answer
from kiosk.submission import build_payload
from kiosk.xform import XF, xform_for
from offline_queue import open_outbox
from offline_queue.connectors.render import render_xform
from offline_queue.sync import Syncer
from tests.queue_fixtures import FAST, make_queue_config

pytestmark = pytest.mark.timeout(60)

SERVICE = load_service(Path(__file__).resolve().parents[1] / "kiosk" / "services" / "disabled-parking-card.yaml")
NOW = dt.datetime(2026, 11, 23, 10, 30, tzinfo=dt.timezone.utc)
OK = (b"<OpenRosaResponse xmlns='http://openrosa.org/http/response'><message nature=''>full submission upload "
      b"was successful!</message></OpenRosaResponse>")


def media_paths(form_xml: str) -> list[str]:
    """The instance paths (below the root) of the form's file questions: the binds of type binary."""
    model = ET.fromstring(form_xml).find(f"{{http://www.w3.org/1999/xhtml}}head/{{{XF}}}model")
    return [b.get("nodeset").split("/", 2)[2] for b in model.findall(f"{{{XF}}}bind") if b.get("type") == "binary"]


def named_files(instance: ET.Element, paths: list[str]) -> list[str]:
    """The file names an instance gives its media elements, in document order; repeats give one each."""
    return [element.text or "" for path in paths for element in instance.findall(path)]


class MediaServer:
    """An OpenRosa server that checks media as Central does, against the form it publishes: the first part is
    xml_submission_file, then exactly one part per file named in the instance (name = filename = value)."""

    def __init__(self, form_xml: str) -> None:
        self.paths = media_paths(form_xml)
        self.received: dict[str, tuple[bytes, dict[str, tuple[str, bytes]]]] = {}
        self.refusals: list[str] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def answer(self, status: int, body: bytes) -> None:
                self.send_response(status)
                self.send_header("Content-Type", "text/xml; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def refuse(self, why: str) -> None:
                outer.refusals.append(why)
                self.answer(400, b"<OpenRosaResponse xmlns='http://openrosa.org/http/response'><message>"
                            + why.encode() + b"</message></OpenRosaResponse>")

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                parsed = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
                    b"Content-Type: " + self.headers["Content-Type"].encode() + b"\r\n\r\n" + body)
                parts = [(p.get_param("name", header="content-disposition"),
                          p.get_param("filename", header="content-disposition"),
                          p.get_content_type(), p.get_payload(decode=True)) for p in parsed.iter_parts()]
                if not parts or parts[0][0] != "xml_submission_file":
                    return self.refuse("xml_submission_file missing")
                instance = ET.fromstring(parts[0][3])
                wanted = named_files(instance, outer.paths)
                media = {}
                for name, filename, content_type, data in parts[1:]:
                    if name != filename:
                        return self.refuse(f"part {name} has filename {filename}")
                    if name in media:
                        return self.refuse(f"part {name} twice")
                    media[name] = (content_type, data)
                if sorted(media) != sorted(w for w in wanted if w != "oral"):
                    return self.refuse(f"parts {sorted(media)} do not match the instance's files {wanted}")
                outer.received[instance.findtext("meta/instanceID")] = (parts[0][3], media)
                self.answer(201, OK)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/submission"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def central(tmp_path):
    server = MediaServer(xform_for(SERVICE))
    config, _ = make_queue_config(tmp_path, destinations={SERVICE.destination: {"kind": "openrosa",
                                                                                 "url": server.url}})
    outbox = open_outbox(config)
    yield config, server, outbox
    outbox.close()
    server.stop()


def journey_with(pages: int, signature: str) -> Journey:
    """The parking-card journey answered through the real engine, with `pages` scanned pages."""
    clock = iter(NOW + dt.timedelta(minutes=i) for i in range(1000))
    journey = Journey(SERVICE, "pt", clock=lambda: next(clock), today=NOW.date())
    while journey.step == QUESTION:
        page = journey.page
        if page.type == "document":
            answer = [f"{page.id}-{n}.jpg" for n in range(1, pages + 1)]
        elif page.type == "signature":
            answer = signature
        else:
            answer = sample_answer(page, SERVICE)
        assert journey.next(answer) is None, page.id
    assert journey.step == CHECK
    journey.give_consent()
    return journey


def files_for(journey: Journey) -> list[Attachment]:
    proof = journey.answers["proof_of_address"]
    pages = [Attachment(name, "image/jpeg", b"\xff\xd8PAGE" + name.encode() + os.urandom(20_000)) for name in proof]
    signature = journey.answers["signature"]
    return pages + ([] if signature == "oral" else [Attachment(signature, "image/png", b"\x89PNG" + os.urandom(900))])


def test_three_pages_are_three_repeats_each_its_own_part_byte_identical(central):
    config, server, outbox = central
    journey = journey_with(3, "signature.png")
    payload = build_payload(journey, config)
    attachments = files_for(journey)
    outbox.enqueue(payload, config.destination(SERVICE.destination), attachments)

    result = Syncer(outbox, config, FAST).run_once()

    assert result.delivered == 1, (result.errors, server.refusals)
    xml, media = server.received[f"uuid:{payload['submission_id']}"]
    instance = ET.fromstring(xml)
    repeats = instance.findall("comprovativo_morada")
    assert [r.findtext("page") for r in repeats] == ["proof_of_address-1.jpg", "proof_of_address-2.jpg",
                                                     "proof_of_address-3.jpg"]
    assert all(len(r) == 1 for r in repeats)  # one media element per repeat, nothing else
    assert instance.findtext("assinatura") == "signature.png"
    assert media == {a.name: (a.content_type, a.data) for a in attachments}
    assert outbox.attachment_names(payload["submission_id"]) == []  # purged once Central took them


def test_one_page_is_one_repeat_and_an_oral_signature_sends_no_file(central):
    config, server, outbox = central
    journey = journey_with(1, "oral")
    payload = build_payload(journey, config)
    attachments = files_for(journey)
    outbox.enqueue(payload, config.destination(SERVICE.destination), attachments)

    assert Syncer(outbox, config, FAST).run_once().delivered == 1, server.refusals
    xml, media = server.received[f"uuid:{payload['submission_id']}"]
    instance = ET.fromstring(xml)
    assert [r.findtext("page") for r in instance.findall("comprovativo_morada")] == ["proof_of_address-1.jpg"]
    assert instance.findtext("assinatura") == "oral"
    assert list(media) == ["proof_of_address-1.jpg"]


def test_the_instance_has_the_elements_the_published_form_has(tmp_path):
    """Every element of the instance is in the form, the repeat in the form's template place."""
    journey = journey_with(2, "signature.png")
    payload = build_payload(journey, make_queue_config(tmp_path)[0])
    payload["attachments"] = [a.manifest() for a in files_for(journey)]  # as Outbox.enqueue adds it
    instance = ET.fromstring(render_xform(payload).body)
    form = ET.fromstring(xform_for(SERVICE))
    template = form.find(f".//{{{XF}}}instance/{{{XF}}}data/{{{XF}}}comprovativo_morada")
    assert template is not None and template.get("{http://openrosa.org/javarosa}template") == ""
    assert [c.tag.split("}")[1] for c in template] == ["page"]
    repeat = form.find(f".//{{{XF}}}repeat[@nodeset='/data/comprovativo_morada']")
    assert repeat is not None and repeat.find(f"{{{XF}}}upload").get("ref") == "/data/comprovativo_morada/page"
    form_names = [c.tag.split("}")[1] for c in form.find(f".//{{{XF}}}instance/{{{XF}}}data")]
    sent_names = [c.tag for c in instance]
    # Same order as the form, a repeated element once per page.
    assert [n for i, n in enumerate(sent_names) if i == 0 or sent_names[i - 1] != n] == form_names
    assert sent_names.count("comprovativo_morada") == 2


def test_a_multiple_choice_list_is_not_taken_for_a_document():
    """Only a list whose items are all files of the submission becomes repeats."""
    from tests.queue_fixtures import sample_payload
    payload = sample_payload(fields={"benefits": ["old_age", "disability"], "pages": ["a-1.jpg", "a-2.jpg"]},
                             attachments=[{"name": "a-1.jpg"}, {"name": "a-2.jpg"}])
    instance = ET.fromstring(render_xform(payload).body)
    assert instance.findtext("benefits") == "old_age disability"
    assert [p.findtext("page") for p in instance.findall("pages")] == ["a-1.jpg", "a-2.jpg"]
