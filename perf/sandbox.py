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


def _container_cpu_s(cid: str) -> float | None:
    """CPU seconds the container used so far (cgroup v1 or v2), None when not readable."""
    for path, scale in ((f"/sys/fs/cgroup/cpuacct/docker/{cid}/cpuacct.usage", 1e-9),
                        (f"/sys/fs/cgroup/system.slice/docker-{cid}.scope/cpu.stat", 1e-6),
                        (f"/sys/fs/cgroup/docker/{cid}/cpu.stat", 1e-6)):
        try:
            text = Path(path).read_text()
        except OSError:
            continue
        return int(text.split()[1] if text.startswith("usage_usec") else text.split()[0]) * scale
    return None


def bench_sandbox(kind: str, n: int) -> tuple[float, float | None]:
    """(wall ms per job minus in-sandbox test time, sandbox CPU ms per job or None)."""
    job = SandboxJob(program=PROGRAM, tests=(SandboxTest(id="t", kind="eval", code="f(1)"),))
    with open_sandbox(kind) as box:
        for _ in range(20):                       # warm up
            box.run(job)
        cid = box.container.id if kind == "docker" else None
        cpu0 = _container_cpu_s(cid) if cid else None
        inside = 0.0
        t0 = time.perf_counter()
        for _ in range(n):
            res = box.run(job)
            assert res.status == "ok" and res.tests[0].value == 2, res
            inside += res.tests[0].duration_s
        wall = time.perf_counter() - t0
        cpu1 = _container_cpu_s(cid) if cid else None
    cpu = (cpu1 - cpu0) / n * 1000 if cpu0 is not None and cpu1 is not None else None
    return (wall - inside) / n * 1000, cpu


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--jobs", type=int, default=1000)
    args = ap.parse_args()
    n = args.jobs
    peer = bench_python_c(n)
    print(f"python -c per test     : {peer:8.2f} ms/job (peer)")
    load = os.getloadavg()[0]
    print(f"host: {os.cpu_count()} CPUs, load average {load:.1f} at start")
    local, _ = bench_sandbox("local", n)
    print(f"local backend (bwrap)  : {local:8.2f} ms/job  ({peer / local:5.1f}x faster than python -c)")
    ok, why = docker_available()
    if not ok:
        print(f"docker backend         : unavailable ({why})")
        print("nan")
        return
    docker, cpu = bench_sandbox("docker", n)
    print(f"docker backend (warm)  : {docker:8.2f} ms/job  ({peer / docker:5.1f}x faster than python -c)")
    if cpu is not None:
        print(f"docker container CPU   : {cpu:8.2f} ms/job  (runner + child, from the cgroup)")
    print(f"{docker:.2f}")


if __name__ == "__main__":
    main()
