"""Embedded Korean TrueType fonts (Nanum), registered once per process.

TrueType fonts are embedded as subsets, so every viewer renders the same glyphs and
text extraction gives back the exact Korean text. The built-in CID fonts are not
embedded and are never used.
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
_lock = threading.Lock()
_registered = False


def font_dir() -> Path:
    return Path(os.environ.get("FLEET_FONT_DIR", DEFAULT_DIR))


def ensure_fonts() -> None:
    """Register the fonts on first use (about 0.1 s), never at import time."""
    global _registered
    if _registered:
        return
    with _lock:
        if _registered:
            return
        directory = font_dir()
        regular, bold = directory / "NanumGothic.ttf", directory / "NanumGothicBold.ttf"
        if not regular.exists() or not bold.exists():
            raise RuntimeError(f"Nanum fonts are missing in {directory} (Debian package fonts-nanum)")
        pdfmetrics.registerFont(TTFont(REGULAR, str(regular)))
        pdfmetrics.registerFont(TTFont(BOLD, str(bold)))
        addMapping(REGULAR, 0, 0, REGULAR)
        addMapping(REGULAR, 1, 0, BOLD)
        addMapping(REGULAR, 0, 1, REGULAR)
        addMapping(REGULAR, 1, 1, BOLD)
        _registered = True


def text_width(text: str, size: float, bold: bool = False) -> float:
    return pdfmetrics.stringWidth(text, BOLD if bold else REGULAR, size)
