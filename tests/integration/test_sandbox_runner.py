"""What a sandbox returns for ordinary programs, on both backends: statuses, values, stdio,
shared vs per-test isolation, time limits and the recorded limits/host/backend."""
from __future__ import annotations

import socket
import time

import pytest

from scorer.sandbox import (JobResult, Limits, SandboxJob, SandboxTest, docker_available,
                            open_sandbox)

pytestmark = pytest.mark.integration
LIM = Limits(timeout_s=2, memory_mb=256, output_bytes=1 << 16, max_procs=16, file_size_mb=4)


@pytest.fixture(scope="module", params=["local", pytest.param("docker", marks=pytest.mark.docker)])
def box(request):
    if request.param == "docker":
        ok, why = docker_available()
        if not ok:
            pytest.skip(f"Docker backend unavailable: {why}")
    with open_sandbox(request.param) as sb:
        yield sb


PROG = """
def add(a, b):
    print("adding", a, b)
    return a + b

def boom():
    raise KeyError("nope")
"""


def test_statuses_values_and_metadata(box):
    job = SandboxJob(program=PROG, limits=LIM, tests=(
        SandboxTest(id="pass", kind="exec", code="assert add(1, 2) == 3"),
        SandboxTest(id="fail", kind="exec", code="assert add(1, 2) == 4, 'wrong'"),
        SandboxTest(id="err", kind="exec", code="boom()"),
        SandboxTest(id="syntax", kind="exec", code="assert add(1,"),
        SandboxTest(id="val", kind="eval", code="(add(1.5, 2), [add('a', 'b')], {add(1, 1): None})"),
        SandboxTest(id="evalerr", kind="eval", code="boom()"),
        SandboxTest(id="slow", kind="exec", code="import time\ntime.sleep(5)", timeout_s=0.5),
    ))
    res = box.run(job)
    assert isinstance(res, JobResult) and res.status == "ok"
    by = {t.id: t for t in res.tests}
    assert [t.id for t in res.tests] == [t.id for t in job.tests]
    assert by["pass"].status == "passed" and by["pass"].stdout == "adding 1 2\n"
    assert by["fail"].status == "failed" and "wrong" in by["fail"].error
    assert by["err"].status == "runtime_error" and "KeyError" in by["err"].error
    assert by["syntax"].status == "syntax_error"
    assert by["val"].status == "passed" and by["val"].value == (3.5, ["ab"], {2: None})
    assert by["evalerr"].status == "runtime_error" and by["evalerr"].value is None
    assert by["slow"].status == "timeout" and 0.4 < by["slow"].duration_s < 2.5
    assert res.backend == box.describe() and res.backend.startswith(box.kind + ":")
    assert res.host == socket.gethostname()
    assert res.limits["timeout_s"] == 2 and res.limits["memory_mb"] == 256
    assert res.limits["test_timeout_s"] == {"min": 0.5, "max": 0.5}


def test_program_that_does_not_load(box):
    for program, status in (("def f(:\n", "syntax_error"), ("raise ValueError('x')\n", "runtime_error"),
                            ("while True:\n    pass\n", "timeout")):
        job = SandboxJob(program=program, limits=Limits(timeout_s=0.5),
                         tests=tuple(SandboxTest(id=str(i), kind="exec", code="pass") for i in range(3)))
        t0 = time.monotonic()
        res = box.run(job)
        assert [t.status for t in res.tests] == [status] * 3, res
        assert time.monotonic() - t0 < 3      # a program that never loads is not retried per test


def test_setup_and_stdio(box):
    prog = "import sys\nn = int(input())\nprint(sum(map(int, sys.stdin.read().split())) * n)\n"
    job = SandboxJob(program=prog, limits=LIM, tests=(
        SandboxTest(id="a", kind="stdio", stdin="2\n1 2 3\n"),
        SandboxTest(id="b", kind="stdio", stdin="10\n" + "1 " * 20000 + "\n"),
        SandboxTest(id="c", kind="stdio", stdin=""),
    ))
    for isolation in ("per_test", "shared"):
        res = box.run(SandboxJob(program=job.program, tests=job.tests, limits=LIM, isolation=isolation))
        assert [t.status for t in res.tests] == ["passed", "passed", "runtime_error"]
        assert res.tests[0].stdout == "12\n" and res.tests[1].stdout == "200000\n"
        assert "EOFError" in res.tests[2].error
    exits = SandboxJob(program="import sys\nprint('bye')\nsys.exit(0)\n", limits=LIM,
                       tests=(SandboxTest(id="x", kind="stdio"),))
    assert box.run(exits).tests[0].status == "passed"
    setup = SandboxJob(program="def f():\n    return math.pi\n", setup="import math", limits=LIM,
                       tests=(SandboxTest(id="s", kind="eval", code="round(f(), 2)"),))
    assert box.run(setup).tests[0].value == 3.14


def test_stdio_program_that_runs_main_in_a_thread(box):
    """The contest idiom ``threading.Thread(target=main).start()`` (for a larger stack): the
    test ends when the interpreter would exit, after the thread; its output is its own."""
    prog = ("import sys, threading\nsys.setrecursionlimit(10000)\nthreading.stack_size(1 << 26)\n"
            "def main():\n    import time\n    time.sleep(0.2)\n"
            "    print(sum(map(int, sys.stdin.read().split())))\n"
            "threading.Thread(target=main).start()\n")
    tests = tuple(SandboxTest(id=str(i), kind="stdio", stdin=f"{i} {i}\n") for i in range(3))
    for isolation in ("per_test", "shared"):
        res = box.run(SandboxJob(program=prog, tests=tests, limits=LIM, isolation=isolation))
        assert [t.status for t in res.tests] == ["passed"] * 3
        assert [t.stdout for t in res.tests] == ["0\n", "2\n", "4\n"]


def test_shared_isolation_keeps_state_and_survives_a_crash(box):
    prog = "calls = []\ndef f(x):\n    calls.append(x)\n    if x == 3:\n        import os\n        os._exit(3)\n" \
           "    if x == 5:\n        while True:\n            pass\n    return len(calls)\n"
    tests = tuple(SandboxTest(id=f"t{i}", kind="eval", code=f"f({i})", timeout_s=0.5) for i in range(8))
    shared = box.run(SandboxJob(program=prog, tests=tests, limits=LIM, isolation="shared"))
    assert [t.status for t in shared.tests] == ["passed"] * 3 + ["runtime_error", "passed", "timeout", "passed", "passed"]
    # one program load per child: counts restart after each crash
    assert [t.value for t in shared.tests] == [1, 2, 3, None, 1, None, 1, 2]
    per = box.run(SandboxJob(program=prog, tests=tests, limits=LIM))
    assert [t.value for t in per.tests] == [1, 1, 1, None, 1, None, 1, 1]


def test_many_inputs_in_shared_mode_are_fast(box):
    tests = tuple(SandboxTest(id=str(i), kind="eval", code=f"f({i})") for i in range(500))
    t0 = time.monotonic()
    res = box.run(SandboxJob(program="def f(x):\n    return x * x\n", tests=tests, limits=LIM,
                             isolation="shared"))
    took = time.monotonic() - t0
    assert [t.value for t in res.tests] == [i * i for i in range(500)]
    assert took < 20


def test_concurrent_calls_are_serialised(box):
    import threading
    out = []

    def go(i):
        r = box.run(SandboxJob(program=f"v = {i}", limits=LIM, tests=(SandboxTest(id="v", kind="eval", code="v"),)))
        out.append((i, r.tests[0].value))

    threads = [threading.Thread(target=go, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(out) == [(i, i) for i in range(6)]


def test_auto_prefers_docker_and_falls_back_to_local():
    ok, _ = docker_available()
    with open_sandbox("auto") as sb:
        assert sb.kind == ("docker" if ok else "local")
    with open_sandbox("auto", image="codeharvest-no-such-image:0") as sb:
        assert sb.kind == "local" and sb.describe().startswith("local:")


def test_docker_container_is_locked_down():
    ok, why = docker_available()
    if not ok:
        pytest.skip(f"Docker backend unavailable: {why}")
    with open_sandbox("docker", run_id="lockdown-test") as sb:
        sb.container.reload()
        hc = sb.container.attrs["HostConfig"]
        cfg = sb.container.attrs["Config"]
        assert hc["NetworkMode"] == "none" and hc["ReadonlyRootfs"] is True
        assert hc["CapDrop"] == ["ALL"] and "no-new-privileges" in hc["SecurityOpt"]
        assert not hc["Init"] and hc["PidsLimit"] > 0 and hc["Memory"] > 0 and hc["NanoCpus"] > 0
        assert hc["MemorySwap"] == hc["Memory"] and "/tmp" in hc["Tmpfs"] and "size=" in hc["Tmpfs"]["/tmp"]
        uid = int(cfg["User"].split(":")[0])
        assert uid >= 1000
        assert cfg["Labels"]["codeharvest.sandbox"] == "1" and cfg["Labels"]["codeharvest.run_id"] == "lockdown-test"
        res = sb.run(SandboxJob(program="import os\n", limits=LIM, tests=(
            SandboxTest(id="ids", kind="eval", code="(os.getuid(), os.geteuid())"),
            SandboxTest(id="caps", kind="eval",
                        code="[l.split()[1] for l in open('/proc/self/status') if l.startswith(('CapEff', 'CapPrm', 'NoNewPrivs', 'Seccomp:'))]"),
            SandboxTest(id="init", kind="eval", code="(os.getppid(), open('/proc/1/cmdline', 'rb').read())"),
        )))
        assert res.tests[0].value == (uid, uid)
        cap_eff, cap_prm, nnp, seccomp = res.tests[1].value
        assert int(cap_eff, 16) == 0 and int(cap_prm, 16) == 0 and nnp == "1" and seccomp == "2"
        # the runner is the init (pid 1) and the test's parent
        ppid, init_cmdline = res.tests[2].value
        assert ppid == 1 and b"runner.py" in init_cmdline


def test_local_unshare_fallback_has_no_network():
    from scorer.sandbox import LocalSandbox
    from scorer.sandbox._local import available_isolation
    if "unshare" not in available_isolation():
        pytest.skip("unshare is not installed")
    import os
    import tempfile
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(1)
    port = srv.getsockname()[1]
    # the host's /tmp is visible under unshare: the runner must not empty it after a job
    fd, canary = tempfile.mkstemp(prefix="codeharvest-canary-", dir="/tmp")
    os.close(fd)
    if os.geteuid() == 0:
        os.chown(canary, 65534, 65534)
    try:
        with LocalSandbox(isolation="unshare") as sb:
            assert sb.describe() == "local:unshare"
            res = sb.run(SandboxJob(program="import socket\n", limits=LIM, tests=(
                SandboxTest(id="net", kind="exec", code=f"socket.create_connection(('127.0.0.1', {port}), timeout=1)"),
                SandboxTest(id="ok", kind="eval", code="6 * 7"))))
            assert [t.status for t in res.tests] == ["runtime_error", "passed"] and res.tests[1].value == 42
        assert os.path.exists(canary)
    finally:
        srv.close()
        os.unlink(canary)


def test_inputs_travel_as_data(box):
    """SandboxJob.inputs: marshal data bound in the program's namespace, fresh per child (a
    test that mutates an input does not change what the next child sees), no aliasing."""
    import marshal

    inputs = marshal.dumps([(1, 2), ([5, 6], {"k": (7.5, None)}), ("\u00e9", 2**80)], 2)
    job = SandboxJob(program=PROG, limits=LIM, inputs=inputs, isolation="per_test", tests=(
        SandboxTest(id="sum", kind="eval", code="add(*__codeharvest_inputs__[0])"),
        SandboxTest(id="mut", kind="eval", code="(__codeharvest_inputs__[1][0].append(9), __codeharvest_inputs__[1])[1]"),
        SandboxTest(id="fresh", kind="eval", code="__codeharvest_inputs__[1][0]"),
        SandboxTest(id="types", kind="eval", code="__codeharvest_inputs__[2]"),
    ))
    res = box.run(job)
    assert res.status == "ok", res.error
    values = {t.id: t.value for t in res.tests}
    assert [t.status for t in res.tests] == ["passed"] * 4
    assert values["sum"] == 3
    assert values["mut"] == ([5, 6, 9], {"k": (7.5, None)})
    assert values["fresh"] == [5, 6]
    assert values["types"] == ("\u00e9", 2**80)


def test_streamed_job_matches_the_plain_answer_and_can_be_stopped(box):
    """``on_test``: results come back one by one, in order, the same as a plain job's; a True
    answer kills the running test and cancels the rest; the runner then serves the next job
    (a cancel that arrives after its job ended is dropped, not read as a request)."""
    tests = (SandboxTest(id="a", kind="eval", code="add(1, 2)"),
             SandboxTest(id="b", kind="exec", code="boom()"),
             SandboxTest(id="c", kind="eval", code="[add(i, i) for i in range(3)]"))
    for isolation in ("shared", "per_test"):
        job = SandboxJob(program=PROG, limits=LIM, tests=tests, isolation=isolation)
        seen = []
        streamed = box.run(job, lambda i, r: seen.append((i, r.id, r.status)) and False)
        plain = box.run(job)
        assert seen == [(0, "a", "passed"), (1, "b", "runtime_error"), (2, "c", "passed")]
        assert [(t.id, t.status, t.value, t.stdout) for t in streamed.tests] == \
               [(t.id, t.status, t.value, t.stdout) for t in plain.tests]

    slow = SandboxJob(program=PROG, limits=LIM, isolation="shared", tests=(
        SandboxTest(id="first", kind="eval", code="add(2, 2)"),
        SandboxTest(id="hang", kind="exec", code="import time\ntime.sleep(30)", timeout_s=30),
        SandboxTest(id="never", kind="eval", code="add(3, 3)")))
    stopped = box.run(slow, lambda i, r: r.id == "first")
    assert [(t.id, t.status) for t in stopped.tests] == [("first", "passed"), ("hang", "cancelled"),
                                                         ("never", "cancelled")]
    assert stopped.tests[0].value == 4

    last = box.run(SandboxJob(program=PROG, limits=LIM, tests=tests[:1]), lambda i, r: True)
    assert [t.status for t in last.tests] == ["passed"]          # nothing left to stop
    after = box.run(SandboxJob(program=PROG, limits=LIM, tests=tests))
    assert [t.status for t in after.tests] == ["passed", "runtime_error", "passed"]
    assert box.ping()["ok"]


def test_streamed_job_of_a_program_that_does_not_load(box):
    job = SandboxJob(program="raise ValueError('x')\n", limits=Limits(timeout_s=2), isolation="shared",
                     tests=tuple(SandboxTest(id=str(i), kind="exec", code="pass") for i in range(3)))
    seen = []
    res = box.run(job, lambda i, r: seen.append(r.status) and False)
    assert seen == ["runtime_error"] * 3 and [t.status for t in res.tests] == seen
    assert all("while loading" in t.error for t in res.tests)


def test_a_failing_on_test_callback_leaves_a_working_sandbox(box):
    """A callback that raises (a scorer bug) leaves the runner mid-job: the sandbox replaces it,
    and the next job runs in a fresh one."""
    job = SandboxJob(program=PROG, limits=LIM, isolation="shared", tests=(
        SandboxTest(id="a", kind="eval", code="add(1, 2)"),
        SandboxTest(id="b", kind="exec", code="import time\ntime.sleep(30)", timeout_s=30)))

    def broken(i, r):
        raise KeyError("scorer bug")

    restarts = box.restarts
    with pytest.raises(KeyError):
        box.run(job, broken)
    assert box.restarts == restarts + 1
    after = box.run(SandboxJob(program=PROG, limits=LIM, tests=(job.tests[0],)))
    assert [(t.status, t.value) for t in after.tests] == [("passed", 3)]


# --------------------------------------------------------------------------- stdio programs
# Each stdio test must see what a fresh ``python3 program.py < input`` sees, also when several
# share one child (the scorer runs a task's stdio tests that way).

_CYCLES = """
n = int(data[0])
a = list(map(int, data[1:1 + n]))
order = sorted(range(n), key=lambda i: a[i])
seen = [False] * n
out = []
for s in range(n):
    if seen[s]:
        continue
    cyc = []
    j = s
    while not seen[j]:
        seen[j] = True
        cyc.append(j + 1)
        j = order[j]
    out.append(str(len(cyc)) + " " + " ".join(map(str, cyc)))
print(len(out))
print("\\n".join(out))
"""

# PyRival's fast I/O template (github.com/cheran-senthil/PyRival, templates/template.py), in
# front of countless contest solutions: it reads ``file.mode`` of sys.stdin/sys.stdout.
_PYRIVAL = '''
import os
import sys
from io import BytesIO, IOBase

BUFSIZE = 8192


class FastIO(IOBase):
    newlines = 0

    def __init__(self, file):
        self._fd = file.fileno()
        self.buffer = BytesIO()
        self.writable = "x" in file.mode or "r" not in file.mode
        self.write = self.buffer.write if self.writable else None

    def read(self):
        while True:
            b = os.read(self._fd, max(os.fstat(self._fd).st_size, BUFSIZE))
            if not b:
                break
            ptr = self.buffer.tell()
            self.buffer.seek(0, 2), self.buffer.write(b), self.buffer.seek(ptr)
        self.newlines = 0
        return self.buffer.read()

    def readline(self):
        while self.newlines == 0:
            b = os.read(self._fd, max(os.fstat(self._fd).st_size, BUFSIZE))
            self.newlines = b.count(b"\\n") + (not b)
            ptr = self.buffer.tell()
            self.buffer.seek(0, 2), self.buffer.write(b), self.buffer.seek(ptr)
        self.newlines -= 1
        return self.buffer.readline()

    def flush(self):
        if self.writable:
            os.write(self._fd, self.buffer.getvalue())
            self.buffer.truncate(0), self.buffer.seek(0)


class IOWrapper(IOBase):
    def __init__(self, file):
        self.buffer = FastIO(file)
        self.flush = self.buffer.flush
        self.writable = self.buffer.writable
        self.write = lambda s: self.buffer.write(s.encode("ascii"))
        self.read = lambda: self.buffer.read().decode("ascii")
        self.readline = lambda: self.buffer.readline().decode("ascii")


sys.stdin, sys.stdout = IOWrapper(sys.stdin), IOWrapper(sys.stdout)
input = lambda: sys.stdin.readline().rstrip("\\r\\n")
'''


@pytest.mark.parametrize("program", [
    "import sys\ndata = sys.stdin.read().split()\n" + _CYCLES,             # (the plain way)
    "data = open(0).read().split()\n" + _CYCLES,                           # closes fd 0 when done
    _PYRIVAL + "n = input()\ndata = [n] + input().split()\n" + _CYCLES,
    "import sys\ndata = sys.stdin.read().split()\n" + _CYCLES + "sys.stdout.close()\n",
    "import sys\ndata = sys.__stdin__.read().split()\n" + _CYCLES,
    # a file object on fd 0 kept in a global (a cycle through the module's functions): it
    # must not close the next test's stdin when the collector finally frees it
    "import gc\nf = open(0)\ndef parse():\n    return f.read().split()\ngc.collect()\ndata = parse()\n" + _CYCLES,
    # the whole answer buffered in a StringIO and written by an atexit handler (a common
    # speed idiom): the handlers run at the end of each test, as at interpreter exit
    "import atexit, io, sys\n_buf = io.StringIO()\nsys.stdout = _buf\n"
    "atexit.register(lambda: sys.__stdout__.write(_buf.getvalue()))\n"
    "data = sys.stdin.read().split()\n" + _CYCLES,
    # ... and its PyRival-style variant: bytes input from fd 0, output through os.write
    "import atexit, os, sys\nfrom io import BytesIO, StringIO\n"
    "input = BytesIO(os.read(0, os.fstat(0).st_size)).readline\n"
    "_OUT = StringIO()\nsys.stdout = _OUT\n\n@atexit.register\n"
    "def write():\n    os.write(1, _OUT.getvalue().encode())\n\n"
    "n = input()\ndata = [n] + input().split()\n" + _CYCLES,
    # the input parsed in a ThreadPoolExecutor left open (no ``with``, no shutdown): as at
    # interpreter exit, its idle workers are told to go before the threads are joined
    "import sys\nfrom concurrent.futures import ThreadPoolExecutor\nex = ThreadPoolExecutor(max_workers=2)\n"
    "data = ex.submit(lambda: sys.stdin.read().split()).result()\n"
    "data = list(ex.map(str.strip, data))\n" + _CYCLES,
], ids=["stdin", "open0", "pyrival", "stdout_close", "dunder_stdin", "open0_global", "atexit_stringio",
        "atexit_os_write", "thread_pool_left_open"])
def test_common_stdio_idioms_pass_every_apps_test(box, shared_data, program):
    """A correct APPS solution passes all its tests whatever way it reads and writes."""
    from benchmarks import Extraction, load_tasks
    from scorer import Scorer

    (task,) = [t for t in load_tasks("apps", data_dir=shared_data) if t.task_id == "mapcoder150/2096"]
    r = Scorer(box).score(task, Extraction("ok", code=program))
    assert (r.hidden_passed, r.hidden_total, r.error_type) == (10, 10, None), r


def test_shared_stdio_tests_each_start_as_a_fresh_interpreter(box):
    def run(program, *stdins):
        tests = tuple(SandboxTest(id=str(i), kind="stdio", stdin=s) for i, s in enumerate(stdins))
        res = box.run(SandboxJob(program=program, tests=tests, limits=LIM, isolation="shared"))
        return [(t.status, t.stdout) for t in res.tests]

    # the std streams look like the interpreter's own (PyRival's FastIO reads ``mode``)
    probe = ("import sys\nprint(sys.stdin.mode, sys.stdout.mode, sys.stderr.mode, sys.stdin.name, "
             "sys.stdout.name, sys.stderr.name, sys.stdin.buffer.mode, sys.stdout.buffer.mode, "
             "sys.stdin is sys.__stdin__, sys.stdout is sys.__stdout__, sys.stderr is sys.__stderr__)\n")
    assert run(probe, "", "") == [("passed", "r w w <stdin> <stdout> <stderr> rb wb True True True\n")] * 2
    # nothing read ahead by the previous test's sys.__stdin__ reaches the next one
    assert run("import sys\nprint(repr(sys.__stdin__.readline()))\n", "a\nb\n", "c\n") == \
        [("passed", "'a\\n'\n"), ("passed", "'c\\n'\n")]
    # fds 0-2 closed or replaced by one test are back for the next
    assert run("import os\nprint(input(), flush=True)\nfor fd in (0, 1, 2):\n    os.close(fd)\n",
               "x\n", "y\n", "z\n") == [("passed", "x\n"), ("passed", "y\n"), ("passed", "z\n")]
    assert run("import os\nprint(input(), flush=True)\nfd = os.open('f', os.O_WRONLY | os.O_CREAT)\n"
               "os.dup2(fd, 1)\nos.dup2(fd, 2)\n", "x\n", "y\n") == [("passed", "x\n"), ("passed", "y\n")]
    # a program's finalisers run within its own test, as at interpreter exit
    fin = ("class A:\n    def __del__(self):\n        print('bye', self.x)\n"
           "a = A()\na.x = input()\na.me = a\n")
    assert run(fin, "1\n", "2\n") == [("passed", "bye 1\n"), ("passed", "bye 2\n")]


def test_stdio_atexit_handlers_run_at_the_end_of_their_own_test(box):
    """As at interpreter exit (after the program's threads): a stdio test's atexit handlers run,
    last registered first, within that test; an exception in one is printed to stderr and the
    test keeps its status; none runs again in a later test of the same child."""
    def run(program, *stdins, isolation="shared", timeout_s=None):
        tests = tuple(SandboxTest(id=str(i), kind="stdio", stdin=s, timeout_s=timeout_s)
                      for i, s in enumerate(stdins))
        res = box.run(SandboxJob(program=program, tests=tests, limits=LIM, isolation=isolation))
        return res.tests

    prog = ("import atexit, sys, threading, time\ns = input()\n"
            "atexit.register(print, 'first registered', s)\n"
            "@atexit.register\ndef broken():\n    raise ValueError('handler of ' + s)\n"
            "if s == 'a':\n    atexit.register(print, 'only a')\n    atexit.register(sys.exit, 3)\n"
            "def late():\n    time.sleep(0.2)\n    print('thread', s)\n"
            "threading.Thread(target=late).start()\nprint('main', s)\n")
    for isolation in ("shared", "per_test"):
        res = run(prog, "a\n", "b\n", "c\n", isolation=isolation)
        assert [(t.status, t.stdout) for t in res] == [
            ("passed", "main a\nthread a\nonly a\nfirst registered a\n"),
            ("passed", "main b\nthread b\nfirst registered b\n"),
            ("passed", "main c\nthread c\nfirst registered c\n")], res
        for t, s in zip(res, "abc"):
            assert "Exception ignored in atexit callback" in t.stderr and f"ValueError: handler of {s}" in t.stderr
            assert t.stderr.count("ValueError") == 1
        assert "SystemExit: 3" in res[0].stderr
    # the program's own exit status stands; its handlers still run
    res = run("import atexit, sys\natexit.register(print, 'bye')\nsys.exit(int(input()))\n", "0\n", "3\n")
    assert [(t.status, t.stdout) for t in res] == [("passed", "bye\n"), ("runtime_error", "bye\n")]
    # a weakref.finalize (it registers an atexit handler of its own) runs in every test
    fin = ("import weakref\nclass A:\n    pass\na = A()\na.me = a\n"
           "weakref.finalize(a, print, 'finalized', input())\n")
    assert [(t.status, t.stdout) for t in run(fin, "1\n", "2\n")] == [("passed", "finalized 1\n"),
                                                                        ("passed", "finalized 2\n")]


def test_a_stdio_thread_pool_left_open_ends_with_its_test(box):
    """As ``threading._shutdown`` at interpreter exit: the callbacks registered with
    ``threading._register_atexit`` (concurrent.futures tells its idle workers to go) run
    before the program's threads are joined, in every test of a child (the module registers
    once, when first imported); the next test can use executors again."""
    def run(program, *stdins, isolation="shared"):
        tests = tuple(SandboxTest(id=str(i), kind="stdio", stdin=s) for i, s in enumerate(stdins))
        res = box.run(SandboxJob(program=program, tests=tests, limits=LIM, isolation=isolation))
        return [(t.status, t.stdout, t.stderr) for t in res.tests]

    left_open = ("from concurrent.futures import ThreadPoolExecutor\nex = ThreadPoolExecutor(2)\n"
                 "print(ex.submit(pow, 2, int(input())).result())\n")
    with_block = ("from concurrent.futures import ThreadPoolExecutor\nn = int(input())\n"
                  "with ThreadPoolExecutor(2) as ex:\n    print(sum(ex.map(pow, [2] * n, range(n))))\n"
                  "ex = ThreadPoolExecutor(2)\nprint(ex.submit(pow, 3, n).result())\n")
    for isolation in ("shared", "per_test"):
        assert run(left_open, "10\n", "3\n", "5\n", isolation=isolation) == [
            ("passed", "1024\n", ""), ("passed", "8\n", ""), ("passed", "32\n", "")]
        # one program per job, but the child is shared between the tests of a job: after a
        # test that left an executor open, the next (the same program) opens new ones
        assert run(left_open + with_block, "10\n4\n", "3\n2\n", isolation=isolation) == [
            ("passed", "1024\n15\n81\n", ""), ("passed", "8\n3\n9\n", "")]
    # the same for a ProcessPoolExecutor left open (its module's flag is reset as well)
    proc = left_open.replace("Thread", "Process")
    assert [r[:2] for r in run(proc, "10\n", "3\n")] == [("passed", "1024\n"), ("passed", "8\n")]
    # a callback the program registers itself runs at the end of its own test only
    own = ("import threading, time\ns = input()\n"
           "threading._register_atexit(print, 'before the threads', s, flush=True)\n"
           "def late():\n    time.sleep(0.2)\n    print('thread', s)\n"
           "threading.Thread(target=late).start()\n")
    assert [r[:2] for r in run(own, "a\n", "b\n")] == [
        ("passed", "before the threads a\nthread a\n"), ("passed", "before the threads b\nthread b\n")]


def test_a_stdio_atexit_handler_that_hangs_is_a_timeout(box):
    """A handler runs within its test: the test's time limit bounds it, and the next test
    runs normally (in a new child, without that handler)."""
    prog = ("import atexit\ns = input()\nprint(s, flush=True)\n"
            "if s == 'hang':\n    atexit.register(lambda: [None for _ in iter(int, 1)])\n"
            "atexit.register(print, 'exit', s, flush=True)  # (runs first)\n")
    tests = tuple(SandboxTest(id=str(i), kind="stdio", stdin=s, timeout_s=0.5)
                  for i, s in enumerate(("a\n", "hang\n", "b\n")))
    for isolation in ("shared", "per_test"):
        t0 = time.monotonic()
        res = box.run(SandboxJob(program=prog, tests=tests, limits=LIM, isolation=isolation)).tests
        assert [(t.status, t.stdout) for t in res] == [
            ("passed", "a\nexit a\n"), ("timeout", "hang\nexit hang\n"), ("passed", "b\nexit b\n")], res
        assert 0.4 < res[1].duration_s < 2 and time.monotonic() - t0 < 10


def test_exec_and_eval_std_streams_look_like_the_interpreters(box):
    """A program loaded once for call tests may wrap sys.stdout at import (PyRival)."""
    res = box.run(SandboxJob(program=_PYRIVAL + "def f(x):\n    print(x)\n    return x + 1\n", limits=LIM,
                             tests=(SandboxTest(id="a", kind="eval", code="f(1)"),
                                    SandboxTest(id="b", kind="eval", code="f(2)")), isolation="shared"))
    assert [(t.status, t.value, t.stdout) for t in res.tests] == [("passed", 2, "1\n"), ("passed", 3, "2\n")]
    res = box.run(SandboxJob(program="import sys\n", limits=LIM, tests=(SandboxTest(
        id="a", kind="eval", code="(sys.stdout.mode, sys.stdout.name, sys.stderr.mode, sys.stderr.name, "
                                  "sys.__stdout__ is sys.stdout)"),)))
    assert res.tests[0].value == ("w", "<stdout>", "w", "<stderr>", True)


# --------------------------------------------------------------------------- loading limit
def test_the_load_limit_does_not_depend_on_how_inputs_are_split(box):
    """Loading the program gets a limit from the job's limits (2 x timeout_s here, 10 s at most
    unless timeout_s is larger), not the first test's timeout: the same import passes, or
    times out, whether the inputs come as one long test or as several short ones."""
    lim = Limits(timeout_s=1, memory_mb=256, output_bytes=1 << 16, max_procs=16, file_size_mb=4)
    for sleep_s, status in ((1.3, "passed"), (2.5, "timeout")):
        prog = f"import time\ntime.sleep({sleep_s})\ndef f(x):\n    return x\n"
        one = SandboxJob(program=prog, limits=lim, isolation="shared",
                         tests=(SandboxTest(id="all", kind="eval", code="[f(i) for i in range(4)]", timeout_s=5),))
        many = SandboxJob(program=prog, limits=lim, isolation="shared",
                          tests=tuple(SandboxTest(id=str(i), kind="eval", code=f"f({i})", timeout_s=0.5)
                                      for i in range(4)))
        assert [t.status for t in box.run(one).tests] == [status]
        res = box.run(many)
        assert [t.status for t in res.tests] == [status] * 4
        if status == "timeout":
            assert "while loading" in res.tests[0].error and res.tests[0].duration_s < 3


def test_slow_loads_stay_within_the_hosts_deadline_for_the_job(box):
    """Each child loads the program again; loads together get no more than the tests' timeouts
    plus a slack, so a program slow to load that dies in every test does not keep the runner
    past the host's deadline for the job (which would replace the runner)."""
    lim = Limits(timeout_s=1, memory_mb=256, output_bytes=1 << 16, max_procs=16, file_size_mb=4)
    prog = "import time\ntime.sleep(1.5)\ndef f():\n    import os\n    os._exit(3)\n"
    tests = tuple(SandboxTest(id=str(i), kind="exec", code="f()", timeout_s=0.2) for i in range(18))
    restarts = box.restarts
    res = box.run(SandboxJob(program=prog, tests=tests, limits=lim))
    assert res.status == "ok" and box.restarts == restarts
    statuses = [t.status for t in res.tests]
    assert statuses[0] == "runtime_error" and statuses[-1] == "timeout", statuses
    assert "while loading" in res.tests[-1].error


def test_a_slow_import_gets_the_same_verdict_with_fast_fail(box, shared_data):
    """Fast-fail's first call batch (4 inputs) has a 9 s limit, a default-mode batch of 64 up to
    65 s: neither may be the limit for loading the program."""
    from benchmarks import Extraction, load_tasks
    from scorer import Scorer

    (task,) = [t for t in load_tasks("humaneval-plus", data_dir=shared_data) if t.task_id == "HumanEval/0"]
    program = "import time\ntime.sleep(9.4)\n" + task.reference
    fast = Scorer(box, fast_fail=True).score(task, Extraction("ok", code=program))
    exact = Scorer(box).score(task, Extraction("ok", code=program))
    assert (fast.pass_hidden, fast.error_type) == (exact.pass_hidden, exact.error_type) == (True, None)
