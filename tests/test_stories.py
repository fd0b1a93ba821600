"""Conversation tests written as YAML stories (tests/stories/*.yml).

A story is a list of turns. ``user`` is what the person types (a button label or its number
works too); ``bot`` lists what must hold afterwards: ``flow``/``step`` (1-based, or null when
no tutorial is active), ``slots``, ``contains`` (words that must appear in the replies),
``not_contains``, ``buttons`` (labels that must be offered), ``intent``, ``handoff`` (priority).
``restart: true`` rebuilds the engine on the same database, as a process restart would.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.models import IncomingMessage

STORIES = sorted((Path(__file__).parent / "stories").glob("*.yml"))


def _load() -> list[tuple[str, list[dict[str, Any]]]]:
    out = []
    for path in STORIES:
        for story in yaml.safe_load(path.read_text(encoding="utf-8"))["stories"]:
            out.append((f"{path.stem}: {story['story']}", story["steps"]))
    return out


@pytest.mark.parametrize(("name", "steps"), _load(), ids=[n for n, _ in _load()])
def test_story(name, steps, make_engine):
    engine = make_engine()
    user = "story-user"
    for i, turn in enumerate(steps, 1):
        if turn.get("restart"):
            engine = make_engine()
            continue
        if "user_id" in turn:
            user = turn["user_id"]
        out = engine.handle(IncomingMessage(user_id=user, text=turn["user"]))
        expect = turn.get("bot") or {}
        where = f"{name}, turn {i} ({turn['user']!r})"
        text = "\n".join(r.text for r in out.replies)
        buttons = [b for r in out.replies for b in r.buttons]
        state = engine.store.load_state(user) or {}
        assert out.replies, f"{where}: no reply"
        if "intent" in expect:
            assert out.intent == expect["intent"], f"{where}: intent {out.intent}"
        if "flow" in expect:
            assert state.get("flow") == expect["flow"], f"{where}: flow {state.get('flow')}\n{text}"
        if "step" in expect:
            assert state.get("step", 0) + 1 == expect["step"], f"{where}: step {state.get('step', 0) + 1}\n{text}"
        for key, value in (expect.get("slots") or {}).items():
            assert state["slots"].get(key) == value, f"{where}: slot {key}={state['slots'].get(key)}"
        for word in expect.get("contains") or []:
            assert str(word) in text, f"{where}: {word!r} not in reply:\n{text}"
        for word in expect.get("not_contains") or []:
            assert str(word) not in text, f"{where}: {word!r} should not be in reply:\n{text}"
        for label in expect.get("buttons") or []:
            assert label in buttons, f"{where}: button {label!r} not in {buttons}"
        if "handoff" in expect:
            got = out.handoff["priority"] if out.handoff else None
            assert got == expect["handoff"], f"{where}: handoff {out.handoff}"


def _tutorials():
    from bot.config import load_config
    from bot.flows import load_flows

    return sorted(load_flows(load_config().flows_dir).values(), key=lambda f: f.id)


def unglossed(text: str) -> str:
    """The text without the short explanations residents get after a word the first time (plain_words)."""
    from dialogues.texts import JARGON

    for meaning in JARGON.values():
        text = text.replace(f"（{meaning}）", "")
    return text


@pytest.mark.parametrize("flow", _tutorials(), ids=lambda f: f.id)
def test_every_tutorial_happy_path_and_navigation(flow, make_engine):
    """Start each tutorial from a button, walk it with 下一步 to the end, navigating on the way."""
    engine = make_engine()
    state = {"flow": None, "buttons": {"开始": {"flow": flow.id}}}
    engine.store.save_turn("walker", "test", state, {"text": ""}, [])
    out = engine.handle(IncomingMessage(user_id="walker", text="开始"))
    assert f"共{len(flow.steps)}步" in out.replies[-1].text
    seen = [out.replies[-1].text]
    for n in range(2, len(flow.steps) + 1):
        out = engine.handle(IncomingMessage(user_id="walker", text="下一步"))
        assert out.replies[-1].text.startswith(f"第{n}步"), out.replies[-1].text
        seen.append(out.replies[-1].text)
        if n == 2:
            back = engine.handle(IncomingMessage(user_id="walker", text="上一步")).replies[-1].text
            assert back.startswith("第1步")
            # The same step again (a word explained to a resident the first time is not explained twice).
            assert unglossed(engine.handle(IncomingMessage(user_id="walker", text="下一步")).replies[-1].text) \
                == unglossed(seen[1])
            again = engine.handle(IncomingMessage(user_id="walker", text="再说一遍")).replies[-1].text
            assert unglossed(again) == unglossed(seen[1])
            simpler = engine.handle(IncomingMessage(user_id="walker", text="没看懂")).replies[-1].text
            assert simpler.startswith("第2步") or "社工" in simpler
    end = engine.handle(IncomingMessage(user_id="walker", text="下一步"))
    assert "再学一遍" in [b for r in end.replies for b in r.buttons]
    assert engine.store.load_state("walker")["flow"] is None
