"""``JiebaTokenizer``: jieba word segmentation through spaCy's blank ``zh`` language.

Each tokenizer owns a ``jieba.Tokenizer`` that spaCy's ``ChineseTokenizer`` (segmenter
``jieba``) calls. It is not jieba's global instance because that one loads the full
349,046-word dictionary (1.4 s on the reference machine, most of our cold start). By
default we keep the words jieba has seen at least ``min_word_freq`` times (105,157 words,
0.25 s) and add our user dictionary plus every lookup value, synonym and annotated entity.
The dictionary and added words are saved beside the model, so a loaded model segments
exactly as it did in training, whatever jieba version is installed.
"""

from __future__ import annotations

import io
import logging
from pathlib import Path
from typing import Any, ClassVar

from bot.errors import ConfigError, ModelError
from nlu.component import Component, Message, Token
from nlu.normalize import clean, normalize, to_mandarin
from nlu.registry import register
from nlu.training_data import TrainingData

logger = logging.getLogger(__name__)
WORDS_FILE = "jieba_words.txt"
DICT_FILE = "jieba_dict.txt"


def _jieba() -> Any:
    """The jieba module, quiet (it logs its dictionary loading to stderr otherwise)."""
    import jieba

    jieba.setLogLevel(logging.WARNING)
    return jieba


def jieba_main_dictionary(min_word_freq: int) -> bytes:
    """jieba's bundled dictionary, keeping words with at least ``min_word_freq`` (0 keeps all)."""
    jieba = _jieba()
    raw = (Path(jieba.__file__).parent / "dict.txt").read_bytes()
    if min_word_freq <= 0:
        return raw
    kept = []
    for line in raw.splitlines():
        parts = line.split()
        if len(parts) >= 2 and int(parts[1]) >= min_word_freq:
            kept.append(line)
    return b"\n".join(kept) + b"\n"


def make_segmenter(dictionary: bytes, words: list[str]) -> Any:
    """A private jieba.Tokenizer built from dictionary bytes plus our words (no cache files)."""
    jieba = _jieba()
    seg = jieba.Tokenizer()
    with seg.lock:
        seg.FREQ, seg.total = seg.gen_pfdict(io.BytesIO(dictionary))
        seg.initialized = True
    for w in words:
        w = w.strip()
        if w and " " not in w:
            seg.add_word(w)
    return seg


def make_spacy_zh(segmenter: Any) -> Any:
    """spaCy's blank ``zh`` language whose jieba segmenter is ``segmenter``."""
    from spacy.lang.zh import Chinese, Segmenter

    # Built with the "char" segmenter first so spaCy does not warm up jieba's global
    # full-size dictionary; then switched to jieba with our own instance.
    nlp = Chinese()
    nlp.tokenizer.segmenter = Segmenter.jieba
    nlp.tokenizer.jieba_seg = segmenter
    return nlp


def dictionary_lines(path: Path) -> list[str]:
    """The entries of jieba user-dictionary files (``word [freq] [tag]`` per line), comments removed."""
    files = [path] if path.is_file() else sorted(path.glob("*.txt"))
    lines = []
    for f in files:
        for line in f.read_text(encoding="utf-8").splitlines():
            line = line.split("#", 1)[0].strip()
            if line:
                lines.append(line)
    return lines


def read_dictionary(path: Path) -> list[str]:
    """The words of jieba user-dictionary files."""
    return [line.split()[0] for line in dictionary_lines(path)]


@register
class JiebaTokenizer(Component):
    """Segments the normalised text with jieba (via spaCy ``zh``) and keeps character offsets."""

    defaults: ClassVar[dict[str, Any]] = {
        # A jieba user dictionary file or a directory of *.txt files, as in Rasa.
        "dictionary_path": "nlu/dictionaries",
        # Also add lookup-table values, synonyms and annotated entity texts as words.
        "add_entity_words": True,
        # Keep jieba's dictionary words seen at least this often; 0 keeps all 349,046 (slower start).
        "min_word_freq": 10,
        # Only the first max_chars characters are analysed (a 10,000-character paste stays fast).
        "max_chars": 500,
    }

    def __init__(self, config: dict[str, Any], words: list[str], dictionary: bytes) -> None:
        super().__init__(config)
        self.words = list(words)
        self.dictionary = dictionary
        self.nlp = make_spacy_zh(make_segmenter(dictionary, self.words))

    @classmethod
    def create(cls, params: dict[str, Any], where: str, base_dir: Path) -> Component:
        config = cls.validate_config(params, where)
        path = Path(config["dictionary_path"])
        path = path if path.is_absolute() else base_dir / path
        if not path.exists():
            raise ConfigError(f"{where}.dictionary_path: no such file or directory: {path}")
        if config["max_chars"] < 1:
            raise ConfigError(f"{where}.max_chars: must be at least 1")
        if config["min_word_freq"] < 0:
            raise ConfigError(f"{where}.min_word_freq: must be 0 or more")
        return cls(config, read_dictionary(path), jieba_main_dictionary(config["min_word_freq"]))

    def train(self, data: TrainingData, messages: list[Message]) -> None:
        if self.config["add_entity_words"]:
            extra = [v for values in data.lookups.values() for v in values]
            extra += list(data.synonyms) + sorted(set(data.synonyms.values()))
            extra += [e.text for ex in data.examples for e in ex.entities]
            seen = set(self.words)
            new = []
            for w in extra:
                for form in (normalize(w), to_mandarin(w)):
                    if form not in seen:
                        seen.add(form)
                        new.append(form)
            self.words += new
            for w in new:
                if w.strip() and " " not in w:
                    self.nlp.tokenizer.jieba_seg.add_word(w)
        for m in messages:
            self.process(m)

    def process(self, message: Message) -> None:
        if not message.norm:
            message.norm = normalize(message.text)
        if not message.canon:
            message.canon = to_mandarin(message.text)
        # Tokens are words of the Mandarin reading (offsets into ``canon``); entities use ``norm``.
        doc = self.nlp(message.canon[: self.config["max_chars"]])
        message.tokens = [Token(t.text, t.idx, t.idx + len(t.text)) for t in doc if not t.is_space]

    def persist(self, directory: Path) -> dict[str, Any]:
        (directory / WORDS_FILE).write_text("\n".join(self.words) + "\n", encoding="utf-8")
        (directory / DICT_FILE).write_bytes(self.dictionary)
        return {"words_file": WORDS_FILE, "dict_file": DICT_FILE}

    @classmethod
    def load(cls, config: dict[str, Any], directory: Path, meta: dict[str, Any], base_dir: Path) -> Component:
        try:
            words = (directory / meta.get("words_file", WORDS_FILE)).read_text(encoding="utf-8").splitlines()
            dictionary = (directory / meta.get("dict_file", DICT_FILE)).read_bytes()
        except OSError as exc:
            raise ModelError(f"{directory}: cannot read the tokenizer's dictionary ({exc.strerror})") from None
        return cls(config, words, dictionary)


def prepare(text: str) -> Message:
    """A fresh message for ``text``: control characters blanked, normalised and Mandarin copies attached."""
    cleaned = clean(text)
    return Message(text=cleaned, norm=normalize(cleaned), canon=to_mandarin(cleaned))
