"""Compare pipeline variants by measurement: 5-fold CV on the training data, the held-out set,
and (if present) the SMP2017 public benchmark.

Usage:
    python bench/choose_classifier.py [--folds 5] [--no-smp] [--variant "name: Comp.key=v, -Comp"]...

Without --variant, runs the built-in list below. Prints one row per variant.
"""

from __future__ import annotations

import argparse
import time

from _common import ROOT, project_settings, with_overrides
from smp2017 import DEFAULT_DIR, read_jsonl

from nlu.evaluate import _predict, build_report, cross_validate
from nlu.pipeline import Pipeline
from nlu.training_data import TrainingData, load_training_data

VARIANTS = {
    "config.yml as is": [],
    # Uncalibrated to keep the run short (each logistic-regression fit takes ~15 s here).
    "logistic regression C=10": [
        "LinearIntentClassifier.model=logistic_regression",
        "LinearIntentClassifier.C=10",
        "LinearIntentClassifier.calibration=none",
    ],
    "linear SVM C=0.3": ["LinearIntentClassifier.C=0.3"],
    "no pinyin": ["-PinyinFeaturizer"],
    "no word n-grams": ["-WordNgramFeaturizer"],
    "chars only": ["-PinyinFeaturizer", "-WordNgramFeaturizer"],
    "char 1-3": ["CharNgramFeaturizer.max_ngram=3"],
    "pinyin exact (no fuzzy)": ["PinyinFeaturizer.fuzzy=false"],
    "full jieba dictionary": ["JiebaTokenizer.min_word_freq=0"],
}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--no-smp", action="store_true")
    ap.add_argument("--variant", action="append", default=[])
    args = ap.parse_args()
    variants = VARIANTS
    if args.variant:
        variants = {}
        for v in args.variant:
            name, _, spec = v.partition(":")
            variants[name.strip()] = [s.strip() for s in spec.split(",") if s.strip()]
    base = project_settings()
    data = load_training_data(base.training_data)
    held = load_training_data(ROOT / "tests" / "heldout" / "heldout.yml")
    smp = None
    if not args.no_smp and (DEFAULT_DIR / "train.jsonl").is_file():
        tr = read_jsonl(DEFAULT_DIR / "train.jsonl") + read_jsonl(DEFAULT_DIR / "dev.jsonl")
        smp = (TrainingData(examples=tr, intent_metadata={e.intent: {"capability": "out_of_scope"} for e in tr}),
               read_jsonl(DEFAULT_DIR / "test.jsonl"))
    print(f"{'variant':28s} {'cv intent':>9s} {'cv cap':>7s} {'held int':>8s} {'held cap':>8s} "
          f"{'urg rec':>7s} {'ECE':>6s} {'train s':>7s} {'smp acc':>7s} {'smp F1':>6s}")
    for name, overrides in variants.items():
        s = with_overrides(base, overrides)
        cv = cross_validate(s, data, args.folds)
        p = Pipeline.from_settings(s)
        t0 = time.perf_counter()
        p.train(data)
        train_s = time.perf_counter() - t0
        hr = build_report("held-out", _predict(p, held.examples, data.capabilities()))
        smp_acc = smp_f1 = float("nan")
        if smp:
            from sklearn.metrics import accuracy_score, f1_score

            ps = Pipeline.from_settings(s)
            ps.train(smp[0])
            pred = [r.ranking[0][0] for r in ps.parse_batch([e.text for e in smp[1]])]
            gold = [e.intent for e in smp[1]]
            smp_acc, smp_f1 = accuracy_score(gold, pred), f1_score(gold, pred, average="macro")
        print(
            f"{name:28s} {cv.intent_report['accuracy']:9.4f} {cv.capability_report['accuracy']:7.4f} "
            f"{hr.intent_report['accuracy']:8.4f} {hr.capability_report['accuracy']:8.4f} "
            f"{hr.capability_report['urgent']['recall']:7.4f} {hr.calibration['ece']:6.3f} {train_s:7.1f} "
            f"{smp_acc:7.4f} {smp_f1:6.4f}",
            flush=True,
        )


if __name__ == "__main__":
    main()
