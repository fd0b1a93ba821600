"""Read ``dialogues/flows/*.yml`` and validate the whole set, naming file, flow, step and line.

Checks: YAML syntax, required keys, duplicate flow/step ids, missing text, unknown step in
``next``/``goto``, unreachable steps, unknown slots, unknown intents, a tutorial without
``source``/``reviewed``, an unknown step ``kit``, and the follow-the-person keys of a step
(``cues``, ``questions``, ``substeps``, ``fix``).

Step kits (``shared/step_kits.yml`` next to the flows) hold the cues, questions, sub-steps
and fix that many tutorials share (logging in, the address, the cart …); a step names one
with ``kit:``. Its own ``cues``/``substeps``/``fix`` replace the kit's, its own
``questions`` come before the kit's.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any


from bot.errors import FlowError
from bot.yamlio import item_lines, read_optional_yaml, read_yaml
from dialogues.flow_schema import check_flow_doc, check_kits_doc
from dialogues.schema import AUDIENCES, FLOW_KINDS, KNOWN_SLOTS, Button, Flow, Step, StepQuestion, Transition

KITS_FILE = Path("shared") / "step_kits.yml"
Kits = dict[str, dict[str, Any]]


def _as_str_date(value: Any) -> str:
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()[:10]
    return str(value or "")


def _buttons(raw: Any, where: str, errors: list[str]) -> tuple[Button, ...]:
    out = []
    for b in raw or []:
        if isinstance(b, str):
            out.append(Button(b))
        elif isinstance(b, dict) and isinstance(b.get("label"), str):
            out.append(Button(b["label"], b.get("goto"), b.get("intent"), dict(b.get("set") or {})))
        else:
            errors.append(f"{where}: a button must be a text or a mapping with 'label'")
    return tuple(out)


def _transitions(raw: Any, where: str, errors: list[str]) -> tuple[Transition, ...]:
    if raw is None:
        return ()
    if isinstance(raw, str):
        return (Transition(raw),)
    out = []
    if isinstance(raw, list):
        for t in raw:
            if isinstance(t, dict) and isinstance(t.get("goto"), str):
                out.append(Transition(t["goto"], dict(t.get("if") or t.get("when") or {})))
            else:
                errors.append(f"{where}: each 'next' entry needs 'goto' (and optionally 'if')")
    else:
        errors.append(f"{where}: 'next' must be a step id or a list of {{if, goto}}")
    return tuple(out)


def _questions(raw: Any) -> tuple[StepQuestion, ...]:
    out = []
    for q in raw or []:
        if isinstance(q, dict) and q.get("match") and str(q.get("answer") or "").strip():
            match = tuple(tuple(w.strip() for w in str(m).split("+") if w.strip()) for m in q["match"])
            out.append(StepQuestion(tuple(m for m in match if m), str(q["answer"]).strip()))
    return tuple(out)


def _follow(raw: dict[str, Any], kits: Kits, swhere: str, errors: list[str]) -> dict[str, Any]:
    """The step's cues, questions, sub-steps and fix, merged with its kit's."""
    kit: dict[str, Any] = {}
    name = raw.get("kit")
    if name is not None:
        if name not in kits:
            known = ", ".join(sorted(kits)) or "none"
            errors.append(f"{swhere}: unknown kit '{name}' in 'kit'. Known kits ({KITS_FILE}): {known}")
        else:
            kit = kits[name]
    words = raw.get("cues") if raw.get("cues") else kit.get("cues")
    return {
        "cues": tuple(str(w).strip() for w in words or [] if str(w).strip()),
        "questions": _questions(raw.get("questions")) + _questions(kit.get("questions")),
        "substeps": tuple(str(x).strip() for x in (raw.get("substeps") or kit.get("substeps") or [])),
        "fix": str(raw.get("fix") or kit.get("fix") or "").strip(),
        "kit": str(name) if kit else "",
    }


def read_kits(directory: Path, errors: list[str]) -> Kits:
    """The step kits shared by the tutorials (``shared/step_kits.yml``), or {} without the file."""
    path = directory / KITS_FILE
    read = read_optional_yaml(path, errors)
    if read is None:
        return {}
    text, doc = read
    if not isinstance(doc, dict) or not isinstance(doc.get("kits"), dict):
        errors.append(f"{path}:1: the step kits file must be a mapping with 'kits: {{name: {{cues, questions, "
                      "substeps, fix}}}}'")
        return {}
    for loc, problem in check_kits_doc(doc):
        name = next((p for p in reversed(loc) if isinstance(p, str) and p != "kits"), "")
        line = next((n for n, ln in enumerate(text.splitlines(), 1) if ln.lstrip(" -").startswith(f"{name}:")), 1)
        errors.append(f"{path}:{line}: {problem}")
    return {str(k): v for k, v in doc["kits"].items() if isinstance(v, dict)}


def _key_line(text: str, loc: tuple[Any, ...], flow_line: int, step_lines: list[int]) -> int:
    """The line of the key a schema problem names: inside its step when it is in one."""
    lines = text.splitlines()
    start = 1
    if len(loc) >= 2 and loc[0] == "steps" and isinstance(loc[1], int) and loc[1] < len(step_lines):
        start = step_lines[loc[1]]
    names = [p for p in loc if isinstance(p, str) and p != "steps"]
    name = names[-1] if names else ""
    if name == "if_":
        name = "if"
    for n in range(start, len(lines) + 1):
        stripped = lines[n - 1].lstrip(" -")
        if name and (stripped.startswith(f"{name}:") or stripped.startswith(f"{name} :")):
            return n
    return start if start > 1 else flow_line or 1


def read_flow(path: Path, errors: list[str], kits: Kits | None = None) -> Flow | None:
    """Parse one flow file, appending problems to ``errors``; ``kits``: the shared step kits."""
    read = read_yaml(path, errors)
    if read is None:
        return None
    text, doc = read
    if not isinstance(doc, dict):
        errors.append(f"{path}:1: a flow file must be a mapping with 'flow' and 'steps'")
        return None
    flow_line, step_lines = item_lines(text, "steps")
    fid = doc.get("flow")
    where = f"{path}:{flow_line}"
    if not isinstance(fid, str) or not fid:
        errors.append(f"{where}: missing 'flow' (the flow id)")
        return None
    # The schema (dialogues/flow_schema.py, pydantic): unknown keys, types, dates, on the key's own line.
    for loc, problem in check_flow_doc(doc):
        if not problem.startswith("unknown key") and loc and loc[-1] in ("title", "kind", "audience", "steps", "id",
                                                                        "text"):
            continue  # said below in the words flow authors know
        line = _key_line(text, loc, flow_line, step_lines)
        errors.append(f"{path}:{line}: flow '{fid}': {problem}")
    kind = doc.get("kind", "flow")
    if kind not in FLOW_KINDS:
        errors.append(f"{where}: flow '{fid}': kind must be one of {', '.join(FLOW_KINDS)}, got {kind!r}")
    audience = doc.get("audience", "any")
    if audience not in AUDIENCES:
        errors.append(f"{where}: flow '{fid}': audience must be one of {', '.join(AUDIENCES)}, got {audience!r}")
    if not doc.get("title"):
        errors.append(f"{where}: flow '{fid}': missing 'title'")
    raw_steps = doc.get("steps")
    if not isinstance(raw_steps, list) or not raw_steps:
        errors.append(f"{where}: flow '{fid}': 'steps' must be a non-empty list")
        return None
    steps = []
    for i, raw in enumerate(raw_steps):
        line = step_lines[i] if i < len(step_lines) else flow_line
        swhere = f"{path}:{line}: flow '{fid}' step {i + 1}"
        if not isinstance(raw, dict):
            errors.append(f"{swhere}: a step must be a mapping with 'id' and 'text'")
            continue
        sid = raw.get("id")
        if not isinstance(sid, str) or not sid:
            errors.append(f"{swhere}: missing 'id'")
            sid = f"step{i + 1}"
        else:
            swhere = f"{path}:{line}: flow '{fid}' step '{sid}'"
        text_ = raw.get("text")
        if not isinstance(text_, str) or not text_.strip():
            errors.append(f"{swhere}: missing 'text'")
            text_ = ""
        steps.append(
            Step(
                id=sid,
                text=text_.strip(),
                simpler=str(raw.get("simpler") or "").strip(),
                buttons=_buttons(raw.get("buttons"), swhere, errors),
                ask=raw.get("ask"),
                next=_transitions(raw.get("next"), swhere, errors),
                when=dict(raw.get("when") or {}),
                end=bool(raw.get("end", False)),
                line=line,
                **_follow(raw, kits or {}, swhere, errors),
            )
        )
    intents = doc.get("intents") or []
    if isinstance(intents, str):
        intents = [intents]
    return Flow(
        id=fid,
        kind=kind,
        title=str(doc.get("title") or ""),
        steps=tuple(steps),
        audience=audience,
        intents=tuple(intents),
        when=dict(doc.get("when") or {}),
        intro=str(doc.get("intro") or "").strip(),
        outro=str(doc.get("outro") or "").strip(),
        entry={str(k): str(v) for k, v in (doc.get("entry") or {}).items()},
        intro_named=str(doc.get("intro_named") or "").strip(),
        names=tuple(str(n) for n in doc.get("names") or [] if str(n).strip()),
        takes_over=tuple(str(n) for n in doc.get("takes_over") or []),
        said=tuple(tuple(w for w in str(n).split("+") if w) for n in doc.get("said") or [] if str(n).strip()),
        source=str(doc.get("source") or ""),
        reviewed=_as_str_date(doc.get("reviewed")),
        path=f"{path}:{flow_line}",
    )


def _check_flow(flow: Flow, known_intents: set[str] | None, errors: list[str]) -> None:
    where = f"{flow.path}: flow '{flow.id}'"
    ids = [s.id for s in flow.steps]
    for sid in {x for x in ids if ids.count(x) > 1}:
        errors.append(f"{where}: step id '{sid}' is used twice")
    idset = set(ids)
    for key in flow.when:
        if key not in KNOWN_SLOTS:
            errors.append(f"{where}: unknown slot '{key}' in 'when'. Known slots: {', '.join(KNOWN_SLOTS)}")
    if known_intents is not None:
        for intent in flow.intents:
            if intent not in known_intents:
                errors.append(f"{where}: unknown intent '{intent}' (not in the NLU training data)")
    for intent, target in flow.entry.items():
        if intent not in flow.intents:
            errors.append(f"{where}: 'entry' names intent '{intent}' that is not in the flow's intents")
        if target not in idset:
            errors.append(f"{where}: 'entry' for '{intent}' names unknown step '{target}'")
    if flow.kind == "tutorial":
        if not flow.source:
            errors.append(f"{where}: a tutorial needs 'source' (where its facts come from)")
        if not flow.reviewed:
            errors.append(f"{where}: a tutorial needs 'reviewed' (YYYY-MM-DD)")
    if bool(flow.takes_over) != bool(flow.said):
        errors.append(f"{where}: 'takes_over' and 'said' go together (which tutorials, and the words)")
    if known_intents is not None:
        for intent in flow.takes_over:
            if intent not in known_intents:
                errors.append(f"{where}: unknown intent '{intent}' in 'takes_over'")
    if flow.intro_named and "{platform}" not in flow.intro_named:
        errors.append(f"{where}: 'intro_named' must say which app with {{platform}}")
    reachable = {flow.steps[0].id} | {t for t in flow.entry.values() if t in idset}
    for i, step in enumerate(flow.steps):
        swhere = f"{flow.path.rsplit(':', 1)[0]}:{step.line}: flow '{flow.id}' step '{step.id}'"
        for slot in [step.ask] if step.ask else []:
            if slot not in KNOWN_SLOTS:
                errors.append(f"{swhere}: unknown slot '{slot}' in 'ask'. Known slots: {', '.join(KNOWN_SLOTS)}")
        for cond in [step.when] + [t.when for t in step.next] + [b.set for b in step.buttons]:
            for key in cond:
                if key not in KNOWN_SLOTS:
                    errors.append(f"{swhere}: unknown slot '{key}'. Known slots: {', '.join(KNOWN_SLOTS)}")
        targets = [t.goto for t in step.next] + [b.goto for b in step.buttons if b.goto]
        for target in targets:
            if target not in idset:
                errors.append(f"{swhere}: unknown step '{target}' in next/goto")
        for b in step.buttons:
            if b.intent and known_intents is not None and b.intent not in known_intents:
                errors.append(f"{swhere}: button '{b.label}' names unknown intent '{b.intent}'")
        if step.id in reachable or i == 0:
            reachable.update(t for t in targets if t in idset)
            unconditional = any(not t.when for t in step.next)
            if not step.next or not unconditional:
                if not step.end and i + 1 < len(flow.steps):
                    reachable.add(flow.steps[i + 1].id)
    for step in flow.steps:
        if step.id not in reachable:
            errors.append(
                f"{flow.path.rsplit(':', 1)[0]}:{step.line}: flow '{flow.id}' step '{step.id}' is unreachable"
            )


def load_flows(directory: Path, known_intents: set[str] | None = None) -> dict[str, Flow]:
    """Read and validate every flow file; raise one FlowError listing every problem."""
    errors: list[str] = []
    flows: dict[str, Flow] = {}
    if not directory.is_dir():
        raise FlowError(f"flows directory not found: {directory}")
    kits = read_kits(directory, errors)
    for path in sorted(directory.glob("*.yml")) + sorted(directory.glob("*.yaml")):
        flow = read_flow(path, errors, kits)
        if flow is None:
            continue
        if flow.id in flows:
            errors.append(f"{flow.path}: flow id '{flow.id}' is already used by {flows[flow.id].path}")
            continue
        _check_flow(flow, known_intents, errors)
        flows[flow.id] = flow
    if errors:
        raise FlowError(f"{len(errors)} problem(s) in flows:\n  " + "\n  ".join(errors), errors)
    return flows
