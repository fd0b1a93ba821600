"""Sparse TF-IDF featurizers: character n-grams, jieba word n-grams and pinyin n-grams.

Vocabulary and IDF are learned here with plain Python and saved as JSON + NumPy, so a
loaded model needs neither scikit-learn nor pickle at parse time (that keeps cold start low).
Pinyin features let a homophone typo (买彩 for 买菜) read like the intended word.
"""

from __future__ import annotations

import json
import math
import re
import unicodedata
from collections import Counter
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
from scipy import sparse

from bot.errors import ModelError
from nlu.component import Component, Message
from nlu.registry import register
from nlu.training_data import TrainingData

VOCAB_FILE = "vocab.json"
IDF_FILE = "idf.npy"


def _keep(c: str) -> bool:
    cat = unicodedata.category(c)
    return not (cat.startswith("P") or cat.startswith("Z") or cat in ("Cc", "Cf"))


def _reading(message: Message) -> str:
    """The text featurizers read: the Mandarin reading (dialect words replaced), else the normalised text."""
    return message.canon or message.norm


def content_chars(text: str) -> str:
    """The text without punctuation and spaces, digits folded to 0."""
    return "".join("0" if c.isdigit() else c for c in text if _keep(c))


class NgramFeaturizer(Component):
    """Shared TF-IDF machinery; subclasses say which grams a message has."""

    defaults: ClassVar[dict[str, Any]] = {
        "min_ngram": 1,
        "max_ngram": 3,
        "min_df": 1,  # drop grams seen in fewer training examples
        "max_features": 0,  # keep the most frequent N grams; 0 keeps all
        "sublinear_tf": True,  # 1 + log(tf), as scikit-learn's TfidfVectorizer(sublinear_tf=True)
    }
    trainable: ClassVar[bool] = True

    def __init__(self, config: dict[str, Any], vocab: dict[str, int] | None = None, idf: Any = None) -> None:
        super().__init__(config)
        self.vocab: dict[str, int] = vocab or {}
        self.idf = idf if idf is not None else np.zeros(0, dtype=np.float32)

    @classmethod
    def validate_config(cls, params: dict[str, Any], where: str) -> dict[str, Any]:
        merged = super().validate_config(params, where)
        from bot.errors import ConfigError

        if not 1 <= merged["min_ngram"] <= merged["max_ngram"] <= 8:
            raise ConfigError(f"{where}: need 1 <= min_ngram <= max_ngram <= 8")
        return merged

    @property
    def size(self) -> int:
        """Number of features this featurizer produces."""
        return len(self.vocab)

    def grams(self, message: Message) -> list[str]:
        """The n-grams of one message (subclasses)."""
        raise NotImplementedError

    def _ngrams(self, units: list[str], sep: str) -> list[str]:
        lo, hi = self.config["min_ngram"], self.config["max_ngram"]
        out = []
        n_units = len(units)
        for n in range(lo, hi + 1):
            for i in range(n_units - n + 1):
                out.append(sep.join(units[i : i + n]))
        return out

    def train(self, data: TrainingData, messages: list[Message]) -> None:
        df: Counter[str] = Counter()
        for m in messages:
            df.update(set(self.grams(m)))
        items = [(g, c) for g, c in df.items() if c >= self.config["min_df"]]
        if self.config["max_features"] > 0:
            items = sorted(items, key=lambda gc: (-gc[1], gc[0]))[: self.config["max_features"]]
        items.sort()
        self.vocab = {g: i for i, (g, _) in enumerate(items)}
        n = len(messages)
        self.idf = np.array([math.log((1 + n) / (1 + c)) + 1.0 for _, c in items], dtype=np.float32)
        self.process_batch(messages)

    def transform(self, messages: list[Message]) -> sparse.csr_matrix:
        """TF-IDF rows (L2-normalised) for messages."""
        indptr = [0]
        indices: list[int] = []
        data: list[float] = []
        vocab, idf, sub = self.vocab, self.idf, self.config["sublinear_tf"]
        for m in messages:
            counts = Counter(j for j in (vocab.get(g) for g in self.grams(m)) if j is not None)
            row = [(j, (1.0 + math.log(c) if sub else float(c)) * float(idf[j])) for j, c in counts.items()]
            norm = math.sqrt(sum(v * v for _, v in row)) or 1.0
            for j, v in sorted(row):
                indices.append(j)
                data.append(v / norm)
            indptr.append(len(indices))
        return sparse.csr_matrix(
            (np.array(data, dtype=np.float32), np.array(indices, dtype=np.int32), np.array(indptr, dtype=np.int32)),
            shape=(len(messages), len(vocab)),
        )

    def process_batch(self, messages: list[Message]) -> None:
        x = self.transform(messages)
        for i, m in enumerate(messages):
            m.features[self.name] = x[i]

    def process(self, message: Message) -> None:
        message.features[self.name] = self.transform([message])

    def persist(self, directory: Path) -> dict[str, Any]:
        terms = [""] * len(self.vocab)
        for g, i in self.vocab.items():
            terms[i] = g
        (directory / VOCAB_FILE).write_text(json.dumps(terms, ensure_ascii=False), encoding="utf-8")
        np.save(directory / IDF_FILE, self.idf)
        return {"vocab_size": len(terms)}

    @classmethod
    def load(cls, config: dict[str, Any], directory: Path, meta: dict[str, Any], base_dir: Path) -> Component:
        try:
            terms = json.loads((directory / VOCAB_FILE).read_text(encoding="utf-8"))
            idf = np.load(directory / IDF_FILE)
        except (OSError, ValueError) as exc:
            raise ModelError(f"{directory}: featurizer files are unreadable ({exc})") from None
        return cls(config, {g: i for i, g in enumerate(terms)}, idf)


@register
class CharNgramFeaturizer(NgramFeaturizer):
    """Character n-grams of the normalised text, with start/end markers (robust to typos and segmentation)."""

    defaults: ClassVar[dict[str, Any]] = {**NgramFeaturizer.defaults, "max_ngram": 4, "max_chars": 500}

    def grams(self, message: Message) -> list[str]:
        s = content_chars(_reading(message)[: self.config["max_chars"]])
        return self._ngrams(["^", *s, "$"], "") if s else []


CLAUSE_SPLIT = re.compile(r"[\s,，。.!！?？;；、~～…]+")
# Words that start the question in a long story (issue 14: 卖不动 到底从哪下手).
QUESTION_CUE = re.compile(
    r"怎么|怎样|咋|如何|吗|么|呢|啥|什么|哪|谁|几|多少|能不能|可不可以|可以吗|行不行|要不要|该不该|值不值|"
    r"有没有|是不是|算不算|为什么|为啥|教我|帮我|请问|想问|想知道|求|办法|建议|下手|入手|开始|\?|？")
QUESTION_START = re.compile(r"想问|请问|问一下|问问|我想知道|想知道|不知道|到底|你说|怎么|咋|如何|能不能|可不可以|"
                            r"要不要|有没有|是不是|该不该|值不值|还能|有什么|有啥")


def question_clause(text: str, min_chars: int = 30, max_chars: int = 30) -> str:
    """The part of a long message that asks the question: the last clause with a question word.

    Short messages (fewer than ``min_chars`` content characters) are returned whole. In a long
    story the question usually comes last (…卖不动 到底从哪下手), so the focus is the last clause
    with a question word (or the last clause), widened to the clause before when very short,
    and cut to start at the question word when a run-on has no punctuation.
    """
    if len(content_chars(text)) < min_chars:
        return text
    clauses = [c for c in CLAUSE_SPLIT.split(text) if content_chars(c)]
    if not clauses:
        return text
    cued = [i for i, c in enumerate(clauses) if QUESTION_CUE.search(c)]
    i = cued[-1] if cued else len(clauses) - 1
    focus = clauses[i]
    while len(content_chars(focus)) < 8 and i > 0:
        i -= 1
        focus = clauses[i] + " " + focus
    if len(focus) > max_chars:
        starts = list(QUESTION_START.finditer(focus))
        if starts:
            focus = focus[starts[-1].start():] if len(focus) - starts[-1].start() >= 6 else focus[-max_chars:]
        focus = focus[-max_chars:]
    return focus


@register
class QuestionCharNgramFeaturizer(NgramFeaturizer):
    """Character n-grams of the question clause of a long message (the whole text when short).

    A long run-on's question is diluted among its story in the other features; this block keeps
    it at full weight (issue 14: long messages handled by locating the question clause).
    """

    defaults: ClassVar[dict[str, Any]] = {**NgramFeaturizer.defaults, "max_ngram": 3, "min_chars": 30,
                                          "clause_chars": 30}

    def grams(self, message: Message) -> list[str]:
        focus = question_clause(_reading(message)[:500], self.config["min_chars"], self.config["clause_chars"])
        s = content_chars(focus)
        return self._ngrams(["^", *s, "$"], "") if s else []


@register
class WordNgramFeaturizer(NgramFeaturizer):
    """jieba word unigrams and bigrams (needs JiebaTokenizer earlier in the pipeline)."""

    defaults: ClassVar[dict[str, Any]] = {**NgramFeaturizer.defaults, "max_ngram": 2}

    def grams(self, message: Message) -> list[str]:
        words = [w for w in (content_chars(t.text) for t in message.tokens) if w]
        return self._ngrams(words, " ")


_FUZZY_INITIALS = (("zh", "z"), ("ch", "c"), ("sh", "s"))
_FUZZY_FINALS = (("ing", "in"), ("eng", "en"), ("ang", "an"))


def _fuzzy(syllable: str) -> str:
    for a, b in _FUZZY_INITIALS:
        if syllable.startswith(a):
            syllable = b + syllable[len(a) :]
            break
    if syllable.startswith("n"):
        syllable = "l" + syllable[1:]
    for a, b in _FUZZY_FINALS:
        if syllable.endswith(a):
            syllable = syllable[: -len(a)] + b
            break
    return syllable


PINYIN_FILE = "pinyin.json"
CJK_RANGES = ((0x4E00, 0x9FFF), (0x3400, 0x4DBF))


def pinyin_table() -> dict[str, str]:
    """Toneless pinyin (most common reading) of every CJK character, from pypinyin."""
    from pypinyin import lazy_pinyin

    table = {}
    for lo, hi in CJK_RANGES:
        for code in range(lo, hi + 1):
            c = chr(code)
            py = lazy_pinyin(c)
            if py and py[0] != c:
                table[c] = py[0]
    return table


@register
class PinyinFeaturizer(NgramFeaturizer):
    """Toneless pinyin syllable n-grams of the Chinese characters, so homophone typos still match.

    The character-to-pinyin table is saved with the model, so parsing does not import pypinyin
    (its phrase dictionary costs a third of a second at start-up).
    """

    defaults: ClassVar[dict[str, Any]] = {
        **NgramFeaturizer.defaults,
        "max_ngram": 3,
        "max_chars": 200,
        # Merge sounds that dialect speakers and pinyin typists confuse (zh/z, ch/c, sh/s, n/l, -ng/-n).
        "fuzzy": True,
    }

    def __init__(
        self,
        config: dict[str, Any],
        vocab: dict[str, int] | None = None,
        idf: Any = None,
        table: dict[str, str] | None = None,
    ) -> None:
        super().__init__(config, vocab, idf)
        self.table = table or {}
        self._syllables: frozenset[str] | None = None

    def train(self, data: TrainingData, messages: list[Message]) -> None:
        if not self.table:
            self.table = pinyin_table()
        super().train(data, messages)

    def _split_latin(self, word: str) -> list[str]:
        """Split typed pinyin (``zenmemaicai``) into syllables; [] if it is not pinyin."""
        if self._syllables is None:
            self._syllables = frozenset(self.table.values())
        out, i = [], 0
        while i < len(word):
            for n in range(min(6, len(word) - i), 0, -1):
                if word[i : i + n] in self._syllables:
                    out.append(word[i : i + n])
                    i += n
                    break
            else:
                return []
        return out

    def grams(self, message: Message) -> list[str]:
        table = self.table
        syllables: list[str] = []
        latin = ""
        for c in _reading(message)[: self.config["max_chars"]] + " ":
            if "a" <= c <= "z":
                latin += c
                continue
            if latin:
                # People who cannot type Chinese sometimes write pinyin: "zenme mai cai".
                syllables += self._split_latin(latin)
                latin = ""
            if c in table:
                syllables.append(table[c])
        if self.config["fuzzy"]:
            syllables = [_fuzzy(s) for s in syllables]
        return self._ngrams(syllables, "_")

    def persist(self, directory: Path) -> dict[str, Any]:
        meta = super().persist(directory)
        (directory / PINYIN_FILE).write_text(json.dumps(self.table, ensure_ascii=False), encoding="utf-8")
        return meta

    @classmethod
    def load(cls, config: dict[str, Any], directory: Path, meta: dict[str, Any], base_dir: Path) -> Component:
        base = super().load(config, directory, meta, base_dir)
        try:
            table = json.loads((directory / PINYIN_FILE).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ModelError(f"{directory}: pinyin table is unreadable ({exc})") from None
        assert isinstance(base, NgramFeaturizer)
        return cls(config, base.vocab, base.idf, table)
