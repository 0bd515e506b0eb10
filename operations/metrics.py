"""Fleet health in Prometheus conventions, for the monitoring a fleet already runs.

Written in node_exporter's textfile-collector format (one file, replaced atomically,
which node_exporter serves with the machine's other metrics) and, when configured,
pushed to a Prometheus Pushgateway (job `[metrics] job`, instance = the kiosk id).

No personal data, ever: the outbox is read for counts and timestamps only (state,
created_at, delivered_at, destination), never a body, a payload or a reference.
Labels are states, destination names, check names and versions.

Metrics (all gauges):
    ponte_queue_submissions{state}                          submissions by outbox state
    ponte_queue_oldest_waiting_age_seconds                  age of the oldest queued/sending/failed one (0: none)
    ponte_destination_last_delivery_timestamp_seconds{destination}
    ponte_disk_free_bytes / ponte_queue_reserve_bytes       on the data folder's disk
    ponte_doctor_check{check, ponte_doctor_check=ok|warn|fail|skip}   one state set per doctor check
    ponte_build_info{version}                               always 1
    ponte_catalogue_info{version}, ponte_catalogue_services, ponte_catalogue_problems
    ponte_metrics_generated_timestamp_seconds               when this was written (staleness alerts)
"""
from __future__ import annotations

import hashlib
import os
import sqlite3
import time
from pathlib import Path

from prometheus_client import CollectorRegistry, Enum, Gauge, Info, generate_latest, push_to_gateway, write_to_textfile

from kiosk.config import Config
from kiosk.outbox import STATES
from kiosk.outbox import WAITING as QUEUE_WAITING

# Checks that need the kiosk's own screen session or start a speech engine: left to `kiosk doctor`
# (the metrics timer runs every minute, without the display).
SESSION_CHECKS = ("display", "audio", "speech")
WAITING = tuple(s.value for s in QUEUE_WAITING)  # read straight from the file's state column


class MetricsError(Exception):
    """The metrics could not be written or pushed; the message says what to do."""


def queue_figures(queue_path: Path) -> tuple[dict[str, int], float | None, dict[str, float]]:
    """(count by state, created_at of the oldest waiting submission, last delivered_at by destination).

    Read-only, straight from the outbox file, so that the timer never takes the kiosk's
    locks or migrates anything; no row's content is read beyond those columns.
    """
    counts = dict.fromkeys(STATES, 0)
    if not Path(queue_path).is_file():
        return counts, None, {}
    conn = sqlite3.connect(f"file:{queue_path}?mode=ro", uri=True, timeout=5)
    try:
        for state, n in conn.execute("SELECT state, count(*) FROM submissions GROUP BY state"):
            counts[str(state)] = int(n)
        marks = ",".join("?" * len(WAITING))
        oldest = conn.execute(f"SELECT min(created_at) FROM submissions WHERE state IN ({marks})",
                              WAITING).fetchone()[0]
        last = {str(d): float(t) for d, t in conn.execute(
            "SELECT destination, max(delivered_at) FROM submissions WHERE state='delivered' "
            "AND delivered_at IS NOT NULL GROUP BY destination")}
    finally:
        conn.close()
    return counts, oldest, last


def catalogue_version(config: Config) -> tuple[str, int, int]:
    """(a short hash of the services and their versions, services, problems) of the configured catalogue."""
    from kiosk.definition import load_catalogue
    catalogue = load_catalogue(config.services_dirs)
    ids = sorted(f"{s.id}@{s.version}" for s in catalogue.services.values())
    digest = hashlib.sha256("\n".join(ids).encode()).hexdigest()[:12] if ids else "empty"
    return digest, len(catalogue.services), len(catalogue.problems)


def collect(config: Config, *, doctor: bool = True, now: float | None = None) -> CollectorRegistry:
    """Every fleet metric of this kiosk, in a registry of its own."""
    from operations.doctor import Status, package_version, run_doctor
    now = time.time() if now is None else now
    registry = CollectorRegistry()

    states = Gauge("ponte_queue_submissions", "Submissions in the outbox by state.", ["state"], registry=registry)
    oldest_age = Gauge("ponte_queue_oldest_waiting_age_seconds",
                       "Age of the oldest submission not yet delivered (queued, sending or failed); 0 when none.",
                       registry=registry)
    last_delivery = Gauge("ponte_destination_last_delivery_timestamp_seconds",
                          "When a backend last confirmed a delivery, per destination (Unix time).",
                          ["destination"], registry=registry)
    try:
        counts, oldest, last = queue_figures(config.queue_path)
    except sqlite3.Error:
        counts, oldest, last = {}, None, {}
        Gauge("ponte_queue_readable", "0 when the outbox file could not be read.", registry=registry).set(0)
    for state, n in counts.items():
        states.labels(state=state).set(n)
    oldest_age.set(max(0.0, now - oldest) if oldest else 0.0)
    for destination, at in last.items():
        last_delivery.labels(destination=destination).set(at)

    free = Gauge("ponte_disk_free_bytes", "Free bytes on the disk holding the data folder.", registry=registry)
    reserve = Gauge("ponte_queue_reserve_bytes", "Disk space the outbox keeps in reserve.", registry=registry)
    path = Path(config.data_dir)
    while not path.exists() and path != path.parent:
        path = path.parent
    try:
        usage = os.statvfs(path)
        free.set(usage.f_bavail * usage.f_frsize)
    except OSError:
        pass
    from operations.doctor import _reserve_bytes
    reserve.set(_reserve_bytes(config))

    Info("ponte_build", "The ponte-kiosk package.", registry=registry).info({"version": package_version()})
    try:
        version, services, problems = catalogue_version(config)
        Info("ponte_catalogue", "The service catalogue in use.", registry=registry).info({"version": version})
        Gauge("ponte_catalogue_services", "Services offered.", registry=registry).set(services)
        Gauge("ponte_catalogue_problems", "Definition files left out as broken.", registry=registry).set(problems)
    except Exception:  # noqa: BLE001 - a broken catalogue shows in the doctor's "services" check
        pass

    if doctor:
        checks = Enum("ponte_doctor_check", "Result of each `kiosk doctor` check.", ["check"],
                      states=[s.value for s in Status], registry=registry)
        for check in run_doctor(config, skip=SESSION_CHECKS).checks:
            checks.labels(check=check.name).state(check.status.value)

    Gauge("ponte_metrics_generated_timestamp_seconds", "When these metrics were collected (Unix time).",
          registry=registry).set(now)
    return registry


def render(registry: CollectorRegistry) -> str:
    """The Prometheus text exposition format."""
    return generate_latest(registry).decode("utf-8")


def write_textfile(registry: CollectorRegistry, path: Path | str) -> Path:
    """Replace the textfile atomically (a temporary file beside it, then a rename): node_exporter never
    reads half a file."""
    path = Path(path)
    if not path.parent.is_dir():
        raise MetricsError(f"{path.parent} does not exist: create it (install -d -o ponte {path.parent}) "
                           "or set [metrics] textfile")
    try:
        write_to_textfile(str(path), registry)
    except OSError as exc:
        raise MetricsError(f"cannot write {path}: {exc.strerror or exc}; check that the kiosk's user may "
                           f"write in {path.parent}") from None
    return path


def push_metrics(registry: CollectorRegistry, config: Config, *, timeout: float = 10.0) -> None:
    """Push to the configured Pushgateway, grouped by job and instance (the kiosk id)."""
    settings = config.settings.metrics
    if not settings.pushgateway_url:
        raise MetricsError("no [metrics] pushgateway_url is configured")
    try:
        push_to_gateway(settings.pushgateway_url, job=settings.job, registry=registry,
                        grouping_key={"instance": config.kiosk_id}, timeout=timeout)
    except OSError as exc:  # urllib's URLError and HTTPError are OSErrors
        reason = getattr(exc, "reason", None) or getattr(exc, "strerror", None) or type(exc).__name__
        raise MetricsError(f"cannot push to {settings.pushgateway_url}: {reason}; the textfile is still "
                           "written, the next run pushes again") from None
