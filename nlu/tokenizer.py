"""``JiebaTokenizer``: jieba word segmentation through spaCy's blank ``zh`` language.

Our user dictionaries (platform, product, policy words) are loaded into jieba once per
process, and the words the model was trained with are saved beside the model so a loaded
model segments exactly as it did in training.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, ClassVar

from bot.errors import ConfigError, ModelError
from nlu.component import Component, Message, Token
from nlu.normalize import clean, normalize
from nlu.registry import register
from nlu.training_data import TrainingData

logger = logging.getLogger(__name__)
WORDS_FILE = "jieba_words.txt"

_nlp = None
_loaded_words: set[str] = set()


def _jieba():
    """The jieba module, quiet (it logs its dictionary loading at DEBUG to stderr otherwise)."""
    import jieba

    jieba.setLogLevel(logging.WARNING)
    return jieba


def _spacy_zh():
    """The blank spaCy ``zh`` pipeline with the jieba segmenter, built once per process."""
    global _nlp
    if _nlp is None:
        _jieba()
        from spacy.lang.zh import Chinese

        _nlp = Chinese.from_config({"nlp": {"tokenizer": {"segmenter": "jieba"}}})
    return _nlp


def add_words(words: list[str]) -> None:
    """Teach jieba our words (idempotent: each word is added once per process)."""
    jieba = _jieba()
    for w in words:
        w = w.strip()
        if w and w not in _loaded_words and " " not in w:
            jieba.add_word(w, freq=None)
            _loaded_words.add(w)


def read_dictionary(path: Path) -> list[str]:
    """Words from jieba user-dictionary files (``word [freq] [tag]`` per line, ``#`` comments)."""
    files = [path] if path.is_file() else sorted(path.glob("*.txt"))
    words = []
    for f in files:
        for line in f.read_text(encoding="utf-8").splitlines():
            line = line.split("#", 1)[0].strip()
            if line:
                words.append(line.split()[0])
    return words


@register
class JiebaTokenizer(Component):
    """Segments the normalised text with jieba (via spaCy ``zh``) and keeps character offsets."""

    defaults: ClassVar[dict[str, Any]] = {
        # A jieba user dictionary file or a directory of *.txt files, as in Rasa.
        "dictionary_path": "nlu/dictionaries",
        # Also add lookup-table values, synonyms and annotated entity texts as words.
        "add_entity_words": True,
        # Only the first max_chars characters are analysed (a 10,000-character paste stays fast).
        "max_chars": 500,
    }

    def __init__(self, config: dict[str, Any], words: list[str] | None = None) -> None:
        super().__init__(config)
        self.words = list(words or [])
        if self.words:
            add_words(self.words)

    @classmethod
    def create(cls, params: dict[str, Any], where: str, base_dir: Path) -> Component:
        config = cls.validate_config(params, where)
        path = Path(config["dictionary_path"])
        path = path if path.is_absolute() else base_dir / path
        if not path.exists():
            raise ConfigError(f"{where}.dictionary_path: no such file or directory: {path}")
        if config["max_chars"] < 1:
            raise ConfigError(f"{where}.max_chars: must be at least 1")
        return cls(config, read_dictionary(path))

    def train(self, data: TrainingData, messages: list[Message]) -> None:
        if self.config["add_entity_words"]:
            extra = [v for values in data.lookups.values() for v in values]
            extra += list(data.synonyms) + list(set(data.synonyms.values()))
            extra += [e.text for ex in data.examples for e in ex.entities]
            seen = set(self.words)
            self.words += [w for w in extra if w not in seen and not seen.add(w)]
            add_words(self.words)
        for m in messages:
            self.process(m)

    def process(self, message: Message) -> None:
        if not message.norm:
            message.norm = normalize(message.text)
        norm = message.norm[: self.config["max_chars"]]
        doc = _spacy_zh()(norm)
        message.tokens = [Token(t.text, t.idx, t.idx + len(t.text)) for t in doc if not t.is_space]

    def persist(self, directory: Path) -> dict[str, Any]:
        (directory / WORDS_FILE).write_text("\n".join(self.words) + "\n", encoding="utf-8")
        return {"words_file": WORDS_FILE}

    @classmethod
    def load(cls, config: dict[str, Any], directory: Path, meta: dict[str, Any], base_dir: Path) -> Component:
        path = directory / meta.get("words_file", WORDS_FILE)
        try:
            words = path.read_text(encoding="utf-8").splitlines()
        except OSError as exc:
            raise ModelError(f"{path}: cannot read the tokenizer's word list ({exc.strerror})") from None
        return cls(config, words)


def prepare(text: str) -> Message:
    """A fresh message for ``text``: control characters blanked, normalised copy attached."""
    cleaned = clean(text)
    return Message(text=cleaned, norm=normalize(cleaned))
