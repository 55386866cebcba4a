"""Reads what an uploaded photo really is (format, size, EXIF capture time) with Pillow."""

from __future__ import annotations

import hashlib
import io
from datetime import datetime
from zoneinfo import ZoneInfo

from PIL import Image, UnidentifiedImageError

from ..domain.photos import ImageFacts

EXIF_IFD = 0x8769
DATETIME_ORIGINAL = 0x9003
OFFSET_TIME_ORIGINAL = 0x9011
Image.MAX_IMAGE_PIXELS = 60_000_000  # refuse decompression bombs


def _capture_time(exif: Image.Exif, local_tz: ZoneInfo) -> datetime | None:
    ifd = exif.get_ifd(EXIF_IFD)
    raw = ifd.get(DATETIME_ORIGINAL)
    if not isinstance(raw, str):
        return None
    try:
        wall = datetime.strptime(raw.strip("\x00 "), "%Y:%m:%d %H:%M:%S")
    except ValueError:
        return None
    offset = ifd.get(OFFSET_TIME_ORIGINAL)
    if isinstance(offset, str):
        try:
            return datetime.fromisoformat(wall.isoformat() + offset.strip("\x00 "))
        except ValueError:
            return None
    return wall.replace(tzinfo=local_tz)  # no offset recorded: the camera's clock is the space's local time


def inspect(data: bytes, local_tz: ZoneInfo) -> ImageFacts:
    """Never trusts the declared type: decodes the header and EXIF of the bytes themselves."""
    digest = hashlib.sha256(data).hexdigest()
    try:
        with Image.open(io.BytesIO(data)) as img:
            img.verify()
        with Image.open(io.BytesIO(data)) as img:
            return ImageFacts(img.format or "", img.width, img.height, digest, _capture_time(img.getexif(), local_tz))
    except (UnidentifiedImageError, OSError, SyntaxError, Image.DecompressionBombError):
        return ImageFacts("", 0, 0, digest, None)
