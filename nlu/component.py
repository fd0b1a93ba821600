"""The ``Component`` base class and the ``Message`` that flows through the pipeline."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from bot.errors import ConfigError
from nlu.training_data import Entity, TrainingData


@dataclass(frozen=True)
class Token:
    """A word from the segmenter with its character offsets in the message text."""

    text: str
    start: int
    end: int


@dataclass
class Message:
    """One text on its way through the pipeline; components fill in their parts."""

    text: str  # the cleaned original text (control characters blanked, same length as raw)
    norm: str = ""  # same length as ``text``: simplified, half-width, lower-case
    canon: str = ""  # ``norm`` with dialect and English words in Mandarin (nlu/dialect.yml); any length
    tokens: list[Token] = field(default_factory=list)
    features: dict[str, Any] = field(default_factory=dict)  # featurizer name -> sparse row
    intent: str | None = None
    confidence: float = 0.0
    ranking: list[tuple[str, float]] = field(default_factory=list)
    entities: list[Entity] = field(default_factory=list)
    fallback: bool = False
    urgent_rule: str | None = None  # the rule category that fired, if any (nlu/rules.py)


class Component:
    """A named, configurable step of the NLU pipeline.

    Subclasses set ``defaults`` (every accepted key with its default; the default's type is
    the accepted type) and optionally ``choices`` (key -> allowed values).
    """

    defaults: ClassVar[dict[str, Any]] = {}
    choices: ClassVar[dict[str, tuple[Any, ...]]] = {}
    trainable: ClassVar[bool] = False

    def __init__(self, config: dict[str, Any]) -> None:
        self.config = config

    @property
    def name(self) -> str:
        """The component's registry name."""
        return type(self).__name__

    @classmethod
    def get_default_config(cls) -> dict[str, Any]:
        """The defaults user keys are merged over."""
        return dict(cls.defaults)

    @classmethod
    def validate_config(cls, params: dict[str, Any], where: str) -> dict[str, Any]:
        """Merge user params over defaults; an unknown key, wrong type or bad value is a ConfigError."""
        merged = cls.get_default_config()
        for key, value in params.items():
            if key not in merged:
                valid = ", ".join(sorted(merged)) or "(none)"
                raise ConfigError(f"{where}: unknown key '{key}' for {cls.__name__}. Valid keys: {valid}")
            default = merged[key]
            merged[key] = _coerce(value, default, f"{where}.{key}")
            allowed = cls.choices.get(key)
            if allowed is not None and merged[key] not in allowed:
                raise ConfigError(
                    f"{where}.{key}: {merged[key]!r} is not valid. Choose one of: {', '.join(map(str, allowed))}"
                )
        return merged

    @classmethod
    def create(cls, params: dict[str, Any], where: str, base_dir: Path) -> Component:
        """Build an untrained component from config params."""
        return cls(cls.validate_config(params, where))

    def train(self, data: TrainingData, messages: list[Message]) -> None:
        """Learn from training data; ``messages`` have been processed by earlier components."""

    def process(self, message: Message) -> None:
        """Add this component's output to one message."""

    def process_batch(self, messages: list[Message]) -> None:
        """Process many messages (featurizers override this to vectorise in one go)."""
        for m in messages:
            self.process(m)

    def persist(self, directory: Path) -> dict[str, Any]:
        """Save learned state under ``directory``; return JSON-able metadata for loading."""
        return {}

    @classmethod
    def load(cls, config: dict[str, Any], directory: Path, meta: dict[str, Any], base_dir: Path) -> Component:
        """Rebuild a trained component from what ``persist`` wrote."""
        return cls(config)


def _coerce(value: Any, default: Any, where: str) -> Any:
    if default is None:
        return value
    if isinstance(default, bool):
        if not isinstance(value, bool):
            raise ConfigError(f"{where}: must be true or false, got {value!r}")
        return value
    if isinstance(default, float):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigError(f"{where}: must be a number, got {value!r}")
        return float(value)
    if isinstance(default, int):
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{where}: must be a whole number, got {value!r}")
        return value
    if isinstance(default, str):
        if not isinstance(value, str):
            raise ConfigError(f"{where}: must be a string, got {value!r}")
        return value
    if isinstance(default, list):
        if not isinstance(value, list):
            raise ConfigError(f"{where}: must be a list, got {value!r}")
        return value
    if isinstance(default, dict):
        if not isinstance(value, dict):
            raise ConfigError(f"{where}: must be a mapping, got {value!r}")
        return value
    return value
