"""Embedded Korean TrueType fonts (Nanum), registered once per process, on first use.

TrueType fonts are embedded as subsets, so every viewer renders the same glyphs and
text extraction gives back the exact Korean text. The built-in CID fonts
(`HYGothic-Medium`) are not embedded and are never used.

The font files are read from `$FLEET_FONT_DIR` (default: Debian's `fonts-nanum`
directory). The bytes of every PDF depend on the font files: keep the same files on
every server, or re-rendered documents no longer match their registered SHA-256.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

from reportlab.lib.fonts import addMapping
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

REGULAR = "NanumGothic"
BOLD = "NanumGothicBold"
DEFAULT_DIR = "/usr/share/fonts/truetype/nanum"
FILES = {REGULAR: "NanumGothic.ttf", BOLD: "NanumGothicBold.ttf"}
_lock = threading.Lock()
_registered = False


def font_dir() -> Path:
    """Where the Nanum TrueType files are: `$FLEET_FONT_DIR`, else Debian's fonts-nanum directory."""
    return Path(os.environ.get("FLEET_FONT_DIR") or DEFAULT_DIR)


def ensure_fonts() -> None:
    """Register NanumGothic and NanumGothicBold on first use (about 0.1 s), never at import time.

    Raises FileNotFoundError naming the directory when the files are missing.
    """
    global _registered
    if _registered:
        return
    with _lock:
        if _registered:
            return
        directory = font_dir()
        paths = {name: directory / file for name, file in FILES.items()}
        missing = [str(path) for path in paths.values() if not path.is_file()]
        if missing:
            raise FileNotFoundError(
                f"Nanum fonts are missing: {', '.join(missing)} (install Debian's fonts-nanum or set FLEET_FONT_DIR)"
            )
        for name, path in paths.items():
            pdfmetrics.registerFont(TTFont(name, str(path)))
        # <b> in any reportlab markup maps to the bold file, never to a built-in font.
        addMapping(REGULAR, 0, 0, REGULAR)
        addMapping(REGULAR, 1, 0, BOLD)
        addMapping(REGULAR, 0, 1, REGULAR)
        addMapping(REGULAR, 1, 1, BOLD)
        _registered = True


def get_font(bold: bool = False) -> TTFont:
    """The registered TrueType font object (registering the fonts first if needed)."""
    ensure_fonts()
    return pdfmetrics.getFont(BOLD if bold else REGULAR)


def text_width(text: str, size: float, bold: bool = False) -> float:
    """Width of `text` in points at `size`."""
    ensure_fonts()
    return pdfmetrics.stringWidth(text, BOLD if bold else REGULAR, size)
