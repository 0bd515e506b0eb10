"""Documents and signatures for `document` and `signature` questions (docs/documents.md), without Qt.

- `imaging`: a page image downscaled, compressed and stripped of all metadata (EXIF, GPS, ICC, text chunks);
- `capture`: where page images come from - a SANE scanner through `scanimage`, files on a USB stick - behind
  one interface that a camera adapter shares;
- `signature`: strokes drawn on the screen rendered to PNG and SVG.

The rules (limits, names, the Attachment value) live in the domain, `kiosk/documents.py`.
"""
