"""`kiosk services list|check`: what the kiosk offers, and what is wrong with a definition."""
from __future__ import annotations

from pathlib import Path

import click

from commands.base import BadInput, Failure, exit_with, pass_config
from kiosk.config import Config
from kiosk.definition import load_catalogue
from kiosk.pictograms import licence_problems


@click.group()
def services() -> None:
    """Service definitions: the forms the kiosk offers.

    \b
    Example:
      kiosk services check /etc/ponte/services
    """


@services.command("list")
@click.option("--lang", help="Title language (default: the kiosk's default).")
@pass_config
def list_(config: Config, lang: str | None) -> None:
    """One line per available service: its id, a tab, its title. Left-out files are named on stderr.

    \b
    Example:
      kiosk services list --lang pt
    """
    catalogue = load_catalogue(config.services_dirs)
    language = lang or config.default_language
    for service in sorted(catalogue.services.values(), key=lambda s: s.id):
        click.echo(f"{service.id}\t{service.text(service.title, language)}")
    for problem in catalogue.problems:
        click.echo(f"left out: {problem}", err=True)


@services.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@pass_config
def check(config: Config, paths: tuple[Path, ...]) -> None:
    """Check definition files (default: the configured folders); every problem with file, line and why.

    Exit 1 on any problem.

    \b
    Example:
      kiosk services check kiosk/services/change-of-address.yaml
    """
    chosen = list(paths) or list(config.services_dirs)
    missing = [p for p in chosen if not Path(p).exists()]
    for path in missing:
        click.echo(f"{path}: no such file or folder", err=True)
    catalogue = load_catalogue([p for p in chosen if Path(p).exists()])
    # Pictograms of unknown origin or without words beside them (kiosk/pictograms.py): reported here only,
    # a running kiosk still offers the service.
    unlicensed = licence_problems(catalogue.services.values())
    # Easy-read rules (kiosk/easyread): breaches of hard rules are problems, low reading-ease scores warnings.
    from kiosk.definition import Problem
    from kiosk.easyread import service_findings
    unreadable: list[Problem] = []
    warnings: list[Problem] = []
    for service, finding, line in service_findings(catalogue.services.values()):
        problem = Problem(str(service.source), line, "/" + "/".join(map(str, (*finding.path, finding.language))),
                          ("easy-read: " if finding.level == "error" else "easy-read warning: ") + finding.message)
        (unreadable if finding.level == "error" else warnings).append(problem)
    problems = [*catalogue.problems, *unlicensed, *unreadable]
    for problem in problems:
        click.echo(problem)
    for warning in warnings:
        click.echo(warning, err=True)
    count = len(catalogue.services) - len({p.file for p in [*unlicensed, *unreadable]})
    if problems or missing:
        click.echo(f"{len(problems) + len(missing)} problem(s); {count} service(s) are fine.", err=True)
        exit_with(1)
    click.echo(f"{count} service(s), no problems.")
    if not count:
        exit_with(1)


@services.command()
@click.argument("service_id", metavar="ID")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Write it to FILE (default: stdout).")
@click.option("--lang", help="Label language (default: the service's first).")
@click.option("--public-key", type=click.Path(exists=True, dir_okay=False, path_type=Path), metavar="FILE",
              help="The ministry's RSA public key (PEM or base64): an encrypted form.")
@pass_config
def xform(config: Config, service_id: str, out: Path | None, lang: str | None, public_key: Path | None) -> None:
    """The XForm of a service, to publish on ODK Central or KoboToolbox before the kiosk sends to it.

    \b
    Example:
      kiosk services xform change-of-address --out change-of-address.xml
    """
    from kiosk.xform import xform_for
    service = load_catalogue(config.services_dirs).services.get(service_id)
    if service is None:
        raise BadInput(f"no service '{service_id}'; see `kiosk services list`")
    if lang is not None and lang not in service.languages:
        raise BadInput(f"{service.id} has no '{lang}' text; use one of {', '.join(service.languages)}")
    try:
        text = xform_for(service, language=lang,
                         public_key=public_key.read_text(encoding="utf-8") if public_key else None)
    except ValueError as exc:  # a mapping that cannot be an XForm element name
        raise Failure(f"{service.id}: no XForm: {exc}") from None
    if out is None:
        click.echo(text)
        return
    out.write_text(text if text.endswith("\n") else text + "\n", encoding="utf-8")
    click.echo(f"{service.id}: XForm written to {out}", err=True)
