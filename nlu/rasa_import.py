"""``linli nlu import-rasa``: read an existing Rasa project's NLU data into our training data.

Accepts a Rasa project folder (its ``data/`` folder, searched recursively, or the folder
itself when it has no ``data/``) or one YAML file. Only the ``nlu:`` part is read; stories,
rules, responses and the domain are skipped. Rasa's older Markdown and JSON formats are
refused with the ``rasa data convert`` command that turns them into YAML.

Rasa intents have no capability. An intent gets one from, in order: its own
``metadata.capability`` (e.g. data exported by ``linli nlu export-rasa``), the
``--capability-map`` file (``intent: capability`` lines), ``--default-capability``. Intents
left without one are written without it and listed in the report: our reader refuses them,
naming file and line, until ``metadata: {capability: ...}`` is added.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path

from bot.errors import TrainingDataError
from nlu.training_data import (
    CAPABILITIES,
    KEY_CAPABILITY,
    KEY_NLU,
    TrainingData,
    read_blocks,
    read_yaml,
    to_yaml,
)

logger = logging.getLogger(__name__)

DEFAULT_OUT = Path("nlu") / "imported"  # outside nlu/data, so nothing is trained on before review
OLD_FORMATS = (".md", ".json")
YAML_SUFFIXES = (".yml", ".yaml")
# Rasa 3 also writes ``[text][{"entity": ...}, {"entity": ...}]`` for overlapping entities.
ENTITY_LIST_RE = re.compile(r"\[(?P<text>[^\]\[]+?)\]\[(?P<list>\{.*?\})\]")
MD_NLU_RE = re.compile(r"^##\s*(intent|synonym|regex|lookup)\s*:", re.MULTILINE)


@dataclass
class ImportReport:
    """What ``import_rasa`` read and wrote."""

    source: Path
    files: list[Path] = field(default_factory=list)
    skipped: list[Path] = field(default_factory=list)  # YAML files without an ``nlu:`` part
    written: Path | None = None
    data: TrainingData = field(default_factory=TrainingData)
    unmapped: list[str] = field(default_factory=list)  # intents with no capability
    warnings: list[str] = field(default_factory=list)

    def describe(self) -> str:
        """The report printed by the CLI."""
        d = self.data
        lines = [
            (
                f"Read {len(self.files)} Rasa NLU file(s) from {self.source}: {len(d.intents)} intents, "
                f"{len(d.examples)} examples, {len(d.synonyms)} synonyms, {len(d.lookups)} lookup tables, "
                f"{len(d.regexes)} regexes"
            ),
        ]
        if self.skipped:
            lines.append(f"Skipped {len(self.skipped)} file(s) without NLU data (stories, rules, domain).")
        lines += [f"warning: {w}" for w in self.warnings]
        if self.written:
            lines.append(f"Wrote {self.written}")
        if self.unmapped:
            lines.append(
                f"{len(self.unmapped)} intent(s) have no capability mapping; add `metadata: {{capability: ...}}` "
                f"(one of {', '.join(CAPABILITIES)}) or rerun with --capability-map FILE / --default-capability:"
            )
            lines += [f"  - {name} ({d.counts().get(name, 0)} examples)" for name in self.unmapped]
        else:
            lines.append("Every intent has a capability.")
        return "\n".join(lines)


def _old_format_error(path: Path) -> TrainingDataError:
    out = path.with_suffix(".yml")
    return TrainingDataError(
        f"{path}: Rasa's {path.suffix[1:].upper()} training data format is not supported; convert it to YAML "
        f"first with `rasa data convert nlu -f yaml --data {path} --out {out}`"
    )


def _looks_like_old_nlu(path: Path) -> bool:
    """True for Markdown or JSON files that hold Rasa NLU data (not a README)."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False
    if path.suffix == ".md":
        return bool(MD_NLU_RE.search(text))
    return '"rasa_nlu_data"' in text


def find_nlu_files(path: Path) -> list[Path]:
    """The YAML files to read: one file, a project's ``data/`` folder, or a folder of files."""
    if not path.exists():
        raise TrainingDataError(f"{path}: no such file or directory")
    if path.is_file():
        if path.suffix in OLD_FORMATS:
            raise _old_format_error(path)
        if path.suffix not in YAML_SUFFIXES:
            raise TrainingDataError(f"{path}: expected a Rasa NLU .yml/.yaml file or a Rasa project folder")
        return [path]
    root = path / "data" if (path / "data").is_dir() else path
    candidates = sorted(p for p in root.rglob("*") if p.is_file() and not any(x.startswith(".") for x in p.parts))
    for p in candidates:
        if p.suffix in OLD_FORMATS and _looks_like_old_nlu(p):
            raise _old_format_error(p)
    files = [p for p in candidates if p.suffix in YAML_SUFFIXES]
    if not files:
        raise TrainingDataError(f"{root}: no .yml/.yaml files with Rasa NLU data")
    return files


def read_capability_map(path: Path) -> dict[str, str]:
    """``intent: capability`` pairs from a YAML file; an unknown capability names the file and intent."""
    raw, _ = read_yaml(path)
    if not isinstance(raw, dict):
        raise TrainingDataError(f"{path}: expected a mapping of intent: capability")
    out = {}
    for intent, cap in raw.items():
        if cap not in CAPABILITIES:
            raise TrainingDataError(
                f"{path}: intent '{intent}' maps to {cap!r}; valid capabilities: {', '.join(CAPABILITIES)}"
            )
        out[str(intent)] = str(cap)
    return out


def _flatten_entity_lists(text: str, where: str, warnings: list[str]) -> str:
    """Keep the first entity of Rasa's ``[text][{...}, {...}]`` list form, which we cannot represent."""

    def first(m: re.Match[str]) -> str:
        try:
            specs = json.loads(f"[{m.group('list')}]")
        except json.JSONDecodeError:
            raise TrainingDataError(f"{where}: entity annotation {m.group(0)!r} has invalid JSON") from None
        if len(specs) > 1:
            warnings.append(f"{where}: '{m.group('text')}' has {len(specs)} overlapping entities; kept the first")
        return f"[{m.group('text')}]{json.dumps(specs[0], ensure_ascii=False)}"

    return ENTITY_LIST_RE.sub(first, text)


def read_rasa_file(path: Path, warnings: list[str]) -> TrainingData | None:
    """The NLU part of one Rasa YAML file, or None when it has none. Capabilities are not required."""
    doc, text = read_yaml(path)
    if not isinstance(doc, dict) or KEY_NLU not in doc:
        return None

    def rewrite(example: str, where: str) -> str:
        return _flatten_entity_lists(example, where, warnings)

    return read_blocks(path, text, doc.get(KEY_NLU) or [], require_capability=False,
                       rewrite=rewrite, warn=warnings.append)


def assign_capabilities(data: TrainingData, capability_map: dict[str, str] | None = None,
                        default: str | None = None) -> list[str]:
    """Give every intent a capability where one is known; return the intents left without."""
    if default is not None and default not in CAPABILITIES:
        raise TrainingDataError(f"--default-capability {default!r} is not one of {', '.join(CAPABILITIES)}")
    unmapped = []
    for intent in data.intents:
        meta = data.intent_metadata.setdefault(intent, {})
        if meta.get(KEY_CAPABILITY) in CAPABILITIES:
            continue
        cap = (capability_map or {}).get(intent, default)
        if cap is None:
            meta.pop(KEY_CAPABILITY, None)
            unmapped.append(intent)
        else:
            meta[KEY_CAPABILITY] = cap
    return unmapped


def read_rasa_nlu(path: Path, capability_map: dict[str, str] | None = None,
                  default_capability: str | None = None) -> ImportReport:
    """Read a Rasa project's (or file's) NLU data and assign capabilities."""
    report = ImportReport(source=path)
    for f in find_nlu_files(path):
        part = read_rasa_file(f, report.warnings)
        if part is None:
            report.skipped.append(f)
            continue
        report.files.append(f)
        report.data.merge(part)
    if not report.files:
        raise TrainingDataError(f"{path}: no file with an 'nlu:' section")
    report.unmapped = assign_capabilities(report.data, capability_map, default_capability)
    return report


def import_rasa(path: Path, out_dir: Path = DEFAULT_OUT, name: str | None = None,
                capability_map: Path | None = None, default_capability: str | None = None,
                force: bool = False) -> ImportReport:
    """Read Rasa NLU data and write it as our YAML to ``out_dir/NAME.yml`` (never overwriting without force)."""
    mapping = read_capability_map(capability_map) if capability_map else None
    report = read_rasa_nlu(path, mapping, default_capability)
    stem = name or (path.stem if path.is_file() else path.resolve().name) or "imported"
    target = out_dir / f"{stem}.yml"
    if target.exists() and not force:
        raise TrainingDataError(f"{target} already exists; use --force to overwrite it or --out another folder")
    out_dir.mkdir(parents=True, exist_ok=True)
    header = f"# Imported by `linli nlu import-rasa` from {path}\n"
    target.write_text(header + to_yaml(report.data), encoding="utf-8")
    report.written = target
    for w in report.warnings:
        logger.warning("%s", w)
    return report
