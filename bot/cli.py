"""The ``linli`` command. Each subcommand calls library code and nothing more."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path
from typing import Any, Callable, TextIO

from bot import messages
from bot.config import ENV_CONFIG, ENV_DB, Settings, load_config
from bot.errors import ChatbotError

logger = logging.getLogger("linli")


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


def _load_pipeline(args: argparse.Namespace) -> Any:
    from nlu.pipeline import load_pipeline

    return load_pipeline(_settings(args))


def _ask_jsonl(pipeline: Any, stdin: TextIO, stdout: TextIO) -> None:
    """One JSON line out for every line in; a bad line gets an ``error`` field, never a crash."""
    for n, line in enumerate(stdin, start=1):
        try:
            obj = json.loads(line)
        except ValueError as exc:
            out: dict[str, Any] = {"error": f"line {n}: not valid JSON ({exc.msg})", "line": n}
        else:
            if not isinstance(obj, dict) or not isinstance(obj.get("text"), str):
                out = {"error": f"line {n}: expected an object with a string field 'text'", "line": n}
            else:
                try:
                    out = pipeline.parse(obj["text"]).as_dict()
                except Exception as exc:  # one bad message must not stop the batch
                    logger.exception("line %d: parse failed", n)
                    out = {"text": obj["text"], "error": f"line {n}: parse failed ({type(exc).__name__})", "line": n}
        stdout.write(json.dumps(out, ensure_ascii=False) + "\n")
        stdout.flush()


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
        _ask_jsonl(pipeline, sys.stdin, sys.stdout)
        return 0
    if args.text is None:
        raise SystemExit("linli ask: give a message, or --jsonl to read JSON lines from stdin")
    result = pipeline.parse(args.text)
    print(json.dumps(result.as_dict(), ensure_ascii=False, indent=2) if args.json else _describe(result))
    return 0


def terminal_chat(pipeline: Any, stdin: TextIO, stdout: TextIO, interactive: bool) -> None:
    """The terminal chat: for now it shows how Linli understands each message (dialogue flows come next)."""
    stdout.write(messages.CHAT_WELCOME + "\n")
    while True:
        if interactive:
            stdout.write("您> ")
            stdout.flush()
        line = stdin.readline()
        if not line:
            break
        text = line.rstrip("\n")
        if text.strip() in ("退出", "exit", "quit", "/quit"):
            stdout.write(messages.CHAT_BYE + "\n")
            break
        if not text.strip():
            stdout.write(messages.EMPTY_MESSAGE + "\n")
            continue
        result = pipeline.parse(text)
        if result.is_fallback:
            stdout.write(messages.NOT_UNDERSTOOD + "\n")
        stdout.write(_describe(result) + "\n")
        stdout.flush()


def cmd_run(args: argparse.Namespace) -> int:
    """Start the bot: the terminal chat (the Telegram channel arrives with its own issue)."""
    pipeline = _load_pipeline(args)
    terminal_chat(pipeline, sys.stdin, sys.stdout, sys.stdin.isatty())
    return 0


def _global_options(parser: argparse.ArgumentParser, suppress: bool) -> None:
    default = argparse.SUPPRESS if suppress else None
    parser.add_argument(
        "--config", metavar="PATH", default=default, help=f"config file (env {ENV_CONFIG}; default: config.yml)"
    )
    parser.add_argument("--db", metavar="PATH", default=default, help=f"SQLite database file (env {ENV_DB})")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser for ``linli``."""
    parser = argparse.ArgumentParser(prog="linli", description="Linli 邻里助手: a Chinese community help bot.")
    _global_options(parser, suppress=False)
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug details")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    def add(name: str, func: Callable[[argparse.Namespace], int], help_text: str, parent: Any = sub) -> Any:
        p = parent.add_parser(name, help=help_text, description=help_text)
        _global_options(p, suppress=True)
        p.set_defaults(func=func)
        return p

    add("run", cmd_run, "start the bot (the terminal chat when no Telegram token is set)")

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
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``linli`` console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    # A lone surrogate from a broken client must not crash output; backslashreplace keeps JSON valid.
    for stream in (sys.stdout, sys.stderr):
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="backslashreplace")
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    logging.getLogger("httpx").setLevel(logging.WARNING)
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
