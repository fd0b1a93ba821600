"""Helpers shared by the benchmark scripts (not part of the installed package)."""

from __future__ import annotations

import dataclasses
import resource
import sys
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.config import ComponentConfig, Settings, load_config  # noqa: E402


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far, in MB.

    Reads VmHWM on Linux: ru_maxrss survives exec, so a child started by a big parent would
    report the parent's peak.
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def with_overrides(settings: Settings, overrides: list[str]) -> Settings:
    """Apply ``Component.key=value`` overrides (value parsed as YAML) to the pipeline config.

    ``-Component`` removes a component; this is how variants are compared by measurement.
    """
    pipeline = [ComponentConfig(c.name, dict(c.params), c.index) for c in settings.pipeline]
    for ov in overrides:
        if ov.startswith("-"):
            pipeline = [c for c in pipeline if c.name != ov[1:]]
            continue
        target, value = ov.split("=", 1)
        name, key = target.split(".", 1)
        matches = [c for c in pipeline if c.name == name]
        if not matches:
            raise SystemExit(f"override {ov!r}: no component {name} in the pipeline")
        matches[0].params[key] = yaml.safe_load(value)
    pipeline = [ComponentConfig(c.name, c.params, i) for i, c in enumerate(pipeline)]
    return dataclasses.replace(settings, pipeline=tuple(pipeline))


def project_settings(config: str | None = None) -> Settings:
    """The project's settings (or another config file)."""
    return load_config(config)


def describe(settings: Settings) -> str:
    """The pipeline as one line, for the record."""
    parts: list[Any] = []
    for c in settings.pipeline:
        params = ",".join(f"{k}={v}" for k, v in c.params.items() if k != "dictionary_path")
        parts.append(f"{c.name}({params})" if params else c.name)
    return " > ".join(parts)
