"""The evidence zip has exactly one allowed layout (docs/ledger-format.md section 9): every byte of it is a fixed
value, a length, offset or CRC checked against the bytes, a member name checked against the bundle, or member bytes
that are hashed. So any single-bit change of the file fails, and so does every variation that zip tools accept."""

from __future__ import annotations

import hashlib
import io
import struct
import zipfile
import zlib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest

from chalicelib.verify import (
    MAX_ZIP_MEMBER_BYTES,
    VerificationError,
    read_evidence_zip,
    verify_evidence,
    write_evidence_zip,
)
from tests.unit.bundle_factory import PHOTOS, Ledger, _entry, dump, make_bundle, make_ledger, make_zip

LEDGER = make_ledger()
BUNDLE = make_bundle(LEDGER)  # two photos attached to side entry 3
ZIPPED = make_zip(BUNDLE)


def _small_zip() -> bytes:
    """One entry with one 3-byte attachment."""
    ledger = Ledger()
    ledger.append_block("side", [_entry("side", 0, {"a.jpg": hashlib.sha256(b"abc").hexdigest()})], "2025-03-01T10:15:00Z")
    bundle = make_bundle(ledger, items=[("side", 0, 0)])
    bundle["items"][0]["attachments"] = [{"name": "a.jpg", "sha256": hashlib.sha256(b"abc").hexdigest()}]
    return write_evidence_zip(dump(bundle), [("a.jpg", b"abc")])


def test_the_platforms_zip_verifies_and_any_zip_tool_reads_it() -> None:
    assert verify_evidence(ZIPPED).attachments_checked == 2
    with zipfile.ZipFile(io.BytesIO(ZIPPED)) as archive:
        assert archive.testzip() is None
        assert archive.namelist() == ["bundle.json", "front.jpg", "rear.jpg"]
        assert archive.read("bundle.json") == dump(BUNDLE) and archive.read("rear.jpg") == PHOTOS["rear.jpg"]
        assert {(i.compress_type, i.date_time, i.extra, i.comment) for i in archive.infolist()} == {
            (zipfile.ZIP_STORED, (1980, 1, 1, 0, 0, 0), b"", b"")}
    bundle, members = read_evidence_zip(ZIPPED)
    assert bundle == dump(BUNDLE) and members == list(PHOTOS.items())


def test_the_layout_example_of_the_format_document_is_what_the_writer_writes() -> None:
    doc = (Path(__file__).resolve().parents[2] / "docs" / "ledger-format.md").read_text()
    example = doc[doc.index("Example (not a valid bundle, only the layout)"):]
    block = example[example.index("```text\n") + 8:example.index("```\n", example.index("```text\n") + 8)]
    rows = [line.split(maxsplit=1) for line in block.splitlines() if line.strip() and not line.strip().startswith("#")]
    data = b""
    for offset, fields in rows:
        assert int(offset) == len(data)
        data += bytes.fromhex(fields.replace(" ", ""))
    assert data == write_evidence_zip(b"{}", [("a.jpg", b"abc")])


def test_the_layout_is_a_function_of_the_contents_alone() -> None:
    assert make_zip(BUNDLE) == ZIPPED
    size = 30 * 3 + 46 * 3 + 22 + 2 * sum(len(n) for n in ("bundle.json", *PHOTOS))
    assert len(ZIPPED) == size + len(dump(BUNDLE)) + sum(map(len, PHOTOS.values()))


@pytest.mark.parametrize("name", ["one entry, one file", "three entries, two photos"])
def test_every_single_bit_flip_of_a_real_zip_fails(name: str) -> None:
    data = _small_zip() if name == "one entry, one file" else ZIPPED
    verify_evidence(data)
    survivors = []
    for bit in range(len(data) * 8):
        flipped = bytearray(data)
        flipped[bit // 8] ^= 1 << (bit % 8)
        try:
            verify_evidence(bytes(flipped))
        except VerificationError:
            continue
        survivors.append(bit)
    assert survivors == [], f"{len(survivors)} of {len(data) * 8} flipped bits still verify, first at byte {survivors[0] // 8}"


# Each of these was accepted by the zip reader before (zipfile's), although it changes bytes of the file.

def _member(name: str, data: bytes, *, method: int = 0, flags: int = 0, time: int = 0, date: int = 0x21,
            extra: bytes = b"", crc: int | None = None, made_by: int = 20, external: int = 0,
            comment: bytes = b"") -> tuple[bytes, bytes, bytes]:
    """(local header + data, the central header without its offset filled in, stored data) of one member."""
    raw = name.encode()
    stored = zlib.compress(data)[2:-4] if method == 8 else data
    crc = zlib.crc32(data) if crc is None else crc
    fixed = (20, flags, method, time, date, crc, len(stored), len(data), len(raw))
    local = struct.pack("<IHHHHHIIIHH", 0x04034B50, *fixed, len(extra)) + raw + extra + stored
    central = struct.pack("<IHHHHHHIIIHHHHHI", 0x02014B50, made_by, *fixed, len(extra), len(comment), 0, 0, external)
    return local, central + b"%OFFSET%" + raw + extra + comment, stored


def _archive(members: Iterable[tuple[bytes, bytes, bytes]], *, comment: bytes = b"", before: bytes = b"",
             after: bytes = b"") -> bytes:
    body, directory, count = bytearray(before), bytearray(), 0
    for local, central, _ in members:
        directory += central.replace(b"%OFFSET%", struct.pack("<I", len(body)))
        body += local
        count += 1
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, count, count, len(directory), len(body), len(comment))
    return bytes(body + directory + end + comment + after)


def _files(**changes: Any) -> list[tuple[bytes, bytes, bytes]]:
    files = [("bundle.json", dump(BUNDLE)), *PHOTOS.items()]
    return [_member(name, data, **changes.get(name, {})) for name, data in files]


def test_the_test_writer_without_variations_writes_the_platforms_bytes() -> None:
    assert _archive(_files()) == ZIPPED


VARIANTS = {
    "local header time": lambda: _archive(_files(**{"front.jpg": {"time": 0x6000, "date": 0x5A61}})),
    "deflated member": lambda: _archive(_files(**{"bundle.json": {"method": 8}})),
    "archive comment": lambda: _archive(_files(), comment=b"hello"),
    "bytes appended": lambda: ZIPPED + b"\x00",
    "bytes prepended": lambda: b"MZ" + ZIPPED,
    "a prepended stub with shifted offsets": lambda: _archive(_files(), before=b"#!/bin/sh\n"),
    "extra field": lambda: _archive(_files(**{"rear.jpg": {"extra": b"UT\x05\x00\x01\x00\x00\x00\x00"}})),
    "data descriptor flag": lambda: _archive(_files(**{"rear.jpg": {"flags": 0x08}})),
    "UTF-8 name flag": lambda: _archive(_files(**{"rear.jpg": {"flags": 0x800}})),
    "file comment": lambda: _archive(_files(**{"rear.jpg": {"comment": b"x"}})),
    "unix host and permissions": lambda: _archive(_files(**{"rear.jpg": {"made_by": 0x0314, "external": 0o644 << 16}})),
    "CRC that does not match the bytes": lambda: _archive(_files(**{"rear.jpg": {"crc": 1}})),
    "a directory member holding bytes": lambda: _archive([*_files(), _member("photos/", b"hidden")]),
    "a member in a folder": lambda: _archive([*_files()[:2], _member("photos/rear.jpg", PHOTOS["rear.jpg"])]),
    "bundle.json not first": lambda: write_evidence_zip(PHOTOS["front.jpg"], [("bundle.json", dump(BUNDLE)),
                                                                              ("rear.jpg", PHOTOS["rear.jpg"])]),
    "members out of order": lambda: write_evidence_zip(dump(BUNDLE), reversed(PHOTOS.items())),
    "a member twice": lambda: write_evidence_zip(dump(BUNDLE), [*PHOTOS.items(), ("rear.jpg", PHOTOS["rear.jpg"])]),
    "an unreferenced member": lambda: write_evidence_zip(dump(BUNDLE), [*PHOTOS.items(), ("notes.txt", b"hi")]),
    "python's zipfile, deflated": lambda: _zipfile(zipfile.ZIP_DEFLATED),
    "python's zipfile, stored, with today's time": lambda: _zipfile(zipfile.ZIP_STORED),
}


def _zipfile(method: int) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", method) as archive:
        archive.writestr("bundle.json", dump(BUNDLE))
        for name, data in PHOTOS.items():
            archive.writestr(name, data)
    return buffer.getvalue()


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_every_other_layout_is_refused(variant: str) -> None:
    data = VARIANTS[variant]()
    with zipfile.ZipFile(io.BytesIO(data)) as archive:  # zip tools read nearly all of them
        assert archive.namelist()[0] in ("bundle.json", "front.jpg")
    with pytest.raises(VerificationError, match="evidence zip|evidence files"):
        verify_evidence(data)


def test_an_oversized_member_is_refused_before_it_is_read() -> None:
    member = _member("front.jpg", b"")
    central = bytearray(member[1])
    struct.pack_into("<II", central, 20, MAX_ZIP_MEMBER_BYTES + 1, MAX_ZIP_MEMBER_BYTES + 1)
    with pytest.raises(VerificationError, match="larger than"):
        verify_evidence(_archive([_files()[0], (member[0], bytes(central), b"")]))
