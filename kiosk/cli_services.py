"""`kiosk services list|check`: what the kiosk offers, and what is wrong with a definition."""
from __future__ import annotations

import sys
from pathlib import Path

from kiosk.config import Config
from kiosk.definition import load_catalogue


def register(sub) -> None:
    services = sub.add_parser("services", help="list or check service definitions")
    ssub = services.add_subparsers(dest="services_command", metavar="ACTION", required=True)
    listing = ssub.add_parser("list", help="one line per available service: id, then title")
    listing.add_argument("--lang", default=None, help="title language (default: the kiosk's default)")
    listing.set_defaults(handler=list_services)
    check = ssub.add_parser("check", help="validate definitions; non-zero exit on any problem")
    check.add_argument("paths", nargs="*", type=Path, help="files or folders (default: the configured ones)")
    check.set_defaults(handler=check_services)


def list_services(args, config: Config) -> int:
    catalogue = load_catalogue(config.services_dirs)
    language = args.lang or config.default_language
    for service in sorted(catalogue.services.values(), key=lambda s: s.id):
        print(f"{service.id}\t{service.text(service.title, language)}")
    for problem in catalogue.problems:
        print(f"left out: {problem}", file=sys.stderr)
    return 0


def check_services(args, config: Config) -> int:
    paths = args.paths or list(config.services_dirs)
    missing = [p for p in paths if not Path(p).exists()]
    for path in missing:
        print(f"{path}: no such file or folder", file=sys.stderr)
    catalogue = load_catalogue([p for p in paths if Path(p).exists()])
    for problem in catalogue.problems:
        print(problem)
    count = len(catalogue.services)
    if catalogue.problems or missing:
        print(f"{len(catalogue.problems) + len(missing)} problem(s); {count} service(s) are fine.", file=sys.stderr)
        return 1
    print(f"{count} service(s), no problems.")
    return 0 if count else 1
