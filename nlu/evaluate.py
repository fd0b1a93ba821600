"""``linli nlu test``: the reports a Rasa user expects from ``rasa test nlu``.

Per-intent and per-capability precision/recall/F1, a confusion-matrix picture (SVG), the
misclassified examples, calibration (expected calibration error) and the fallback rate.
"""

from __future__ import annotations

import json
import logging
import random
from collections import defaultdict
from dataclasses import dataclass, field
from html import escape
from pathlib import Path
from typing import Any

from bot.config import Settings
from nlu.fallback import FALLBACK_INTENT
from nlu.pipeline import Pipeline, load_pipeline
from nlu.result import ParseResult
from nlu.training_data import Example, TrainingData, load_training_data

logger = logging.getLogger(__name__)


@dataclass
class Prediction:
    """One evaluated example."""

    text: str
    intent: str
    capability: str
    predicted: str  # the classifier's top intent (before fallback)
    predicted_capability: str
    confidence: float
    fallback: bool
    entities: tuple[tuple[str, int, int], ...] = ()  # annotated (entity, start, end)
    predicted_entities: tuple[tuple[str, int, int], ...] = ()  # extracted (entity, start, end)


@dataclass
class Report:
    """Evaluation results over a set of predictions."""

    mode: str
    predictions: list[Prediction] = field(default_factory=list)
    intent_report: dict[str, Any] = field(default_factory=dict)
    capability_report: dict[str, Any] = field(default_factory=dict)
    entity_report: dict[str, Any] = field(default_factory=dict)
    calibration: dict[str, Any] = field(default_factory=dict)

    def summary(self) -> str:
        """A short human-readable summary."""
        ir, cr = self.intent_report, self.capability_report
        urgent = cr.get("urgent", {})
        lines = [
            f"NLU evaluation ({self.mode}) on {len(self.predictions)} examples",
            f"  intent accuracy      {ir['accuracy']:.4f}   macro-F1 {ir['macro avg']['f1-score']:.4f}",
            f"  capability accuracy  {cr['accuracy']:.4f}   macro-F1 {cr['macro avg']['f1-score']:.4f}",
            f"  urgent recall        {urgent.get('recall', float('nan')):.4f}   precision {urgent.get('precision', float('nan')):.4f}",
            f"  fallback rate        {self.calibration['fallback_rate']:.4f}   "
            f"accuracy when not falling back {self.calibration['accuracy_without_fallback']:.4f}",
            f"  calibration ECE      {self.calibration['ece']:.4f}",
        ]
        micro = self.entity_report.get("micro avg")
        if micro:
            lines.append(f"  entities (spans)     precision {micro['precision']:.4f}   recall {micro['recall']:.4f}   "
                         f"F1 {micro['f1-score']:.4f}")
        return "\n".join(lines)


def _classification_report(y_true: list[str], y_pred: list[str]) -> dict[str, Any]:
    from sklearn.metrics import classification_report

    labels = sorted(set(y_true) | set(y_pred))
    rep = classification_report(y_true, y_pred, labels=labels, output_dict=True, zero_division=0)
    # With labels given, scikit-learn reports micro avg instead of accuracy when they differ; keep both.
    rep["accuracy"] = sum(t == p for t, p in zip(y_true, y_pred)) / max(1, len(y_true))
    return rep


def add_confused_with(report: dict[str, Any], pairs: list[tuple[str, str]], top: int = 3) -> None:
    """Per label, the labels its examples were most often mistaken for, as ``rasa test nlu`` reports."""
    mistaken: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for true, predicted in pairs:
        if true != predicted:
            mistaken[true][predicted] += 1
    for label, entry in report.items():
        if isinstance(entry, dict) and "support" in entry and label not in ("macro avg", "weighted avg", "micro avg"):
            counts = sorted(mistaken.get(label, {}).items(), key=lambda kv: (-kv[1], kv[0]))[:top]
            entry["confused_with"] = dict(counts)


def entity_report(predictions: list[Prediction]) -> dict[str, Any]:
    """Per entity type, precision/recall/F1 of exact spans (type, start, end), plus a micro average.

    Every extracted span counts, so a mention the data does not annotate lowers precision.
    """
    stats: dict[str, dict[str, int]] = defaultdict(lambda: {"tp": 0, "fp": 0, "fn": 0})
    for p in predictions:
        true, pred = set(p.entities), set(p.predicted_entities)
        for e in true & pred:
            stats[e[0]]["tp"] += 1
        for e in pred - true:
            stats[e[0]]["fp"] += 1
        for e in true - pred:
            stats[e[0]]["fn"] += 1

    def scores(tp: int, fp: int, fn: int) -> dict[str, Any]:
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        return {"precision": precision, "recall": recall, "f1-score": f1, "support": tp + fn}

    out: dict[str, Any] = {name: scores(**c) for name, c in sorted(stats.items())}
    if stats:
        out["micro avg"] = scores(sum(c["tp"] for c in stats.values()), sum(c["fp"] for c in stats.values()),
                                  sum(c["fn"] for c in stats.values()))
    return out


def expected_calibration_error(conf: list[float], correct: list[bool], bins: int = 10) -> float:
    """How far confidence is from accuracy, averaged over confidence bins (0 is perfect)."""
    total = len(conf)
    if not total:
        return 0.0
    buckets: dict[int, list[int]] = defaultdict(list)
    for i, c in enumerate(conf):
        buckets[min(bins - 1, int(c * bins))].append(i)
    ece = 0.0
    for idx in buckets.values():
        acc = sum(correct[i] for i in idx) / len(idx)
        avg = sum(conf[i] for i in idx) / len(idx)
        ece += len(idx) / total * abs(acc - avg)
    return ece


def _predict(pipeline: Pipeline, examples: list[Example], capabilities: dict[str, str]) -> list[Prediction]:
    results: list[ParseResult] = pipeline.parse_batch([e.text for e in examples])
    out = []
    for ex, r in zip(examples, results):
        top, conf, top_cap = r.ranking[0] if r.ranking else (FALLBACK_INTENT, 0.0, "out_of_scope")
        if r.capability == "urgent" and top_cap != "urgent":
            # The rule layer made it urgent: that is what the bot acts on.
            top, conf, top_cap = r.intent, r.confidence, r.capability
        out.append(
            Prediction(
                text=ex.text,
                intent=ex.intent,
                capability=capabilities.get(ex.intent, "out_of_scope"),
                predicted=top,
                predicted_capability=top_cap,
                confidence=conf,
                fallback=r.is_fallback and r.capability != "urgent",
                entities=tuple((e.entity, e.start, e.end) for e in ex.entities),
                predicted_entities=tuple((e.entity, e.start, e.end) for e in r.entities),
            )
        )
    return out


def build_report(mode: str, predictions: list[Prediction]) -> Report:
    """Compute every figure from a list of predictions."""
    rep = Report(mode=mode, predictions=predictions)
    rep.intent_report = _classification_report([p.intent for p in predictions], [p.predicted for p in predictions])
    rep.capability_report = _classification_report(
        [p.capability for p in predictions], [p.predicted_capability for p in predictions]
    )
    add_confused_with(rep.intent_report, [(p.intent, p.predicted) for p in predictions])
    add_confused_with(rep.capability_report, [(p.capability, p.predicted_capability) for p in predictions])
    rep.entity_report = entity_report(predictions)
    correct = [p.intent == p.predicted for p in predictions]
    kept = [i for i, p in enumerate(predictions) if not p.fallback]
    rep.calibration = {
        "ece": expected_calibration_error([p.confidence for p in predictions], correct),
        "fallback_rate": 1 - len(kept) / max(1, len(predictions)),
        "accuracy_without_fallback": sum(correct[i] for i in kept) / max(1, len(kept)),
        "mean_confidence": sum(p.confidence for p in predictions) / max(1, len(predictions)),
    }
    return rep


def stratified_split(examples: list[Example], fraction: float, seed: int) -> tuple[list[Example], list[Example]]:
    """Hold out ``fraction`` of each intent's examples (at least one, if the intent has two or more)."""
    rng = random.Random(seed)
    by_intent: dict[str, list[Example]] = defaultdict(list)
    for ex in examples:
        by_intent[ex.intent].append(ex)
    train, test = [], []
    for intent in sorted(by_intent):
        items = by_intent[intent][:]
        rng.shuffle(items)
        n_test = max(1, round(len(items) * fraction)) if len(items) > 1 else 0
        test += items[:n_test]
        train += items[n_test:]
    return train, test


def stratified_folds(examples: list[Example], k: int, seed: int) -> list[list[Example]]:
    """Split examples into k folds with each intent spread evenly."""
    rng = random.Random(seed)
    by_intent: dict[str, list[Example]] = defaultdict(list)
    for ex in examples:
        by_intent[ex.intent].append(ex)
    folds: list[list[Example]] = [[] for _ in range(k)]
    offset = 0
    for intent in sorted(by_intent):
        items = by_intent[intent][:]
        rng.shuffle(items)
        for i, ex in enumerate(items):
            folds[(i + offset) % k].append(ex)
        offset += len(items)
    return folds


def _subset(data: TrainingData, examples: list[Example]) -> TrainingData:
    return TrainingData(
        examples=examples,
        intent_metadata=data.intent_metadata,
        synonyms=data.synonyms,
        lookups=data.lookups,
        regexes=data.regexes,
        files=data.files,
    )


def evaluate_split(settings: Settings, data: TrainingData) -> Report:
    """Train on (1 - test_fraction) of the data, score the rest."""
    train, test = stratified_split(data.examples, settings.test_fraction, settings.random_seed)
    pipeline = Pipeline.from_settings(settings)
    pipeline.train(_subset(data, train))
    return build_report(f"held-out split {settings.test_fraction:.0%}", _predict(pipeline, test, data.capabilities()))


def cross_validate(settings: Settings, data: TrainingData, k: int) -> Report:
    """k-fold cross-validation: every example is scored by a model that never saw it."""
    if k < 2:
        raise ValueError("cross-validation needs at least 2 folds")
    folds = stratified_folds(data.examples, k, settings.random_seed)
    predictions: list[Prediction] = []
    for i, test in enumerate(folds):
        train = [ex for j, f in enumerate(folds) if j != i for ex in f]
        pipeline = Pipeline.from_settings(settings)
        pipeline.train(_subset(data, train))
        predictions += _predict(pipeline, test, data.capabilities())
        logger.info("fold %d/%d done", i + 1, k)
    return build_report(f"{k}-fold cross-validation", predictions)


def evaluate_file(settings: Settings, path: Path) -> Report:
    """Score the trained model on a labelled file it was not trained on."""
    pipeline = load_pipeline(settings)
    data = load_training_data(path)
    caps = {**pipeline.capabilities, **data.capabilities()}
    return build_report(f"trained model on {path}", _predict(pipeline, data.examples, caps))


def confusion_svg(predictions: list[Prediction], title: str) -> str:
    """A row-normalised confusion matrix as a self-contained SVG (rows: true intent, columns: predicted)."""
    labels = sorted({p.intent for p in predictions} | {p.predicted for p in predictions})
    idx = {lbl: i for i, lbl in enumerate(labels)}
    n = len(labels)
    counts = [[0] * n for _ in range(n)]
    for p in predictions:
        counts[idx[p.intent]][idx[p.predicted]] += 1
    cell, left, top = 14, 190, 190
    size_w, size_h = left + n * cell + 20, top + n * cell + 40
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{size_w}" height="{size_h}" '
        f'font-family="sans-serif" font-size="10">',
        f'<text x="10" y="16" font-size="13">{escape(title)}</text>',
        '<text x="10" y="32">rows: true intent; columns: predicted; shade: share of the row</text>',
    ]
    for i, lbl in enumerate(labels):
        y = top + i * cell + cell - 3
        parts.append(f'<text x="{left - 4}" y="{y}" text-anchor="end">{escape(lbl)}</text>')
        x = left + i * cell + cell - 3
        parts.append(f'<text x="{x}" y="{top - 4}" transform="rotate(-60 {x} {top - 4})">{escape(lbl)}</text>')
    for i in range(n):
        row_total = sum(counts[i]) or 1
        for j in range(n):
            c = counts[i][j]
            if not c:
                continue
            share = c / row_total
            colour = f"rgb({int(255 - 200 * share)},{int(255 - 120 * share)},255)" if i == j else (
                f"rgb(255,{int(255 - 200 * share)},{int(255 - 200 * share)})"
            )
            parts.append(
                f'<rect x="{left + j * cell}" y="{top + i * cell}" width="{cell}" height="{cell}" fill="{colour}">'
                f"<title>{escape(labels[i])} → {escape(labels[j])}: {c}</title></rect>"
            )
    parts.append(
        f'<rect x="{left}" y="{top}" width="{n * cell}" height="{n * cell}" fill="none" stroke="#999"/>'
    )
    parts.append("</svg>")
    return "\n".join(parts)


def write_reports(report: Report, out_dir: Path) -> None:
    """Write intent/capability reports, errors, calibration and the confusion matrix picture."""
    out_dir.mkdir(parents=True, exist_ok=True)

    def dump(name: str, obj: Any) -> None:
        (out_dir / name).write_text(json.dumps(obj, ensure_ascii=False, indent=2), encoding="utf-8")

    dump("intent_report.json", report.intent_report)
    dump("capability_report.json", report.capability_report)
    dump("entity_report.json", report.entity_report)
    dump("calibration.json", report.calibration)
    errors = [
        {
            "text": p.text,
            "intent": p.intent,
            "predicted": p.predicted,
            "capability": p.capability,
            "predicted_capability": p.predicted_capability,
            "confidence": round(p.confidence, 4),
        }
        for p in report.predictions
        if p.intent != p.predicted
    ]
    dump("intent_errors.json", sorted(errors, key=lambda e: -e["confidence"]))
    (out_dir / "intent_confusion_matrix.svg").write_text(
        confusion_svg(report.predictions, f"Linli intent confusion matrix: {report.mode}"), encoding="utf-8"
    )
    (out_dir / "summary.txt").write_text(report.summary() + "\n", encoding="utf-8")


def run_evaluation(settings: Settings, out_dir: Path, folds: int = 0, data_path: Path | None = None) -> Report:
    """What ``linli nlu test`` does: choose the mode, evaluate, write the reports."""
    if data_path is not None:
        report = evaluate_file(settings, data_path)
    else:
        data = load_training_data(settings.training_data)
        report = cross_validate(settings, data, folds) if folds else evaluate_split(settings, data)
    write_reports(report, out_dir)
    return report
