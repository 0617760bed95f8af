"""The Sandbox interface and what every backend shares: job encoding, retries, results."""
from __future__ import annotations

import base64
import logging
import socket
import threading
import time
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any, Callable

from .._errors import ScorerError
from ._channel import Channel, ChannelError
from ._types import JobResult, SandboxJob, TestResult
from ._value_codec import ValueDecodeError, decode_value

log = logging.getLogger("scorer.sandbox")

DEFAULT_IMAGE = "codeharvest-sandbox:latest"
_KINDS = ("exec", "eval", "stdio")
_STATUSES = ("passed", "failed", "runtime_error", "syntax_error", "timeout", "memory_limit",
             "output_limit", "killed", "cancelled")
# on_test(index, result) -> True to stop the job (its unfinished tests come back "cancelled")
OnTest = Callable[[int, TestResult], bool]


@dataclass(frozen=True)
class BackendCheck:
    name: str
    ok: bool
    reason: str


class SandboxBroken(Exception):
    """The runner or its container must be replaced (infrastructure, never the program)."""


def encode_job(job: SandboxJob) -> dict[str, Any]:
    if not isinstance(job, SandboxJob):
        raise ScorerError(f"Sandbox.run expects a SandboxJob, got {type(job).__name__}")
    if job.isolation not in ("per_test", "shared"):
        raise ScorerError(f"unknown isolation {job.isolation!r} (per_test | shared)")
    tests = []
    seen = set()
    for t in job.tests:
        if t.kind not in _KINDS:
            raise ScorerError(f"test {t.id!r}: unknown kind {t.kind!r} (exec | eval | stdio)")
        if t.id in seen:
            raise ScorerError(f"duplicate test id {t.id!r} in one job")
        seen.add(t.id)
        if t.timeout_s is not None and not t.timeout_s > 0:
            raise ScorerError(f"test {t.id!r}: timeout_s must be > 0")
        tests.append({"id": t.id, "kind": t.kind, "code": t.code, "stdin": t.stdin,
                      "timeout_s": t.timeout_s})
    lim = job.limits
    if not (lim.timeout_s > 0 and lim.memory_mb >= 32 and lim.output_bytes > 0 and lim.max_procs >= 1
            and lim.file_size_mb >= 0):
        raise ScorerError(f"invalid sandbox limits: {lim}")
    payload = {"program": job.program, "setup": job.setup, "tests": tests, "limits": lim.as_dict(),
               "isolation": job.isolation}
    if job.inputs:
        payload["inputs"] = base64.b64encode(job.inputs).decode("ascii")
    return payload


def job_deadline_s(job: SandboxJob) -> float:
    """How long the host waits for a whole job before it declares the runner hung."""
    total = 0.0
    for t in job.tests:
        total += 2 * (t.timeout_s or job.limits.timeout_s) + 0.25
    return total + 15.0


class Sandbox(ABC):
    """Runs jobs in a long-lived runner. ``run`` is thread-safe: calls are serialised per
    sandbox (one runner, one job at a time); open one sandbox per worker for parallelism."""

    kind = "abstract"

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._channel: Channel | None = None
        self._closed = False
        self.hello: dict[str, Any] = {}
        self.host = socket.gethostname()
        self.restarts = 0

    # --- backend hooks -----------------------------------------------------------------
    @abstractmethod
    def _start(self) -> Channel:
        """Start a runner; return its channel (raise SandboxBroken or ScorerError)."""

    @abstractmethod
    def _stop(self) -> None:
        """Kill the runner (and its container) and free what it held; never raises."""

    @abstractmethod
    def describe(self) -> str:
        """e.g. ``docker:sha256:...`` or ``local:bwrap``."""

    # --- public ------------------------------------------------------------------------
    def start(self) -> "Sandbox":
        with self._lock:
            self._ensure()
        return self

    def run(self, job: SandboxJob, on_test: OnTest | None = None) -> JobResult:
        """Run ``job``. With ``on_test``, results stream back one test at a time as they
        finish; ``on_test`` returning True stops the job: the test running then and those
        after it come back ``cancelled`` (a fast-fail scorer stops at a first failure without
        waiting for the rest). After a broken runner the job runs again from its first test,
        so ``on_test`` sees index 0 again."""
        payload = encode_job(job)
        if on_test is not None:
            payload["stream"] = True
        deadline = job_deadline_s(job)
        errors: list[str] = []
        with self._lock:
            if self._closed:
                raise ScorerError("sandbox is closed")
            for attempt in (1, 2):
                try:
                    channel = self._ensure()
                    if on_test is not None:
                        return self._streamed(channel, job, payload, deadline, on_test)
                    resp = channel.call({"op": "run", "job": payload}, deadline)
                    if resp.get("status") != "ok":
                        raise SandboxBroken(str(resp.get("error") or "runner reported an error"))
                    return self._result(job, resp)
                except (SandboxBroken, ChannelError, ScorerError, OSError) as exc:
                    # ScorerError/OSError here: a replacement could not start (image gone,
                    # engine down) - still infrastructure, reported as sandbox_error.
                    errors.append(f"attempt {attempt}: {exc}")
                    log.warning("sandbox %s failed (%s); replacing it", self.describe(), exc)
                    self._discard()
        return JobResult(status="sandbox_error", tests=[], backend=self.describe(), host=self.host,
                         limits=job.limits.as_dict(), error="; ".join(errors)[:2000])

    def ping(self) -> dict[str, Any]:
        with self._lock:
            return self._ensure().call({"op": "ping"}, 10.0)

    def close(self) -> None:
        with self._lock:
            self._closed = True
            self._discard()

    def __enter__(self) -> "Sandbox":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:  # best effort; close() is the contract
        try:
            if not self._closed:
                self._discard()
        except Exception:  # noqa: BLE001
            pass

    # --- internals -----------------------------------------------------------------------
    def _ensure(self) -> Channel:
        if self._channel is None:
            self._channel = self._start()
            try:
                hello = self._channel.call({"op": "ping"}, 30.0)
            except ChannelError as exc:
                self._discard()
                raise SandboxBroken(f"runner did not start: {exc}") from None
            if not hello.get("ok"):
                self._discard()
                raise SandboxBroken(f"runner said {hello!r:.200}")
            self.hello = hello
            if not hello.get("seccomp"):
                log.warning("sandbox %s: seccomp filter unavailable; a test could signal its runner",
                            self.describe())
        return self._channel

    def _discard(self) -> None:
        self._channel = None
        self.restarts += 1
        self._stop()

    def _streamed(self, channel: Channel, job: SandboxJob, payload: dict[str, Any],
                  deadline: float, on_test: OnTest) -> JobResult:
        end = time.monotonic() + deadline
        channel.send({"op": "run", "job": payload}, deadline)
        out: list[TestResult] = []
        stopping = False
        while True:
            msg = channel.recv(max(end - time.monotonic(), 0.001))
            status = msg.get("status")
            if status == "partial":
                if msg.get("index") != len(out) or len(out) >= len(job.tests):
                    raise SandboxBroken("runner streamed a result out of order")
                result = _test_result(job.tests[len(out)], msg.get("test"))
                out.append(result)
                try:
                    stop = not stopping and on_test(len(out) - 1, result)
                except BaseException:
                    self._discard()     # the runner is mid-job: its channel is of no further use
                    raise
                if stop:
                    stopping = True
                    channel.send({"op": "cancel"}, 10.0)
            elif status == "ok":
                if msg.get("streamed") != len(job.tests) or len(out) != len(job.tests):
                    raise SandboxBroken("runner answered with the wrong number of results")
                return self._job_result(job, out)
            else:
                raise SandboxBroken(str(msg.get("error") or "runner reported an error"))

    def _result(self, job: SandboxJob, resp: dict[str, Any]) -> JobResult:
        raw = resp.get("tests")
        if not isinstance(raw, list) or len(raw) != len(job.tests):
            raise SandboxBroken("runner answered with the wrong number of results")
        return self._job_result(job, [_test_result(t, r) for t, r in zip(job.tests, raw)])

    def _job_result(self, job: SandboxJob, out: list[TestResult]) -> JobResult:
        limits = job.limits.as_dict()
        own = [t.timeout_s for t in job.tests if t.timeout_s is not None]
        if own:
            limits["test_timeout_s"] = {"min": min(own), "max": max(own)}
        limits["isolation"] = job.isolation
        return JobResult(status="ok", tests=out, backend=self.describe(), host=self.host,
                         limits=limits, error="")


def _test_result(t: Any, r: Any) -> TestResult:
    """The runner's answer for test ``t``, checked; the value decoded."""
    if not isinstance(r, dict) or r.get("id") != t.id or r.get("status") not in _STATUSES:
        raise SandboxBroken("runner answered with a malformed result")
    status, error, value = r["status"], str(r.get("error") or ""), None
    if t.kind == "eval" and status == "passed":
        try:
            value = decode_value(r.get("value"))
        except (ValueDecodeError, RecursionError) as exc:
            status, error = "failed", f"tampered: undecodable value ({exc})"
    sig = r.get("exit_signal")
    return TestResult(id=t.id, status=status, duration_s=float(r.get("duration_s") or 0.0),
                      value=value, stdout=str(r.get("stdout") or ""), stderr=str(r.get("stderr") or ""),
                      exit_signal=sig if isinstance(sig, int) else None, error=error)
