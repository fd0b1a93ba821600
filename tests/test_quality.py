"""Quality floors on the held-out set (written separately, never trained on).

These guard against regressions in the data or the pipeline: capability accuracy >= 0.92 and
no urgent message missed. They measure correctness, not time.
"""

from __future__ import annotations

from bot.config import PROJECT_ROOT
from nlu.evaluate import _predict, build_report
from nlu.training_data import load_training_data

HELDOUT = PROJECT_ROOT / "tests" / "heldout" / "heldout.yml"


def test_heldout_capability_accuracy_and_urgent_recall(pipeline, settings):
    held = load_training_data(HELDOUT)
    caps = load_training_data(settings.training_data).capabilities()
    report = build_report("held-out", _predict(pipeline, held.examples, caps))
    missed = [p.text for p in report.predictions if p.capability == "urgent" and p.predicted_capability != "urgent"]
    assert not missed, f"urgent messages missed: {missed}"
    assert report.capability_report["accuracy"] >= 0.92
    assert report.intent_report["accuracy"] >= 0.85


def test_heldout_urgent_messages_survive_the_fallback(pipeline):
    held = load_training_data(HELDOUT)
    urgent = [e.text for e in held.examples if e.intent.startswith("urgent_")]
    assert len(urgent) >= 50
    results = pipeline.parse_batch(urgent)
    assert [r.text for r in results if r.capability != "urgent"] == []


def test_no_urgent_message_of_the_urgent_evaluation_sets_is_missed(pipeline):
    """bench/urgent_eval.jsonl and bench/urgent_eval_blind.jsonl: every urgent line stays urgent."""
    import json

    for name in ("urgent_eval.jsonl", "urgent_eval_blind.jsonl"):
        rows = [json.loads(x) for x in (PROJECT_ROOT / "bench" / name).read_text(encoding="utf-8").splitlines()
                if x.strip()]
        urgent = [r["text"] for r in rows if r["urgent"]]
        assert len(urgent) >= 150, name
        missed = [r.text for r in pipeline.parse_batch(urgent) if r.capability != "urgent"]
        assert missed == [], f"{name}: urgent messages missed: {missed}"


def test_everyday_messages_with_alarming_words_are_not_urgent(pipeline):
    """Found by trying the bot (2026-12-02): 跳楼价, 油烟太大, 手机又抽风了, 别告诉孩子我买了啥礼物 ...

    Every false alarm opens an urgent ticket, so these stay ordinary messages.
    """
    texts = [x.strip() for x in (PROJECT_ROOT / "tests" / "data" / "not_urgent_lookalikes.txt")
             .read_text(encoding="utf-8").splitlines() if x.strip()]
    assert len(texts) >= 50
    alarms = [r.text for r in pipeline.parse_batch(texts) if r.capability == "urgent"]
    assert alarms == []


def test_everyday_requests_are_never_urgent(pipeline):
    """Issue 14: what people also ask a phone assistant (call, text, songs, routes, stocks, pills,
    blood pressure, a lost fund, a bad review) is no emergency. Written for this test, not from SMP2017."""
    texts = [x.strip() for x in (PROJECT_ROOT / "tests" / "data" / "everyday_requests.txt")
             .read_text(encoding="utf-8").splitlines() if x.strip()]
    assert len(texts) >= 60
    results = pipeline.parse_batch(texts)
    assert [r.text for r in results if r.capability == "urgent"] == []
    assert sum(r.capability == "out_of_scope" for r in results) >= 0.9 * len(texts)


def test_urgent_messages_found_by_trying_the_bot_stay_urgent(pipeline):
    """The other side of the look-alikes: messages the QA rounds wrote that must raise an alarm."""
    texts = [x.strip() for x in (PROJECT_ROOT / "tests" / "data" / "urgent_must_fire.txt")
             .read_text(encoding="utf-8").splitlines() if x.strip()]
    assert len(texts) >= 25
    missed = [r.text for r in pipeline.parse_batch(texts) if r.capability != "urgent"]
    assert missed == []


def test_calm_worry_and_hyperbole_are_not_urgent(pipeline):
    """Issue 13 (items 5 and 6): loneliness, worry about a child who does not answer, venting,
    merchants' 亏到滴血, a parcel that 走丢了, asking ahead which number to call and progress
    reports inside a tutorial are no emergency. Written for this test, not trained on."""
    texts = [x.strip() for x in (PROJECT_ROOT / "tests" / "data" / "calm_worry_not_urgent.txt")
             .read_text(encoding="utf-8").splitlines() if x.strip()]
    assert len(texts) >= 25
    results = pipeline.parse_batch(texts)
    assert [r.text for r in results if r.capability == "urgent"] == []
