"""Hostile programs against BOTH sandbox backends: each case must be a failure (never a pass),
the sandbox must stay healthy (the next normal job passes, the runner was not replaced) and
nothing may be left running (no stray process in the sandbox, no marker process on the host)."""
from __future__ import annotations

import os
import socket
import textwrap
import time
import uuid
from pathlib import Path

import psutil
import pytest

from scorer.sandbox import (Limits, SandboxJob, SandboxTest, docker_available,
                            open_sandbox)

pytestmark = pytest.mark.integration

LIMITS = Limits(timeout_s=1.5, memory_mb=256, output_bytes=64 << 10, max_procs=32, file_size_mb=4)
REPO = Path(__file__).resolve().parents[2]


def _docker_reason() -> str:
    ok, why = docker_available()
    return "" if ok else why


@pytest.fixture(scope="module", params=["local", pytest.param("docker", marks=pytest.mark.docker)])
def box(request):
    if request.param == "docker":
        why = _docker_reason()
        if why:
            pytest.skip(f"Docker backend unavailable: {why}")
    else:
        from scorer.sandbox._local import available_isolation
        if "bwrap" not in available_isolation():
            pytest.skip("bwrap is not installed (infra/build_images.sh installs it): the unshare "
                        "fallback does not hide host files, so these cases cannot hold")
    sb = open_sandbox(request.param, run_id=f"adv-{uuid.uuid4().hex[:8]}")
    sb.run(job("x = 1\n", SandboxTest(id="warm", kind="eval", code="x")))
    # idle: the runner (the sandbox's init, pid 1) and its pre-forked spare children (4
    # locally; none in Docker, where the CPU quota makes them dearer than forking on demand)
    assert sb.hello["spares"] == (0 if request.param == "docker" else 4)
    _settles(lambda: _sandbox_procs(sb) == 1 + sb.hello["spares"], "unexpected idle process count")
    sb.baseline = _sandbox_procs(sb)
    yield sb
    sb.close()


def _sandbox_procs(sb) -> int:
    """How many processes the sandbox holds (the runner and its spares when idle)."""
    if sb.kind == "docker":
        return len(sb.container.top()["Processes"])
    return len(psutil.Process(sb.runner_pid).children(recursive=True))


def _marker_procs(marker: str) -> list[int]:
    out = []
    for p in psutil.process_iter(["pid", "cmdline"]):
        try:
            if any(marker in part for part in (p.info["cmdline"] or [])):
                out.append(p.info["pid"])
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            pass
    return out


def job(program: str, *tests: SandboxTest, isolation="per_test", limits=LIMITS) -> SandboxJob:
    if not tests:
        tests = (SandboxTest(id="t1", kind="exec", code="assert solve() == 42"),)
    return SandboxJob(program=textwrap.dedent(program), tests=tests, limits=limits, isolation=isolation)


def contained(sb, j: SandboxJob, *, marker: str | None = None):
    """Run a hostile job; assert every test failed and the sandbox is intact afterwards."""
    restarts = sb.restarts
    res = sb.run(j)
    assert res.status == "ok", res.error
    for t in res.tests:
        assert t.status != "passed", (t.id, t)
    # healthy: the same runner (not replaced) passes a normal job afterwards
    ok = sb.run(SandboxJob(program="def solve():\n    return 42\n",
                           tests=(SandboxTest(id="ok", kind="exec", code="assert solve() == 42"),
                                  SandboxTest(id="v", kind="eval", code="solve() + 1")),
                           limits=LIMITS))
    assert [t.status for t in ok.tests] == ["passed", "passed"], ok
    assert ok.tests[1].value == 43
    assert sb.restarts == restarts, "the runner was replaced: the program reached it"
    _settles(lambda: _sandbox_procs(sb) == sb.baseline, "stray processes left in the sandbox")
    if marker:
        _settles(lambda: _marker_procs(marker) == [], "the marker process survived the job")
    return res


def _settles(cond, message: str, within_s: float = 3.0) -> None:
    """The runner reaps the last child right after answering: allow it a moment."""
    deadline = time.monotonic() + within_s
    while not cond():
        assert time.monotonic() < deadline, message
        time.sleep(0.02)


def test_infinite_loop(box):
    res = contained(box, job("def solve():\n    while True:\n        pass\n"))
    assert res.tests[0].status == "timeout"


def test_busy_loop_ignoring_signals(box):
    res = contained(box, job("""
        import signal
        for s in (signal.SIGTERM, signal.SIGALRM, signal.SIGINT, signal.SIGHUP, signal.SIGXCPU):
            signal.signal(s, signal.SIG_IGN)
        signal.alarm(1)
        def solve():
            x = 0
            while True:
                x += 1
    """))
    assert res.tests[0].status == "timeout"


def test_fork_bomb(box):
    res = contained(box, job("""
        import os
        while True:
            try:
                os.fork()
            except OSError:
                pass
    """))
    assert res.tests[0].status in ("timeout", "runtime_error", "killed")


def test_memory_bombs(box):
    res = contained(box, job("""
        def solve():
            return len(bytearray(1 << 34))
    """, SandboxTest(id="big", kind="exec", code="assert solve() == 42"),
        SandboxTest(id="grow", kind="exec", code="x = []\nwhile True:\n    x.append(b'x' * (1 << 20))",
                    timeout_s=8)))
    assert [t.status for t in res.tests] == ["memory_limit", "memory_limit"], res.tests


def test_fill_tmp_and_write_elsewhere(box, tmp_path):
    host_target = tmp_path / "escaped.txt"
    res = contained(box, job(f"""
        import os
        def fill():
            i = 0
            while True:
                with open(f"/tmp/fill{{i}}", "wb") as f:
                    f.write(b"x" * (1 << 20))
                i += 1
        def solve():
            fill()
    """, SandboxTest(id="fill", kind="exec", code="solve()", timeout_s=8),
        *[SandboxTest(id=f"w{i}", kind="exec", code=f"open({p!r}, 'w').write('pwned')")
          for i, p in enumerate(["/usr/pwned", "/etc/pwned", "/opt/codeharvest/runner.py", "/run/codeharvest/pwned",
                                 str(host_target), str(REPO / "pwned.txt"), "/pwned"])]))
    assert res.tests[0].status == "runtime_error"          # ENOSPC / EFBIG
    assert not host_target.exists() and not (REPO / "pwned.txt").exists()
    # the next job starts with an empty /tmp and a working runner
    nxt = box.run(job("import os\ndef solve():\n    return 42 if not [n for n in os.listdir('/tmp') if n.startswith('fill')] else 0\n"))
    assert nxt.tests[0].status == "passed", nxt.tests[0]


def test_huge_stdout_and_stderr(box):
    res = contained(box, job("""
        import sys
        def solve():
            while True:
                print("spam" * 1000)
    """, SandboxTest(id="out", kind="exec", code="solve()"),
        SandboxTest(id="err", kind="exec", code="import sys\nwhile True:\n    sys.stderr.write('e' * 100000)")))
    assert [t.status for t in res.tests] == ["output_limit", "output_limit"]
    assert len(res.tests[0].stdout) <= 4096


def test_network_host_port_and_dns(box):
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(5)
    srv.settimeout(0.2)
    port = srv.getsockname()[1]
    try:
        res = contained(box, job(f"""
            import socket
            def tcp():
                s = socket.create_connection(("127.0.0.1", {port}), timeout=1)
                s.sendall(b"hello from the sandbox")
                return True
            def dns():
                return socket.getaddrinfo("example.com", 80)
        """, SandboxTest(id="tcp", kind="exec", code="assert tcp()"),
            SandboxTest(id="tcp6", kind="exec", code=f"socket.create_connection(('::1', {port}), timeout=1)"),
            SandboxTest(id="dns", kind="exec", code="assert dns()"),
            SandboxTest(id="ext", kind="exec", code="socket.create_connection(('1.1.1.1', 53), timeout=1)")))
        assert res.tests[0].status == "runtime_error"
        with pytest.raises(socket.timeout):
            srv.accept()
    finally:
        srv.close()


def test_reading_host_files(box, tmp_path, monkeypatch):
    home = tmp_path / "home"
    (home / ".aws").mkdir(parents=True)
    secret = f"canary-{uuid.uuid4().hex}"
    creds = home / ".aws" / "credentials"
    creds.write_text(f"[default]\naws_secret_access_key = {secret}\n")
    creds.chmod(0o644)
    monkeypatch.setenv("HOME", str(home))
    paths = [str(creds), str(REPO / "pyproject.toml"), str(Path(__file__)), "/root/.bash_history",
             "/etc/shadow", os.path.expanduser("~/.aws/credentials")]
    res = contained(box, job(f"""
        import os
        def read(p):
            with open(p) as f:
                data = f.read()
            print(data)
            return data
    """, *[SandboxTest(id=f"r{i}", kind="exec", code=f"assert read({p!r})") for i, p in enumerate(paths)],
        SandboxTest(id="home", kind="exec", code="assert read(os.path.expanduser('~/.aws/credentials'))"),
        SandboxTest(id="walk", kind="exec",
                    code=f"assert [d for d, _, fs in os.walk('/') if 'credentials' in fs and {secret!r} in read(d + '/credentials')]")))
    for t in res.tests:
        assert secret not in t.stdout and "codeharvest" not in t.stdout


def test_environment_secrets_do_not_leak(monkeypatch):
    """A sandbox opened while the host holds secrets in its environment does not pass them on."""
    secret = f"canary-{uuid.uuid4().hex}"
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", secret)
    monkeypatch.setenv("OPENAI_API_KEY", secret)
    kinds = ["local"] + ([] if _docker_reason() else ["docker"])
    for kind in kinds:
        with open_sandbox(kind) as sb:
            res = sb.run(job("import os\n", SandboxTest(id="env", kind="eval", code="dict(os.environ)"),
                             SandboxTest(id="p1", kind="eval", code="open('/proc/1/environ','rb').read()")))
            assert res.tests[0].status == "passed"
            assert secret not in repr(res.tests[0].value)
            assert secret not in repr(res.tests[1].value) and secret not in res.tests[1].error


def test_killing_the_runner(box):
    res = contained(box, job("""
        import os, signal
        ppid = os.getppid()
        def attack(kind):
            if kind == "parent":
                os.kill(ppid, signal.SIGKILL)
            elif kind == "stop":
                os.kill(ppid, signal.SIGSTOP)
            elif kind == "init":
                os.kill(1, signal.SIGTERM)
            elif kind == "all":
                os.kill(-1, signal.SIGKILL)
            elif kind == "group":
                os.killpg(os.getpgid(ppid), signal.SIGKILL)
            elif kind == "pidfd":
                signal.pidfd_send_signal(os.pidfd_open(ppid), signal.SIGKILL)
            elif kind == "scan":
                for pid in [int(p) for p in os.listdir("/proc") if p.isdigit()]:
                    if pid != os.getpid():
                        try:
                            os.kill(pid, signal.SIGKILL)
                        except OSError:
                            pass
                return True
            return True
        def solve():
            return 0
    """, *[SandboxTest(id=k, kind="exec", code=f"assert attack({k!r}) and solve() == 42")
           for k in ("parent", "stop", "init", "all", "group", "pidfd", "scan")]))
    assert res.tests[0].status == "runtime_error" and "PermissionError" in res.tests[0].error


def test_detached_grandchild_does_not_survive(box):
    marker = f"marker-{uuid.uuid4().hex}"
    res = contained(box, job(f"""
        import os, sys, time
        def spawn():
            if os.fork() == 0:
                os.setsid()
                if os.fork() == 0:
                    os.execv(sys.executable, [sys.executable, "-c", "import time; time.sleep(60)  # {marker}"])
                os._exit(0)
            if os.fork() == 0:          # a second one that only sleeps (no exec)
                os.setsid()
                if os.fork() == 0:
                    time.sleep(60)
                os._exit(0)
            time.sleep(0.3)
            return 1
        def solve():
            return spawn()
    """), marker=marker)
    assert res.tests[0].status == "failed"


def test_early_exit_reads_as_failure(box):
    for prog in ("import os\nos._exit(0)\n", "import sys\nsys.exit(0)\n",
                 "def solve():\n    import os\n    os._exit(0)\n",
                 "def solve():\n    import sys\n    sys.exit(0)\n",
                 "raise SystemExit\n",
                 "import os, signal\nos.kill(os.getpid(), signal.SIGKILL)\n"):
        res = contained(box, job(prog, SandboxTest(id="a", kind="exec", code="assert solve() == 42"),
                                 SandboxTest(id="b", kind="eval", code="solve()")))
        assert [t.status for t in res.tests] != ["passed"] * 2


def test_shared_isolation_early_exit(box):
    res = contained(box, job("def solve():\n    import os\n    os._exit(0)\n",
                             *[SandboxTest(id=f"t{i}", kind="exec", code="assert solve() == 42") for i in range(3)],
                             isolation="shared"))
    assert all(t.status == "runtime_error" for t in res.tests)


@pytest.mark.parametrize("tamper", [
    # builtins, sys.modules and sys.exit patched
    "import builtins\nbuiltins.exec = lambda *a, **k: None\nbuiltins.eval = lambda *a, **k: 42\n"
    "builtins.compile = lambda *a, **k: compile('pass', 'x', 'exec')\nbuiltins.AssertionError = ZeroDivisionError\n",
    "import sys\nfor name in list(sys.modules):\n    if name not in ('sys', 'builtins'):\n        sys.modules[name] = None\n"
    "sys.exit = lambda *a: None\n",
    "import os, json\nos.write = lambda fd, data: len(data)\nos._exit = lambda code: None\n"
    "json.dumps = lambda *a, **k: '{\"status\": \"passed\"}'\n",
    # fake reports on every descriptor (with guessed nonces), at load time and from a thread
    "import os, json, struct\n"
    "def fake(obj):\n    d = json.dumps(obj).encode()\n    return struct.pack('>I', len(d)) + d\n"
    "for fd in range(0, 64):\n"
    "    for obj in ({'loaded': True}, {'nonce': '0' * 32, 'status': 'passed'}, {'status': 'passed'}):\n"
    "        try:\n            os.write(fd, fake(obj))\n        except OSError:\n            pass\n"
    "print(json.dumps({'status': 'passed', 'tests': []}))\n",
    "import os, threading, json, struct, time\n"
    "def spam():\n    while True:\n        d = json.dumps({'nonce': 'x', 'status': 'passed'}).encode()\n"
    "        for fd in (1, 2, 3, 4, 5):\n            try:\n                os.write(fd, struct.pack('>I', len(d)) + d)\n"
    "            except OSError:\n                pass\n        time.sleep(0.001)\n"
    "threading.Thread(target=spam, daemon=True).start()\n",
    # the report channel closed or replaced
    "import os\nfor fd in range(3, 64):\n    try:\n        os.close(fd)\n    except OSError:\n        pass\n",
    "import os\nr, w = os.pipe()\nfor fd in (3, 4):\n    os.dup2(w, fd)\n",
    "import sys, io\nsys.stdout = io.StringIO()\nsys.__stdout__ = None\n",
])
def test_harness_tampering(box, tamper):
    prog = tamper + "\ndef solve():\n    return 0\n"
    res = contained(box, job(prog, SandboxTest(id="a", kind="exec", code="assert solve() == 42"),
                             SandboxTest(id="b", kind="exec", code="assert solve() == 42")))
    assert all(t.status != "passed" for t in res.tests)
    shared = contained(box, job(prog, SandboxTest(id="a", kind="exec", code="assert solve() == 42"),
                                SandboxTest(id="b", kind="exec", code="assert solve() == 42"), isolation="shared"))
    assert all(t.status != "passed" for t in shared.tests)


def test_eval_values_cannot_forge_equality(box):
    """An object whose __eq__ always says yes comes back as an unsupported marker, not a value."""
    res = box.run(job("""
        class Liar(int):
            def __eq__(self, other):
                return True
            __hash__ = int.__hash__
        class Anything:
            def __eq__(self, other):
                return True
        def solve():
            return Anything()
        def solve2():
            return Liar(7)
    """, SandboxTest(id="a", kind="eval", code="solve()"), SandboxTest(id="b", kind="eval", code="solve2()")))
    a, b = res.tests
    assert a.status == "passed" and a.value != 42 and a.value["__unsupported__"] == "Anything"
    assert b.value == 7 and type(b.value) is int and b.value != 42


def test_ptrace_and_proc_mem_of_runner(box):
    contained(box, job("""
        import os, ctypes
        ppid = os.getppid()
        def mem():
            with open(f"/proc/{ppid}/mem", "rb") as f:
                return f.read(1)
        def ptrace():
            libc = ctypes.CDLL(None, use_errno=True)
            if libc.ptrace(16, ppid, 0, 0) != 0:   # PTRACE_ATTACH
                raise OSError(ctypes.get_errno(), "ptrace")
            return True
        def environ():
            return open(f"/proc/{ppid}/environ", "rb").read()
        def solve():
            return 0
    """, SandboxTest(id="mem", kind="exec", code="assert mem() and solve() == 42"),
        SandboxTest(id="ptrace", kind="exec", code="assert ptrace() and solve() == 42"),
        SandboxTest(id="environ", kind="exec", code="assert environ() is not None and solve() == 42")))


def test_state_does_not_leak_between_jobs(box):
    first = box.run(job("""
        import os, ctypes
        libc = ctypes.CDLL(None, use_errno=True)
        shm = libc.shmget(0x4242, 4096, 0o1600)          # IPC_CREAT | 0600
        assert shm >= 0, ctypes.get_errno()
        open('/tmp/leak.txt', 'w').write('answer=42')
        try:
            open('/dev/shm/leak.txt', 'w').write('answer=42')
        except OSError:
            pass
        def solve():
            return 0
    """))
    assert first.tests[0].status == "failed"
    res = box.run(job("""
        import os, ctypes
        def solve():
            for p in ('/tmp/leak.txt', '/dev/shm/leak.txt'):
                if os.path.exists(p):
                    return 42
            if ctypes.CDLL(None).shmget(0x4242, 0, 0) >= 0:
                return 42
            return 0
    """))
    assert res.tests[0].status == "failed"


def test_posix_message_queues_do_not_carry_data_between_jobs(box):
    """A POSIX message queue (mq_open) would outlive its job in the sandbox's IPC namespace:
    children cannot create one (RLIMIT_MSGQUEUE 0), so the next job finds nothing."""
    first = box.run(job("""
        import ctypes
        libc = ctypes.CDLL(None, use_errno=True)
        q = libc.mq_open(b"/leak2", 0o102, 0o600, None)      # O_CREAT | O_RDWR
        err = ctypes.get_errno()
        sent = libc.mq_send(q, b"answer=42", 9, 0) if q >= 0 else None
    """, SandboxTest(id="create", kind="eval", code="(q, err, sent)")))
    q, err, _ = first.tests[0].value
    assert q == -1 and err == 24, first.tests[0]                # EMFILE: over RLIMIT_MSGQUEUE
    second = box.run(job("""
        import ctypes
        libc = ctypes.CDLL(None, use_errno=True)
        def receive():
            q = libc.mq_open(b"/leak2", 0o4000)                  # O_RDONLY | O_NONBLOCK
            if q < 0:
                return None
            buf = ctypes.create_string_buffer(1 << 16)
            n = libc.mq_receive(q, buf, len(buf), None)
            return buf.raw[:max(n, 0)]
        def solve():
            return 42 if receive() == b"answer=42" else 0
    """))
    assert second.tests[0].status == "failed", second.tests[0]


def test_nested_namespaces_and_locked_dirs(box):
    contained(box, job("""
        import ctypes, os
        libc = ctypes.CDLL(None, use_errno=True)
        def userns():
            return libc.unshare(0x10000000 | 0x00020000) == 0      # CLONE_NEWUSER | CLONE_NEWNS
        def netns():
            return libc.unshare(0x40000000) == 0                   # CLONE_NEWNET
        def locked():
            os.makedirs("/tmp/locked/deeper", exist_ok=True)
            open("/tmp/locked/deeper/f", "w").write("x")
            os.chmod("/tmp/locked/deeper", 0)
            os.chmod("/tmp/locked", 0)
            return False
        def solve():
            return 0
    """, SandboxTest(id="userns", kind="exec", code="assert userns()"),
        SandboxTest(id="netns", kind="exec", code="assert netns()"),
        SandboxTest(id="locked", kind="exec", code="assert locked()")))
    res = box.run(job("import os\ndef solve():\n    return 0 if os.path.exists('/tmp/locked') else 42\n"))
    assert res.tests[0].status == "passed"          # the locked tree was removed after the job


def test_crash_and_recursion_bombs(box):
    contained(box, job("""
        import sys, ctypes
        def segv():
            ctypes.string_at(0)
        def deep(n):
            return deep(n + 1) + 1
        def solve():
            return 0
    """, SandboxTest(id="segv", kind="exec", code="segv()\nassert solve() == 42"),
        SandboxTest(id="rec", kind="exec", code="sys.setrecursionlimit(10**8)\ndeep(0)")))


def test_closing_stdout_then_spinning_is_a_timeout(box):
    res = contained(box, job("import os\nos.close(1)\nos.close(2)\ndef solve():\n    while True:\n        pass\n",
                             SandboxTest(id="spin", kind="exec", code="assert solve() == 42", timeout_s=1)))
    assert res.tests[0].status == "timeout"


def test_other_tests_are_not_in_the_childs_memory(box):
    """Per-test children are forked before the job exists: a program scanning the interpreter
    for the job's other (hidden) tests finds nothing."""
    own = box.run(job("import gc\n", SandboxTest(id="self", kind="exec", code=(
        "m = 'SELF-' + str(7)  # SELF-7\n"
        "assert any(isinstance(v, str) and m in v for o in gc.get_objects() if isinstance(o, dict) "
        "for v in list(o.values()))"))))
    assert own.tests[0].status == "passed"       # the scan does find what is there (its own test)
    contained(box, job("""
        import gc
        def leaked(marker):
            for o in gc.get_objects():
                try:
                    vals = o.values() if isinstance(o, dict) else (o if isinstance(o, (list, tuple)) else ())
                    for v in vals:
                        if isinstance(v, str) and marker in v:
                            return True
                except Exception:
                    pass
            return False
    """, SandboxTest(id="t1", kind="exec", code="assert leaked('HIDDEN-' + str(2))  # HIDDEN-1"),
        SandboxTest(id="t2", kind="exec", code="assert leaked('HIDDEN-' + str(1))  # HIDDEN-2")))



_PROC_MEM_PROBE = """
    import os
    def probe():
        me, opened, seen = os.getpid(), [], []
        for name in os.listdir("/proc"):
            if not name.isdigit() or int(name) == me:
                continue
            seen.append(int(name))
            try:
                with open(f"/proc/{name}/mem", "r+b"):
                    opened.append(int(name))
            except OSError:
                pass
        return [len(seen), opened]
"""


def _writable_proc_mem(sb) -> list[int]:
    res = sb.run(job(_PROC_MEM_PROBE, SandboxTest(id="probe", kind="eval", code="probe()")))
    assert res.status == "ok", res.error
    (t,) = res.tests
    assert t.status == "passed", t
    seen, opened = t.value
    # the runner and the spares this job's child was not taken from
    assert seen >= 1 + max(sb.hello["spares"] - 1, 0), "the probe should see the runner and the spares"
    return opened


def test_idle_spare_children_cannot_be_written_through_proc_mem(box):
    """Spare children are forked before the next job exists and will run it: a job that could
    write into a spare's memory (/proc/<pid>/mem, same uid) could forge another job's results.
    Idle spares stay non-dumpable (like the runner) until they take their own job."""
    assert [pid for pid in _writable_proc_mem(box) if pid != 1] == []


def test_init_process_cannot_be_written_through_proc_mem(box):
    """pid 1 is the runner itself (no docker-init / bwrap reaper under the job's uid)."""
    assert 1 not in _writable_proc_mem(box)


def test_idle_docker_runner_needs_no_sweep(box):
    """In Docker the pids cgroup counts exactly the runner and its spares when nothing else
    runs: the per-job /proc sweep is skipped (a miscount would cost every job a full sweep)."""
    if box.kind != "docker":
        pytest.skip("the pids cgroup gate exists only in the container")
    _settles(lambda: box.ping().get("idle_without_sweep") is True, "the runner would sweep when idle")



def test_preloaded_modules_do_not_carry_state_between_jobs(box):
    """The runner imports common modules once (children fork from it); what a job does to
    them stays in its own child."""
    first = box.run(job("""
        import math, typing, random
        math.pi = 3
        typing.List = None
        random.seed(1)
        def solve():
            return 42
    """, SandboxTest(id="t", kind="eval", code="(math.pi, typing.List)")))
    assert first.tests[0].value == (3, None)
    second = box.run(job("import math, typing\n", SandboxTest(
        id="t", kind="eval", code="(math.pi == 3.141592653589793, typing.List is not None)")))
    assert second.tests[0].value == (True, True)
