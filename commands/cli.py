"""The root of the `kiosk` command: options every command shares, the areas, and `main()`.

`main(argv)` returns the exit code (see EXIT_CODES_HELP); it never lets a
traceback reach the terminal: known failures are one line, anything else is
one line naming the error's type (run again with -vv for where it happened).
"""
from __future__ import annotations

import logging
import sqlite3
import sys
from pathlib import Path

import click

from commands import app, catalogue, closeday, config, drafts, fleet, mediators, queue, receipt, services, voice
from commands.base import EXIT_CODES_HELP, EXIT_FAILED, EXIT_INTERRUPTED, Env
from commands.logs import log_unexpected, setup_logging

log = logging.getLogger(__name__)

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


@click.group(context_settings=CONTEXT, invoke_without_command=True, epilog=EXIT_CODES_HELP)
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
        ctx.invoke(app.run)


for command in (app.run, app.demo, app.screenshots, services.services, queue.queue, queue.dev_backend,
                voice.voice, mediators.mediators, mediators.audit, mediators.stats, mediators.console,
                config.config, fleet.doctor, fleet.metrics, receipt.receipt, closeday.close_day, catalogue.catalogue,
                drafts.drafts):
    kiosk.add_command(command)


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
