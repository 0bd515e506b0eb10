"""A signature drawn on the screen: strokes (each a list of points, in the pad's pixels) rendered to a PNG, the
image that is sent and shown back, and to an SVG that keeps the strokes themselves.

Rendered with Pillow, so the same code serves the screen, the command line and the tests; the pad in QML only
collects points. An empty pad, or one with a dot or two, is not a signature (`is_blank`).
"""
from __future__ import annotations

import io
import math
from typing import Sequence
from xml.sax.saxutils import quoteattr

from PIL import Image, ImageDraw

from kiosk.documents import Attachment, DocumentError, check_name

Point = tuple[float, float]
Stroke = Sequence[Point]

MAX_POINTS = 20_000       # a signature is a few hundred points; more is a stuck finger or a hostile input
MIN_INK_LENGTH = 40.0     # pixels of line, all strokes together, before a drawing counts as a signature
PEN_WIDTH = 4


def _checked(strokes: Sequence[Stroke], width: int, height: int) -> list[list[tuple[float, float]]]:
    """The strokes as float pairs clamped to the pad; DocumentError for malformed input."""
    if not (isinstance(width, int) and isinstance(height, int)) or not (16 <= width <= 4000 and 16 <= height <= 4000):
        raise DocumentError("the signature pad size must be 16..4000 pixels each way")
    out: list[list[tuple[float, float]]] = []
    total = 0
    try:
        for stroke in strokes:
            points = []
            for x, y in stroke:
                x, y = float(x), float(y)
                if not (math.isfinite(x) and math.isfinite(y)):
                    raise ValueError
                points.append((min(max(x, 0.0), width - 1.0), min(max(y, 0.0), height - 1.0)))
            total += len(points)
            if points:
                out.append(points)
    except (TypeError, ValueError):
        raise DocumentError("a stroke must be a list of (x, y) number pairs") from None
    if total > MAX_POINTS:
        raise DocumentError(f"the signature has {total} points; at most {MAX_POINTS}")
    return out


def ink_length(strokes: Sequence[Stroke]) -> float:
    """Total length of the strokes' lines, in the pad's pixels."""
    return sum(math.dist(a, b) for stroke in strokes for a, b in zip(stroke, stroke[1:]))


def is_blank(strokes: Sequence[Stroke]) -> bool:
    """True for an empty pad or a few stray touches: not enough line to be a signature."""
    return ink_length([list(s) for s in strokes]) < MIN_INK_LENGTH


def to_png(strokes: Sequence[Stroke], width: int, height: int, pen: int = PEN_WIDTH) -> bytes:
    """Black strokes on white, round ends and joins, as a greyscale PNG of the pad's size (no metadata)."""
    clean = _checked(strokes, width, height)
    image = Image.new("L", (width, height), 255)
    draw = ImageDraw.Draw(image)
    r = pen / 2
    for points in clean:
        if len(points) > 1:
            draw.line(points, fill=0, width=pen, joint="curve")
        for x, y in points:  # round caps and joins: a disc at every point
            draw.ellipse((x - r, y - r, x + r, y + r), fill=0)
    out = io.BytesIO()
    image.save(out, "PNG", optimize=True)
    return out.getvalue()


def to_svg(strokes: Sequence[Stroke], width: int, height: int, pen: int = PEN_WIDTH) -> str:
    """The strokes as an SVG document: one <path> per stroke, coordinates in the pad's pixels."""
    clean = _checked(strokes, width, height)
    paths = []
    for points in clean:
        (x0, y0), rest = points[0], points[1:]
        d = f"M{x0:.1f} {y0:.1f}" + ("".join(f" L{x:.1f} {y:.1f}" for x, y in rest) if rest else " l0 0")
        paths.append(f"  <path d={quoteattr(d)}/>")
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}">\n'
            f'<g fill="none" stroke="#000" stroke-width="{pen}" stroke-linecap="round" stroke-linejoin="round">\n'
            + "\n".join(paths) + "\n</g>\n</svg>\n")


def signature_attachments(page_id: str, strokes: Sequence[Stroke], width: int, height: int,
                          with_svg: bool = True) -> list[Attachment]:
    """The files a signature question sends: `<page id>.png` (the answer names it) and, unless with_svg is
    False (OpenRosa forms, whose signature field takes one image), `<page id>.svg`. DocumentError if blank."""
    if is_blank(_checked(strokes, width, height)):
        raise DocumentError("the pad is empty: sign with a finger, or ask the mediator", "signature_blank")
    files = [Attachment(check_name(f"{page_id}.png"), "image/png", to_png(strokes, width, height))]
    if with_svg:
        files.append(Attachment(check_name(f"{page_id}.svg"), "image/svg+xml",
                                to_svg(strokes, width, height).encode("utf-8")))
    return files
