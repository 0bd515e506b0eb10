"""`kiosk close-day`: close the kiosk's books for the day or the tour, as the mediator console does."""
from __future__ import annotations

import json
from pathlib import Path

import click

from commands.base import BadInput, Failure, echo_flushed, pass_config
from commands.mediators import audit, read_pin
from commands.receipt import painting_app
from kiosk import closeday, signing
from kiosk.config import Config
from kiosk.mediators import MediatorStore
from kiosk.outbox import OutboxError
from kiosk.pin import PinError
from offline_queue import open_outbox


@click.command("close-day")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), metavar="FILE",
              help="Also write the signed manifest here (JSON), e.g. on a USB stick for the office.")
@click.option("--mediator", "mediator_id", metavar="ID",
              help="Close as this mediator: the PIN is asked for (hidden prompt, or the first line of stdin).")
@click.option("--pdf", "pdf_path", type=click.Path(dir_okay=False, path_type=Path), metavar="FILE",
              help="Also print the day sheet (counts, digest, audit head; no personal data) to this PDF file.")
@click.option("--paper", type=click.Choice(["A4", "A6"]), default="A4", show_default=True, help="PDF page size.")
@click.option("--print", "to_printer", is_flag=True, help="Also print the day sheet on the configured [printer].")
@pass_config
def close_day(config: Config, out: Path | None, mediator_id: str | None, pdf_path: Path | None, paper: str,
              to_printer: bool) -> None:
    """Close the books: a manifest (submissions by state, a digest of the queue, the head of the audit log, the
    time), signed with the device key, written and queued for the backend; the closing is an audit entry.

    Run it as the root operator (it reads the device key, the queue and the audit log; the entry names no
    mediator). At the counter the mediator closes the day from the console with the PIN, or here with
    --mediator. The office checks a manifest with `kiosk audit verify-manifest` (docs/mediators.md).

    The day sheet is worded in the kiosk's default language (English where that is Arabic: it is for staff).

    \b
    Example:
      sudo kiosk close-day --out /media/usb/close-day-2026-12-07.json --pdf /media/usb/close-day-2026-12-07.pdf
    """
    try:
        with open_outbox(config) as outbox:
            if mediator_id is not None:
                closing = closeday.close_day_with_pin(config, outbox, MediatorStore.for_config(config), mediator_id,
                                                      read_pin(confirm=False), out=out)
            else:
                closing = closeday.close_day_for_config(config, outbox, out=out)
    except (closeday.CloseDayError, OutboxError, PinError) as exc:
        raise Failure(f"close-day: {exc}") from None
    counts = ", ".join(f"{state}: {n}" for state, n in closing.manifest["submissions"].items()) or "none"
    click.echo(f"day closed at {closing.manifest['closed_at']}: {closing.total} submissions ({counts}); "
               f"audit entry {closing.audit_seq}")
    if closing.path is not None:
        click.echo(f"manifest written to {closing.path}")
    click.echo("manifest queued for the backend" if closing.queued
               else "no REST destination for the audit log: the manifest is not queued; keep the file")
    if pdf_path is None and not to_printer:
        return
    # The day is closed and its manifest kept: a sheet that cannot be printed fails the command, not the closing.
    sheet = closeday.day_sheet(closing.manifest, config.default_language)
    painting_app()
    from ui.manifest_print import print_sheet, write_pdf
    if pdf_path is not None:
        try:
            write_pdf(sheet, pdf_path, paper)
        except OSError as exc:
            raise Failure(f"the day is closed, but the sheet was not written to {pdf_path}: "
                          f"{exc.strerror or exc}; print it again from {config.data_dir}/{closeday.LAST_NAME}") from None
        echo_flushed(f"day sheet written to {pdf_path}")
    if to_printer:
        result = print_sheet(sheet, config.printer)
        if not result.ok:
            raise Failure(f"the day is closed, but the sheet was not printed: {result.value.replace('_', ' ')} "
                          f"(printer: {config.printer.kind} {config.printer.name or config.printer.device or 'default'})")
        click.echo(f"day sheet printed on the {config.printer.kind} printer")


@audit.command("verify-manifest")
@click.argument("manifest_file", metavar="FILE", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--public-key", "public_key_file", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="The kiosk's public key (PEM or base64, from `kiosk audit public-key`).")
def verify_manifest(manifest_file: Path, public_key_file: Path) -> None:
    """Check a day-closing manifest away from the kiosk: its signature and its audit head's; exit 1 if not genuine.

    \b
    Example:
      kiosk audit verify-manifest close-day-2026-12-07.json --public-key k1-audit.pem
    """
    try:
        public = signing.read_public_key(public_key_file)
        manifest = json.loads(manifest_file.read_text(encoding="utf-8"))
    except signing.SigningError as exc:
        raise BadInput(f"audit verify-manifest: {exc}") from None
    except (OSError, ValueError) as exc:
        raise BadInput(f"audit verify-manifest: cannot read {manifest_file}: {type(exc).__name__}") from None
    try:
        closeday.verify_manifest(manifest, public)
    except signing.SigningError as exc:
        raise Failure(f"MANIFEST NOT GENUINE: {exc}") from None
    head = manifest["audit_head"]
    click.echo(f"manifest genuine: kiosk {manifest['kiosk_id']}, closed {manifest['closed_at']} by "
               f"{manifest['closed_by']}, {sum(manifest['submissions'].values())} submissions, "
               f"audit log at entry {head['seq']}")
