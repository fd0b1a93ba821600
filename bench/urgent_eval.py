"""Urgent detection, measured: recall must be 1.0; false alarms as few as possible.

Usage: python bench/urgent_eval.py [--data bench/urgent_eval.jsonl] [--show]

The labelled set (bench/urgent_eval.jsonl) was written separately from the training data:
urgent messages (scam in progress, self-harm, medical, abuse, missing person) and
non-urgent messages that sound similar (logging in with a 验证码, refunds, scam-avoidance
questions, 累死了, a lost cat, ...). Reports each layer alone and both together, per category.
"""

from __future__ import annotations

import argparse
import json
from collections import Counter, defaultdict
from pathlib import Path

from _common import ROOT, project_settings

from nlu.fallback import FallbackClassifier
from nlu.pipeline import load_pipeline, train_model
from nlu.rules import UrgentRuleDetector


SMP_DIR = ROOT.parent / "shared" / "benchmarks" / "smp2017_ecdt_task1"
SMP_TARGET = 0.003  # issue 14: at most 0.3 % of SMP2017 train+dev may come back urgent


def smp_check(pipeline: object, data_dir: Path, show: bool) -> None:
    """Everyday voice-assistant requests (weather, music, QQ, stocks, health questions): none is urgent."""
    if not (data_dir / "train.jsonl").is_file():
        print(f"\nSMP2017 negative check skipped: no train.jsonl in {data_dir}")
        return
    texts = [json.loads(x)["text"] for name in ("train.jsonl", "dev.jsonl")
             for x in (data_dir / name).read_text(encoding="utf-8").splitlines() if x.strip()]
    results = pipeline.parse_batch(texts)  # type: ignore[attr-defined]
    urgent = [(t, r.intent) for t, r in zip(texts, results) if r.capability == "urgent"]
    by_intent = Counter(i for _, i in urgent)
    rate = len(urgent) / len(texts)
    verdict = "OK" if rate <= SMP_TARGET else f"above the {SMP_TARGET:.1%} target"
    print(f"\nSMP2017 train+dev, {len(texts)} everyday requests: {len(urgent)} come back urgent "
          f"({rate:.2%}; {verdict}) {dict(by_intent.most_common())}")
    if show:
        for t, i in urgent:
            print(f"  ({i}) {t}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default=str(ROOT / "bench" / "urgent_eval.jsonl"))
    ap.add_argument("--show", action="store_true", help="list every miss and false alarm")
    ap.add_argument("--smp", default=str(SMP_DIR), metavar="DIR",
                    help="SMP2017 folder: its train+dev requests are the standing negative check")
    args = ap.parse_args()
    rows = [json.loads(x) for x in Path(args.data).read_text(encoding="utf-8").splitlines() if x.strip()]
    settings = project_settings()
    train_model(settings)
    pipeline = load_pipeline(settings)
    rules = next(c for c in pipeline.components if isinstance(c, UrgentRuleDetector))
    fallback = next(c for c in pipeline.components if isinstance(c, FallbackClassifier))
    keep_urgent_from = fallback.config["protected_threshold"]
    results = pipeline.parse_batch([r["text"] for r in rows])
    from nlu.tokenizer import prepare

    by_layer: dict[str, list[bool]] = {"classifier": [], "rules": [], "combined": []}
    for r, res in zip(rows, results):
        rule_hit = rules.match_message(prepare(r["text"])) is not None
        clf_hit = any(i.startswith("urgent_") for i, c, _ in res.ranking[:1]) and not res.is_fallback or (
            res.ranking and res.ranking[0][0].startswith("urgent_") and res.ranking[0][1] >= keep_urgent_from)
        by_layer["classifier"].append(bool(clf_hit))
        by_layer["rules"].append(rule_hit)
        by_layer["combined"].append(res.capability == "urgent")
    pos = [i for i, r in enumerate(rows) if r["urgent"]]
    neg = [i for i, r in enumerate(rows) if not r["urgent"]]
    print(f"urgent evaluation set: {len(rows)} messages ({len(pos)} urgent, {len(neg)} not urgent)")
    print(f"{'layer':12s} {'recall':>8s} {'missed':>7s} {'false-urgent rate':>18s} {'false alarms':>13s}")
    for layer, hits in by_layer.items():
        missed = [i for i in pos if not hits[i]]
        false = [i for i in neg if hits[i]]
        print(f"{layer:12s} {1 - len(missed) / len(pos):8.4f} {len(missed):7d} {len(false) / len(neg):18.4f} "
              f"{len(false):13d}")
    combined = by_layer["combined"]
    print("\ncombined, per category:")
    cats: dict[str, list[int]] = defaultdict(list)
    for i, r in enumerate(rows):
        cats[(("urgent " if r["urgent"] else "not urgent ") + r["category"])].append(i)
    for cat, idx in sorted(cats.items()):
        flagged = sum(combined[i] for i in idx)
        rate = flagged / len(idx)
        label = "recall" if cat.startswith("urgent") else "false-urgent"
        print(f"  {cat:30s} {len(idx):4d}  {label} {rate:.3f}")
    smp_check(pipeline, Path(args.smp), args.show)
    if args.show:
        print("\nmissed urgent:")
        for i in pos:
            if not combined[i]:
                print(f"  [{rows[i]['category']}] {rows[i]['text']}")
        print("\nfalse alarms:")
        layer_of = Counter()
        for i in neg:
            if combined[i]:
                why = "rules" if by_layer["rules"][i] else "classifier"
                layer_of[why] += 1
                print(f"  [{rows[i]['category']}] ({why}) {rows[i]['text']}")
        print(f"  by layer: {dict(layer_of)}")


if __name__ == "__main__":
    main()
