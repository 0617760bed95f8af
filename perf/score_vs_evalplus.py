"""`codeharvest score` vs `evalplus.evaluate` on the same HumanEval+ samples, both cold.

Samples: the 164 canonical solutions plus the MapCoder ChatGPT and GPT-4 HumanEval+
generations (../shared/data/generations/mapcoder). Both tools get the full HumanEval+ v0.1.10
(evalplus through HUMANEVAL_OVERRIDE_PATH, uncompressed), a fresh cache directory and the same
number of workers. Each tool runs in both of its modes, so that each comparison is like for like:

- first failure: ``evalplus.evaluate`` by default (``fast_check``: a sample stops at its first
  failing input; only pass/fail comes out) against ``codeharvest score --fast-fail`` (the same);
- exact counts: ``evalplus.evaluate --test-details`` (every input of every sample runs, the
  failing inputs are listed) against ``codeharvest score`` by default (every input runs; the
  passed/total counts are exact).

evalplus's wall is taken until it has written its results: its process then sleeps on for up to
20 s in a watchdog thread (printed, not counted). codeharvest's is taken until its process exits,
its sandboxes closed.

The four runs are repeated ``--rounds`` times (default 2), interleaved, each cold, and each
run's best wall counts: this machine's speed drifts by tens of percent within minutes (a fixed
CPU loop measured 4.5 s, then 7.5 s, in one session; evalplus took 53 s in one run and 74 s in
another the same day), which one pass turns into noise in the ratio. A speed probe (a fixed
loop) is timed before each run and printed. Prints the wall times, the verdict agreement of each
run (each disagreement named), the programs' own compute in each codeharvest mode (the sum of
``exec_s``: no scorer on N workers can finish in under sum/N), the ratio of each mode, the
cross-mode ratio (evalplus's default against codeharvest's default, which does more work) for
reference, and as the last line the lower of the two like-for-like ratios.

What codeharvest does differently (both tools run every program on the same inputs): the
reference outputs are computed in parallel by the workers (EvalPlus computes its ground truth
serially first); the 164 canonical samples are the reference programs themselves and are judged
from the reference's own run; inputs travel to the sandbox as marshal data and a worker's
inputs run in one warm forked child; with ``--fast-fail`` each batch (4, 8, 16, ... inputs)
streams back and is judged as it finishes, and the job stops at a first failure, as EvalPlus's
in-process check does; by default a sample stops after 3 timeouts (the rest count as failed,
a lower bound, as the APPS evaluator does), where ``--test-details`` waits out every input's
limit up to its 60 s cap. What neither can avoid: the programs' own compute (a few
HumanEval+ tasks, e.g. 139, 15, 130, 94, run for seconds on every correct sample).

Known EvalPlus 0.3.1 bug, not counted as a disagreement: HumanEval/32 (find_zero) always fails,
because its special oracle ``continue``s before marking the input as passed.

Both tools' programs run on CPython 3.11, but not necessarily on equally fast builds: the probe
line says how fast the interpreter running evalplus and the sandbox image's are. On this
machine pyenv's build (the dev venv) is ~30% slower than Debian's PGO/LTO build, which the image
uses and which is at /usr/bin/python3.11. By default (``--evalplus-python auto``) evalplus runs on
the faster of the two (from this venv's site-packages), like for like.

    .venv/bin/python perf/score_vs_evalplus.py [--workers 2] [--sandbox auto] [--rounds 2] [--data-dir DIR]
        [--evalplus-python auto|PATH]
"""
from __future__ import annotations

import argparse
import gzip
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
EVALPLUS_BUGS = {"HumanEval/32": "evalplus 0.3.1 find_zero oracle never marks an input passed"}


def build_samples(data: Path, out: Path) -> list[tuple[str, str]]:
    """(source, task_id) per line, in file order."""
    problems = [json.loads(line) for line in gzip.open(data / "evalplus" / "HumanEvalPlus.jsonl.gz", "rt")]
    gens = data / "generations" / "mapcoder" / "final-results"
    sources = [("canonical", [{"task_id": p["task_id"], "solution": p["prompt"] + p["canonical_solution"]}
                              for p in problems])]
    for name, path in (("chatgpt", gens / "ChatGPT/HumanEvalPlus/ChatGPT-CoT-Python3-0-1.jsonl"),
                       ("gpt4", gens / "GPT4/HumanEvalPlus/GPT4-Turbo-MapCoder-5-5-Human-Python3-0-1.jsonl")):
        sources.append((name, [json.loads(line) for line in open(path) if line.strip()]))
    order = []
    with open(out, "w") as f:
        for name, recs in sources:
            for r in recs:
                f.write(json.dumps({"task_id": r["task_id"], "solution": r["solution"]}) + "\n")
                order.append((name, r["task_id"]))
    return order


def run_evalplus(data: Path, samples: Path, tmp: Path, workers: int,
                 test_details: bool = False, python: str = sys.executable) -> tuple[float, dict]:
    """(seconds until evalplus wrote its results, the results). ``samples`` in a folder of its
    own: evalplus writes its results beside it (and would reuse a results file it finds there).

    Not the process's exit: evalplus 0.3.1 then waits for its "stucking checker", a non-daemon
    thread that sleeps 20 s between checks, so the process outlives its work by 0-20 s of
    sleep. That tail is measured and printed, not counted."""
    plain = tmp / "HumanEvalPlus.jsonl"
    if not plain.exists():
        with gzip.open(data / "evalplus" / "HumanEvalPlus.jsonl.gz", "rb") as src, open(plain, "wb") as dst:
            shutil.copyfileobj(src, dst)
    tag = "-test-details" if test_details else ""
    env = {**os.environ, "HUMANEVAL_OVERRIDE_PATH": str(plain),
           "XDG_CACHE_HOME": str(tmp / f"evalplus-cache{tag}")}      # each run starts cold
    if python != sys.executable:   # another build of this Python: evalplus from this venv
        env["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p.endswith("site-packages"))
    result = Path(str(samples).replace(".jsonl", "_eval_results.json"))
    t0 = time.time()        # (the clock of file modification times)
    subprocess.run([python, "-m", "evalplus.evaluate", "--dataset", "humaneval",
                    "--samples", str(samples), "--parallel", str(workers),
                    *(["--test-details"] if test_details else [])],
                   env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    exited = time.time() - t0
    to_results = result.stat().st_mtime - t0
    EVALPLUS_SLEEP_TAILS.append(exited - to_results)
    return to_results, json.loads(result.read_text())


EVALPLUS_SLEEP_TAILS: list[float] = []   # seconds each evalplus process outlived its results


def run_codeharvest(data: Path, samples: Path, tmp: Path, workers: int, sandbox: str,
                    fast_fail: bool = False) -> tuple[float, list[dict]]:
    tag = "-fast-fail" if fast_fail else ""
    out = tmp / f"codeharvest_results{tag}.jsonl"
    cache = tmp / f"codeharvest-cache{tag}"          # each run starts cold
    env = {**os.environ, "XDG_CACHE_HOME": str(cache)}
    env.pop("CODEHARVEST_WAREHOUSE", None)
    t0 = time.perf_counter()
    subprocess.run([str(REPO / ".venv/bin/codeharvest"), "score", "--benchmark", "humaneval-plus",
                    "--samples", str(samples), "--data-dir", str(data), "--sandbox", sandbox,
                    "--workers", str(workers), "--out", str(out),
                    "--cache-dir", str(cache), *(["--fast-fail"] if fast_fail else [])],
                   env=env, check=True, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - t0
    return wall, [json.loads(line) for line in out.read_text().splitlines()]


_PROBE = "import time\nt0 = time.perf_counter()\ntotal = 0\nfor i in range(10_000_000):\n    total += i * i % 7\nprint(time.perf_counter() - t0)"


def interpreter_speeds(python: str, sandbox: str) -> tuple[float, float | None]:
    """(seconds of the probe loop on the interpreter running evalplus, on the sandbox image's
    Python): the programs run on these two, so a faster build on one side moves the ratio by
    itself (pyenv's default build is ~30% slower than Debian's PGO/LTO build here)."""
    ours = float(subprocess.run([python, "-c", _PROBE], capture_output=True, text=True, check=True).stdout)
    if sandbox not in ("auto", "docker") or shutil.which("docker") is None:
        return ours, None
    res = subprocess.run(["docker", "run", "--rm", "--network", "none", "--entrypoint", "python3",
                          "codeharvest-sandbox:latest", "-c", _PROBE], capture_output=True, text=True)
    return ours, float(res.stdout) if res.returncode == 0 else None


def fastest_build() -> str:
    """This interpreter, or the system's build of the same Python version where it is faster
    (pyenv's default build is ~30% slower than Debian's PGO/LTO one): evalplus gets the
    faster, so no ratio comes from its interpreter."""
    system = Path(f"/usr/bin/python{sys.version_info.major}.{sys.version_info.minor}")
    if not system.is_file() or system.resolve() == Path(sys.executable).resolve():
        return sys.executable
    timed = {}
    for python in (sys.executable, str(system)):
        res = subprocess.run([python, "-c", _PROBE], capture_output=True, text=True)
        if res.returncode == 0:
            timed[python] = float(res.stdout)
    return min(timed, key=timed.get) if timed else sys.executable


def speed_probe() -> float:
    """Seconds a fixed pure-Python loop takes now: printed next to each run, so a ratio that
    moves between runs can be read against how fast the machine itself was."""
    t0 = time.perf_counter()
    total = 0
    for i in range(10_000_000):
        total += i * i % 7
    return time.perf_counter() - t0


MODES = (  # (label, tool, its mode) in the order each round runs them
    ("evalplus", "evalplus", "default: fast_check, a sample stops at its first failing input"),
    ("evalplus --test-details", "evalplus", "every input runs"),
    ("codeharvest", "codeharvest", "default: every input runs, exact per-test counts"),
    ("codeharvest --fast-fail", "codeharvest", "stops at the first failing test"),
)
PAIRS = (  # like for like: (what both do, evalplus run, codeharvest run)
    ("first failure", "evalplus", "codeharvest --fast-fail"),
    ("exact counts", "evalplus --test-details", "codeharvest"),
)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--sandbox", default="auto")
    ap.add_argument("--rounds", type=int, default=2,
                    help="rounds of the four runs, interleaved; each run's best wall counts")
    ap.add_argument("--data-dir", type=Path, default=Path(os.environ.get("CODEHARVEST_TEST_DATA", REPO.parent / "shared" / "data")))
    ap.add_argument("--evalplus-python", default="auto",
                    help="interpreter for evalplus: a build of this Python (e.g. Debian's "
                         "/usr/bin/python3.11, the sandbox image's build); 'auto' (default) takes "
                         "the fastest of this one and the system's of the same version")
    args = ap.parse_args()
    if args.evalplus_python == "auto":
        args.evalplus_python = fastest_build()
    speeds = interpreter_speeds(args.evalplus_python, args.sandbox)
    runs: dict[str, list[tuple[float, object]]] = defaultdict(list)
    probes: list[float] = []
    with tempfile.TemporaryDirectory(prefix="score_vs_evalplus.") as d:
        for r in range(args.rounds):  # every run cold: its own samples folder and caches
            tmp = Path(d) / f"round{r}"
            folders = {label: tmp / f"run{i}" for i, (label, _, _) in enumerate(MODES)}
            for folder in folders.values():
                folder.mkdir(parents=True)
            order = build_samples(args.data_dir, folders["evalplus"] / "samples.jsonl")
            samples_text = (folders["evalplus"] / "samples.jsonl").read_text()
            for label, tool, _ in MODES:
                samples = folders[label] / "samples.jsonl"
                samples.write_text(samples_text)
                probes.append(speed_probe())
                if tool == "evalplus":
                    runs[label].append(run_evalplus(args.data_dir, samples, tmp, args.workers,
                                                    test_details="--test-details" in label,
                                                    python=args.evalplus_python))
                else:
                    runs[label].append(run_codeharvest(args.data_dir, samples, folders[label],
                                                       args.workers, args.sandbox,
                                                       fast_fail="--fast-fail" in label))

    n = len(order)
    best = {label: min(rs, key=lambda run: run[0]) for label, rs in runs.items()}
    print(f"samples: {n} (164 canonical + MapCoder ChatGPT + GPT-4), workers: {args.workers}, "
          f"rounds: {args.rounds} (interleaved; the best wall of each counts, as this machine's "
          f"speed drifts)")
    print(f"machine speed probe (a fixed Python loop, before each run in order): "
          f"{', '.join(f'{p:.2f}s' for p in probes)}")
    sandbox_speed = f"{speeds[1]:.2f}s" if speeds[1] is not None else "not measured"
    print(f"interpreters the programs run on (the same loop): evalplus's {args.evalplus_python} "
          f"{speeds[0]:.2f}s, the sandbox image's python3 {sandbox_speed}")
    if speeds[1] is not None and abs(speeds[0] / speeds[1] - 1) > 0.1:
        print(f"  (not like for like: the {'sandbox' if speeds[1] < speeds[0] else 'host'} "
              f"interpreter is {max(speeds) / min(speeds):.2f}x faster; --evalplus-python PATH gives "
              f"evalplus a build as fast as the sandbox's)")
    for label, _, what in MODES:
        until = " until its results were written" if label.startswith("evalplus") else ""
        print(f"{label} wall{until} ({what}): {best[label][0]:.1f}s "
              f"[{', '.join(f'{w:.1f}' for w, _ in runs[label])}]")
    print(f"(not counted: each evalplus process then slept on in its 20 s watchdog thread before "
          f"exiting: {', '.join(f'{t:.1f}s' for t in EVALPLUS_SLEEP_TAILS)})")
    for name, ev_label, ch_label in PAIRS:   # every round's verdicts, against its evalplus run
        found = [compare_verdicts(order, e, rows)
                 for (_, e), (_, rows) in zip(runs[ev_label], runs[ch_label])]
        agree, bug, disagreements = min(found, key=lambda f: f[0])
        print(f"verdict agreement ({ch_label} vs {ev_label}, worst round): {agree}/{n}; {bug} on "
              f"documented EvalPlus bugs ({', '.join(EVALPLUS_BUGS)}); {len(disagreements)} other "
              f"disagreements")
        for d in disagreements:
            print(f"  disagreement: {d[0]} {d[1]} evalplus={'pass' if d[2] else 'fail'} "
                  f"codeharvest={'pass' if d[3] else 'fail'} ({d[4]})")
    # The programs' own time on their tests (exec_s: the candidates', and the reference run's
    # through the canonical samples, which are judged from it): work no harness can skip, so
    # on N workers no scorer finishes in under sum/N, whatever its overhead.
    # (a program that is in the file twice ran once: counted once)
    programs = [(json.loads(line)["task_id"], json.loads(line)["solution"])
                for line in samples_text.splitlines() if line.strip()]
    ratios = {}
    for name, ev_label, ch_label in PAIRS:
        (ev_wall, _), (wall, rows) = best[ev_label], best[ch_label]
        floor = sum(dict(zip(programs, (r.get("exec_s") or 0.0 for r in rows))).values())
        print(f"programs' own compute ({ch_label}, its best run): {floor:.1f} CPU-s; on "
              f"{args.workers} workers at least {floor / args.workers:.1f}s, so at most a ratio "
              f"of {ev_wall / (floor / args.workers):.2f} against {ev_label} here; codeharvest's "
              f"overhead: {wall - floor / args.workers:.1f}s")
        ratios[name] = ev_wall / wall
    print(f"cross-mode, for reference: evalplus (first failure) / codeharvest (exact counts, "
          f"more work): {best['evalplus'][0] / best['codeharvest'][0]:.2f}")
    for name, ev_label, ch_label in PAIRS:
        print(f"ratio {ev_label} / {ch_label} (like for like, {name}): {ratios[name]:.2f}")
    low = min(ratios, key=ratios.get)
    # last line: the lower of the two like-for-like ratios
    print(f"ratio evalplus/codeharvest (the lower like-for-like ratio, {low}): {ratios[low]:.2f}")


def compare_verdicts(order: list[tuple[str, str]], ev: dict, ch: list[dict]) -> tuple[int, int, list]:
    # evalplus: results["eval"][task_id] is a list in completion order (= file order per task)
    seen: dict[str, int] = defaultdict(int)
    agree = bug = 0
    disagreements = []
    for (source, tid), ours in zip(order, ch):
        theirs = ev["eval"][tid][seen[tid]]
        seen[tid] += 1
        ev_pass = theirs["base_status"] == "pass" and theirs["plus_status"] == "pass"
        ch_pass = bool(ours["pass_hidden"]) and ours["status"] == "scored"
        if ev_pass == ch_pass:
            agree += 1
        elif tid in EVALPLUS_BUGS:
            bug += 1
        else:
            disagreements.append((source, tid, ev_pass, ch_pass, ours.get("error_type")))
    return agree, bug, disagreements


if __name__ == "__main__":
    main()
