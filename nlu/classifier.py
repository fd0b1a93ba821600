"""``LinearIntentClassifier``: a linear model over the featurizers' sparse features.

Chosen by measurement (see README, "Choosing the classifier"): on short Chinese messages a
linear model on character, word and pinyin n-grams beats spaCy's ``textcat`` architectures
on accuracy and is ~100x faster to train. Training uses scikit-learn; the saved model is
plain NumPy arrays, so parsing needs neither scikit-learn nor pickle.

Confidences are calibrated with temperature scaling fitted on cross-validated scores, so
the fallback threshold means roughly "this often right".

With ``capability_weight`` above 0 a second linear model learns the nine capabilities from the
same features (issue 14): the capability is what routes a message, and pooling every example
of a capability (all marketing intents together, all out-of-scope requests together) teaches
it more than any one intent can. An intent's score is its own score plus ``capability_weight``
times its capability's score, so the two models are trained apart and combined in one ranking.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
from scipy import sparse

from bot.errors import ConfigError, ModelError, TrainingDataError
from nlu.component import Component, Message
from nlu.registry import register
from nlu.training_data import TrainingData

logger = logging.getLogger(__name__)
WEIGHTS_FILE = "weights.npz"
CLASSES_FILE = "classes.json"


def softmax(z: np.ndarray) -> np.ndarray:
    """Row-wise softmax."""
    z = z - z.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


def fit_temperature(logits: np.ndarray, y: np.ndarray) -> float:
    """The temperature that minimises the negative log-likelihood of held-out scores."""
    from scipy.optimize import minimize_scalar

    def nll(log_t: float) -> float:
        p = softmax(logits / np.exp(log_t))
        return float(-np.mean(np.log(p[np.arange(len(y)), y] + 1e-12)))

    res = minimize_scalar(nll, bounds=(-4.0, 4.0), method="bounded")
    return float(np.exp(res.x))


def class_weights(y: np.ndarray, mode: str) -> dict[int, float] | str | None:
    """scikit-learn class weights: none, balanced (1/n), or sqrt (1/sqrt(n), gentler on big classes)."""
    if mode == "none":
        return None
    if mode == "balanced":
        return "balanced"
    counts = np.bincount(y)
    w = 1.0 / np.sqrt(np.maximum(counts, 1))
    w *= len(counts) / w.sum()
    return {i: float(v) for i, v in enumerate(w)}


def make_estimator(config: dict[str, Any], y: np.ndarray | None = None) -> Any:
    """The scikit-learn estimator the config asks for (class weights computed from ``y`` when given)."""
    mode = config["class_weight"]
    cw = class_weights(y, mode) if y is not None else (None if mode == "none" else "balanced")
    if config["model"] == "logistic_regression":
        from sklearn.linear_model import LogisticRegression

        return LogisticRegression(C=config["C"], max_iter=config["max_iter"], class_weight=cw)
    from sklearn.svm import LinearSVC

    return LinearSVC(C=config["C"], max_iter=config["max_iter"], class_weight=cw)


@register
class LinearIntentClassifier(Component):
    """Predicts the intent and a calibrated ranking from sparse features."""

    defaults: ClassVar[dict[str, Any]] = {
        # Featurizer names to use; empty uses every featurizer earlier in the pipeline.
        "features": [],
        "model": "logistic_regression",
        "C": 10.0,
        "class_weight": "balanced",
        "max_iter": 3000,
        # temperature: fit one temperature on cross-validated scores; none: raw softmax.
        "calibration": "temperature",
        "calibration_folds": 5,
        # > 0: also learn the capabilities with a second linear model and add this much of a
        # capability's score to each of its intents' scores (0 turns it off).
        "capability_weight": 0.0,
        "ranking_length": 10,
        "random_seed": 42,
    }
    choices: ClassVar[dict[str, tuple[Any, ...]]] = {
        "model": ("logistic_regression", "linear_svm"),
        "class_weight": ("balanced", "sqrt", "none"),
        "calibration": ("temperature", "none"),
    }
    trainable: ClassVar[bool] = True

    def __init__(
        self,
        config: dict[str, Any],
        classes: list[str] | None = None,
        weights: np.ndarray | None = None,
        bias: np.ndarray | None = None,
        temperature: float = 1.0,
        feature_names: list[str] | None = None,
        cap_classes: list[str] | None = None,
        cap_weights: np.ndarray | None = None,
        cap_bias: np.ndarray | None = None,
        cap_of_class: list[int] | None = None,
    ) -> None:
        super().__init__(config)
        self.classes = classes or []
        self.weights = weights  # (n_features, n_classes), float32
        self.bias = bias
        self.temperature = temperature
        self.feature_names = feature_names or list(config["features"])
        # The capability model (capability_weight > 0): its classes, weights, and for each
        # intent the index of its capability.
        self.cap_classes = cap_classes or []
        self.cap_weights = cap_weights
        self.cap_bias = cap_bias
        self.cap_of_class = np.asarray(cap_of_class or [], dtype=np.int64)

    @classmethod
    def validate_config(cls, params: dict[str, Any], where: str) -> dict[str, Any]:
        merged = super().validate_config(params, where)
        if merged["C"] <= 0:
            raise ConfigError(f"{where}.C: must be greater than 0")
        if merged["calibration_folds"] < 2:
            raise ConfigError(f"{where}.calibration_folds: must be at least 2")
        if merged["capability_weight"] < 0:
            raise ConfigError(f"{where}.capability_weight: must be 0 or more")
        return merged

    def _matrix(self, messages: list[Message]) -> sparse.csr_matrix:
        blocks = []
        for name in self.feature_names:
            rows = [m.features.get(name) for m in messages]
            if any(r is None for r in rows):
                raise ModelError(f"{self.name}: feature '{name}' is missing; is its featurizer in the pipeline?")
            blocks.append(sparse.vstack(rows, format="csr") if len(rows) > 1 else rows[0])
        return sparse.hstack(blocks, format="csr")

    def train(self, data: TrainingData, messages: list[Message]) -> None:
        labels = [m.intent for m in messages]
        self.classes = sorted(set(labels))  # type: ignore[arg-type]
        if len(self.classes) < 2:
            raise TrainingDataError(f"need at least 2 intents to train a classifier, found {len(self.classes)}")
        if not self.feature_names:
            self.feature_names = [n for n in messages[0].features]
        x = self._matrix(messages)
        y = np.array([self.classes.index(lbl) for lbl in labels])
        caps = data.capabilities()
        self.cap_classes = sorted({caps.get(c, "out_of_scope") for c in self.classes})
        self.cap_of_class = np.array([self.cap_classes.index(caps.get(c, "out_of_scope")) for c in self.classes])
        if len(self.cap_classes) < 2:  # one capability for every intent (SMP2017): nothing to learn
            self.cap_classes, self.cap_of_class = [], np.zeros(0, dtype=np.int64)
        self.weights, self.bias, self.cap_weights, self.cap_bias = self._fit(x, y)
        self.temperature = 1.0
        if self.config["calibration"] == "temperature":
            self.temperature = self._calibrate(x, y)
        logger.info("trained %s on %d examples, %d intents, T=%.3f", self.name, len(y), len(self.classes), self.temperature)

    def _fit(self, x: sparse.csr_matrix, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray | None,
                                                                   np.ndarray | None]:
        """Intent weights and bias, and the capability model's (None when it is off)."""
        est = make_estimator(self.config, y)
        est.fit(x, y)
        w = np.ascontiguousarray(est.coef_.T, dtype=np.float32)
        b = np.asarray(est.intercept_, dtype=np.float32)
        if self.config["capability_weight"] <= 0 or not self.cap_classes:
            return w, b, None, None
        yc = self.cap_of_class[y]
        cap_est = make_estimator(self.config, yc)
        cap_est.fit(x, yc)
        cw = np.ascontiguousarray(cap_est.coef_.T, dtype=np.float32)
        cb = np.asarray(cap_est.intercept_, dtype=np.float32)
        return w, b, cw, cb

    def _logits(self, x: sparse.csr_matrix, w: np.ndarray, b: np.ndarray, cw: np.ndarray | None,
                cb: np.ndarray | None) -> np.ndarray:
        logits = np.asarray(x @ w) + b
        if cw is not None and cb is not None:
            cap = np.asarray(x @ cw) + cb
            logits = logits + self.config["capability_weight"] * cap[:, self.cap_of_class]
        return logits

    def _calibrate(self, x: sparse.csr_matrix, y: np.ndarray) -> float:
        from sklearn.model_selection import StratifiedKFold

        min_count = int(np.bincount(y).min())
        folds = min(self.config["calibration_folds"], min_count)
        if folds < 2:
            logger.warning("%s: an intent has fewer than 2 examples; confidences are not calibrated", self.name)
            return 1.0
        cv = StratifiedKFold(n_splits=folds, shuffle=True, random_state=self.config["random_seed"])
        scores = np.zeros((x.shape[0], len(self.classes)), dtype=np.float64)
        for train_idx, test_idx in cv.split(x, y):
            w, b, cw, cb = self._fit(x[train_idx], y[train_idx])
            if w.shape[1] != len(self.classes):  # an intent missing from this fold: skip calibration
                return 1.0
            scores[test_idx] = self._logits(x[test_idx], w, b, cw, cb)
        return fit_temperature(scores, y)

    def scores(self, x: sparse.csr_matrix) -> np.ndarray:
        """Calibrated probabilities, one row per input row."""
        if self.weights is None or self.bias is None:
            raise ModelError(f"{self.name} is not trained")
        logits = self._logits(x, self.weights, self.bias, self.cap_weights, self.cap_bias)
        return softmax(logits / self.temperature)

    def process_batch(self, messages: list[Message]) -> None:
        if not messages:
            return
        probs = self.scores(self._matrix(messages))
        k = self.config["ranking_length"]
        for m, p in zip(messages, probs):
            order = np.argsort(-p)[:k]
            m.ranking = [(self.classes[i], float(p[i])) for i in order]
            m.intent, m.confidence = m.ranking[0]

    def process(self, message: Message) -> None:
        self.process_batch([message])

    def persist(self, directory: Path) -> dict[str, Any]:
        arrays = {"weights": self.weights, "bias": self.bias}
        if self.cap_weights is not None:
            arrays.update(cap_weights=self.cap_weights, cap_bias=self.cap_bias, cap_of_class=self.cap_of_class)
        np.savez(directory / WEIGHTS_FILE, **arrays)
        (directory / CLASSES_FILE).write_text(json.dumps(self.classes), encoding="utf-8")
        return {"temperature": self.temperature, "feature_names": self.feature_names, "cap_classes": self.cap_classes}

    @classmethod
    def load(cls, config: dict[str, Any], directory: Path, meta: dict[str, Any], base_dir: Path) -> Component:
        try:
            arrays = np.load(directory / WEIGHTS_FILE)
            classes = json.loads((directory / CLASSES_FILE).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ModelError(f"{directory}: classifier files are unreadable ({exc})") from None
        joint = "cap_weights" in arrays.files
        return cls(
            config, classes, arrays["weights"], arrays["bias"], float(meta["temperature"]), meta["feature_names"],
            cap_classes=meta.get("cap_classes") or [],
            cap_weights=arrays["cap_weights"] if joint else None,
            cap_bias=arrays["cap_bias"] if joint else None,
            cap_of_class=[int(i) for i in arrays["cap_of_class"]] if joint else None,
        )
