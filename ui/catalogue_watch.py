"""The running kiosk keeps its service catalogue up to date by itself.

`CatalogueWatcher` runs `operations.catalogue_update` off the GUI thread (through
`ui.tasks.TaskManager`): every `[catalogue] refresh_minutes` from `[catalogue] url`,
and whenever a stick with a catalogue folder (`usb_folder` under a mount point
matching `usb_roots`) appears. TUF and the definition checks decide whether the
catalogue on disk switches; this class decides when the *screen* follows:

- a switched catalogue is loaded and checked in the background, and the version's
  folder is held (`hold_version`) so no later update can delete it;
- the bridge is given it only on the welcome (attract) screen, between citizens,
  never during a journey; the folder of the version left behind is then released
  (an update may delete it once it is neither current nor previous).

The log says which version is offered and how many services it has: never anything
about a citizen.
"""
from __future__ import annotations

import logging
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QTimer, Signal

from kiosk.config import Config
from kiosk.definition import Catalogue, load_catalogue
from kiosk.screen import ATTRACT
from ui.tasks import TaskManager

if TYPE_CHECKING:
    from operations.catalogue_update import UpdateResult, VersionHold

# operations.catalogue_update (python-tuf, urllib3, securesystemslib, cryptography) is imported only by a
# kiosk whose services come from the signed catalogue, and then only in the calls below: the first frame
# of every other kiosk does without it (issue 16).

log = logging.getLogger(__name__)


def _may_be_catalogue(data_dir: Path, folder: Path) -> bool:
    """Whether `folder` could be a version of the signed catalogue (`version_of_folder` says for sure):
    a path under `data_dir/catalogue`, as given or resolved, without importing TUF."""
    base = Path(data_dir) / "catalogue"
    try:
        candidates = {Path(folder), Path(folder).resolve()}
        bases = {base, base.resolve(), (base / "versions").resolve()}
    except OSError:
        return False
    return any(c.is_relative_to(b) for c in candidates for b in bases)


@dataclass
class _Prepared:
    """A newer catalogue loaded and checked, its folder held, waiting for the welcome screen."""

    version: int
    catalogue: Catalogue
    dirs: tuple[Path, ...]
    hold: VersionHold


class CatalogueWatcher(QObject):
    """Updates the signed catalogue in the background and hands it to the screen between citizens.

    `bridge` is the `KioskBridge` (its `screen`, `screenShown` and `replace_catalogue`).
    Nothing happens unless the kiosk loads its services from the signed catalogue
    (a `[services] dirs` entry that is `data_dir/catalogue/current` or one of its versions).
    """

    adopted = Signal(int)  # the catalogue version the screen now offers
    updateFinished = Signal(str)  # "" when an update ran without a problem, else its one-line reason

    def __init__(self, config: Config, bridge: Any, *, tasks: TaskManager | None = None,
                 parent: QObject | None = None):
        super().__init__(parent)
        self.config = config
        self.bridge = bridge
        self.settings = config.catalogue
        self.tasks = tasks or TaskManager(self)
        self.dirs: tuple[Path, ...] = tuple(config.services_dirs)
        self._slot: int | None = None
        if any(_may_be_catalogue(config.data_dir, d) for d in self.dirs):
            from operations.catalogue_update import version_of_folder
            self._slot = next((i for i, d in enumerate(self.dirs)
                               if version_of_folder(config.data_dir, d) is not None), None)
        self.version: int | None = None  # the version the screen offers now
        self._hold: VersionHold | None = None
        if self._slot is not None:
            from operations.catalogue_update import hold_version, version_of_folder
            self.version = version_of_folder(config.data_dir, self.dirs[self._slot])
            # Pin the folder the screen reads (pictograms are read from it while the kiosk runs).
            self._hold = hold_version(config.data_dir, self.version)
            if self._hold is not None:
                self.dirs = (*self.dirs[:self._slot], self._hold.path.resolve(), *self.dirs[self._slot + 1:])
        self._prepared: _Prepared | None = None
        self._preparing = False
        self._updating = False
        self._queued_sources: list[str | None] = []
        self._seen_sticks: set[tuple[str, int, int]] = set()
        self.last_problem = ""
        self._refresh_timer = QTimer(self)
        self._refresh_timer.timeout.connect(self.refresh_now)
        self._usb_timer = QTimer(self)
        self._usb_timer.timeout.connect(self.poll)
        bridge.screenShown.connect(self._on_screen)

    @property
    def active(self) -> bool:
        """True when the kiosk's services come from the signed catalogue."""
        return self._slot is not None

    @property
    def pending_version(self) -> int | None:
        """A newer version loaded and waiting for the welcome screen, if any."""
        return self._prepared.version if self._prepared else None

    @property
    def busy(self) -> bool:
        """An update or a load is running in the background."""
        return self._updating or self._preparing

    def start(self) -> None:
        """Start the timers the configuration asks for (nothing when the signed catalogue is not in use)."""
        if not self.active:
            return
        if self.settings.url and self.settings.refresh_minutes > 0:
            self._refresh_timer.start(max(1, int(self.settings.refresh_minutes * 60_000)))
            self.refresh_now()
        if self.settings.usb_folder and self.settings.usb_poll_seconds > 0:
            self._usb_timer.start(max(100, int(self.settings.usb_poll_seconds * 1000)))
            self.poll()

    def stop(self) -> None:
        self._refresh_timer.stop()
        self._usb_timer.stop()

    def close(self) -> None:
        """Stop, wait for background work, and release the held versions (the process is ending)."""
        self.stop()
        self.tasks.wait(30_000)
        if self._prepared is not None:
            self._prepared.hold.release()
            self._prepared = None
        if self._hold is not None:
            self._hold.release()

    # --- updates ---------------------------------------------------------------------------------

    def refresh_now(self, source: str | None = None) -> None:
        """Update from `source` (a folder or https URL; default [catalogue] url) in the background."""
        if not self.active:
            return
        if self._updating:
            if source not in self._queued_sources:
                self._queued_sources.append(source)
            return
        if source is None and not self.settings.url:
            return
        self._updating = True
        config = self.config

        def run() -> UpdateResult:
            from operations.catalogue_update import update_from_config
            return update_from_config(config, source)
        self.tasks.run_in_background(run, self._on_updated)

    def _on_updated(self, future: Future) -> None:
        from operations.catalogue_update import CatalogueError  # imported already: an update ran
        self._updating = False
        try:
            result = future.result()
        except CatalogueError as exc:
            self.last_problem = str(exc)
            log.warning("catalogue update: %s", exc)
        except Exception as exc:  # noqa: BLE001 - the kiosk keeps running on the catalogue it has
            self.last_problem = f"update failed: {type(exc).__name__}"
            log.error("catalogue update failed: %s", type(exc).__name__)
        else:
            self.last_problem = ""
            if result.switched:
                log.info("catalogue version %d downloaded and checked (%d services)", result.version,
                         result.services)
        self.updateFinished.emit(self.last_problem)
        self.check_switched()
        if self._queued_sources:
            self.refresh_now(self._queued_sources.pop(0))

    def poll(self) -> None:
        """Look for a newly plugged stick (update from it once), and for a switch made by another process."""
        if not self.active:
            return
        from operations.catalogue_update import find_stick_catalogues, stick_fingerprint
        sticks = find_stick_catalogues(self.settings.usb_roots, self.settings.usb_folder) \
            if self.settings.usb_folder else []
        present = set()
        for folder in sticks:
            mark = stick_fingerprint(folder)
            if mark is None:
                continue
            present.add(mark)
            if mark not in self._seen_sticks:
                self._seen_sticks.add(mark)
                log.info("catalogue stick found; updating from it")
                self.refresh_now(str(folder))
        self._seen_sticks &= present  # a stick pulled out and plugged in again is offered again
        self.check_switched()

    # --- adoption ----------------------------------------------------------------------------------

    def check_switched(self) -> None:
        """If `current` points at a newer version than the screen offers, load it in the background."""
        slot = self._slot
        if slot is None or self._preparing or self._updating:
            return
        from operations.catalogue_update import KioskCatalogue, hold_version
        newest = KioskCatalogue.under(self.config.data_dir).version()
        known = self._prepared.version if self._prepared else self.version
        if newest is None or (known is not None and newest <= known):
            return
        self._preparing = True
        data_dir, dirs = self.config.data_dir, self.dirs
        cache_dir = self.config.cache_dir / "catalogue-cache"

        def run() -> _Prepared | None:
            hold = hold_version(data_dir, newest)
            if hold is None:
                return None
            new_dirs = (*dirs[:slot], hold.path.resolve(), *dirs[slot + 1:])
            catalogue = load_catalogue(new_dirs, cache_dir=cache_dir)
            return _Prepared(newest, catalogue, new_dirs, hold)
        self.tasks.run_in_background(run, self._on_prepared)

    def _on_prepared(self, future: Future) -> None:
        self._preparing = False
        try:
            prepared = future.result()
        except Exception as exc:  # noqa: BLE001 - keep offering the catalogue in use
            log.error("catalogue could not be loaded: %s", type(exc).__name__)
            return
        if prepared is None:
            return
        if not prepared.catalogue.services:
            prepared.hold.release()
            log.warning("catalogue version %d offers no service here; the screen keeps version %s",
                        prepared.version, self.version)
            return
        if self._prepared is not None:
            self._prepared.hold.release()
        self._prepared = prepared
        self._adopt_if_between_citizens()

    def _on_screen(self, screen: Any) -> None:
        if getattr(screen, "kind", None) == ATTRACT:
            if self._prepared is not None:
                self._adopt_if_between_citizens()
            else:
                self.check_switched()  # e.g. `kiosk catalogue update` run by hand meanwhile

    def _adopt_if_between_citizens(self) -> bool:
        prepared = self._prepared
        if prepared is None or self.bridge.screen != ATTRACT:
            return False
        if not self.bridge.replace_catalogue(prepared.catalogue):
            return False
        old, old_version = self._hold, self.version
        self._prepared = None
        self._hold, self.version, self.dirs = prepared.hold, prepared.version, prepared.dirs
        if old is not None:
            old.release()
        log.info("catalogue version %d in use (%d services; was version %s)", prepared.version,
                 len(prepared.catalogue.services), old_version)
        self.adopted.emit(prepared.version)
        return True
