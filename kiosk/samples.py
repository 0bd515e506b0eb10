"""Plausible fake answers for any question: for screenshots, demos and tests.

Values are obviously fictitious (no real person's data) and pass the same
validation a citizen's answer must pass.
"""
from __future__ import annotations

from typing import Any

from kiosk.definition import Page, Service
from kiosk.documents import DocumentRules, page_name

NATIONAL_IDS = {"pt-nif": "123456789", "es-dni": "12345678Z", "luhn": "79927398713",
                "fr-nir": "255081416802538", "none": "AB123456"}
POSTCODES = {"PT": "1000-001", "ES": "28001", "FR": "75001", "GB": "SW1A 1AA", "any": "1000"}


def _goes_on(page: Page, value: Any) -> bool:
    """False if this answer would stop the journey at an eligibility page."""
    stop = getattr(page, "stop", None)
    return stop is None or not stop.when.holds({page.id: value})


def sample_answer(page: Page, service: Service, *, last: bool = False) -> Any:
    """A fake answer that passes validation and does not stop the journey.

    Choice questions take their first possible option, or with `last` their last one (and
    "no" for yes/no), so two runs between them see both sides of most conditions.
    """
    kind = page.type
    if kind == "yes_no":
        # "yes" usually opens the conditional pages, so more screens are seen
        order = ["no", "yes"] if last else ["yes", "no"]
        return next((v for v in order if _goes_on(page, v)), order[0])
    if kind in ("single_choice", "multiple_choice"):
        values = [o.value for o in page.options][::-1 if last else 1]
        value = next((v for v in values if _goes_on(page, v if kind == "single_choice" else [v])), values[0])
        return value if kind == "single_choice" else [value]
    if kind == "number":
        return str(int(page.min) if page.min is not None and page.min > 0 else 2)
    if kind == "date":
        return "14/03/2001" if page.date_range != "future" else "14/03/2099"
    if kind == "phone":
        return "912 345 678"
    if kind == "email":
        return "ana.exemplo@example.org"
    if kind == "postcode":
        return POSTCODES.get(service.postcode, "1000")
    if kind == "national_id":
        return NATIONAL_IDS.get(service.national_id, "AB123456")
    if kind == "long_text":
        return "Sample text for a long answer."
    if kind == "document":  # the pages' file names, as the screen names scanned pages (kiosk/documents.py)
        rules = page.document or DocumentRules()
        return [page_name(page.id, i, "jpg") for i in range(max(1, rules.min_pages))]
    if kind == "signature":
        return f"{page.id}.png"
    return "Ana Exemplo"
