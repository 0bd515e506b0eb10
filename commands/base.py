"""What every command shares: exit codes, one-line failures, the lazily loaded configuration."""
from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any, TypeVar

import click

from kiosk.config import Config, ConfigError, load_config

# Exit codes, the same for every command (shown by `kiosk --help` and in the README).
EXIT_OK = 0           # done; for checks: nothing wrong
EXIT_FAILED = 1       # it could not be done, or a check found problems (the line on stderr says which)
EXIT_USAGE = 2        # wrong usage or input: unknown option, unreadable or invalid file, bad configuration
EXIT_INTERRUPTED = 130  # Ctrl-C

EXIT_CODES_HELP = f"""\b
Exit codes:
  {EXIT_OK}    done; for a check, nothing wrong
  {EXIT_FAILED}    not done, or a check found problems (stderr says which)
  {EXIT_USAGE}    wrong usage or input: option, input file, configuration
  {EXIT_INTERRUPTED}  interrupted (Ctrl-C)"""


class Failure(click.ClickException):
    """The command could not do its job: one actionable line on stderr, exit 1."""

    exit_code = EXIT_FAILED

    def show(self, file: IO[Any] | None = None) -> None:
        click.echo(f"kiosk: {self.format_message()}", err=True)


class BadInput(Failure):
    """What the command was given cannot be used (a file, a value, the configuration): exit 2."""

    exit_code = EXIT_USAGE


class Env:
    """The state shared by the commands of one run: where the configuration comes from, loaded when first asked."""

    def __init__(self, config_path: Path | None = None):
        self.config_path = config_path
        self._config: Config | None = None

    @property
    def config(self) -> Config:
        if self._config is None:
            try:
                self._config = load_config(self.config_path)
            except ConfigError as exc:
                raise BadInput(f"{exc} (check it with: kiosk config check)") from None
        return self._config


F = TypeVar("F", bound=Callable[..., Any])


def pass_config(f: F) -> F:
    """Give the command the loaded configuration as its first argument."""
    @click.pass_context
    def run(ctx: click.Context, *args: Any, **kwargs: Any) -> Any:
        return ctx.invoke(f, ctx.ensure_object(Env).config, *args, **kwargs)
    return functools.update_wrapper(run, f)  # type: ignore[return-value]


def exit_with(code: int) -> None:
    """End the command with this exit code after it has said what happened."""
    raise click.exceptions.Exit(code)


def echo_flushed(text: str) -> None:
    """A line a script waits for (a reference number, a URL): written out at once, even into a pipe."""
    click.echo(text)
    sys.stdout.flush()
