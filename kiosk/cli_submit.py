"""`kiosk queue add`: enqueue a submission exactly as the touch screen would."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from kiosk.config import Config
from kiosk.definition import load_catalogue
from kiosk.journey import CHECK, Journey
from kiosk.reference import display
from kiosk.screen import error_text
from kiosk.submission import SubmitError, submit


def register(sub) -> None:
    queue = sub.choices.get("queue") or sub.add_parser("queue", help="the submission queue")
    actions = next((a for a in queue._actions if isinstance(a, argparse._SubParsersAction)), None)
    if actions is None:
        actions = queue.add_subparsers(dest="queue_command", metavar="ACTION", required=True)
    add = actions.add_parser("add", help="enqueue answers from a JSON file, with the UI's validation")
    add.add_argument("--service", required=True, help="service id (see `kiosk services list`)")
    add.add_argument("--answers", required=True, type=Path, help='JSON object {"page_id": answer, ...}')
    add.add_argument("--lang", default="en", help="language of the journey and of the messages")
    add.add_argument("--citizen-consented", action="store_true",
                     help="the citizen has agreed to the service's consent statement")
    add.set_defaults(handler=queue_add)


def answer_all(journey: Journey, answers: dict) -> list[str]:
    """Walk the journey page by page as the screen would; return messages for refused answers.

    Every refused answer is reported at once (a script should not need one run
    per mistake), so a refused page is passed over rather than stopping the walk.
    """
    problems = []
    while journey.step != CHECK:
        page = journey.page
        problem = journey.next(answers.get(page.id))
        if problem:
            problems.append(f"{page.id}: {error_text(journey.service, page, problem, journey.language)}")
            journey.pass_over()
    unknown = sorted(set(answers) - {p.id for p in journey.service.pages})
    problems += [f"{key}: not a question of this service" for key in unknown]
    return problems


def queue_add(args, config: Config) -> int:
    catalogue = load_catalogue(config.services_dirs)
    service = catalogue.services.get(args.service)
    if service is None:
        print(f"kiosk: no service '{args.service}'; see `kiosk services list`", file=sys.stderr)
        return 2
    if args.lang not in service.languages:
        print(f"kiosk: {service.id} has no '{args.lang}' text; use one of {', '.join(service.languages)}", file=sys.stderr)
        return 2
    try:
        answers = json.loads(args.answers.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        print(f"kiosk: cannot read {args.answers}: {exc}", file=sys.stderr)
        return 2
    if not isinstance(answers, dict):
        print(f"kiosk: {args.answers} must hold a JSON object of page id -> answer", file=sys.stderr)
        return 2
    journey = Journey(service, args.lang)
    problems = answer_all(journey, answers)
    if problems:
        print("kiosk: answers refused, nothing queued:", file=sys.stderr)
        for problem in problems:
            print(f"  {problem}", file=sys.stderr)
        return 1
    if not args.citizen_consented:
        print("kiosk: add --citizen-consented once the citizen has agreed to the consent statement", file=sys.stderr)
        return 2
    journey.give_consent()
    from offline_queue import QueueError, open_outbox

    try:
        outbox = open_outbox(config)
        try:
            receipt = submit(journey, config, outbox)
        finally:
            outbox.close()
    except (SubmitError, QueueError) as exc:
        print(f"kiosk: not queued: {exc}", file=sys.stderr)
        return 1
    print(display(receipt.reference))
    return 0
