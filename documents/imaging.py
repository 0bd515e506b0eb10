"""A page image made fit to send: orientation applied, downscaled to the configured resolution, compressed,
every piece of metadata dropped (EXIF with its GPS position, ICC profile, comments, PNG text chunks)."""
from __future__ import annotations

import io
import warnings

from PIL import Image, ImageOps, UnidentifiedImageError

from kiosk.documents import Attachment, DocumentError, DocumentRules, page_name

MAX_INPUT_BYTES = 60 * 1024 * 1024   # a file larger than this is refused before it is decoded
MAX_INPUT_PIXELS = 80_000_000        # about 10,000 x 8,000: a scanner at 600 dpi on A3; anything above is a bomb


def _open(data: bytes) -> Image.Image:
    """The decoded image; DocumentError for anything that is not a readable, reasonably sized image."""
    if len(data) > MAX_INPUT_BYTES:
        raise DocumentError(f"the file holds {len(data)} bytes; at most {MAX_INPUT_BYTES} can be read",
                            "document_too_large")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            if image.width * image.height > MAX_INPUT_PIXELS:
                raise DocumentError(f"the image has {image.width}x{image.height} pixels; too many to read")
            image.load()
        return image
    except DocumentError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise DocumentError("the image has too many pixels to read; scan it at a lower resolution") from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as exc:
        raise DocumentError(f"the file is not an image that can be read ({type(exc).__name__})") from None


def _clean(image: Image.Image, for_jpeg: bool) -> Image.Image:
    """Pixels only: a new image built from the raw pixel data carries no info, EXIF, ICC or text."""
    if for_jpeg:
        if image.mode in ("RGBA", "LA", "P", "PA"):
            rgba = image.convert("RGBA")
            flat = Image.new("RGB", rgba.size, "white")  # transparency on white paper, as printed
            flat.paste(rgba, mask=rgba.getchannel("A"))
            image = flat
        elif image.mode not in ("RGB", "L"):
            image = image.convert("RGB")
    elif image.mode not in ("RGB", "RGBA", "L", "LA"):
        image = image.convert("RGBA" if "A" in image.getbands() or image.mode == "P" else "RGB")
    return Image.frombytes(image.mode, image.size, image.tobytes())


def process_image(data: bytes, rules: DocumentRules = DocumentRules(), fmt: str = "jpeg") -> bytes:
    """The image in `data` (any format Pillow reads) as JPEG or PNG bytes: turned upright by its EXIF
    orientation, its longest side at most rules.max_side, no metadata. DocumentError if it cannot be read."""
    if fmt not in ("jpeg", "png"):
        raise ValueError("fmt is 'jpeg' or 'png'")
    image = _open(data)
    try:
        image = ImageOps.exif_transpose(image) or image
    except (OSError, ValueError, SyntaxError, KeyError):
        pass  # a broken orientation tag: the pixels as stored
    if max(image.size) > rules.max_side:
        image.thumbnail((rules.max_side, rules.max_side), Image.Resampling.LANCZOS)
    clean = _clean(image, fmt == "jpeg")
    out = io.BytesIO()
    if fmt == "jpeg":
        clean.save(out, "JPEG", quality=rules.jpeg_quality, optimize=True)
    else:
        clean.save(out, "PNG", optimize=True)
    return out.getvalue()


def document_pages(page_id: str, images: list[bytes], rules: DocumentRules = DocumentRules(),
                   fmt: str = "jpeg") -> list[Attachment]:
    """A document question's pages, processed and named `<page id>-<n>.jpg`, checked against the rules
    (page count and total size after processing): what the screen and `kiosk queue add --attach` hand on."""
    ext = "jpg" if fmt == "jpeg" else "png"
    if len(images) > rules.max_pages:  # before decoding anything
        raise DocumentError(f"{len(images)} pages; at most {rules.max_pages}", "document_too_many_pages")
    pages = [Attachment(page_name(page_id, i, ext), f"image/{fmt}", process_image(data, rules, fmt))
             for i, data in enumerate(images)]
    rules.check(pages)
    return pages
