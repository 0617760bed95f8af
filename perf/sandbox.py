"""Per-job overhead of the sandboxes on trivial jobs, against a fresh `python -c` per test.

Runs N trivial jobs (one `eval` test each) through: a fresh `python3 -c` process per test (the
naive peer), the local backend (bwrap), and the Docker backend (warm container). Prints the
mean wall time per job minus the test's own run time (as measured inside the sandbox), the
ratios against the `python -c` peer, and as the LAST line the Docker per-job overhead in ms.

    .venv/bin/python perf/sandbox.py [--jobs 1000]
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from scorer.sandbox import SandboxJob, SandboxTest, docker_available, open_sandbox  # noqa: E402
from scorer.sandbox._local import find_python  # noqa: E402

PROGRAM = "def f(x):\n    return x + 1\n"


def bench_python_c(n: int) -> float:
    py = find_python(os.geteuid() == 0)
    code = PROGRAM + "assert f(1) == 2\n"
    t0 = time.perf_counter()
    for _ in range(n):
        subprocess.run([py, "-c", code], check=True, stdin=subprocess.DEVNULL)
    return (time.perf_counter() - t0) / n * 1000


def bench_sandbox(kind: str, n: int) -> float:
    job = SandboxJob(program=PROGRAM, tests=(SandboxTest(id="t", kind="eval", code="f(1)"),))
    with open_sandbox(kind) as box:
        for _ in range(20):                       # warm up
            box.run(job)
        inside = 0.0
        t0 = time.perf_counter()
        for _ in range(n):
            res = box.run(job)
            assert res.status == "ok" and res.tests[0].value == 2, res
            inside += res.tests[0].duration_s
        wall = time.perf_counter() - t0
    return (wall - inside) / n * 1000


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--jobs", type=int, default=1000)
    args = ap.parse_args()
    n = args.jobs
    peer = bench_python_c(n)
    print(f"python -c per test     : {peer:8.2f} ms/job (peer)")
    local = bench_sandbox("local", n)
    print(f"local backend (bwrap)  : {local:8.2f} ms/job  ({peer / local:5.1f}x faster than python -c)")
    ok, why = docker_available()
    if not ok:
        print(f"docker backend         : unavailable ({why})")
        print("nan")
        return
    docker = bench_sandbox("docker", n)
    print(f"docker backend (warm)  : {docker:8.2f} ms/job  ({peer / docker:5.1f}x faster than python -c)")
    print(f"{docker:.2f}")


if __name__ == "__main__":
    main()
