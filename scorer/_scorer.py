"""Scorer: one Task plus one Extraction in, one ScoreResult out.

Execution tasks run in the sandbox one recorded outcome per test (so the visible/hidden split
and the fraction passed are exact); outputs are judged here, on the trusted side, the way the
benchmark's own evaluator judges them (``_compare``). Translation/refinement get CodeBLEU,
classification gets label agreement. Infrastructure failures become ``sandbox_error`` /
``scorer_error`` results, never a model failure.
"""
from __future__ import annotations

import ast

import json
import logging
import marshal
import math
import socket
import time
import traceback
from dataclasses import dataclass, replace
from typing import Any, Iterable

from benchmarks import Task, TestCase

from ._codebleu import codebleu_pair, normalize_label
from ._compare import (EvalPlusGroup, apps_call_equal, apps_stdio_equal, evalplus_expected_of,
                       from_sandbox, has_special_oracle, is_floats, safe_eq, tokens_equal)
from ._digest import (BATCH_FN, DIGEST_FN, HELPERS, LARGE_STR_CHARS, LARGE_VALUE_BYTES, REF_FN,
                      STR_DIGEST_FN, VALUE_DIGEST_FN, estimated_size, host_value_digest,
                      str_digest)
from ._expected import Expected, ExpectedStore, reference_key
from ._literal import Opaque
from ._plan import (PlannedTest, args_source, call_target, case_key, plan_tests,
                    test_suite_hash)
from ._result import ScoreResult
from .sandbox import JobResult, Limits, SandboxJob, SandboxTest, TestResult

log = logging.getLogger(__name__)

# Sandbox statuses that are model failures, mapped to error_type.
_STATUS_KIND = {
    "failed": "assertion_failed", "runtime_error": "runtime_error", "syntax_error": "syntax_error",
    "timeout": "timeout", "memory_limit": "memory_limit", "output_limit": "output_limit",
    "killed": "runtime_error", "not_run": "not_run",
}
# fast-fail: batch sizes grow from this (each batch is judged as it streams back, so a program
# failing its first inputs stops after a few, however slow its later inputs)
_FAST_FAIL_FIRST_BATCH = 4
_NOT_RUN = "not run: fast-fail after a failing test"
_REFERENCE_TIMEOUT_S = 10.0


@dataclass
class _Outcome:
    passed: bool
    kind: str | None = None     # error_type when not passed
    detail: Any = ""            # text, or a function making it (only the first failure's is shown)

    def detail_text(self) -> str:
        return self.detail() if callable(self.detail) else self.detail


def _got(value: Any) -> Any:
    return lambda: f"got {_short(value)}"


class _SandboxFailure(Exception):
    """The sandbox (not the program) failed: the whole result is a sandbox_error."""


class Scorer:
    """Scores generations against a task's tests, using one sandbox.

    ``timeout_floor_s``/``timeout_factor``: per-input limit ``max(floor, factor * t_ref)`` for
    tests whose expected output comes from running the reference (EvalPlus: 1.0 and 4.0).
    ``default_timeout_s``: per-test limit for tests with known expected outputs (assertions,
    stdin/stdout). ``cache_dir``: where reference outputs are cached (memory only if None).
    ``expected``: a store shared with other Scorers (threads of one process), so a task's
    reference runs once. Not thread-safe unless the sandbox is; use one Scorer per thread.
    """

    def __init__(self, sandbox: Any, *, timeout_floor_s: float = 1.0, timeout_factor: float = 4.0,
                 cache_dir: Any = None, default_timeout_s: float = 6.0, memory_mb: int = 4096,
                 chunk_size: int = 500, max_timeouts: int = 3, batch_size: int = 64,
                 fast_fail: bool = False, expected: ExpectedStore | None = None) -> None:
        self.sandbox = sandbox
        self.timeout_floor_s = timeout_floor_s
        self.timeout_factor = timeout_factor
        self.default_timeout_s = default_timeout_s
        self.base_limits = Limits(timeout_s=default_timeout_s, memory_mb=memory_mb)
        self.chunk_size = chunk_size
        self.max_timeouts = max_timeouts
        self.batch_size = batch_size
        # fast_fail: as EvalPlus's default ``fast_check``, stop running a candidate at its
        # first failing test; verdicts (pass/fail) are exact, passed counts are then lower
        # bounds (tests not run count as failed). Off by default: exact counts.
        self.fast_fail = fast_fail
        self.expected = expected if expected is not None else ExpectedStore(cache_dir)
        self.host = socket.gethostname()
        try:
            self.sandbox_name = sandbox.describe()
        except Exception:  # a sandbox that cannot describe itself still scores
            self.sandbox_name = type(sandbox).__name__
        self.limits_json = json.dumps({
            **self.base_limits.as_dict(), "timeout_floor_s": timeout_floor_s,
            "timeout_factor": timeout_factor, "default_timeout_s": default_timeout_s,
            **({"fast_fail": True} if fast_fail else {}),
        }, sort_keys=True)

    # -- public ----------------------------------------------------------------------------

    def score(self, task: Task, extraction: Any, *, truncated: bool = False) -> ScoreResult:
        """Score one extraction. Never raises for a bad program or a broken sandbox."""
        t0 = time.monotonic()
        try:
            result = self._score(task, extraction, truncated)
        except _SandboxFailure as exc:
            result = ScoreResult(status="sandbox_error", error_type="sandbox_error",
                                 stderr_tail=_tail(str(exc)))
        except Exception as exc:  # a scorer bug must be visible as such, never a 0
            log.exception("scorer error on %s/%s", task.benchmark, task.task_id)
            result = ScoreResult(status="scorer_error", error_type="scorer_error",
                                 stderr_tail=_tail(f"{type(exc).__name__}: {exc}\n"
                                                   + traceback.format_exc(limit=3)))
        result.duration_s = time.monotonic() - t0
        result.limits = self.limits_json
        result.host = self.host
        result.sandbox = self.sandbox_name
        try:
            result.test_suite_hash = test_suite_hash(task)
        except Exception:
            result.test_suite_hash = ""
        return result

    # -- dispatch --------------------------------------------------------------------------

    def _score(self, task: Task, extraction: Any, truncated: bool) -> ScoreResult:
        if task.kind in ("translation", "refinement"):
            return self._score_codebleu(task, extraction, truncated)
        if task.kind == "classification":
            return self._score_label(task, extraction, truncated)
        return self._score_execution(task, extraction, truncated)

    def _score_codebleu(self, task: Task, extraction: Any, truncated: bool) -> ScoreResult:
        code = getattr(extraction, "code", None)
        if getattr(extraction, "status", "ok") != "ok" or not code or not code.strip():
            return ScoreResult(score=0.0, codebleu=0.0, ngram_match=0.0, weighted_ngram_match=0.0,
                               syntax_match=0.0, dataflow_match=0.0,
                               error_type="truncated" if truncated else "no_code_extracted")
        lang = task.metadata.get("target_language") or task.language
        cb = codebleu_pair(task.reference, code, lang)
        return ScoreResult(score=cb.codebleu, codebleu=cb.codebleu, ngram_match=cb.ngram_match,
                           weighted_ngram_match=cb.weighted_ngram_match,
                           syntax_match=cb.syntax_match, dataflow_match=cb.dataflow_match)

    def _score_label(self, task: Task, extraction: Any, truncated: bool) -> ScoreResult:
        truth = normalize_label(task.reference)
        status = getattr(extraction, "status", "ok")
        label = normalize_label(getattr(extraction, "label", None))
        if status != "ok" or label not in ("yes", "no"):
            kind = "truncated" if truncated else "undecided_label"
            return ScoreResult(score=0.0, predicted_label=label, true_label=truth, error_type=kind,
                               pass_hidden=False)
        ok = label == truth
        return ScoreResult(score=1.0 if ok else 0.0, predicted_label=label, true_label=truth,
                           pass_hidden=ok, error_type=None if ok else "wrong_output")

    # -- execution -------------------------------------------------------------------------

    def _score_execution(self, task: Task, extraction: Any, truncated: bool) -> ScoreResult:
        n_vis, n_hid = len(task.visible_tests), len(task.hidden_tests)
        code = getattr(extraction, "code", None)
        if getattr(extraction, "status", "ok") != "ok" or not code or not code.strip():
            return _all_failed(n_vis, n_hid, "truncated" if truncated else "no_code_extracted",
                               getattr(extraction, "detail", "") or "")
        syntax = _syntax_error(code)
        if syntax:
            return _all_failed(n_vis, n_hid, "truncated" if truncated else "syntax_error", syntax)
        plans = plan_tests(task, code)
        expected = self._reference_outputs(task, plans)
        task, plans = _drop_unreferenced(task, plans, expected)
        watch = None
        if _is_the_reference(task, code, plans):
            raw = _reference_run_as_candidate(task, plans, expected)
        else:
            raw, watch = self._run_candidate(task, code, plans, expected)
        groups = _group_keys(task)
        by_key = _plans_by_key(task, plans)
        judged = watch.finish(raw) if watch is not None else None
        if judged is not None:  # fast-fail: what it judged while the tests ran stays judged
            vis, hid = judged
        else:
            vis = self._judge_sequence(task, groups[0], by_key, raw, expected)
            hid = (self._judge_sequence(task, groups[1], by_key, raw, expected)
                   + self._judge_sequence(task, groups[2], by_key, raw, expected))
        result = _summarise(vis, hid, truncated)
        result.exec_s = sum(r.duration_s or 0.0 for r in raw.values())
        return result

    def _judge_sequence(self, task: Task, keys: Iterable[str], by_key: dict[str, PlannedTest],
                        raw: dict[str, TestResult], expected: dict[str, Expected]) -> list[_Outcome]:
        """One group of tests (``_group_keys``) in order, with EvalPlus's atol state."""
        group = EvalPlusGroup("mbpp" if "mbpp" in task.benchmark else "humaneval",
                              task.entry_point or "", float(task.atol or 0.0))
        return [self._judge(task, by_key[k], raw[k], expected, group) for k in keys]

    def _judge(self, task: Task, plan: PlannedTest, res: TestResult, expected: dict[str, Expected],
               group: EvalPlusGroup) -> _Outcome:
        if res.status != "passed":
            kind = _STATUS_KIND.get(res.status, "runtime_error")
            if plan.mode in ("call", "stdio") and res.status == "failed":
                kind = "runtime_error"  # an AssertionError raised by the program itself
            return _Outcome(False, kind, res.error or res.stderr)
        wrong = "assertion_failed" if plan.case.kind == "assert" else "wrong_output"
        if plan.mode == "exec":
            return _Outcome(True)
        if plan.mode == "assert_host":
            value = from_sandbox(res.value)
            if not (isinstance(value, tuple) and len(value) == plan.rhs.operands):
                return _Outcome(False, wrong, "tampered: the assertion's values did not come back")
            # a value the codec cannot carry is truthy (it is not None) and equal to nothing:
            # `assert check_str("x")` on a re.Match passes as upstream, while an object whose
            # __eq__, __sub__ or __bool__ would say yes gains nothing a plain value could not
            ops = tuple(_Uncomparable(v) if _has_opaque(v) else v for v in value)
            try:
                ok = plan.rhs(ops)
            except Exception as exc:  # noqa: BLE001 - e.g. abs() of a str: the program's answer
                return _Outcome(False, "runtime_error", f"{type(exc).__name__}: {_short(exc)}")
            return _Outcome(ok, None if ok else wrong, "" if ok else _got(value[0] if len(value) == 1 else value))
        if plan.mode in ("assert_eq", "assert_eq_pair"):
            value = from_sandbox(res.value)
            if _has_opaque(value):
                # a type the codec does not carry (a class of the program's, a Decimal): its
                # own __eq__ would decide, and an object equal to everything passes every
                # assertion (the "always equal" hack), so it is not a pass
                return _Outcome(False, wrong,
                                lambda: f"returned a value the harness cannot compare: {_short(value)}")
            if plan.mode == "assert_eq":
                ok = safe_eq(value, plan.rhs)
                return _Outcome(ok, None if ok else wrong, "" if ok else _got(res.value))
            ok = isinstance(value, (tuple, list)) and len(value) == 2 and safe_eq(value[0], value[1])
            return _Outcome(ok, None if ok else wrong)
        if plan.mode == "call":
            out = from_sandbox(res.value)
            if not plan.case.expected_known:
                exp = expected[_args_key(plan.case)]
                if exp.digest is not None:  # large output: compared by canonical digest
                    ok = out == exp.digest
                    return _Outcome(ok, None if ok else wrong, "" if ok else "large output differs")
                cd = _compare_digest(task, exp, expected)
                if cd is not None and type(out) is str:  # large output: compared by digest (exact)
                    ok = out == cd[1]
                    return _Outcome(ok, None if ok else wrong, "" if ok else "large output differs")
                ok = group.check(plan.case.args, out, exp.value)
            else:
                ok = apps_call_equal(out, plan.case.expected,
                                     bool(task.metadata.get("list_wrapped_outputs")))
            return _Outcome(ok, None if ok else wrong, "" if ok else _got(out))
        # stdio
        compare = task.metadata.get("compare") or ("tokens" if task.benchmark.startswith("runbugrun")
                                                   else "apps")
        if compare == "tokens":
            ok = tokens_equal(res.stdout, plan.case.expected,
                              tol=float(task.metadata.get("tolerance", 1e-4)))
        else:
            ok = apps_stdio_equal(res.stdout, plan.case.expected)
        return _Outcome(ok, None if ok else wrong, "" if ok else (lambda: f"stdout: {_short(res.stdout)}"))

    # -- running ---------------------------------------------------------------------------

    def _reference_outputs(self, task: Task, plans: list[PlannedTest]) -> dict[str, Expected]:
        """Outputs of the reference solution for call tests with unknown expected values."""
        # HELPERS in the key: cached digests are only comparable with the same digest code.
        # Memoised on the (frozen) task: hashing 1,000 inputs per sample adds up.
        need, keys, cache_key = _memo(task, "_codeharvest_refkey", _target_of(plans),
                                      lambda: _reference_inputs(task, plans))
        if not need:
            return {}

        dataset = "mbpp" if "mbpp" in task.benchmark else "humaneval"
        by_digest = not has_special_oracle(dataset, task.entry_point or "")

        def compute() -> dict[str, Expected]:
            target, wrap = call_target(task, task.reference), 2 if by_digest else 0
            ref_plans = [PlannedTest(p.key, p.case, "call", wrap=wrap, target=target) for p in need]
            timeouts = {p.key: _REFERENCE_TIMEOUT_S for p in ref_plans}
            before, after = split_setup(task.setup_code)
            setup, reference = HELPERS + before, task.reference + after
            raw = self._run_tests(task, reference, ref_plans, timeouts, stop_after=None, setup=setup)
            # once more for a child killed from outside (e.g. the OOM killer of a loaded host);
            # timeouts at 10 s (10x the slowest usual input) and errors of the reference are deterministic
            retry = [p for p in ref_plans if raw[p.key].status == "killed"]
            if retry:
                raw.update(self._run_tests(task, reference, retry, timeouts, stop_after=None,
                                           setup=setup))
            out: dict[str, Expected] = {}
            for p, k in zip(ref_plans, keys):
                r = raw[p.key]
                value, digest = from_sandbox(r.value), None
                if by_digest and r.status == "passed":
                    if not (isinstance(value, tuple) and len(value) == 2):
                        raise RuntimeError(f"reference of {task.task_id} returned no (digest, value) pair")
                    digest, value = value
                value = evalplus_expected_of(dataset, task.entry_point or "", value)
                out[k] = Expected(value, float(r.duration_s or 0.0), r.status == "passed",
                                  "" if r.status == "passed" else f"{r.status}: {r.error}", digest)
            return out

        found = self.expected.get(cache_key, compute)
        if not any(e.ok for e in found.values()):
            raise RuntimeError(f"reference solution of {task.task_id} failed on every input: "
                               f"{next(iter(found.values())).detail[:200]}")
        return found

    def _run_candidate(self, task: Task, code: str, plans: list[PlannedTest], expected: dict[str, Expected]
                       ) -> tuple[dict[str, TestResult], "_FailureWatch | None"]:
        """The candidate's results; with fast-fail, also the watch that judged them."""
        digest_plans, timeouts, run_by_key = _memo(task, "_codeharvest_runs", (_target_of(plans), expected,
                                       self.timeout_floor_s, self.timeout_factor),
                                       lambda: self._candidate_plans(task, plans, expected))
        before, after = split_setup(task.setup_code)
        setup = (HELPERS if expected else "") + before
        if not self.fast_fail:
            raw = self._run_tests(task, code + after, digest_plans, timeouts,
                                  stop_after=self.max_timeouts, setup=setup)
            return self._by_value_where_no_digest(task, code + after, digest_plans, raw, timeouts,
                                                  setup), None
        # fast-fail: results are judged as they stream back; the job stops at a first failure
        watch = _FailureWatch(self, task, run_by_key, expected)
        raw = self._run_tests(task, code + after, digest_plans, timeouts, stop_after=1,
                              setup=setup, watch=watch)
        if not watch.failed:
            raw = self._by_value_where_no_digest(task, code + after, digest_plans, raw, timeouts, setup)
        return raw, watch

    def _candidate_plans(self, task: Task, plans: list[PlannedTest], expected: dict[str, Expected]
                         ) -> tuple[list[PlannedTest], dict[str, float], dict[str, PlannedTest]]:
        """What a candidate runs (digest wraps where outputs are large), its per-input time
        limits and those plans by key: the same for every candidate of the task (memoised by
        the caller)."""
        timeouts: dict[str, float] = {}
        digest_plans = []
        for p in plans:
            if p.mode == "call" and not p.case.expected_known:
                exp = expected[_args_key(p.case)]
                timeouts[p.key] = max(self.timeout_floor_s, self.timeout_factor * exp.time_s)
                if exp.digest is not None:
                    p = replace(p, wrap=1)
                else:
                    cd = _compare_digest(task, exp, expected)
                    if cd is not None:
                        p = replace(p, wrap=cd[0])
            digest_plans.append(p)
        return digest_plans, timeouts, {p.key: p for p in digest_plans}

    def _by_value_where_no_digest(self, task: Task, program: str, plans: list[PlannedTest],
                                  raw: dict[str, TestResult], timeouts: dict[str, float],
                                  setup: str) -> dict[str, TestResult]:
        """Inputs compared by value digest whose output had none (a type outside the digest's
        exact domain, e.g. a numpy scalar): run again, carrying the value."""
        again = [replace(p, wrap=0) for p in plans
                 if p.wrap == 4 and raw[p.key].status == "passed" and raw[p.key].value is None]
        if again:
            raw.update(self._run_tests(task, program, again, timeouts, stop_after=None, setup=setup))
        return raw

    def _run_tests(self, task: Task, program: str, plans: list[PlannedTest],
                   timeouts: dict[str, float], stop_after: int | None = None,
                   setup: str | None = None, watch: "_FailureWatch | None" = None
                   ) -> dict[str, TestResult]:
        """Run planned tests in chunks; after ``stop_after`` timeouts the rest are not run.
        With ``watch`` (fast-fail), results stream back and nothing runs after a failure."""
        results: dict[str, TestResult] = {}
        calls = [p for p in plans if p.mode == "call" and p.batched]
        if calls and self.batch_size > 1:
            results.update(self._run_batched(task, program, calls, timeouts, stop_after, setup, watch))
            plans = [p for p in plans if not (p.mode == "call" and p.batched)]
            if not plans:
                return results
        # One child runs a chunk's tests in order (the program loads once; stdio tests get a
        # fresh __main__ each): what upstream harnesses do, and 100x cheaper than a process
        # per test. A test that kills or hangs the child does not affect the others.
        groups = [("shared", plans)]
        n_timeouts = 0
        for isolation, group in groups:
            for chunk in _chunks(group, self.chunk_size, progressive=stop_after is not None):
                if watch is not None and watch.failed:
                    results.update((p.key, TestResult(p.key, "not_run", error=_NOT_RUN)) for p in chunk)
                    continue
                if stop_after is not None and n_timeouts >= stop_after:
                    for p in chunk:
                        results[p.key] = TestResult(p.key, "timeout",
                                                    error="not run: too many timeouts before")
                    continue
                tests = tuple(self._sandbox_test(p, timeouts.get(p.key)) for p in chunk)
                job = SandboxJob(program=program, tests=tests, limits=self.base_limits,
                                 setup=(task.setup_code or "") if setup is None else setup,
                                 isolation=isolation)
                on_test = None
                if watch is not None:
                    def on_test(n: int, r: TestResult, chunk: list[PlannedTest] = chunk) -> bool:
                        return watch.feed({chunk[n].key: r})
                job_result = self._run_job(job, on_test)
                got = {t.id: t for t in job_result.tests}
                for p in chunk:
                    r = got.get(p.key)
                    if r is None:
                        raise _SandboxFailure(f"sandbox returned no result for test {p.key}")
                    if r.status == "cancelled":
                        r = TestResult(p.key, "not_run", error=_NOT_RUN)
                    results[p.key] = r
                    n_timeouts += r.status == "timeout"
        return results

    def _run_batched(self, task: Task, program: str, plans: list[PlannedTest],
                     timeouts: dict[str, float], stop_after: int | None,
                     setup: str | None, watch: "_FailureWatch | None" = None) -> dict[str, TestResult]:
        """Call tests, many per sandbox test (``BATCH_FN``); a batch that fails as a whole is
        re-run one test at a time, so a program cannot dodge its per-input limits. Inputs a
        batch defers (its values would not fit one report) go to a further job. With
        ``watch`` (fast-fail), batches grow from a few inputs and each is judged as it
        streams back: the job stops at a first failure."""
        results: dict[str, TestResult] = {}
        setup = HELPERS + (task.setup_code or "") if setup is None else setup
        if BATCH_FN not in setup:
            setup = HELPERS + setup
        n_timeouts = 0
        pending = plans
        while pending:
            if watch is not None and watch.failed:
                results.update((p.key, TestResult(p.key, "not_run", error=_NOT_RUN)) for p in pending)
                break
            deferred: list[PlannedTest] = []
            chunks = _batches(pending, self.batch_size,
                              _FAST_FAIL_FIRST_BATCH if watch is not None else self.batch_size)
            left = None if stop_after is None else max(stop_after - n_timeouts, 0)
            limits = [[timeouts.get(p.key, self.default_timeout_s) for p in chunk] for chunk in chunks]
            inputs = _marshalled_batches(chunks, limits)
            tests = []
            for n, chunk in enumerate(chunks):  # all batches in one job: the program loads once
                if inputs:          # (calls, limits, wraps) of batch n, as data
                    args = f"*{INPUTS}[{n}]"
                else:
                    args = (f"[{', '.join(args_source(p.case) for p in chunk)}], {limits[n]!r}, "
                            f"{[p.wrap for p in chunk]!r}")
                code = f"{BATCH_FN}({chunk[0].target}, {args}, {left!r})"
                tests.append(SandboxTest(f"batch{n}", "eval", code=code,
                                         timeout_s=min(sum(limits[n]), 60.0) + 5.0))
            job = SandboxJob(program=program, tests=tuple(tests), limits=self.base_limits,
                             setup=setup, isolation="shared", inputs=inputs)
            streamed: dict[int, tuple[dict[str, TestResult], list[PlannedTest]]] = {}
            on_test = None
            if watch is not None:
                def on_test(n: int, res: TestResult) -> bool:
                    if n == 0:          # (again, after a broken runner: this job afresh)
                        streamed.clear()
                    entries = _usable_batch(res, limits[n])
                    if entries is None:
                        return watch.failed     # settled after the job
                    streamed[n] = _batch_results(chunks[n], entries)
                    return watch.feed(streamed[n][0])
            got = {t.id: t for t in self._run_job(job, on_test).tests}
            load_failure = _failed_loading(list(got.values()))
            for n, chunk in enumerate(chunks):
                res = got.get(f"batch{n}")
                if (res is not None and res.status == "cancelled") or (
                        watch is not None and watch.failed and n not in streamed):
                    results.update((p.key, TestResult(p.key, "not_run", error=_NOT_RUN)) for p in chunk)
                    continue
                if n in streamed:
                    done, later = streamed[n]
                    results.update(done)
                    deferred += later
                    n_timeouts += sum(r.status == "timeout" for r in done.values())
                    continue
                if stop_after is not None and n_timeouts >= stop_after:
                    for p in chunk:
                        results[p.key] = TestResult(p.key, "timeout",
                                                    error="not run: too many timeouts before")
                    continue
                if res is not None and load_failure:
                    # the program itself did not load: every input fails the same way, and
                    # re-running them one at a time (below) would only load it again
                    for p in chunk:
                        results[p.key] = TestResult(p.key, res.status, error=res.error,
                                                    stdout=res.stdout, stderr=res.stderr)
                    continue
                # (values stay as the codec gave them: judging converts each once, from_sandbox)
                entries = _usable_batch(res, limits[n]) if res is not None else None
                if entries is None:
                    results.update(self._run_tests(task, program, [replace(p, batched=False) for p in chunk],
                                                   timeouts, stop_after=stop_after, setup=setup))
                    n_timeouts += sum(results[p.key].status == "timeout" for p in chunk)
                    continue
                done, later = _batch_results(chunk, entries)
                results.update(done)
                deferred += later
                n_timeouts += sum(r.status == "timeout" for r in done.values())
            if len(deferred) == len(pending):
                # no progress: a fresh job always runs its first input, unless the program
                # rewrote the batch helper's state; its failure, not the sandbox's
                results.update((p.key, TestResult(p.key, "failed", error="tampered: the program "
                                                  "stopped the test harness from running its inputs"))
                               for p in pending)
                break
            pending = deferred
        return results

    def _sandbox_test(self, plan: PlannedTest, timeout: float | None) -> SandboxTest:
        t = timeout if timeout is not None else self.default_timeout_s
        if plan.mode == "stdio":
            return SandboxTest(plan.key, "stdio", stdin=plan.case.stdin or "", timeout_s=t)
        if plan.mode == "exec":
            return SandboxTest(plan.key, "exec", code=plan.code, timeout_s=t)
        expr = plan.call_code() if plan.mode == "call" else plan.code
        code = {1: f"{DIGEST_FN}({expr})", 2: f"{REF_FN}({expr})",
                3: f"{STR_DIGEST_FN}({expr})", 4: f"{VALUE_DIGEST_FN}({expr})"}.get(plan.wrap, expr)
        return SandboxTest(plan.key, "eval", code=code, timeout_s=t)

    def _run_job(self, job: SandboxJob, on_test: Any = None) -> JobResult:
        last = ""
        for _attempt in range(2):  # one retry: a container may have been replaced meanwhile
            try:
                res = self.sandbox.run(job) if on_test is None else self.sandbox.run(job, on_test)
            except Exception as exc:  # the sandbox itself broke
                last = f"{type(exc).__name__}: {exc}"
                continue
            if res.status == "ok" and not any(t.status == "sandbox_error" for t in res.tests):
                return res
            last = res.error or next((t.error for t in res.tests if t.status == "sandbox_error"), "")
        raise _SandboxFailure(last or "sandbox error")


# -- helpers ---------------------------------------------------------------------------------


def _memo(task: Task, name: str, key: tuple | str, make: Any) -> Any:
    """``make()``, memoised on the (frozen) task under ``name`` and ``key``. Keys may hold the
    task's expected-outputs dict: it is compared by identity (the store hands out one per
    task), and the memo keeps it alive, so its id is never reused."""
    memo = task.__dict__.get(name)
    if memo is None:
        memo = {}
        object.__setattr__(task, name, memo)
    ident = tuple(id(k) if isinstance(k, dict) else k for k in key) if isinstance(key, tuple) else key
    hit = memo.get(ident)
    if hit is None:
        hit = memo[ident] = (key, make())
    return hit[1]


def _target_of(plans: list[PlannedTest]) -> str:
    """The call target the plans were made for (what distinguishes plan_tests' memo entries)."""
    return next((p.target for p in plans if p.mode == "call"), "")


def _reference_inputs(task: Task, plans: list[PlannedTest]) -> tuple[list[PlannedTest], list[str], str]:
    """(call tests needing the reference, their input keys, the reference cache key)."""
    need = [p for p in plans if p.mode == "call" and not p.case.expected_known]
    keys = [_args_key(p.case) for p in need]
    cache_key = reference_key(f"{task.benchmark}/{task.task_id}", task.reference,
                              task.setup_code + HELPERS, task.entry_point, keys) if need else ""
    return need, keys, cache_key


def _plans_by_key(task: Task, plans: list[PlannedTest]) -> dict[str, PlannedTest]:
    """Plans by key, memoised per call target (read-only: callers copy before changing)."""
    return _memo(task, "_codeharvest_by_key", _target_of(plans), lambda: {p.key: p for p in plans})


def _group_keys(task: Task) -> tuple[list[str], list[str], list[str]]:
    """The keys of the visible tests, and of the hidden tests as EvalPlus's two groups (base,
    then plus: the atol state starts afresh for plus, as in upstream's second
    ``untrusted_check``); tasks without ``n_base`` have one hidden group unless their hidden
    tests start with the visible ones."""
    def make() -> tuple[list[str], list[str], list[str]]:
        vis = [case_key(c) for c in task.visible_tests]
        hid = [case_key(c) for c in task.hidden_tests]
        n_base = task.metadata.get("n_base")
        if not isinstance(n_base, int):
            n_base = len(vis) if vis and hid[:len(vis)] == vis else 0
        return vis, hid[:n_base], hid[n_base:]

    return _memo(task, "_codeharvest_groups", "", make)


def _is_the_reference(task: Task, code: str, plans: list[PlannedTest]) -> bool:
    """The candidate is the reference program itself and every test is a call whose expected
    output came from running the reference: that run (same program, set-up, sandbox and memory
    limit; its time limit was above the candidate's ``max(floor, k * t_ref)``) already is the
    candidate's run. Assumes, as the expected outputs themselves do, a deterministic reference."""
    return (bool(plans) and code == task.reference
            and all(p.mode == "call" and not p.case.expected_known for p in plans))


def _reference_run_as_candidate(task: Task, plans: list[PlannedTest],
                                expected: dict[str, Expected]) -> dict[str, TestResult]:
    """The reference run's outputs in the form a candidate's run returns them (a digest where
    the candidate would return one), judged afterwards exactly like any candidate's."""
    raw = {}
    for p in plans:
        exp = expected[_args_key(p.case)]
        value = exp.value
        if exp.digest is not None:
            value = exp.digest
        else:
            cd = _compare_digest(task, exp, expected)
            if cd is not None:
                value = cd[1]
        raw[p.key] = TestResult(p.key, "passed", duration_s=exp.time_s, value=value)
    return raw


def _drop_unreferenced(task: Task, plans: list[PlannedTest],
                       expected: dict[str, Expected]) -> tuple[Task, list[PlannedTest]]:
    """Leave out inputs on which the reference itself produced no output within the limits.

    EvalPlus runs the reference in-process without limits; a few inputs have outputs too large
    to carry back from a sandbox (MBPP+ Mbpp/255: 1.66 million combinations, a 1 GB value).
    Such an input cannot tell a right program from a wrong one here, so it is not a test.
    """
    if all(e.ok for e in expected.values()):
        return task, plans
    return _memo(task, "_codeharvest_dropped", (_target_of(plans), expected),
                 lambda: _without_unreferenced(task, plans, expected))


def _without_unreferenced(task: Task, plans: list[PlannedTest],
                          expected: dict[str, Expected]) -> tuple[Task, list[PlannedTest]]:
    def keep(c: TestCase) -> bool:
        return c.kind != "call" or c.expected_known or expected[_args_key(c)].ok

    vis = tuple(c for c in task.visible_tests if keep(c))
    n_base = task.metadata.get("n_base")
    meta = dict(task.metadata)
    if isinstance(n_base, int):
        meta["n_base"] = sum(keep(c) for c in task.hidden_tests[:n_base])
    hid = tuple(c for c in task.hidden_tests if keep(c))
    log.warning("%s: %d input(s) left out: the reference gave no output within the limits",
                task.task_id, len(task.hidden_tests) - len(hid))
    plans = [p for p in plans if keep(p.case)]
    return replace(task, visible_tests=vis, hidden_tests=hid, metadata=meta), plans


def _compare_digest(task: Task, exp: Expected, expected: dict[str, Expected]) -> tuple[int, str] | None:
    """(wrap, expected digest) when a candidate's output on this input can be compared by a
    digest computed in the sandbox with the same verdict as EvalPlus's comparison, and the
    expected output is large (carrying the output would cost more than the program);
    else None. Memoised on ``exp`` (the Expected objects are cached per task).

    - a str: EvalPlus compares it exactly (no tolerance applies to a str): SHA-256 of the str;
    - a list/tuple of str/int/float/bool/None, no NaN, in a task whose comparison stays exact
      (atol 0 and no expected output of the task is all floats, so upstream never switches to
      ``allclose``): SHA-256 of the repr of the normal form, equal exactly when the values are
      ``==``. A candidate output outside that domain gets no digest and is run again by value.
    """
    memo = exp.__dict__.get("_codeharvest_cd", _UNSET)
    if memo is not _UNSET:
        return memo
    found = None
    dataset = "mbpp" if "mbpp" in task.benchmark else "humaneval"
    if exp.ok and exp.digest is None and not has_special_oracle(dataset, task.entry_point or ""):
        v = exp.value
        if type(v) is str:
            if len(v) >= LARGE_STR_CHARS:
                found = (3, str_digest(v))
        elif type(v) in (list, tuple) and estimated_size(v) >= LARGE_VALUE_BYTES:
            if (float(task.atol or 0.0) == 0.0 and not _has_nan(v)
                    and not any(is_floats(e.value) for e in expected.values())):
                d = host_value_digest(v)
                if d is not None:
                    found = (4, d)
    exp.__dict__["_codeharvest_cd"] = found
    return found


_UNSET = object()


def _has_nan(value: Any) -> bool:
    stack = [value]
    while stack:
        x = stack.pop()
        if type(x) is float and x != x:
            return True
        if type(x) in (list, tuple):
            stack.extend(x)
    return False


INPUTS = "__codeharvest_inputs__"


def _marshalled_batches(chunks: list[list[PlannedTest]], limits: list[list[float]]) -> bytes:
    """Per batch ``(call arguments, time limits, wraps)`` as one marshal blob
    (``SandboxJob.inputs``; the batch test's code is then just ``BATCH_FN(f, *inputs[n], k)``),
    or b"" when a value has no marshal form (then they travel as source). Version 2: no
    shared references, so no two inputs alias one object (as distinct literals would not)."""
    try:
        return marshal.dumps([([tuple(p.case.args or ()) for p in chunk], lim, [p.wrap for p in chunk])
                              for chunk, lim in zip(chunks, limits)], 2)
    except ValueError:
        return b""


def _failed_loading(results: list[TestResult]) -> bool:
    """The runner's verdict on a program that failed before its first test ran (a syntax or
    runtime error, a timeout or an output limit at import; see the runner's ``_load``): every
    test of the job carries the same failure, which says "while loading"."""
    first = results[0] if results else None
    return (first is not None and first.status != "passed" and "while loading" in (first.error or "")
            and all(r.status == first.status and r.error == first.error for r in results))


_BATCH_STATUSES = {"passed", "timeout", "memory_limit", "runtime_error", "skipped", "deferred"}


def _batch_entries(value: Any) -> list | None:
    """``BATCH_FN``'s ``[statuses, values, seconds]`` as (status, value, seconds) per input."""
    if (isinstance(value, list) and len(value) == 3 and all(isinstance(v, list) for v in value)
            and len(value[0]) == len(value[1]) == len(value[2])):
        return list(zip(*value))
    return None


def _usable_batch(res: TestResult, limits: list[float]) -> list | None:
    """A batch's (status, value, seconds) per input when they can be taken as they are; None
    when the batch must run again one input at a time, each under the runner's own limit:
    malformed, or with times the runner's clock contradicts. The per-input timer runs inside
    the program's process, which can stop it (``signal.setitimer`` replaced, SIGALRM ignored)
    and report any time; the batch's duration is measured by the runner, outside it. A time
    over its limit, or more time unaccounted for than the smallest limit of the batch, means
    some input may have overrun its limit unseen."""
    entries = _batch_entries(res.value) if res.status == "passed" else None
    if not _valid_batch(entries, len(limits)):
        return None
    claimed = 0.0
    for (status, _, took), limit in zip(entries, limits):
        if not 0.0 <= took <= limit * 1.1 + 0.05:   # (NaN too; a timer firing late is slack)
            return None
        claimed += took
    if limits and (res.duration_s or 0.0) - claimed > min(limits):
        return None
    return entries


def _batch_results(chunk: list[PlannedTest], entries: list
                   ) -> tuple[dict[str, TestResult], list[PlannedTest]]:
    """One valid batch's answers as results, and the inputs it deferred to a further job.
    (Values stay as the codec gave them: judging converts each once, ``from_sandbox``.)"""
    done: dict[str, TestResult] = {}
    deferred = []
    for p, (status, value, took) in zip(chunk, entries):
        if status == "deferred":
            deferred.append(p)
        elif status == "skipped":
            done[p.key] = TestResult(p.key, "timeout", error="not run: too many timeouts before")
        elif status == "passed":
            done[p.key] = TestResult(p.key, "passed", duration_s=float(took), value=value)
        else:
            done[p.key] = TestResult(p.key, status, duration_s=float(took),
                                     error=value if isinstance(value, str) else "")
    return done, deferred


def _batches(plans: list[PlannedTest], size: int, first: int) -> list[list[PlannedTest]]:
    """Batches of ``size``; or growing from ``first`` (doubling) up to ``size``."""
    out, start, n = [], 0, max(1, min(first, size))
    while start < len(plans):
        out.append(plans[start:start + n])
        start += n
        n = min(size, n * 2)
    return out


class _FailureWatch:
    """Fast-fail: judges results as they stream back, per group in order with the group's
    atol state, exactly as the final verdict judges them; ``failed`` once a test fails.
    A result that cannot be judged yet (a value to be fetched again, see
    ``_by_value_where_no_digest``) holds its group's judging there.
    ``finish`` then judges the rest of each group, from where it stopped, for the verdict;
    unless some test was fed twice (a job re-run after a broken runner): then the verdict
    is judged afresh from the final results."""

    def __init__(self, scorer: "Scorer", task: Task, by_key: dict[str, PlannedTest],
                 expected: dict[str, Expected]) -> None:
        self.scorer, self.task, self.by_key, self.expected = scorer, task, by_key, expected
        self.groups = _group_keys(task)     # visible, base, plus
        self.raw: dict[str, TestResult] = {}
        self.outcomes: list[list[_Outcome]] = [[] for _ in self.groups]
        self.fed_twice = False
        self.cursors = [0] * len(self.groups)
        dataset = "mbpp" if "mbpp" in self.task.benchmark else "humaneval"
        self.judges = [EvalPlusGroup(dataset, self.task.entry_point or "", float(self.task.atol or 0.0))
                       for _ in self.groups]
        self.failed = False

    def feed(self, results: dict[str, TestResult]) -> bool:
        """Take new results; True once some test has failed."""
        raw = self.raw
        if not self.fed_twice and not raw.keys().isdisjoint(results):
            self.fed_twice = True
        raw.update(results)
        if self.failed:
            return True
        for g in range(len(self.groups)):
            if self._advance(g, stop_early=True):
                self.failed = True
                return True
        return False

    def finish(self, raw: dict[str, TestResult]) -> tuple[list[_Outcome], list[_Outcome]] | None:
        """(visible, hidden) outcomes of every test, judging what is left of each group on
        the final results ``raw`` (the streamed ones, unchanged, and the rest); None when
        they must be judged afresh."""
        if self.fed_twice:
            return None
        self.raw = raw
        for g in range(len(self.groups)):
            self._advance(g, stop_early=False)
        return self.outcomes[0], self.outcomes[1] + self.outcomes[2]

    def _advance(self, g: int, *, stop_early: bool) -> bool:
        """Judge group ``g`` on from its cursor over the results there are; True at a
        failure when ``stop_early``."""
        keys, raw, out, judge = self.groups[g], self.raw, self.outcomes[g], self.scorer._judge
        i = self.cursors[g]
        try:
            while i < len(keys) and (not stop_early or keys[i] in raw):
                plan, res = self.by_key[keys[i]], raw[keys[i]]   # (at the end: every key ran)
                if stop_early and res.status == "passed" and _undecided(plan, res):
                    break
                o = judge(self.task, plan, res, self.expected, self.judges[g])
                out.append(o)
                i += 1
                if stop_early and not o.passed:
                    return True
            return False
        finally:
            self.cursors[g] = i


class _Uncomparable:
    """An operand the codec could not carry, in a host-evaluated assertion."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value

    def __eq__(self, other: object) -> bool:
        return False

    __hash__ = object.__hash__

    def __repr__(self) -> str:
        return _short(self.value)


def _undecided(plan: PlannedTest, res: TestResult) -> bool:
    """A passed result whose verdict needs another run first."""
    return plan.wrap == 4 and res.value is None


def _valid_batch(entries: Any, n: int) -> bool:
    return (isinstance(entries, list) and len(entries) == n
            and all(isinstance(e, (list, tuple)) and len(e) == 3 and e[0] in _BATCH_STATUSES
                    and isinstance(e[2], (int, float)) and not isinstance(e[2], bool)
                    for e in entries))


def _chunks(items: list[PlannedTest], size: int, *, progressive: bool) -> Iterable[list[PlannedTest]]:
    """Fixed-size chunks; or, for candidates, 4, 8, 16, ... up to ``size``: a program that
    hangs on every input is stopped after a few seconds (between chunks), not after
    ``size`` timeouts, while a good one still runs in a handful of jobs."""
    start, n = 0, (min(4, size) if progressive else size)
    while start < len(items):
        yield items[start:start + n]
        start += n
        if progressive:
            n = min(size, n * 2)


def _args_key(case: TestCase) -> str:
    return args_source(case)


def _syntax_error(code: str) -> str:
    try:
        compile(code, "<program>", "exec", dont_inherit=True)
    except (SyntaxError, ValueError) as exc:
        return f"{type(exc).__name__}: {exc}"
    except (RecursionError, MemoryError) as exc:  # pathologically nested source
        return f"{type(exc).__name__}"
    return ""


def _has_opaque(value: Any) -> bool:
    if isinstance(value, Opaque):
        return True
    if isinstance(value, (list, tuple, set, frozenset)):
        return any(_has_opaque(v) for v in value)
    if isinstance(value, dict):
        return any(_has_opaque(k) or _has_opaque(v) for k, v in value.items())
    return False


def _short(value: Any, n: int = 200) -> str:
    try:
        s = repr(value)
    except Exception:
        s = f"<{type(value).__name__}>"
    return s if len(s) <= n else s[:n] + "..."


def _tail(text: str, n: int = 2000) -> str:
    return text[-n:]


def _all_failed(n_vis: int, n_hid: int, kind: str, detail: str) -> ScoreResult:
    return ScoreResult(visible_passed=0, visible_total=n_vis, hidden_passed=0, hidden_total=n_hid,
                       pass_visible=False if n_vis else None, pass_hidden=False if n_hid else None,
                       score=0.0, error_type=kind, stderr_tail=_tail(detail) or None)


def _summarise(vis: list[_Outcome], hid: list[_Outcome], truncated: bool) -> ScoreResult:
    vp, hp = sum(o.passed for o in vis), sum(o.passed for o in hid)
    # (a fast-fail placeholder is no failure of its own: the real one may be a visible test)
    first = (next((o for o in hid if not o.passed and o.kind != "not_run"), None)
             or next((o for o in vis if not o.passed and o.kind != "not_run"), None)
             or next((o for o in hid + vis if not o.passed), None))
    kind = first.kind if first else None
    if first and truncated:
        kind = "truncated"
    total = len(hid) or len(vis)
    score = (hp / len(hid)) if hid else ((vp / len(vis)) if vis else None)
    if score is not None and math.isnan(score):
        score = None
    return ScoreResult(
        visible_passed=vp, visible_total=len(vis), hidden_passed=hp, hidden_total=len(hid),
        pass_visible=(vp == len(vis)) if vis else None,
        pass_hidden=(hp == len(hid)) if hid else ((vp == len(vis)) if vis else None),
        score=score if total else None, error_type=kind,
        stderr_tail=(_tail(first.detail_text()) or None) if first and first.detail else None,
    )


def split_setup(setup_code: str) -> tuple[str, str]:
    """(run before the program, append after it). Imports run first, as the benchmarks'
    harnesses allow; any other set-up (MBPP's ``test_setup_code`` building trees from a class
    the program defines, e.g. tasks 367 and 927) runs after the program, as upstream MBPP does."""
    if not setup_code or not setup_code.strip():
        return "", ""
    try:
        body = ast.parse(setup_code).body
    except SyntaxError:
        return "", "\n" + setup_code
    if all(isinstance(node, (ast.Import, ast.ImportFrom)) for node in body):
        return setup_code + "\n", ""
    return "", "\n\n" + setup_code + "\n"
