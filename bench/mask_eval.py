"""Masking, measured on a blind set: recall on personal numbers, false masks on everyday numbers.

Usage: python bench/mask_eval.py [--data bench/mask_eval_blind.jsonl] [--show]

The set (bench/mask_eval_blind.jsonl) was written by someone else, without looking at
``bot/privacy.py``, and ``bot/privacy.py`` was not tuned to it. Each line is a JSON object:

- ``text``: a message as a person would type it;
- ``personal``: the personal numbers in it, as written (empty for a message with only
  everyday numbers); an item may also be an object with ``text`` or ``start``/``end``;
- ``kind``: a label for the kind of message, used only to break the figures down.

A personal number counts as masked when the masked text no longer contains it as written
(``mask`` replaces the whole number and keeps at most its last 4 digits). A message with no
personal number counts as a false mask when ``mask`` changes it at all.
"""

from __future__ import annotations

import argparse
import json
from collections import defaultdict
from pathlib import Path
from typing import Any

from _common import ROOT

from bot.privacy import mask


def _as_written(row: dict[str, Any], item: Any) -> str:
    if isinstance(item, str):
        return item
    if isinstance(item, dict):
        if isinstance(item.get("text"), str):
            return str(item["text"])
        if "start" in item and "end" in item:
            return str(row["text"][int(item["start"]):int(item["end"])])
    return str(item)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default=str(ROOT / "bench" / "mask_eval_blind.jsonl"))
    ap.add_argument("--show", action="store_true", help="list every miss and false mask")
    args = ap.parse_args()
    rows = []
    for n, line in enumerate(Path(args.data).read_text(encoding="utf-8").splitlines(), start=1):
        if line.strip():
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError as exc:
                raise SystemExit(f"Error: {args.data}:{n}: not JSON ({exc})") from None

    found: dict[str, list[bool]] = defaultdict(list)  # kind -> masked? for each personal number
    false: dict[str, list[bool]] = defaultdict(list)  # kind -> changed? for each everyday message
    misses, false_masks = [], []
    for row in rows:
        text, kind = str(row["text"]), str(row.get("kind") or "?")
        masked = mask(text)
        personal = [_as_written(row, p) for p in row.get("personal") or []]
        if personal:
            for p in personal:
                ok = p not in masked
                found[kind].append(ok)
                if not ok:
                    misses.append((kind, text, p, masked))
        else:
            changed = masked != text
            false[kind].append(changed)
            if changed:
                false_masks.append((kind, text, masked))

    def rate(values: list[bool]) -> str:
        return f"{sum(values) / len(values):.3f} ({sum(values)}/{len(values)})" if values else "-"

    all_found = [v for vs in found.values() for v in vs]
    all_false = [v for vs in false.values() for v in vs]
    print(f"{len(rows)} messages from {args.data}")
    print(f"recall on personal numbers:      {rate(all_found)}")
    print(f"false-mask rate, everyday texts: {rate(all_false)}")
    print("\nby kind:")
    for kind in sorted(set(found) | set(false)):
        if found.get(kind):
            print(f"  {kind:<28} recall {rate(found[kind])}")
        if false.get(kind):
            print(f"  {kind:<28} false masks {rate(false[kind])}")
    if args.show:
        for kind, text, p, masked in misses:
            print(f"MISS  [{kind}] {p!r} in {text!r} -> {masked!r}")
        for kind, text, masked in false_masks:
            print(f"FALSE [{kind}] {text!r} -> {masked!r}")


if __name__ == "__main__":
    main()
