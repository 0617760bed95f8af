"""Crash recovery: the runner or its container killed mid-job -> the job is retried once in a
fresh runner; killed again -> sandbox_error; a replaced runner; correct results afterwards."""
from __future__ import annotations

import os
import signal
import threading
import time
import uuid

import psutil
import pytest

from scorer.sandbox import (Limits, SandboxJob, SandboxTest, cleanup_containers, docker_available,
                            open_sandbox)

pytestmark = pytest.mark.integration

SLOW = SandboxJob(program="import time\ndef solve():\n    time.sleep(1.5)\n    return 42\n",
                  tests=(SandboxTest(id="slow", kind="eval", code="solve()"),),
                  limits=Limits(timeout_s=5))
QUICK = SandboxJob(program="def solve():\n    return 42\n",
                   tests=(SandboxTest(id="a", kind="exec", code="assert solve() == 42"),
                          SandboxTest(id="b", kind="eval", code="solve() * 2")))


@pytest.fixture(params=["local", pytest.param("docker", marks=pytest.mark.docker)])
def kind(request):
    if request.param == "docker":
        ok, why = docker_available()
        if not ok:
            pytest.skip(f"Docker backend unavailable: {why}")
    return request.param


def _runner_host_pid(sb) -> int:
    """Host pid of the runner process (python ... runner.py) inside the sandbox."""
    if sb.kind == "docker":
        root = psutil.Process(int(sb.container.attrs["State"]["Pid"]))
        procs = [root] + root.children(recursive=True)
    else:
        root = psutil.Process(sb.runner_pid)
        procs = root.children(recursive=True)
    def is_runner(p) -> bool:
        cmd = p.cmdline()
        return bool(cmd) and "python" in os.path.basename(cmd[0]) and any("runner.py" in c for c in cmd)

    for p in procs:
        if is_runner(p) and not is_runner(p.parent()):
            return p.pid
    raise AssertionError("runner process not found")


def _kill(sb, how: str) -> None:
    if how == "container":
        sb.container.kill()
    else:
        os.kill(_runner_host_pid(sb), signal.SIGKILL)


def _killer(sb, how: str, times: int) -> threading.Thread:
    """Kill the runner (or container) `times` times, each 0.5 s after a runner (re)started."""
    def loop():
        seen = None
        for _ in range(times):
            deadline = time.monotonic() + 30
            while True:
                ident = sb.container.id if sb.kind == "docker" and sb.container else sb.hello.get("pid"), \
                    sb.restarts
                if sb._channel is not None and ident != seen:
                    break
                assert time.monotonic() < deadline
                time.sleep(0.01)
            seen = ident
            time.sleep(0.5)
            _kill(sb, how)
    t = threading.Thread(target=loop, daemon=True)
    t.start()
    return t


@pytest.mark.parametrize("kind, how", [
    ("local", "runner"),
    pytest.param("docker", "runner", marks=pytest.mark.docker),
    pytest.param("docker", "container", marks=pytest.mark.docker),
])
def test_killed_twice_is_sandbox_error_then_recovers(kind, how):
    if kind == "docker" and not docker_available()[0]:
        pytest.skip(f"Docker backend unavailable: {docker_available()[1]}")
    run_id = f"rec-{uuid.uuid4().hex[:8]}"
    with open_sandbox(kind, run_id=run_id) as sb:
        first = sb.container.id if kind == "docker" else None
        restarts = sb.restarts
        t = _killer(sb, how, times=2)
        res = sb.run(SLOW)
        t.join(5)
        assert res.status == "sandbox_error"
        assert res.tests == [] and "attempt 2" in res.error
        after = sb.run(QUICK)
        assert after.status == "ok"
        assert [x.status for x in after.tests] == ["passed", "passed"] and after.tests[1].value == 84
        assert sb.restarts >= restarts + 2
        if kind == "docker":
            assert sb.container.id != first
    if kind == "docker":
        assert cleanup_containers(run_id) == 0      # close() removed every container it started


def test_killed_once_is_retried(kind):
    with open_sandbox(kind) as sb:
        t = _killer(sb, "runner", times=1)
        res = sb.run(SLOW)
        t.join(5)
        assert res.status == "ok", res.error
        assert res.tests[0].status == "passed" and res.tests[0].value == 42
        assert sb.run(QUICK).tests[1].value == 84


def test_cleanup_removes_leftover_containers():
    ok, why = docker_available()
    if not ok:
        pytest.skip(f"Docker backend unavailable: {why}")
    run_id = f"leak-{uuid.uuid4().hex[:8]}"
    sb = open_sandbox("docker", run_id=run_id)
    other = open_sandbox("docker", run_id=f"other-{uuid.uuid4().hex[:8]}")
    try:
        sb._channel = None            # simulate a crashed driver: the container stays behind
        sb.container = None
        assert cleanup_containers(run_id) == 1
        assert cleanup_containers(run_id) == 0
        assert other.run(QUICK).status == "ok"        # another run's container is untouched
    finally:
        other.close()
        sb.close()


def test_started_from_a_thread_that_has_exited(kind):
    """A pool opens its sandboxes from short-lived threads. bwrap's --die-with-parent fires
    when the thread that forked it exits: the runner must not die with that thread (it did:
    every first job then found a dead runner and replaced it)."""
    opened = []
    t = threading.Thread(target=lambda: opened.append(open_sandbox(kind).start()))
    t.start()
    t.join(60)
    assert not t.is_alive() and len(opened) == 1
    sb = opened[0]
    try:
        time.sleep(0.5)                 # (a killed runner is gone by now)
        res = sb.run(QUICK)
        assert res.status == "ok", res.error
        assert res.tests[1].value == 84
        assert sb.restarts == 0, "the runner died with the thread that started it"
    finally:
        sb.close()
