"""The root of the `kiosk` command: options every command shares, the areas, and `main()`.

`main(argv)` returns the exit code (see EXIT_CODES_HELP); it never lets a
traceback reach the terminal: known failures are one line, anything else is
one line naming the error's type (run again with -vv for where it happened).
"""
from __future__ import annotations

import importlib
import logging
import sqlite3
import sys
from pathlib import Path
from typing import Any

import click

from commands.base import EXIT_CODES_HELP, EXIT_FAILED, EXIT_INTERRUPTED, Env
from commands.logs import log_unexpected, setup_logging

log = logging.getLogger(__name__)

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}

# Each command's module is imported only when that command runs (click's "lazily loading subcommands"):
# `kiosk run` then never imports TUF, urllib3's fetcher or the console's operations before the first frame
# (issue 16: imports were most of the start-up time). `kiosk --help` imports them all, to list them.
COMMANDS = {
    "run": "commands.app:run", "demo": "commands.app:demo", "screenshots": "commands.app:screenshots",
    "services": "commands.services:services", "queue": "commands.queue:queue",
    "dev-backend": "commands.queue:dev_backend", "voice": "commands.voice:voice",
    "mediators": "commands.mediators:mediators", "audit": "commands.mediators:audit",
    "stats": "commands.mediators:stats", "console": "commands.mediators:console", "config": "commands.config:config",
    "doctor": "commands.fleet:doctor", "metrics": "commands.fleet:metrics", "receipt": "commands.receipt:receipt",
    "close-day": "commands.closeday:close_day", "catalogue": "commands.catalogue:catalogue",
    "drafts": "commands.drafts:drafts", "translations": "commands.translations:translations_group",
}


class LazyGroup(click.Group):
    """A group whose subcommands are named here and imported from their module when first used."""

    def __init__(self, *args: Any, lazy: dict[str, str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lazy = lazy

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.lazy})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.lazy and cmd_name not in self.commands:
            module, attr = self.lazy[cmd_name].split(":")
            command = getattr(importlib.import_module(module), attr)
            self.add_command(command, cmd_name)
        return super().get_command(ctx, cmd_name)


@click.group(cls=LazyGroup, lazy=COMMANDS, context_settings=CONTEXT, invoke_without_command=True,
             epilog=EXIT_CODES_HELP)
@click.option("--config", "config_path", type=click.Path(dir_okay=False, path_type=Path), metavar="FILE",
              help="Configuration file (default: $PONTE_CONFIG, /etc/ponte/kiosk.toml, ~/.config/ponte/kiosk.toml).")
@click.version_option(package_name="ponte-kiosk", prog_name="kiosk", message="%(prog)s %(version)s")
@click.option("-v", "--verbose", count=True, help="More log lines on stderr (-vv: debug). Default: $PONTE_LOG_LEVEL.")
@click.pass_context
def kiosk(ctx: click.Context, config_path: Path | None, verbose: int) -> None:
    """Ponte assisted-access kiosk. Without a command: `kiosk run`.

    \b
    Example:
      kiosk services list
    """
    setup_logging(verbose)
    ctx.obj = Env(config_path)
    if ctx.invoked_subcommand is None:
        from commands.app import run
        ctx.invoke(run)


def main(argv: list[str] | None = None) -> int:
    """Run one `kiosk` command line; returns its exit code."""
    root = logging.getLogger()
    level, handlers = root.level, list(root.handlers)
    try:
        return _run(argv)
    finally:  # the process usually ends here; a caller in the same process (a test) gets its logging back
        root.setLevel(level)
        root.handlers[:] = handlers


def _run(argv: list[str] | None) -> int:
    try:
        result = kiosk.main(args=argv, prog_name="kiosk", standalone_mode=False)
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    except (click.Abort, KeyboardInterrupt):
        click.echo("kiosk: interrupted", err=True)
        return EXIT_INTERRUPTED
    except (OSError, sqlite3.Error) as exc:
        # A file that cannot be written, a full disk, a locked database: one line, never a traceback.
        filename = getattr(exc, "filename", None)
        where = f": {filename}" if filename else ""
        click.echo(f"kiosk: {getattr(exc, 'strerror', None) or exc}{where}", err=True)
        return EXIT_FAILED
    except Exception as exc:  # noqa: BLE001 - the last line of defence: a type, never a message with data in it
        log_unexpected(log, exc, exc.__traceback__)
        click.echo(f"kiosk: unexpected {type(exc).__name__}; nothing more is shown (it may hold personal data); "
                   "run again with -vv to log where it happened", err=True)
        return EXIT_FAILED
    return result if isinstance(result, int) else 0


if __name__ == "__main__":
    sys.exit(main())
