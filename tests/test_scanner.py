"""Page capture and processing with real parts: SANE's own `test` backend through the real `scanimage`, files
on a (simulated) USB stick folder, and Pillow's real decoders for downscaling and stripping metadata."""
from __future__ import annotations

import io
import shutil

import pytest
from PIL import Image

from documents.capture import CaptureError, FileSource, PageSource, ScannerSource
from documents.imaging import document_pages, process_image
from kiosk.documents import DocumentError, DocumentRules

pytestmark = pytest.mark.timeout(120)

needs_scanimage = pytest.mark.skipif(shutil.which("scanimage") is None,
                                     reason="scanimage is not installed (Debian: apt-get install sane-utils)")

GPS_LATITUDE = (38.0, 42.0, 55.5)  # would place the citizen in Lisbon


def photo_with_exif(size=(4000, 3000), orientation: int = 6) -> bytes:
    """A camera-like JPEG: big, with EXIF (make, GPS position, rotate-90 orientation) and an ICC profile."""
    image = Image.new("RGB", size, (200, 30, 30))
    image.paste((20, 20, 200), (0, 0, size[0] // 4, size[1] // 2))  # a blue block top-left: shows the rotation
    exif = Image.Exif()
    exif[0x010F] = "CanaryCam"        # Make
    exif[0x0112] = orientation        # Orientation
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2], gps[3], gps[4] = "N", GPS_LATITUDE, "W", (9.0, 8.0, 22.0)
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif, icc_profile=b"ICC-CANARY" * 20, comment=b"COMMENT-CANARY", quality=90)
    return out.getvalue()


@needs_scanimage
def test_scanimage_test_backend_gives_a_png_page():
    source = ScannerSource("test", resolution=75, options=["--test-picture", "Color pattern"])
    assert isinstance(source, PageSource) and source.available()
    raw = source.capture()
    image = Image.open(io.BytesIO(raw))
    assert image.format == "PNG" and image.width > 100 and image.height > 100
    assert len(image.convert("RGB").getcolors(1 << 24)) > 2  # a colour pattern, not a blank page


@needs_scanimage
def test_scanned_pages_become_a_document_within_the_rules():
    source = ScannerSource("test", resolution=150, options=["--test-picture", "Color pattern"])
    rules = DocumentRules(min_pages=1, max_pages=2, max_side=400, jpeg_quality=70)
    pages = document_pages("proof_of_address", [source.capture(), source.capture()], rules)
    assert [p.name for p in pages] == ["proof_of_address-1.jpg", "proof_of_address-2.jpg"]
    for page in pages:
        image = Image.open(io.BytesIO(page.data))
        assert image.format == "JPEG" and max(image.size) <= 400
    with pytest.raises(DocumentError) as refused:
        document_pages("proof_of_address", [source.capture()] * 3, rules)
    assert refused.value.key == "document_too_many_pages"


@needs_scanimage
def test_unknown_scanner_is_a_clear_capture_error():
    with pytest.raises(CaptureError, match="did not scan.*check that it is on"):
        ScannerSource("nosuchbackend:0", resolution=75, timeout=60).capture()


def test_missing_scanimage_says_which_package():
    with pytest.raises(CaptureError, match="sane-utils"):
        ScannerSource("test", scanimage="scanimage-not-here").capture()
    with pytest.raises(ValueError):
        ScannerSource("--help")  # never an option smuggled in as a device


def test_exif_gps_and_all_metadata_are_stripped_orientation_applied_and_downscaled():
    raw = photo_with_exif()
    assert b"CanaryCam" in raw and b"ICC-CANARY" in raw  # the input really carries them
    out = process_image(raw, DocumentRules(max_side=1000))
    image = Image.open(io.BytesIO(out))
    assert image.format == "JPEG"
    assert image.size == (750, 1000)  # 4000x3000 turned upright by orientation 6, longest side 1000
    assert not image.getexif() and "icc_profile" not in image.info and "comment" not in image.info
    for canary in (b"CanaryCam", b"ICC-CANARY", b"COMMENT-CANARY", b"Exif"):
        assert canary not in out
    # orientation applied: the blue block (top-left of the sensor) is now top-right
    assert image.convert("RGB").getpixel((700, 50))[2] > 150 and image.convert("RGB").getpixel((50, 50))[0] > 150


def test_png_text_chunks_are_stripped_and_transparency_flattened_for_jpeg():
    from PIL import PngImagePlugin
    info = PngImagePlugin.PngInfo()
    info.add_text("Author", "TEXT-CANARY")
    image = Image.new("RGBA", (300, 200), (0, 0, 0, 0))
    buf = io.BytesIO()
    image.save(buf, "PNG", pnginfo=info)
    png = process_image(buf.getvalue(), fmt="png")
    assert b"TEXT-CANARY" not in png and Image.open(io.BytesIO(png)).size == (300, 200)
    jpeg = Image.open(io.BytesIO(process_image(buf.getvalue())))
    assert jpeg.mode in ("RGB", "L") and jpeg.convert("RGB").getpixel((10, 10)) == (255, 255, 255)


@pytest.mark.parametrize("data", [b"", b"not an image", b"\x89PNG\r\n\x1a\n" + b"\x00" * 40,
                                  photo_with_exif()[:2000]])
def test_broken_files_are_a_clear_refusal(data):
    with pytest.raises(DocumentError, match="not an image that can be read"):
        process_image(data)


def test_decompression_bomb_is_refused():
    image = Image.new("1", (12000, 9000))
    buf = io.BytesIO()
    image.save(buf, "PNG")
    assert len(buf.getvalue()) < 1_000_000
    with pytest.raises(DocumentError, match="too many pixels"):
        process_image(buf.getvalue())


def test_size_limit_after_processing():
    noisy = Image.effect_noise((1500, 1500), 100).convert("RGB")
    buf = io.BytesIO()
    noisy.save(buf, "PNG")
    with pytest.raises(DocumentError) as refused:
        document_pages("id_card", [buf.getvalue()], DocumentRules(max_bytes=20_000, max_side=1500))
    assert refused.value.key == "document_too_large"


def test_file_source_reads_a_stick_folder_in_order(tmp_path):
    for name in ("b-page.png", "a-page.jpg", ".hidden.png", "notes.txt"):
        (tmp_path / name).write_bytes(photo_with_exif((64, 48)) if name.endswith(".jpg") else b"x")
    source = FileSource.from_folder(tmp_path)
    assert isinstance(source, PageSource)
    assert [p.name for p in source.paths] == ["a-page.jpg", "b-page.png"]
    assert source.capture()[:2] == b"\xff\xd8" and source.capture() == b"x"
    assert not source.available()
    with pytest.raises(CaptureError, match="no more image files"):
        source.capture()
    with pytest.raises(CaptureError, match="is the stick inserted"):
        FileSource.from_folder(tmp_path / "gone")
