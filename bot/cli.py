"""The ``linli`` command. Each subcommand calls library code and nothing more."""

from __future__ import annotations

import argparse
import json
import logging
import re
import sys
from pathlib import Path
from typing import Any, Callable, TextIO

from bot import messages
from bot.config import ENV_CONFIG, ENV_DB, Settings, load_config
from bot.errors import ChatbotError

logger = logging.getLogger("linli")
DEFAULT_CONVERSATIONS = "tests/conversations"


def _settings(args: argparse.Namespace) -> Settings:
    return load_config(getattr(args, "config", None), getattr(args, "db", None))


def cmd_nlu_train(args: argparse.Namespace) -> int:
    """Train the NLU model unless it is already current."""
    from nlu.pipeline import train_model

    settings = _settings(args)
    stats = train_model(settings, force=args.force)
    if stats is None:
        print(f"NLU model in {settings.model_dir} is up to date (use --force to retrain).")
    else:
        print(
            f"Trained NLU model on {stats['examples']} examples, {stats['intents']} intents "
            f"in {stats['seconds']:.1f} s -> {settings.model_dir}"
        )
    return 0


def cmd_nlu_test(args: argparse.Namespace) -> int:
    """Evaluate the NLU: held-out split, cross-validation, or the trained model on another file."""
    from nlu.evaluate import run_evaluation

    settings = _settings(args)
    report = run_evaluation(
        settings,
        out_dir=Path(args.out),
        folds=args.cross_validation,
        data_path=Path(args.data) if args.data else None,
    )
    print(report.summary())
    print(f"Reports written to {args.out}/")
    return 0


def cmd_nlu_export_rasa(args: argparse.Namespace) -> int:
    """Write the training data and an equivalent pipeline as a Rasa 3.6 project."""
    from nlu.rasa_export import export_rasa

    summary = export_rasa(_settings(args), Path(args.outdir), epochs=args.epochs, force=args.force)
    print(summary.describe())
    print(f"Train it with Rasa 3.6: cd {args.outdir} && rasa train nlu")
    return 0


def cmd_nlu_import_rasa(args: argparse.Namespace) -> int:
    """Read a Rasa project's NLU data into our YAML and report intents without a capability."""
    from nlu.rasa_import import DEFAULT_OUT, import_rasa

    out = Path(args.out) if args.out else _settings(args).resolve(DEFAULT_OUT)
    report = import_rasa(
        Path(args.path), out, name=args.name,
        capability_map=Path(args.capability_map) if args.capability_map else None,
        default_capability=args.default_capability, force=args.force,
    )
    print(report.describe())
    return 0


def _load_pipeline(args: argparse.Namespace) -> Any:
    from nlu.pipeline import load_pipeline

    return load_pipeline(_settings(args))


_LINE_BREAKERS = {"\x85": "\\u0085", "\u2028": "\\u2028", "\u2029": "\\u2029"}


def jsonl_line(obj: dict[str, Any]) -> str:
    """One JSON line: readable Chinese, every character some readers treat as a line break escaped,
    and lone surrogates (from "\\ud800" in the input) replaced by U+FFFD, so any JSON reader takes it."""
    text = json.dumps(obj, ensure_ascii=False)
    for ch, esc in _LINE_BREAKERS.items():
        text = text.replace(ch, esc)
    return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace") + "\n"


MAX_JSON_INT_DIGITS = 4300  # what int() reads (sys.get_int_max_str_digits); a longer number is refused
MAX_USER_CHARS = 256  # a longer "user" in chat --jsonl is a mistake, not an id


class _BadLine(ValueError):
    """An input line that is not a request; str() is the English reason for the operator."""


def _json_int(digits: str) -> int:
    if len(digits.lstrip("-")) > MAX_JSON_INT_DIGITS:
        raise _BadLine(f"a number with {len(digits.lstrip('-'))} digits is too long "
                       f"(at most {MAX_JSON_INT_DIGITS})")
    return int(digits)


def _read_request(n: int, raw: bytes | str) -> dict[str, Any]:
    """The request object on input line ``n``; ``_BadLine`` says why there is none.

    Lines come as bytes from stdin (so invalid UTF-8 costs one line, not the batch) or as text.
    """
    if isinstance(raw, bytes):
        try:
            raw = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise _BadLine(f"not valid UTF-8 (byte 0x{raw[exc.start]:02x} at offset {exc.start})") from None
    if n == 1:
        raw = raw.removeprefix("\ufeff")  # a byte-order mark from a Windows editor
    try:
        obj = json.loads(raw, parse_int=_json_int)
    except RecursionError:
        raise _BadLine("not valid JSON (nested too deeply)") from None
    except json.JSONDecodeError as exc:
        raise _BadLine(f"not valid JSON ({exc.msg})") from None
    if not isinstance(obj, dict) or not isinstance(obj.get("text"), str):
        raise _BadLine("expected an object with a string field 'text'")
    return obj


def _jsonl_batch(stdin: Any, stdout: TextIO, answer: Callable[[int, dict[str, Any]], dict[str, Any]]) -> None:
    """Exactly one JSON line out per line in, in order and flushed: ``answer(n, request)``, or an
    ``error`` naming the line. Nothing on one line -- bad bytes, bad JSON, a bug -- ends the batch."""
    for n, raw in enumerate(stdin, start=1):
        try:
            out = answer(n, _read_request(n, raw))
        except _BadLine as exc:
            out = {"error": f"line {n}: {exc}", "line": n}
        except Exception as exc:  # a bug costs one line, never the rest of the batch
            logger.error("line %d: %s: %s", n, type(exc).__name__, exc, exc_info=exc)
            out = {"error": f"line {n}: internal error ({type(exc).__name__}); see the log", "line": n}
        stdout.write(jsonl_line(out))
        stdout.flush()


def _stdin_bytes() -> Any:
    """stdin as bytes, so each line is decoded on its own (see ``_read_request``)."""
    return getattr(sys.stdin, "buffer", sys.stdin)


def _ask_jsonl(pipeline: Any, stdin: Any, stdout: TextIO) -> None:
    """One JSON line out for every line in (bytes or text); a bad line gets an ``error`` field, never a crash."""
    _jsonl_batch(stdin, stdout, lambda n, obj: pipeline.parse(obj["text"]).as_dict())


def _describe(result: Any) -> str:
    lines = [f"intent:     {result.intent} ({result.capability})", f"confidence: {result.confidence:.3f}"]
    for e in result.entities:
        lines.append(f"entity:     {e.entity} = {e.value}  [{e.start}:{e.end}]")
    lines.append("ranking:    " + ", ".join(f"{i} {c:.2f}" for i, c, _ in result.ranking[:5]))
    return "\n".join(lines)


def cmd_ask(args: argparse.Namespace) -> int:
    """Parse one message (or a JSONL batch from stdin) and print the result."""
    pipeline = _load_pipeline(args)
    if args.jsonl:
        _ask_jsonl(pipeline, _stdin_bytes(), sys.stdout)
        return 0
    if args.text is None:
        raise SystemExit("linli ask: give a message, or --jsonl to read JSON lines from stdin")
    result = pipeline.parse(args.text)
    print(json.dumps(result.as_dict(), ensure_ascii=False, indent=2) if args.json else _describe(result))
    return 0


def _engine(args: argparse.Namespace) -> Any:
    from bot.engine import Engine
    from nlu.pipeline import load_pipeline

    settings = _settings(args)
    return Engine.from_settings(settings, pipeline=load_pipeline(settings))


def _show(replies: list[Any], stdout: TextIO) -> None:
    """Replies with their buttons, numbered on across the replies so each number means one button."""
    n = 0
    for r in replies:
        stdout.write(f"邻里助手> {r.text}\n")
        for label in r.buttons:
            n += 1
            stdout.write(f"    [{n}] {label}\n")


def terminal_chat(engine: Any, stdin: TextIO, stdout: TextIO, interactive: bool, user_id: str = "terminal") -> None:
    """The terminal chat: type a message, or the number of a button."""
    from bot.engine import safe_handle
    from bot.models import IncomingMessage

    stdout.write(messages.CHAT_WELCOME + "\n")
    while True:
        if interactive:
            stdout.write("您> ")
            stdout.flush()
        line = stdin.readline()
        if not line:
            break
        text = line.rstrip("\n")
        if text.strip() in ("/quit", "exit", "quit"):
            stdout.write(messages.CHAT_BYE + "\n")
            break
        if text.strip() == "/help":
            stdout.write(messages.TERMINAL_HELP + "\n")
            continue
        if not text.strip():
            stdout.write(messages.EMPTY_MESSAGE + "\n")
            continue
        outcome = safe_handle(engine, IncomingMessage(user_id=user_id, text=text, channel="terminal"))
        _show(outcome.replies, stdout)
        stdout.flush()


def _user_of(obj: dict[str, Any]) -> str:
    """The conversation a chat --jsonl line belongs to: a string or integer ``user``; none is "anonymous"."""
    user = obj.get("user")
    if user is None or user == "":
        return "anonymous"
    if isinstance(user, bool) or not isinstance(user, (str, int)):
        raise _BadLine(f"'user' must be a string, not {type(user).__name__}")
    user = str(user)
    if len(user) > MAX_USER_CHARS:
        raise _BadLine(f"'user' is {len(user)} characters long (at most {MAX_USER_CHARS})")
    return user


def chat_jsonl(engine: Any, stdin: Any, stdout: TextIO) -> None:
    """One JSON line out per line in (bytes or text): the full bot, state kept per user in the database."""
    from bot.engine import safe_handle
    from bot.models import IncomingMessage

    def answer(n: int, obj: dict[str, Any]) -> dict[str, Any]:
        user, text = _user_of(obj), obj["text"]
        if not text.strip():
            return {"user": user, "text": text, "intent": "nlu_fallback", "capability": "out_of_scope",
                    "skill": None, "replies": [messages.EMPTY_MESSAGE], "buttons": [], "handoff": None, "state": None}
        res = safe_handle(engine, IncomingMessage(user_id=user, text=text, channel="jsonl"))
        # `intent` is the NLU's reading; `capability` and `skill` are what served the turn (issue 13).
        return {
            "user": user, "text": text, "intent": res.intent, "capability": res.capability,
            "skill": res.skill or None,
            "replies": [r.text for r in res.replies],
            "buttons": [b for r in res.replies for b in r.buttons],
            "handoff": res.handoff,
            "state": res.state,
        }

    _jsonl_batch(stdin, stdout, answer)


def cmd_chat(args: argparse.Namespace) -> int:
    """Chat with the full bot in the terminal, or in JSON lines with --jsonl."""
    if not args.jsonl and not getattr(args, "verbose", False):
        # INFO lines (start-up ones too) are noise in a chat; warnings still show; -v brings all back.
        logging.getLogger().setLevel(logging.WARNING)
    engine = _engine(args)
    if args.jsonl:
        chat_jsonl(engine, _stdin_bytes(), sys.stdout)
    else:
        if hasattr(sys.stdin, "reconfigure"):
            sys.stdin.reconfigure(errors="replace")  # bytes that are not UTF-8 must not end the chat
        terminal_chat(engine, sys.stdin, sys.stdout, sys.stdin.isatty(), user_id=args.user)
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    """Start the bot: on Telegram when TELEGRAM_BOT_TOKEN is set, otherwise the terminal chat."""
    settings = _settings(args)
    if settings.telegram.get("token"):
        from bot.telegram_channel import run_telegram

        logger.info("starting the Telegram bot (%s mode)", settings.telegram["mode"])
        run_telegram(settings, _engine(args))
        return 0
    logger.info("no %s set: starting the terminal chat", settings.telegram["token_env"])
    args.jsonl, args.user = False, "terminal"
    return cmd_chat(args)


def cmd_flows_validate(args: argparse.Namespace) -> int:
    """Check every flow file; list each problem with file and line."""
    from bot.flows import load_flows
    from nlu.training_data import load_training_data

    settings = _settings(args)
    intents = set(load_training_data(settings.training_data).intents)
    flows = load_flows(settings.flows_dir, intents)
    tutorials = sum(1 for f in flows.values() if f.kind == "tutorial")
    print(f"{len(flows)} flows OK ({tutorials} tutorials) in {settings.flows_dir}")
    return 0


def _knowledge_inputs(args: argparse.Namespace) -> tuple[Any, Any, set[str]]:
    from bot.flows import load_flows
    from nlu.training_data import load_training_data

    settings = _settings(args)
    intents = set(load_training_data(settings.training_data).intents)
    return settings, load_flows(settings.flows_dir, intents), intents


def cmd_knowledge_validate(args: argparse.Namespace) -> int:
    """Check every knowledge entry (source, reviewed date, ids, references)."""
    from knowledge.importer import load_entries

    settings, flows, intents = _knowledge_inputs(args)
    entries = load_entries(settings.content_dir, intents, set(flows))
    kinds: dict[str, int] = {}
    for e in entries:
        kinds[e.kind] = kinds.get(e.kind, 0) + 1
    print(f"{len(entries)} entries OK: " + ", ".join(f"{k} {n}" for k, n in sorted(kinds.items())))
    return 0


def cmd_knowledge_build(args: argparse.Namespace) -> int:
    """Validate the content and (re)build the searchable knowledge tables in the database."""
    from bot.store import open_db
    from knowledge.kb import build_knowledge

    settings, flows, intents = _knowledge_inputs(args)
    kb = build_knowledge(open_db(settings.db_path), settings.content_dir, flows, intents, force=True)
    counts = kb.counts()
    print(f"knowledge built in {settings.db_path}: " + ", ".join(f"{k} {n}" for k, n in sorted(counts.items())))
    return 0


def cmd_knowledge_search(args: argparse.Namespace) -> int:
    """Search the knowledge base and print the hits."""
    from bot.store import open_db
    from knowledge.kb import build_knowledge

    settings, flows, intents = _knowledge_inputs(args)
    kb = build_knowledge(open_db(settings.db_path), settings.content_dir, flows, intents)
    hits = kb.search(args.query, limit=args.limit)
    if not hits:
        print("no hits")
    for h in hits:
        print(f"{h.score:6.2f}  {h.kind:9s} {h.id:40s} {h.title}")
    return 0


def _table_options(p: argparse.ArgumentParser) -> None:
    fmt = p.add_mutually_exclusive_group()
    fmt.add_argument("--json", action="store_true", help="one JSON array")
    fmt.add_argument("--csv", action="store_true", help="CSV with a header row")


def _print_rows(args: argparse.Namespace, rows: list[dict[str, Any]], columns: list[str]) -> bool:
    """--json or --csv output of a listing; False when neither was asked for (print the text form)."""
    if getattr(args, "json", False):
        print(json.dumps(rows, ensure_ascii=False, indent=2, default=str))
        return True
    if getattr(args, "csv", False):
        import csv

        writer = csv.DictWriter(sys.stdout, fieldnames=columns, extrasaction="ignore", lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        return True
    return False


def _local_time(settings: Settings, iso: str | None) -> str:
    """A stored UTC time in the configured time zone (handoff.timezone), to the minute."""
    if not iso:
        return ""
    import datetime as dt
    from zoneinfo import ZoneInfo

    try:
        when = dt.datetime.fromisoformat(iso)
    except ValueError:
        return iso
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.timezone.utc)
    return when.astimezone(ZoneInfo(settings.handoff["timezone"])).strftime("%Y-%m-%d %H:%M")


def _handoff(args: argparse.Namespace) -> Any:
    from bot.handoff import Handoff
    from bot.store import open_db

    return Handoff(open_db(_settings(args).db_path))


def cmd_workers(args: argparse.Namespace) -> int:
    """Manage the social workers allowed to claim, reply to and close tickets."""
    h = _handoff(args)
    if args.workers_command == "add":
        if not args.name.strip():
            print("Error: --name must not be empty: it is the name people and the staff group see", file=sys.stderr)
            return 1
        password = _new_password(args.worker_id) if args.password else None
        h.add_worker(args.worker_id, args.name.strip())
        if password is not None:
            _set_password(h, args.worker_id, password)
        print(f"social worker {args.worker_id} ({args.name.strip()}) added"
              + (" with a console password" if password is not None else ""))
    elif args.workers_command == "passwd":
        if h.worker(args.worker_id) is None:
            print(f"Error: {args.worker_id} is not a social worker: add them first with `linli workers add`",
                  file=sys.stderr)
            return 1
        _set_password(h, args.worker_id, _new_password(args.worker_id))
        print(f"console password set for social worker {args.worker_id}; their other console sessions ended")
    elif args.workers_command == "remove":
        if not h.remove_worker(args.worker_id):
            print(f"Error: {args.worker_id} is not a social worker", file=sys.stderr)
            return 1
        print(f"social worker {args.worker_id} removed")
    else:
        settings = _settings(args)
        rows = [{**w, "added_at": _local_time(settings, w["added_at"])} for w in h.workers()]
        if _print_rows(args, rows, ["worker_id", "name", "added_at"]):
            return 0
        if not rows:
            print("no social workers yet: add one with `linli workers add TELEGRAM_USER_ID --name 名字`")
        for w in rows:
            print(f"{w['worker_id']:>14}  {w['name']}  (added {w['added_at']})")
    return 0


def _new_password(worker_id: str) -> str:
    """Ask for a console password twice (no echo), or read one line from stdin when it is not a terminal."""
    import getpass

    from bot.web.auth import password_problem

    if sys.stdin.isatty():
        password = getpass.getpass(f"console password for {worker_id}: ")
        if getpass.getpass("the same password again: ") != password:
            raise ChatbotError("the two passwords differ; nothing was changed")
    else:  # scripts: `echo "$PASSWORD" | linli workers passwd 42`
        password = sys.stdin.readline().rstrip("\r\n")
    problem = password_problem(password)
    if problem:
        raise ChatbotError(f"{problem}; nothing was changed")
    return password


def _set_password(h: Any, worker_id: str, password: str) -> None:
    from bot.web.auth import Sessions, hash_password

    h.set_password_hash(worker_id, hash_password(password))
    Sessions(h.db, 1.0).end_all(worker_id)  # a new password signs the old sessions out


def cmd_serve(args: argparse.Namespace) -> int:
    """Start the web chat, the Rasa-compatible REST channel and the social workers' console."""
    from bot.web.app import serve

    settings = _settings(args)
    host = args.host or settings.web["host"]
    port = args.port or settings.web["port"]
    serve(settings, _engine(args), host, port)
    return 0


def _ticket_line(t: Any, settings: Settings | None = None) -> str:
    first = t.summary.splitlines()[1] if t.summary.count("\n") else t.summary
    who = f" by {t.worker_name}" if t.worker_name else ""
    when = _local_time(settings, t.created_at) if settings is not None else t.created_at
    return f"#{t.id:<5} {t.priority:7s} {t.status:8s}{who:14s} {when}  {first[:50]}"


def cmd_handoff(args: argparse.Namespace) -> int:
    """Work the ticket queue from the terminal, on the same database as the bot."""
    h = _handoff(args)
    settings = _settings(args)
    cmd = args.handoff_command
    if cmd == "list":
        tickets = h.all() if args.all else h.queue()
        columns = ["id", "priority", "status", "channel", "user_id", "persona", "worker_name", "created_at",
                   "claimed_at", "closed_at"]
        rows = [{c: (_local_time(settings, getattr(t, c)) if c.endswith("_at") else getattr(t, c)) for c in columns}
                for t in tickets]
        if _print_rows(args, rows, columns):
            return 0
        if not tickets:
            print("no open tickets" if not args.all else "no tickets")
        for t in tickets:
            print(_ticket_line(t, settings))
        return 0
    if cmd in ("remind", "reminders"):
        return _followups(args, h, settings)
    if cmd == "outbox":
        items = h.out.pending()
        if not items:
            print("outbox empty: every message was sent")
        for item in items:
            print(_outbox_line(item))
        return 0
    t = h.require(args.ticket)
    if cmd == "show":
        print(_ticket_line(t, settings))
        print(f"user: {t.user_id or '(deleted)'}  channel: {t.channel or '-'}")
        print(t.summary)
        for m in h.messages(t.id):
            who = messages.STAFF_HISTORY_WHO.get(m["direction"], m["direction"])
            print(f"  {_local_time(settings, m['created_at'])} {who}：{m['text']}")
        if t.close_note:
            print(f"closing note: {t.close_note}")
        unsent = h.out.pending(ticket_id=t.id) + [i for i in h.out.pending(chat_id=t.chat_id)
                                                   if i.ticket_id != t.id] if t.chat_id else []
        if unsent:
            print(f"not sent yet ({len(unsent)}):")
            for item in unsent:
                print("  " + _outbox_line(item))
        return 0
    if cmd == "claim":
        from bot.desk import claim_and_tell

        t = claim_and_tell(h, t.id, args.worker)
        print(f"ticket #{t.id} claimed by {t.worker_name}")
    elif cmd == "reply":
        from bot.errors import HandoffError

        t = h.check_owner(t.id, args.worker, take_over=args.take_over)
        if t.status != "claimed":
            raise HandoffError(f"ticket {t.id} is {t.status}; claim it first")
        if t.took_over:
            h.add_message(t.id, "system", messages.TAKEN_OVER_NOTICE.format(name=t.worker_name or ""),
                          delivered=False)
            print(f"ticket #{t.id} taken over by {t.worker_name}; the person is told")
        h.add_message(t.id, "worker", args.text, delivered=False, via="cli")  # also shown on Telegram
        print(f"reply queued for ticket #{t.id}; the person sees it on their next message or at once on Telegram")
    elif cmd == "note":
        h.add_note(t.id, args.worker, args.text, via="cli")  # also shown in the ticket's Telegram thread
        print(f"note added to ticket #{t.id}; the person does not see it")
    elif cmd == "release":
        from bot.desk import release_and_tell

        t = release_and_tell(h, t.id, args.worker)
        print(f"ticket #{t.id} is back in the queue; the person is told")
    elif cmd == "close":
        t = h.close(t.id, args.worker, args.note, take_over=args.take_over)
        h.add_message(t.id, "system", messages.CLOSED_NOTICE, delivered=False)
        print(f"ticket #{t.id} closed")
    return 0


def _followups(args: argparse.Namespace, h: Any, settings: Any) -> int:
    """`handoff remind TICKET WHEN [NOTE]` sets a worker's follow-up; `handoff reminders` lists them."""
    from bot.reminders import Reminders, set_followup

    reminders = Reminders(h.db, settings.handoff["timezone"])
    if args.handoff_command == "remind":
        try:
            r = set_followup(reminders, h, args.ticket, args.worker, args.when, args.note)
        except ValueError as exc:
            raise SystemExit(f"error: {exc}") from None
        print(f"follow-up #{r.id} on ticket #{r.ticket_id} at {r.due.astimezone(reminders.tz):%Y-%m-%d %H:%M}; "
              "it is posted to the staff group (Telegram) and listed by `linli handoff reminders`")
        return 0
    items = reminders.followups(include_done=args.all)
    columns = ["id", "ticket_id", "worker_id", "due", "status", "task"]
    rows = [{**{c: getattr(r, c) for c in columns if c != "due"},
             "due": f"{r.due.astimezone(reminders.tz):%Y-%m-%d %H:%M}"} for r in items]
    if _print_rows(args, rows, columns):
        return 0
    if not items:
        print("no follow-ups to come" if not args.all else "no follow-ups")
    for row in rows:
        print(f"#{row['id']:<4} ticket #{row['ticket_id']:<5} {row['due']}  {row['status']:9s} "
              f"{row['worker_id']}  {row['task']}")
    return 0


def _outbox_line(item: Any) -> str:
    where = "staff group" if item.chat_id == "staff" else f"chat {item.chat_id}"
    ticket = f" ticket #{item.ticket_id}" if item.ticket_id else ""
    error = f"  last error: {item.last_error}" if item.last_error else ""
    return (f"outbox {item.id:<6} {item.kind:7s} to {where}{ticket}  attempts {item.attempts}  "
            f"created {item.created_at}{error}")


def cmd_test_conversations(args: argparse.Namespace) -> int:
    """Run conversation tests (YAML) through the full bot and print pass rates per turn and conversation."""
    from bot.conversations import FreshEngines, failures_yaml, format_summary, run_files, summary
    from nlu.pipeline import load_pipeline

    settings = _settings(args)
    paths = [Path(p) for p in args.files] or sorted(Path(DEFAULT_CONVERSATIONS).glob("*.yml"))
    if not paths:
        print(f"Error: no conversation files given and none in {DEFAULT_CONVERSATIONS}/", file=sys.stderr)
        return 1
    for p in paths:
        if not p.is_file():
            print(f"Error: {p}: no such file", file=sys.stderr)
            return 1
    pipeline = load_pipeline(settings)
    logging.getLogger().setLevel(logging.WARNING)  # one INFO line per turn would bury the figures
    results = run_files(paths, FreshEngines(settings, pipeline))
    figures = summary(results)
    print(format_summary(figures))
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(failures_yaml(results), encoding="utf-8")
    print(f"failed conversations written to {out}")
    return 0


def cmd_backup(args: argparse.Namespace) -> int:
    """A consistent copy of the database while the bot runs (SQLite's online backup API)."""
    import sqlite3

    settings = _settings(args)
    source = Path(settings.db_path)
    if not source.is_file():
        print(f"Error: {source}: no database to back up (storage.db_path / --db)", file=sys.stderr)
        return 1
    dest = Path(args.dest)
    if dest.exists() and not args.force:
        print(f"Error: {dest} exists; give another file or --force to overwrite it", file=sys.stderr)
        return 1
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(dest.name + ".part")
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=10.0)
    out = sqlite3.connect(tmp)
    try:
        src.backup(out)  # page by page, consistent even while the bot writes (WAL)
        ok = out.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        out.close()
        src.close()
    if ok != "ok":
        tmp.unlink(missing_ok=True)
        print(f"Error: the copy of {source} failed its integrity check ({ok})", file=sys.stderr)
        return 1
    tmp.replace(dest)
    print(f"backed up {source} to {dest} ({dest.stat().st_size} bytes, integrity ok)")
    return 0


def cmd_privacy(args: argparse.Namespace) -> int:
    """A person's data as JSON (right to a copy), or retention: purge old conversations."""
    from bot.media import MediaStore
    from bot.store import Store, open_db

    settings = _settings(args)
    db = open_db(settings.db_path)
    store = Store(db, MediaStore.from_settings(settings, db).dir)
    if args.privacy_command == "export":
        for user in _user_forms(args.user):
            data = store.export_user(user)
            if data["profile"] is not None or data["messages"] or data["tickets"]:
                print(json.dumps(data, ensure_ascii=False, indent=2, default=str))
                return 0
        print(f"Error: nothing is stored for user {args.user!r}. Give the user as `linli handoff show` prints "
              "it: tg:123456789 (Telegram; the bare number works too), terminal (the terminal chat), or the "
              "'user' of a chat --jsonl line", file=sys.stderr)
        return 1
    spec = args.older_than or f"{settings.retention_days}d"
    m = re.fullmatch(r"(\d+)\s*d?", spec.strip())
    if not m:
        print(f"Error: --older-than takes a number of days like 180d, got {spec!r}", file=sys.stderr)
        return 1
    days = float(m.group(1))
    would = store.purge_older_than(days, dry_run=True)
    summary = ", ".join(f"{k} {v}" for k, v in would.items())
    if args.dry_run:
        print(f"would purge data older than {m.group(1)} days: {summary} (dry run: nothing deleted)")
        return 0
    if not args.yes:
        if not sys.stdin.isatty():
            print(f"Error: would purge {summary}; add --yes to delete without a question (or --dry-run to "
                  "only count)", file=sys.stderr)
            return 1
        answer = input(f"Delete data older than {m.group(1)} days ({summary})? [y/N] ")
        if answer.strip().lower() not in ("y", "yes"):
            print("nothing deleted")
            return 1
    counts = store.purge_older_than(days)
    print(f"purged data older than {m.group(1)} days: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    return 0


def _user_forms(user: str) -> list[str]:
    """The ids a user given on the command line may stand for (a bare Telegram number is tg:NUMBER)."""
    user = user.strip()
    return [user, f"tg:{user}"] if user.lstrip("-").isdigit() and user.isascii() else [user]


def cmd_report(args: argparse.Namespace) -> int:
    """Anonymous reports for social workers: an HTML or Markdown page, and the needs table as CSV."""
    import csv
    import datetime as dt

    from bot.report import NEEDS_COLUMNS, collect, labels_and_flows, needs_rows
    from bot.report_render import render_html, render_markdown
    from bot.store import open_db

    settings = _settings(args)
    if args.days is not None and args.days < 1:
        print(f"Error: --days must be 1 or more, got {args.days}", file=sys.stderr)
        return 1
    try:
        until = dt.date.fromisoformat(args.until) if args.until else None
    except ValueError:
        print(f"Error: --until takes a date like 2026-11-30, got {args.until!r}", file=sys.stderr)
        return 1
    if str(settings.db_path) != ":memory:" and not Path(settings.db_path).exists():
        print(f"Error: database not found: {settings.db_path} (set --db, LINLI_DB or storage.db_path)", file=sys.stderr)
        return 1
    db = open_db(settings.db_path)
    labels, flows = labels_and_flows(settings)
    tz = str(settings.handoff["timezone"])
    if args.needs_csv:
        rows = needs_rows(db, args.days, until, tz, labels)
        # utf-8 with a BOM so spreadsheet programs on Windows read the Chinese correctly
        with open(args.needs_csv, "w", encoding="utf-8-sig", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow(NEEDS_COLUMNS)
            writer.writerows(rows)
        print(f"Wrote {len(rows)} rows of needs to {args.needs_csv}")
        if not args.out:
            return 0
    report = collect(db, args.days or 30, until, tz, labels, flows, min_ratings=settings.reports["min_ratings"])
    text = render_markdown(report) if args.format == "md" else render_html(report)
    out = args.out or ("report.md" if args.format == "md" else "report.html")
    if out == "-":
        sys.stdout.write(text)
    else:
        Path(out).write_text(text, encoding="utf-8")
        print(f"Wrote the report for {report.start} to {report.end} ({report.totals['messages']} messages, "
              f"{report.totals['people']} people) to {out}")
    return 0


def _global_options(parser: argparse.ArgumentParser, suppress: bool) -> None:
    default = argparse.SUPPRESS if suppress else None
    parser.add_argument(
        "--config", metavar="PATH", default=default, help=f"config file (env {ENV_CONFIG}; default: config.yml)"
    )
    parser.add_argument("--db", metavar="PATH", default=default, help=f"SQLite database file (env {ENV_DB})")
    parser.add_argument("--log-file", metavar="PATH", default=default,
                        help="also write the log to this file (reopened when logrotate moves it)")


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("linli")
    except PackageNotFoundError:  # run from a checkout without `pip install -e .`
        return "unknown"


def build_parser() -> argparse.ArgumentParser:
    """The argument parser for ``linli``."""
    parser = argparse.ArgumentParser(prog="linli", description="Linli 邻里助手: a Chinese community help bot.")
    _global_options(parser, suppress=False)
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug details")
    parser.add_argument("--version", action="version", version=f"linli {_version()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    def add(name: str, func: Callable[[argparse.Namespace], int], help_text: str, parent: Any = sub) -> Any:
        p = parent.add_parser(name, help=help_text, description=help_text)
        _global_options(p, suppress=True)
        p.set_defaults(func=func)
        return p

    add("run", cmd_run, "start the bot (the terminal chat when no Telegram token is set)")
    p = add("serve", cmd_serve, "start the web chat, the Rasa REST channel and the social workers' console")
    p.add_argument("--host", help="address to listen on (default: channels.web.host, 127.0.0.1)")
    p.add_argument("--port", type=int, help="port to listen on (default: channels.web.port, 8080)")
    p = add("chat", cmd_chat, "chat with the full bot in the terminal (buttons are numbers you can type)")
    p.add_argument("--jsonl", action="store_true", help='read {"user", "text"} lines from stdin, one JSON line out each')
    p.add_argument("--user", default="terminal", help="the user id for the terminal chat (default: terminal)")

    p = add("report", cmd_report, "anonymous reports for social workers: needs, gaps, tutorials, handoffs, ratings")
    p.add_argument("--days", type=int, default=None, help="how many days up to --until (report default 30; "
                   "the needs CSV covers everything stored unless --days is given)")
    p.add_argument("--until", metavar="YYYY-MM-DD", help="the last day of the period (default: today)")
    p.add_argument("--out", metavar="FILE", help="where to write the report (default report.html or report.md; - for stdout)")
    p.add_argument("--format", choices=("html", "md"), default="html", help="self-contained HTML (default) or Markdown")
    p.add_argument("--needs-csv", metavar="FILE", help="write needs by month, category, persona and region as CSV")

    flows = sub.add_parser("flows", help="check dialogue flows", description="Check dialogue flows.")
    _global_options(flows, suppress=True)
    flows_sub = flows.add_subparsers(dest="flows_command", metavar="FLOWS_COMMAND")
    flows_sub.required = True
    add("validate", cmd_flows_validate, "validate every flow in dialogues/flows (names file and line)", flows_sub)

    wk = sub.add_parser("workers", help="manage the social workers who can take tickets",
                        description="Manage the social workers who can take tickets.")
    _global_options(wk, suppress=True)
    wk_sub = wk.add_subparsers(dest="workers_command", metavar="WORKERS_COMMAND")
    wk_sub.required = True
    p = add("add", cmd_workers, "authorise a social worker (their Telegram user id)", wk_sub)
    p.add_argument("worker_id")
    p.add_argument("--name", required=True, help="the name people and the staff group see, e.g. 王老师")
    p.add_argument("--password", action="store_true",
                   help="also set a password for the web console (asked for, never on the command line)")
    p = add("passwd", cmd_workers, "set or change a social worker's web console password (asked for)", wk_sub)
    p.add_argument("worker_id")
    p = add("remove", cmd_workers, "withdraw a social worker", wk_sub)
    p.add_argument("worker_id")
    p = add("list", cmd_workers, "list the social workers", wk_sub)
    _table_options(p)

    ho = sub.add_parser("handoff", help="work the ticket queue from the terminal",
                        description="Work the ticket queue from the terminal (same database as the bot).")
    _global_options(ho, suppress=True)
    ho_sub = ho.add_subparsers(dest="handoff_command", metavar="HANDOFF_COMMAND")
    ho_sub.required = True
    p = add("list", cmd_handoff, "open tickets, urgent first", ho_sub)
    p.add_argument("--all", action="store_true", help="include closed tickets")
    _table_options(p)
    p = add("show", cmd_handoff, "a ticket's summary and messages", ho_sub)
    p.add_argument("ticket", type=int)
    for name, help_text in (("claim", "take a waiting ticket"), ("close", "end a ticket; the person is back with the bot"),
                            ("release", "give a ticket you claimed back to the queue; the person is told")):
        p = add(name, cmd_handoff, help_text, ho_sub)
        p.add_argument("ticket", type=int)
        p.add_argument("--worker", required=True, help="your social-worker id (see `linli workers list`)")
        if name == "close":
            p.add_argument("note", nargs="?", default="", help="a closing note, stored with the ticket")
            p.add_argument("--take-over", action="store_true",
                           help="close a ticket another worker claimed (logged; the person is told)")
    p = add("reply", cmd_handoff, "send a message to the person", ho_sub)
    p.add_argument("ticket", type=int)
    p.add_argument("text")
    p.add_argument("--worker", required=True, help="your social-worker id")
    p.add_argument("--take-over", action="store_true",
                   help="answer a ticket another worker claimed: it becomes yours (logged; the person is told)")
    p = add("note", cmd_handoff, "add a note for the social workers (never sent to the person)", ho_sub)
    p.add_argument("ticket", type=int)
    p.add_argument("text")
    p.add_argument("--worker", required=True, help="your social-worker id")
    add("outbox", cmd_handoff, "messages not sent yet (to people and to the staff group), with the last error",
        ho_sub)
    p = add("remind", cmd_handoff, "set a follow-up (回访) on a ticket: posted to the staff group when due", ho_sub)
    p.add_argument("ticket", type=int)
    p.add_argument("when", help="e.g. '2026-12-08 10:00' or 明天上午10点 (local time, handoff.timezone)")
    p.add_argument("note", nargs="?", default="", help="what to follow up, e.g. 电话问问取菜顺利吗")
    p.add_argument("--worker", required=True, help="your social-worker id")
    p = add("reminders", cmd_handoff, "workers' follow-ups still to come (--all: also sent ones)", ho_sub)
    p.add_argument("--all", action="store_true", help="include follow-ups already sent or cancelled")
    _table_options(p)

    p = add("backup", cmd_backup, "copy the SQLite database safely while the bot runs (online backup API)")
    p.add_argument("dest", metavar="FILE", help="where to write the copy, e.g. backups/linli-2026-12-06.db")
    p.add_argument("--force", action="store_true", help="overwrite FILE if it exists")

    ts = sub.add_parser("test", help="run conversation tests through the full bot",
                        description="Run conversation tests through the full bot.")
    _global_options(ts, suppress=True)
    ts_sub = ts.add_subparsers(dest="test_command", metavar="TEST_COMMAND")
    ts_sub.required = True
    p = add("conversations", cmd_test_conversations,
            f"multi-turn YAML conversations: pass rates per turn and per conversation (default: "
            f"{DEFAULT_CONVERSATIONS}/*.yml)", ts_sub)
    p.add_argument("files", nargs="*", metavar="FILE", help="conversation files (YAML)")
    p.add_argument("--out", metavar="FILE", default="results/failed_conversations.yml",
                   help="where to write the failed conversations (default: results/failed_conversations.yml)")

    pv = sub.add_parser("privacy", help="a person's data (PIPL) and retention",
                        description="A person's data as JSON, and retention.")
    _global_options(pv, suppress=True)
    pv_sub = pv.add_subparsers(dest="privacy_command", metavar="PRIVACY_COMMAND")
    pv_sub.required = True
    p = add("export", cmd_privacy, "print everything stored about a user as JSON", pv_sub)
    p.add_argument("user", help="the user as `linli handoff show` prints it: tg:123456789 (or just 123456789), "
                                "terminal, or a chat --jsonl user")
    p.add_argument("--json", action="store_true", help="JSON (the default and only format of a full copy)")
    p = add("purge", cmd_privacy, "delete conversations older than the retention period", pv_sub)
    p.add_argument("--older-than", metavar="DAYS", help="e.g. 180d (default: storage.retention_days)")
    p.add_argument("--dry-run", action="store_true", help="only count what would be deleted")
    p.add_argument("--yes", action="store_true", help="delete without asking (for cron jobs)")

    kn = sub.add_parser("knowledge", help="build, check and search the knowledge base",
                        description="Build, check and search the knowledge base.")
    _global_options(kn, suppress=True)
    kn_sub = kn.add_subparsers(dest="knowledge_command", metavar="KNOWLEDGE_COMMAND")
    kn_sub.required = True
    add("validate", cmd_knowledge_validate, "validate the content files (names file and field)", kn_sub)
    add("build", cmd_knowledge_build, "rebuild the searchable knowledge tables in the database", kn_sub)
    p = add("search", cmd_knowledge_search, "search the knowledge base", kn_sub)
    p.add_argument("query", help="words to search for, e.g. 自提点")
    p.add_argument("--limit", type=int, default=5)

    p = add("ask", cmd_ask, "parse a message and show intent, capability, confidence and entities")
    p.add_argument("text", nargs="?", help="the message to parse")
    p.add_argument("--json", action="store_true", help="print the parse result as JSON")
    p.add_argument("--jsonl", action="store_true", help='read {"text": ...} lines from stdin, write one JSON line each')

    nlu = sub.add_parser("nlu", help="train and evaluate the NLU model", description="Train and evaluate the NLU model.")
    _global_options(nlu, suppress=True)
    nlu_sub = nlu.add_subparsers(dest="nlu_command", metavar="NLU_COMMAND")
    nlu_sub.required = True
    p = add("train", cmd_nlu_train, "train the NLU model (skipped when data and config are unchanged)", nlu_sub)
    p.add_argument("--force", action="store_true", help="retrain even when nothing changed")
    p = add("test", cmd_nlu_test, "evaluate the NLU: per-intent and per-capability reports", nlu_sub)
    p.add_argument("--cross-validation", type=int, metavar="N", default=0, help="N-fold cross-validation")
    p.add_argument("--data", metavar="PATH", help="score the trained model on this labelled NLU YAML instead")
    p.add_argument("--out", metavar="DIR", default="results", help="where to write reports (default: results)")
    p = add("export-rasa", cmd_nlu_export_rasa, "write the training data as a Rasa 3.6 project (rasa train nlu)", nlu_sub)
    p.add_argument("outdir", metavar="OUTDIR", help="the folder for config.yml, domain.yml and data/nlu.yml")
    p.add_argument("--epochs", type=int, default=100, help="DIETClassifier epochs in the exported config (default: 100)")
    p.add_argument("--force", action="store_true", help="overwrite files from an earlier export")
    p = add("import-rasa", cmd_nlu_import_rasa, "read a Rasa project's NLU YAML into Linli's training data format",
            nlu_sub)
    p.add_argument("path", metavar="PATH", help="a Rasa project folder or one NLU .yml file")
    p.add_argument("--out", metavar="DIR", help="where to write the YAML (default: nlu/imported, not trained on)")
    p.add_argument("--name", help="output file name without .yml (default: the project folder or file name)")
    p.add_argument("--capability-map", metavar="FILE", help="YAML mapping intent: capability for Rasa intents")
    p.add_argument("--default-capability", metavar="CAP", help="capability for intents not otherwise mapped")
    p.add_argument("--force", action="store_true", help="overwrite an existing output file")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``linli`` console script."""
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    if args.command is None:  # bare `linli`: the help, as a request for it, not an error
        parser.print_help()
        return 0
    if len(extra) == 1 and getattr(args, "note", None) == "" and not extra[0].startswith("-"):
        # `handoff close 3 --worker 42 "已教会"`: argparse cannot take a positional after an option here.
        args.note = extra[0]
    elif extra:
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    # A lone surrogate from a broken client must not crash output; backslashreplace keeps JSON valid.
    for stream in (sys.stdout, sys.stderr):
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="backslashreplace")
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    if getattr(args, "log_file", None):
        from logging.handlers import WatchedFileHandler

        Path(args.log_file).parent.mkdir(parents=True, exist_ok=True)
        file_handler = WatchedFileHandler(args.log_file, encoding="utf-8")
        file_handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        logging.getLogger().addHandler(file_handler)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    from bot.privacy import MaskingFilter

    for handler in logging.getLogger().handlers:
        handler.addFilter(MaskingFilter())
    try:
        return int(args.func(args) or 0)
    except ChatbotError as exc:
        print(f"Error: [{exc.code}] {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
