"""Personal numbers never reach the database or the log: mask them, keeping the last 4 digits.

Phone numbers, ID-card numbers and bank-card numbers keep their last four digits
(``*******5678``) so a social worker can still confirm "the card ending 5678"; SMS codes
(验证码) are masked completely. The unmasked text only exists in memory while the message
is handled.

People write numbers in many ways, so matching happens on a normalised copy of the text:
full-width characters become half-width (１３８ -> 138, ideographic spaces -> spaces),
traditional script becomes simplified (驗證碼 -> 验证码, with OpenCC), and a run of four or
more Chinese numerals becomes digits (幺三八… / 一三八… / 壹叁捌… -> 138…). Every step keeps
one character for one character, so a match in the copy is the same span of the original,
and only that span is replaced: the rest of the message stays in the person's own words.

What counts as personal (see ``README.md``, "Privacy"):

- mobile phones: 11 digits from 13x to 19x, optionally after +86 / 0086 / 86, written
  together, as 3-4-4 (and other 2- or 3-group shapes) with spaces, dashes or dots, or with
  a space between every digit;
- ID cards (18 characters, the last may be X, also 6-8-4), and any run of 12 or more
  digits (bank cards, old IDs), also in groups of four or 6 + the rest;
- landlines with an area code (010-12345678, (0571) 8888 9999);
- codes: a 4-8 digit number (also 482-914 or 7 8 2 9 1 3) in a message that mentions a
  code (验证码, 校验码, 密码, 短信, code …) anywhere, before or after the number; and a
  6-digit number that is the whole message. Prices, dates, times, quantities, addresses
  and hotlines (12315, 96110, …) are not codes.
"""

from __future__ import annotations

import logging
import re
from typing import Any, Callable

import opencc

_T2S = opencc.OpenCC("t2s")

# Full-width ASCII -> ASCII; every kind of space -> " "; dashes -> "-"; middle dots -> ".";
# full-width colon and parentheses via the full-width block. One character for one character.
_HALF = {c: c - 0xFEE0 for c in range(0xFF01, 0xFF5F)}
_HALF.update({c: " " for c in (0x09, 0x3000, 0x00A0, 0x200B, 0x200C, 0x200D, 0x2060, 0xFEFF, *range(0x2000, 0x200B))})
_HALF.update({ord(c): "-" for c in "‐‑‒–—―−﹣"})
_HALF.update({ord(c): "." for c in "·•・‧∙"})
_HALF.update({ord("x"): "X", ord("（"): "(", ord("）"): ")"})

# Chinese numerals read digit by digit (幺 is 1 when reading out phone numbers).
_CN = {c: str(d) for d, cs in enumerate(
    ["〇零○", "一幺壹", "二两兩贰貳", "三叁参參", "四肆", "五伍", "六陆陸", "七柒", "八捌", "九玖"]) for c in cs}
_CN_RUN = re.compile(f"[{''.join(_CN)}0-9](?:[ .-]{{0,2}}[{''.join(_CN)}0-9]){{3,}}")
_OTHER_DIGIT = re.compile(r"(?![0-9])\d")  # Arabic-Indic, Devanagari … digits
_ANY_CN = re.compile(f"[{''.join(_CN)}]")
_ASCII_DIGIT = re.compile("[0-9]")
# What can become a digit in ``_normalise``: any decimal digit (full-width, Arabic-Indic …), a
# Chinese numeral, or a character that OpenCC's t2s turns into one (叄 蔘 參 兩 and compatibility
# forms of 零 六 陸; tests/test_privacy.py checks every character). A text without any of them has
# no number to mask, so ``mask`` returns it without normalising (most texts, and nearly every
# string of the dialogue state, which is masked on every turn).
_MAYBE_NUMBER = re.compile(f"[\\d{''.join(_CN)}叄蔘\uf96b\uf978\uf9b2\uf9d1\uf9d3]")

_S = r"[ .-]{1,3}"  # what people put between groups of digits (after normalising)
_ID = re.compile(
    rf"(?<![0-9A-Za-z])(?:[0-9]{{6}}(?:(?:{_S})?[0-9]){{11}}[0-9X]"
    rf"|[0-9]{{4}}(?:{_S}[0-9]{{4}}){{3}}{_S}[0-9][0-9X])(?![0-9A-Za-z])")
_PHONE = re.compile(
    rf"(?<![0-9])(?:(?:00)?86\)?(?:{_S})?)?(?:1[3-9][0-9]{{9}}"
    rf"|1[3-9][0-9](?:{_S}[0-9]{{4}}{_S}[0-9]{{4}}|{_S}[0-9]{{8}}|{_S}[0-9]{{3}}{_S}[0-9]{{5}})"
    rf"|1[3-9][0-9]{{2}}(?:{_S}[0-9]{{3}}{_S}[0-9]{{4}}|{_S}[0-9]{{4}}{_S}[0-9]{{3}}|{_S}[0-9]{{7}})"
    rf"|1[3-9][0-9]{{5}}{_S}[0-9]{{4}})(?![0-9])")
_LONG = re.compile(
    rf"(?<![0-9])(?:[0-9]{{12,}}|[0-9]{{4}}(?:{_S}[0-9]{{4}}){{2,3}}(?:{_S}[0-9]{{1,4}})?"
    rf"|[0-9]{{6}}{_S}[0-9]{{6,13}})(?![0-9])")
_LANDLINE = re.compile(
    rf"(?<![0-9])(?:\(0[0-9]{{2,3}}\) ?|0[0-9]{{2,3}}(?:{_S})?)"
    rf"(?:[0-9]{{7,8}}|[0-9]{{3,4}}{_S}[0-9]{{4}})(?![0-9])")
# Any digits written one by one with spaces, dashes or dots between them (1 3 8 1 2 …).
_SPACED = re.compile(r"(?<![0-9])(?<![0-9][ .-])[0-9](?:[ .-]{1,2}[0-9]){3,}(?![ .-]{0,2}[0-9])")
# A number that could be a code: 4-8 digits, together or in groups (482-914, 48 29 14).
_CODE_NUM = re.compile(
    r"(?<![0-9A-Za-z*])(?<![0-9][.:/])[0-9](?:(?:[ -]{1,2})?[0-9]){3,7}(?![0-9A-Za-z]|[.:/][0-9])")
_CODE_WORDS = re.compile(r"验证|校验码|动态码|短信码|密码|口令|安全码|确认码|认证码|短信|简讯|(?<![a-z])(?:code|otp|pin)(?![a-z])",
                         re.I)

# Around a number, what makes it a price, date, time, quantity, address or hotline, not a code.
_UNIT_AFTER = re.compile(
    r" ?(?:[元块圆角毛分万千百亿斤两克吨个只件盒箱包袋瓶罐台套份次遍天周年月日号时点秒岁楼层栋幢座户人位名条张%折倍米里度升"
    r"期届级]|kg|km|cm|mm|ml|[gw](?![a-z]))", re.I)
_WORD_BEFORE = re.compile(
    r"(?:[¥$第约共付交花价费欠退赔充转扣赚卖买账单元楼栋幢座室房路街巷弄]|尾号|大概|大约|预算|工资|收入|余额|金额)"
    r"[了是为有还剩只就才：: ]{0,3}$")
_DATE = re.compile(r"(?:19|20)[0-9]{2}[-./][01]?[0-9](?:[-./][0-3]?[0-9])?$|[01]?[0-9][-./][0-3]?[0-9]$")
_YEARS = re.compile(r"(?:19|20)[0-9]{2}(?:[ .-]{1,3}(?:19|20)[0-9]{2})+")  # 2024 2025 2026
_HOTLINE = re.compile(r"(?:12|95|96)[0-9]{3}|100[0-9]{2}|[0-9]{1,3}")


def _normalise(text: str) -> str:
    """A copy of ``text`` of the same length, in which numbers are plain ASCII digits."""
    simple = _T2S.convert(text)
    if len(simple) != len(text):  # a phrase changed length: convert one character at a time
        simple = "".join(c2 if len(c2 := _T2S.convert(c)) == 1 else c for c in text)
    n = simple.translate(_HALF)
    if _OTHER_DIGIT.search(n):
        n = _OTHER_DIGIT.sub(lambda m: str(int(m.group())), n)
    if _ANY_CN.search(n):
        n = _CN_RUN.sub(_cn_digits, n)
    return n


def _cn_digits(m: re.Match[str]) -> str:
    run = m.group()
    if sum(c in _CN for c in run) == 0 or m.string[max(0, m.start() - 2):m.start()].endswith(("星期", "周", "礼拜")):
        return run
    return "".join(_CN.get(c, c) for c in run)


def _is_code(n: str, m: re.Match[str]) -> bool:
    """Whether a 4-8 digit number in a message about codes is a code, not an everyday number."""
    digits = re.sub(r"[^0-9]", "", m.group())
    if not 4 <= len(digits) <= 8 or _HOTLINE.fullmatch(digits) or _DATE.match(m.group()):
        return False
    if _UNIT_AFTER.match(n, m.end()) or _WORD_BEFORE.search(n, max(0, m.start() - 6), m.start()):
        return False
    return not re.match(r"[0-9]+\.[0-9]{1,2}$", m.group())  # 3000.50 is money


def _spans(n: str) -> list[tuple[int, int, bool]]:
    """(start, end, keep the last four digits) of every personal number in the normalised text."""
    found: list[tuple[int, int, bool]] = []
    work = n

    def take(pattern: re.Pattern[str], keep4: bool, accept: Callable[[re.Match[str]], bool] | None = None) -> None:
        nonlocal work
        for m in pattern.finditer(work):
            if "*" in m.group() or (accept is not None and not accept(m)):
                continue
            found.append((m.start(), m.end(), keep4))
            work = work[:m.start()] + "*" * (m.end() - m.start()) + work[m.end():]

    take(_ID, True)
    take(_PHONE, True)
    take(_LONG, True, lambda m: not _YEARS.fullmatch(m.group()))
    take(_LANDLINE, True)
    take(_SPACED, True, lambda m: len(re.sub(r"[^0-9]", "", m.group())) >= 11)
    stripped = n.strip(" .,!?。，！？~～")
    alone = _CODE_NUM.fullmatch(stripped)
    if alone and len(re.sub(r"[^0-9]", "", stripped)) == 6:
        take(_CODE_NUM, False)  # a 6-digit number and nothing else: a code
    elif _CODE_WORDS.search(n):
        take(_CODE_NUM, False, lambda m: _is_code(work, m))
    return found


def mask(text: str) -> str:
    """The text with codes, ID, bank-card and phone numbers masked, in the person's own words."""
    if not text or not _MAYBE_NUMBER.search(text):
        return text
    n = _normalise(text)
    if not _ASCII_DIGIT.search(n):
        return text
    spans = _spans(n)
    if not spans:
        return text
    out, pos = [], 0
    for start, end, keep4 in sorted(spans):
        out.append(text[pos:start])
        where = [i for i in range(start, end) if "0" <= n[i] <= "9" or n[i] == "X"]
        if keep4:
            out.append("*" * (len(where) - 4) + "".join(text[i] for i in where[-4:]))
        else:
            out.append("*" * len(where))
        pos = end
    out.append(text[pos:])
    return "".join(out)


_DROP = object()


def mask_data(value: Any) -> Any:
    """A copy of JSON-like data (the dialogue state) with every string masked.

    Numbers of 11 or more digits (a "budget" that is really a phone or card number) are
    dropped: a dict loses the key, a list the item.
    """
    if isinstance(value, str):
        return mask(value)
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, (int, float)):
        return _DROP if abs(value) >= 1e10 else value
    if isinstance(value, dict):
        masked = {(mask(k) if isinstance(k, str) else k): mask_data(v) for k, v in value.items()}
        return {k: v for k, v in masked.items() if v is not _DROP}
    if isinstance(value, (list, tuple)):
        return [v for v in (mask_data(x) for x in value) if v is not _DROP]
    return value


_ESCAPE = re.compile(r"\\(?:u([0-9a-fA-F]{4})|x([0-9a-fA-F]{2})|t)")


def _unescape(m: re.Match[str]) -> str:
    code = int(m.group(1) or m.group(2) or "9", 16)
    return chr(code) if code == 9 or (code >= 0x80 and not 0xD800 <= code < 0xE000) else m.group()


_QUOTED = re.compile(r"'([^'\n]{1,500})'|\"([^\"\n]{1,500})\"")


def _mask_quoted(m: re.Match[str]) -> str:
    inner = m.group(1) if m.group(1) is not None else m.group(2)
    masked = mask(inner)
    return m.group() if masked == inner else m.group()[0] + masked + m.group()[-1]


def mask_log(text: str) -> str:
    """``mask`` for log text, which quotes a person's words (``repr()``, JSON: '483920', 138\\u30001234).

    Escapes are read back first, and a quoted string is also masked as a message of its own,
    so a code sent alone is still a code inside a log line.
    """
    plain = _ESCAPE.sub(_unescape, text) if "\\" in text else text
    masked = mask(plain)
    if "'" in masked or '"' in masked:
        masked = _QUOTED.sub(_mask_quoted, masked)
    return text if masked == plain else masked


class MaskingFilter(logging.Filter):
    """A logging filter that masks personal numbers in every log line, wherever it comes from.

    It covers the message, the formatted traceback (``exc_text``, which formatters print
    instead of formatting ``exc_info`` again) and ``stack_info``.
    """

    _formatter = logging.Formatter()

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the record's message, traceback and stack with numbers masked."""
        try:
            message = record.getMessage()
        except (TypeError, ValueError):
            message = None
        if message is not None:
            masked = mask_log(message)
            if masked != message:
                record.msg, record.args = masked, None
        if record.exc_info and not record.exc_text:
            record.exc_text = self._formatter.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask_log(record.exc_text)
        if record.stack_info:
            record.stack_info = mask_log(record.stack_info)
        return True
