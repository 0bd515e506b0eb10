"""`kiosk receipt REF`: a citizen's receipt again, for the mediator at the counter.

The lookup is operations.receipts.find_receipt, shared with the mediator
console's "Reprint receipt": only what this kiosk still holds (queued, failing,
or delivered within [queue] receipt_days), no answers unless --answers is
given, and then only where this kiosk can read them.
"""
from __future__ import annotations

import os
from pathlib import Path

import click

from commands.base import BadInput, Failure, echo_flushed, pass_config
from kiosk.config import Config
from kiosk.outbox import OutboxError
from kiosk.reference import normalise
from operations.receipts import ReceiptNotAvailable, find_receipt


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
    try:
        with open_outbox(config) as outbox:
            made = find_receipt(config, outbox, wanted, language=lang, with_answers=with_answers).receipt
    except ReceiptNotAvailable as exc:
        raise Failure(str(exc).replace(wanted, reference, 1)) from None
    except OutboxError as exc:
        raise Failure(f"receipt: {exc}") from None
    if not pdf_path and not to_printer:
        for line in made.lines():
            click.echo(line)
        return
    painting_app()
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


def painting_app() -> None:
    """A QGuiApplication for fonts and painting; offscreen when there is no screen (a terminal, ssh)."""
    from PySide6.QtGui import QGuiApplication
    if QGuiApplication.instance() is None:
        if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
            os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
        painting_app.app = QGuiApplication([])  # type: ignore[attr-defined]  # kept alive for the command's run
