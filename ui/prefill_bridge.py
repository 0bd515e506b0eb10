"""Once-only prefill as the mediator's panel sees it (`mediator.prefill`): offer, ask the citizen, fetch.

The rules are kiosk.prefill's; the HTTP is offline_queue.prefill's. This object only follows the
citizen's journey, checks off the GUI thread whether the destination answers (the kiosk is "online"
for it), shows the mediator one line of state and, once the citizen agreed on the consent screen
(`AssistController` shows this object's words there while `asking`), fetches through ui.tasks and
merges the answers into the journey on the GUI thread. Whatever goes wrong, the panel says it in one
plain line and the journey goes on; the audit log gets one `prefill` line with codes and counts.
"""
from __future__ import annotations

import logging
import time
from concurrent.futures import Future
from typing import Any, Callable

from PySide6.QtCore import Property, QObject, Signal

from kiosk import prefill
from kiosk.prefill import Outcome, PrefillResult
from translations import text as tr
from ui.tasks import TaskManager

log = logging.getLogger(__name__)

ONLINE_FOR_SECONDS = 30.0  # a health answer older than this is checked again before offering


def _default_client(destination: Any) -> Any:
    from offline_queue.prefill import PrefillClient
    return PrefillClient(destination)


class PrefillController(QObject):
    """Offers the prefill for the citizen session in progress; one fetch at a time."""

    changed = Signal()  # the panel line, canAsk, busy

    def __init__(self, bridge: Any, audit, tasks: TaskManager, language: str, *,
                 client_factory: Callable[[Any], Any] | None = None, parent: QObject | None = None):
        super().__init__(parent)
        self.bridge, self.audit, self.tasks, self.language = bridge, audit, tasks, language
        # The HTTP client (requests) is imported on first use: most kiosks start without a prefill, and
        # none needs it before the first frame.
        self._client_factory = client_factory or _default_client
        self.asking = False  # the consent screen shows the prefill question
        self._online: tuple[str, bool, float] | None = None  # (destination, answered, when)
        self._probing = False
        self._busy = False
        self._journey_seen: Any = None  # the journey the outcome below belongs to
        self._outcome = ""  # the key of the last outcome's line (m.prefill.found, ...)
        self._filled = 0

    # --- following the citizen ---------------------------------------------------------------

    def _journey(self):
        return self.bridge.journey if self.bridge is not None else None

    def _assist(self):
        citizen = getattr(self.bridge, "citizen", None)
        return citizen.assist if citizen is not None else None

    def _destination(self):
        journey = self._journey()
        return self.bridge.config.destination(journey.service.destination) if journey is not None else None

    def follow(self) -> None:
        """A new citizen screen: forget the outcome of another journey; check the connection when it may matter."""
        journey = self._journey()
        if journey is not self._journey_seen:
            self._journey_seen, self._outcome, self._filled, self.asking = journey, "", 0, False
        destination = self._destination()
        assist = self._assist()
        if journey is not None and assist is not None and assist.active and prefill.declares(destination,
                                                                                              journey.service):
            self._check_online(destination)
        self.changed.emit()

    def forget(self) -> None:
        """The citizen left."""
        self._journey_seen, self._outcome, self._filled, self.asking = None, "", 0, False
        self.changed.emit()

    def _is_online(self, destination) -> bool:
        # The last health answer; follow() asks again on the next screen once it is ONLINE_FOR_SECONDS old,
        # and a fetch that finds the kiosk offline after all fails plainly.
        return bool(self._online and self._online[0] == destination.name and self._online[1])

    def _check_online(self, destination) -> None:
        fresh = self._online is not None and self._online[0] == destination.name and \
            time.monotonic() - self._online[2] < ONLINE_FOR_SECONDS
        if fresh or self._probing:
            return
        self._probing = True
        client = self._client_factory(destination)

        def done(future: Future) -> None:
            self._probing = False
            answered = not future.exception() and bool(future.result())
            self._online = (destination.name, answered, time.monotonic())
            self.changed.emit()

        self.tasks.run_in_background(client.reachable, done)

    # --- the panel ---------------------------------------------------------------------------

    def _reason(self) -> str | None:
        destination = self._destination()
        online = destination is not None and self._is_online(destination)
        return prefill.unavailable(self._journey(), destination, self._assist(), online=online)

    @Property("QVariantMap", notify=changed)
    def panel(self) -> dict:
        """{"shown", "status", "canAsk", "busy"} for the mediator's panel, in the mediator's language."""
        reason = self._reason()
        data = {"shown": reason not in (prefill.NOT_DECLARED, prefill.NO_MEDIATOR), "status": "",
                "canAsk": False, "busy": self._busy}
        if not data["shown"]:
            return data
        if self._busy:
            data["status"] = tr(self.language, "m.prefill.busy")
        elif self._outcome:
            data["status"] = tr(self.language, self._outcome, count=self._filled)
        elif reason == prefill.OFFLINE:
            data["status"] = tr(self.language, "m.prefill.checking" if self._probing or self._online is None
                                else "m.prefill.offline")
        elif reason is not None:
            data["status"] = tr(self.language, f"m.prefill.not.{reason}")
        else:
            data["status"], data["canAsk"] = tr(self.language, "m.prefill.ready"), True
        return data

    # --- asking and fetching -----------------------------------------------------------------

    def ask(self) -> bool:
        """Put the question to the citizen (the consent screen, in their language); False if not offered now."""
        if self._busy or self._outcome or self._reason() is not None:
            return False
        self.asking = True
        self.changed.emit()
        return True

    def consent_texts(self, language: str, helper: str, service: str) -> dict[str, str]:
        """The consent screen's words for this question, under the keys ConsentScreen reads."""
        return {f"m.consent.{part}": tr(language, f"prefill.consent.{part}", name=helper, service=service)
                for part in ("title", "who", "what", "scope", "stop", "accept", "refuse")}

    def answer(self, accept: bool) -> None:
        """The citizen's answer: fetch off the GUI thread, or note the refusal."""
        if not self.asking:
            return
        self.asking = False
        journey, assist, destination = self._journey(), self._assist(), self._destination()
        if journey is None or assist is None or destination is None:
            return self.changed.emit()
        if not accept:
            self._finish(journey, assist, destination, PrefillResult(Outcome.REFUSED))
            return
        if self._reason() is not None:  # gone offline, or assistance ended, since the question was put
            self._finish(journey, assist, destination, PrefillResult(Outcome.FAILED, reason="no longer offered"))
            return
        request = prefill.request_for(journey, assist, self.bridge.config.kiosk_id)
        client = self._client_factory(destination)
        self._busy = True
        self.changed.emit()

        def done(future: Future) -> None:
            self._busy = False
            result = future.result() if not future.exception() else \
                PrefillResult(Outcome.FAILED, reason=type(future.exception()).__name__)
            self._finish(journey, assist, destination, result)

        self.tasks.run_in_background(lambda: client.fetch(request), done)

    def _finish(self, journey, assist, destination, result: PrefillResult) -> None:
        """Merge (only into the journey that asked: the citizen may have left meanwhile), log, say how it went."""
        filled = prefill.merge(journey, result) if journey is self._journey() else []
        if result.outcome is Outcome.FAILED:
            log.warning("prefill for %s failed: %s", journey.service.id, result.reason)  # cleaned, no answers
        try:
            prefill.record(self.audit, assist, journey.service, destination.name, result.outcome, len(filled))
        except Exception as exc:  # noqa: BLE001 - a full disk must not take the answers away
            log.error("prefill not recorded in the audit log: %s", type(exc).__name__)
        if journey is self._journey():
            self._outcome, self._filled = f"m.prefill.{result.outcome.value}", len(filled)
            if filled:
                self.bridge.changed.emit()  # the page on screen may now show its answer
        self.changed.emit()
