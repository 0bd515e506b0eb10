"""`kiosk mediators add|list|disable|enable|unlock|set-pin`, `kiosk audit verify|export`,
`kiosk stats`, `kiosk console`: the mediator area from a terminal.

PINs are read from a hidden prompt (getpass) or, when stdin is not a
terminal, from the first line of stdin; never from the command line, where
they would end up in the shell history and the process list.
"""
from __future__ import annotations

import getpass
import json
import sys
from pathlib import Path

from kiosk import audit as audit_mod
from kiosk import device_health as health
from kiosk.mediators import ROLES, MediatorError, MediatorStore
from kiosk.pin import PinError, check_pin_format
from kiosk.stats import Stats


def register(subparsers) -> None:
    med = subparsers.add_parser("mediators", help="mediator accounts (PIN sign-in for assisted mode)")
    msub = med.add_subparsers(dest="mediators_command", metavar="ACTION", required=True)
    add = msub.add_parser("add", help="add an account; the PIN is asked for, never passed as an argument")
    add.add_argument("id", help="short account id, e.g. ana.s")
    add.add_argument("--name", required=True, help="display name shown to the citizen")
    add.add_argument("--role", choices=ROLES, default="mediator")
    add.set_defaults(handler=cmd_add)
    lst = msub.add_parser("list", help="list accounts")
    lst.add_argument("--json", action="store_true")
    lst.set_defaults(handler=cmd_list)
    for name, helptext in (("disable", "stop an account from signing in"), ("enable", "allow an account again"),
                           ("unlock", "clear the wrong-PIN lock of an account"),
                           ("set-pin", "give an account a new PIN (asked for)")):
        p = msub.add_parser(name, help=helptext)
        p.add_argument("id")
        p.set_defaults(handler=cmd_account, action=name)

    aud = subparsers.add_parser("audit", help="the mediator audit log")
    asub = aud.add_subparsers(dest="audit_command", metavar="ACTION", required=True)
    ver = asub.add_parser("verify", help="check the hash chain (edited, deleted or reordered entries)")
    ver.add_argument("--file", help="verify an exported JSON-lines file instead of the kiosk's log")
    ver.set_defaults(handler=cmd_audit_verify)
    exp = asub.add_parser("export", help="write the log as JSON lines for the supervisor")
    exp.add_argument("--out", help="output file (default: stdout)")
    exp.set_defaults(handler=cmd_audit_export)

    st = subparsers.add_parser("stats", help="today's anonymous usage statistics")
    st.add_argument("--day", help="YYYY-MM-DD (default: today)")
    st.set_defaults(handler=cmd_stats)

    con = subparsers.add_parser("console", help="queue and device health, as on the mediator console")
    con.add_argument("--no-clock", action="store_true", help="do not ask the backend for its time")
    con.add_argument("--json", action="store_true")
    con.set_defaults(handler=cmd_console)


def read_pin(prompt: str = "PIN: ", confirm: bool = True) -> str:
    if sys.stdin.isatty():
        pin = getpass.getpass(prompt)
        if confirm and getpass.getpass("Again: ") != pin:
            raise PinError("the two PINs differ")
        return pin
    return sys.stdin.readline().strip()


def cmd_add(args, config) -> int:
    try:
        pin = read_pin()
        check_pin_format(pin)
        store = MediatorStore.for_config(config)
        m = store.add(args.id, args.name, args.role, pin)
    except (PinError, MediatorError) as exc:
        print(f"kiosk mediators add: {exc}", file=sys.stderr)
        return 1
    print(f"added {m.id} ({m.role})")
    return 0


def cmd_list(args, config) -> int:
    store = MediatorStore.for_config(config)
    rows = store.list()
    if args.json:
        print(json.dumps([{"id": m.id, "name": m.name, "role": m.role, "active": m.active,
                           "locked": m.locked_until > 0} for m in rows], ensure_ascii=False))
        return 0
    if not rows:
        print("no mediator accounts; add one with: kiosk mediators add ID --name NAME")
    for m in rows:
        state = "active" if m.active else "disabled"
        if m.failures:
            state += f", {m.failures} wrong PIN(s)"
        print(f"{m.id:20} {m.role:10} {state:24} {m.name}")
    return 0


def cmd_account(args, config) -> int:
    store = MediatorStore.for_config(config)
    try:
        if args.action == "set-pin":
            store.set_pin(args.id, read_pin())
        else:
            getattr(store, args.action)(args.id)
    except (PinError, MediatorError) as exc:
        print(f"kiosk mediators {args.action}: {exc}", file=sys.stderr)
        return 1
    print(f"{args.id}: {args.action} done")
    return 0


def cmd_audit_verify(args, config) -> int:
    key = audit_mod.load_key(config.data_dir, create=False) if config.raw.get("audit", {}).get("hmac", True) else None
    if args.file:
        try:
            entries = audit_mod.read_export(args.file)
        except (OSError, ValueError) as exc:
            print(f"kiosk audit verify: cannot read {args.file}: {exc}", file=sys.stderr)
            return 2
        result = audit_mod.verify_entries(entries, key)
    else:
        if not (Path(config.data_dir) / "audit.db").exists():
            print("no audit log yet")
            return 0
        log = audit_mod.AuditLog(Path(config.data_dir) / "audit.db", kiosk_id=config.kiosk_id, key=key)
        result = log.verify()
    if result.ok:
        print(f"audit log intact: {result.count} entries")
        return 0
    print(f"AUDIT LOG TAMPERED: {result.problem} ({result.count} entries checked before it)", file=sys.stderr)
    return 1


def cmd_audit_export(args, config) -> int:
    log = audit_mod.AuditLog.for_config(config)
    if args.out:
        n = log.export(args.out)
        print(f"wrote {n} entries to {args.out}", file=sys.stderr)
    else:
        for e in log.entries():
            print(audit_mod.canonical_json(e.to_dict()))
    return 0


def cmd_stats(args, config) -> int:
    print(json.dumps(Stats.for_config(config).day(args.day).to_dict(), indent=2, ensure_ascii=False))
    return 0


def cmd_console(args, config) -> int:
    outbox, reason = health.open_queue(config)
    q = health.queue_health(outbox, reason)
    d = health.device_health(config, clock_probe=not args.no_clock)
    if args.json:
        import dataclasses
        print(json.dumps({"queue": dataclasses.asdict(q), "device": dataclasses.asdict(d)}, indent=2, default=str))
        return 0
    print("QUEUE")
    if not q.available:
        print(f"  unavailable: {q.reason}")
    else:
        print("  " + ", ".join(f"{k}: {v}" for k, v in q.counts.items()) or "  empty")
        print(f"  oldest waiting: {health.human_age(q.oldest_waiting_seconds)}")
        print(f"  last successful sync: {q.last_success or 'never'}")
        for f in q.failed:
            print(f"  failed {f.get('id')}: {f.get('reason') or f.get('last_error') or '?'}")
        for dest in q.destinations:
            print(f"  destination {dest.get('name')}: {'online' if dest.get('online') else 'offline'}")
        if q.missing:
            print(f"  (queue functions not available yet: {', '.join(q.missing)})")
    print("DEVICE")
    print(f"  free disk: {health.human_bytes(d.disk_free_bytes)} of {health.human_bytes(d.disk_total_bytes)}")
    for name, size in d.databases.items():
        print(f"  {name}: {health.human_bytes(size)}")
    print(f"  voice models: {d.voice_models or d.voice_detail}")
    print(f"  TTS voices: {d.tts_voices or d.voice_detail}")
    print(f"  backend clock offset: {d.clock_offset_seconds if d.clock_offset_seconds is not None else d.clock_detail}")
    return 0
