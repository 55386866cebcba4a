"""A phone camera for demos and tours: photographs "the car" from each side now, uploads the set through
the presigned URLs and asks the platform to record it (POST /orders/{id}/photos/{phase}[/complete]).

Each photo is a real JPEG whose EXIF DateTimeOriginal/OffsetTimeOriginal is the current time, as a phone
writes it. Give --image FILE to upload a picture of your own (its EXIF time is rewritten to now).
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import sys
import urllib.error
import urllib.request
from datetime import UTC, datetime
from typing import Any

VIEWS = ("front", "rear", "left", "right")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--url", required=True, help="API base URL, e.g. http://127.0.0.1:8000")
    parser.add_argument("--token", required=True, help="the parker's ID token")
    parser.add_argument("--order", required=True, help="reservation id (the car must be parked: gate entry done)")
    parser.add_argument("phase", choices=("arrival", "departure"))
    parser.add_argument("--image", action="append", default=[], metavar="VIEW=FILE",
                        help="use this picture for a view (repeatable); other views get a synthetic picture")


def photograph(view: str, source: bytes | None, taken: datetime) -> bytes:
    from PIL import Image, ImageDraw

    if source is not None:
        img = Image.open(io.BytesIO(source)).convert("RGB")
    else:
        img = Image.new("RGB", (1024, 768), (70 + 40 * VIEWS.index(view) if view in VIEWS else 120, 90, 110))
        ImageDraw.Draw(img).text((40, 40), f"{view} of the car, {taken.isoformat()}", fill=(255, 255, 255))
    exif = Image.Exif()
    exif[0x010F] = "CarParker camera simulator"
    ifd = exif.get_ifd(0x8769)
    ifd[0x9003] = taken.strftime("%Y:%m:%d %H:%M:%S")
    ifd[0x9011] = "+00:00"
    out = io.BytesIO()
    img.save(out, "JPEG", exif=exif, quality=85)
    return out.getvalue()


def call(method: str, url: str, token: str | None, body: bytes | None, headers: dict[str, str] | None = None) -> tuple[int, Any]:
    h = {"Content-Type": "application/json", **({"Authorization": f"Bearer {token}"} if token else {}), **(headers or {})}
    request = urllib.request.Request(url, data=body, headers=h, method=method)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - the operator names the URL
            text = response.read()
            return response.status, json.loads(text) if text else None
    except urllib.error.HTTPError as exc:
        text = exc.read()
        try:
            return exc.code, json.loads(text)
        except ValueError:
            return exc.code, text.decode(errors="replace")


def run(args: argparse.Namespace) -> int:
    sources = dict(item.split("=", 1) for item in args.image)
    taken = datetime.now(UTC).replace(microsecond=0)
    photos = {}
    for view in VIEWS + tuple(v for v in sources if v not in VIEWS):
        raw = open(sources[view], "rb").read() if view in sources else None  # noqa: SIM115 - small local file
        photos[view] = photograph(view, raw, taken)
    base = f"{args.url.rstrip('/')}/orders/{args.order}/photos/{args.phase}"
    declared = [{"view": v, "sha256": hashlib.sha256(d).hexdigest(), "size": len(d)} for v, d in photos.items()]
    status, tickets = call("POST", base, args.token, json.dumps({"photos": declared}).encode())
    if status != 201:
        print(f"refused: {status} {tickets}", file=sys.stderr)
        return 1
    for upload in tickets["uploads"]:
        put_status, answer = call("PUT", upload["url"], None, photos[upload["view"]], upload["headers"])
        if put_status != 200:
            print(f"upload of {upload['view']} failed: {put_status} {answer}", file=sys.stderr)
            return 1
    status, recorded = call("POST", base + "/complete", args.token, b"{}")
    if status != 200:
        print(f"refused: {status} {recorded}", file=sys.stderr)
        return 1
    print(f"{args.phase}: {len(recorded['photos'])} photos recorded as ledger entries "
          f"{', '.join(p['entry_id'] for p in recorded['photos'])}")
    return 0
