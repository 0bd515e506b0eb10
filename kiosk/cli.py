"""The `kiosk` command: a thin layer over the same library calls the UI makes.

Each area adds its own subcommands through a `register(subparsers)` function,
so the queue, voice and mediator commands live next to the code they drive.
"""
from __future__ import annotations

import argparse
import importlib
import sqlite3
import sys

from kiosk.config import ConfigError, load_config

# Modules that add subcommands; each has register(subparsers) and its handlers
# take (args, config) and return an exit code.
COMMAND_MODULES = (
    "kiosk.cli_services",
    "kiosk.cli_run",
    "offline_queue.cli",
    "voice.cli",
    "kiosk.cli_mediators",
    "kiosk.cli_submit",  # after offline_queue.cli: adds `queue add` to its parser
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kiosk", description="Ponte assisted-access kiosk")
    parser.add_argument("--config", help="configuration file (default: $PONTE_CONFIG, /etc/ponte/kiosk.toml)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:  # a real missing dependency, not a missing area
                raise
            continue
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:  # plain `kiosk` starts the kiosk
        args = parser.parse_args([*(argv or []), "run"])
    try:
        config = load_config(args.config)
    except ConfigError as exc:
        print(f"kiosk: {exc}", file=sys.stderr)
        return 2
    try:
        return int(args.handler(args, config) or 0)
    except KeyboardInterrupt:
        return 130
    except (OSError, sqlite3.Error) as exc:
        # A file that cannot be written, a full disk, a locked database: one line, never a traceback.
        print(f"kiosk: {args.command}: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
