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
SLOT_TYPES = ("money", "age", "region", "platform", "product", "choice", "flag")
PLACEHOLDER_RE = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


class Slot(BaseModel):
    """A detail a follow-up may give: its type, how to say it, and (choice, flag) the words for it."""

    model_config = ConfigDict(extra="forbid")

    type: Literal["money", "age", "region", "platform", "product", "choice", "flag"]
    unknown: str = ""  # said in a template when the person has not told it (e.g. 当地)
    choices: dict[str, list[str]] = {}  # choice: value -> words that pick it (the first match wins)
    labels: dict[str, str] = {}  # choice: value -> how it is said
    default: str | None = None  # choice: the value when no word picks one
    cues: list[str] = []  # flag: words that set it; other types: words that must come with the value
    negations: list[str] = []  # flag: words that, before a cue, set it to no
    if_yes: str = ""  # flag: how a yes is said (not `yes:`, which YAML reads as true)
    if_no: str = ""  # flag: how a no is said


class Compare(BaseModel):
    """A figure the person gave, compared with a threshold from facts.md (per period when ``per`` is set)."""

    model_config = ConfigDict(extra="forbid")

    slot: str = Text
    per: str | None = None
    limits: dict[str, int] = Field(min_length=1)  # the ``per`` slot's value (or "any") -> the threshold
    below: str = Text
    reached: str = Text
    at: str = ""  # exactly at the threshold; ``reached`` when empty
    # Only the period changed (那按季度呢 after a month's figure): the new period's threshold, the
    # figure not restated for a period it was not given for. Without it the figure is compared again.
    per_changed: str = ""


class Line(BaseModel):
    """One line of a checklist, shown when the slots it names are known (or have an ``unknown`` word)."""

    model_config = ConfigDict(extra="forbid")

    text: str = Text
    unless: str = ""  # a flag slot: the line is left out when it is yes


class Checklist(BaseModel):
    """The answer to "can I apply?": the person's details, line by line, then where to confirm."""

    model_config = ConfigDict(extra="forbid")

    intro: str = Text
    lines: list[Line] = Field(min_length=1)
    outro: str = Text


class Question(BaseModel):
    """A follow-up question the topic answers: a kind from asks.yml, or the entry's own cue words."""

    model_config = ConfigDict(extra="forbid")

    ask: str = ""
    cues: list[str] = []
    answer: str = Text


class Recourse(BaseModel):
    """One step of what to do when something goes wrong, and the words naming who is asked at it (商家, 平台)."""

    model_config = ConfigDict(extra="forbid")

    parties: list[str] = []  # 要是平台不管呢 names this step: the answer is the step after it
    text: str = Text


class Topic(BaseModel):
    """What an entry expects after its answer: the slots a follow-up fills, comparisons, a checklist, questions,
    and the steps to take in turn when one fails (``recourse``: 商家 -> 平台 -> 12315)."""

    model_config = ConfigDict(extra="forbid")

    slots: dict[str, Slot] = {}
    compare: list[Compare] = []
    checklist: Checklist | None = None
    questions: list[Question] = []
    recourse: list[Recourse] = []
    confirm: str = ""  # where to confirm, said after every follow-up answer

    def problems(self) -> list[str]:
        """Names used but not declared: a slot in a template, a compare or a checklist line."""
        out: list[str] = []
        names = set(self.slots) | {"limit"}

        def check(where: str, text: str) -> None:
            for name in PLACEHOLDER_RE.findall(text):
                if name not in names:
                    out.append(f"field 'topic.{where}': unknown slot '{{{name}}}' (declared slots: "
                               f"{', '.join(sorted(self.slots)) or 'none'})")

        for i, c in enumerate(self.compare):
            for key in ("slot", "per"):
                name = getattr(c, key)
                if name and name not in self.slots:
                    out.append(f"field 'topic.compare.{i}.{key}': unknown slot '{name}'")
            if c.per and c.per in self.slots:
                values = set(self.slots[c.per].choices)
                for value in c.limits:
                    if value not in values:
                        out.append(f"field 'topic.compare.{i}.limits': '{value}' is not a choice of slot '{c.per}'")
            for key in ("below", "reached", "at", "per_changed"):
                check(f"compare.{i}.{key}", getattr(c, key))
        if self.checklist:
            check("checklist.intro", self.checklist.intro)
            check("checklist.outro", self.checklist.outro)
            for i, line in enumerate(self.checklist.lines):
                check(f"checklist.lines.{i}", line.text)
                if line.unless and line.unless not in self.slots:
                    out.append(f"field 'topic.checklist.lines.{i}.unless': unknown slot '{line.unless}'")
        for i, q in enumerate(self.questions):
            if not q.ask and not q.cues:
                out.append(f"field 'topic.questions.{i}': needs 'ask' (a kind in asks.yml) or 'cues'")
            check(f"questions.{i}.answer", q.answer)
        check("confirm", self.confirm)
        for i, r in enumerate(self.recourse):
            check(f"recourse.{i}.text", r.text)
        if len(self.recourse) == 1:
            out.append("field 'topic.recourse': needs at least two steps (the one that failed and the next)")
        for name, slot in self.slots.items():
            if slot.type == "choice" and not slot.choices:
                out.append(f"field 'topic.slots.{name}': a choice slot needs 'choices'")
            if slot.type == "flag" and not slot.cues:
                out.append(f"field 'topic.slots.{name}': a flag slot needs 'cues'")
        return out


class Asks(BaseModel):
    """asks.yml: the kinds of follow-up question (where, documents, amount …) and the words that ask them."""

    model_config = ConfigDict(extra="forbid")

    asks: dict[str, list[str]] = Field(min_length=1)


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
    topic: Topic | None = None  # what follow-ups on this entry may give and ask (see Topic)

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
    rules: list[str] = []  # names of the rules it states (七天无理由): a question naming one is about this policy
    serves: list[str] = []  # kinds of asks.yml it answers first among its intent's entries (relief: 房租涨了…)


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


class Regions(BaseModel):
    """Where a platform takes orders (knowledge/regions.py), from the fact sheet, with the date of its sources."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    served: list[str] = []
    left: list[str] = []
    national: bool = False
    as_of: str = Text  # 2026年1月: how old the facts are (said to the person, so in words)
    source: str = Text


class Platform(_Entry):
    kind: Literal["platform"]
    name: str = Text
    state: str = Text
    summary: str = Text
    alternatives: list[str] = []
    tutorial: str | None = None
    regions: Regions | None = None
    delivery: Literal["home", "pickup"] | None = None  # 送到家 or 自提点 (facts.md §3.1 模式): how to choose


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
    if "Keys should be strings" in str(error.get("msg", "")):
        # YAML reads yes/no/on/off as true/false: a flag slot says its words with if_yes / if_no.
        return (f"field '{where}': a key is not text (YAML reads yes, no, on and off as true/false; "
                "quote it, or for a flag slot use if_yes / if_no)")
    return f"field '{where}': {error.get('msg', 'invalid')}"


def check_entry(raw: dict[str, Any]) -> list[str]:
    """The problems of one entry (an empty list when it is valid). ``kind`` must be known already."""
    model = MODELS[raw["kind"]]
    try:
        model.model_validate(raw)
    except ValidationError as exc:
        return [_problem(e, raw["kind"], model) for e in exc.errors()]
    topic = Topic.model_validate(raw["topic"]) if raw.get("topic") else None
    return topic.problems() if topic else []


def check_asks(raw: Any) -> list[str]:
    """The problems of an asks file (an empty list when it is valid)."""
    try:
        asks = Asks.model_validate(raw)
    except ValidationError as exc:
        return [f"field '{'.'.join(str(p) for p in e.get('loc') or ())}': {e.get('msg', 'invalid')}" for e in exc.errors()]
    return [f"field 'asks.{kind}': needs at least one cue word" for kind, cues in asks.asks.items() if not cues]
