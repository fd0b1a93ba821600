"""Read ``config.yml`` (Rasa-style) into frozen settings, failing early with clear English.

The file has Rasa's keys (``recipe``, ``language``, ``pipeline``) plus our own sections
(``nlu``, ``dialogue``, ``channels``, ``storage``, ``reports``). Relative paths are resolved
against the directory of the config file. Nothing else in Linli reads the file or ``os.environ``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bot.errors import ConfigError

ENV_CONFIG = "LINLI_CONFIG"
ENV_DB = "LINLI_DB"
PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CONFIG_PATH = PROJECT_ROOT / "config.yml"

SUPPORTED_LANGUAGES = ("zh",)
TOP_LEVEL_KEYS = (
    "recipe", "language", "assistant_id", "pipeline", "nlu", "dialogue", "knowledge", "handoff", "channels",
    "storage", "reports", "speech",
)

# Section defaults: key -> (default value, allowed type(s)). A later issue adds keys here.
NLU_DEFAULTS: dict[str, tuple[Any, type | tuple[type, ...]]] = {
    "training_data": ("nlu/data", str),  # a directory of Rasa NLU YAML files, or one file
    "model_dir": ("nlu/models", str),  # generated; holds the trained model and its fingerprint
    "test_fraction": (0.2, float),  # share of examples held out by `linli nlu test`
    "random_seed": (42, int),
    "backend": ("local", str),  # local | rasa (parse with a running Rasa server's HTTP API)
    "rasa_url": ("", str),  # e.g. http://127.0.0.1:5005; required when backend is rasa
    "rasa_timeout": (2.0, float),  # seconds per request before the local pipeline answers instead
    "rasa_retry_seconds": (30.0, float),  # while Rasa is down, try it again this often
}
NLU_BACKENDS = ("local", "rasa")
DIALOGUE_DEFAULTS: dict[str, tuple[Any, type | tuple[type, ...]]] = {
    "flows_dir": ("dialogues/flows", str),
    "fallbacks_before_handoff": (2, int),
    "urgent_episode_turns": (8, int),  # an urgent episode lasts this many messages without news of it
    "urgent_episode_minutes": (60.0, float),  # … or this many minutes
    "urgent_check_below": (0.5, float),  # a weaker urgent guess no rule backs, in a calm chat: a safety check
}
KNOWLEDGE_DEFAULTS: dict[str, tuple[Any, type | tuple[type, ...]]] = {
    "content_dir": ("knowledge/content", str),  # policies, tips, tools, hotlines, platforms (YAML)
}
HANDOFF_DEFAULTS: dict[str, tuple[Any, type | tuple[type, ...]]] = {
    "office_hours": ("09:00-18:00", str),  # when social workers answer, local time
    "office_days": ([1, 2, 3, 4, 5], list),  # 1 = Monday ... 7 = Sunday
    "timezone": ("Asia/Shanghai", str),
    "urgent_repeat_minutes": (5.0, float),  # re-alert the staff group until an urgent ticket is claimed
    "notify_retry_seconds": (5.0, float),  # first retry delay when the staff group is unreachable (doubles)
    "notify_max_retry_seconds": (300.0, float),
}
CHANNELS_DEFAULTS: dict[str, tuple[Any, type | tuple[type, ...]]] = {
    "terminal": ({}, dict),
    "telegram": ({}, dict),
    "web": ({}, dict),
}
TELEGRAM_DEFAULTS: dict[str, tuple[Any, type | tuple[type, ...]]] = {
    "token_env": ("TELEGRAM_BOT_TOKEN", str),  # the token is read from this environment variable only
    "staff_chat_id": (0, int),  # the social workers' group (a supergroup, ideally with topics on)
    "mode": ("polling", str),  # polling | webhook
    "webhook_url": ("", str),
    "webhook_listen": ("127.0.0.1", str),
    "webhook_port": (8443, int),
    "webhook_secret_env": ("TELEGRAM_WEBHOOK_SECRET", str),
    "base_url": ("", str),  # another Bot API server; env TELEGRAM_BASE_URL wins
    "poll_interval": (1.0, float),
    "jobs_interval": (5.0, float),  # how often unsent tickets and replies are retried
    "timeout_seconds": (10.0, float),  # one Bot API call longer than this fails and its outbox row is retried
    "flood_messages": (20, int),  # more than this many messages ...
    "flood_seconds": (10.0, float),  # ... in this many seconds from one person gets one slow-down note
}
WEB_DEFAULTS: dict[str, tuple[Any, type | tuple[type, ...]]] = {
    "host": ("127.0.0.1", str),  # `linli serve` listens here; --host overrides
    "port": (8080, int),  # --port overrides
    "poll_seconds": (3.0, float),  # how often an open chat page asks for a social worker's words
    "secure_cookies": (False, bool),  # true behind an HTTPS reverse proxy: cookies only over HTTPS
    "rest_channel": (True, bool),  # the Rasa-compatible POST /webhooks/rest/webhook
    "max_message_chars": (2000, int),  # longer messages are cut to this many characters
    "session_hours": (12.0, float),  # a social worker's console sign-in lasts this long
    "login_attempts": (5, int),  # failed console sign-ins allowed per worker and per address ...
    "login_window_seconds": (300.0, float),  # ... within this many seconds
}
STORAGE_DEFAULTS: dict[str, tuple[Any, type | tuple[type, ...]]] = {
    "db_path": ("linli.db", str),
    "retention_days": (180, int),  # conversations older than this are deleted by `linli privacy purge`
    "media_dir": ("", str),  # pictures and voice notes; '' = a "<db name>-media" directory next to the database
    "max_media_bytes": (10_000_000, int),  # a bigger picture or voice note is refused
}
SPEECH_DEFAULTS: dict[str, tuple[Any, type | tuple[type, ...]]] = {
    "url": ("", str),  # the speech-to-text server; '' = none (voice notes are kept for a social worker)
    "kind": ("whisper", str),  # whisper (OpenAI-compatible /v1/audio/transcriptions) | funasr
    "timeout_seconds": (15.0, float),  # a slower answer counts as a failure
    "model": ("whisper-1", str),  # the model name sent to a whisper server
    "language": ("zh", str),
}
REPORTS_DEFAULTS: dict[str, tuple[Any, type | tuple[type, ...]]] = {
    "min_ratings": (10, int),  # `linli report` shows a share of helpful ratings only from this many ratings
}


@dataclass(frozen=True)
class ComponentConfig:
    """One entry of ``pipeline:``: the component name and its parameters as written."""

    name: str
    params: dict[str, Any]
    index: int


@dataclass(frozen=True)
class Settings:
    """Everything Linli needs from config.yml, resolved and checked."""

    path: Path
    language: str
    pipeline: tuple[ComponentConfig, ...]
    training_data: Path
    model_dir: Path
    test_fraction: float
    random_seed: int
    dialogue: dict[str, Any] = field(default_factory=dict)
    handoff: dict[str, Any] = field(default_factory=dict)
    telegram: dict[str, Any] = field(default_factory=dict)
    web: dict[str, Any] = field(default_factory=lambda: {k: v[0] for k, v in WEB_DEFAULTS.items()})
    flows_dir: Path = Path("dialogues/flows")
    content_dir: Path = Path("knowledge/content")
    channels: dict[str, Any] = field(default_factory=dict)
    db_path: Path = Path("linli.db")
    retention_days: int = 180
    nlu_backend: str = "local"
    rasa_url: str = ""
    rasa_timeout: float = 2.0
    rasa_retry_seconds: float = 30.0
    reports: dict[str, Any] = field(default_factory=lambda: {k: v[0] for k, v in REPORTS_DEFAULTS.items()})
    storage: dict[str, Any] = field(default_factory=lambda: {k: v[0] for k, v in STORAGE_DEFAULTS.items()})
    speech: dict[str, Any] = field(default_factory=lambda: {k: v[0] for k, v in SPEECH_DEFAULTS.items()})

    @property
    def base_dir(self) -> Path:
        """The directory relative paths in the config are resolved against."""
        return self.path.parent

    def resolve(self, value: str | Path) -> Path:
        """Resolve a path from the config file relative to the config's directory."""
        p = Path(value)
        return p if p.is_absolute() else (self.base_dir / p)


def _type_name(t: type | tuple[type, ...]) -> str:
    if isinstance(t, tuple):
        return " or ".join(x.__name__ for x in t)
    return t.__name__


def check_section(
    section: str,
    given: Any,
    defaults: dict[str, tuple[Any, type | tuple[type, ...]]],
    source: Path,
) -> dict[str, Any]:
    """Merge ``given`` over ``defaults``, rejecting unknown keys and wrong types."""
    if given is None:
        given = {}
    if not isinstance(given, dict):
        raise ConfigError(f"{source}: '{section}' must be a mapping, got {type(given).__name__}")
    merged = {k: v[0] for k, v in defaults.items()}
    for key, value in given.items():
        if key not in defaults:
            valid = ", ".join(sorted(defaults))
            raise ConfigError(f"{source}: unknown key '{section}.{key}'. Valid keys: {valid}")
        expected = defaults[key][1]
        # YAML reads 1 as int where a float is wanted; accept it.
        if expected is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if isinstance(value, bool) and expected is not bool:
            raise ConfigError(f"{source}: '{section}.{key}' must be {_type_name(expected)}, got a boolean")
        if not isinstance(value, expected):
            raise ConfigError(
                f"{source}: '{section}.{key}' must be {_type_name(expected)}, got {type(value).__name__} ({value!r})"
            )
        merged[key] = value
    return merged


def _read_yaml(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise ConfigError(f"config file not found: {path} (set --config or {ENV_CONFIG})")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark is not None else ""
        raise ConfigError(f"{path}:{where} is not valid YAML: {getattr(exc, 'problem', exc)}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: is not UTF-8 text") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: the top level must be a mapping with 'language' and 'pipeline'")
    return data


def _read_pipeline(raw: Any, path: Path) -> tuple[ComponentConfig, ...]:
    if not isinstance(raw, list) or not raw:
        raise ConfigError(f"{path}: 'pipeline' must be a non-empty list of components (each with a 'name')")
    out = []
    for i, item in enumerate(raw):
        if not isinstance(item, dict) or "name" not in item:
            raise ConfigError(f"{path}: pipeline[{i}] must be a mapping with a 'name' key")
        name = item["name"]
        if not isinstance(name, str):
            raise ConfigError(f"{path}: pipeline[{i}].name must be a string")
        params = {k: v for k, v in item.items() if k != "name"}
        out.append(ComponentConfig(name=name, params=params, index=i))
    return tuple(out)


def _check_backend(nlu: dict[str, Any], source: Path) -> None:
    """``nlu.backend`` and, for the Rasa backend, its URL and timeouts."""
    if nlu["backend"] not in NLU_BACKENDS:
        raise ConfigError(
            f"{source}: 'nlu.backend' must be one of {', '.join(NLU_BACKENDS)}, got {nlu['backend']!r}"
        )
    url = nlu["rasa_url"]
    if nlu["backend"] == "rasa" and not url:
        raise ConfigError(f"{source}: 'nlu.rasa_url' is required when 'nlu.backend' is rasa (e.g. http://127.0.0.1:5005)")
    if url and not url.startswith(("http://", "https://")):
        raise ConfigError(f"{source}: 'nlu.rasa_url' must start with http:// or https://, got {url!r}")
    for key in ("rasa_timeout", "rasa_retry_seconds"):
        if nlu[key] <= 0:
            raise ConfigError(f"{source}: 'nlu.{key}' must be more than 0 seconds, got {nlu[key]}")


def load_config(path: str | Path | None = None, db_path: str | Path | None = None) -> Settings:
    """Read and check config.yml; ``path``/``db_path`` override the file and the environment."""
    cfg_path = Path(path or os.environ.get(ENV_CONFIG) or DEFAULT_CONFIG_PATH).resolve()
    data = _read_yaml(cfg_path)
    unknown = sorted(set(data) - set(TOP_LEVEL_KEYS))
    if unknown:
        raise ConfigError(f"{cfg_path}: unknown top-level key '{unknown[0]}'. Valid keys: {', '.join(TOP_LEVEL_KEYS)}")
    language = data.get("language")
    if language not in SUPPORTED_LANGUAGES:
        raise ConfigError(f"{cfg_path}: 'language' must be one of {', '.join(SUPPORTED_LANGUAGES)}, got {language!r}")
    pipeline = _read_pipeline(data.get("pipeline"), cfg_path)
    nlu = check_section("nlu", data.get("nlu"), NLU_DEFAULTS, cfg_path)
    if not 0.0 < nlu["test_fraction"] < 1.0:
        raise ConfigError(f"{cfg_path}: 'nlu.test_fraction' must be between 0 and 1, got {nlu['test_fraction']}")
    _check_backend(nlu, cfg_path)
    dialogue = check_section("dialogue", data.get("dialogue"), DIALOGUE_DEFAULTS, cfg_path)
    knowledge = check_section("knowledge", data.get("knowledge"), KNOWLEDGE_DEFAULTS, cfg_path)
    handoff = check_section("handoff", data.get("handoff"), HANDOFF_DEFAULTS, cfg_path)
    channels = check_section("channels", data.get("channels"), CHANNELS_DEFAULTS, cfg_path)
    telegram = check_section("channels.telegram", channels["telegram"], TELEGRAM_DEFAULTS, cfg_path)
    if telegram["mode"] not in ("polling", "webhook"):
        raise ConfigError(f"{cfg_path}: 'channels.telegram.mode' must be polling or webhook, got {telegram['mode']!r}")
    if telegram["mode"] == "webhook" and not telegram["webhook_url"]:
        raise ConfigError(f"{cfg_path}: 'channels.telegram.webhook_url' is required in webhook mode")
    telegram["base_url"] = os.environ.get("TELEGRAM_BASE_URL") or telegram["base_url"]
    telegram["token"] = os.environ.get(telegram["token_env"], "")
    telegram["webhook_secret"] = os.environ.get(telegram["webhook_secret_env"], "")
    web = check_section("channels.web", channels["web"], WEB_DEFAULTS, cfg_path)
    if not 1 <= web["port"] <= 65535:
        raise ConfigError(f"{cfg_path}: 'channels.web.port' must be between 1 and 65535, got {web['port']}")
    for key in ("poll_seconds", "session_hours", "login_window_seconds"):
        if web[key] <= 0:
            raise ConfigError(f"{cfg_path}: 'channels.web.{key}' must be more than 0, got {web[key]}")
    for key in ("max_message_chars", "login_attempts"):
        if web[key] < 1:
            raise ConfigError(f"{cfg_path}: 'channels.web.{key}' must be 1 or more, got {web[key]}")
    storage = check_section("storage", data.get("storage"), STORAGE_DEFAULTS, cfg_path)
    reports = check_section("reports", data.get("reports"), REPORTS_DEFAULTS, cfg_path)
    if storage["max_media_bytes"] < 1:
        raise ConfigError(f"{cfg_path}: 'storage.max_media_bytes' must be 1 or more, got {storage['max_media_bytes']}")
    speech = check_section("speech", data.get("speech"), SPEECH_DEFAULTS, cfg_path)
    if speech["kind"] not in ("whisper", "funasr"):
        raise ConfigError(f"{cfg_path}: 'speech.kind' must be whisper or funasr, got {speech['kind']!r}")
    if speech["url"] and not speech["url"].startswith(("http://", "https://")):
        raise ConfigError(f"{cfg_path}: 'speech.url' must start with http:// or https://, got {speech['url']!r}")
    if speech["timeout_seconds"] <= 0:
        raise ConfigError(f"{cfg_path}: 'speech.timeout_seconds' must be more than 0, got {speech['timeout_seconds']}")
    if reports["min_ratings"] < 1:
        raise ConfigError(f"{cfg_path}: 'reports.min_ratings' must be 1 or more, got {reports['min_ratings']}")

    base = cfg_path.parent

    def rel(p: str) -> Path:
        q = Path(p)
        return q if q.is_absolute() else base / q

    training_data = rel(nlu["training_data"])
    if not training_data.exists():
        raise ConfigError(f"{cfg_path}: 'nlu.training_data' points to a missing path: {training_data}")
    db = Path(db_path or os.environ.get(ENV_DB) or rel(storage["db_path"]))
    return Settings(
        path=cfg_path,
        language=language,
        pipeline=pipeline,
        training_data=training_data,
        model_dir=rel(nlu["model_dir"]),
        test_fraction=nlu["test_fraction"],
        random_seed=nlu["random_seed"],
        dialogue=dialogue,
        handoff=handoff,
        telegram=telegram,
        web=web,
        flows_dir=rel(dialogue["flows_dir"]),
        content_dir=rel(knowledge["content_dir"]),
        channels=channels,
        db_path=db,
        retention_days=storage["retention_days"],
        nlu_backend=nlu["backend"],
        rasa_url=nlu["rasa_url"].rstrip("/"),
        rasa_timeout=nlu["rasa_timeout"],
        rasa_retry_seconds=nlu["rasa_retry_seconds"],
        reports=reports,
        storage=storage,
        speech=speech,
    )
