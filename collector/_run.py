"""The collection driver: plan, fail fast, generate through model actors with bounded
in-flight requests and a budget, stream generations to scorer actors, write in batches.

Durability: a model actor fsyncs each completion to the journal before returning it; the
driver appends generations to the warehouse in small batches; a rerun first flushes what a
crash left in the journal, then skips every generation the warehouse already holds, so
nothing that was paid for is requested twice.
"""
from __future__ import annotations

import asyncio
import datetime as _dt
import hashlib
import json
import logging
import os
import subprocess
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from benchmarks import Task

from ._actors import ModelWorker, Secret, model_actor_cls, now_utc
from ._cost import Budget, max_cost_usd
from ._journal import DONE_STATUSES, default_journal_dir, prune_journal, read_journal, superseded
from ._plan import WorkItem, expand, load_benchmark, task_row
from ._score_queue import ScoreQueue
from ._spec import JobSpec, ModelSpec
from .backends import get_backend
from .errors import JobError

log = logging.getLogger(__name__)



@dataclass
class CollectOptions:
    warehouse: str
    base_dir: Path = field(default_factory=Path.cwd)
    ray_address: str | None = None
    dry_run: bool = False
    progress: bool = True
    journal_dir: Path | None = None
    tasks: dict[str, list[Task]] | None = None          # preloaded tasks (perf, tests)
    scorer_factory: Callable[[], Any] | None = None      # -> actor handle with score_batch
    local_actors: bool = False                           # ModelWorker in-process (no Ray)
    console: Any = None


@dataclass
class ModelStats:
    total: int = 0
    skipped: int = 0            # already in the warehouse
    done: int = 0
    in_flight: int = 0
    ok: int = 0
    failed: int = 0             # api_error / circuit_open / budget_exhausted
    cost_usd: float = 0.0
    input_tokens: int = 0
    output_tokens: int = 0
    scored: int = 0
    passed: int = 0
    circuit_open: bool = False


@dataclass
class RunSummary:
    run_id: str
    status: str
    models: dict[str, ModelStats]
    spend_usd: float = 0.0
    budget_exhausted: bool = False
    replayed: int = 0
    estimate: list[dict[str, Any]] | None = None     # dry run

    @property
    def counts(self) -> dict[str, Any]:
        return {m: {k: v for k, v in vars(s).items()} for m, s in self.models.items()}


# ------------------------------------------------------------------------ helpers

def code_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        v = version("codeharvest")
    except PackageNotFoundError:
        v = "unknown"
    try:
        sha = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                             cwd=Path(__file__).parent, timeout=5).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        sha = ""
    return f"{v}+{sha}" if sha else v


def _ts(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return _dt.datetime.fromisoformat(value)
        except ValueError:
            return None
    return value


def preflight(job: JobSpec, base_dir: Path, items: list[WorkItem]) -> None:
    """Everything that can be known wrong before the first paid call, in one error."""
    problems: list[str] = []
    used = {it.model.id for it in items}
    paid = []
    for m in job.models:
        cls = get_backend(m.backend)
        problems += cls.preflight(m, base_dir)
        if cls.paid and m.id in used:
            paid.append(m.id)
    if paid and job.budget_usd is None:
        problems.append(f"budget_usd is not set and models {', '.join(paid)} cost money")
    if job.scoring.enabled:
        try:
            from scorer.sandbox import check_backends

            # auto uses Docker when it works: only probe (and warn about) local otherwise.
            first = ["docker"] if job.scoring.sandbox == "auto" else [job.scoring.sandbox]
            wanted = check_backends(job.scoring.image, first)
            if job.scoring.sandbox == "auto" and not wanted[0].ok:
                wanted += check_backends(job.scoring.image, ["local"])
            if not any(c.ok for c in wanted):
                reasons = "; ".join(f"{c.name}: {c.reason}" for c in wanted) or "no sandbox backend"
                problems.append(f"no usable sandbox ({job.scoring.sandbox}): {reasons}")
        except ImportError as exc:
            problems.append(f"scoring is enabled but the sandbox is unavailable: {exc}")
    if problems:
        raise JobError("cannot start: " + "; ".join(problems))


def estimate(job: JobSpec, items: list[WorkItem], done: set[str]) -> list[dict[str, Any]]:
    """Dry run: requests and a cost range per model (input at list price; output 0..max_tokens)."""
    rows = []
    for m in job.models:
        mine = [it for it in items if it.model.id == m.id and it.request.generation_id not in done]
        tin = sum(it.request.est_input_tokens for it in mine)
        tout = sum(int(it.request.sampling["max_tokens"]) for it in mine)
        low = max_cost_usd(m, tin, 0)
        high = max_cost_usd(m, tin, tout)
        rows.append({"model": m.id, "backend": m.backend, "requests": len(mine),
                     "already_done": sum(1 for it in items if it.model.id == m.id) - len(mine),
                     "input_tokens": tin, "max_output_tokens": tout, "min_cost_usd": low,
                     "max_cost_usd": high})
    return rows


def _existing(wh: Any) -> tuple[dict[str, str], set[str]]:
    """generation_id -> status, and the generation ids that already have a score."""
    gens: dict[str, str] = {}
    scored: set[str] = set()
    try:
        t = wh.sql("SELECT generation_id, status FROM generations")
        gens = dict(zip(t.column("generation_id").to_pylist(), t.column("status").to_pylist()))
    except Exception as exc:  # noqa: BLE001 - a new warehouse has no generations yet
        log.debug("no generations yet: %s", exc)
    try:
        t = wh.sql("SELECT DISTINCT generation_id FROM scores WHERE status = 'scored'")
        scored = set(t.column("generation_id").to_pylist())
    except Exception as exc:  # noqa: BLE001
        log.debug("no scores yet: %s", exc)
    return gens, scored


def check_prompts_unchanged(wh: Any, items: list[WorkItem], gens: dict[str, str]) -> None:
    """Refuse to reuse a done generation the warehouse holds from another prompt than the job
    renders now under the same key: a template edited without a new version, or a task text
    changed without a new benchmark version, would otherwise label old outputs with the new
    prompt (compared as MD5s, computed in DuckDB, of the stored prompt texts)."""
    reused = {it.request.generation_id: it for it in items if gens.get(it.request.generation_id) in DONE_STATUSES}
    if not reused:
        return
    try:
        t = wh.sql("SELECT generation_id, md5(prompt_text) AS h FROM generations WHERE prompt_text IS NOT NULL")
    except Exception as exc:  # noqa: BLE001 - no generations yet
        log.debug("no stored prompts: %s", exc)
        return
    stored = dict(zip(t.column("generation_id").to_pylist(), t.column("h").to_pylist()))
    changed = [it for gid, it in reused.items() if gid in stored
               and stored[gid] != hashlib.md5(it.request.prompt_text.encode("utf-8")).hexdigest()]
    if changed:
        r = changed[0].request          # the first in the job's order
        more = f" (and {len(changed) - 1} more)" if len(changed) > 1 else ""
        raise JobError(
            f"the warehouse holds {changed[0].model.id}'s generation for {r.task.benchmark} "
            f"{r.task.task_id} (sample {r.sample_index}, template {r.row['prompt_template']}){more} "
            f"from a different prompt than this job renders: a template changed without a new "
            f"version (give it one, or drop its version line to version it by content), or the "
            f"benchmark's text changed without a new version")


# ------------------------------------------------------------------------ the driver

class Collector:
    def __init__(self, job: JobSpec, opts: CollectOptions):
        self.job = job
        self.opts = opts
        self.run_id = uuid.uuid4().hex[:16]
        self.stats: dict[str, ModelStats] = {m.id: ModelStats() for m in job.models}
        self.budget = Budget(job.budget_usd)
        self._gen_buf: list[dict[str, Any]] = []
        self._score_buf: list[dict[str, Any]] = []
        # flushes run in worker threads while the event loop appends: a row appended to a
        # buffer a flush had just taken (and written) would be lost
        self._buf_lock = threading.Lock()
        self._last_flush = time.monotonic()
        self._settled: asyncio.Event | None = None
        self._score_q: ScoreQueue | None = None
        self._item_by_gid: dict[str, WorkItem] = {}
        self.replayed = 0
        self._closed_journals: set[Path] = set()
        self.wh: Any = None
        self.progress: Any = None

    # ------------------------------------------------------------------ entry
    def run(self) -> RunSummary:
        job, opts = self.job, self.opts
        tasks = opts.tasks or {b.name: load_benchmark(b, opts.base_dir) for b in job.benchmarks}
        for name, ts in tasks.items():
            if not ts:
                raise JobError(f"benchmark {name}: no tasks selected")
        items = expand(job, tasks, opts.base_dir, self.run_id)
        self._item_by_gid = {it.request.generation_id: it for it in items}
        if opts.dry_run:
            done: set[str] = set()
            wh = self._open_warehouse(create=False)
            if wh is not None:
                try:
                    gens, _ = _existing(wh)
                    check_prompts_unchanged(wh, items, gens)
                finally:
                    wh.close()
                done = {g for g, s in gens.items() if s in DONE_STATUSES}
            return RunSummary(self.run_id, "dry_run", self.stats, estimate=estimate(job, items, done))
        preflight(job, opts.base_dir, items)
        reject_ray_client(opts.ray_address)
        for m in job.models:
            wanted = get_backend(m.backend).in_flight(m)
            if wanted > job.runtime.max_in_flight and m.backend == "vllm":
                log.warning("model %s: runtime.max_in_flight=%d holds its batches below batch_size x "
                            "replicas = %d (GPU time is billed per batch)", m.id,
                            job.runtime.max_in_flight, wanted)
        self._check_gpus(items)
        journal_dir = Path(opts.journal_dir or job.runtime.journal_dir or default_journal_dir(opts.warehouse))
        _check_writable_dir(journal_dir, "journal folder")
        if opts.ray_address or os.environ.get("RAY_ADDRESS"):
            ensure_ray(opts.ray_address)      # a cluster asked for: reached before anything is written
        self.wh = self._open_warehouse(create=True)
        self.journal_dir = journal_dir
        # paid work a crash left in the journal goes to the warehouse first (it is data either way)
        self.replayed = self._replay_journal(journal_dir)
        gens, scored = _existing(self.wh)
        try:
            check_prompts_unchanged(self.wh, items, gens)
        except JobError:
            self.wh.close()
            raise
        todo: list[WorkItem] = []
        rescore: list[WorkItem] = []
        for it in items:
            st = self.stats[it.model.id]
            st.total += 1
            status = gens.get(it.request.generation_id)
            if status in DONE_STATUSES:
                st.skipped += 1
                if job.scoring.enabled and it.request.generation_id not in scored:
                    rescore.append(it)
            else:
                todo.append(it)
        log.info("run %s: %d work items, %d already in the warehouse, %d to generate, %d to score",
                 self.run_id, len(items), len(items) - len(todo), len(todo), len(rescore))
        needs_ray = (todo and not opts.local_actors) or (
            job.scoring.enabled and (todo or rescore) and opts.scorer_factory is None)
        if needs_ray:
            ensure_ray(opts.ray_address)      # before any run/task row: a bad address writes nothing
        started = now_utc()
        self._write_run("running", started)
        try:
            self._write_tasks(tasks)
            asyncio.run(self._main(todo, rescore))
        except BaseException:
            self._flush(force=True, safe=True)
            self._write_run("interrupted", started)
            raise
        status = "finished"
        self._flush(force=True)
        self._write_run(status, started)
        prune_journal(journal_dir, _existing(self.wh)[0], closed=self._closed_journals)
        self.wh.close()
        return RunSummary(self.run_id, status, self.stats, spend_usd=self.budget.spent,
                          budget_exhausted=self.budget.exhausted, replayed=self.replayed)

    def _check_gpus(self, items: list[WorkItem]) -> None:
        """A local Ray cannot grow: a vLLM replica without GPUs would wait forever."""
        vllm = {it.model.id: it.model for it in items if it.model.backend == "vllm"}
        if not vllm or self.opts.ray_address or os.environ.get("RAY_ADDRESS"):
            return
        ensure_ray(None)
        import ray

        gpus = ray.cluster_resources().get("GPU", 0)
        for m in vllm.values():
            if gpus < m.tensor_parallel_size:
                raise JobError(f"model {m.id!r} needs {m.tensor_parallel_size} GPU(s) per replica; this "
                               f"machine's Ray has {gpus:g} (use --ray-address for a GPU cluster)")

    def _open_warehouse(self, *, create: bool) -> Any:
        from warehouse import Warehouse, WarehouseError

        try:
            return Warehouse.open(self.opts.warehouse, create=create)
        except WarehouseError:
            if create:
                raise
            return None

    # ------------------------------------------------------------------ warehouse writes
    def _write_run(self, status: str, started: _dt.datetime) -> None:
        counts = {m: {"total": s.total, "skipped": s.skipped, "ok": s.ok, "failed": s.failed,
                      "scored": s.scored, "passed": s.passed, "cost_usd": round(s.cost_usd, 8),
                      "circuit_open": s.circuit_open} for m, s in self.stats.items()}
        counts["_run"] = {"replayed": self.replayed, "budget_exhausted": self.budget.exhausted}
        self.wh.append("runs", [{
            "run_id": self.run_id, "job_spec": json.dumps(self.job.redacted(), sort_keys=True),
            "code_version": code_version(), "started_at": started,
            "finished_at": None if status == "running" else now_utc(), "status": status,
            "counts": json.dumps(counts, sort_keys=True), "spend_usd": self.budget.spent}])

    def _write_tasks(self, tasks: dict[str, list[Task]]) -> None:
        try:
            have = self.wh.existing_keys("tasks")
        except Exception:  # noqa: BLE001
            have = set()
        rows = [task_row(t) for ts in tasks.values() for t in ts]
        rows = [r for r in rows if r["task_key"] not in have]
        for i in range(0, len(rows), 2000):
            self.wh.append("tasks", rows[i:i + 2000])

    def _replay_journal(self, journal_dir: Path) -> int:
        """Flush what a crashed run left in the journal; returns rows written. A journaled
        success replaces a failed row of the same generation (a rerun's retry was paid)."""
        records = [rec for _, rec in read_journal(journal_dir)]
        if not records:
            return 0
        status = _existing(self.wh)[0]
        rows: dict[str, dict[str, Any]] = {}
        for rec in records:
            gid = rec.get("generation_id")
            if not gid or superseded(rec, status):
                continue
            if gid in rows and rows[gid].get("status") in DONE_STATUSES:
                continue            # (a success wins over another record's failure)
            rows[gid] = self._finish_row(rec)
        if rows:
            self.wh.append("generations", list(rows.values()))
            log.info("journal: recovered %d paid generations from an interrupted run", len(rows))
        prune_journal(journal_dir, {**status, **{g: r.get("status") or "" for g, r in rows.items()}})
        return len(rows)

    def _finish_row(self, row: dict[str, Any]) -> dict[str, Any]:
        """Add the extracted answer and typed timestamps to a journal/actor row."""
        return self._finish(row)[0]

    def _finish(self, row: dict[str, Any]) -> tuple[dict[str, Any], Any]:
        row = dict(row)
        ext = None
        row["created_at"] = _ts(row.get("created_at"))
        row["extracted_code"] = None
        row["extraction_status"] = None
        it = self._item_by_gid.get(row.get("generation_id", ""))
        if row.get("status") == "ok" and it is not None:
            try:
                ext = self._extract(it, row.get("raw_output") or "")
            except Exception as exc:  # noqa: BLE001 - an extractor bug is infra, not a model failure
                log.error("extracting %s failed: %s: %s", row.get("generation_id"), type(exc).__name__, exc)
                row["extraction_status"] = "extractor_error"
                return row, None
            row["extracted_code"] = ext.code if ext.code is not None else ext.label
            row["extraction_status"] = ext.status
        return row, ext

    def _extract(self, it: WorkItem, raw: str) -> Any:
        from benchmarks import extract_answer

        return extract_answer(it.request.task, raw, style=it.style, prompt=it.request.prompt_text)

    def _flush(self, *, force: bool = False, safe: bool = False) -> None:
        rt = self.job.runtime
        due = force or time.monotonic() - self._last_flush >= rt.flush_interval_s
        try:
            for table, name in (("generations", "_gen_buf"), ("scores", "_score_buf")):
                if getattr(self, name) and (due or len(getattr(self, name)) >= rt.flush_rows):
                    with self._buf_lock:
                        rows = getattr(self, name)
                        setattr(self, name, [])
                    try:
                        self.wh.append(table, rows)
                    except Exception:
                        with self._buf_lock:    # back in line for the next flush
                            getattr(self, name)[:0] = rows
                        raise
        except Exception:
            if not safe:
                raise
            log.exception("could not flush buffered rows (they stay in the journal)")
        if due:
            self._last_flush = time.monotonic()

    # ------------------------------------------------------------------ async main
    async def _main(self, todo: list[WorkItem], rescore: list[WorkItem]) -> None:
        self._settled = asyncio.Event()
        self._score_q = ScoreQueue()
        actors = self._start_model_actors({it.model.id for it in todo})
        # wait until every model actor is up (its backend built): fail before dispatching
        await asyncio.gather(*[a.stats.remote() for a in actors.values() if not isinstance(a, ModelWorker)])
        scorers: list[Any] = []
        score_tasks: list[asyncio.Task] = []
        if self.job.scoring.enabled and (todo or rescore):
            scorers = self._start_scorers()
            score_tasks = [asyncio.ensure_future(self._score_loop(s, i)) for i, s in enumerate(scorers)]
            outputs = await asyncio.to_thread(self._raw_outputs, [it.request.generation_id for it in rescore])
            for it in rescore:
                gid = it.request.generation_id
                if gid in outputs:
                    row, ext = self._finish({"generation_id": gid, "status": "ok", "raw_output": outputs[gid]})
                    if ext is not None:
                        self._score_q.put((it, row, ext))
        with self._progress_display(todo, rescore):
            flusher = asyncio.ensure_future(self._flush_loop())
            try:
                await self._dispatch(todo, actors)
                self._score_q.close()
                if score_tasks:
                    await asyncio.gather(*score_tasks)
                    left = len(self._score_q)
                    if left:
                        log.error("%d generation(s) were not scored: every scorer failed; a "
                                  "rerun scores them", left)
            finally:
                flusher.cancel()
                for name, a in actors.items():
                    try:
                        if isinstance(a, ModelWorker):
                            info = a.stats()
                            await a.close()
                        else:
                            info = await a.stats.remote()
                            await a.close.remote()
                        if info.get("journal"):
                            self._closed_journals.add(Path(info["journal"]))
                    except Exception:  # noqa: BLE001
                        log.debug("closing actor %s failed", name)
                await self._close_scorers(scorers)

    async def _close_scorers(self, scorers: list[Any]) -> None:
        """Close each scorer's sandbox (its container and temp folder): a Ray shutdown right
        after the run would kill the actors without running any finaliser."""
        for s in scorers:
            try:
                if hasattr(s, "close") and hasattr(s.close, "remote"):
                    await s.close.remote()
                    import ray
                    ray.kill(s, no_restart=True)
                elif callable(getattr(s, "close", None)):
                    await asyncio.to_thread(s.close)
            except Exception:  # noqa: BLE001 - a dead actor's container: `sandbox cleanup`
                log.debug("closing a scorer failed", exc_info=True)

    def _raw_outputs(self, gids: list[str], chunk: int = 2000) -> dict[str, Any]:
        """generation_id -> raw_output of the given generations, a few queries for all of
        them (one per item re-listed and re-scanned the table each time: hours at 50k)."""
        out: dict[str, Any] = {}
        for i in range(0, len(gids), chunk):
            ids = [g for g in gids[i:i + chunk] if g.isalnum()]    # content hashes: hex
            if not ids:
                continue
            in_list = ", ".join(f"'{g}'" for g in ids)
            try:
                t = self.wh.sql(f"SELECT generation_id, raw_output FROM generations "
                                f"WHERE generation_id IN ({in_list})")
            except Exception:  # noqa: BLE001 - no generations table yet: nothing to rescore
                return out
            out.update(zip(t.column("generation_id").to_pylist(), t.column("raw_output").to_pylist()))
        return out

    async def _flush_loop(self) -> None:
        while True:
            await asyncio.sleep(self.job.runtime.flush_interval_s)
            try:
                await asyncio.to_thread(self._flush)
            except Exception as exc:  # noqa: BLE001 - the rows stay buffered: next time
                log.warning("writing to the warehouse failed (%s); retrying at the next flush",
                            " ".join(str(exc).split())[:200])

    # ------------------------------------------------------------------ model actors
    def _start_model_actors(self, model_ids: set[str]) -> dict[str, Any]:
        actors: dict[str, Any] = {}
        models = [m for m in self.job.models if m.id in model_ids]
        if not models:
            return actors
        kwargs_for = {}
        for m in models:
            env = get_backend(m.backend).key_env(m)
            kwargs_for[m.id] = dict(base_dir=str(self.opts.base_dir), journal_dir=str(self.journal_dir),
                                    circuit_threshold=self.job.runtime.circuit_breaker.consecutive_failures,
                                    secret=Secret(os.environ.get(env)) if env else None)
        if self.opts.local_actors:
            return {m.id: ModelWorker(m.model_dump(mode="json"), **kwargs_for[m.id]) for m in models}
        ensure_ray(self.opts.ray_address)
        import ray
        from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

        here = ray.get_runtime_context().get_node_id()
        cls = model_actor_cls()
        for m in models:
            # I/O actors sit on the driver's node: they share its journal folder
            actors[m.id] = cls.options(
                num_cpus=0, max_concurrency=max(16, get_backend(m.backend).in_flight(m) * 4),
                scheduling_strategy=NodeAffinitySchedulingStrategy(node_id=here, soft=False),
            ).remote(m.model_dump(mode="json"), driver_pid=os.getpid(), **kwargs_for[m.id])
        return actors

    async def _dispatch(self, todo: list[WorkItem], actors: dict[str, Any]) -> None:
        sem = asyncio.Semaphore(self.job.runtime.max_in_flight)
        running: set[asyncio.Task] = set()
        assert self._settled is not None
        for it in todo:
            m = it.model
            st = self.stats[m.id]
            reserve, paid = 0.0, get_backend(m.backend).paid
            if paid:    # (0 for a model priced by GPU time: its cost is known only afterwards)
                reserve = max_cost_usd(m, int(it.request.est_input_tokens * 1.1) + 8,
                                       int(it.request.sampling["max_tokens"]))
                while not self.budget.try_reserve(reserve):
                    if self.budget.exhausted:
                        break
                    self._settled.clear()
                    await self._settled.wait()
            if paid and self.budget.exhausted:
                self._record_skip(it, "budget_exhausted",
                                  f"budget ${self.job.budget_usd} reached (spent ${self.budget.spent:.6f})")
                continue
            await sem.acquire()
            st.in_flight += 1
            task = asyncio.ensure_future(self._one(it, actors[m.id], reserve, sem))
            running.add(task)
            task.add_done_callback(running.discard)
        if running:
            await asyncio.gather(*running)
        if self.budget.exhausted:
            log.warning("budget of $%s reached: spent $%.6f; %s", self.job.budget_usd, self.budget.spent,
                        "remaining requests were not sent (status budget_exhausted)")

    def _record_skip(self, it: WorkItem, status: str, detail: str) -> None:
        row = dict(it.request.row)
        row.update(status=status, error_detail=detail, cost_usd=0.0, attempts=0,
                   created_at=now_utc(), truncated=False)
        st = self.stats[it.model.id]
        st.done += 1
        st.failed += 1
        with self._buf_lock:
            self._gen_buf.append(row)
        self._tick(it.model.id)

    async def _one(self, it: WorkItem, actor: Any, reserve: float, sem: asyncio.Semaphore) -> None:
        st = self.stats[it.model.id]
        try:
            try:
                if isinstance(actor, ModelWorker):
                    row = await actor.generate(it.request)
                else:
                    row = await actor.generate.remote(it.request)
            except Exception as exc:  # noqa: BLE001 - a dead actor is an infra failure
                row = self._from_journal(it.request.generation_id)
                if row is None:
                    row = dict(it.request.row)
                    row.update(status="api_error", error_detail=f"model actor failed: {type(exc).__name__}",
                               cost_usd=0.0, attempts=0, created_at=now_utc().isoformat(), truncated=False)
        finally:
            sem.release()
            st.in_flight -= 1
        cost = float(row.get("cost_usd") or 0.0)
        self.budget.settle(reserve, cost)
        assert self._settled is not None
        self._settled.set()
        st.done += 1
        st.cost_usd += cost
        st.input_tokens += int(row.get("input_tokens") or 0)
        st.output_tokens += int(row.get("output_tokens") or 0)
        if row.get("status") == "ok":
            st.ok += 1
        else:
            st.failed += 1
            if row.get("status") == "circuit_open":
                st.circuit_open = True
        row, ext = self._finish(row)
        with self._buf_lock:
            self._gen_buf.append(row)
        if len(self._gen_buf) >= self.job.runtime.flush_rows:
            await asyncio.to_thread(self._flush)
        if ext is not None and self.job.scoring.enabled and self._score_q is not None:
            self._score_q.put((it, row, ext))
        self._tick(it.model.id)

    def _from_journal(self, gid: str) -> dict[str, Any] | None:
        """The journaled row of ``gid`` (a success before any failure), if any."""
        found = None
        for _, rec in read_journal(self.journal_dir):
            if rec.get("generation_id") == gid:
                if rec.get("status") in DONE_STATUSES:
                    return rec
                found = found or rec
        return found

    # ------------------------------------------------------------------ scoring
    def _start_scorers(self) -> list[Any]:
        if self.opts.scorer_factory is not None:
            return [self.opts.scorer_factory() for _ in range(self.job.scoring.workers)]
        ensure_ray(self.opts.ray_address)
        import ray
        from scorer import ScorerActor

        sc = self.job.scoring
        workers = sc.workers
        if not (self.opts.ray_address or os.environ.get("RAY_ADDRESS")) and not sc.resources:
            # a local Ray cannot grow: more 1-CPU scorers than CPUs would wait forever
            cpus = int(ray.cluster_resources().get("CPU", 1))
            if workers > cpus:
                log.warning("scoring.workers=%d but this machine has %d CPUs for Ray: using %d",
                            workers, cpus, cpus)
                workers = max(1, cpus)
        extra = {"resources": dict(sc.resources)} if sc.resources else {}
        return [ScorerActor.options(max_restarts=3, max_task_retries=3, **extra).remote(
            sc.sandbox, image=sc.image, run_id=self.run_id, timeout_floor_s=sc.timeout_floor_s,
            timeout_factor=sc.timeout_factor, fast_fail=sc.fast_fail) for _ in range(workers)]

    async def _score_loop(self, scorer: Any, index: int) -> None:
        q = self._score_q
        assert q is not None
        while (batch := await q.take(self.job.scoring.batch_size)) is not None:
            payload = [(it.request.task, ext) for it, _, ext in batch]
            results = None
            for attempt in range(3):
                try:
                    if hasattr(scorer.score_batch, "remote"):
                        results = await scorer.score_batch.remote(payload)
                    else:           # an in-process ScorerWorker (tests, --no-ray runs)
                        results = await asyncio.to_thread(scorer.score_batch, payload)
                    break
                except Exception as exc:  # noqa: BLE001 - node lost / actor died: retry
                    log.warning("scorer %d failed (%s); retrying the batch", index, type(exc).__name__)
                    await asyncio.sleep(0.5 * (attempt + 1))
            if results is None:     # never score an infra failure as 0: another scorer will
                q.give_back(batch)
                log.error("scorer %d is gone; its batch goes to the others", index)
                return
            try:
                for (it, row, _), res in zip(batch, results):
                    score_row = self._score_row(it, row, res)
                    with self._buf_lock:
                        self._score_buf.append(score_row)
                    st = self.stats[it.model.id]
                    if getattr(res, "status", None) == "scored":
                        st.scored += 1
                        if getattr(res, "pass_hidden", None) or (getattr(res, "score", 0) or 0) >= 1.0:
                            st.passed += 1
            finally:
                q.done()
            self._tick(None)
            if len(self._score_buf) >= self.job.runtime.flush_rows:
                await asyncio.to_thread(self._flush)

    def _score_row(self, it: WorkItem, gen: dict[str, Any], res: Any) -> dict[str, Any]:
        from warehouse import TABLES, content_key

        cols = set(TABLES["scores"].names)
        row = {k: v for k, v in res.as_row().items() if k in cols}
        gid = it.request.generation_id
        row.update(
            score_id=content_key(gid, row.get("scorer"), getattr(res, "test_suite_hash", ""),
                                 row.get("sandbox"), row.get("limits")),
            generation_id=gid, run_id=self.run_id, task_key=gen.get("task_key") or it.request.row["task_key"],
            benchmark=it.request.task.benchmark, task_id=it.request.task.task_id, model_id=it.model.id,
            sample_index=it.request.sample_index, created_at=now_utc())
        return row

    # ------------------------------------------------------------------ progress
    def _progress_display(self, todo: list[WorkItem], rescore: list[WorkItem]):
        from ._progress import ProgressDisplay

        self.progress = ProgressDisplay(self, enabled=self.opts.progress, console=self.opts.console)
        return self.progress

    def _tick(self, model_id: str | None) -> None:
        if self.progress is not None:
            self.progress.update()


def reject_ray_client(address: str | None) -> None:
    """Ray Client (``ray://``) would keep this driver off the cluster, but the model actors
    watch the driver's pid and share its journal folder: both must be on one host."""
    address = address or os.environ.get("RAY_ADDRESS") or None
    if address is not None and address.strip().lower().startswith("ray://"):
        raise JobError(f"Ray Client addresses ({address}) are not supported: run the driver on the "
                       f"cluster, e.g. `ray job submit --working-dir . -- codeharvest collect job.yaml`")


def ensure_ray(address: str | None) -> None:
    """Connect to ``address`` / RAY_ADDRESS, or start a local Ray bound to 127.0.0.1."""
    import ray

    if ray.is_initialized():
        return
    address = address or os.environ.get("RAY_ADDRESS") or None
    reject_ray_client(address)
    if address is None:
        os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")
        os.environ.setdefault("RAY_AUTH_MODE", "disabled")
        os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    else:
        _probe_gcs(address)
    try:
        ray.init(address=address, include_dashboard=False, log_to_driver=False, configure_logging=False,
                 runtime_env=None)
    except (ConnectionError, RuntimeError, ValueError) as exc:
        where = f"the Ray cluster at {address}" if address else "a local Ray"
        raise JobError(f"cannot start or reach {where}: {' '.join(str(exc).split())[:300]}") from None


def _check_writable_dir(path: Path, what: str) -> None:
    """Paid completions are journaled there before they are acknowledged: an unusable folder
    is refused before the first request, not found by the first model actor."""
    import tempfile

    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path, prefix=".probe."):
            pass
    except OSError as exc:
        raise JobError(f"{what} {path} is not a writable folder ({exc.strerror or exc})") from None


def _probe_gcs(address: str) -> None:
    """A ``host:port`` nobody answers on is refused in seconds: ``ray.init`` waits about 35 s
    for it, then hangs."""
    import socket

    host, sep, port = address.strip().rpartition(":")
    if not sep or not port.isdigit() or not host or "/" in host:
        return                        # "auto", a URL: left to Ray
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=5.0).close()
    except OSError as exc:
        raise JobError(f"cannot reach the Ray cluster at {address}: {exc.strerror or exc}") from None


def collect(job: JobSpec, opts: CollectOptions) -> RunSummary:
    """Run a job (or estimate it with ``opts.dry_run``); the library face of `codeharvest collect`."""
    return Collector(job, opts).run()
