"""Cues: what a message says, declared in content files, and what to answer when it says it.

Urgent episodes (``dialogues/episodes.yml``) and worries without danger
(``dialogues/wellbeing.yml``) declare their expectations as cues; the skills read them with
the same generic code. A cue is a mapping::

    - name: waiting                 # short id, shown in errors and tests
      when: ["叫了|打了|在路上"]      # regular expressions; any one matching is enough
      unless: ["还没(叫|打)"]         # optional: none of these may match
      say: "好。等车的时候……"          # the answer ({hotline} is the episode's hotline)
      buttons:                      # optional: a tutorial or an intent to go on with
        - {label: 网上买菜防骗, flow: scam_safe_shopping}
        - {label: 找社工, intent: request_human}
      capability: urgent            # optional: the capability reported for the turn
      handoff: true                 # optional: an urgent help request goes to a social worker
      ends: true                    # optional: the episode is over after this answer
      switch: medical               # optional: the episode becomes another kind

Patterns are matched against the message as NLU normalises it (simplified, half-width, lower
case) with the spaces removed, so 我 挂了 and 我挂了 read alike. A bad file raises ``CueError``
naming the file, the place and the cue.
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from nlu.normalize import clean, normalize

CUE_KEYS = {"name", "when", "unless", "say", "buttons", "capability", "handoff", "ends", "switch"}
CAPABILITIES = ("urgent", "teach", "smalltalk", "handoff", "policy", "tool", "marketing")
PLACEHOLDERS = {"hotline"}


class CueError(ValueError):
    """A content file with cues is malformed; the message names the file, the place and the cue."""


@dataclass(frozen=True)
class Cue:
    """One expectation: when the message says this, answer that."""

    name: str
    when: re.Pattern[str]
    say: str
    unless: re.Pattern[str] | None = None
    buttons: tuple[tuple[str, dict[str, str]], ...] = ()
    capability: str = "urgent"
    handoff: bool = False
    ends: bool = False
    switch: str | None = None

    def matches(self, said: str) -> bool:
        """True when ``said`` (from ``plain_text``) says this."""
        return bool(self.when.search(said)) and not (self.unless is not None and self.unless.search(said))


def plain_text(text: str) -> str:
    """The message as cues read it: normalised like the NLU reads it, without spaces."""
    return re.sub(r"\s+", "", normalize(clean(text)))


def first_match(cues: tuple[Cue, ...], said: str) -> Cue | None:
    """The first cue (in file order) that ``said`` matches, else None."""
    return next((c for c in cues if c.matches(said)), None)


def read_yaml(path: Path) -> dict[str, Any]:
    """The top-level mapping of a content file."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise CueError(f"{path}: cannot read the file ({exc})") from None
    if not isinstance(raw, dict):
        raise CueError(f"{path}: expected a mapping at the top level")
    return raw


def patterns(value: Any, where: str) -> re.Pattern[str] | None:
    """One regex matching any of a list of patterns (a single string is a list of one)."""
    items = [value] if isinstance(value, str) else value
    if items is None:
        return None
    if not isinstance(items, list) or not items or not all(isinstance(p, str) and p for p in items):
        raise CueError(f"{where}: expected a non-empty list of patterns")
    for p in items:
        try:
            re.compile(p)
        except re.error as exc:
            raise CueError(f"{where}: pattern {p!r} is invalid: {exc}") from None
    return re.compile("|".join(f"(?:{p})" for p in items))


def text_of(value: Any, where: str) -> str:
    """A reply text; only the known placeholders may appear in braces."""
    if not isinstance(value, str) or not value.strip():
        raise CueError(f"{where}: expected a non-empty text")
    try:
        names = {field for _, field, _, _ in string.Formatter().parse(value) if field is not None}
    except ValueError as exc:
        raise CueError(f"{where}: {exc} (write a literal brace as {{{{ or }}}})") from None
    unknown = names - PLACEHOLDERS
    if unknown:
        raise CueError(f"{where}: unknown placeholder(s) {sorted(unknown)}; known: {sorted(PLACEHOLDERS)}")
    return value.strip()


def read_cues(items: Any, where: str, kinds: set[str] | None = None, capability: str = "urgent") -> tuple[Cue, ...]:
    """Read a list of cues; ``kinds`` are the names ``switch`` may take, ``capability`` the default one."""
    if items is None:
        return ()
    if not isinstance(items, list):
        raise CueError(f"{where}: expected a list of cues")
    cues = []
    for n, raw in enumerate(items, start=1):
        here = f"{where}[{n}]"
        if not isinstance(raw, dict) or not isinstance(raw.get("name"), str):
            raise CueError(f"{here}: a cue needs a 'name'")
        here = f"{where} cue '{raw['name']}'"
        unknown = set(raw) - CUE_KEYS
        if unknown:
            raise CueError(f"{here}: unknown key(s) {sorted(unknown)}; known: {sorted(CUE_KEYS)}")
        if "when" not in raw or "say" not in raw:
            raise CueError(f"{here}: needs 'when' and 'say'")
        cue_capability = raw.get("capability", capability)
        if cue_capability not in CAPABILITIES:
            raise CueError(f"{here}: capability {cue_capability!r} is not one of {', '.join(CAPABILITIES)}")
        switch = raw.get("switch")
        if switch is not None and (kinds is None or switch not in kinds):
            raise CueError(f"{here}: switch {switch!r} is not a known kind ({', '.join(sorted(kinds or ()))})")
        for flag in ("handoff", "ends"):
            if not isinstance(raw.get(flag, False), bool):
                raise CueError(f"{here}: '{flag}' must be true or false")
        when = patterns(raw["when"], f"{here} when")
        assert when is not None
        cues.append(Cue(
            name=raw["name"], when=when, say=text_of(raw["say"], f"{here} say"),
            unless=patterns(raw.get("unless"), f"{here} unless"), buttons=read_buttons(raw.get("buttons"), here),
            capability=cue_capability, handoff=bool(raw.get("handoff", False)), ends=bool(raw.get("ends", False)),
            switch=switch,
        ))
    return tuple(cues)


def read_buttons(items: Any, where: str) -> tuple[tuple[str, dict[str, str]], ...]:
    """Buttons as (label, action): each names a tutorial (``flow``) or an intent to go on with."""
    if items is None:
        return ()
    if not isinstance(items, list):
        raise CueError(f"{where} buttons: expected a list")
    out = []
    for raw in items:
        if not isinstance(raw, dict) or not isinstance(raw.get("label"), str) or not raw["label"].strip():
            raise CueError(f"{where} buttons: each button needs a 'label'")
        targets = [k for k in ("flow", "intent") if k in raw]
        if len(targets) != 1 or set(raw) - {"label", "flow", "intent"} or not isinstance(raw[targets[0]], str):
            raise CueError(f"{where} button '{raw['label']}': give exactly one of 'flow' or 'intent'")
        out.append((raw["label"].strip(), {targets[0]: raw[targets[0]]}))
    return tuple(out)
