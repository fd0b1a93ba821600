"""The schema of knowledge entries, as pydantic models: one per kind, unknown keys refused.

``check_entry(raw)`` returns English problems, each naming the field, in the words the
importer has always used ("missing field 'source'", "field 'need' must be one of …",
"unknown field 'sorce'"), so content authors see what to fix and where.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

KINDS = ("policy", "marketing", "tool", "hotline", "platform")
AUDIENCES = ("resident", "merchant", "social_worker", "any")
STATUSES = ("verified", "partly_verified")
TOOL_NEEDS = ("design", "video", "live", "data", "crm", "forms", "minishop", "copywriting")
DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")

Text = Field(min_length=1)


class _Entry(BaseModel):
    """What every entry has: identity, audience, where the facts come from and when they were checked."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    id: str = Text
    kind: str
    title: str = Text
    intents: list[str] = []
    audience: Literal["resident", "merchant", "social_worker", "any"] = "any"
    keywords: list[str] = []
    status: Literal["verified", "partly_verified", "unverified"] | None = None
    source: str = Text
    reviewed: dt.date
    related: list[str] = []

    @field_validator("intents", mode="before")
    @classmethod
    def _one_intent(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value

    @field_validator("reviewed", mode="before")
    @classmethod
    def _iso_date(cls, value: Any) -> Any:
        # YAML turns 2026-11-22 into a date; text must be exactly YYYY-MM-DD (no 2026-1-5, no numbers).
        if isinstance(value, dt.datetime):
            return value.date()
        if isinstance(value, dt.date):
            return value
        if isinstance(value, str) and DATE_RE.match(value):
            return value
        raise ValueError("must be a date YYYY-MM-DD")


class Policy(_Entry):
    kind: Literal["policy"]
    issuer: str = ""
    date: str = ""
    doc_number: str = ""
    summary: str = Text
    points: list[str] = []
    who: str = ""
    how: str = Text
    caveat: str = Text


class Tip(BaseModel):
    """One marketing tip: its words, and who it suits (platforms named, a budget range in yuan)."""

    model_config = ConfigDict(extra="forbid")

    text: str = Text
    platforms: list[str] = []
    budget_min: int | None = None
    budget_max: int | None = None


class Marketing(_Entry):
    kind: Literal["marketing"]
    tips: list[Tip] = Field(min_length=1)
    difficulty: str = ""
    mutual_aid: str = ""
    social_worker: str = ""


class Tool(_Entry):
    kind: Literal["tool"]
    name: str = Text
    need: Literal["design", "video", "live", "data", "crm", "forms", "minishop", "copywriting"]
    free: str = Text
    difficulty: str = ""
    reason: str = Text
    howto: list[str] = Field(min_length=1)
    platforms: list[str] = []


class Hotline(_Entry):
    kind: Literal["hotline"]
    number: str = Text
    use: str = Text
    notes: list[str] = []


class Platform(_Entry):
    kind: Literal["platform"]
    name: str = Text
    state: str = Text
    summary: str = Text
    alternatives: list[str] = []
    tutorial: str | None = None


MODELS: dict[str, type[_Entry]] = {"policy": Policy, "marketing": Marketing, "tool": Tool, "hotline": Hotline,
                                   "platform": Platform}


def _problem(error: dict[str, Any], kind: str, model: type[_Entry]) -> str:
    loc = error.get("loc") or ()
    name = str(loc[0]) if loc else "?"
    kind_of = error.get("type", "")
    if kind_of == "missing" or (kind_of in ("string_too_short", "too_short") and len(loc) == 1):
        required = model.model_fields[name].is_required() and name not in _Entry.model_fields
        return f"missing field '{name}'" + (f" (required for kind {kind})" if required else "")
    if kind_of == "extra_forbidden" and len(loc) > 1:
        return f"field '{'.'.join(str(p) for p in loc)}': unknown key"
    if kind_of == "extra_forbidden":
        known = ", ".join(sorted(model.model_fields))
        return f"unknown field '{name}' (known fields for kind {kind}: {known})"
    if name == "reviewed":
        return f"field 'reviewed' must be a date YYYY-MM-DD, got {error.get('input')!r}"
    if kind_of == "literal_error":
        choices = {"need": TOOL_NEEDS, "audience": AUDIENCES, "status": STATUSES}.get(name)
        if choices:
            return f"field '{name}' must be one of {', '.join(choices)}, got {error.get('input')!r}"
    where = ".".join(str(p) for p in loc)
    return f"field '{where}': {error.get('msg', 'invalid')}"


def check_entry(raw: dict[str, Any]) -> list[str]:
    """The problems of one entry (an empty list when it is valid). ``kind`` must be known already."""
    model = MODELS[raw["kind"]]
    try:
        model.model_validate(raw)
    except ValidationError as exc:
        return [_problem(e, raw["kind"], model) for e in exc.errors()]
    return []
