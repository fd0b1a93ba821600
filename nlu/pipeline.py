"""Build the components listed in config.yml, train them, save and load the model, parse text."""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
import time
from pathlib import Path
from typing import Any

from bot.config import ComponentConfig, Settings
from bot.errors import ConfigError, ModelError, ModelNotTrainedError
from nlu.classifier import LinearIntentClassifier
from nlu.component import Component, Message
from nlu.entities import EntitySynonymMapper, RegexEntityExtractor
from nlu.fallback import FALLBACK_INTENT, FallbackClassifier
from nlu.featurizers import NgramFeaturizer, content_chars
from nlu.normalize import DIALECT_FILE
from nlu.registry import get_component_class
from nlu.result import ParseResult
from nlu.tokenizer import JiebaTokenizer, prepare
from nlu.training_data import TrainingData, yaml_files

logger = logging.getLogger(__name__)

MODEL_FORMAT = 2
METADATA_FILE = "metadata.json"
FALLBACK_CAPABILITY = "out_of_scope"


def _check_order(components: list[Component], configs: tuple[ComponentConfig, ...]) -> None:
    """Reject pipelines whose components cannot work in the order given."""
    seen_tokenizer = seen_featurizer = seen_classifier = seen_extractor = False
    for comp, cc in zip(components, configs):
        where = f"pipeline[{cc.index}] ({cc.name})"
        if isinstance(comp, NgramFeaturizer):
            if not seen_tokenizer:
                raise ConfigError(f"{where}: a featurizer needs JiebaTokenizer earlier in the pipeline")
            seen_featurizer = True
        elif isinstance(comp, LinearIntentClassifier):
            if not seen_featurizer:
                raise ConfigError(f"{where}: the classifier needs at least one featurizer earlier in the pipeline")
            seen_classifier = True
        elif isinstance(comp, FallbackClassifier):
            if not seen_classifier:
                raise ConfigError(f"{where}: FallbackClassifier must come after an intent classifier")
        elif isinstance(comp, RegexEntityExtractor):
            if not seen_tokenizer:
                raise ConfigError(f"{where}: the entity extractor needs JiebaTokenizer earlier in the pipeline")
            seen_extractor = True
        elif isinstance(comp, EntitySynonymMapper):
            if not seen_extractor:
                raise ConfigError(f"{where}: EntitySynonymMapper must come after an entity extractor")
        elif isinstance(comp, JiebaTokenizer):
            seen_tokenizer = True
    if not seen_tokenizer:
        raise ConfigError("pipeline: needs a JiebaTokenizer")
    if not seen_classifier:
        raise ConfigError("pipeline: needs an intent classifier (LinearIntentClassifier)")
    names = [c.name for c in components]
    dupes = {n for n in names if names.count(n) > 1}
    if dupes:
        raise ConfigError(f"pipeline: component '{sorted(dupes)[0]}' is listed twice")


def fingerprint(settings: Settings) -> str:
    """A hash of everything the model depends on: model format, pipeline config, data and dictionaries."""
    h = hashlib.sha256()
    h.update(f"format={MODEL_FORMAT};language={settings.language}".encode())
    # The NLU code itself: a changed featurizer must not be served with an old vocabulary.
    for src in sorted(Path(__file__).parent.glob("*.py")):
        h.update(src.read_bytes())
    # The dialect words change what the tokenizer and featurizers read (nlu/normalize.py).
    h.update(DIALECT_FILE.read_bytes())
    # Paths count by what they hold (hashed below), not by how config.yml spells them: the same
    # dictionaries named by an absolute path are the same model.
    params = [[c.name, {k: ("<path>" if k.endswith("_path") else v) for k, v in c.params.items()}]
              for c in settings.pipeline]
    h.update(json.dumps(params, sort_keys=True, default=str).encode())
    paths = list(yaml_files(settings.training_data))
    for cc in settings.pipeline:
        for key, value in cc.params.items():
            if key.endswith("_path") and isinstance(value, str):
                p = settings.resolve(value)
                paths += [p] if p.is_file() else sorted(x for x in p.rglob("*") if x.is_file())
    if not any(c.name == "JiebaTokenizer" and "dictionary_path" in c.params for c in settings.pipeline):
        default_dict = settings.resolve(JiebaTokenizer.defaults["dictionary_path"])
        if default_dict.exists():
            paths += sorted(x for x in default_dict.rglob("*") if x.is_file())
    for p in paths:
        h.update(p.name.encode())
        h.update(p.read_bytes())
    return h.hexdigest()[:16]


class Pipeline:
    """An ordered list of components; trained, it turns text into a ``ParseResult``."""

    def __init__(self, components: list[Component], capabilities: dict[str, str] | None = None) -> None:
        self.components = components
        self.capabilities = capabilities or {}
        self._share_capabilities()

    def _share_capabilities(self) -> None:
        for c in self.components:
            if isinstance(c, FallbackClassifier):
                c.capabilities = self.capabilities

    @classmethod
    def from_settings(cls, settings: Settings) -> Pipeline:
        """Build untrained components from config.yml; bad names, keys and values raise ConfigError."""
        components = []
        for cc in settings.pipeline:
            where = f"{settings.path.name}: pipeline[{cc.index}] ({cc.name})"
            klass = get_component_class(cc.name, f"{settings.path.name}: pipeline[{cc.index}].name")
            components.append(klass.create(cc.params, where, settings.base_dir))
        _check_order(components, settings.pipeline)
        return cls(components)

    def train(self, data: TrainingData) -> dict[str, Any]:
        """Train every component in order; returns timing figures."""
        started = time.perf_counter()
        self.capabilities = data.capabilities()
        self._share_capabilities()
        messages = []
        for ex in data.examples:
            m = prepare(ex.text)
            m.intent = ex.intent
            messages.append(m)
        for comp in self.components:
            comp.train(data, messages)
        return {"seconds": time.perf_counter() - started, "examples": len(messages), "intents": len(self.capabilities)}

    def _result(self, m: Message, raw: str) -> ParseResult:
        intent = m.intent or FALLBACK_INTENT
        cap = FALLBACK_CAPABILITY if intent == FALLBACK_INTENT else self.capabilities.get(intent, FALLBACK_CAPABILITY)
        ranking = tuple((i, c, self.capabilities.get(i, FALLBACK_CAPABILITY)) for i, c in m.ranking)
        return ParseResult(raw, intent, cap, float(m.confidence), tuple(m.entities), ranking)

    def parse(self, text: str) -> ParseResult:
        """Parse one message. Never raises on odd input: empty text is ``nlu_fallback``."""
        return self.parse_batch([text])[0]

    def parse_batch(self, texts: list[str]) -> list[ParseResult]:
        """Parse many messages at once (faster for evaluation)."""
        prepared = [prepare(t if isinstance(t, str) else str(t)) for t in texts]
        live = [m for m in prepared if content_chars(m.norm)]
        for comp in self.components:
            comp.process_batch(live)
        for m in prepared:
            if not content_chars(m.norm):
                m.intent, m.confidence, m.fallback = FALLBACK_INTENT, 0.0, True
        return [self._result(m, t) for m, t in zip(prepared, texts)]

    def persist(self, model_dir: Path, settings: Settings, fp: str, stats: dict[str, Any] | None = None) -> None:
        """Save the trained model; written to a temporary folder first so a crash never leaves half a model."""
        model_dir.parent.mkdir(parents=True, exist_ok=True)
        tmp = model_dir.with_name(model_dir.name + ".tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        comps = []
        for i, (comp, cc) in enumerate(zip(self.components, settings.pipeline)):
            sub = tmp / f"{i:02d}_{comp.name}"
            sub.mkdir()
            comps.append({"name": comp.name, "config": comp.config, "dir": sub.name, "meta": comp.persist(sub)})
        meta = {
            "format": MODEL_FORMAT,
            "fingerprint": fp,
            "language": settings.language,
            "capabilities": self.capabilities,
            "components": comps,
            "trained_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "stats": stats or {},
        }
        (tmp / METADATA_FILE).write_text(json.dumps(meta, ensure_ascii=False, indent=1), encoding="utf-8")
        old = model_dir.with_name(model_dir.name + ".old")
        shutil.rmtree(old, ignore_errors=True)
        if model_dir.exists():
            model_dir.rename(old)
        tmp.rename(model_dir)
        shutil.rmtree(old, ignore_errors=True)

    @classmethod
    def load(cls, model_dir: Path, base_dir: Path | None = None) -> Pipeline:
        """Load a model saved by ``persist``."""
        meta = read_metadata(model_dir)
        if meta is None:
            raise ModelNotTrainedError(f"no trained NLU model in {model_dir}; run `linli nlu train`")
        if meta.get("format") != MODEL_FORMAT:
            raise ModelError(
                f"{model_dir}: model format {meta.get('format')} is not {MODEL_FORMAT}; retrain with `linli nlu train --force`"
            )
        components = []
        for spec in meta["components"]:
            klass = get_component_class(spec["name"], f"{model_dir / METADATA_FILE}")
            components.append(klass.load(spec["config"], model_dir / spec["dir"], spec["meta"], base_dir or model_dir))
        return cls(components, meta["capabilities"])


def read_metadata(model_dir: Path) -> dict[str, Any] | None:
    """The saved model's metadata, or None when there is no model."""
    path = model_dir / METADATA_FILE
    if not path.is_file():
        return None
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise ModelError(f"{path}: unreadable model metadata ({exc}); retrain with `linli nlu train --force`") from None


def is_current(settings: Settings) -> bool:
    """True when the saved model was trained from exactly this config, data and dictionaries."""
    try:
        meta = read_metadata(settings.model_dir)
    except ModelError:
        return False
    return bool(meta) and meta.get("fingerprint") == fingerprint(settings) and meta.get("format") == MODEL_FORMAT


def train_model(settings: Settings, force: bool = False) -> dict[str, Any] | None:
    """Train and save the model unless it is current; returns stats, or None when skipped."""
    from nlu.training_data import load_training_data

    if not force and is_current(settings):
        return None
    fp = fingerprint(settings)
    pipeline = Pipeline.from_settings(settings)
    data = load_training_data(settings.training_data)
    stats = pipeline.train(data)
    pipeline.persist(settings.model_dir, settings, fp, stats)
    return stats


def load_pipeline(settings: Settings) -> Pipeline:
    """Load the trained model named by the settings, warning when it is older than the data.

    With ``nlu.backend: rasa`` the result parses through the Rasa server and keeps this local
    model for the fallback and urgent rules, and for when Rasa is down (nlu/rasa_backend.py).
    """
    pipeline = Pipeline.load(settings.model_dir, settings.base_dir)
    if not is_current(settings):
        logger.warning(
            "the NLU model in %s was trained from other data or config; run `linli nlu train`", settings.model_dir
        )
    if settings.nlu_backend == "rasa":
        from nlu.rasa_backend import RasaPipeline

        logger.info("NLU backend: Rasa server at %s (local model as fallback)", settings.rasa_url)
        return RasaPipeline.from_local(settings, pipeline)
    return pipeline
