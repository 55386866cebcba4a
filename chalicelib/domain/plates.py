"""Licence plates: normalisation, and matching that tolerates common ANPR confusions."""

from __future__ import annotations

import re

from .errors import InvalidInputError

_SEPARATORS = re.compile(r"[\s\-\.·_]+")
_VALID = re.compile(r"^[A-Z0-9]{2,10}$")

# Characters an ANPR camera commonly confuses, folded onto one representative.
_CONFUSABLE = str.maketrans({"O": "0", "Q": "0", "D": "0", "I": "1", "L": "1", "B": "8", "S": "5", "Z": "2", "G": "6"})


def normalise_plate(raw: str, *, field: str = "plate") -> str:
    """Upper-case, strip spaces/dashes/dots; reject anything that is not 2-10 letters or digits."""
    if not isinstance(raw, str):
        raise InvalidInputError("plate must be a string", field=field)
    plate = _SEPARATORS.sub("", raw.strip().upper())
    if not _VALID.match(plate):
        raise InvalidInputError(
            "plate must be 2 to 10 letters or digits (spaces and dashes are ignored)", field=field
        )
    return plate


def confusion_key(plate: str) -> str:
    """A key under which plates that a camera could mistake for each other collide."""
    return plate.translate(_CONFUSABLE)
