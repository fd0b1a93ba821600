"""Linli's pipeline and Rasa 3.6's DIETClassifier side by side, on the same splits (issue 7).

Usage (with the project venv; Rasa runs in its own Python 3.10 venv, see bench/setup_rasa.sh):

    .venv/bin/python bench/rasa_compare.py [--epochs 100] [--only ours|smp] [--rasa-venv .venv-rasa]

Data sets:
  ours  nlu/data, stratified 80/20 split with nlu.random_seed (as `linli nlu test`)
  smp   SMP2017-ECDT task 1: train+dev -> official test (../shared/benchmarks/smp2017_ecdt_task1)

Both engines are trained on exactly the same examples: the training split is written once as
Rasa NLU YAML; Linli reads it with its own reader, Rasa gets it through `linli nlu export-rasa`'s
project writer (JiebaTokenizer, word and char_wb 1-4 CountVectorsFeaturizers, DIETClassifier).
Each engine runs in its own processes (under `nice -n 5`), so memory is measured per engine:

  training    wall time of a fresh process that reads the data, trains and saves the model
              (for Rasa: `rasa train nlu`), and its peak RSS
  cold start  process start to the first parse, loading the saved model
  latency     one message at a time, p50/p95 over the test set, in the serving process
  peak RSS    of the serving process after parsing the whole test set (VmHWM)

Accuracy and macro-F1 score the top intent before any fallback, like bench/smp2017.py.
Rasa is never imported here: it is driven through its CLI and a small script run by its Python.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from _common import ROOT, peak_rss_mb, project_settings
from smp2017 import DEFAULT_DIR as SMP_DIR
from smp2017 import load_smp

from nlu.evaluate import _subset, stratified_split
from nlu.rasa_export import write_rasa_project
from nlu.training_data import Example, TrainingData, load_training_data, to_yaml

NICE = ["nice", "-n", "5"]
RASA_ENV = {
    "RASA_TELEMETRY_ENABLED": "false",  # never phone home from a benchmark
    "TF_CPP_MIN_LOG_LEVEL": "2",
    "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
    "PYTHONWARNINGS": "ignore",
}

# Run by the project's Python: train Linli's pipeline on a YAML file and save it.
OURS_TRAIN = """
import json, sys, time
sys.path.insert(0, {root!r})
from bot.config import load_config
from nlu.pipeline import Pipeline
from nlu.training_data import load_training_data
settings = load_config()
data = load_training_data({data!r})
pipeline = Pipeline.from_settings(settings)
t0 = time.perf_counter()
pipeline.train(data)
seconds = time.perf_counter() - t0
pipeline.persist(__import__("pathlib").Path({model!r}), settings, "rasa_compare")
print(json.dumps({{"fit_seconds": seconds}}))
"""

# Run by the project's Python: load the saved model, parse the test texts one at a time.
OURS_SERVE = """
import json, sys, time
sys.path.insert(0, {root!r})
from pathlib import Path
from nlu.pipeline import Pipeline
texts = json.loads(Path({texts!r}).read_text(encoding="utf-8"))
pipeline = Pipeline.load(Path({model!r}), Path({root!r}))
pipeline.parse(texts[0])
print("READY", flush=True)
preds, lat = [], []
for t in texts:
    t0 = time.perf_counter()
    r = pipeline.parse(t)
    lat.append(time.perf_counter() - t0)
    preds.append(r.ranking[0][0] if r.ranking else "")
hwm = [l for l in Path("/proc/self/status").read_text().splitlines() if l.startswith("VmHWM:")]
print(json.dumps({{"predictions": preds, "latencies": lat, "peak_rss_mb": int(hwm[0].split()[1]) / 1024}}))
"""

# Run by Rasa's Python 3.10: load the trained NLU model with rasa's Agent and parse one at a time.
RASA_SERVE = """
import asyncio, json, sys, time, logging
from pathlib import Path
logging.disable(logging.WARNING)
from rasa.core.agent import Agent
texts = json.loads(Path({texts!r}).read_text(encoding="utf-8"))
agent = Agent.load({model!r})
loop = asyncio.new_event_loop()
loop.run_until_complete(agent.parse_message(texts[0]))
print("READY", flush=True)

def top(result):
    ranking = [r for r in result.get("intent_ranking") or [] if r.get("name") != "nlu_fallback"]
    return ranking[0]["name"] if ranking else (result.get("intent") or {{}}).get("name") or ""

preds, lat = [], []
for t in texts:
    t0 = time.perf_counter()
    r = loop.run_until_complete(agent.parse_message(t))
    lat.append(time.perf_counter() - t0)
    preds.append(top(r))
hwm = [l for l in Path("/proc/self/status").read_text().splitlines() if l.startswith("VmHWM:")]
print(json.dumps({{"predictions": preds, "latencies": lat, "peak_rss_mb": int(hwm[0].split()[1]) / 1024}}))
"""


class RssWatcher:
    """Polls a process tree's resident memory; ``peak_mb`` is the highest total seen."""

    def __init__(self, pid: int, interval: float = 0.2) -> None:
        self.pid = pid
        self.interval = interval
        self.peak_mb = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _tree(self, pid: int) -> list[int]:
        out = [pid]
        for task in Path(f"/proc/{pid}/task").glob("*/children"):
            try:
                out += [c for child in task.read_text().split() for c in self._tree(int(child))]
            except OSError:
                pass
        return out

    @staticmethod
    def _rss_mb(pid: int, key: str) -> float:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith(key):
                    return int(line.split()[1]) / 1024
        except OSError:
            pass
        return 0.0

    def _run(self) -> None:
        while not self._stop.is_set():
            pids = self._tree(self.pid)
            total = sum(self._rss_mb(p, "VmRSS:") for p in pids)
            self.peak_mb = max(self.peak_mb, total, self._rss_mb(self.pid, "VmHWM:"))
            self._stop.wait(self.interval)

    def stop(self) -> float:
        """Stop polling; the peak in MB."""
        self._stop.set()
        self._thread.join()
        return self.peak_mb


def _log(path: Path | None) -> Any:
    """Where a child's stderr goes: a log file, or nowhere."""
    return open(path, "w", encoding="utf-8") if path else contextlib.nullcontext(subprocess.DEVNULL)


def run_measured(cmd: list[str], cwd: Path, env: dict[str, str] | None = None,
                 log: Path | None = None) -> dict[str, Any]:
    """Run a command to the end: wall seconds, peak RSS of its process tree, stdout."""
    started = time.perf_counter()
    with _log(log) as err:
        proc = subprocess.Popen(cmd, cwd=cwd, env={**os.environ, **(env or {})}, stdout=subprocess.PIPE,
                                stderr=err, text=True)
        watcher = RssWatcher(proc.pid)
        stdout, _ = proc.communicate()
        peak = watcher.stop()
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed with exit code {proc.returncode}" + (f"; see {log}" if log else ""))
    return {"seconds": time.perf_counter() - started, "peak_rss_mb": peak, "stdout": stdout}


def run_serving(cmd: list[str], cwd: Path, env: dict[str, str] | None = None,
                log: Path | None = None) -> dict[str, Any]:
    """Start a serving script: cold start = process start to its READY line (after the first parse)."""
    started = time.perf_counter()
    cold = None
    lines = []
    with _log(log) as err:
        proc = subprocess.Popen(cmd, cwd=cwd, env={**os.environ, **(env or {})}, stdout=subprocess.PIPE,
                                stderr=err, text=True)
        assert proc.stdout is not None
        for line in proc.stdout:
            if line.startswith("READY") and cold is None:
                cold = time.perf_counter() - started
            else:
                lines.append(line)
        proc.wait()
    if proc.returncode != 0 or cold is None:
        raise SystemExit(f"{' '.join(cmd)} failed with exit code {proc.returncode}" + (f"; see {log}" if log else ""))
    result = json.loads(lines[-1])
    result["cold_start"] = cold
    return result


def scores(gold: list[str], pred: list[str]) -> dict[str, float]:
    """Accuracy and macro-F1 over the gold labels."""
    from sklearn.metrics import accuracy_score, f1_score

    return {"accuracy": accuracy_score(gold, pred), "macro_f1": f1_score(gold, pred, average="macro", zero_division=0)}


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (nearest rank) of ``values``."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered)) - 1))]


def run_ours(work: Path, data_file: Path, texts_file: Path) -> dict[str, Any]:
    """Train and serve Linli's pipeline in fresh processes."""
    model = work / "linli_model"
    code = OURS_TRAIN.format(root=str(ROOT), data=str(data_file), model=str(model))
    train = run_measured([*NICE, sys.executable, "-c", code], ROOT, log=work / "linli_train.log")
    serve = run_serving([*NICE, sys.executable, "-c", OURS_SERVE.format(root=str(ROOT), texts=str(texts_file),
                                                                       model=str(model))], ROOT,
                        log=work / "linli_serve.log")
    return {"train_seconds": train["seconds"], "train_rss_mb": train["peak_rss_mb"], **serve}


def run_rasa(work: Path, rasa_venv: Path, settings: Any, data: TrainingData, texts_file: Path,
             epochs: int) -> dict[str, Any]:
    """Export, `rasa train nlu` and serve Rasa's DIET model in fresh processes."""
    project = work / "rasa_project"
    write_rasa_project(settings, data, project, epochs=epochs, force=True)
    rasa = rasa_venv / "bin" / "rasa"
    cmd = [*NICE, str(rasa), "train", "nlu", "--out", "models", "--fixed-model-name", "nlu"]
    print(f"  rasa train nlu ({epochs} epochs) in {project} ...", flush=True)
    train = run_measured(cmd, project, RASA_ENV, log=work / "rasa_train.log")
    model = next((project / "models").glob("nlu*.tar.gz"))
    code = RASA_SERVE.format(texts=str(texts_file), model=str(model))
    serve = run_serving([*NICE, str(rasa_venv / "bin" / "python"), "-c", code], project, RASA_ENV,
                        log=work / "rasa_serve.log")
    return {"train_seconds": train["seconds"], "train_rss_mb": train["peak_rss_mb"], **serve}


def datasets(only: str | None, smp_dir: Path) -> list[tuple[str, TrainingData, list[Example]]]:
    """(name, training data, test examples) for each data set asked for."""
    settings = project_settings()
    out = []
    if only in (None, "ours"):
        data = load_training_data(settings.training_data)
        train, test = stratified_split(data.examples, settings.test_fraction, settings.random_seed)
        out.append((f"Linli nlu/data ({len(train)} train / {len(test)} test, 80/20 seed {settings.random_seed})",
                    _subset(data, train), test))
    if only in (None, "smp"):
        data, test = load_smp(smp_dir)
        out.append((f"SMP2017-ECDT task 1 ({len(data.examples)} train+dev / {len(test)} test)", data, test))
    return out


def row(name: str, unit: str, ours: float, rasa: float, fmt: str = "{:.3f}") -> str:
    """One line of the side-by-side table."""
    return f"| {name} | {fmt.format(ours)}{unit} | {fmt.format(rasa)}{unit} |"


def table(result: dict[str, Any]) -> str:
    """The side-by-side Markdown table for one data set."""
    o, r = result["linli"], result["rasa"]
    lines = [
        f"**{result['dataset']}**", "",
        "| measure | Linli | Rasa DIET |", "|---|---|---|",
        row("intent accuracy", "", o["accuracy"], r["accuracy"]),
        row("intent macro-F1", "", o["macro_f1"], r["macro_f1"]),
        row("training (fresh process, wall)", " s", o["train_seconds"], r["train_seconds"], "{:.1f}"),
        row("peak RSS while training", " MB", o["train_rss_mb"], r["train_rss_mb"], "{:.0f}"),
        row("cold start (process start to first parse)", " s", o["cold_start"], r["cold_start"], "{:.2f}"),
        row("parse latency p50", " ms", o["p50_ms"], r["p50_ms"], "{:.2f}"),
        row("parse latency p95", " ms", o["p95_ms"], r["p95_ms"], "{:.2f}"),
        row("peak RSS while serving", " MB", o["peak_rss_mb"], r["peak_rss_mb"], "{:.0f}"),
    ]
    return "\n".join(lines)


def summarise(engine: dict[str, Any], gold: list[str]) -> dict[str, Any]:
    """Scores and latency percentiles from one engine's raw run."""
    lat_ms = [x * 1000 for x in engine.pop("latencies")]
    preds = engine.pop("predictions")
    return {**engine, **scores(gold, preds), "p50_ms": statistics.median(lat_ms), "p95_ms": percentile(lat_ms, 95)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--epochs", type=int, default=100, help="DIETClassifier epochs (default: 100)")
    ap.add_argument("--only", choices=("ours", "smp"), help="run one data set only")
    ap.add_argument("--rasa-venv", default=str(ROOT / ".venv-rasa"), help="Rasa 3.6 venv (bench/setup_rasa.sh)")
    ap.add_argument("--smp-dir", default=str(SMP_DIR), help="SMP2017-ECDT task 1 folder")
    ap.add_argument("--work", help="keep models and logs in this folder (default: a temporary one)")
    ap.add_argument("--json", metavar="FILE", help="also write the figures as JSON")
    args = ap.parse_args()
    rasa_venv = Path(args.rasa_venv)
    if not (rasa_venv / "bin" / "rasa").exists():
        raise SystemExit(f"no Rasa in {rasa_venv}; create it with `bash bench/setup_rasa.sh`")
    settings = project_settings()
    work_root = Path(args.work) if args.work else Path(tempfile.mkdtemp(prefix="rasa_compare_"))
    when = time.strftime("%Y-%m-%d %H:%M")
    print(f"{when} on {os.cpu_count()} cores; DIET epochs {args.epochs}; work in {work_root}")
    results = []
    for i, (name, data, test) in enumerate(datasets(args.only, Path(args.smp_dir))):
        work = work_root / f"set{i}"
        work.mkdir(parents=True, exist_ok=True)
        data_file = work / "train.yml"
        data_file.write_text(to_yaml(data), encoding="utf-8")
        texts_file = work / "test_texts.json"
        texts_file.write_text(json.dumps([e.text for e in test], ensure_ascii=False), encoding="utf-8")
        gold = [e.intent for e in test]
        print(f"{name}\n  Linli: train and serve ...", flush=True)
        ours = summarise(run_ours(work, data_file, texts_file), gold)
        rasa = summarise(run_rasa(work, rasa_venv, settings, data, texts_file, args.epochs), gold)
        results.append({"dataset": name, "epochs": args.epochs, "linli": ours, "rasa": rasa})
        print(table(results[-1]) + "\n", flush=True)
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1), encoding="utf-8")
    print(f"(bench process peak RSS {peak_rss_mb():.0f} MB)")


if __name__ == "__main__":
    main()
