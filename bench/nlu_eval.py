"""The honest yardstick for the NLU (issue 14): messages nobody here wrote.

Usage: python bench/nlu_eval.py [--data bench/nlu_eval_blind.jsonl] [--show]

Each line of the set has ``text``, ``capability`` and, for urgent messages, ``urgent_kind``
(scam, self_harm, medical, abuse, missing, danger). It was written from scenario cards by a
helper who had not read the training data, and it is never trained on. Prints capability
accuracy (overall and per capability), urgent-kind accuracy (the intent level the set can
judge: which ``urgent_*`` intent), urgent recall and the false-urgent rate on the
non-urgent messages.
"""

from __future__ import annotations

import argparse
import json
from collections import Counter, defaultdict
from pathlib import Path

from _common import ROOT, project_settings

from nlu.pipeline import load_pipeline, train_model


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default=str(ROOT / "bench" / "nlu_eval_blind.jsonl"))
    ap.add_argument("--show", action="store_true", help="list every wrong capability")
    args = ap.parse_args()
    rows = [json.loads(x) for x in Path(args.data).read_text(encoding="utf-8").splitlines() if x.strip()]
    settings = project_settings()
    train_model(settings)
    pipeline = load_pipeline(settings)
    results = pipeline.parse_batch([r["text"] for r in rows])
    per_cap: dict[str, list[bool]] = defaultdict(list)
    confusions: Counter[tuple[str, str]] = Counter()
    for r, res in zip(rows, results):
        ok = res.capability == r["capability"]
        per_cap[r["capability"]].append(ok)
        if not ok:
            confusions[(r["capability"], res.capability)] += 1
    total = sum(ok for oks in per_cap.values() for ok in oks)
    print(f"blind NLU set: {len(rows)} messages ({args.data})")
    print(f"capability accuracy  {total / len(rows):.4f}  ({total}/{len(rows)})")
    for cap, oks in sorted(per_cap.items()):
        print(f"  {cap:14s} {sum(oks) / len(oks):.3f}  ({sum(oks)}/{len(oks)})")
    urgent = [(r, res) for r, res in zip(rows, results) if r["capability"] == "urgent"]
    calm = [(r, res) for r, res in zip(rows, results) if r["capability"] != "urgent"]
    recall = sum(res.capability == "urgent" for _, res in urgent) / max(1, len(urgent))
    false_rate = sum(res.capability == "urgent" for _, res in calm) / max(1, len(calm))
    kind_ok = sum(res.intent == f"urgent_{r['urgent_kind']}" for r, res in urgent)
    print(f"urgent recall        {recall:.4f}  ({sum(res.capability == 'urgent' for _, res in urgent)}/{len(urgent)})")
    print(f"urgent kind (intent) {kind_ok / max(1, len(urgent)):.4f}  ({kind_ok}/{len(urgent)})")
    print(f"false-urgent rate    {false_rate:.4f}  ({sum(res.capability == 'urgent' for _, res in calm)}/{len(calm)} "
          "non-urgent messages)")
    print("most frequent confusions (true -> predicted): " +
          ", ".join(f"{a}->{b} {n}" for (a, b), n in confusions.most_common(8)))
    if args.show:
        for r, res in zip(rows, results):
            if res.capability != r["capability"]:
                print(f"  [{r['capability']} -> {res.capability} / {res.intent} {res.confidence:.2f}] {r['text']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
