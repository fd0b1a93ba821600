"""Builders for small configs and training data used across tests."""

from __future__ import annotations

from pathlib import Path

from bot.config import PROJECT_ROOT

MINI_DATA = """version: "3.1"
nlu:
- intent: grocery_order
  metadata:
    capability: teach
  examples: |
    - 我想在手机上买菜
    - 怎么用[多多买菜](platform)买[鸡蛋](product)
    - 教我网上买菜
    - 买菜咋弄
    - 手机买菜怎么买
    - 网上怎么买菜啊
- intent: greet
  metadata: {capability: smalltalk}
  examples: |
    - 你好
    - 在吗
    - 早上好
    - 您好啊
    - 哈喽
    - 你好呀
- intent: urgent_scam
  metadata: {capability: urgent}
  examples: |
    - 有人要我的验证码
    - 客服让我转账到安全账户
    - 警察打电话说我洗钱
    - 中奖了要先交钱
    - 对方让我开屏幕共享
    - 刷单返利让我先垫钱
- synonym: 拼多多
  examples: |
    - 拼夕夕
- lookup: platform
  examples: |
    - 拼多多
    - 拼夕夕
    - 多多买菜
- lookup: region
  examples: |
    - 成都
- regex: money
  examples: |
    - \\d+(?:块|元)
"""

CONFIG_TEMPLATE = """recipe: default.v1
language: zh
pipeline:
  - name: JiebaTokenizer
    dictionary_path: {dictionary}
  - name: CharNgramFeaturizer
  - name: WordNgramFeaturizer
  - name: PinyinFeaturizer
  - name: LinearIntentClassifier
    calibration_folds: 2
  - name: RegexEntityExtractor
  - name: EntitySynonymMapper
  - name: FallbackClassifier
    threshold: 0.3
nlu:
  training_data: data
  model_dir: model
"""


def write_project(root: Path, config: str | None = None, data: str = MINI_DATA) -> Path:
    """A tiny Linli project (config + data) under ``root``; returns the config path."""
    (root / "data").mkdir(parents=True, exist_ok=True)
    (root / "data" / "nlu.yml").write_text(data, encoding="utf-8")
    cfg = root / "config.yml"
    text = config if config is not None else CONFIG_TEMPLATE
    cfg.write_text(text.format(dictionary=PROJECT_ROOT / "nlu" / "dictionaries"), encoding="utf-8")
    return cfg


def chat(engine, *texts: str, user: str = "u") -> list[tuple[str, str]]:
    """Send ``texts`` in turn as one person; (capability, all reply texts) per message."""
    from bot.models import IncomingMessage

    out = []
    for text in texts:
        got = engine.handle(IncomingMessage(channel="cli", chat_id=user, user_id=user, text=text))
        out.append((got.capability, "\n".join(r.text for r in got.replies)))
    return out
