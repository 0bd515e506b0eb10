"""Everything about the person at the screen, in one object replaced whole at the wipe.

A `CitizenSession` holds the journey in progress, the mediator's assisted
session (with its consent) and the folder where speech that carries this
citizen's answers is kept. When the citizen leaves (finished, timed out,
"start again") the screen calls `end()` and makes a new one: nothing of the
last citizen carries over, and nothing about them lives in a module global.
"""
from __future__ import annotations

import logging
import shutil
from pathlib import Path
from typing import Any

from kiosk.assist import AssistRecord, AssistSession

log = logging.getLogger(__name__)


class CitizenSession:
    """One citizen's visit: journey, assistance and consent, private voice folder."""

    def __init__(self, *, voice_private_dir: Path | None = None):
        self.journey: Any = None  # kiosk.journey.Journey once a service is chosen
        self.assist: AssistSession | None = None
        self.voice_private_dir = voice_private_dir
        self.ended = False

    @property
    def assisted(self) -> bool:
        """True while a mediator is helping this citizen."""
        return self.assist is not None and self.assist.active

    def start_assist(self, session: AssistSession) -> None:
        """A mediator signed in to help this citizen (one assisted session at a time)."""
        if self.ended:
            raise RuntimeError("this citizen session has ended; start a new one")
        if self.assist is not None and self.assist.active:
            self.assist.end("replaced")
        self.assist = session

    def assisted_record(self) -> AssistRecord:
        """What the submission puts in payload["assisted"] (unassisted if no mediator stepped in)."""
        return self.assist.record() if self.assist is not None else AssistRecord()

    def assisted_payload(self) -> dict | None:
        """payload["assisted"] for a submission now; None when no mediator stepped in (the
        submission then says {"assisted": false})."""
        return self.assist.record().to_payload() if self.assist is not None else None

    def end(self, reason: str = "session_ended") -> None:
        """The citizen left: close any assistance and delete the speech that held their answers.

        The state is cleared before the assisted session's audit line is written, so a
        failing write (a full disk) cannot leave anything of this citizen behind.
        """
        if self.ended:
            return
        self.ended = True
        assist, self.assist, self.journey = self.assist, None, None
        if self.voice_private_dir is not None and self.voice_private_dir.is_dir():
            for clip in self.voice_private_dir.iterdir():
                if clip.is_dir():
                    shutil.rmtree(clip, ignore_errors=True)
                else:
                    clip.unlink(missing_ok=True)
        if assist is not None:
            try:
                assist.end(reason)
            except Exception as exc:  # noqa: BLE001 - the wipe must complete whatever the log says
                log.error("end of assistance not logged: %s", type(exc).__name__)
