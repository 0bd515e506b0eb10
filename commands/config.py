"""`kiosk config check|show|settings`: is the configuration file right, and what does the kiosk run with."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from commands.base import BadInput, Env, exit_with
from kiosk.config import (
    DESTINATIONS,
    SECTIONS,
    ConfigError,
    DestinationSettings,
    config_path,
    declared,
    effective,
    load_config,
)


@click.group()
def config() -> None:
    """The configuration file (TOML): check it, show the effective values, list every setting.

    \b
    Example:
      kiosk config check /etc/ponte/kiosk.toml
    """


@config.command()
@click.argument("file", required=False, type=click.Path(dir_okay=False, path_type=Path))
@click.pass_obj
def check(env: Env, file: Path | None) -> None:
    """Check a configuration file (default: the one in use); every problem on a line, exit 1 on any.

    \b
    Example:
      kiosk config check /etc/ponte/kiosk.toml
    """
    path = file or env.config_path or config_path()
    if path is None:
        click.echo("no configuration file found ($PONTE_CONFIG, /etc/ponte/kiosk.toml, "
                   "~/.config/ponte/kiosk.toml): the demo defaults apply")
        return
    if not Path(path).is_file():
        raise BadInput(f"{path}: no such file")
    try:
        load_config(path)
    except ConfigError as exc:
        for problem in exc.problems:
            click.echo(problem, err=True)
        click.echo(f"{len(exc.problems)} problem(s); the kiosk will not start with this file.", err=True)
        exit_with(1)
    click.echo(f"{path}: no problems")


def _toml_value(value: Any) -> str:
    if value is None:
        return "(default)"
    if isinstance(value, Path):
        value = str(value)
    if isinstance(value, tuple):
        value = [str(v) for v in value]
    return json.dumps(value, ensure_ascii=False)


@config.command()
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_obj
def show(env: Env, as_json: bool) -> None:
    """The effective value of every setting (file, environment and defaults together); secrets redacted.

    \b
    Example:
      kiosk --config /etc/ponte/kiosk.toml config show
    """
    cfg = env.config
    values = effective(cfg)
    if as_json:
        click.echo(json.dumps(values, indent=2, default=str, ensure_ascii=False))
        return
    click.echo(f"# from {cfg.source or 'no file: defaults'}")
    for section, settings in values.items():
        name = section if "." not in section else f'{DESTINATIONS}."{section.split(".", 1)[1]}"'
        click.echo(f"\n[{name}]")
        for key, value in settings.items():
            click.echo(f"{key} = {_toml_value(value)}")


@config.command()
def settings() -> None:
    """Every setting the file may hold: section, key, kind, default and what it does.

    \b
    Example:
      kiosk config settings
    """
    tables: list[tuple[str, type]] = [*SECTIONS.items(), (f"{DESTINATIONS}.NAME", DestinationSettings)]
    for name, section in tables:
        click.echo(f"[{name}]  {(section.__doc__ or '').split(':', 1)[-1].strip()}")
        for key, default, doc, kind, _secret in declared(section):
            click.echo(f"  {key} ({kind.name}, default {_toml_value(default)}): {doc}")
