"""The journey engine: one citizen, one service, one question per screen.

A small state machine with four steps: `question` (one page at a time),
`check` (every answer shown, any one can be changed), `done`, and `stopped`
(an eligibility page's answer means this service cannot help: the page's
`stop` says why and what to do instead; Back returns to that page). Pages with a
`show_if` condition appear only while an earlier answer matches; answers to
pages that are hidden again are kept in memory (the citizen may change their
mind back) but never submitted.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Callable

from kiosk.definition import Page, Service
from kiosk.validators import Invalid, validate

QUESTION, CHECK, DONE, STOPPED = "question", "check", "done", "stopped"
_MISSING = object()


@dataclass(frozen=True)
class SummaryRow:
    page: Page
    value: Any


class JourneyError(Exception):
    """A call that does not fit the journey's state (a programming error, not the citizen's)."""


class Journey:
    def __init__(self, service: Service, language: str, *,
                 clock: Callable[[], dt.datetime] | None = None, today: dt.date | None = None):
        if language not in service.languages:
            raise JourneyError(f"service {service.id} has no {language} text")
        self.service = service
        self.language = language
        self._clock = clock or (lambda: dt.datetime.now(dt.timezone.utc))
        self._today = today
        self.started_at = self._clock()
        self.raw: dict[str, Any] = {}
        self._valid: dict[str, Any] = {}
        self.step = QUESTION
        self._index = 0  # index into service.pages of the current page
        self.returning_to_check = False
        # While changing one answer from check answers: (page id, its answer, its raw input) before the change.
        self._changing: tuple[str, Any, Any] | None = None
        self.error: Invalid | None = None
        self.consent_given = False
        self.stopped_by = None  # the page's `stop` while step is STOPPED
        # Answers an administration already knew (kiosk.prefill): page id -> (its name, the answer it gave).
        self._prefilled: dict[str, tuple[Any, Any]] = {}
        self._move_to_visible(forward=True)

    # --- what is shown -----------------------------------------------------

    @property
    def page(self) -> Page | None:
        return self.service.pages[self._index] if self.step == QUESTION else None

    def is_visible(self, page: Page) -> bool:
        return page.show_if is None or page.show_if.holds(self._valid_visible_before(page))

    def _valid_visible_before(self, page: Page) -> dict[str, Any]:
        # Conditions look only backwards, so one pass in page order is enough.
        seen: dict[str, Any] = {}
        for p in self.service.pages:
            if p.id == page.id:
                break
            if (p.show_if is None or p.show_if.holds(seen)) and p.id in self._valid:
                seen[p.id] = self._valid[p.id]
        return seen

    def visible_pages(self) -> list[Page]:
        visible: list[Page] = []
        seen: dict[str, Any] = {}
        for p in self.service.pages:
            if p.show_if is None or p.show_if.holds(seen):
                visible.append(p)
                if p.id in self._valid:
                    seen[p.id] = self._valid[p.id]
        return visible

    def progress(self) -> tuple[int, int]:
        """(number of the current question, number of questions that may still be asked).

        The total counts the pages shown given the answers so far and the pages whose condition
        is still open (it depends on a question not answered yet). So the total never grows as
        the citizen moves forward: "1 of 9" becomes "6 of 9", or "6 of 8" once an answer rules a
        page out, never "1 of 8" then "6 of 9".
        """
        if self.page is None:  # check answers and after: every question that was asked
            visible = self.visible_pages()
            return len(visible), len(visible)
        counted = self.pages_to_ask()
        if self.page not in counted:  # cannot happen for a visible page; never raise over a progress line
            counted = self.visible_pages()
        return counted.index(self.page) + 1, len(counted)

    def pages_to_ask(self) -> list[Page]:
        """Pages that will be asked, or may still be, given the answers so far (in order)."""
        counted: list[Page] = []
        seen: dict[str, Any] = {}
        open_ids: set[str] = set()  # pages that may or may not be asked
        for p in self.service.pages:
            cond = p.show_if
            if cond is not None and (cond.page in open_ids or
                                     (cond.page not in self._valid and any(c.id == cond.page for c in counted))):
                open_ids.add(p.id)
                counted.append(p)
                continue
            if cond is None or cond.holds(seen):
                counted.append(p)
                if p.id in self._valid:
                    seen[p.id] = self._valid[p.id]
        return counted

    @property
    def answers(self) -> dict[str, Any]:
        """The answers that will be submitted: visible pages only, skipped ones left out."""
        return {p.id: self._valid[p.id] for p in self.visible_pages()
                if p.id in self._valid and self._valid[p.id] is not None}

    def summary(self) -> list[SummaryRow]:
        return [SummaryRow(p, self._valid.get(p.id)) for p in self.visible_pages()]

    def is_complete(self) -> bool:
        return all(p.id in self._valid for p in self.visible_pages())

    # --- moving ------------------------------------------------------------

    def set_language(self, language: str) -> None:
        """Change the language mid-journey; every answer is kept."""
        if language not in self.service.languages:
            raise JourneyError(f"service {self.service.id} has no {language} text")
        self.language = language

    def answer(self, raw: Any) -> Invalid | None:
        """Record the answer to the current page; return why it was refused, if it was."""
        page = self._require_question()
        self.raw[page.id] = raw
        result = validate(page, raw, national_id_kind=self.service.national_id,
                          postcode_kind=self.service.postcode, today=self._today)
        if isinstance(result, Invalid):
            self._valid.pop(page.id, None)
            self.error = result
            return result
        self._valid[page.id] = result
        self.error = None
        return None

    def next(self, raw: Any = ...) -> Invalid | None:
        """Accept the current page (with `raw` if given) and move on."""
        page = self._require_question()
        if raw is not ...:
            problem = self.answer(raw)
        elif page.id in self._valid:
            problem = None
        else:
            problem = self.answer(self.raw.get(page.id))
        if problem:
            return problem
        stop = getattr(page, "stop", None)
        if stop is not None and stop.when.holds({page.id: self._valid.get(page.id)}):
            # This answer means the service cannot help: say why and what to do instead.
            self.step = STOPPED
            self.stopped_by = stop
            return None
        if self.returning_to_check:
            # After a change, visit only pages that the change made appear and
            # that have no answer yet, then go straight back to check.
            nxt = self._first_unanswered()
            if nxt is None:
                self._go_check()
            else:
                self._index = nxt
            return None
        self._index += 1
        self._move_to_visible(forward=True)
        return None

    def back(self) -> bool:
        """Go to the previous visible page; False if this is the first one."""
        self.error = None
        if self.step == STOPPED:
            # Back to the eligibility page that stopped the journey, to change the answer.
            self.step = QUESTION
            self.stopped_by = None
            return True
        if self.step == CHECK:
            last = self.visible_pages()[-1]
            self._index = self.service.pages.index(last)
            self.step = QUESTION
            return True
        page = self._require_question()
        if self.returning_to_check and self._changing is not None:
            changed_id, valid, raw = self._changing
            if page.id != changed_id:
                # A page the change made appear: back to the question being changed.
                self._index = self.service.pages.index(self.service.page(changed_id))
                return True
            # Back on the question being changed: forget the change, as if it never started.
            for store, value in ((self._valid, valid), (self.raw, raw)):
                if value is _MISSING:
                    store.pop(changed_id, None)
                else:
                    store[changed_id] = value
            self._go_check()
            return True
        for i in range(self._index - 1, -1, -1):
            if self.is_visible(self.service.pages[i]):
                self._index = i
                return True
        return False

    def change(self, page_id: str) -> None:
        """From check answers, open one page; next() returns to check answers."""
        if self.step != CHECK:
            raise JourneyError("change() is only possible from check answers")
        page = self.service.page(page_id)
        if not self.is_visible(page):
            raise JourneyError(f"page {page_id} is not shown in this journey")
        self._index = self.service.pages.index(page)
        self.step = QUESTION
        self.returning_to_check = True
        self._changing = (page.id, self._valid.get(page.id, _MISSING), self.raw.get(page.id, _MISSING))
        self.error = None

    def pass_over(self) -> None:
        """Leave the current page unanswered and go on (for reporting every problem at once).

        A journey that passed over a required page is never complete, so it
        cannot be submitted.
        """
        self._require_question()
        self._index += 1
        self.error = None
        self._move_to_visible(forward=True)

    def prefill(self, values: dict[str, Any], source: Any) -> list[str]:
        """Take answers an administration already knows (kiosk.prefill); return the page ids filled.

        Only pages not answered yet, never a file, and only values their page's validator accepts; each
        stays an ordinary answer that the citizen sees on its page and can change.
        """
        filled = []
        for page in self.service.pages:
            if page.id not in values or page.id in self._valid or page.type in ("document", "signature"):
                continue
            result = validate(page, values[page.id], national_id_kind=self.service.national_id,
                              postcode_kind=self.service.postcode, today=self._today)
            if result is None or isinstance(result, Invalid):
                continue
            self.raw[page.id], self._valid[page.id] = values[page.id], result
            self._prefilled[page.id] = (source, result)
            filled.append(page.id)
        return filled

    def prefilled_from(self, page_id: str) -> Any:
        """Who gave this answer (the `source` given to prefill), while it is still the answer it gave; else None."""
        entry = self._prefilled.get(page_id)
        return entry[0] if entry is not None and self._valid.get(page_id, _MISSING) == entry[1] else None

    def give_consent(self, given: bool = True) -> None:
        self.consent_given = given

    def snapshot(self) -> dict[str, Any]:
        """What a paused journey needs to go on later (kiosk.drafts): raw answers and the page it was on.

        Consent is not kept: the citizen agrees again before sending.
        """
        at = self.service.pages[self._index].id if self.step in (QUESTION, STOPPED) else None
        return {"raw": dict(self.raw), "page": at, "step": CHECK if self.step == CHECK else QUESTION}

    def restore(self, snapshot: dict[str, Any]) -> list[str]:
        """Take a snapshot's answers back on this new journey; return the page ids whose answers no longer fit.

        Answers are validated again (the definition may have changed since); the journey goes on at the saved
        page, or at the first unanswered one when an answer was dropped or the page is gone.
        """
        stored = snapshot.get("raw")
        raw: dict[str, Any] = stored if isinstance(stored, dict) else {}
        ids = {p.id: i for i, p in enumerate(self.service.pages)}
        dropped = []
        for page_id, value in raw.items():
            if page_id not in ids:
                dropped.append(page_id)
                continue
            page = self.service.pages[ids[page_id]]
            result = validate(page, value, national_id_kind=self.service.national_id,
                              postcode_kind=self.service.postcode, today=self._today)
            if isinstance(result, Invalid):
                dropped.append(page_id)
                continue
            self.raw[page_id], self._valid[page_id] = value, result
        self.error, self.stopped_by, self.returning_to_check, self._changing = None, None, False, None
        target = snapshot.get("page")
        first_gap = self._first_unanswered()
        if not dropped and snapshot.get("step") == CHECK and first_gap is None:
            self._go_check()
        elif not dropped and target in ids and self.is_visible(self.service.pages[ids[target]]):
            self.step, self._index = QUESTION, ids[target]
        elif first_gap is not None:
            self.step, self._index = QUESTION, first_gap
        else:
            self._go_check()
        return dropped

    def finish(self) -> None:
        """Mark the journey as submitted (called once the queue has it on disk)."""
        if self.step != CHECK or not self.is_complete():
            raise JourneyError("only a complete journey at check answers can be submitted")
        if not self.consent_given:
            raise JourneyError("the citizen has not agreed to the consent statement")
        self.step = DONE

    # --- internals ---------------------------------------------------------

    def _require_question(self) -> Page:
        if self.step != QUESTION:
            raise JourneyError(f"no question on the {self.step} step")
        return self.service.pages[self._index]

    def _move_to_visible(self, forward: bool) -> None:
        while self._index < len(self.service.pages) and not self.is_visible(self.service.pages[self._index]):
            self._index += 1
        if self._index >= len(self.service.pages):
            self._go_check()

    def _first_unanswered(self) -> int | None:
        for p in self.visible_pages():
            if p.id not in self._valid:
                return self.service.pages.index(p)
        return None

    def _go_check(self) -> None:
        self.step = CHECK
        self.returning_to_check = False
        self._changing = None
        self.error = None

    def now(self) -> dt.datetime:
        return self._clock()
