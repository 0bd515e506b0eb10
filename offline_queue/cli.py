"""`kiosk queue ...` and `kiosk dev-backend`: the queue from the command line.

Every failure is one actionable line on stderr, never a traceback.
"""
from __future__ import annotations

import argparse
import functools
import json
import sys
from pathlib import Path

queue_subparsers = None  # the `queue` sub-subparsers, for other areas to add actions (e.g. `queue add`)


def register(subparsers):
    """Add `queue` and `dev-backend`; returns the queue sub-subparsers so others can extend them."""
    global queue_subparsers
    queue = subparsers.choices.get("queue") or subparsers.add_parser("queue", help="the submission queue")
    actions = next((a for a in queue._actions if isinstance(a, argparse._SubParsersAction)), None)
    if actions is None:
        actions = queue.add_subparsers(dest="queue_command", metavar="ACTION", required=True)
    status = actions.add_parser("status", help="how many submissions are in each state")
    status.add_argument("--json", action="store_true", help="machine-readable output")
    status.set_defaults(handler=_guard(cmd_status))
    lst = actions.add_parser("list", help="submissions without personal data: reference, service, state")
    lst.add_argument("--state", action="append", help="only this state (repeatable)")
    lst.add_argument("--json", action="store_true")
    lst.set_defaults(handler=_guard(cmd_list))
    sync = actions.add_parser("sync", help="one sync pass; exit code 0 when nothing is left to deliver")
    sync.set_defaults(handler=_guard(cmd_sync))
    retry = actions.add_parser("retry", help="send a dead or failed submission again")
    retry.add_argument("reference", nargs="?", help="reference number (ABCD-EFGH) or submission id")
    retry.add_argument("--all-dead", action="store_true", help="every dead submission")
    retry.set_defaults(handler=_guard(cmd_retry))
    salvage = actions.add_parser("salvage", help="copy readable waiting submissions from a damaged queue file")
    salvage.add_argument("file", type=Path, help="e.g. queue.db.corrupt-20260101T120000Z")
    salvage.set_defaults(handler=_guard(cmd_salvage))
    export = actions.add_parser("export", help="write undelivered submissions (sealed) into a bundle in DIR")
    export.add_argument("dir", type=Path)
    export.set_defaults(handler=_guard(cmd_export))
    upload = actions.add_parser("upload", help="deliver a bundle from an office; safe to run twice")
    upload.add_argument("bundle", type=Path)
    upload.add_argument("--private-key", type=Path, help="backend private key (only for OpenRosa items)")
    upload.set_defaults(handler=_guard(cmd_upload))

    dev = subparsers.add_parser("dev-backend", help="reference backend of the REST contract, for demos and tests")
    dev.add_argument("--port", type=int, default=8765)
    dev.add_argument("--db", type=Path, help="its SQLite file (default: data_dir/dev-backend/backend.db)")
    dev.add_argument("--key-dir", type=Path, help="private*.pem to open sealed payloads (default: data_dir/dev-backend)")
    dev.add_argument("--error-rate", type=float, default=0.0, help="fraction of POSTs answered 503")
    dev.add_argument("--error-status", type=int, default=503)
    dev.add_argument("--retry-after", type=float)
    dev.add_argument("--latency", type=float, default=0.0, help="seconds added to each answer")
    dev.add_argument("--drop-rate", type=float, default=0.0, help="fraction stored, then connection dropped")
    dev.add_argument("--hang", action="store_true", help="never answer POSTs")
    dev.add_argument("--captive", action="store_true", help="answer 200 with an HTML page")
    dev.add_argument("--token-env", help="require the bearer token held in this environment variable")
    dev.set_defaults(handler=_guard(cmd_dev_backend))
    queue_subparsers = actions
    return actions


def _fail(message: str, code: int = 1) -> int:
    print(f"kiosk: {message}", file=sys.stderr)
    return code


def _guard(handler):
    """Known failures become one line; an unexpected one too (its type only: it could hold personal data)."""
    @functools.wraps(handler)
    def run(args, config) -> int:
        from offline_queue.connectors.http import DestinationConfigError
        from offline_queue.keys import KeyFileError
        from offline_queue.outbox import QueueError
        from offline_queue.seal import SealError
        try:
            return handler(args, config)
        except (QueueError, KeyFileError, DestinationConfigError, SealError) as exc:
            return _fail(str(exc))
        except OSError as exc:
            return _fail(f"{exc.strerror or type(exc).__name__}: {exc.filename or ''}".rstrip(": "))
        except Exception as exc:  # noqa: BLE001
            return _fail(f"unexpected {type(exc).__name__}; run with PONTE_DEBUG=1 for details")
    return run


def _outbox(config):
    from offline_queue import open_outbox
    outbox = open_outbox(config)
    if outbox.moved_aside:
        saved = outbox.salvaged
        extra = f"; {saved.recovered} waiting submission(s) recovered, {saved.unreadable} unreadable" if saved else ""
        print(f"kiosk: the queue database was damaged; it was kept as {outbox.moved_aside} "
              f"and a fresh queue was started{extra}", file=sys.stderr)
    return outbox


def cmd_status(args, config) -> int:
    with _outbox(config) as outbox:
        counts = outbox.counts()
    if args.json:
        print(json.dumps(counts))
    else:
        print("  ".join(f"{state}: {n}" for state, n in counts.items()))
    return 0


def cmd_list(args, config) -> int:
    from offline_queue.outbox import iso
    with _outbox(config) as outbox:
        items = outbox.items(args.state)
    rows = [{"reference": i.reference, "service": i.service_id, "destination": i.destination, "state": i.state,
             "attempts": i.attempts, "last_error": i.last_error, "created_at": iso(i.created_at),
             "remote_ref": i.remote_ref} for i in items]
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    from kiosk.reference import display
    for r in rows:
        ref = display(r["reference"]) if len(r["reference"]) == 8 else r["reference"]
        print(f"{ref:10} {r['service'][:24]:24} {r['state']:9} {r['attempts']:3}  {r['last_error'] or ''}")
    if not rows:
        print("the queue is empty")
    return 0


def cmd_sync(args, config) -> int:
    from offline_queue.sync import Syncer
    with _outbox(config) as outbox:
        result = Syncer(outbox, config).run_once()
        dead = outbox.counts()["dead"]
    print(f"delivered {result.delivered}, to retry {result.retried}, refused {result.dead}; "
          f"left: {result.remaining} waiting, {dead} needing a person")
    for line in result.errors:
        print(f"kiosk: {line}", file=sys.stderr)
    return 0 if result.remaining == 0 and dead == 0 else 1


def cmd_retry(args, config) -> int:
    from kiosk.reference import normalise
    if not args.reference and not args.all_dead:
        return _fail("give a reference number or --all-dead", 2)
    with _outbox(config) as outbox:
        if args.all_dead:
            n = sum(outbox.retry(i.id) for i in outbox.items(["dead"]))
        else:
            n = 0
            # As typed, then as a reference number is read out (ABCD-EFGH, Crockford aliases), then as an id.
            for candidate in dict.fromkeys([args.reference.upper().replace("-", ""), normalise(args.reference),
                                            args.reference]):
                if candidate and not n:
                    n = outbox.retry(candidate)
    if n == 0:
        return _fail(f"no dead or failed submission {args.reference}; see `kiosk queue list`")
    print(f"{n} submission(s) will be sent at the next sync")
    return 0


def cmd_salvage(args, config) -> int:
    from offline_queue.salvage import salvage
    if not args.file.is_file():
        return _fail(f"no file {args.file}", 2)
    with _outbox(config) as outbox:
        result = salvage(outbox, args.file)
    print(f"{result.recovered} submission(s) recovered, {result.skipped} already delivered or present, "
          f"{result.unreadable} unreadable")
    return 0 if result.unreadable == 0 else 1


def cmd_export(args, config) -> int:
    from offline_queue.bundle import export_bundle
    with _outbox(config) as outbox:
        path, count = export_bundle(outbox, args.dir, config)
    print(f"{count} sealed submission(s) written to {path}")
    return 0


def cmd_upload(args, config) -> int:
    from offline_queue.bundle import upload_bundle
    from offline_queue.keys import load_private_key
    key = load_private_key(args.private_key) if args.private_key else None
    result = upload_bundle(args.bundle, config, key)
    for line in result.lines:
        print(line)
    print(f"delivered {result.delivered}, to retry {result.retry}, refused {result.dead}")
    return 0 if result.retry == 0 and result.dead == 0 else 1


def cmd_dev_backend(args, config) -> int:
    from offline_queue.devbackend import DevBackend, Faults, load_keys
    from offline_queue.keys import dev_backend_dir
    key_dir = args.key_dir or dev_backend_dir(config.data_dir)
    db = args.db or dev_backend_dir(config.data_dir) / "backend.db"
    db.parent.mkdir(parents=True, exist_ok=True)
    faults = Faults(error_rate=args.error_rate, error_status=args.error_status, retry_after=args.retry_after,
                    latency=args.latency, drop_rate=args.drop_rate, hang=args.hang, captive=args.captive)
    token = None
    if args.token_env:
        import os
        token = os.environ.get(args.token_env)
        if not token:
            return _fail(f"environment variable {args.token_env} is not set", 2)
    try:
        backend = DevBackend(db, load_keys(key_dir), port=args.port, faults=faults, token=token)
    except OSError as exc:
        return _fail(f"cannot listen on 127.0.0.1:{args.port} ({exc.strerror}); choose another --port")
    print(f"dev-backend on {backend.url} (db {db}, keys {key_dir}); Ctrl-C to stop", flush=True)
    try:
        backend.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        backend.stop()
    return 0
