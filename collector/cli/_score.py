"""`codeharvest score`: score an EvalPlus-format samples file against a benchmark's tests.

Samples are ``{"task_id", "solution" | "completion"}`` lines. As in EvalPlus, a ``solution`` is
the program and a ``completion`` is appended to the task prompt; text that is not a valid
program (raw model output, Markdown fences) goes through the benchmark's answer extraction.
With an explicit ``--warehouse`` the samples become ``generations`` rows (backend ``replay``)
and the verdicts ``scores`` rows; a rerun skips samples already scored with the same scorer,
tests, sandbox and limits (same ``score_id``).
"""
from __future__ import annotations

import json
import logging
import os
import re
import tempfile
import time
import uuid
from collections import Counter, defaultdict
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterator

import typer

log = logging.getLogger("codeharvest.score")

SANDBOX_KINDS = ("auto", "docker", "local")
EVALPLUS_BENCHMARKS = ("humaneval-plus", "humaneval-plus-mini", "mbpp-plus")


@dataclass
class _Extraction:
    """A sample used verbatim (the shape of ``benchmarks.Extraction``)."""

    status: str = "ok"
    code: str | None = None
    label: str | None = None
    detail: str = ""


@dataclass
class Sample:
    line: int
    task_id: str
    raw: str
    field_name: str            # "solution" | "completion"
    sample_index: int = 0
    extraction: Any = None
    generation_id: str = ""
    score_id: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


def default_workers() -> int:
    """Half the CPUs this process may use (EvalPlus's default): each sandbox runs one program
    at a time, and the other half is left to this process and the machine."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cpus = os.cpu_count() or 1
    return max(1, cpus // 2)


def default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "codeharvest" / "expected"


def register(app: typer.Typer) -> None:
    @app.command("score", help="Score a samples file (EvalPlus format) against a benchmark's tests.")
    def _score(
        ctx: typer.Context,
        benchmark: str = typer.Option(..., "--benchmark", "-b", help="Benchmark name (see `codeharvest benchmarks`)."),
        samples: Path = typer.Option(..., "--samples", "-s", help="JSONL of {task_id, solution|completion}."),
        sandbox: str = typer.Option("auto", "--sandbox", help="auto | docker | local"),
        workers: int | None = typer.Option(None, "--workers", "-j", min=1, help="Sandboxes scoring in parallel (threads here; Ray scorer actors with --ray-address). Default: half the CPUs this process may use (of the cluster, on Ray), as EvalPlus; never more than there are samples."),
        ray_address: str | None = typer.Option(None, "--ray-address", envvar="RAY_ADDRESS", help="Score on this Ray cluster with scorer actors (default: in this process)."),
        out: Path | None = typer.Option(None, "--out", "-o", help="Write per-sample results (JSONL)."),
        model_id: str | None = typer.Option(None, "--model-id", help="Model id for warehouse rows (default: the samples file stem)."),
        data_dir: Path | None = typer.Option(None, "--data-dir", help="Benchmark data directory."),
        cache_dir: Path | None = typer.Option(None, "--cache-dir", help="Cache of reference outputs (default: ~/.cache/codeharvest/expected)."),
        fast_fail: bool = typer.Option(False, "--fast-fail", help="Stop running a sample at its first failing test (EvalPlus's default fast_check): same pass/fail verdicts, but passed counts become lower bounds. Off by default (exact counts)."),
    ) -> None:
        run_score(ctx.obj, benchmark=benchmark, samples_path=samples, sandbox_kind=sandbox,
                  workers=workers, out=out, model_id=model_id, data_dir=data_dir,
                  cache_dir=cache_dir, fast_fail=fast_fail, ray_address=ray_address)


def run_score(state: Any, *, benchmark: str, samples_path: Path, sandbox_kind: str = "auto",
              workers: int | None = None, out: Path | None = None, model_id: str | None = None,
              data_dir: Path | None = None, cache_dir: Path | None = None,
              fast_fail: bool = False, ray_address: str | None = None) -> dict[str, Any]:
    from benchmarks import load_tasks
    from scorer import ScorerError

    if sandbox_kind not in SANDBOX_KINDS:
        raise ScorerError(f"--sandbox must be one of {', '.join(SANDBOX_KINDS)}, not {sandbox_kind!r}")
    if out is not None:     # before any work: a warehouse must not hold results of a failed run
        from warehouse._exports import check_output_path

        check_output_path(out)
    model = model_id or samples_path.stem
    run_id = f"score-{datetime.now(timezone.utc):%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:8]}"
    cache = cache_dir or default_cache_dir()
    warehouse_uri = state.warehouse if state is not None and getattr(state, "warehouse_given", False) else None
    started = datetime.now(timezone.utc)
    t0 = time.monotonic()
    records = list(_read_samples(samples_path))
    most = max(1, len(records))      # never more sandboxes than samples
    # The sandboxes start (about a second) while the tests are read and the samples checked;
    # nothing is written before all input is valid, and a bad input closes them again.
    # (Ray is started in this thread, after the checks.)
    on_ray = _on_ray(ray_address)
    opening = None if on_ray else _start_pool(sandbox_kind, min(workers or default_workers(), most),
                                              run_id, cache, fast_fail=fast_fail)
    try:
        tasks = {t.task_id: t for t in load_tasks(benchmark, data_dir=data_dir)}
        unknown = sorted({r.task_id for r in records} - set(tasks), key=str)
        if unknown:
            raise ScorerError(f"{samples_path}: task_id {unknown[0]!r} is not in benchmark {benchmark!r}"
                              + (f" (and {len(unknown) - 1} more)" if len(unknown) > 1 else ""))
        counters: Counter[str] = Counter()
        for r in records:
            r.sample_index = counters[r.task_id]
            counters[r.task_id] += 1
            r.extraction = _extract(tasks[r.task_id], r)
    except BaseException:
        if opening is not None:
            opening.add_done_callback(_close_started_pool)
        raise
    pool = opening.result() if opening is not None else _RayPool(
        sandbox_kind, workers, most, run_id, cache, fast_fail=fast_fail, address=ray_address)
    workers = pool.workers
    try:
        describe, limits = pool.describe()
        wh = _open_warehouse(warehouse_uri) if warehouse_uri else None
        todo = records
        if wh is not None:
            _assign_keys(records, tasks, model, describe, limits)
            done = _scored_ids(wh)
            todo = [r for r in records if r.score_id not in done]
            if len(todo) < len(records):
                log.info("resuming: %d of %d samples already scored", len(records) - len(todo), len(records))
            _write_tasks(wh, [tasks[tid] for tid in {r.task_id for r in todo}])
            _write_generations(wh, todo, tasks, model, run_id)
        results: dict[int, Any] = {}
        if wh is not None and len(todo) < len(records):
            results.update(_previous_results(wh, [r for r in records if r.score_id in done]))
        pending: list[tuple[Sample, Any]] = []
        copies = _identical_programs(todo)
        for first, result in pool.score([group[0] for group in copies.values()], tasks):
            for sample in copies[_program_key(first)]:
                r = result if sample is first else replace(result)
                results[sample.line] = r
                pending.append((sample, r))
            if wh is not None and len(pending) >= 200:
                _write_scores(wh, pending, tasks, model, run_id)
                pending = []
        if wh is not None:
            _write_scores(wh, pending, tasks, model, run_id)
            _write_run(wh, run_id, benchmark, samples_path, model, sandbox_kind, workers,
                       started, len(todo), len(records) - len(todo))
            wh.close()
    finally:
        pool.close()
    elapsed = time.monotonic() - t0
    rows = [_result_row(r, results[r.line]) for r in records if r.line in results]
    if out is not None:
        _write_jsonl_atomic(out, rows)
    summary = _summary(benchmark, rows, skipped=len(records) - len(todo), elapsed=elapsed,
                       identical=len(todo) - len(copies))
    typer.echo(summary["text"])
    return summary


# -- samples ---------------------------------------------------------------------------------


def _read_samples(path: Path) -> Iterator[Sample]:
    from benchmarks import BenchmarkError, iter_jsonl
    from scorer import ScorerError

    if not path.is_file():
        raise ScorerError(f"samples file not found: {path}")
    try:
        for n, rec in iter_jsonl(path):
            if "task_id" not in rec:
                raise ScorerError(f"{path} line {n}: a sample needs a task_id")
            for name in ("solution", "completion"):
                if isinstance(rec.get(name), str):
                    yield Sample(n, str(rec["task_id"]), rec[name], name)
                    break
            else:
                raise ScorerError(f"{path} line {n}: a sample needs a string 'solution' or 'completion'")
    except BenchmarkError as exc:      # unreadable, not UTF-8, malformed JSON: one line
        raise ScorerError(str(exc)) from None


def _compiles(code: str) -> bool:
    try:
        compile(code, "<sample>", "exec", dont_inherit=True)
        return True
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False


def _extract(task: Any, sample: Sample) -> Any:
    """EvalPlus semantics first (verbatim program / prompt + completion); else extraction."""
    python_program = task.kind in ("function", "stdio") and task.language == "python"
    if python_program:
        code = sample.raw if sample.field_name == "solution" else task.prompt + sample.raw
        if _compiles(code):
            return _Extraction("ok", code)
    try:
        from benchmarks import extract_answer
    except ImportError:  # extraction not available: keep the text as it is
        return _Extraction("ok", sample.raw if sample.field_name == "solution" else task.prompt + sample.raw)
    style = "completion" if sample.field_name == "completion" else "chat"
    return extract_answer(task, sample.raw, style=style, prompt=task.prompt if style == "completion" else "")


# -- scoring pools ---------------------------------------------------------------------------


def _program_key(s: Sample) -> tuple:
    e = s.extraction
    return (s.task_id, getattr(e, "status", "ok"), getattr(e, "code", None),
            getattr(e, "label", None), getattr(e, "detail", ""))


def _identical_programs(samples: list[Sample]) -> dict[tuple, list[Sample]]:
    """Samples of one task with the same extracted program (or label) share one run: a
    deterministic program gets the same verdict every time (temperature-0 sampling repeats
    programs often). In first-seen order."""
    groups: dict[tuple, list[Sample]] = {}
    for s in samples:
        groups.setdefault(_program_key(s), []).append(s)
    return groups


class _ThreadPool:
    """Scores in this process: one sandbox per worker, driven from threads (no Ray)."""

    def __init__(self, kind: str, workers: int, run_id: str, cache: Path, fast_fail: bool = False) -> None:
        from scorer import ThreadedScorer
        from scorer.sandbox import open_sandbox

        self.workers = workers
        self.pool = ThreadedScorer(lambda: open_sandbox(kind, run_id=run_id).start(), workers,
                                   cache_dir=cache, fast_fail=fast_fail)

    def describe(self) -> tuple[str, str]:
        return self.pool.sandbox_name, self.pool.limits_json

    def score(self, samples: list[Sample], tasks: dict[str, Any]) -> Iterator[tuple[Sample, Any]]:
        return self.pool.score(samples, lambda s: tasks[s.task_id],
                               lambda scorer, s: scorer.score(tasks[s.task_id], s.extraction))

    def close(self) -> None:
        self.pool.close()


class _RayPool:
    """A pool of ScorerActors; samples of one task go to one actor (its reference runs once).
    ``workers`` None: half the cluster's CPUs (not this machine's), at most ``most``."""

    def __init__(self, kind: str, workers: int | None, most: int, run_id: str, cache: Path,
                 fast_fail: bool = False, address: str | None = None) -> None:
        os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")
        os.environ.setdefault("RAY_AUTH_MODE", "disabled")
        os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
        import ray

        from scorer import ScorerActor

        self.ray = ray
        self._own_ray = not ray.is_initialized()
        if self._own_ray:
            if address:
                ray.init(address=address, log_to_driver=False, configure_logging=False)
            else:
                ray.init(num_cpus=max(workers or 1, os.cpu_count() or 1), include_dashboard=False,
                         log_to_driver=False, configure_logging=False)
        if workers is None:
            workers = max(1, int(ray.cluster_resources().get("CPU", 2)) // 2)
        self.workers = min(workers, most)
        extra = {"fast_fail": True} if fast_fail else {}
        self.actors = [ScorerActor.remote(kind, run_id=run_id, cache_dir=str(cache), **extra)
                       for _ in range(self.workers)]

    def describe(self) -> tuple[str, str]:
        """Also the first contact: an actor that could not open its sandbox fails here, and
        says why in one line (not a Ray traceback)."""
        from scorer import ScorerError

        a = self.actors[0]
        try:
            return self.ray.get(a.describe.remote()), self.ray.get(a.limits.remote())
        except self.ray.exceptions.RayError as exc:
            raise ScorerError(f"scorer actor did not start: {_last_line(exc)}") from None

    def score(self, samples: list[Sample], tasks: dict[str, Any]) -> Iterator[tuple[Sample, Any]]:
        # Units of work: the samples of one task together (its reference runs once, in the
        # actor that gets the unit; a task with many samples is cut into units of 8, which
        # share the reference through the on-disk cache). Units go to whichever actor is
        # free (at most two in flight per actor), so one slow task does not hold back the
        # tasks queued behind it on a fixed shard.
        by_task: dict[str, list[Sample]] = defaultdict(list)
        for s in samples:
            by_task[s.task_id].append(s)
        units = [group[j:j + 8] for group in by_task.values() for j in range(0, len(group), 8)]
        in_flight: dict[Any, tuple[int, list[Sample]]] = {}
        cursor = 0

        def submit(i: int) -> None:
            nonlocal cursor
            if cursor < len(units):
                batch = units[cursor]
                cursor += 1
                ref = self.actors[i].score_batch.remote([(tasks[s.task_id], s.extraction) for s in batch])
                in_flight[ref] = (i, batch)

        for i in range(len(self.actors)):
            submit(i)
        for i in range(len(self.actors)):
            submit(i)
        while in_flight:
            ready, _ = self.ray.wait(list(in_flight), num_returns=1)
            i, batch = in_flight.pop(ready[0])
            for s, r in zip(batch, self.ray.get(ready[0])):
                yield s, r
            submit(i)

    def close(self) -> None:
        for a in self.actors:
            try:
                self.ray.get(a.close.remote())
            except Exception:  # an actor that died has nothing left to close
                pass
            self.ray.kill(a)
        if self._own_ray:
            self.ray.shutdown()


def _last_line(exc: BaseException) -> str:
    """The last line of a Ray error's text: the remote exception itself, without its traceback."""
    text = re.sub(r"\x1b\[[0-9;]*m", "", str(getattr(exc, "error_msg", "") or exc))
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1][:300] if lines else type(exc).__name__


def _on_ray(ray_address: str | None) -> bool:
    """Ray scorer actors when a cluster is named (``--ray-address`` / ``RAY_ADDRESS``) or Ray is
    already running in this process; otherwise threads here (Ray costs seconds to start)."""
    import sys

    return bool(ray_address) or ("ray" in sys.modules and sys.modules["ray"].is_initialized())


def _start_pool(kind: str, workers: int, run_id: str, cache: Path, fast_fail: bool = False) -> Future:
    """A ``_ThreadPool`` opened in a background thread (its future)."""
    opener = ThreadPoolExecutor(max_workers=1, thread_name_prefix="open-pool")
    future = opener.submit(_ThreadPool, kind, workers, run_id, cache, fast_fail=fast_fail)
    opener.shutdown(wait=False)
    return future


def _close_started_pool(future: Future) -> None:
    """Done-callback: close a pool that was opened for a run that then failed its checks."""
    if not future.cancelled() and future.exception() is None:
        future.result().close()


# -- warehouse -------------------------------------------------------------------------------


def _open_warehouse(uri: str) -> Any:
    from warehouse import Warehouse

    return Warehouse.open(uri)


def _assign_keys(records: list[Sample], tasks: dict[str, Any], model: str, describe: str, limits: str) -> None:
    from scorer import test_suite_hash
    from warehouse import content_key, task_key

    suite = {tid: test_suite_hash(t) for tid, t in tasks.items() if tid in {r.task_id for r in records}}
    for r in records:
        t = tasks[r.task_id]
        tk = task_key(t.benchmark, t.version, t.task_id)
        r.generation_id = content_key("generation", tk, model, "replay", model,
                                      {"replay_sha": content_key(r.field_name, r.raw)},
                                      "replay@1", r.sample_index)
        r.score_id = content_key("score", r.generation_id, _scorer_id(), suite[r.task_id], describe, limits)


def _scorer_id() -> str:
    from scorer import SCORER_ID

    return SCORER_ID


def _scored_ids(wh: Any) -> set[str]:
    try:
        return {row["score_id"] for row in wh.sql("SELECT score_id FROM scores WHERE status = 'scored'").to_pylist()}
    except Exception:  # an empty warehouse may have no scores view yet
        return set()


def _previous_results(wh: Any, samples: list[Sample]) -> dict[int, Any]:
    """ScoreResults already in the warehouse, so ``--out`` and the summary cover every sample."""
    from scorer import ScoreResult

    names = list(ScoreResult().as_row())   # the warehouse's columns (exec_s is not one)
    ids = ", ".join("'" + s.score_id + "'" for s in samples)  # 32-hex keys: safe to inline
    rows = {r["score_id"]: r for r in wh.sql(
        f"SELECT score_id, {', '.join(names)} FROM scores WHERE score_id IN ({ids})").to_pylist()}
    return {s.line: ScoreResult(**{n: rows[s.score_id][n] for n in names})
            for s in samples if s.score_id in rows}


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _write_tasks(wh: Any, tasks: list[Any]) -> None:
    from warehouse import task_key

    if not tasks:
        return
    wh.append("tasks", [{
        "task_key": task_key(t.benchmark, t.version, t.task_id), "benchmark": t.benchmark,
        "benchmark_version": t.version, "task_id": t.task_id, "kind": t.kind, "language": t.language,
        "dimension": t.dimension, "difficulty": t.difficulty, "prompt": t.prompt, "reference": t.reference,
        "visible_tests": len(t.visible_tests), "hidden_tests": len(t.hidden_tests),
        "metadata": json.dumps(t.metadata, default=str, sort_keys=True),
    } for t in tasks])


def _write_generations(wh: Any, samples: list[Sample], tasks: dict[str, Any], model: str, run_id: str) -> None:
    from warehouse import task_key

    if not samples:
        return
    now = _now()
    wh.append("generations", [{
        "generation_id": s.generation_id, "run_id": run_id,
        "task_key": task_key(tasks[s.task_id].benchmark, tasks[s.task_id].version, s.task_id),
        "benchmark": tasks[s.task_id].benchmark, "benchmark_version": tasks[s.task_id].version,
        "task_id": s.task_id, "model_id": model, "backend": "replay", "backend_model": model,
        "sample_index": s.sample_index, "prompt_template": "replay@1", "sampling": "{}",
        "prompt_text": tasks[s.task_id].prompt, "raw_output": s.raw,
        "extracted_code": getattr(s.extraction, "code", None),
        "extraction_status": getattr(s.extraction, "status", None),
        "finish_reason": None, "truncated": False, "status": "ok", "attempts": 1, "created_at": now,
    } for s in samples])


def _write_scores(wh: Any, pending: list[tuple[Sample, Any]], tasks: dict[str, Any], model: str, run_id: str) -> None:
    from warehouse import task_key

    if not pending:
        return
    now = _now()
    rows = []
    for s, r in pending:
        t = tasks[s.task_id]
        rows.append({**r.as_row(), "score_id": s.score_id, "generation_id": s.generation_id,
                     "run_id": run_id, "task_key": task_key(t.benchmark, t.version, t.task_id),
                     "benchmark": t.benchmark, "task_id": s.task_id, "model_id": model,
                     "sample_index": s.sample_index, "created_at": now})
    wh.append("scores", rows)


def _write_run(wh: Any, run_id: str, benchmark: str, samples: Path, model: str, sandbox: str,
               workers: int, started: datetime, scored: int, skipped: int) -> None:
    spec = {"command": "score", "benchmark": benchmark, "samples": str(samples), "model_id": model,
            "sandbox": sandbox, "workers": workers}
    try:
        from importlib.metadata import version

        code_version = version("codeharvest")
    except Exception:
        code_version = None
    wh.append("runs", [{"run_id": run_id, "job_spec": json.dumps(spec, sort_keys=True),
                        "code_version": code_version, "started_at": started, "finished_at": _now(),
                        "status": "finished", "counts": json.dumps({"scored": scored, "skipped": skipped}),
                        "spend_usd": 0.0}])


# -- output ----------------------------------------------------------------------------------


def _result_row(s: Sample, r: Any) -> dict[str, Any]:
    row = {"task_id": s.task_id, "sample_index": s.sample_index, "status": r.status,
           "pass_visible": r.pass_visible, "pass_hidden": r.pass_hidden,
           "visible_passed": r.visible_passed, "visible_total": r.visible_total,
           "hidden_passed": r.hidden_passed, "hidden_total": r.hidden_total, "score": r.score,
           "error_type": r.error_type, "duration_s": round(r.duration_s or 0.0, 4)}
    # null where unknown: a sample that never ran, or a result resumed from the warehouse
    # (which does not store exec_s)
    row["exec_s"] = round(r.exec_s, 4) if r.exec_s is not None else None
    if r.codebleu is not None:
        row["codebleu"] = r.codebleu
    if r.predicted_label is not None or r.true_label is not None:
        row.update(predicted_label=r.predicted_label, true_label=r.true_label)
    return row


def _write_jsonl_atomic(path: Path, rows: list[dict[str, Any]]) -> None:
    """Temp file beside ``path``, then rename (mode as any new file, not mkstemp's 0600); an
    OSError is one line, and no temp file is left behind."""
    from scorer import ScorerError
    from warehouse._exports import readable_mode

    tmp: str | None = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            for row in rows:
                f.write(json.dumps(row) + "\n")
        readable_mode(tmp)
        os.replace(tmp, path)
    except OSError as exc:
        raise ScorerError(f"cannot write {path}: {exc.strerror or exc}") from None
    finally:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)


def _pass_at_1(rows: list[dict[str, Any]], key: str) -> float | None:
    per_task: dict[str, list[bool]] = defaultdict(list)
    for r in rows:
        if r["status"] == "scored" and r[key] is not None:
            per_task[r["task_id"]].append(bool(r[key]))
    if not per_task:
        return None
    return sum(sum(v) / len(v) for v in per_task.values()) / len(per_task)


def _summary(benchmark: str, rows: list[dict[str, Any]], *, skipped: int, elapsed: float,
             identical: int = 0) -> dict[str, Any]:
    statuses = Counter(r["status"] for r in rows)
    base, plus = _pass_at_1(rows, "pass_visible"), _pass_at_1(rows, "pass_hidden")
    scores = [r["score"] for r in rows if r["status"] == "scored" and r["score"] is not None]
    mean_score = sum(scores) / len(scores) if scores else None
    lines = [f"{benchmark}: {len(rows) - skipped} samples scored in {elapsed:.1f}s"
             + (f", {skipped} already scored in the warehouse" if skipped else "")
             + (f", {identical} identical to another sample of their task (run once)" if identical else "")
             + (f", {statuses['sandbox_error']} sandbox errors (excluded)" if statuses["sandbox_error"] else "")
             + (f", {statuses['scorer_error']} scorer errors (excluded)" if statuses["scorer_error"] else "")]
    if benchmark in EVALPLUS_BENCHMARKS:
        if base is not None:
            lines += [f"{benchmark} (base tests)", f"pass@1:\t{base:.3f}"]
        if plus is not None:
            lines += [f"{benchmark} (base + extra tests)", f"pass@1:\t{plus:.3f}"]
    else:
        if base is not None:
            lines += [f"visible tests pass@1:\t{base:.3f}"]
        if plus is not None:
            lines += [f"hidden tests pass@1:\t{plus:.3f}"]
        if mean_score is not None:
            lines += [f"mean score:\t{mean_score:.3f}"]
    return {"text": "\n".join(lines), "base_pass_at_1": base, "plus_pass_at_1": plus,
            "mean_score": mean_score, "n": len(rows), "statuses": dict(statuses), "skipped": skipped,
            "identical": identical,
            "elapsed_s": elapsed}
