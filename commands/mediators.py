"""`kiosk mediators ...`, `kiosk audit ...`, `kiosk stats`, `kiosk console`: the mediator area from a terminal.

PINs are read from a hidden prompt (getpass) or, when stdin is not a
terminal, from the first line of stdin; never from the command line, where
they would end up in the shell history and the process list.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import getpass
import json
import sys
from pathlib import Path

import click

from commands.base import BadInput, Failure, pass_config
from kiosk import LANGUAGES, audit_check, signing
from kiosk import audit as audit_mod
from kiosk.config import Config
from kiosk.mediators import ROLES, MediatorError, MediatorStore
from kiosk.pin import PinError, check_pin_format
from kiosk.stats import Stats
from operations import health


def read_pin(prompt: str = "PIN: ", confirm: bool = True) -> str:
    """A PIN from a hidden prompt, asked twice; from a pipe, its first line."""
    if sys.stdin.isatty():
        pin = getpass.getpass(prompt)
        if confirm and getpass.getpass("Again: ") != pin:
            raise PinError("the two PINs differ")
        return pin
    return sys.stdin.readline().strip()


@click.group()
def mediators() -> None:
    """Mediator accounts: who may sign in to assisted mode and the console with a PIN.

    \b
    Example:
      kiosk mediators add ana.s --name "Ana S."
    """


@mediators.command()
@click.argument("account_id", metavar="ID")
@click.option("--name", required=True, help="Display name shown to the citizen.")
@click.option("--role", type=click.Choice(ROLES), default="mediator", show_default=True)
@click.option("--language", type=click.Choice(LANGUAGES), default=None,
              help="The language of this mediator's panel and console (default: the kiosk's).")
@pass_config
def add(config: Config, account_id: str, name: str, role: str, language: str | None) -> None:
    """Add an account; its PIN is asked for (or read from stdin), never given as an argument.

    \b
    Example:
      kiosk mediators add ana.s --name "Ana S." --role supervisor --language pt
    """
    try:
        pin = read_pin()
        check_pin_format(pin)
        m = MediatorStore.for_config(config).add(account_id, name, role, pin, language=language or "")
    except (PinError, MediatorError) as exc:
        raise Failure(f"mediators add: {exc}") from None
    click.echo(f"added {m.id} ({m.role}, {_language_label(m.language)})")


def _language_label(language: str) -> str:
    return language or "kiosk default"


@mediators.command("set-language")
@click.argument("account_id", metavar="ID")
@click.argument("language", type=click.Choice([*LANGUAGES, "default"]))
@pass_config
def set_language(config: Config, account_id: str, language: str) -> None:
    """Set the language of an account's panel and console ("default": the kiosk's).

    \b
    Example:
      kiosk mediators set-language ana.s pt
    """
    try:
        MediatorStore.for_config(config).set_language(account_id, "" if language == "default" else language)
    except MediatorError as exc:
        raise Failure(f"mediators set-language: {exc}") from None
    click.echo(f"{account_id}: language {language}")


@mediators.command("list")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@pass_config
def list_(config: Config, as_json: bool) -> None:
    """List the accounts: id, role, language, state, name.

    \b
    Example:
      kiosk mediators list --json
    """
    rows = MediatorStore.for_config(config).list()
    if as_json:
        click.echo(json.dumps([{"id": m.id, "name": m.name, "role": m.role, "active": m.active,
                                "locked": m.locked_until > 0, "language": m.language or None}
                               for m in rows], ensure_ascii=False))
        return
    if not rows:
        click.echo("no mediator accounts; add one with: kiosk mediators add ID --name NAME")
    for m in rows:
        state = "active" if m.active else "disabled"
        if m.failures:
            state += f", {m.failures} wrong PIN(s)"
        click.echo(f"{m.id:20} {m.role:10} {_language_label(m.language):14} {state:24} {m.name}")


def _account_command(action: str, summary: str) -> click.Command:
    @click.argument("account_id", metavar="ID")
    @pass_config
    def command(config: Config, account_id: str) -> None:
        store = MediatorStore.for_config(config)
        try:
            if action == "set-pin":
                store.set_pin(account_id, read_pin())
            else:
                getattr(store, action)(account_id)
        except (PinError, MediatorError) as exc:
            raise Failure(f"mediators {action}: {exc}") from None
        click.echo(f"{account_id}: {action} done")
    command.__doc__ = f"{summary}\n\n\b\nExample:\n  kiosk mediators {action} ana.s\n"
    return mediators.command(action)(command)


for _action, _summary in (("disable", "Stop an account from signing in."), ("enable", "Allow an account again."),
                          ("unlock", "Clear the wrong-PIN lock of an account."),
                          ("set-pin", "Give an account a new PIN (asked for, never an argument).")):
    _account_command(_action, _summary)


@click.group()
def audit() -> None:
    """The mediator audit log: every mediator action, hash-chained.

    \b
    Example:
      kiosk audit verify
    """


@audit.command()
@click.option("--file", "export_file", type=click.Path(dir_okay=False, path_type=Path),
              help="Verify an exported JSON-lines file instead of the kiosk's log.")
@click.option("--public-key", "public_key_file", type=click.Path(dir_okay=False, path_type=Path),
              help="The kiosk's public key (PEM or base64, from `kiosk audit public-key`): verify an export "
                   "away from the kiosk, without its HMAC key.")
@pass_config
def verify(config: Config, export_file: Path | None, public_key_file: Path | None) -> None:
    """Check the hash chain and the signed heads: exit 1 if an entry was edited, deleted or reordered,
    the newest entries are gone (rolled back, truncated) or the whole log is.

    \b
    Example:
      kiosk audit verify --file ponte-audit-k1.jsonl --public-key k1-audit.pem   # at the office
    """
    if public_key_file is not None:
        if export_file is None:
            raise BadInput("audit verify: --public-key checks an export: give it with --file")
        try:
            public = signing.read_public_key(public_key_file)
            entries, head = audit_mod.read_signed_export(export_file)
        except signing.SigningError as exc:
            raise BadInput(f"audit verify: {exc}") from None
        except (OSError, ValueError) as exc:
            raise BadInput(f"audit verify: cannot read {export_file}: {type(exc).__name__}") from None
        checked = signing.verify_export(entries, head, public)
        if not checked.ok:
            raise Failure(f"AUDIT EXPORT NOT GENUINE: {checked.problem} ({checked.count} entries checked)")
        click.echo(f"audit export intact: {checked.count} entries, head signed by key "
                   f"{head['key_id'] if head else '?'} on {head.get('ts') if head else '?'}")
        return
    if export_file is None:
        found = audit_check.check_log(config)
        if not found.ok:
            raise Failure(f"AUDIT LOG {found.status.upper()}: {found.problem}")
        click.echo("no audit log yet" if found.status == audit_check.NO_LOG
                   else f"audit log intact: {found.count} entries")
        return
    key = audit_mod.load_key(config.data_dir, create=False) if config.audit.hmac else None
    try:
        signer = signing.load_signer(config.data_dir, create=False)
        entries, head = audit_mod.read_signed_export(export_file)
    except signing.SigningError as exc:
        raise Failure(f"audit verify: {exc}") from None
    except (OSError, ValueError) as exc:
        raise BadInput(f"audit verify: cannot read {export_file}: {exc}") from None
    if key is None and config.audit.hmac:
        # Recomputing with plain SHA-256 here would call a genuine export tampered and pass a forged one.
        raise Failure("audit verify: this machine does not hold the kiosk's HMAC key (audit.key), so the "
                      "chain cannot be checked here: verify with --public-key KEY (on the kiosk: "
                      "kiosk audit public-key)")
    result = audit_mod.verify_entries(entries, key)
    if result.ok and head is not None and signer is not None:
        checked = signing.verify_export(entries, head, signer.public)
        if not checked.ok:
            raise Failure(f"AUDIT EXPORT NOT GENUINE: {checked.problem}")
    if not result.ok:
        raise Failure(f"AUDIT LOG TAMPERED: {result.problem} ({result.count} entries checked before it)")
    click.echo(f"audit log intact: {result.count} entries")


@audit.command("public-key")
@click.option("--base64", "as_base64", is_flag=True, help="The 32 raw bytes in base64 instead of PEM.")
@pass_config
def public_key(config: Config, as_base64: bool) -> None:
    """Print the kiosk's audit signing public key (made on first use), for the office and the backend.

    \b
    Example:
      kiosk audit public-key > k1-audit.pem
    """
    try:
        signer = signing.load_signer(config.data_dir)
    except signing.SigningError as exc:
        raise Failure(f"audit public-key: {exc}") from None
    assert signer is not None
    click.echo(signing.public_base64(signer.public) if as_base64 else signing.public_pem(signer.public).rstrip())


@audit.command()
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Output file (default: stdout).")
@pass_config
def export(config: Config, out: Path | None) -> None:
    """Write the log as JSON lines for the supervisor, ending with its head signed by the device key.

    \b
    Example:
      kiosk audit export --out /media/usb/audit.jsonl
    """
    log = audit_mod.AuditLog.for_config(config)
    if out:
        n = log.export(out)
        click.echo(f"wrote {n} entries to {out}", err=True)
    else:
        entries = [e.to_dict() for e in log.entries()]
        for e in entries:
            click.echo(audit_mod.canonical_json(e))
        if log.heads is not None:
            click.echo(audit_mod.canonical_json(log.heads.sign_entries(entries)))


@click.command()
@click.option("--day", help="YYYY-MM-DD (default: today).")
@pass_config
def stats(config: Config, day: str | None) -> None:
    """A day's anonymous usage statistics, as JSON.

    \b
    Example:
      kiosk stats --day 2026-11-23
    """
    if day is not None:
        try:
            dt.date.fromisoformat(day)
        except ValueError:
            raise BadInput(f"--day must be a date written YYYY-MM-DD, not {day[:20]!r}") from None
    figures = Stats.for_config(config).day(day)
    click.echo(json.dumps(figures.to_dict(), indent=2, ensure_ascii=False))


@click.command()
@click.option("--no-clock", is_flag=True, help="Do not ask the backend for its time.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@pass_config
def console(config: Config, no_clock: bool, as_json: bool) -> None:
    """Queue and device health, as on the mediator console; no personal data.

    \b
    Example:
      kiosk console --no-clock
    """
    outbox, reason = health.open_queue(config)
    try:
        q = health.queue_health(outbox, reason, config=config)
    finally:
        if outbox is not None:
            outbox.close()
    d = health.device_health(config, clock_probe=not no_clock)
    if as_json:
        click.echo(json.dumps({"queue": dataclasses.asdict(q), "device": dataclasses.asdict(d)}, indent=2, default=str))
        return
    click.echo("QUEUE")
    if not q.available:
        click.echo(f"  unavailable: {q.reason}")
    else:
        click.echo("  " + (", ".join(f"{k}: {v}" for k, v in q.counts.items()) or "empty"))
        click.echo(f"  oldest waiting: {health.human_age(q.oldest_waiting_seconds)}")
        click.echo(f"  last successful sync: {q.last_success or 'never'}")
        for f in q.failed:
            click.echo(f"  {f['state']} {f['id']}: {f['reason'] or '?'}")
        for dest in q.destinations:
            click.echo(f"  destination {dest['name']}: {dest['url']}")
    click.echo("DEVICE")
    click.echo(f"  free disk: {health.human_bytes(d.disk_free_bytes)} of {health.human_bytes(d.disk_total_bytes)}")
    for name, size in d.databases.items():
        click.echo(f"  {name}: {health.human_bytes(size)}")
    click.echo(f"  voice models: {d.voice_models or d.voice_detail}")
    click.echo("  service catalogue: " + (f"version {d.catalogue_version}" if d.catalogue_version is not None
                                           else "not signed (plain folders)"))
    click.echo(f"  TTS voices: {d.tts_voices or d.voice_detail or 'not asked'}")
    click.echo(f"  backend clock offset: "
               f"{d.clock_offset_seconds if d.clock_offset_seconds is not None else d.clock_detail}")
