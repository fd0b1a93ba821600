"""The schema of a flow file, as pydantic models: unknown keys and malformed dates are refused.

``check_flow_doc(doc)`` returns ``(key path, problem)`` pairs in English; the loader turns
each into ``file:line: flow 'id' …`` with the line of the key at fault. The cross-checks
that need the whole set (unknown steps in ``next``, unreachable steps, unknown intents and
slots) stay in ``bot/flows.py`` (reading the files is the bot's side; the dialogue gets the flows).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ButtonSpec(_Strict):
    """A quick reply written as a mapping (a plain text is a label alone)."""

    label: str
    goto: str | None = None
    intent: str | None = None
    set: dict[str, Any] = {}


class TransitionSpec(_Strict):
    """One ``next:`` entry: go to a step, if the slots hold (``if`` or ``when``)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    goto: str
    if_: dict[str, Any] = Field(default={}, alias="if")  # ``if`` is a Python keyword
    when: dict[str, Any] = {}


def _words(value: list[str], what: str) -> list[str]:
    bad = [w for w in value if not str(w).strip()]
    if bad:
        raise ValueError(f"{what} must not contain empty words")
    return value


class QuestionSpec(_Strict):
    """A question asked at a step: the ways of asking it (``match``) and the ``answer``."""

    match: list[str] = Field(min_length=1)
    answer: str = Field(min_length=1)

    @field_validator("match")
    @classmethod
    def _match_words(cls, value: list[str]) -> list[str]:
        for entry in value:
            if any(not part.strip() for part in str(entry).split("+")):
                raise ValueError(f"'match' entry {entry!r} has an empty word (write words joined by '+')")
        return value


class FollowSpec(_Strict):
    """What a step declares to follow the person: cues, questions, sub-steps, how to fix it.

    Shared by steps and by the step kits in ``dialogues/flows/shared/step_kits.yml``.
    """

    cues: list[str] = []
    questions: list[QuestionSpec] = []
    substeps: list[str] = []
    fix: str = ""

    @field_validator("cues")
    @classmethod
    def _cue_words(cls, value: list[str]) -> list[str]:
        return _words(value, "'cues'")

    @field_validator("substeps")
    @classmethod
    def _two_substeps(cls, value: list[str]) -> list[str]:
        if value and len(value) < 2:
            raise ValueError("'substeps' needs at least two sub-steps (one is the step itself)")
        return _words(value, "'substeps'")


class StepSpec(FollowSpec):
    """One step of a flow."""

    id: str
    text: str
    simpler: str = ""
    buttons: list[str | ButtonSpec] = []
    ask: str | None = None
    next: str | list[TransitionSpec] | None = None
    when: dict[str, Any] = {}
    end: bool = False
    kit: str | None = None  # a step kit whose cues, questions, sub-steps and fix this step takes


class FlowSpec(_Strict):
    """A flow file."""

    flow: str
    kind: Literal["tutorial", "flow"] = "flow"
    title: str
    audience: Literal["resident", "merchant", "social_worker", "any"] = "any"
    intents: str | list[str] = []
    when: dict[str, Any] = {}
    intro: str = ""
    outro: str = ""
    entry: dict[str, str] = {}
    intro_named: str = ""
    names: list[str] = []  # words that name this tutorial itself (当团长): asking how to do it starts it
    takes_over: list[str] = []  # intents whose tutorial this one replaces when the message says one of `said`
    said: list[str] = []  # words ("订单+找不": all of them) saying the person is past that tutorial's start
    source: str = ""
    reviewed: dt.date | None = None
    steps: list[StepSpec]

    @field_validator("reviewed", mode="before")
    @classmethod
    def _iso_date(cls, value: Any) -> Any:
        if value is None or isinstance(value, dt.date):
            return value.date() if isinstance(value, dt.datetime) else value
        if isinstance(value, str) and DATE_RE.match(value):
            return value
        raise ValueError("must be a date YYYY-MM-DD")


class KitsSpec(_Strict):
    """The step kits file: ``kits: {name: {cues, questions, substeps, fix}}``."""

    kits: dict[str, FollowSpec]


def check_flow_doc(doc: dict[str, Any]) -> list[tuple[tuple[Any, ...], str]]:
    """The schema problems of one flow document, each with the path of the key at fault."""
    return _problems(FlowSpec, doc)


def check_kits_doc(doc: dict[str, Any]) -> list[tuple[tuple[Any, ...], str]]:
    """The schema problems of the step kits file, each with the path of the key at fault."""
    return _problems(KitsSpec, doc)


def _problems(model: type[BaseModel], doc: dict[str, Any]) -> list[tuple[tuple[Any, ...], str]]:
    try:
        model.model_validate(doc)
    except ValidationError as exc:
        out = []
        for e in exc.errors():
            loc = tuple(p for p in e.get("loc", ()) if not (isinstance(p, str) and p in ("str", "list[...]")))
            key = ".".join(str(p) for p in loc)
            if e.get("type") == "extra_forbidden":
                out.append((loc, f"unknown key '{key}'"))
            elif loc and loc[-1] == "reviewed":
                out.append((loc, f"'reviewed' must be a date YYYY-MM-DD, got {e.get('input')!r}"))
            else:
                out.append((loc, f"'{key}': {e.get('msg', 'invalid')}"))
        # A union (str | list) reports each branch: keep one line per key.
        seen: set[str] = set()
        return [(loc, msg) for loc, msg in out if not (msg in seen or seen.add(msg))]
    return []
