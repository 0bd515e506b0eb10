"""`kiosk catalogue build|sign|status|update`: signed service catalogues (The Update Framework), docs/catalogue.md."""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import click

from commands.base import BadInput, Failure, pass_config
from kiosk.config import Config
from operations.catalogue_update import (
    ROLES,
    CatalogueError,
    CatalogueInputError,
    Expiry,
    RepositoryStatus,
    build_repository,
    catalogue_status,
    repository_status,
    sign_repository,
    update_from_config,
)

KEY_FILE = click.Path(dir_okay=False, path_type=Path)


@click.group()
def catalogue() -> None:
    """Signed service catalogues: build and sign them (operators), update a kiosk from HTTPS or a USB stick.

    \b
    Example:
      kiosk catalogue update --from /media/usb/ponte-catalogue
    """


def _key_options(f: Callable[..., Any]) -> Callable[..., Any]:
    """--root-key, --targets-key, --snapshot-key, --timestamp-key: paths of key files, never key material."""
    for role in reversed(ROLES):
        f = click.option(f"--{role}-key", f"{role}_key", type=KEY_FILE, metavar="FILE",
                         help=f"The {role} role's private key file (PEM, mode 0600).")(f)
    return f


def _expiry_options(f: Callable[..., Any]) -> Callable[..., Any]:
    for role in reversed(ROLES):
        f = click.option(f"--{role}-days", f"{role}_days", type=click.FloatRange(min=0, min_open=True),
                         metavar="DAYS", help=f"Days the {role} metadata stays valid (default: [catalogue] "
                         f"{role}_days).")(f)
    return f


def _keys(options: dict[str, Any]) -> dict[str, Path]:
    return {role: options[f"{role}_key"] for role in ROLES if options.get(f"{role}_key") is not None}


def _expiry(config: Config, options: dict[str, Any]) -> Expiry:
    settings = config.catalogue
    return Expiry(**{role: options.get(f"{role}_days") or getattr(settings, f"{role}_days") for role in ROLES})


def _date(when: datetime) -> str:
    left = (when - datetime.now(timezone.utc)).days
    return f"{when:%Y-%m-%d %H:%M} UTC ({'EXPIRED' if left < 0 else f'{left} days left'})"


def _show(status: RepositoryStatus) -> None:
    click.echo(f"version\t{status.targets_version}\nfiles\t{status.files}")
    for role in ("timestamp", "snapshot", "targets", "root"):
        click.echo(f"{role} expires\t{_date(getattr(status, f'{role}_expires'))}")


def _run(call: Callable[[], Any]) -> Any:
    try:
        return call()
    except CatalogueInputError as exc:
        raise BadInput(str(exc)) from None
    except CatalogueError as exc:
        raise Failure(str(exc)) from None


@catalogue.command()
@click.argument("source", type=click.Path(file_okay=False, path_type=Path))
@click.argument("repository", type=click.Path(file_okay=False, path_type=Path))
@_key_options
@_expiry_options
@click.option("--new-keys", is_flag=True, help="Create the key files that do not exist yet (Ed25519, mode 0600).")
@pass_config
def build(config: Config, source: Path, repository: Path, new_keys: bool, **options: Any) -> None:
    """Publish the definitions and pictograms of SOURCE as a new signed version in REPOSITORY.

    Every definition is checked first (as `kiosk services check`); nothing is published if one is wrong.
    Copy REPOSITORY to the web server or onto a USB stick as it is.

    \b
    Example:
      kiosk catalogue build services/ repo/ --new-keys --root-key keys/root.pem \\
        --targets-key keys/targets.pem --snapshot-key keys/snapshot.pem --timestamp-key keys/timestamp.pem
    """
    status = _run(lambda: build_repository(source, repository, _keys(options), _expiry(config, options),
                                           generate_keys=new_keys))
    click.echo(f"catalogue version {status.targets_version} built in {repository}", err=True)
    _show(status)


@catalogue.command()
@click.argument("repository", type=click.Path(exists=True, file_okay=False, path_type=Path))
@_key_options
@_expiry_options
@pass_config
def sign(config: Config, repository: Path, **options: Any) -> None:
    """Sign REPOSITORY's metadata again with new expiry dates (the roles whose keys are given).

    Do this before the timestamp expires, e.g. weekly, and before a van leaves on a tour.

    \b
    Example:
      kiosk catalogue sign repo/ --timestamp-key keys/timestamp.pem --timestamp-days 30
    """
    status = _run(lambda: sign_repository(repository, _keys(options), _expiry(config, options)))
    click.echo(f"catalogue version {status.targets_version} signed again in {repository}", err=True)
    _show(status)


@catalogue.command()
@click.option("--repository", type=click.Path(exists=True, file_okay=False, path_type=Path), metavar="DIR",
              help="Show a repository's versions and expiry instead of this kiosk's.")
@pass_config
def status(config: Config, repository: Path | None) -> None:
    """The catalogue this kiosk uses: its version, services, and when its signed metadata expires.

    \b
    Example:
      kiosk catalogue status
    """
    if repository is not None:
        _show(_run(lambda: repository_status(repository)))
        return
    state = catalogue_status(config.data_dir)
    if state.version is None:
        click.echo("no signed catalogue installed yet (kiosk catalogue update)", err=True)
    click.echo(f"version\t{state.version if state.version is not None else '-'}\nservices\t{state.services}")
    click.echo(f"previous\t{state.previous_version if state.previous_version is not None else '-'}")
    if state.metadata is not None:
        click.echo(f"timestamp expires\t{_date(state.metadata.timestamp_expires)}")
        click.echo(f"targets expires\t{_date(state.metadata.targets_expires)}")


@catalogue.command()
@click.option("--from", "source", metavar="URL|FOLDER",
              help="An https:// repository or a folder (USB stick) holding one (default: [catalogue] url).")
@pass_config
def update(config: Config, source: str | None) -> None:
    """Bring this kiosk's catalogue up to date; a refused update keeps the catalogue in use.

    \b
    Example:
      kiosk catalogue update --from /media/usb/ponte-catalogue
    """
    result = _run(lambda: update_from_config(config, source))
    if result.switched:
        click.echo(f"catalogue version {result.version}: {result.services} service(s); "
                   f"previous version {result.previous_version or '-'} kept as backup")
    else:
        click.echo(f"catalogue version {result.version} is up to date ({result.services} service(s))")
