"""Personal numbers never reach the database or the log: mask them, keeping the last 4 digits.

Phone numbers, ID-card numbers and bank-card numbers keep their last four digits
(``*******5678``) so a social worker can still confirm "the card ending 5678"; SMS codes
(验证码) are masked completely. The unmasked text only exists in memory while the message
is handled.
"""

from __future__ import annotations

import logging
import re

# A code right after a word that announces it: 验证码是 123456 / 校验码：8841.
_CODE = re.compile(r"((?:验证码|校验码|动态码|验证号|短信码|密码)[^\d]{0,6})(\d{4,8})")
# ID card (18, last may be X), bank card (15-19 digits, spaces or dashes allowed), mobile, landline.
_ID = re.compile(r"(?<![\dA-Za-z])(\d{6})(\d{8})(\d{3}[\dXx])(?![\dA-Za-z])")
_LONG = re.compile(r"(?<!\d)(?:\d[ -]?){11,18}\d(?!\d)")
_PHONE = re.compile(r"(?<!\d)(?:\+?86[ -]?)?1[3-9]\d[ -]?\d{4}[ -]?\d{4}(?!\d)")
_LANDLINE = re.compile(r"(?<!\d)0\d{2,3}-?\d{7,8}(?!\d)")


def _keep_last4(match: re.Match[str]) -> str:
    chars = re.sub(r"[^\dXx]", "", match.group(0))
    return "*" * (len(chars) - 4) + chars[-4:]


def mask(text: str) -> str:
    """The text with codes, ID, bank-card and phone numbers masked."""
    if not text or not any(c.isdigit() for c in text):
        return text
    text = _CODE.sub(lambda m: m.group(1) + "*" * len(m.group(2)), text)
    text = _ID.sub(_keep_last4, text)
    text = _LONG.sub(_keep_last4, text)
    text = _PHONE.sub(_keep_last4, text)
    return _LANDLINE.sub(_keep_last4, text)


class MaskingFilter(logging.Filter):
    """A logging filter that masks personal numbers in every log line, wherever it comes from."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the record's message with numbers masked."""
        try:
            message = record.getMessage()
        except (TypeError, ValueError):
            return True
        masked = mask(message)
        if masked != message:
            record.msg, record.args = masked, None
        return True
