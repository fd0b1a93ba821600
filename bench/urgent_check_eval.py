"""The safety check, measured: real emergencies must alarm at once, in any conversation.

Usage: python bench/urgent_check_eval.py [--show] [--open-only]

A classifier-only urgent guess (no urgent rule fires) that the conversation reads calmly (a
progress report or question on the open tutorial step, an answer to a pending yes/no question,
words of loneliness or worry) is answered as the conversation expects and followed by the short
safety check (您现在安全吗？) instead of an alarm (docs/safety.md). This script counts, over the
urgent messages of the urgent sets that the NLU reads as urgent, how many would NOT raise an
alarm (an urgent help request) in each of these conversations:

- first:    the first message of a new person;
- tutorial: inside a calm tutorial (every step of a few tutorials; a message counts once if it
            fails at any step);
- pending:  while a deletion question (确定要删除…？) waits for its answer;
- mood:     right after loneliness was answered.

The target is 0 everywhere. It also counts the other side: the not-urgent messages the NLU reads
as urgent (the false alarms of the open sets) that get the check instead of an alarm as a first
message and inside a tutorial. Only totals are printed; ``--show`` lists the open set's messages
(never a blind set's).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from _common import ROOT, project_settings

from bot.flows import load_flows
from dialogues.manager import DialogueManager, new_state
from dialogues.skills.urgent import check
from nlu.pipeline import load_pipeline, train_model
from nlu.training_data import load_training_data

OPEN = "urgent_eval.jsonl"
BLIND = ("urgent_eval_blind.jsonl", "urgent_eval_fresh.jsonl")  # read here, never printed
TUTORIALS = ("grocery_duoduo", "grocery_xiaoxiang", "grocery_hema", "open_shop_tutorial")


class NoKnowledge:
    """No knowledge base: what is measured is whether an alarm is raised, not the answer's words."""

    def search(self, *a: Any, **k: Any) -> list[Any]:
        return []

    by_intent = by_kind = search

    def get(self, *a: Any, **k: Any) -> None:
        return None

    def asks(self) -> dict[str, Any]:
        return {}


def states(manager: DialogueManager) -> dict[str, list[dict[str, Any] | None]]:
    """The conversations each message is tried in."""
    tutorial = []
    for flow_id in TUTORIALS:
        for step in range(len(manager.flows[flow_id].steps)):
            st = new_state()
            st.update(flow=flow_id, step=step, topic={"intent": "grocery_order"}, turns=3)
            tutorial.append(st)
    pending = new_state()
    pending.update(pending={"type": "confirm_delete"}, turns=2)
    mood = new_state()
    mood.update(wellbeing={"mood": "lonely", "turn": 2, "offered": True}, turns=2)
    return {"first": [None], "tutorial": tutorial, "pending": [pending], "mood": [mood]}


def alarms(manager: DialogueManager, state: dict[str, Any] | None, parsed: Any, text: str) -> bool:
    """True when the message raises an urgent help request in this state."""
    copy = None if state is None else json.loads(json.dumps(state))
    turn = manager.advance(copy, parsed, text)
    return any(e["type"] == "help_request" and e["priority"] == "urgent" for e in turn.events)


def measure(manager: DialogueManager, pipeline: Any, texts: list[str]) -> tuple[int, int, dict[str, list[str]]]:
    """(messages read as urgent, of them classifier-only, {state: the messages that did not alarm})."""
    tried = states(manager)
    parsed = [p for p in pipeline.parse_batch(texts) if p.capability == "urgent"]
    only = sum(not check.rule_fired(p, p.text) for p in parsed)
    quiet: dict[str, list[str]] = {name: [] for name in tried}
    for p in parsed:
        for name, sts in tried.items():
            if not all(alarms(manager, st, p, p.text) for st in sts):
                quiet[name].append(p.text)
    return len(parsed), only, quiet


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--show", action="store_true", help="list the open set's messages (never a blind set's)")
    ap.add_argument("--open-only", action="store_true", help="skip the blind sets (while working on the rule)")
    args = ap.parse_args()
    settings = project_settings()
    train_model(settings)
    pipeline = load_pipeline(settings)
    flows = load_flows(settings.flows_dir, set(pipeline.capabilities))
    manager = DialogueManager(flows, NoKnowledge(), 2, urgent_episode_turns=8, urgent_episode_minutes=60,
                              urgent_check_below=float(settings.dialogue["urgent_check_below"]))
    bench = ROOT / "bench"

    def rows(name: str) -> list[dict[str, Any]]:
        return [json.loads(x) for x in (bench / name).read_text(encoding="utf-8").splitlines() if x.strip()]

    must_fire = [x.strip() for x in (ROOT / "tests" / "data" / "urgent_must_fire.txt").read_text(encoding="utf-8")
                 .splitlines() if x.strip()]
    training = load_training_data(ROOT / "nlu" / "data")
    sets = {OPEN: [r["text"] for r in rows(OPEN) if r["urgent"]], "urgent_must_fire.txt": must_fire,
            "nlu/data urgent examples": [e.text for e in training.examples if e.intent.startswith("urgent_")]}
    sets.update({name: [r["text"] for r in rows(name) if r["urgent"]] for name in BLIND
                 if (bench / name).is_file() and not args.open_only})
    print("urgent messages the NLU reads as urgent that raise NO alarm (target 0 everywhere)")
    print(f"{'set':26s} {'urgent':>6s} {'read':>5s} {'clf-only':>8s} {'first':>6s} {'tutorial':>8s} {'pending':>7s} "
          f"{'mood':>5s}")
    for name, texts in sets.items():
        n, only, quiet = measure(manager, pipeline, texts)
        print(f"{name:26s} {len(texts):6d} {n:5d} {only:8d} {len(quiet['first']):6d} {len(quiet['tutorial']):8d} "
              f"{len(quiet['pending']):7d} {len(quiet['mood']):5d}")
        if args.show and name in (OPEN, "urgent_must_fire.txt", "nlu/data urgent examples"):
            for state, missed in quiet.items():
                for text in missed:
                    print(f"  [{state}] {text}")
    calm = [r["text"] for r in rows(OPEN) if not r["urgent"]]
    calm += [x.strip() for x in (ROOT / "tests" / "data" / "not_urgent_lookalikes.txt").read_text(encoding="utf-8")
             .splitlines() if x.strip()]
    n, only, quiet = measure(manager, pipeline, calm)
    print(f"\nnot-urgent messages of the open sets ({len(calm)}): {n} read as urgent ({only} by the classifier only); "
          f"get the check instead of an alarm: first message {len(quiet['first'])}, in a tutorial (some step) "
          f"{len(quiet['tutorial'])}, with a deletion pending {len(quiet['pending'])}, after a mood {len(quiet['mood'])}")
    if args.show:
        for state, missed in quiet.items():
            for text in missed:
                print(f"  [{state}] {text}")


if __name__ == "__main__":
    main()
