"""NLU speed and memory: cold start, training time, parse latency, throughput, peak RSS.

Usage: python bench/nlu_bench.py [--config PATH] [--rounds 3]

Targets on the 2-core reference machine: cold start <= 3 s, training <= 60 s,
p95 parse <= 5 ms, RSS <= 300 MB (the serving process: model loaded, messages parsed).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import ROOT, project_settings

COLD_START = """
import json
from bot.config import load_config
from nlu.pipeline import load_pipeline
p = load_pipeline(load_config({config!r}))
p.parse("孙子不在家，我想在手机上买点菜")
print(json.dumps({{"ok": True}}))
"""

SERVE = """
import json, sys, time
sys.path.insert(0, "bench")
from _common import peak_rss_mb
from bot.config import load_config
from nlu.pipeline import load_pipeline
from nlu.training_data import load_training_data
p = load_pipeline(load_config({config!r}))
texts = [e.text for e in load_training_data({heldout!r}).examples]
texts += ["买菜" * 5000, "", "🙏🙏", "How do I pay?"]
lat = []
for _ in range({rounds}):
    for t in texts:
        t0 = time.perf_counter()
        p.parse(t)
        lat.append(time.perf_counter() - t0)
print(json.dumps({{"lat": lat, "rss_mb": peak_rss_mb()}}))
"""

TRAIN = """
import json, sys, time, dataclasses
from pathlib import Path
sys.path.insert(0, "bench")
from _common import peak_rss_mb
from bot.config import load_config
from nlu.pipeline import train_model
s = dataclasses.replace(load_config({config!r}), model_dir=Path({model_dir!r}))
t0 = time.perf_counter()
stats = train_model(s, force=True)
print(json.dumps({{"seconds": time.perf_counter() - t0, "examples": stats["examples"],
                  "rss_mb": peak_rss_mb()}}))
"""


def run_py(code: str) -> tuple[dict, float]:
    """Run code in a fresh interpreter; return its JSON output and wall time."""
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(f"benchmark step failed:\n{proc.stderr}")
    return json.loads(proc.stdout.strip().splitlines()[-1]), wall


def pct(values: list[float], q: float) -> float:
    """The q-th percentile (0-100) by nearest rank."""
    s = sorted(values)
    return s[min(len(s) - 1, max(0, int(round(q / 100 * len(s))) - 1))]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--config", default=str(ROOT / "config.yml"))
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    settings = project_settings(args.config)
    heldout = str(ROOT / "tests" / "heldout" / "heldout.yml")

    with tempfile.TemporaryDirectory() as tmp:
        train, _ = run_py(TRAIN.format(config=args.config, model_dir=str(Path(tmp) / "model")))
    # Make sure the served model is current before timing cold starts.
    from nlu.pipeline import train_model

    train_model(settings)
    run_py(COLD_START.format(config=args.config))  # warm the OS file cache and jieba's cache once
    colds = []
    for _ in range(3):
        out, wall = run_py(COLD_START.format(config=args.config))
        colds.append(wall)
    serve, _ = run_py(SERVE.format(config=args.config, heldout=heldout, rounds=args.rounds))
    lat_ms = [x * 1000 for x in serve["lat"]]
    print(f"NLU benchmark ({len(lat_ms)} parses; config {Path(args.config).name})")
    print(f"cold start (process start to first parse)  median {statistics.median(colds):.2f} s   "
          f"[{', '.join(f'{c:.2f}' for c in colds)}]   target <= 3 s")
    print(f"training ({train['examples']} examples)              {train['seconds']:.1f} s   "
          f"peak RSS {train['rss_mb']:.0f} MB   target <= 60 s")
    print(f"parse latency                               p50 {pct(lat_ms, 50):.2f} ms  p95 {pct(lat_ms, 95):.2f} ms  "
          f"p99 {pct(lat_ms, 99):.2f} ms  max {max(lat_ms):.1f} ms   target p95 <= 5 ms")
    print(f"throughput (one message at a time)          {len(lat_ms) / (sum(lat_ms) / 1000):.0f} messages/s")
    print(f"peak RSS serving (model loaded, parsing)    {serve['rss_mb']:.0f} MB   target <= 300 MB")


if __name__ == "__main__":
    main()
