"""The command reference (docs/commands.md), written from the commands' own help.

    .venv/bin/python -m commands.reference > docs/commands.md

One section per command, in the order `kiosk --help` lists them, each with the
exact text of `kiosk ... --help`, so the reference cannot say something the
commands do not.
"""
from __future__ import annotations

from collections.abc import Iterator

import click

from commands.cli import kiosk


def _walk(command: click.Command, path: list[str]) -> Iterator[tuple[list[str], click.Command]]:
    yield path, command
    if isinstance(command, click.Group):
        for name in command.list_commands(click.Context(command)):
            sub = command.get_command(click.Context(command), name)
            if sub is not None and not sub.hidden:
                yield from _walk(sub, [*path, name])


def markdown() -> str:
    """Every command's help as one Markdown page."""
    parts = ["# The `kiosk` command\n",
             "Written from the commands' own help by `python -m commands.reference`; do not edit by hand.\n"]
    for path, command in _walk(kiosk, []):
        name = " ".join(["kiosk", *path])
        parent = None
        ctx = click.Context(kiosk, info_name="kiosk", terminal_width=100, max_content_width=100,
                            help_option_names=["-h", "--help"])
        for part in path:
            parent = ctx
            group = ctx.command
            assert isinstance(group, click.Group)
            sub = group.get_command(ctx, part)
            assert sub is not None
            ctx = click.Context(sub, info_name=part, parent=parent, terminal_width=100, max_content_width=100)
        parts.append(f"## {name}\n\n```\n{command.get_help(ctx).rstrip()}\n```\n")
    return "\n".join(parts)


if __name__ == "__main__":
    click.echo(markdown(), nl=False)
