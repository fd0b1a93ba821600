"""Text clean-up.

``normalize`` keeps character offsets (every output character stands for one input
character), so entity spans found on it point into the original text. ``to_mandarin``
also replaces dialect and mixed-in English words by Mandarin ones (``nlu/dialect.yml``:
有冇 -> 有没有, 咋整 -> 怎么办, refund -> 退款); its output may be longer or shorter, so it is
only read by the tokenizer, the featurizers and the urgent rules (issue 14).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from bot.errors import ConfigError

DIALECT_FILE = Path(__file__).with_name("dialect.yml")
BEFORE_SIMPLIFYING = "before_simplifying"

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


@dataclass(frozen=True)
class WordMap:
    """Dialect and English words -> Mandarin: one pass on the text as typed, one on the simplified text."""

    before: dict[str, str]
    after: dict[str, str]

    def _pattern(self, table: dict[str, str]) -> re.Pattern[str] | None:
        if not table:
            return None
        keys = sorted(table, key=lambda k: (-len(k), k))
        # Latin keys are whole words only: "shop" is not replaced inside "shopping".
        alts = [rf"(?<![a-z]){re.escape(k)}(?![a-z])" if k.isascii() else re.escape(k) for k in keys]
        return re.compile("|".join(alts))

    def __post_init__(self) -> None:
        object.__setattr__(self, "_before_rx", self._pattern(self.before))
        object.__setattr__(self, "_after_rx", self._pattern(self.after))

    def apply(self, text: str) -> str:
        """The Mandarin reading of ``text`` (any script, any case): simplified, lower case, words replaced."""
        t = unicodedata.normalize("NFKC", text).lower()
        rx = getattr(self, "_before_rx")
        if rx is not None:
            t = rx.sub(lambda m: self.before[m.group(0)], t)
        t = normalize(t)
        rx = getattr(self, "_after_rx")
        if rx is not None:
            t = rx.sub(lambda m: self.after[m.group(0)], t)
        return t


def read_word_map(path: Path) -> WordMap:
    """Read a dialect file: a mapping of groups, each a mapping of word -> Mandarin word."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"{path}: cannot read the dialect words ({exc})") from None
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: expected a mapping of groups (cantonese, northern, ...)")
    before: dict[str, str] = {}
    after: dict[str, str] = {}
    for group, table in raw.items():
        if not isinstance(table, dict):
            raise ConfigError(f"{path}: group '{group}' must map words to Mandarin words")
        for key, value in table.items():
            if not isinstance(key, str) or not isinstance(value, str) or not key.strip():
                raise ConfigError(f"{path}: group '{group}': {key!r}: {value!r} must be a word and its Mandarin word")
            if group == BEFORE_SIMPLIFYING:
                before[unicodedata.normalize("NFKC", key).lower()] = value
            else:
                after[normalize(key)] = normalize(value)
    return WordMap(before, after)


@lru_cache(maxsize=1)
def word_map() -> WordMap:
    """The project's dialect file, read once."""
    return read_word_map(DIALECT_FILE)


def to_mandarin(text: str) -> str:
    """``text`` simplified and lower-cased, dialect and English words replaced by Mandarin (length may change)."""
    return word_map().apply(text)
