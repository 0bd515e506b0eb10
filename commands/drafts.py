"""`kiosk drafts ...`: paused journeys kept on this kiosk (docs/resume.md); never a code or an answer."""
from __future__ import annotations

import json

import click

from commands.base import Failure, pass_config
from kiosk.config import Config
from kiosk.drafts import DraftError, DraftKeeper
from offline_queue.drafts import SQLiteDraftStore


def _keeper(config: Config) -> DraftKeeper:
    try:
        return DraftKeeper.for_config(config, SQLiteDraftStore.for_config(config))
    except DraftError as exc:
        raise Failure(str(exc)) from None


@click.group()
def drafts() -> None:
    """Paused journeys kept under resume codes on this kiosk; they never leave it.

    \b
    Example:
      kiosk drafts status
    """


@drafts.command()
@pass_config
def status(config: Config) -> None:
    """How many drafts are kept (expired ones are erased first) and whether codes are paused, as JSON.

    \b
    Example:
      kiosk drafts status
    """
    keeper = _keeper(config)
    try:
        click.echo(json.dumps({"drafts": keeper.count(),
                               "codes_paused_seconds": int(keeper.wait_seconds()),
                               "keep_hours": keeper.keep_seconds / 3600}, indent=2))
    finally:
        keeper.store.close()


@drafts.command()
@pass_config
def unlock(config: Config) -> None:
    """End a pause after too many wrong codes (someone typing codes on purpose locks resuming for all).

    \b
    Example:
      kiosk drafts unlock
    """
    keeper = _keeper(config)
    try:
        keeper.clear_attempts()
    finally:
        keeper.store.close()
    click.echo("resume codes can be entered again", err=True)
