"""Draws the app's icons (a white P on a blue rounded square) into web/public/icons/. Run once; the PNGs are committed.

    .venv/bin/python web/scripts/make_icons.py
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

OUT = Path(__file__).resolve().parents[1] / "public" / "icons"
BLUE, WHITE = (18, 64, 138, 255), (255, 255, 255, 255)


def p_shape(draw: ImageDraw.ImageDraw, size: int, inset: float) -> None:
    """The letter P from rectangles and an ellipse, so no font is needed."""
    s = size * (1 - 2 * inset)
    x0, y0 = size * inset + s * 0.30, size * inset + s * 0.18
    stem, bowl_w, bowl_h, height = s * 0.14, s * 0.42, s * 0.38, s * 0.64
    draw.rectangle((x0, y0, x0 + stem, y0 + height), fill=WHITE)
    draw.ellipse((x0, y0, x0 + bowl_w, y0 + bowl_h), fill=WHITE)
    hole = stem * 0.9
    draw.ellipse((x0 + stem, y0 + hole, x0 + bowl_w - hole, y0 + bowl_h - hole), fill=BLUE)
    draw.rectangle((x0 + stem, y0 + hole, x0 + bowl_w * 0.45, y0 + bowl_h - hole), fill=BLUE)


def icon(size: int, *, maskable: bool) -> Image.Image:
    img = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    draw = ImageDraw.Draw(img)
    if maskable:  # full bleed; the mark stays inside the 80% safe zone
        draw.rectangle((0, 0, size, size), fill=BLUE)
        p_shape(draw, size, 0.16)
    else:
        draw.rounded_rectangle((0, 0, size - 1, size - 1), radius=size * 0.22, fill=BLUE)
        p_shape(draw, size, 0.06)
    return img


SVG = """<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64" role="img" aria-label="CarParker">
  <rect width="64" height="64" rx="14" fill="#12408a"/>
  <path d="M22 14h12a11 11 0 0 1 0 22h-5v14h-7zM29 21v8h5a4 4 0 0 0 0-8z" fill="#fff"/>
</svg>
"""


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    icon(192, maskable=False).save(OUT / "icon-192.png", optimize=True)
    icon(512, maskable=False).save(OUT / "icon-512.png", optimize=True)
    icon(512, maskable=True).save(OUT / "maskable-512.png", optimize=True)
    (OUT / "icon.svg").write_text(SVG)


if __name__ == "__main__":
    main()
