"""``nlu.backend: rasa``: parse messages with a running Rasa server, keeping our safety net.

Rasa is never imported here; we talk to its HTTP API (``POST /model/parse``) with the
standard library. Rasa's answer::

    {"text": ..., "intent": {"name": ..., "confidence": ...},
     "entities": [{"entity", "value", "start", "end", "confidence_entity", "extractor", ...}],
     "intent_ranking": [{"name": ..., "confidence": ...}, ...]}

becomes our ``ParseResult``: the capability comes from our intent metadata (an intent we do
not know is ``out_of_scope``, logged once). Rasa's own ``nlu_fallback`` is undone and our
``FallbackClassifier`` and ``UrgentRuleDetector`` run on Rasa's guess, the same component
objects as in the local pipeline, so urgent messages are never missed because Rasa is used.

When Rasa cannot be reached (refused, timeout, HTTP error, bad JSON) the local pipeline
parses instead: one WARNING naming the URL when it goes down, one INFO when it answers
again, nothing per message. While down, Rasa is tried again every ``retry_seconds``.
"""

from __future__ import annotations

import json
import logging
import time
import urllib.error
import urllib.request
from typing import Any

from bot.config import Settings
from nlu.component import Component, Message
from nlu.fallback import FALLBACK_INTENT, FallbackClassifier
from nlu.pipeline import Pipeline
from nlu.result import ParseResult
from nlu.rules import UrgentRuleDetector
from nlu.training_data import Entity

logger = logging.getLogger(__name__)

PARSE_PATH = "/model/parse"
MAX_CHARS = 2000  # a 10,000-character paste is cut before it goes over the network


class RasaUnavailableError(Exception):
    """The Rasa server gave no usable answer. Internal: ``RasaPipeline`` falls back instead of raising."""


class RasaClient:
    """A tiny client for Rasa's ``POST /model/parse``."""

    def __init__(self, url: str, timeout: float = 2.0) -> None:
        self.url = url.rstrip("/")
        self.timeout = timeout

    def parse(self, text: str) -> dict[str, Any]:
        """Rasa's parse of one text; raises ``RasaUnavailableError`` for any transport or format problem."""
        body = json.dumps({"text": text[:MAX_CHARS]}, ensure_ascii=False).encode("utf-8")
        request = urllib.request.Request(
            self.url + PARSE_PATH, data=body, method="POST", headers={"Content-Type": "application/json"}
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                payload = json.loads(response.read().decode("utf-8"))
        except urllib.error.HTTPError as exc:
            raise RasaUnavailableError(f"{self.url}{PARSE_PATH} answered HTTP {exc.code}") from None
        except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
            reason = getattr(exc, "reason", exc)
            raise RasaUnavailableError(f"{self.url}{PARSE_PATH} is unreachable ({reason})") from None
        except (ValueError, UnicodeDecodeError) as exc:
            raise RasaUnavailableError(f"{self.url}{PARSE_PATH} did not answer JSON ({exc})") from None
        if not isinstance(payload, dict):
            raise RasaUnavailableError(f"{self.url}{PARSE_PATH} answered {type(payload).__name__}, not an object")
        return payload


def _ranking(payload: dict[str, Any]) -> list[tuple[str, float]]:
    """Rasa's intent ranking without its own ``nlu_fallback`` (our fallback decides)."""
    raw = payload.get("intent_ranking") or []
    top = payload.get("intent") or {}
    if not raw and top.get("name"):
        raw = [top]
    out = []
    for item in raw:
        if isinstance(item, dict) and item.get("name") and item["name"] != FALLBACK_INTENT:
            out.append((str(item["name"]), float(item.get("confidence") or 0.0)))
    return sorted(out, key=lambda x: -x[1])


def _entities(payload: dict[str, Any], text: str) -> list[Entity]:
    """Rasa's entities with offsets into the text we sent."""
    out = []
    for item in payload.get("entities") or []:
        try:
            start, end = int(item["start"]), int(item["end"])
            name = str(item["entity"])
        except (KeyError, TypeError, ValueError):
            continue
        value = item.get("value")
        value = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
        out.append(Entity(entity=name, value=value, start=start, end=end, text=text[start:end]))
    return out


class RasaIntentClassifier(Component):
    """Fills a message's intent, ranking and entities from Rasa (not a config.yml component)."""

    def __init__(self, client: RasaClient, capabilities: dict[str, str]) -> None:
        super().__init__({"url": client.url, "timeout": client.timeout})
        self.client = client
        self.capabilities = capabilities
        self._unknown: set[str] = set()

    def process(self, message: Message) -> None:
        payload = self.client.parse(message.text)
        ranking = _ranking(payload)
        message.ranking = ranking
        message.intent, message.confidence = ranking[0] if ranking else (None, 0.0)
        message.entities = _entities(payload, message.text)
        for name, _ in ranking[:1]:
            if name not in self.capabilities and name not in self._unknown:
                self._unknown.add(name)
                logger.warning("Rasa intent '%s' is not in our training data; its capability is out_of_scope", name)


class RasaPipeline(Pipeline):
    """Parses with a Rasa server; the local pipeline parses whenever Rasa is down."""

    def __init__(self, client: RasaClient, local: Pipeline, retry_seconds: float = 30.0) -> None:
        safety = [c for c in local.components if isinstance(c, (FallbackClassifier, UrgentRuleDetector))]
        self.rasa = RasaIntentClassifier(client, local.capabilities)
        super().__init__([self.rasa, *safety], local.capabilities)
        self.client = client
        self.local = local
        self.retry_seconds = retry_seconds
        self._down_since: float | None = None

    @classmethod
    def from_local(cls, settings: Settings, local: Pipeline) -> RasaPipeline:
        """The Rasa backend named by ``nlu.rasa_url``, falling back to ``local``."""
        client = RasaClient(settings.rasa_url, settings.rasa_timeout)
        return cls(client, local, settings.rasa_retry_seconds)

    @property
    def rasa_down(self) -> bool:
        """True while Rasa is considered unreachable."""
        return self._down_since is not None

    def parse_batch(self, texts: list[str]) -> list[ParseResult]:
        """Parse with Rasa, or with the local pipeline while Rasa is down."""
        now = time.monotonic()
        if self._down_since is not None and now - self._down_since < self.retry_seconds:
            return self.local.parse_batch(texts)
        try:
            results = super().parse_batch(texts)
        except RasaUnavailableError as exc:
            if self._down_since is None:
                logger.warning(
                    "Rasa server at %s cannot be used (%s); parsing with the local pipeline until it answers",
                    self.client.url, exc,
                )
            self._down_since = now
            return self.local.parse_batch(texts)
        if self._down_since is not None:
            logger.info("Rasa server at %s answers again; parsing with Rasa", self.client.url)
            self._down_since = None
        return results
