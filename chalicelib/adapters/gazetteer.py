"""An offline geocoder over the demo city's places. A real geocoder implements the same port."""

from __future__ import annotations

import difflib
import unicodedata

from ..domain.geo import Point
from ..services.ports import Place

# Amsterdam: public places a driver heads for (WGS84, rounded to ~10 m).
AMSTERDAM: tuple[tuple[str, float, float, str], ...] = (
    ("Amsterdam Centraal", 52.3791, 4.9003, "station"),
    ("Dam Square", 52.3731, 4.8926, "square"),
    ("Anne Frank House", 52.3752, 4.8840, "museum"),
    ("Rijksmuseum", 52.3600, 4.8852, "museum"),
    ("Van Gogh Museum", 52.3584, 4.8811, "museum"),
    ("Museumplein", 52.3573, 4.8818, "square"),
    ("Vondelpark", 52.3580, 4.8686, "park"),
    ("Leidseplein", 52.3641, 4.8828, "square"),
    ("Rembrandtplein", 52.3663, 4.8966, "square"),
    ("Albert Cuyp Market", 52.3556, 4.8936, "market"),
    ("Westerpark", 52.3866, 4.8770, "park"),
    ("Oosterpark", 52.3603, 4.9205, "park"),
    ("NEMO Science Museum", 52.3741, 4.9124, "museum"),
    ("Artis Zoo", 52.3660, 4.9166, "zoo"),
    ("Noordermarkt", 52.3791, 4.8860, "market"),
    ("Amsterdam Zuid", 52.3389, 4.8730, "station"),
    ("RAI Amsterdam", 52.3413, 4.8889, "venue"),
    ("Johan Cruijff ArenA", 52.3144, 4.9419, "stadium"),
    ("Ziggo Dome", 52.3133, 4.9372, "venue"),
    ("Amsterdam Sloterdijk", 52.3889, 4.8378, "station"),
    ("Olympic Stadium", 52.3434, 4.8541, "stadium"),
    ("Concertgebouw", 52.3563, 4.8791, "venue"),
    ("Waterlooplein", 52.3674, 4.9020, "market"),
    ("Eye Film Museum", 52.3844, 4.9011, "museum"),
)


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return " ".join("".join(c for c in decomposed if c.isalnum() or c.isspace()).lower().split())


class GazetteerGeocoder:
    def __init__(self, places: tuple[tuple[str, float, float, str], ...] = AMSTERDAM) -> None:
        self.places = {_fold(name): Place(name, Point(lat, lng), kind) for name, lat, lng, kind in places}

    def lookup(self, text: str) -> Place | None:
        """Exact name, then a unique word-prefix match ("rijks" finds Rijksmuseum), then a close spelling."""
        folded = _fold(text)
        if not folded:
            return None
        if folded in self.places:
            return self.places[folded]
        starts = [p for name, p in self.places.items() if any(w.startswith(folded) for w in name.split()) or name.startswith(folded)]
        if len(starts) == 1:
            return starts[0]
        close = difflib.get_close_matches(folded, list(self.places), n=1, cutoff=0.8)
        return self.places[close[0]] if close else None

    def suggest(self, text: str, limit: int = 5) -> list[str]:
        folded = _fold(text)
        names = difflib.get_close_matches(folded, list(self.places), n=limit, cutoff=0.4)
        contains = [n for n in self.places if folded and folded in n]
        return [self.places[n].name for n in dict.fromkeys(contains + names)][:limit]
