"""Train Linli's NLU pipeline on SMP2017-ECDT task 1 and report accuracy and macro-F1.

Usage:
    python bench/smp2017.py [DATA_DIR] [--set Component.key=value ...] [--set -Component]

DATA_DIR defaults to ../shared/benchmarks/smp2017_ecdt_task1 beside the repository. Trains
on train+dev (as the evaluation allowed) and scores the official test split, using exactly
the pipeline in config.yml unless overridden. Scores the classifier's top intent (before
the fallback), as the published results do.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from _common import ROOT, describe, peak_rss_mb, project_settings, with_overrides

from nlu.pipeline import Pipeline
from nlu.training_data import Example, TrainingData

DEFAULT_DIR = ROOT.parent / "shared" / "benchmarks" / "smp2017_ecdt_task1"


def read_jsonl(path: Path) -> list[Example]:
    """Examples from a {"text", "label"} JSONL file."""
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [Example(text=r["text"], intent=r["label"]) for r in rows]


def load_smp(data_dir: Path) -> tuple[TrainingData, list[Example]]:
    """SMP2017 train+dev as training data (one placeholder capability) and the official test split."""
    if not (data_dir / "train.jsonl").is_file():
        raise SystemExit(f"SMP2017 data not found in {data_dir} (expected train.jsonl, dev.jsonl, test.jsonl)")
    train = read_jsonl(data_dir / "train.jsonl") + read_jsonl(data_dir / "dev.jsonl")
    labels = sorted({e.intent for e in train})
    data = TrainingData(examples=train, intent_metadata={lbl: {"capability": "out_of_scope"} for lbl in labels})
    return data, read_jsonl(data_dir / "test.jsonl")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("data_dir", nargs="?", default=str(DEFAULT_DIR))
    ap.add_argument("--set", action="append", default=[], metavar="Component.key=value")
    ap.add_argument("--config", default=None)
    args = ap.parse_args()
    from sklearn.metrics import accuracy_score, f1_score

    data, test = load_smp(Path(args.data_dir))

    settings = with_overrides(project_settings(args.config), args.set)
    pipeline = Pipeline.from_settings(settings)
    t0 = time.perf_counter()
    pipeline.train(data)
    train_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    results = pipeline.parse_batch([e.text for e in test])
    parse_s = time.perf_counter() - t0
    pred = [r.ranking[0][0] if r.ranking else "" for r in results]
    gold = [e.intent for e in test]
    print(f"SMP2017-ECDT task 1: train+dev={len(data.examples)} test={len(test)} labels={len(data.intents)}")
    print(f"pipeline: {describe(settings)}")
    print(f"accuracy        {accuracy_score(gold, pred):.4f}")
    print(f"macro-F1        {f1_score(gold, pred, average='macro'):.4f}")
    print(f"training time   {train_s:.1f} s")
    print(f"parse time      {parse_s / len(test) * 1000:.2f} ms/message (batch)")
    print(f"peak RSS        {peak_rss_mb():.0f} MB")


if __name__ == "__main__":
    main()
