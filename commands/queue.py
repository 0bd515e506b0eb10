"""`kiosk queue ...` and `kiosk dev-backend`: the outbox from the command line.

Every failure is one actionable line on stderr, never a traceback.
"""
from __future__ import annotations

import functools
import json
import os
import sys
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from commands.base import BadInput, Failure, echo_flushed, exit_with, pass_config
from kiosk.config import Config
from kiosk.definition import Service, load_catalogue
from kiosk.journey import CHECK, Journey
from kiosk.reference import display, normalise
from kiosk.screen import error_text
from kiosk.submission import SubmitError, submit
from offline_queue import STATES, Outbox, QueueError, QueueItem, open_outbox
from offline_queue.connectors.http import DestinationConfigError
from offline_queue.keys import KeyFileError
from offline_queue.outbox import iso
from offline_queue.seal import SealError

# An answers file is what a screen could produce: far below this. Bigger is refused unread.
MAX_ANSWERS_BYTES = 1024 * 1024
# Rows read per page by `queue list`: memory stays flat however long the queue is.
PAGE_SIZE = 500


def queue_errors(f: Callable[..., Any]) -> Callable[..., Any]:
    """The outbox's own errors (their messages hold no personal data) become one line."""
    @functools.wraps(f)
    def run(*args: Any, **kwargs: Any) -> Any:
        try:
            return f(*args, **kwargs)
        except (QueueError, KeyFileError, DestinationConfigError, SealError) as exc:
            raise Failure(str(exc)) from None
    return run


def _outbox(config: Config) -> Outbox:
    outbox = open_outbox(config)
    if outbox.moved_aside:
        saved = outbox.salvaged
        extra = f"; {saved.recovered} waiting submission(s) recovered, {saved.unreadable} unreadable" if saved else ""
        click.echo(f"kiosk: the queue database was damaged; it was kept as {outbox.moved_aside} "
                   f"and a fresh queue was started{extra}", err=True)
    return outbox


@click.group()
def queue() -> None:
    """The outbox: submissions waiting to be delivered, delivered, or needing a person.

    \b
    Example:
      kiosk queue status
    """


@queue.command()
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@pass_config
@queue_errors
def status(config: Config, as_json: bool) -> None:
    """How many submissions are in each state.

    \b
    Example:
      kiosk queue status --json
    """
    with _outbox(config) as outbox:
        counts = outbox.counts()
        problems = outbox.health().problems  # what a person must know, until acknowledged
    click.echo(json.dumps(counts) if as_json else "  ".join(f"{state}: {n}" for state, n in counts.items()))
    for problem in problems:
        click.echo(f"kiosk: {problem.message}", err=True)


def _row(item: QueueItem) -> dict[str, Any]:
    return {"reference": item.reference, "service": item.service_id, "destination": item.destination,
            "state": item.state, "attempts": item.attempts, "last_error": item.last_error,
            "created_at": iso(item.created_at), "remote_ref": item.remote_ref}


@queue.command("list")
@click.option("--state", "states", multiple=True, type=click.Choice(STATES), help="Only this state (repeatable).")
@click.option("--json", "as_json", is_flag=True, help="A JSON array, written as it is read.")
@pass_config
@queue_errors
def list_(config: Config, states: tuple[str, ...], as_json: bool) -> None:
    """Submissions without personal data: reference, service, state, attempts, last error.

    \b
    Example:
      kiosk queue list --state dead
    """
    count = 0
    chunk: list[str] = []  # written a page at a time: one write per page, memory bounded by the page
    with _outbox(config) as outbox:
        for item in outbox.iter_items(list(states) or None, PAGE_SIZE):
            row = _row(item)
            if as_json:
                chunk.append(("[\n  " if count == 0 else ",\n  ") + json.dumps(row))
            else:
                ref = display(row["reference"]) if len(row["reference"]) == 8 else row["reference"]
                chunk.append(f"{ref:10} {row['service'][:24]:24} {row['state']:9} {row['attempts']:3}  "
                             f"{row['last_error'] or ''}\n")
            count += 1
            if len(chunk) == PAGE_SIZE:
                click.echo("".join(chunk), nl=False)
                chunk.clear()
    click.echo("".join(chunk), nl=False)
    if as_json:
        click.echo("\n]" if count else "[]")
    elif not count:
        click.echo("the queue is empty")


@queue.command()
@pass_config
@queue_errors
def sync(config: Config) -> None:
    """One delivery pass; exit 0 when nothing is left to deliver, 1 otherwise.

    \b
    Example:
      kiosk queue sync
    """
    from offline_queue.sync import Syncer
    with _outbox(config) as outbox:
        result = Syncer(outbox, config).run_once()
        dead = outbox.counts()["dead"]
    click.echo(f"delivered {result.delivered}, to retry {result.retried}, refused {result.dead}; "
               f"left: {result.remaining} waiting, {dead} needing a person")
    for line in result.errors:
        click.echo(f"kiosk: {line}", err=True)
    if result.remaining or dead:
        exit_with(1)


@queue.command()
@click.argument("reference", required=False)
@click.option("--all-dead", is_flag=True, help="Every dead submission.")
@pass_config
@queue_errors
def retry(config: Config, reference: str | None, all_dead: bool) -> None:
    """Send a dead or failed submission again, by reference number (ABCD-EFGH) or submission id.

    \b
    Example:
      kiosk queue retry ABCD-EFGH
    """
    if not reference and not all_dead:
        raise BadInput("give a reference number or --all-dead")
    with _outbox(config) as outbox:
        if all_dead:
            n = sum(outbox.retry(i.id) for i in outbox.iter_items(["dead"], PAGE_SIZE))
        else:
            assert reference is not None
            n = 0
            # As typed, then as a reference number is read out (ABCD-EFGH, Crockford aliases), then as an id.
            for candidate in dict.fromkeys([reference.upper().replace("-", ""), normalise(reference), reference]):
                if candidate and not n:
                    n = outbox.retry(candidate)
    if n == 0:
        which = "dead submission" if all_dead else f"dead or failed submission {reference}"
        raise Failure(f"no {which}; see `kiosk queue list`")
    click.echo(f"{n} submission(s) will be sent at the next sync")


@queue.command()
@click.argument("file", type=click.Path(path_type=Path))
@pass_config
@queue_errors
def salvage(config: Config, file: Path) -> None:
    """Copy the readable waiting submissions from a damaged queue file into the queue.

    \b
    Example:
      kiosk queue salvage /var/lib/ponte/queue.db.corrupt-20260101T120000Z
    """
    from offline_queue.salvage import salvage as salvage_file
    if not file.is_file():
        raise BadInput(f"no file {file}")
    with _outbox(config) as outbox:
        result = salvage_file(outbox, file)
    click.echo(f"{result.recovered} submission(s) recovered, {result.skipped} already delivered or present, "
               f"{result.unreadable} unreadable")
    if result.unreadable:
        exit_with(1)


@queue.command()
@click.option("--acknowledge", is_flag=True, help="A person has seen them (and told support): stop showing them.")
@pass_config
@queue_errors
def problems(config: Config, acknowledge: bool) -> None:
    """What a person must know about the queue (damage set aside, missing submissions, a full disk); exit 1
    while any is not acknowledged.

    \b
    Example:
      kiosk queue problems --acknowledge
    """
    with _outbox(config) as outbox:
        found = outbox.health().problems
        for problem in found:
            click.echo(f"{iso(problem.at)}  {problem.message}")
        if not found:
            click.echo("no problems")
        elif acknowledge:
            click.echo(f"{outbox.acknowledge_problems()} problem(s) acknowledged")
    if found and not acknowledge:
        exit_with(1)


@queue.command()
@click.argument("dir", type=click.Path(file_okay=False, path_type=Path))
@pass_config
@queue_errors
def export(config: Config, dir: Path) -> None:  # noqa: A002 - the argument's name in the help
    """Write the undelivered submissions, still sealed, into a new bundle in DIR (a USB stick).

    \b
    Example:
      kiosk queue export /media/usb
    """
    from offline_queue.bundle import export_bundle
    with _outbox(config) as outbox:
        path, count = export_bundle(outbox, dir, config)
    click.echo(f"{count} sealed submission(s) written to {path}")


@queue.command()
@click.argument("bundle", type=click.Path(path_type=Path))
@click.option("--private-key", type=click.Path(path_type=Path),
              help="The backend's private key (only for OpenRosa items).")
@pass_config
@queue_errors
def upload(config: Config, bundle: Path, private_key: Path | None) -> None:
    """Deliver a bundle from an office computer; safe to run twice.

    \b
    Example:
      kiosk queue upload /media/usb/ponte-kiosk-20260101T120000Z.zip
    """
    from offline_queue.bundle import upload_bundle
    from offline_queue.keys import load_private_key
    key = load_private_key(private_key) if private_key else None
    result = upload_bundle(bundle, config, key)
    for line in result.lines:
        click.echo(line)
    click.echo(f"delivered {result.delivered}, to retry {result.retry}, refused {result.dead}")
    if result.retry or result.dead:
        exit_with(1)


# --- queue add ---------------------------------------------------------------------------------------


def answer_all(journey: Journey, answers: dict) -> list[str]:
    """Walk the journey page by page as the screen would; return messages for refused answers.

    Every refused answer is reported at once (a script should not need one run
    per mistake), so a refused page is passed over rather than stopping the walk.
    """
    problems = []
    while journey.step != CHECK:
        page = journey.page
        assert page is not None  # before check answers there is always a page
        problem = journey.next(answers.get(page.id))
        if problem:
            problems.append(f"{page.id}: {error_text(journey.service, page, problem, journey.language)}")
            journey.pass_over()
    unknown = sorted(set(answers) - {p.id for p in journey.service.pages})
    problems += [f"{key}: not a question of this service" for key in unknown]
    return problems


def _screen_value(value: Any) -> bool:
    """What a screen can give: a text, a number, true/false, nothing, or a list of texts (choices)."""
    if value is None or isinstance(value, (str, bool, int, float)):
        return True
    return isinstance(value, list) and all(isinstance(v, (str, int, float)) for v in value)


def read_answers(path: Path) -> dict[str, Any]:
    """The answers file as a dict of page id -> answer; BadInput with one line for anything else."""
    try:
        if path.stat().st_size > MAX_ANSWERS_BYTES:
            raise BadInput(f"{path} is over {MAX_ANSWERS_BYTES // 1024} KB; answers to one service are far smaller")
        answers = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BadInput(f"cannot read {path}: {exc}") from None
    except RecursionError:
        raise BadInput(f"cannot read {path}: nested too deeply; answers are texts, numbers or lists") from None
    except ValueError as exc:  # e.g. an integer of more than 4300 digits
        raise BadInput(f"cannot read {path}: {str(exc).split(';')[0]}") from None
    if not isinstance(answers, dict):
        raise BadInput(f"{path} must hold a JSON object of page id -> answer")
    odd = sorted(str(k) for k, v in answers.items() if not _screen_value(v))
    if odd:
        raise BadInput(f"{path}: {', '.join(odd[:5])}: an answer is a text, a number, true/false "
                       "or a list of texts, not a table or nested lists")
    return answers


def _submission_id(value: str | None) -> str | None:
    if value is None:
        return None
    try:
        return str(uuid.UUID(value))
    except ValueError:
        raise BadInput(f"--submission-id must be a UUID (e.g. from uuidgen), not {value[:40]!r}") from None


@queue.command()
@click.option("--service", "service_id", required=True, help="Service id (see `kiosk services list`).")
@click.option("--answers", "answers_file", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help='JSON object {"page_id": answer, ...}.')
@click.option("--lang", default="en", show_default=True, help="Language of the journey and of the messages.")
@click.option("--citizen-consented", is_flag=True, help="The citizen has agreed to the service's consent statement.")
@click.option("--submission-id", help="A UUID the script chose: a second run with it queues nothing new and "
              "prints the same reference (safe to retry after a crash).")
@click.option("--attach", "attach", multiple=True, metavar="PAGE=FILE",
              help="A file for a document page (repeat for each page, in order) or a signature page (an image, or "
                   "a JSON of strokes as the pad records them); processed and sent as the screen would.")
@pass_config
@queue_errors
def add(config: Config, service_id: str, answers_file: Path, lang: str, citizen_consented: bool,
        submission_id: str | None, attach: tuple[str, ...]) -> None:
    """Queue answers from a JSON file exactly as the touch screen would (same checks, same reference).

    Prints the reference number and nothing else on stdout.

    \b
    Example:
      kiosk queue add --service change-of-address --answers answers.json \\
          --citizen-consented --submission-id "$(uuidgen)"
      kiosk queue add --service parking-card --answers answers.json --citizen-consented \\
          --attach proof=page1.jpg --attach proof=page2.jpg --attach signature=strokes.json
    """
    sid = _submission_id(submission_id)
    service = load_catalogue(config.services_dirs).services.get(service_id)
    if service is None:
        raise BadInput(f"no service '{service_id}'; see `kiosk services list`")
    if lang not in service.languages:
        raise BadInput(f"{service.id} has no '{lang}' text; use one of {', '.join(service.languages)}")
    answers = read_answers(answers_file)
    attachments: list = []
    if attach:
        destination = config.destination(service.destination)
        # An OpenRosa signature field takes one image: the strokes' SVG goes to REST destinations only.
        answers, attachments = _attachments(service, answers, attach,
                                            with_svg=destination is None or destination.kind != "openrosa")
    journey = Journey(service, lang)
    problems = answer_all(journey, answers)
    if problems:
        click.echo("kiosk: answers refused, nothing queued:", err=True)
        for problem in problems:
            click.echo(f"  {problem}", err=True)
        exit_with(1)
    if not citizen_consented:
        raise BadInput("add --citizen-consented once the citizen has agreed to the consent statement")
    journey.give_consent()
    with open_outbox(config) as outbox:
        existing = outbox.get(sid) if sid else None
        if existing is not None and existing.id == sid:  # a retried run: the first one's reference
            echo_flushed(display(existing.reference))
            return
        try:
            receipt = submit(journey, config, outbox, submission_id=sid, attachments=attachments)
        except SubmitError as exc:
            raise Failure(f"not queued: {exc}") from None
        stored = outbox.get(receipt.submission_id)
    # Two runs racing with one id: the outbox kept the first row; its reference is the one that counts.
    echo_flushed(display(stored.reference if stored is not None else receipt.reference))


def _attachments(service: Service, answers: dict, attach: tuple[str, ...], with_svg: bool
                 ) -> tuple[dict, list]:
    """The answers with the attached pages' file names, and the processed attachments (documents/attach.py)."""
    from documents.attach import attach_files
    from kiosk.documents import DocumentError
    files: dict[str, list[Path]] = {}
    for spec in attach:
        page, sep, name = spec.partition("=")
        if not sep or not page or not name:
            raise BadInput(f"--attach {spec!r}: write PAGE=FILE, e.g. --attach proof=scan.jpg")
        files.setdefault(page.strip(), []).append(Path(name))
    try:
        names, attachments = attach_files(service, files, with_svg=with_svg)
    except DocumentError as exc:
        raise BadInput(f"--attach: {exc}") from None
    clash = [p for p in names if p in answers and answers[p] != names[p]]
    if clash:
        raise BadInput(f"the answers file gives other file names for {', '.join(clash)}; leave them out")
    return {**answers, **names}, attachments


# --- dev-backend -------------------------------------------------------------------------------------


@click.command("dev-backend")
@click.option("--port", type=click.IntRange(0, 65535), default=8765, show_default=True)
@click.option("--db", type=click.Path(dir_okay=False, path_type=Path),
              help="Its SQLite file (default: data_dir/dev-backend/backend.db).")
@click.option("--key-dir", type=click.Path(file_okay=False, path_type=Path),
              help="Folder of private*.pem to open sealed payloads (default: data_dir/dev-backend).")
@click.option("--error-rate", type=click.FloatRange(0, 1), default=0.0, help="Fraction of POSTs answered with an error.")
@click.option("--error-status", type=int, default=503, show_default=True)
@click.option("--retry-after", type=float, help="Retry-After seconds sent with errors.")
@click.option("--latency", type=click.FloatRange(0), default=0.0, help="Seconds added to each answer.")
@click.option("--drop-rate", type=click.FloatRange(0, 1), default=0.0, help="Fraction stored, then the connection dropped.")
@click.option("--hang", is_flag=True, help="Never answer POSTs.")
@click.option("--captive", is_flag=True, help="Answer 200 with an HTML page, like a captive portal.")
@click.option("--token-env", help="Require the bearer token held in this environment variable.")
@pass_config
def dev_backend(config: Config, port: int, db: Path | None, key_dir: Path | None, error_rate: float,
                error_status: int, retry_after: float | None, latency: float, drop_rate: float, hang: bool,
                captive: bool, token_env: str | None) -> None:
    """The reference backend of the REST contract on 127.0.0.1, with fault injection, for demos and tests.

    \b
    Example:
      kiosk dev-backend --port 8765 --error-rate 0.3
    """
    from offline_queue.devbackend import DevBackend, Faults, load_keys
    from offline_queue.keys import dev_backend_dir
    key_dir = key_dir or dev_backend_dir(config.data_dir)
    db = db or dev_backend_dir(config.data_dir) / "backend.db"
    db.parent.mkdir(parents=True, exist_ok=True)
    faults = Faults(error_rate=error_rate, error_status=error_status, retry_after=retry_after,
                    latency=latency, drop_rate=drop_rate, hang=hang, captive=captive)
    token = None
    if token_env:
        token = os.environ.get(token_env)
        if not token:
            raise BadInput(f"environment variable {token_env} is not set")
    try:
        backend = DevBackend(db, load_keys(key_dir), port=port, faults=faults, token=token)
    except OSError as exc:
        raise Failure(f"cannot listen on 127.0.0.1:{port} ({exc.strerror}); choose another --port") from None
    echo_flushed(f"dev-backend on {backend.url} (db {db}, keys {key_dir}); Ctrl-C to stop")
    try:
        backend.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        backend.stop()
    sys.stdout.flush()
