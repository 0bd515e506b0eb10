"""Dump the AT-SPI accessibility tree of one running process's windows as JSON.

Run by Debian's /usr/bin/python3 (it needs python3-pyatspi and python3-gi, which the project's
virtual environment cannot import), on the same D-Bus session and X display as the kiosk:

    /usr/bin/python3 tests/atspi_dump.py --pid 1234

Prints one JSON object: {"app": name, "tree": node}, where a node is
{"role", "name", "description", "states", "actions", "extents": [x, y, w, h], "text", "children"}.
Only showing items are kept (Qt exposes hidden ones too, a screen reader skips them).

With `--serve` it answers one JSON command a line on stdin (the same three, see _serve).
With `--do NAME` it instead calls the first action of the first showing item whose accessible
name is NAME (as a screen-reader user's double tap does); with `--type NAME=TEXT` it sets the text
of the editable field named NAME through the EditableText interface. Exit status 2: not found.
"""
from __future__ import annotations

import argparse
import json
import sys
import time

import pyatspi  # Debian's python3-pyatspi


def _find_app(pid: int, timeout: float):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        desktop = pyatspi.Registry.getDesktop(0)
        for i in range(desktop.childCount):
            app = desktop.getChildAtIndex(i)
            try:
                if app is not None and app.get_process_id() == pid:
                    return app
            except Exception:  # noqa: BLE001 - an application that went away while we looked
                continue
        time.sleep(0.2)
    return None


def _states(acc) -> list[str]:
    names = []
    for state in acc.getState().getStates():
        names.append(pyatspi.stateToString(state).replace(" ", "-"))
    return sorted(names)


def _node(acc, depth: int = 0) -> dict | None:
    if depth > 60:
        return None
    states = _states(acc)
    if "showing" not in states and acc.getRoleName() not in ("application",):
        return None
    node = {"role": acc.getRoleName(), "name": acc.name or "", "description": acc.description or "",
            "states": states, "actions": [], "extents": None, "text": None, "children": []}
    try:
        action = acc.queryAction()
        node["actions"] = [action.getName(i) for i in range(action.nActions)]
    except NotImplementedError:
        pass
    try:
        ext = acc.queryComponent().getExtents(pyatspi.DESKTOP_COORDS)
        node["extents"] = [ext.x, ext.y, ext.width, ext.height]
    except NotImplementedError:
        pass
    try:
        text = acc.queryText()
        node["text"] = text.getText(0, -1)
    except NotImplementedError:
        pass
    for i in range(acc.childCount):
        child = acc.getChildAtIndex(i)
        if child is None:
            continue
        sub = _node(child, depth + 1)
        if sub is not None:
            node["children"].append(sub)
    return node


def _walk(acc):
    yield acc
    for i in range(acc.childCount):
        child = acc.getChildAtIndex(i)
        if child is not None:
            yield from _walk(child)


def _find(app, name: str, editable: bool = False):
    for acc in _walk(app):
        states = acc.getState()
        if acc.name == name and states.contains(pyatspi.STATE_SHOWING):
            if editable and not states.contains(pyatspi.STATE_EDITABLE):
                continue
            return acc
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pid", type=int, required=True)
    parser.add_argument("--timeout", type=float, default=20.0)
    parser.add_argument("--do", dest="do", help="accessible name of the item whose first action to call")
    parser.add_argument("--type", dest="type", help="NAME=TEXT: set the text of an editable field")
    parser.add_argument("--serve", action="store_true",
                        help='answer JSON commands on stdin: {"dump": 1}, {"do": NAME}, {"type": [INDEX, TEXT]}')
    args = parser.parse_args(argv)
    app = _find_app(args.pid, args.timeout)
    if app is None:
        print(json.dumps({"error": f"no accessible application with process id {args.pid}"}))
        return 2
    if args.do:
        acc = _find(app, args.do)
        if acc is None:
            print(json.dumps({"error": f"no showing item named {args.do!r}"}))
            return 2
        acc.queryAction().doAction(0)
        print(json.dumps({"done": args.do}))
        return 0
    if args.type:
        name, _, text = args.type.partition("=")
        acc = _find(app, name, editable=True)
        if acc is None:
            print(json.dumps({"error": f"no editable field named {name!r}"}))
            return 2
        acc.queryEditableText().setTextContents(text)
        print(json.dumps({"typed": name}))
        return 0
    if args.serve:
        return _serve(app)
    print(json.dumps({"app": app.name, "tree": _node(app)}))
    return 0


def _serve(app) -> int:
    """Answer one JSON command a line until stdin ends: a whole journey costs one interpreter."""
    for line in sys.stdin:
        try:
            command = json.loads(line)
            if "dump" in command:
                answer = {"tree": _node(app)}
            elif "do" in command:
                acc = _find(app, command["do"])
                if acc is None:
                    answer = {"error": f"no showing item named {command['do']!r}"}
                else:
                    acc.queryAction().doAction(0)
                    answer = {"done": command["do"]}
            elif "type" in command:
                fields = [acc for acc in _walk(app) if acc.getState().contains(pyatspi.STATE_SHOWING)
                          and acc.getState().contains(pyatspi.STATE_EDITABLE)]
                index, text = command["type"]
                if index >= len(fields):
                    answer = {"error": f"only {len(fields)} editable fields showing"}
                else:
                    fields[index].queryEditableText().setTextContents(text)
                    answer = {"typed": fields[index].name}
            else:
                answer = {"error": f"unknown command {sorted(command)}"}
        except Exception as exc:  # noqa: BLE001 - the test reads the message and fails on it
            answer = {"error": f"{type(exc).__name__}: {exc}"}
        print(json.dumps(answer), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
