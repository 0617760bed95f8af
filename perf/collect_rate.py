"""Collector throughput against a rate-limited fake provider.

A fake OpenAI-compatible server (own process, 127.0.0.1) allows 600 requests/min and answers
after 1 s. The collector (local Ray, one async model actor, limiter set to 600/min) sends
N requests. Peer: the provider's limit itself. Prints, as its last lines:

    achieved_rpm_over_limit <ratio>     (target >= 0.95)
    driver_overhead_ms_per_task <ms>    (target <= 5: driver CPU time / tasks)
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

SERVER = """
import sys, time
sys.path.insert(0, {repo!r})
from tests.fakes import FakeProvider
f = FakeProvider(latency_s=1.0, rpm_limit={rpm}).start()
print(f.url, flush=True)
while True:
    time.sleep(3600)
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--requests", type=int, default=300)
    ap.add_argument("--rpm", type=float, default=600.0)
    args = ap.parse_args()
    for k, v in {"RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0", "RAY_AUTH_MODE": "disabled",
                 "RAY_USAGE_STATS_ENABLED": "0", "PERF_KEY": "sk-perf"}.items():
        os.environ.setdefault(k, v)

    server = subprocess.Popen([sys.executable, "-c", SERVER.format(repo=str(REPO), rpm=args.rpm)],
                              stdout=subprocess.PIPE, text=True)
    try:
        url = server.stdout.readline().strip()
        run(url, args.requests, args.rpm)
    finally:
        server.kill()


def run(url: str, n: int, rpm: float) -> None:
    from benchmarks import Task
    from collector._run import CollectOptions, Collector, ensure_ray
    from collector._spec import parse_job

    tasks = [Task("humaneval", "perf", f"P/{i}", "function", "python", "code_generation",
                  f"def f{i}(x):\n    \"\"\"Return x plus {i}.\"\"\"\n", f"def f{i}(x):\n    return x + {i}\n",
                  entry_point=f"f{i}") for i in range(n)]
    job = parse_job(f"""
budget_usd: 100
benchmarks: [{{name: humaneval}}]
models:
  - id: api
    backend: openai
    model: fake
    base_url: {url}/v1
    api_key_env: PERF_KEY
    prices: {{input_per_mtok: 1.0, output_per_mtok: 1.0}}
    rate_limit: {{requests_per_min: {rpm}}}
    concurrency: 64
sampling: {{max_tokens: 64}}
scoring: {{enabled: false}}
runtime: {{max_in_flight: 128, flush_rows: 64, flush_interval_s: 2.0}}
""")
    ensure_ray(None)
    with tempfile.TemporaryDirectory() as tmp:
        opts = CollectOptions(warehouse=f"{tmp}/wh", base_dir=Path(tmp), progress=False,
                              journal_dir=Path(tmp) / "journal", tasks={"humaneval": tasks})
        timing: dict[str, float] = {}

        class Timed(Collector):
            async def _dispatch(self, todo, actors):
                timing["cpu0"], timing["t0"] = time.process_time(), time.monotonic()
                await super()._dispatch(todo, actors)
                timing["cpu1"], timing["t1"] = time.process_time(), time.monotonic()

        summary = Timed(job, opts).run()
    done = summary.models["api"].ok
    elapsed = timing["t1"] - timing["t0"]
    achieved = done / elapsed * 60.0
    # the first second is a burst of rpm/60 requests; a perfect client needs (n - burst)/rate + latency
    print(f"requests ok: {done}/{n}  wall: {elapsed:.1f}s  achieved: {achieved:.0f}/min  limit: {rpm:.0f}/min")
    print(f"achieved_rpm_over_limit {achieved / rpm:.3f}")
    print(f"driver_overhead_ms_per_task {(timing['cpu1'] - timing['cpu0']) / max(1, n) * 1000:.2f}")


if __name__ == "__main__":
    main()
