"""The urgent episodes' content: ``dialogues/episodes.yml`` read and checked once.

``load_episodes`` returns an ``Episodes`` book: per kind (medical, scam, self_harm, missing,
abuse, danger) the intents that open it, its hotline, the safety-check line, the words that
name it, its standing guidance, its cues and its after-cues, plus the cues every kind shares and
the line said when the person goes back to a paused tutorial inside an episode (``resume``, for
every kind or a kind's own). A kind's ``prevention`` is its last after-cue: it answers the words
every kind shares for asking how to keep it from happening again (top-level ``prevention``:
往后咋弄才能让他不再走没了, 以后咋防着点), plus the kind's own.
The skill reads them generically (``dialogues/skills/urgent``); a bad file raises ``CueError``
naming the file, the kind and the cue.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from dialogues.cues import Cue, CueError, patterns, read_cues, read_yaml, text_of

EPISODES_FILE = Path(__file__).resolve().parents[2] / "episodes.yml"
KIND_KEYS = {"intents", "hotline", "check", "signals", "again", "cues", "after", "prevention", "resume"}
TOP_KEYS = ("common", "false_alarm", "kinds", "prevention", "resume")
RESUME = "好，我们接着学。刚才的事有新情况，随时告诉我；要紧的时候马上打 {hotline}。"


@dataclass(frozen=True)
class Kind:
    """One kind of emergency and what is expected inside its episode."""

    name: str
    intents: tuple[str, ...]
    hotline: str
    check: str
    signals: re.Pattern[str] | None
    again: str
    cues: tuple[Cue, ...]
    after: tuple[Cue, ...]
    resume: str = RESUME  # said before the paused step when the person goes back to learning inside the episode

    @property
    def intent(self) -> str:
        """The intent that stands for this kind (the ticket's reason, the alarm's text)."""
        return self.intents[0]


@dataclass(frozen=True)
class Episodes:
    """Every kind, and the cues all kinds share (``common`` inside, ``common_after`` once over)."""

    kinds: dict[str, Kind]
    common: tuple[Cue, ...]
    common_after: tuple[Cue, ...]
    false_alarm: re.Pattern[str] | None = None  # words that take an alarm back, right after it
    false_alarm_unless: re.Pattern[str] | None = None  # … unless these say otherwise (她说没事)
    resume: str = RESUME  # the kinds' default line for going back to learning (a kind may have its own)

    def takes_back(self, said: str) -> bool:
        """True when these words (from ``plain_text``) take the alarm just raised back."""
        return (self.false_alarm is not None and bool(self.false_alarm.search(said))
                and not (self.false_alarm_unless is not None and self.false_alarm_unless.search(said)))

    def of_intent(self, intent: str) -> Kind | None:
        """The kind an urgent intent opens, or None."""
        return next((k for k in self.kinds.values() if intent in k.intents), None)

    def opening(self, intent: str, said: str) -> Kind | None:
        """The kind an alarm opens: the NLU's, unless the words name only other kinds (打孩子 … 救命)."""
        named = self.of_intent(intent)
        if named is not None and named.signals is not None and named.signals.search(said):
            return named
        other = next((k for k in self.kinds.values() if k.signals is not None and k.signals.search(said)), None)
        return other or named

    def inside(self, kind: str) -> tuple[Cue, ...]:
        """What an open episode of this kind expects, in order: its cues, the shared ones, its after-cues."""
        k = self.kinds[kind]
        return k.cues + self.common + k.after

    def after(self, kind: str) -> tuple[Cue, ...]:
        """What is expected once an episode of this kind is over: its after-cues, then the shared ones."""
        return self.kinds[kind].after + self.common_after

    def flows(self) -> set[str]:
        """Every tutorial a button names (checked against the loaded flows by the tests and the loader)."""
        cues = [*self.common, *self.common_after, *(c for k in self.kinds.values() for c in k.cues + k.after)]
        return {action["flow"] for c in cues for _, action in c.buttons if "flow" in action}


def load_episodes(path: Path = EPISODES_FILE) -> Episodes:
    """Read and check the episodes file."""
    raw = read_yaml(path)
    unknown = set(raw) - set(TOP_KEYS)
    if unknown:
        raise CueError(f"{path}: unknown top-level key(s) {sorted(unknown)}; known: {', '.join(TOP_KEYS)}")
    taken_back = raw.get("false_alarm") or {}
    if not isinstance(taken_back, dict) or set(taken_back) - {"when", "unless"}:
        raise CueError(f"{path}: 'false_alarm' may only have 'when' and 'unless'")
    if not isinstance(raw.get("kinds"), dict) or not raw["kinds"]:
        raise CueError(f"{path}: 'kinds' must map each kind of emergency to its episode")
    names = set(raw["kinds"])
    prevent = raw.get("prevention") or {}
    if not isinstance(prevent, dict) or (prevent and "when" not in prevent) or set(prevent) - {"when", "unless"}:
        raise CueError(f"{path}: 'prevention' needs 'when' (and may have 'unless'): the words asking how to prevent it")
    resume = text_of(raw["resume"], f"{path}: resume") if "resume" in raw else RESUME
    kinds: dict[str, Kind] = {}
    seen: dict[str, str] = {}
    for name, spec in raw["kinds"].items():
        where = f"{path}: kind '{name}'"
        if not isinstance(spec, dict):
            raise CueError(f"{where}: expected a mapping")
        bad = set(spec) - KIND_KEYS
        if bad:
            raise CueError(f"{where}: unknown key(s) {sorted(bad)}; known: {sorted(KIND_KEYS)}")
        intents = spec.get("intents")
        if not isinstance(intents, list) or not intents or not all(
                isinstance(i, str) and i.startswith("urgent_") for i in intents):
            raise CueError(f"{where}: 'intents' must list urgent intents (urgent_…)")
        for intent in intents:
            if intent in seen:
                raise CueError(f"{where}: intent {intent} already opens kind '{seen[intent]}'")
            seen[intent] = name
        hotline = spec.get("hotline")
        if not isinstance(hotline, str) or not hotline.isdigit():
            raise CueError(f"{where}: 'hotline' must be a number written as text, e.g. \"120\"")
        kinds[name] = Kind(
            name=name, intents=tuple(intents), hotline=hotline, check=text_of(spec.get("check"), f"{where} check"),
            signals=patterns(spec.get("signals"), f"{where} signals"), again=text_of(spec.get("again"), f"{where} again"),
            cues=read_cues(spec.get("cues"), f"{where} cues", names),
            after=read_cues(spec.get("after"), f"{where} after", names)
            + prevention_cue(spec.get("prevention"), prevent, where, names),
            resume=text_of(spec["resume"], f"{where} resume") if "resume" in spec else resume,
        )
    common = raw.get("common") or {}
    if not isinstance(common, dict) or set(common) - {"cues", "after"}:
        raise CueError(f"{path}: 'common' may only have 'cues' and 'after'")
    return Episodes(kinds, read_cues(common.get("cues"), f"{path}: common cues", names),
                    read_cues(common.get("after"), f"{path}: common after", names),
                    patterns(taken_back.get("when"), f"{path}: false_alarm when"),
                    patterns(taken_back.get("unless"), f"{path}: false_alarm unless"), resume)


def prevention_cue(spec: Any, shared: dict[str, Any], where: str, kinds: set[str]) -> tuple[Cue, ...]:
    """A kind's prevention answer as an after-cue: the shared words (and the kind's own) ask for it."""
    if spec is None:
        return ()
    if not isinstance(spec, dict) or "name" in spec:
        raise CueError(f"{where} prevention: expected a cue without a name (say, and optionally when, buttons …)")
    own = spec.get("when") or []
    own = [own] if isinstance(own, str) else own
    shared_when = shared.get("when")
    shared_when = [shared_when] if isinstance(shared_when, str) else list(shared_when or [])
    cue = {"capability": "teach", **spec, "name": "prevention", "when": shared_when + list(own)}
    if "unless" in shared and "unless" not in spec:
        cue["unless"] = shared["unless"]
    return read_cues([cue], f"{where} prevention", kinds)


@lru_cache(maxsize=1)
def default_episodes() -> Episodes:
    """The project's episodes, read once."""
    return load_episodes()


def kind_settings(settings: dict[str, Any]) -> tuple[int, float]:
    """(turns, minutes) an episode lasts without news, from the dialogue settings."""
    return int(settings.get("urgent_episode_turns", 8)), float(settings.get("urgent_episode_minutes", 60.0))
