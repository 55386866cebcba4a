"""CSV text of the rows behind the console's charts and lists (RFC 4180, UTF-8, CRLF), safe to open in a spreadsheet:
a cell that a spreadsheet would run as a formula (starting with = + - @, a tab or a carriage return) is prefixed
with an apostrophe (OWASP "CSV injection"). Numbers are written as numbers."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

Cell = str | int | float | bool | None
_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: Cell) -> str | int | float:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return value
    return "'" + value if value.startswith(_FORMULA) else value


def to_csv(header: Sequence[str], rows: Iterable[Sequence[Cell]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([_cell(v) for v in row])
    return out.getvalue()
