"""`kiosk doctor` and `kiosk metrics`: is this kiosk healthy, and what the fleet's monitoring sees of it."""
from __future__ import annotations

from pathlib import Path

import click

from commands.base import exit_with, pass_config
from kiosk.config import Config

_MARK = {"ok": "ok  ", "warn": "WARN", "fail": "FAIL", "skip": "skip"}


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output (for scripts and ansible).")
@pass_config
def doctor(config: Config, as_json: bool) -> None:
    """Check everything a kiosk needs, each problem with what to do. Exit 1 if any check fails.

    Display and audio, a voice and a recognition model per language, every destination
    (reachable, TLS, credentials; nothing is submitted), the clock, the databases, free
    disk, permissions of the data folder and key files, the services, the version.
    Run it as the kiosk's user on a packaged kiosk.

    \b
    Example:
      sudo -u ponte kiosk doctor
    """
    from operations.doctor import Status, run_doctor
    report = run_doctor(config)
    if as_json:
        click.echo(report.to_json())
    else:
        for check in report.checks:
            click.echo(f"{_MARK[check.status.value]}  {check.name}: {check.message}")
            if check.action:
                click.echo(f"      -> {check.action}")
        failed = len(report.failed)
        click.echo(f"{len(report.checks)} checks, {failed} failed" if failed else f"{len(report.checks)} checks, "
                   "none failed")
    if report.status is Status.FAIL:
        exit_with(1)


@click.command()
@click.option("--textfile", type=click.Path(dir_okay=False, path_type=Path), metavar="FILE",
              help="Write the node_exporter textfile here (default: [metrics] textfile; '-' prints it).")
@click.option("--push", is_flag=True, help="Also push to [metrics] pushgateway_url when one is configured.")
@click.option("--no-doctor", is_flag=True, help="Leave out the doctor's checks (faster; no network probes).")
@pass_config
def metrics(config: Config, textfile: Path | None, push: bool, no_doctor: bool) -> None:
    """Fleet health in Prometheus format: queue depth, ages, last deliveries, disk, doctor, versions.

    Never personal data: counts, ages, sizes, names of destinations and checks.

    \b
    Example:
      kiosk metrics --textfile /var/lib/ponte-metrics/ponte.prom --push
    """
    from commands.base import Failure
    from operations.metrics import MetricsError, collect, push_metrics, render, write_textfile
    registry = collect(config, doctor=not no_doctor)
    target = textfile or (Path(config.settings.metrics.textfile) if config.settings.metrics.textfile else None)
    try:
        if target is None or str(target) == "-":
            click.echo(render(registry), nl=False)
        else:
            write_textfile(registry, target)
            click.echo(f"metrics written to {target}")
        if push:
            url = config.settings.metrics.pushgateway_url
            if not url:
                click.echo("no [metrics] pushgateway_url: nothing pushed")
            else:
                push_metrics(registry, config)
                click.echo(f"metrics pushed to {url}")
    except MetricsError as exc:
        raise Failure(str(exc)) from None
