"""Reading hand-written YAML files (flows, knowledge content) with line numbers for error messages."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml


class _Loader(yaml.SafeLoader):
    """SafeLoader, except that a date-looking value that is no date (2026-13-01) stays text.

    PyYAML raises a bare ValueError there, with no file or line; kept as text, the schema
    reports it as a bad date on the field's own line.
    """

    def construct_yaml_timestamp(self, node: yaml.Node) -> Any:
        try:
            return super().construct_yaml_timestamp(node)
        except ValueError:
            return self.construct_scalar(node)


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _Loader.construct_yaml_timestamp)


def read_yaml(path: Path, errors: list[str]) -> tuple[str, Any] | None:
    """The file's text and parsed document, or None with a ``file:line`` problem appended."""
    try:
        text = path.read_text(encoding="utf-8")
        return text, yaml.load(text, Loader=_Loader)  # noqa: S506 (a SafeLoader subclass)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        errors.append(f"{path}:{mark.line + 1 if mark else '?'}: invalid YAML: {getattr(exc, 'problem', exc)}")
    except (OSError, UnicodeDecodeError) as exc:
        errors.append(f"{path}: cannot be read ({exc})")
    return None


def read_optional_yaml(path: Path, errors: list[str]) -> tuple[str, Any] | None:
    """``read_yaml`` for a file that may be absent (shared step kits, asks.yml): None when it is not there."""
    return read_yaml(path, errors) if path.is_file() else None


def item_lines(text: str, key: str) -> tuple[int, list[int]]:
    """1-based line of the top-level mapping and of each item of the list under ``key``."""
    try:
        root = yaml.compose(text)
    except yaml.YAMLError:
        return 0, []
    if not isinstance(root, yaml.MappingNode):
        return 0, []
    for k, value in root.value:
        if k.value == key and isinstance(value, yaml.SequenceNode):
            return root.start_mark.line + 1, [item.start_mark.line + 1 for item in value.value]
    return root.start_mark.line + 1, []
