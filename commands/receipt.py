"""`kiosk receipt REF`: a citizen's receipt again, for the mediator at the counter.

The submission is looked up by reference in the outbox (only what this kiosk
still holds: queued, failing, or delivered within [queue] receipt_days). The
receipt carries no answers unless --answers is given, and even then only where
this kiosk can read them: a payload sealed for the backend stays sealed.
"""
from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path
from typing import Any

import click

from commands.base import BadInput, Failure, echo_flushed, pass_config
from kiosk.config import Config
from kiosk.definition import load_catalogue
from kiosk.receipt import build_receipt
from kiosk.reference import normalise


def _readable_answers(outbox: Any, reference: str) -> dict | None:
    """The submission's payload if this kiosk can read it (a clear REST payload under the device seal), else None."""
    for item, body, body_seal, content_type, _ in outbox.exportable():
        if item.reference != reference:
            continue
        if content_type != "application/json":
            return None
        try:
            envelope = json.loads(outbox.open_body(body, body_seal))
        except (ValueError, OSError):
            return None
        payload = envelope.get("payload") if isinstance(envelope, dict) else None
        return payload if isinstance(payload, dict) else None
    return None


@click.command()
@click.argument("reference")
@click.option("--pdf", "pdf_path", type=click.Path(dir_okay=False, path_type=Path), metavar="FILE",
              help="Write the receipt to this PDF file.")
@click.option("--paper", type=click.Choice(["A4", "A6"]), default="A4", show_default=True, help="PDF page size.")
@click.option("--print", "to_printer", is_flag=True, help="Print it on the configured [printer].")
@click.option("--lang", type=click.Choice(["en", "pt", "fr", "es", "ar"]),
              help="Language (default: the submission's, if readable, else the kiosk's default).")
@click.option("--answers", "with_answers", is_flag=True,
              help="Add a copy of the answers (sensitive ones masked), where this kiosk can read them.")
@pass_config
def receipt(config: Config, reference: str, pdf_path: Path | None, paper: str, to_printer: bool,
            lang: str | None, with_answers: bool) -> None:
    """Show, write or print the receipt of a submission this kiosk still holds.

    Without --pdf or --print the receipt is shown as text. No answers unless --answers.

    \b
    Example:
      kiosk receipt ABCD-EFGH --pdf /tmp/receipt.pdf
    """
    from offline_queue import open_outbox

    wanted = normalise(reference)
    if wanted is None:
        raise BadInput(f"'{reference}' is not a reference number (8 letters and digits, like ABCD-EFGH)")
    with open_outbox(config) as outbox:
        item = outbox.get(wanted)
        if item is None:
            raise Failure(f"no submission {reference} on this kiosk (delivered ones are kept "
                          f"{config.queue.receipt_days:g} days: [queue] receipt_days)")
        payload = _readable_answers(outbox, item.reference) if with_answers else None
    service = load_catalogue(config.services_dirs).services.get(item.service_id)
    if service is None:
        raise Failure(f"submission {reference} is for the service '{item.service_id}', which this kiosk "
                      "no longer offers (check [services] dirs)")
    if with_answers and payload is None:
        raise Failure(f"the answers of {reference} are sealed for the backend; this kiosk cannot read them. "
                      "A copy of the answers can be printed on the confirmation screen, before Finish")
    language = lang or (payload or {}).get("language") or config.default_language
    rows = None
    if payload is not None:
        answers = payload.get("answers") or {}
        rows = [(page, answers[page.id]) for page in service.pages if page.id in answers]
    when = dt.datetime.fromtimestamp(item.created_at).astimezone()
    made = build_receipt(service, item.reference, when, str(language), answers=rows)
    if not pdf_path and not to_printer:
        for line in made.lines():
            click.echo(line)
        return
    _qt()
    from ui.receipt_print import print_receipt, write_pdf
    if pdf_path:
        try:
            write_pdf(made, pdf_path, paper)
        except OSError as exc:
            raise Failure(f"cannot write {pdf_path}: {exc.strerror or exc}") from None
        echo_flushed(str(pdf_path))
    if to_printer:
        result = print_receipt(made, config.printer)
        if not result.ok:
            raise Failure(f"not printed: {result.value.replace('_', ' ')} (printer: {config.printer.kind} "
                          f"{config.printer.name or config.printer.device or 'default'})")
        click.echo(f"printed on the {config.printer.kind} printer")


def _qt() -> None:
    """A QGuiApplication for fonts and painting; offscreen when there is no screen (a terminal, ssh)."""
    from PySide6.QtGui import QGuiApplication
    if QGuiApplication.instance() is None:
        if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
            os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
        _qt.app = QGuiApplication([])  # type: ignore[attr-defined]  # kept alive for the command's run
