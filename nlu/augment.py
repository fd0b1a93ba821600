"""``TrainingAugmenter``: extra training messages with the variety real messages have (issue 14).

Not near-copies: each extra message puts an example into a situation people write from (a
resident's or a merchant's introduction before it, a voice-to-text run-on without punctuation,
a 谢谢 or 🙏 after it), or swaps one character for another with the same toneless pinyin, the
typo a pinyin keyboard makes (买彩 for 买菜). The label stays the example's label. Only training
sees these messages: parsing passes through this component untouched, and cross-validation
augments the training folds only (it trains a fresh pipeline per fold).
"""

from __future__ import annotations

import random
from typing import Any, ClassVar

from bot.errors import ConfigError
from nlu.component import Component, Message
from nlu.normalize import is_cjk
from nlu.registry import register
from nlu.tokenizer import prepare
from nlu.training_data import TrainingData

# Who is writing and what they say before the question. Written for this component; they
# carry no intent of their own.
RESIDENT_INTROS = (
    "我是退休老人 孙子不在家", "嗯那个", "麻烦问一下", "我跟你说啊", "老伴不在家 我一个人弄不明白",
    "我眼睛不太好 字看不清", "闺女教过我一次又忘了", "我七十多了", "打扰一下", "你好 请问",
    "我用的是老人机换的新手机", "儿子在外地上班",
)
MERCHANT_INTROS = (
    "我是开水果店的", "我们家是做早餐的", "小店开了好几年了", "我在菜市场卖菜", "我是开小卖部的",
    "我们两口子开个小饭馆", "我是村里种橘子的", "老板问一下", "我是做社区团购的团长",
)
SUFFIXES = ("谢谢", "麻烦了", "谢谢你啊", "🙏", "急", "在线等", "辛苦了", "好吗")
KEEP_AS_IS = ("smalltalk",)  # 下一步, 好的, 你好: an introduction before them changes what they are


@register
class TrainingAugmenter(Component):
    """Adds training messages in new situations (introductions, run-ons, pinyin typos)."""

    defaults: ClassVar[dict[str, Any]] = {
        # Share of examples that get a copy with an introduction before them (and maybe a thanks after).
        "intro_share": 0.3,
        # Share of those copies written as one voice-to-text run-on (no spaces or punctuation).
        "run_on_share": 0.5,
        # Share of examples that get a copy with one character swapped for a homophone.
        "typo_share": 0.0,
        "random_seed": 42,
    }
    trainable: ClassVar[bool] = True

    @classmethod
    def validate_config(cls, params: dict[str, Any], where: str) -> dict[str, Any]:
        merged = super().validate_config(params, where)
        for key in ("intro_share", "run_on_share", "typo_share"):
            if not 0.0 <= merged[key] <= 1.0:
                raise ConfigError(f"{where}.{key}: must be between 0 and 1, got {merged[key]}")
        return merged

    def train(self, data: TrainingData, messages: list[Message]) -> None:
        rng = random.Random(self.config["random_seed"])
        caps = data.capabilities()
        homophones = _homophones(data) if self.config["typo_share"] > 0 else {}
        extra: list[Message] = []
        for m in list(messages):
            if m.intent is None or caps.get(m.intent) in KEEP_AS_IS:
                continue
            if rng.random() < self.config["intro_share"]:
                intros = MERCHANT_INTROS if caps.get(m.intent) in ("marketing", "tool") else RESIDENT_INTROS
                parts = [rng.choice(intros), m.text]
                if rng.random() < 0.3:
                    parts.append(rng.choice(SUFFIXES))
                sep = "" if rng.random() < self.config["run_on_share"] else " "
                extra.append(_message(sep.join(parts), m.intent))
            if homophones and rng.random() < self.config["typo_share"]:
                typo = _typo(m.text, homophones, rng)
                if typo != m.text:
                    extra.append(_message(typo, m.intent))
        messages.extend(extra)

    def process(self, message: Message) -> None:
        """Parsing is untouched: augmentation is for training only."""


def _message(text: str, intent: str) -> Message:
    m = prepare(text)
    m.intent = intent
    return m


def _homophones(data: TrainingData) -> dict[str, list[str]]:
    """Character -> other characters of the training data with the same toneless pinyin."""
    from pypinyin import lazy_pinyin

    by_sound: dict[str, set[str]] = {}
    chars = {c for ex in data.examples for c in ex.text if is_cjk(c)}
    for c in chars:
        by_sound.setdefault(lazy_pinyin(c)[0], set()).add(c)
    return {c: sorted(group - {c}) for group in by_sound.values() for c in group if len(group) > 1}


def _typo(text: str, homophones: dict[str, list[str]], rng: random.Random) -> str:
    spots = [i for i, c in enumerate(text) if c in homophones]
    if not spots:
        return text
    i = rng.choice(spots)
    return text[:i] + rng.choice(homophones[text[i]]) + text[i + 1 :]
