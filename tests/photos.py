"""Make real JPEG photos with chosen EXIF capture times, for tests."""

from __future__ import annotations

import io
from datetime import datetime

from PIL import Image


def jpeg(taken: datetime | None, *, size: tuple[int, int] = (800, 600), colour: tuple[int, int, int] = (90, 90, 140),
         with_offset: bool = True) -> bytes:
    img = Image.new("RGB", size, colour)
    exif = Image.Exif()
    exif[0x010F] = "CarParker test camera"
    if taken is not None:
        ifd = exif.get_ifd(0x8769)
        ifd[0x9003] = taken.strftime("%Y:%m:%d %H:%M:%S")
        if with_offset:
            off = taken.strftime("%z")
            ifd[0x9011] = f"{off[:3]}:{off[3:]}"
    buf = io.BytesIO()
    img.save(buf, "JPEG", exif=exif, quality=70)
    return buf.getvalue()
