"""Text clean-up that keeps character offsets: every output character stands for one input character."""

from __future__ import annotations

import unicodedata
from functools import lru_cache

_converter = None


def _t2s():
    global _converter
    if _converter is None:
        import opencc

        _converter = opencc.OpenCC("t2s")
    return _converter


@lru_cache(maxsize=8192)
def _char(c: str) -> str:
    if c == "\x00" or unicodedata.category(c) in ("Cc", "Cf", "Cs", "Co", "Zl", "Zp"):
        return " "
    n = unicodedata.normalize("NFKC", c)
    if len(n) != 1:
        return c
    s = _t2s().convert(n)
    n = s if len(s) == 1 else n
    return n.lower() if len(n.lower()) == 1 else n


def clean(raw: str) -> str:
    """Blank out control characters (NUL, escapes); same length as the input."""
    return "".join(
        " " if (c == "\x00" or (unicodedata.category(c) in ("Cc", "Cs") and c not in "\t\n")) else c for c in raw
    )


def normalize(text: str) -> str:
    """Simplified Chinese, half-width, lower case, control characters blanked; same length as ``text``."""
    whole = unicodedata.normalize("NFKC", text)
    if len(whole) == len(text):
        conv = _t2s().convert(whole).lower()
        if len(conv) == len(text):
            return "".join(" " if unicodedata.category(c) in ("Cc", "Cf", "Cs", "Co") else c for c in conv)
    return "".join(_char(c) for c in text)


def is_cjk(c: str) -> bool:
    """True for a Chinese character (CJK unified ideographs and extension A)."""
    o = ord(c)
    return 0x4E00 <= o <= 0x9FFF or 0x3400 <= o <= 0x4DBF
