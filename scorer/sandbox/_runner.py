"""codeharvest sandbox job runner: one stdlib-only file, run inside the sandbox.

The same file is copied into the Docker image (``/opt/codeharvest/runner.py``) and started
by the local backend under ``bwrap``. It never executes untrusted code itself: for every job
it forks children (one per test with ``per_test`` isolation, one for a run of tests with
``shared`` isolation) that set rlimits, start a new session, install a seccomp filter that
forbids signalling/ptracing the runner, and only then load the untrusted program.

Channel (host <-> runner): length-prefixed JSON frames (4-byte big-endian length) over
``--socket PATH`` (a Unix socket in a bind-mounted directory; Docker backend) or ``--stdio``
(the runner's stdin/stdout pipes; local backend). Requests: ``{"op": "ping"}`` and
``{"op": "run", "job": {...}}``; the runner answers each with one frame. A job with
``"stream": true`` is answered test by test instead: one ``{"status": "partial", "index": i,
"test": {...}}`` frame per test as it finishes, then ``{"status": "ok", "streamed": n}``;
meanwhile the host may send ``{"op": "cancel"}`` (it has seen enough, e.g. a first failing
test): the running child is killed and every test not finished is answered ``cancelled``. A
cancel that arrives after its job ended is dropped unanswered.

Channel (runner <-> child): fd 3 carries test messages runner -> child, fd 4 carries reports
child -> runner; the child's fds 1/2 are pipes the runner drains and caps.

Forgery resistance of results (the threat model; see also docs of ``scorer.sandbox``):
  * A report only counts when it carries the per-test nonce. The runner draws the nonce
    after the child has forked and sends it with the test *after* the program has loaded,
    so a program cannot write a valid report at import time (writing fake frames to fd 4,
    to stdout or to any other fd reads as tampering -> ``failed``).
  * No report = no pass: ``os._exit(0)``/``sys.exit(0)`` before or during a test, closing
    fd 4, or dying any other way is a failure (``runtime_error``/``killed``/...).
  * The harness keeps its own references to ``exec``/``eval``/``compile``/``os.write``/
    ``os._exit``/the codec, captured before the program loads, so patching ``builtins``,
    ``sys.modules``, ``sys.exit``, ``os.write`` or ``json`` does not change what it does.
  * What a child can read: its program and the tests it was sent. Children are spares
    forked while the runner was idle, before the job existed (4 are kept ready); only a job
    needing more children than that forks from a runner holding the job, where an
    introspecting program could find the job's other ``exec``/``stdio`` test code in memory.
    Expected values of ``eval`` tests never enter the sandbox.
  * Still forgeable inside one process (documented, not fixable without a second process
    per test): a program that walks the interpreter (``sys._getframe``, ``gc``), uses
    ``ctypes`` to rewrite memory, swaps the harness' function ``__code__`` or leaves a
    thread that steals the nonce can write a valid report; and an ``exec`` assertion such as
    ``assert candidate(x) == y`` is defeated by returning an object whose ``__eq__`` is
    always true. ``eval`` tests avoid all of this: the child only returns a *value*, encoded
    with a restricted codec that emits plain builtin data (exact types, never user classes),
    and the comparison with the expected value happens on the trusted host, which never
    sends the expected value into the sandbox. The only way to "forge" an eval test is to
    produce the right value, i.e. to solve it.
"""
from __future__ import annotations

import atexit
import base64
import errno
import fcntl
import gc
import io
import json
import marshal
import math
import os
import resource
import select
import shutil
import signal
import socket
import struct
import sys
import time
import types

# Everything a child needs is imported here, once: an import in a forked child costs
# milliseconds per test.

PROTOCOL = 1
_FRAME = struct.Struct(">I")
_MAX_FRAME = 256 << 20          # host/runner frames
_MAX_REPORT = 64 << 20          # child -> runner report frames
_TAIL = 4096                    # chars of stdout/stderr kept for exec/eval tests
_CTL_FD, _RES_FD, _SCRATCH_FD, _PROC_FD = 3, 4, 5, 6
_F_SETPIPE_SZ = getattr(fcntl, "F_SETPIPE_SZ", 1031)
_LOAD_FLOOR_S = 10.0            # loading the program: see Runner._load_limit
_LOAD_SLACK_S = 10.0            # ... and Runner.run_job (within the host's 15 s of slack)
_RLIMIT_MSGQUEUE = getattr(resource, "RLIMIT_MSGQUEUE", None)     # (Linux)


# --------------------------------------------------------------------------- value codec
# Encode side of the restricted tagged-JSON codec (decode side: scorer/sandbox/_value_codec.py).
# Only exact builtin types are encoded as themselves; subclasses are encoded by value as
# their builtin base; numpy scalars/arrays through .tolist(); anything else is
# {"__unsupported__": type name, "repr": ...}.

_MAX_DEPTH = 100
_BIG = 1 << 62


def _float_enc(x):
    if math.isfinite(x):
        return x
    return {"__float__": "nan" if math.isnan(x) else ("inf" if x > 0 else "-inf")}


def _unsupported(x, why=""):
    try:
        r = repr(x)
    except BaseException:  # noqa: BLE001 - untrusted __repr__
        r = "<repr failed>"
    out = {"__unsupported__": type(x).__name__ if not why else why, "repr": r[:200]}
    return out


_TEXT_TYPES = frozenset((str, bool, type(None)))
_NUMBER_TYPES = frozenset((int, float, bool))


def _plain_list(x):
    """A flat list JSON carries as it is (C speed): str/bool/None, or finite numbers with
    every int within the untagged range."""
    types = set(map(type, x))
    if types <= _TEXT_TYPES:
        return True
    if types <= _NUMBER_TYPES:
        try:
            return all(map(math.isfinite, x)) and -_BIG < min(x) and max(x) < _BIG
        except (OverflowError, ValueError):
            return False
    return False


def encode_value(x, _depth=0):
    """Encode ``x`` into plain JSON data (tagged where JSON has no type)."""
    if _depth > _MAX_DEPTH:
        return {"__unsupported__": "too_deep", "repr": ""}
    t = type(x)
    d = _depth + 1
    if x is None or t is bool or t is str:
        return x
    if t is int:
        return x if -_BIG < x < _BIG else {"__int__": hex(x)}
    if t is float:
        return _float_enc(x)
    if t is list:
        if len(x) > 8 and _plain_list(x):
            return x
        return [encode_value(v, d) for v in x]
    if t is tuple:
        return {"__tuple__": [encode_value(v, d) for v in x]}
    if t is dict:
        return {"__dict__": [[encode_value(k, d), encode_value(v, d)] for k, v in x.items()]}
    if t is set:
        return {"__set__": [encode_value(v, d) for v in x]}
    if t is frozenset:
        return {"__frozenset__": [encode_value(v, d) for v in x]}
    if t is bytes:
        return {"__bytes__": base64.b64encode(x).decode("ascii")}
    if t is complex:
        return {"__complex__": [_float_enc(x.real), _float_enc(x.imag)]}
    # Subclasses: encode by value as the builtin base (no user methods reach the host).
    try:
        if isinstance(x, int):
            return encode_value(int.__int__(x), _depth)
        if isinstance(x, float):
            return _float_enc(float.__float__(x))
        if isinstance(x, str):
            return str.__str__(x)
        if isinstance(x, complex):
            return encode_value(complex(float.__float__(x.real), float.__float__(x.imag)), _depth)
        if isinstance(x, (bytes, bytearray, memoryview)):
            return encode_value(bytes(x), _depth)
        if isinstance(x, tuple):
            return {"__tuple__": [encode_value(v, d) for v in tuple.__iter__(x)]}
        if isinstance(x, list):
            return [encode_value(v, d) for v in list.__iter__(x)]
        if isinstance(x, dict):
            return {"__dict__": [[encode_value(k, d), encode_value(v, d)] for k, v in dict.items(x)]}
        if isinstance(x, frozenset):
            return {"__frozenset__": [encode_value(v, d) for v in frozenset.__iter__(x)]}
        if isinstance(x, set):
            return {"__set__": [encode_value(v, d) for v in set.__iter__(x)]}
        if (getattr(t, "__module__", "") or "").split(".")[0] == "numpy" and hasattr(x, "tolist"):
            return encode_value(x.tolist(), d)
    except RecursionError:
        return {"__unsupported__": "too_deep", "repr": ""}
    except BaseException:  # noqa: BLE001 - untrusted methods
        pass
    return _unsupported(x)


# --------------------------------------------------------------------------- framing
def _write_all(fd, data):
    view = memoryview(data)
    while view:
        try:
            n = os.write(fd, view)
        except InterruptedError:
            continue
        view = view[n:]


def _read_exact(fd, n):
    buf = bytearray()
    while len(buf) < n:
        try:
            chunk = os.read(fd, min(n - len(buf), 1 << 20))
        except InterruptedError:
            continue
        if not chunk:
            return None
        buf += chunk
    return bytes(buf)


def send_frame(fd, obj):
    data = json.dumps(obj, separators=(",", ":")).encode("utf-8")
    _write_all(fd, _FRAME.pack(len(data)) + data)


def read_frame(fd, limit=_MAX_FRAME):
    head = _read_exact(fd, 4)
    if head is None:
        return None
    (n,) = _FRAME.unpack(head)
    if n > limit:
        raise ValueError("frame too large")
    body = _read_exact(fd, n)
    if body is None:
        return None
    return json.loads(body)


# --------------------------------------------------------------------------- seccomp
_SYSCALLS = {
    "x86_64": (0xC000003E, dict(kill=62, tkill=200, tgkill=234, rt_sigqueueinfo=129,
                                rt_tgsigqueueinfo=297, ptrace=101, process_vm_readv=310,
                                process_vm_writev=311, fcntl=72, ioctl=16, prlimit64=302,
                                pidfd_send_signal=424, pidfd_open=434, pidfd_getfd=438,
                                process_madvise=440)),
    "aarch64": (0xC00000B7, dict(kill=129, tkill=130, tgkill=131, rt_sigqueueinfo=138,
                                 rt_tgsigqueueinfo=240, ptrace=117, process_vm_readv=270,
                                 process_vm_writev=271, fcntl=25, ioctl=29, prlimit64=261,
                                 pidfd_send_signal=424, pidfd_open=434, pidfd_getfd=438,
                                 process_madvise=440)),
}
_libc = None


def _c():
    """libc through ctypes (loaded once, in the runner, before any fork)."""
    global _libc
    if _libc is None:
        import ctypes
        _libc = ctypes.CDLL(None, use_errno=True)
    return _libc


_PRCTL_ARGS = {}    # prctl argument tuples (c_ulong), built in the runner before any fork


def _prctl_args(*args):
    """Prepare (in the runner) the C arguments of one prctl call; children reuse them: a
    child then calls libc without building ctypes objects (each page it touches after the
    fork costs a copy-on-write fault)."""
    import ctypes
    key = args
    if key not in _PRCTL_ARGS:
        _PRCTL_ARGS[key] = (ctypes.c_int(args[0]),) + tuple(
            ctypes.c_ulong(a) for a in args[1:] + (0, 0, 0, 0)[:5 - len(args)])
    return _PRCTL_ARGS[key]


def _prctl(*args):
    return _c().prctl(*_prctl_args(*args))


def _seccomp_program(protected):
    """A BPF filter: signals, ptrace, pidfds and F_SETOWN aimed at the runner fail with EPERM."""
    import platform
    arch = platform.machine()
    if arch not in _SYSCALLS:
        return None
    audit, nr = _SYSCALLS[arch]
    LD, JEQ, JGE, RET = 0x20, 0x15, 0x35, 0x06
    ALLOW, DENY = 0x7FFF0000, 0x00050000 | errno.EPERM
    prog = []  # (code, jt, jf, k) with labels as strings

    def ins(code, k, jt=0, jf=0):
        prog.append([code, jt, jf, k])

    def label(name):
        prog.append(name)

    def arg_lo(i):
        return 16 + 8 * i          # little endian: low word of args[i]

    ins(LD, 4)
    ins(JEQ, audit, 0, "deny")
    ins(LD, 0)
    if arch == "x86_64":
        ins(JGE, 0x40000000, "deny", 0)     # x32 ABI
    for name in ("kill", "tkill", "rt_sigqueueinfo", "pidfd_open"):
        ins(JEQ, nr[name], "pid0", 0)
    for name in ("tgkill", "rt_tgsigqueueinfo"):
        ins(JEQ, nr[name], "pid01", 0)
    ins(JEQ, nr["prlimit64"], "zero0", 0)
    ins(JEQ, nr["fcntl"], "fcntl", 0)
    ins(JEQ, nr["ioctl"], "ioctl", 0)
    for name in ("ptrace", "process_vm_readv", "process_vm_writev", "pidfd_send_signal",
                 "pidfd_getfd", "process_madvise"):
        ins(JEQ, nr[name], "deny", 0)
    ins(RET, ALLOW)
    label("pid01")
    ins(LD, arg_lo(1))
    for p in protected:
        ins(JEQ, p, "deny", 0)
    label("pid0")
    ins(LD, arg_lo(0))
    for p in protected:
        ins(JEQ, p, "deny", 0)
    ins(RET, ALLOW)
    label("zero0")
    ins(LD, arg_lo(0))
    ins(JEQ, 0, 0, "deny")
    ins(LD, arg_lo(0) + 4)
    ins(JEQ, 0, "allow", "deny")
    label("fcntl")
    ins(LD, arg_lo(1))
    ins(JEQ, 8, "deny", 0)      # F_SETOWN
    ins(JEQ, 15, "deny", 0)     # F_SETOWN_EX
    ins(RET, ALLOW)
    label("ioctl")
    ins(LD, arg_lo(1))
    ins(JEQ, 0x8901, "deny", 0)  # FIOSETOWN
    ins(JEQ, 0x8902, "deny", 0)  # SIOCSPGRP
    label("allow")
    ins(RET, ALLOW)
    label("deny")
    ins(RET, DENY)
    # resolve labels
    pos, out = {}, []
    for item in prog:
        if isinstance(item, str):
            pos[item] = len(out)
        else:
            out.append(item)
    for i, item in enumerate(out):
        for j in (1, 2):
            if isinstance(item[j], str):
                off = pos[item[j]] - (i + 1)
                if not 0 <= off <= 255:
                    return None
                item[j] = off
    return out


_SECCOMP_KEEP = []   # the filter, built once in the runner (children only call prctl)


def _prepare_seccomp(protected):
    import ctypes
    prog = _seccomp_program(protected)
    if prog is None:
        return None

    class SockFilter(ctypes.Structure):
        _fields_ = [("code", ctypes.c_ushort), ("jt", ctypes.c_ubyte), ("jf", ctypes.c_ubyte),
                    ("k", ctypes.c_uint)]

    class SockFprog(ctypes.Structure):
        _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.POINTER(SockFilter))]

    arr = (SockFilter * len(prog))(*[SockFilter(c, jt, jf, k) for c, jt, jf, k in prog])
    fprog = SockFprog(len(prog), arr)
    _SECCOMP_KEEP[:] = [arr, fprog]
    return ctypes.addressof(fprog)


def _install_seccomp(addr):
    if not addr:
        return False
    if _prctl(38, 1) != 0:                          # PR_SET_NO_NEW_PRIVS
        return False
    return _prctl(22, 2, addr) == 0                 # PR_SET_SECCOMP, SECCOMP_MODE_FILTER


def _protected_values():
    vals = {0xFFFFFFFF}
    for p in {1, os.getpid(), os.getppid(), os.getpgid(0)}:
        if p > 0:
            vals.add(p & 0xFFFFFFFF)
            vals.add((-p) & 0xFFFFFFFF)
    return sorted(vals)


# --------------------------------------------------------------------------- the child
# The environment of every child, but HOME and TMPDIR (its own work directory).
_CHILD_ENV = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": "/tmp", "TMPDIR": "/tmp",
              "LANG": "C.UTF-8", "PYTHONDONTWRITEBYTECODE": "1"}
_STD = []       # the child's sys.stdout/sys.stderr, built once in the runner (see _make_std)
_REPORT_ENC = json.JSONEncoder(separators=(",", ":")).encode   # == json.dumps(.., separators=)
_HARD = {}      # the runner's hard rlimits (children inherit them unchanged)
# Standard modules benchmark programs import (every HumanEval prompt: ``from typing import
# List``, ~6 ms per child) and the digest helpers use (hashlib): imported once here, so a
# child's import is a dictionary lookup. Each child is a fresh fork of this pristine state:
# what one job does to a module never reaches another. Kept short: every preloaded page makes
# each fork dearer (20 modules cost ~0.25 ms a job; these ~0.05 ms).
_PRELOAD = ("typing", "hashlib", "math", "itertools", "heapq", "bisect", "string")
# Set-up code (the scorer's helpers, test imports) compiled once here and inherited by the
# children forked afterwards; trusted source from the host, keyed by its text.
_SETUP_CODE = {}
_SETUP_CODE_MAX = 16
_ENV_FAST = ""  # the encoding of os.environ's bytes keys, when the fast path applies


def _std_stream(fd, mode):
    """A text stream on fd 0, 1 or 2 built as the interpreter builds sys.stdin/stdout/stderr
    (FileIO -> Buffered* -> TextIOWrapper) and with the same attributes: ``mode`` "r"/"w",
    ``name`` "<stdin>"/"<stdout>"/"<stderr>", ``buffer``, ``fileno()``. Programs look at them:
    PyRival's FastIO template (``"r" not in file.mode``) is in countless contest solutions.
    It never closes its fd."""
    raw = io.FileIO(fd, mode, closefd=False)
    raw.name = ("<stdin>", "<stdout>", "<stderr>")[fd]
    buf = io.BufferedReader(raw) if mode == "r" else io.BufferedWriter(raw)
    s = io.TextIOWrapper(buf, encoding="utf-8", errors="replace" if mode == "r" else "backslashreplace",
                         line_buffering=fd == 2)
    s.mode = mode               # (an instance attribute, as CPython sets it on its own)
    return s


def _make_std():
    """Text streams on fds 1 and 2 for the children, built once in the runner while fds 1/2
    are pipes (as in a child), so a child only assigns them."""
    r, w = os.pipe()
    saved = os.dup(1), os.dup(2)
    try:
        os.dup2(w, 1)
        os.dup2(w, 2)
        _STD[:] = [_std_stream(1, "w"), _std_stream(2, "w")]
    finally:
        os.dup2(saved[0], 1)
        os.dup2(saved[1], 2)
        for fd in saved + (r, w):
            os.close(fd)


def _read_ctl_frame(fd):
    """A runner -> child frame (marshal: trusted data, and far fewer pages touched than json)."""
    head = _read_exact(fd, 4)
    if head is None:
        return None
    body = _read_exact(fd, _FRAME.unpack(head)[0])
    return None if body is None else marshal.loads(body)

# Signals a child must see with their default action; Runner.__init__ resets them in the runner
# itself and keeps here only those it could not (so a child rarely needs a signal() call).
_RESET_SIGNALS = [signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGCHLD]

def _child_main(scratch, seccomp_addr, have_proc_fd=False):
    """Runs in the forked child: confine, load the program, then answer tests from fd 3.

    The child is forked before its job is known (a spare, while the runner is idle): it does
    the job-independent set-up first, then reads a start frame (limits, program) from fd 3."""
    # Objects inherited from the runner go to the permanent generation (O(1)), so the child's
    # collections never walk (write the GC headers of, i.e. copy the pages of) the runner's
    # young objects. The program's own objects are collected as usual.
    gc.freeze()
    gc.enable()
    # A new process group (killpg target). Not setsid(): with scheduler autogroups it costs
    # ~3 ms per child; the runner's own session has no controlling terminal (bwrap
    # --new-session / docker without tty), and processes that setsid() themselves are caught
    # by the PID-namespace sweep after each child.
    os.setpgid(0, 0)
    try:
        _prctl(1, signal.SIGKILL)                       # PR_SET_PDEATHSIG
    except Exception:  # noqa: BLE001
        pass
    for sig in _RESET_SIGNALS:                          # usually none: see Runner.__init__
        signal.signal(sig, signal.SIG_DFL)
    name = "job-%d" % os.getpid()
    work = (scratch if scratch.endswith("/") else scratch + "/") + name
    try:
        os.mkdir(name, 0o700, dir_fd=_SCRATCH_FD)       # relative: no lookup from "/"
    except FileExistsError:                             # a leftover of a reused pid
        _force_remove(work)
        os.mkdir(name, 0o700, dir_fd=_SCRATCH_FD)
    fd = os.open(name, os.O_RDONLY | os.O_DIRECTORY, dir_fd=_SCRATCH_FD)
    os.fchdir(fd)
    os.close(fd)
    os.close(_SCRATCH_FD)
    # The runner's own environment is already exactly _CHILD_ENV (Runner.__init__): only the
    # per-child values are set here, far cheaper than rebuilding it in every child. Through
    # C calls (setenv and the mapping's dict): os.environ's __setitem__ is Python code that
    # runs only here, in a fresh child, where its first executions write the adaptive
    # interpreter's counters into code objects (more copy-on-write faults).
    data = getattr(os.environ, "_data", None)
    if _ENV_FAST and type(data) is dict and len(data) == len(_CHILD_ENV):
        wb = work.encode(_ENV_FAST, "surrogateescape")
        for key in ("HOME", "TMPDIR"):
            os.putenv(key, work)
            data[key.encode(_ENV_FAST, "surrogateescape")] = wb
    else:
        if os.environ.keys() != _CHILD_ENV.keys():
            os.environ.clear()
            os.environ.update(_CHILD_ENV)
        os.environ["HOME"] = work
        os.environ["TMPDIR"] = work
    job = _read_ctl_frame(_CTL_FD)
    if job is None:
        os._exit(0)
    # Only now, with its own job, does the child become dumpable (its own /proc files, e.g.
    # oom_score_adj). An idle spare stays non-dumpable like the runner, so a job running
    # meanwhile (same uid) cannot write into it through /proc/<pid>/mem and forge a later job.
    try:
        _prctl(4, 1)                                    # PR_SET_DUMPABLE
    except Exception:  # noqa: BLE001
        pass
    try:                                                # the OOM killer picks tests first
        if have_proc_fd:
            fd = os.open("%d/oom_score_adj" % os.getpid(), os.O_WRONLY, dir_fd=_PROC_FD)
        else:
            fd = os.open("/proc/self/oom_score_adj", os.O_WRONLY)
        os.write(fd, b"1000")
        os.close(fd)
    except OSError:
        pass
    if have_proc_fd:
        os.close(_PROC_FD)
    limits = job["limits"]
    mb = 1 << 20
    cpu = int(math.ceil(job.get("cpu_s", 10))) + 1
    for res, val in ((resource.RLIMIT_AS, int(limits["memory_mb"]) * mb),
                     (resource.RLIMIT_CPU, cpu),
                     # NPROC counts every process of this uid in the sandbox: add the
                     # runner's own (init, runner, idle spares, this child)
                     (resource.RLIMIT_NPROC, int(limits["max_procs"]) + int(job.get("nproc_base", 0))),
                     (resource.RLIMIT_FSIZE, int(limits["file_size_mb"]) * mb),
                     (resource.RLIMIT_CORE, 0),
                     (resource.RLIMIT_NOFILE, 256),
                     # no POSIX message queue can be created: one would outlive the job in
                     # the sandbox's IPC namespace (/dev/mqueue) and carry data to the next
                     (_RLIMIT_MSGQUEUE, 0)):
        if res is None:
            continue
        try:
            hard = _HARD[res] if res in _HARD else resource.getrlimit(res)[1]
            if hard != resource.RLIM_INFINITY:
                val = min(val, hard)
            resource.setrlimit(res, (val, val))
        except (ValueError, OSError):
            pass
    _install_seccomp(seccomp_addr)

    # Captured before the program loads: the program may patch the originals.
    _read, _write, _exit, _close = os.read, os.write, os._exit, os.close
    _exec, _eval, _compile, _isinst = exec, eval, compile, isinstance
    _dumps, _loads, _pack, _unpack = _REPORT_ENC, marshal.loads, _FRAME.pack, _FRAME.unpack
    _encode, _perf = encode_value, time.perf_counter
    _AssertionError, _SystemExit, _MemoryError = AssertionError, SystemExit, MemoryError
    _SyntaxError, _BaseException, _str, _type, _len = SyntaxError, BaseException, str, type, len
    _memfd = getattr(os, "memfd_create", None)
    _dup2, _lseek, _fcntl, _F_DUPFD = os.dup2, os.lseek, fcntl.fcntl, fcntl.F_DUPFD_CLOEXEC
    _stream, _ModuleType, _FunctionType = _std_stream, types.ModuleType, types.FunctionType
    _collect, _freeze = gc.collect, gc.freeze
    _run_exitfuncs, _clear_exitfuncs = atexit._run_exitfuncs, atexit._clear
    _modules = sys.modules
    # The capture pipes of fds 1/2 once more (close-on-exec): each stdio test gets them back
    # on fds 1/2, whatever the test before did there (os.close(1), a file dup2-ed onto 2).
    _pipes = ((1, os.dup(1)), (2, os.dup(2)))

    sys.stdout, sys.stderr = _STD if _STD else (_stream(1, "w"), _stream(2, "w"))
    sys.__stdout__, sys.__stderr__ = sys.stdout, sys.stderr
    std = sys.stdout, sys.stderr
    streams = list(std)         # the current test's own (a stdio test gets new ones)

    def _flush():
        for s in (sys.stdout, sys.stderr, *streams, *std):
            try:
                s.flush()
            except _BaseException:  # noqa: BLE001
                pass

    def _report(obj):
        _flush()
        data = _dumps(obj).encode("utf-8")
        _write(_RES_FD, _pack(_len(data)) + data)

    def _join_threads():
        """As the interpreter does at exit: wait for the program's non-daemon threads (a
        common contest idiom runs ``main`` in a thread with a larger stack); the runner's
        deadline still bounds the wait."""
        threading = _modules.get("threading")
        if threading is None:
            return
        try:
            me = threading.current_thread()
            for t in list(threading.enumerate()):
                if t is not me and not t.daemon:
                    t.join()
        except _BaseException:  # noqa: BLE001 - the program's own threading module
            pass

    def _threading_atexit():
        """As ``threading._shutdown`` at interpreter exit, before it joins the non-daemon
        threads: the callbacks of ``threading._register_atexit`` run, last registered first,
        an exception in one ignored. concurrent.futures registers one there when first
        imported (once a child): it tells idle ThreadPoolExecutor workers to go, so a program
        that leaves an executor open ends. The list is kept for the later tests of this
        child, but for callbacks the program registered itself (not at a module's import)."""
        threading = _modules.get("threading")
        if threading is None:
            return
        try:
            calls = threading._threading_atexits
            todo = list(calls)
        except _BaseException:  # noqa: BLE001 - the program's own threading module
            return
        for call in reversed(todo):
            try:
                call()
            except _BaseException:  # noqa: BLE001
                pass
        try:
            calls[:] = [c for c in calls if _a_modules_own(getattr(c, "func", c))]
        except _BaseException:  # noqa: BLE001
            pass

    def _a_modules_own(func):
        """Whether ``func`` is a function of an imported module (not __main__'s, a builtin's
        or a lambda's of the program): what registers at import, once a process."""
        if _type(func) is not _FunctionType:
            return False
        g = func.__globals__
        name = g.get("__name__")
        mod = _modules.get(name) if _isinst(name, _str) and name != "__main__" else None
        return mod is not None and getattr(mod, "__dict__", None) is g

    def _fresh_futures():
        """concurrent.futures as before the callbacks above ran (they mark the interpreter as
        shutting down: a later test could not submit to a new executor)."""
        for name, flag, table in (("concurrent.futures.thread", "_shutdown", "_threads_queues"),
                                  ("concurrent.futures.process", "_global_shutdown", "_threads_wakeups")):
            mod = _modules.get(name)
            if mod is None:
                continue
            try:
                setattr(mod, flag, False)
                getattr(mod, table).clear()
            except _BaseException:  # noqa: BLE001 - the program's own module
                pass

    def _fresh_atexit():
        """No atexit handler registered, as in a fresh interpreter; and ``weakref.finalize``
        back as before its first use: it registers its own handler then, once, and switches
        every finalizer off once that handler ran (a later test's would never run)."""
        _clear_exitfuncs()
        weakref = _modules.get("weakref")
        if weakref is None:
            return
        try:
            fin = weakref.finalize
            if fin._registered_with_atexit or fin._shutdown:
                fin._registered_with_atexit = fin._shutdown = False
        except _BaseException:  # noqa: BLE001 - the program's own weakref module
            pass

    def _describe(exc):
        try:
            return (_type(exc).__name__ + ": " + _str(exc))[:500]
        except _BaseException:  # noqa: BLE001
            return _type(exc).__name__

    def _status_of(exc, kind):
        if _isinst(exc, _MemoryError):
            return "memory_limit"
        if _isinst(exc, _SyntaxError):
            return "syntax_error"
        if _isinst(exc, _AssertionError) and kind == "exec":
            return "failed"
        if _isinst(exc, _SystemExit) and kind == "stdio" and exc.code in (None, 0):
            return "passed"
        return "runtime_error"

    program, setup = job.get("program", ""), job.get("setup", "")
    preload = bool(job.get("preload"))
    # Load: compile (and, for exec/eval tests, run) setup + program once.
    try:
        code_setup = (_SETUP_CODE.get(setup) or _compile(setup, "<setup>", "exec")) if setup else None
        code_prog = _compile(program, "<program>", "exec")
        ns = None
        if preload:
            mod = _ModuleType("solution")
            _modules["solution"] = mod
            ns = mod.__dict__
            if job.get("inputs"):
                ns["__codeharvest_inputs__"] = _loads(job["inputs"])   # trusted: from the host
            if code_setup is not None:
                _exec(code_setup, ns)
            _exec(code_prog, ns)
    except _BaseException as exc:  # noqa: BLE001
        _report({"loaded": False, "status": _status_of(exc, "load"), "error": "while loading: " + _describe(exc)})
        _exit(0)
    _report({"loaded": True})

    while True:
        head = b""
        while _len(head) < 4:
            chunk = _read(_CTL_FD, 4 - _len(head))
            if not chunk:
                _exit(0)
            head += chunk
        (n,) = _unpack(head)
        body = b""
        while _len(body) < n:
            chunk = _read(_CTL_FD, min(n - _len(body), 1 << 20))
            if not chunk:
                _exit(0)
            body += chunk
        msg = _loads(body)
        kind, nonce = msg["kind"], msg["nonce"]
        status, value, error = "passed", None, ""
        try:
            if kind == "exec":
                _exec(_compile(msg["code"], "<test>", "exec"), ns)
            elif kind == "eval":
                value = _encode(_eval(_compile(msg["code"], "<test>", "eval"), ns))
            else:  # stdio: the program as __main__, stdin from a memfd at fd 0
                # What a fresh interpreter would start with, whatever the previous test did:
                # fds 1/2 on the capture pipes, and stdin on fd 0 (a memfd) ...
                for to, fd in _pipes:
                    try:
                        _dup2(fd, to)
                    except OSError:     # (the program closed the spare copy)
                        pass
                data = msg.get("stdin", "").encode("utf-8")
                if _memfd is not None:
                    fd = _memfd("stdin")
                else:
                    fd = os.open(os.path.join(work, ".stdin"), os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o600)
                if fd < 3:
                    # fd 0 was free (the previous test closed it: a file object from
                    # ``open(0)`` does, when it goes): dup2(0, 0) then close would leave none
                    low, fd = fd, _fcntl(fd, _F_DUPFD, 3)
                    _close(low)
                _write_all(fd, data)
                _lseek(fd, 0, 0)
                _dup2(fd, 0)
                _close(fd)
                # ... and new std streams, sys.__stdin__ & co. included: nothing the previous
                # test buffered (read ahead from its stdin) or closed (sys.stdout.close()).
                sys.stdin = sys.__stdin__ = _stream(0, "r")
                sys.stdout = sys.__stdout__ = _stream(1, "w")
                sys.stderr = sys.__stderr__ = _stream(2, "w")
                streams[:] = sys.stdout, sys.stderr
                main = _ModuleType("__main__")
                main.__dict__["__builtins__"] = __builtins__
                _modules["__main__"] = main
                _fresh_atexit()
                if code_setup is not None:
                    _exec(code_setup, main.__dict__)
                try:
                    _exec(code_prog, main.__dict__)
                finally:
                    _threading_atexit()
                    _join_threads()
        except _BaseException as exc:  # noqa: BLE001
            status, error = _status_of(exc, kind), _describe(exc)
            if status == "passed":
                error = ""
        if kind == "stdio":
            # As at interpreter exit, after its non-daemon threads (joined above): the
            # program's atexit handlers run, last registered first, within this test (its
            # time limit bounds them; the common ``sys.stdout = io.StringIO()`` idiom writes
            # its whole answer from one). As CPython's, an exception in a handler is printed
            # to stderr (sys.unraisablehook) and the test keeps the status it had. Then they
            # are gone: none runs again at the end of a later test in this child (which starts
            # with _fresh_atexit).
            try:
                _run_exitfuncs()
            except _BaseException:  # noqa: BLE001 - (before 3.10 it re-raised the last error)
                pass
            try:
                _clear_exitfuncs()
            except _BaseException:  # noqa: BLE001
                pass
            # concurrent.futures no longer "shutting down" (_threading_atexit marked it so,
            # before the threads): the next test in this child may open executors again.
            _fresh_futures()
            # Then the program's __main__ goes, and what it held is
            # finalised now, within this test (its output included), not at some collection
            # during the next one (a file object from ``f = open(0)`` closing that test's
            # stdin). What survives (modules it imported) is frozen: not walked again.
            main = None
            _modules.pop("__main__", None)
            try:
                _collect()
                _freeze()
            except _BaseException:  # noqa: BLE001 - the program's finalisers
                pass
        try:
            _report({"nonce": nonce, "status": status, "value": value, "error": error})
        except _BaseException:  # noqa: BLE001 - e.g. MemoryError while encoding
            try:
                _report({"nonce": nonce, "status": "memory_limit", "value": None,
                         "error": "could not report the result"})
            except _BaseException:  # noqa: BLE001
                _exit(1)


# --------------------------------------------------------------------------- runner side
class _Child:
    """The runner's handle on one forked child: pipes, poll loop, deadlines, output caps."""

    def __init__(self, runner):
        self.runner = runner
        ctl_r, ctl_w = os.pipe()
        try:    # a job's start frame (program, inputs: HumanEval+ ~50-200 KB) in one write
            fcntl.fcntl(ctl_w, _F_SETPIPE_SZ, 1 << 20)
        except OSError:
            pass
        res_r, res_w = os.pipe()
        out_r, out_w = os.pipe()
        err_r, err_w = os.pipe()
        gc.disable()
        pid = os.fork()
        if pid == 0:  # child
            try:
                # the scratch and /proc directories too (closed again before the program
                # runs): first out of the way, then to their fixed numbers
                moves = [(ctl_r, 100), (res_w, 101), (out_w, 102), (err_w, 103),
                         (runner.devnull_fd, 104), (runner.scratch_fd, 105)]
                if runner.proc_fd is not None:
                    moves.append((runner.proc_fd, 106))
                for a, b in moves:
                    os.dup2(a, b)
                os.dup2(104, 0)
                os.dup2(102, 1)
                os.dup2(103, 2)
                os.dup2(100, _CTL_FD)
                os.dup2(101, _RES_FD)
                os.dup2(105, _SCRATCH_FD)
                if runner.proc_fd is not None:
                    os.dup2(106, _PROC_FD)
                os.closerange(_PROC_FD + 1, 65536)
                _child_main(runner.scratch, runner.seccomp_addr, runner.proc_fd is not None)
            except BaseException:  # noqa: BLE001
                pass
            os._exit(70)
        gc.enable()
        for fd in (ctl_r, res_w, out_w, err_w):
            os.close(fd)
        self.pid = pid
        self.ctl, self.res, self.out, self.err = ctl_w, res_r, out_r, err_r
        for fd in (self.ctl, self.res, self.out, self.err):
            os.set_blocking(fd, False)
        self.pidfd = None
        try:
            self.pidfd = os.pidfd_open(pid)
        except (AttributeError, OSError):
            pass
        self.res_buf = bytearray()
        self.pending = bytearray()
        self.closed = set()
        self.alive = True
        self.status = None  # raw wait status once reaped
        self.maxrss_kb = 0
        self.output_cap = 1 << 20
        self.reset_output()

    def start(self, job, cpu_s):
        """Hand the job to this (possibly pre-forked) child: limits, set-up and program."""
        self.output_cap = int(job["limits"]["output_bytes"])
        self.reset_output()
        self.send({"limits": job["limits"], "cpu_s": cpu_s, "program": job.get("program", ""),
                   "nproc_base": 3 + len(self.runner.spares),
                   "setup": job.get("setup", ""), "inputs": job.get("_inputs", b""),
                   "preload": any(t.get("kind") != "stdio" for t in job.get("tests", ()))})

    def reset_output(self):
        self.stdout, self.stderr = bytearray(), bytearray()
        self.out_total = 0

    def _drain(self, fd, buf):
        """Read what is there; False when the output cap is exceeded."""
        while True:
            try:
                chunk = os.read(fd, 65536)
            except (BlockingIOError, InterruptedError):
                return True
            except OSError:
                self.closed.add(fd)
                return True
            if not chunk:
                self.closed.add(fd)         # writer gone: stop polling it (POLLHUP spins)
                return True
            self.out_total += len(chunk)
            room = self.output_cap - len(buf)
            if room > 0:
                buf += chunk[:room]
            if self.out_total > self.output_cap:
                return False

    def send(self, obj):
        data = marshal.dumps(obj)       # runner -> child only (see _read_ctl_frame)
        self.pending += _FRAME.pack(len(data)) + data
        self._flush_pending()

    def _flush_pending(self):
        while self.pending:
            try:
                n = os.write(self.ctl, self.pending)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:  # child gone
                self.pending.clear()
                return
            del self.pending[:n]

    def _frame(self):
        if len(self.res_buf) < 4:
            return None
        (n,) = _FRAME.unpack(self.res_buf[:4])
        if n > _MAX_REPORT:
            return {"__bad__": "report too large"}
        if len(self.res_buf) < 4 + n:
            return None
        body = bytes(self.res_buf[4:4 + n])
        del self.res_buf[:4 + n]
        try:
            msg = json.loads(body)
        except (ValueError, RecursionError):
            return {"__bad__": "malformed report"}
        return msg if isinstance(msg, dict) else {"__bad__": "malformed report"}

    def _reap(self, block):
        if not self.alive:
            return True
        try:
            pid, status, ru = os.wait4(self.pid, 0 if block else os.WNOHANG)
        except ChildProcessError:
            self.alive = False
            return True
        if pid == 0:
            return False
        self.alive, self.status, self.maxrss_kb = False, status, ru.ru_maxrss
        return True

    def wait(self, deadline, host_fd=None):
        """Wait for the next report frame: ("report", msg) | ("timeout",) | ("output_limit",) |
        ("exited",) | ("host",): ``host_fd`` (a streamed job's channel) has a frame to read."""
        msg = self._frame()
        if msg is not None:
            return ("report", msg)
        res_open = True
        while True:
            now = time.monotonic()
            if now >= deadline:
                return ("timeout",)
            p = select.poll()
            if res_open:
                p.register(self.res, select.POLLIN)
            if self.out not in self.closed:
                p.register(self.out, select.POLLIN)
            if self.err not in self.closed:
                p.register(self.err, select.POLLIN)
            if self.pending:
                p.register(self.ctl, select.POLLOUT)
            if self.pidfd is not None and self.alive:
                p.register(self.pidfd, select.POLLIN)
            if host_fd is not None:
                p.register(host_fd, select.POLLIN)
            timeout_ms = max(1, int((deadline - now) * 1000) + 1)
            if self.pidfd is None:
                timeout_ms = min(timeout_ms, 20)
            try:
                events = p.poll(timeout_ms)
            except InterruptedError:
                continue
            for fd, ev in events:
                if fd == self.out:
                    if not self._drain(self.out, self.stdout):
                        return ("output_limit",)
                elif fd == self.err:
                    if not self._drain(self.err, self.stderr):
                        return ("output_limit",)
                elif fd == self.ctl:
                    self._flush_pending()
            for fd, ev in events:
                if fd == self.res:
                    try:
                        chunk = os.read(self.res, 1 << 20)
                    except (BlockingIOError, InterruptedError):
                        chunk = None
                    if chunk == b"":
                        res_open = False
                    elif chunk:
                        self.res_buf += chunk
                        msg = self._frame()
                        if msg is not None:
                            self.drain_all()
                            return ("report", msg)
            if self.pidfd is None or any(fd == self.pidfd for fd, _ in events):
                if self._reap(block=False):
                    # Late bytes: the report may have been written just before exit.
                    try:
                        while True:
                            chunk = os.read(self.res, 1 << 20)
                            if not chunk:
                                break
                            self.res_buf += chunk
                    except OSError:
                        pass
                    msg = self._frame()
                    if msg is not None:
                        self.drain_all()
                        return ("report", msg)
                    self.drain_all()
                    return ("exited",)
            if host_fd is not None and any(fd == host_fd for fd, _ in events):
                return ("host",)

    def drain_all(self):
        ok1 = self._drain(self.out, self.stdout)
        ok2 = self._drain(self.err, self.stderr)
        return ok1 and ok2

    def kill(self, block=True):
        try:
            os.killpg(self.pid, signal.SIGKILL)     # the child's whole process group
        except OSError:
            pass
        try:
            os.kill(self.pid, signal.SIGKILL)       # in case it had not set its group yet
        except OSError:
            pass
        for fd in (self.ctl, self.res, self.out, self.err, self.pidfd):
            if fd is not None:
                try:
                    os.close(fd)
                except OSError:
                    pass
        self.ctl = self.res = self.out = self.err = self.pidfd = None
        self._reap(block=block)

    def death(self):
        """Describe how the child ended: (status, error, exit_signal)."""
        st = self.status
        if st is None:
            return "killed", "child vanished", None
        if os.WIFSIGNALED(st):
            sig = os.WTERMSIG(st)
            if sig == signal.SIGXCPU:
                return "timeout", "CPU time limit exceeded", sig
            mem_kb = int(self.runner.limits_mb * 1024)
            if sig == signal.SIGKILL and mem_kb and self.maxrss_kb >= 0.9 * mem_kb:
                return "memory_limit", "killed near the memory limit", sig
            return "killed", "killed by signal %d" % sig, sig
        code = os.WEXITSTATUS(st)
        return "runtime_error", "exited with status %d before the test finished" % code, None


def _force_remove(path):
    """Remove a file or tree even when the program chmod-ed its directories to 000."""
    try:
        if not os.path.isdir(path) or os.path.islink(path):
            os.unlink(path)
            return
        shutil.rmtree(path)
        return
    except OSError:
        pass
    try:
        os.chmod(path, 0o700)
        for root, dirs, _files in os.walk(path):
            for d in dirs:
                try:
                    os.chmod(os.path.join(root, d), 0o700, follow_symlinks=False)
                except OSError:
                    pass
    except OSError:
        pass
    shutil.rmtree(path, ignore_errors=True)


def _text(b, full):
    s = bytes(b).decode("utf-8", "replace")
    return s if full else s[-_TAIL:]


class Runner:
    def __init__(self, scratch, own_pidns, clean_shm=False, spares=4):
        self.scratch = scratch
        # Directories used on every job, opened once: paths resolved from "/" cost a lookup
        # through the image's root each time (a FUSE round trip under Docker's
        # fuse-overlayfs driver); names relative to these fds do not.
        self.scratch_fd = os.open(scratch, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        self.shm_fd = self._open_dir("/dev/shm") if clean_shm else None
        self.proc_fd = self._open_dir("/proc")
        self.devnull_fd = os.open("/dev/null", os.O_RDWR | os.O_CLOEXEC)
        self.clean_shm = clean_shm
        self.own_pidns = own_pidns and os.getpid() <= 50
        self.protected = _protected_values()
        self.seccomp_addr = _prepare_seccomp(self.protected)
        self.seccomp = self._probe_seccomp()
        if not self.seccomp:
            self.seccomp_addr = None
        self.limits_mb = 0
        self.dying = []
        self.spares = []
        self.host_rfd = self.host_wfd = None   # the channel, for streamed jobs (see _serve)
        self.host_fd = None                     # watched for a cancel while a streamed job runs
        self.host_gone = False
        # Children forked ahead, off the hot path (most per-test jobs run without a fork).
        # Under a CPU quota (Docker) they cost more than they save: while a spare shares the
        # runner's pages, every page the runner writes is copied (measured: ~0.3 ms a job).
        self.n_spares = max(0, int(spares))
        for sig in list(_RESET_SIGNALS):
            try:
                signal.signal(sig, signal.SIG_DFL)
                _RESET_SIGNALS.remove(sig)
            except (OSError, ValueError):
                pass
        os.environ.clear()      # children inherit it (see _child_main)
        os.environ.update(_CHILD_ENV)
        global _ENV_FAST
        data = getattr(os.environ, "_data", None)
        enc = sys.getfilesystemencoding()
        if type(data) is dict and all(type(k) is bytes for k in data) and \
                data.get(b"HOME") == "/tmp".encode(enc, "surrogateescape"):
            _ENV_FAST = enc
        for res in (resource.RLIMIT_AS, resource.RLIMIT_CPU, resource.RLIMIT_NPROC,
                    resource.RLIMIT_FSIZE, resource.RLIMIT_CORE, resource.RLIMIT_NOFILE,
                    _RLIMIT_MSGQUEUE):
            if res is None:
                continue
            try:
                _HARD[res] = resource.getrlimit(res)[1]
            except (ValueError, OSError):
                pass
        for args in ((1, signal.SIGKILL), (4, 1), (38, 1)):
            _prctl_args(*args)
        if self.seccomp_addr:
            _prctl_args(22, 2, self.seccomp_addr)
        try:
            _make_std()
        except OSError:
            _STD[:] = []
        self.pids_fd = self._open_pids_counter() if self.own_pidns else None
        self.ipc_buf = None
        # compile() initialises the interpreter's AST types lazily, on first use (~600 objects
        # and ~120 page faults): do it here once, not in every child.
        compile("pass", "<warm-up>", "exec")
        for name in _PRELOAD:
            try:
                __import__(name)
            except Exception:  # noqa: BLE001 - a slimmer image may lack one
                pass
        gc.freeze()            # forked children do not touch (copy) the runner's objects

    def _probe_seccomp(self):
        pid = os.fork()
        if pid == 0:
            try:
                ok = _install_seccomp(self.seccomp_addr)
                if ok:
                    try:
                        os.kill(os.getppid(), 0)
                        ok = False          # the filter did not bite
                    except PermissionError:
                        ok = True
                os._exit(0 if ok else 1)
            except BaseException:  # noqa: BLE001
                os._exit(1)
        _, st = os.waitpid(pid, 0)
        return os.WIFEXITED(st) and os.WEXITSTATUS(st) == 0

    # ------------------------------------------------------------------ cleanup
    @staticmethod
    def _open_pids_counter():
        """The pids cgroup's task counter of this container (cgroup v2 or v1), or None."""
        for path in ("/sys/fs/cgroup/pids.current", "/sys/fs/cgroup/pids/pids.current"):
            try:
                fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
            except OSError:
                continue
            try:
                int(os.pread(fd, 64, 0))
                return fd
            except (OSError, ValueError):
                os.close(fd)
        return None

    def _only_known_tasks(self):
        """True when the pids cgroup holds exactly init, the runner (and its parent) and the
        spares, i.e. no stray can exist. Any other count (a stray, a zombie not yet reaped by
        init, a cgroup shared with other processes, a runner thread) means: sweep. (When the
        runner is pid 1 itself its parent is outside the namespace: getppid() is 0.)"""
        if self.pids_fd is None:
            return False
        try:
            n = int(os.pread(self.pids_fd, 64, 0))
        except (OSError, ValueError):
            return False
        return n == len({1, os.getpid(), os.getppid()} - {0}) + len(self.spares)

    def _strays(self):
        keep = {1, os.getpid(), os.getppid()}
        keep.update(c.pid for c in self.spares)
        out = []
        for name in os.listdir("/proc"):
            if not name.isdigit() or int(name) in keep:
                continue
            try:
                with open("/proc/%s/stat" % name, "rb") as f:
                    state = f.read().rsplit(b")", 1)[1].split()[0]
            except (OSError, IndexError):
                continue
            if state not in (b"Z", b"X"):
                out.append(int(name))
        return out

    def _sweep(self):
        """One pass: SIGKILL every process of the sandbox but init, the runner and its parent."""
        if not self.own_pidns:
            return False
        if self._only_known_tasks():
            return False
        try:
            os.kill(-1, 0)          # cheap probe: ESRCH = nobody else in the namespace
        except ProcessLookupError:
            return False
        except OSError:
            pass
        pids = self._strays()
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        return bool(pids)

    def _kill_strays(self):
        """Sweep until the sandbox holds no process but init and the runner (fork bombs race)."""
        for _ in range(200):
            self._reap_any()
            if not self._sweep():
                return
            time.sleep(0.001)

    def _take_child(self):
        """A spare forked while idle (off the hot path, and before this job existed, so it
        holds none of the job's other tests), or a fresh fork when none is left."""
        while self.spares:
            child = self.spares.pop(0)
            if not child._reap(block=False):
                return child
            child.kill()                        # the spare died meanwhile
        return _Child(self)

    def _make_spares(self):
        while len(self.spares) < self.n_spares:
            try:
                self.spares.append(_Child(self))
            except OSError:
                return

    def _settle(self):
        """Reap the killed children, then sweep stray processes until none is left."""
        for c in self.dying:
            c._reap(block=True)
        self.dying = []
        self._kill_strays()

    def after_job(self):
        """Cleanup after the answer was sent: reap, kill stragglers, empty the scratch dirs."""
        self._settle()
        self._reap_any()
        self._clean_scratch()
        self._clean_ipc()
        self._make_spares()

    def _reap_any(self):
        while True:
            try:
                pid, _ = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return

    def _clean_ipc(self):
        """Remove SysV shared memory, message queues and semaphores a job left behind."""
        if not self.own_pidns:
            return
        if self._ipc_empty():
            return
        for name, fn in (("shm", "shmctl"), ("msg", "msgctl"), ("sem", "semctl")):
            try:
                with open("/proc/sysvipc/" + name) as f:
                    rows = f.read().splitlines()[1:]
            except OSError:
                continue
            for row in rows:
                try:
                    ident = int(row.split()[1])
                    if fn == "semctl":
                        _c().semctl(ident, 0, 0)             # IPC_RMID
                    else:
                        getattr(_c(), fn)(ident, 0, None)    # IPC_RMID
                except (ValueError, IndexError, AttributeError, OSError):
                    pass

    def _ipc_empty(self):
        """True when the IPC namespace holds no SysV object (three *_INFO calls instead of
        reading /proc/sysvipc/*); False when unsure."""
        try:
            import ctypes
            libc = _c()
            if self.ipc_buf is None:
                self.ipc_buf = ctypes.create_string_buffer(256)
            buf = self.ipc_buf
            ints = ctypes.cast(buf, ctypes.POINTER(ctypes.c_int))
            # SHM_INFO: struct shm_info.used_ids (first int)
            ctypes.memset(buf, 0xFF, 256)
            if libc.shmctl(0, 14, buf) < 0 or ints[0] != 0:
                return False
            # MSG_INFO: struct msginfo.msgpool = number of queues (first int)
            ctypes.memset(buf, 0xFF, 256)
            if libc.msgctl(0, 12, buf) < 0 or ints[0] != 0:
                return False
            # SEM_INFO: struct seminfo.semusz = number of sets (8th int)
            ctypes.memset(buf, 0xFF, 256)
            if libc.semctl(0, 0, 19, buf) < 0 or ints[7] != 0:
                return False
            return True
        except Exception:  # noqa: BLE001
            return False

    @staticmethod
    def _open_dir(path):
        try:
            return os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        except OSError:
            return None

    def _clean_scratch(self):
        roots = [(self.scratch, self.scratch_fd)]
        if self.clean_shm:
            roots.append(("/dev/shm", self.shm_fd))
        for root, fd in roots:
            try:
                entries = os.listdir(fd if fd is not None else root)
            except OSError:
                continue
            keep = {"job-%d" % c.pid for c in self.spares} if root == self.scratch else ()
            for name in entries:
                if name in keep:
                    continue
                path = os.path.join(root, name)
                try:                            # the usual case: an empty job directory
                    if fd is not None:
                        os.rmdir(name, dir_fd=fd)
                    else:
                        os.rmdir(path)
                except OSError:
                    _force_remove(path)

    # ------------------------------------------------------------------ jobs
    def run_job(self, job):
        if job.get("inputs"):               # base64 of marshal data, decoded once per job
            job["_inputs"] = base64.b64decode(job.pop("inputs"))
        setup = job.get("setup")
        if setup and setup not in _SETUP_CODE:
            # children forked from now on find it compiled (this job's spare was forked earlier)
            if len(_SETUP_CODE) >= _SETUP_CODE_MAX:
                _SETUP_CODE.clear()
            try:
                _SETUP_CODE[setup] = compile(setup, "<setup>", "exec")
                gc.freeze()             # like the rest of the runner: not walked by children
            except (SyntaxError, ValueError, RecursionError, MemoryError):
                _SETUP_CODE[setup] = None   # the child reports the error as the job's
        tests = job["tests"]
        limits = job["limits"]
        self.limits_mb = limits["memory_mb"]
        shared = job.get("isolation") == "shared"
        stream = bool(job.get("stream")) and self.host_wfd is not None
        self.host_fd = self.host_rfd if stream else None
        results = [None] * len(tests)
        load_failure = None
        cancelled = False
        i = 0
        # Loading the program (for exec/eval tests: running its module code once) has its own
        # limit, from the job's limits only, never from the tests' own timeouts: how a host
        # splits its inputs into tests (the scorer's call batches: 9 s for fast-fail's first,
        # 65 s for one of 64 inputs) must not decide whether a slow import loads.
        load_limit = self._load_limit(limits)
        # All loads together stay within the sum of the tests' timeouts plus a slack: the host
        # waits for a job sum(2 x timeout + 0.25) + 15 s (scorer/sandbox/_base.py,
        # job_deadline_s), each test's timeout once for its run and once for a load; a program
        # slow to load that kills child after child must not outrun that. (A first load gets
        # less than load_limit only where timeout_s exceeds the tests' own timeouts, summed,
        # by more than the slack.)
        load_budget = sum(self._timeout(t, limits) for t in tests) + _LOAD_SLACK_S

        def emit(upto):             # streamed jobs: tests [sent, upto) as they finish
            while stream and emit.sent < upto:
                r = dict(results[emit.sent])
                r.pop("_dead", None)
                try:
                    send_frame(self.host_wfd, {"status": "partial", "index": emit.sent, "test": r})
                except OSError:
                    self.host_gone = True
                emit.sent += 1
        emit.sent = 0
        while i < len(tests):
            if cancelled or self.host_gone:
                results[i] = {"id": tests[i]["id"], "status": "cancelled", "duration_s": 0.0,
                              "value": None, "exit_signal": None,
                              "error": "not run: the host stopped the job"}
                i += 1
                continue
            if load_failure is not None:
                results[i] = dict(load_failure, id=tests[i]["id"])
                i += 1
                emit(i)
                continue
            group = tests[i:] if shared else tests[i:i + 1]
            limit = max(min(load_limit, load_budget), 0.001)
            cpu_s = limit + sum(2 * self._timeout(t, limits) for t in group)
            if self.dying:                      # the previous child of this job: gone first
                self._settle()
            child = self._take_child()
            child.start(job, cpu_s)
            try:
                t0 = time.monotonic()
                load_failure = self._load(child, limit)
                load_budget -= time.monotonic() - t0
                if load_failure is not None:
                    if load_failure.get("status") == "cancelled":
                        load_failure, cancelled = None, True
                    continue
                for t in group:
                    results[i] = self._run_test(child, t, limits)
                    if results[i]["status"] == "cancelled":
                        cancelled = True
                        break
                    i += 1
                    emit(i)
                    if not child.alive or results[i - 1].get("_dead"):
                        break
            finally:
                # SIGKILL now; reaping and the namespace sweep happen before the next child
                # or, for the last one, right after the answer went out (off the hot path).
                child.kill(block=False)
                if child.alive:
                    self.dying.append(child)
        emit(len(tests))
        if stream:
            return {"status": "ok", "streamed": len(tests), "seccomp": self.seccomp}
        for r in results:
            r.pop("_dead", None)
        return {"status": "ok", "tests": results, "seccomp": self.seccomp}

    def _host_frame(self):
        """A frame the host sent during a streamed job: a cancel (anything else, or the
        channel closing, stops the job as well)."""
        try:
            if read_frame(self.host_rfd) is None:
                self.host_gone = True       # the host closed the channel
        except (ValueError, OSError):
            self.host_gone = True
        except Exception:  # noqa: BLE001 - malformed JSON: still a stop
            pass

    @staticmethod
    def _timeout(t, limits):
        v = t.get("timeout_s")
        return float(v if v is not None else limits["timeout_s"])

    @staticmethod
    def _load_limit(limits):
        """The wall-clock limit for loading the program: the job's per-test limit ``timeout_s``,
        raised towards 10 s (headroom for heavy imports, numpy or scipy on a busy machine) but
        at most doubled (a job with sub-second limits is not kept waiting 10 s by a program
        that never loads). The scorer's 6 s gives 10 s; 1 s gives 2 s; 20 s stays 20 s."""
        t = float(limits["timeout_s"])
        return max(t, min(2 * t, _LOAD_FLOOR_S))

    def _load(self, child, limit):
        """None when the program loaded; else the failure every remaining test inherits."""
        t0 = time.monotonic()
        ev = child.wait(t0 + limit, self.host_fd)
        took = time.monotonic() - t0
        base = {"duration_s": took, "value": None, "exit_signal": None}
        if ev[0] == "host":
            self._host_frame()
            return dict(base, status="cancelled")
        if ev[0] == "report":
            msg = ev[1]
            if msg.get("loaded") is True:
                return None
            status = msg.get("status")
            if msg.get("loaded") is False and status in ("syntax_error", "runtime_error", "memory_limit"):
                child.drain_all()
                return dict(base, status=status, error=str(msg.get("error", ""))[:500],
                            stdout=_text(child.stdout, False), stderr=_text(child.stderr, False))
            return dict(base, status="failed", error="tampered: unexpected message while loading")
        if ev[0] == "timeout":
            return dict(base, status="timeout", error="timed out while loading the program "
                        "(limit %.3g s)" % limit,
                        stdout=_text(child.stdout, False), stderr=_text(child.stderr, False))
        if ev[0] == "output_limit":
            return dict(base, status="output_limit", error="output limit exceeded while loading",
                        stdout=_text(child.stdout, False), stderr=_text(child.stderr, False))
        status, error, sig = child.death()
        if status == "runtime_error":
            error = error.replace("before the test finished", "while loading the program")
        return dict(base, status=status, error=error, exit_signal=sig,
                    stdout=_text(child.stdout, False), stderr=_text(child.stderr, False))

    def _run_test(self, child, t, limits):
        nonce = os.urandom(16).hex()
        child.reset_output()
        t0 = time.monotonic()
        child.send({"kind": t["kind"], "code": t.get("code", ""), "stdin": t.get("stdin", ""),
                    "nonce": nonce})
        ev = child.wait(t0 + self._timeout(t, limits), self.host_fd)
        took = time.monotonic() - t0
        full = t["kind"] == "stdio"
        out = {"id": t["id"], "duration_s": took, "value": None, "exit_signal": None, "error": ""}
        if ev[0] == "host":
            self._host_frame()
            out.update(status="cancelled", error="not run: the host stopped the job")
            return out
        if ev[0] == "report":
            msg = ev[1]
            if msg.get("nonce") != nonce or "__bad__" in msg:
                out.update(status="failed", error="tampered: report without the test's nonce", _dead=True)
            else:
                status = msg.get("status")
                if status not in ("passed", "failed", "runtime_error", "syntax_error", "memory_limit"):
                    status, msg = "failed", {"error": "tampered: unknown status"}
                out.update(status=status, error=str(msg.get("error", ""))[:500])
                if t["kind"] == "eval" and status == "passed":
                    out["value"] = msg.get("value")
        elif ev[0] == "timeout":
            out.update(status="timeout", error="wall-clock limit of %.3g s exceeded" % self._timeout(t, limits), _dead=True)
        elif ev[0] == "output_limit":
            out.update(status="output_limit", error="more than %d bytes of output" % child.output_cap, _dead=True)
        else:
            status, error, sig = child.death()
            out.update(status=status, error=error, exit_signal=sig, _dead=True)
        out["stdout"] = _text(child.stdout, full)
        out["stderr"] = _text(child.stderr, False)
        return out


def _serve(runner, rfd, wfd):
    runner.host_rfd, runner.host_wfd = rfd, wfd
    while True:
        try:
            req = read_frame(rfd)
        except (ValueError, OSError):
            return
        if req is None:
            return
        op = req.get("op")
        if op == "cancel":          # its job had already ended: nothing to stop, no answer
            continue
        if op == "ping":
            resp = {"ok": True, "protocol": PROTOCOL, "pid": os.getpid(), "seccomp": runner.seccomp,
                    "own_pidns": runner.own_pidns, "python": sys.version.split()[0],
                    # the pids-cgroup gate that spares idle jobs the /proc sweep
                    "idle_without_sweep": runner._only_known_tasks(), "spares": runner.n_spares}
        elif op == "run":
            try:
                resp = runner.run_job(req["job"])
            except Exception as exc:  # noqa: BLE001 - a runner bug is an infrastructure error
                resp = {"status": "sandbox_error", "error": "runner: %s: %s" % (type(exc).__name__, exc)}
            finally:
                runner.host_fd = None   # (a streamed job watched the channel while it ran)
        else:
            resp = {"status": "sandbox_error", "error": "unknown op %r" % (op,)}
        try:
            send_frame(wfd, resp)
        except OSError:
            return
        req = resp = None       # the spare forked next must not inherit this job
        if op == "run":
            if runner.host_gone:
                return
            runner.after_job()


def main(argv=None):
    import argparse
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    g = ap.add_mutually_exclusive_group(required=True)
    g.add_argument("--socket", help="listen on this Unix socket path, serve the first client")
    g.add_argument("--stdio", action="store_true", help="serve frames on stdin/stdout")
    ap.add_argument("--scratch", default="/tmp", help="writable directory for test working dirs")
    ap.add_argument("--clean-shm", action="store_true",
                    help="/dev/shm is private to the sandbox: empty it after every job")
    ap.add_argument("--own-pidns", action="store_true",
                    help="the runner is alone in its PID namespace: kill every stray process after a job")
    ap.add_argument("--spares", type=int, default=4,
                    help="children to fork ahead of jobs (0 where a CPU quota makes them dearer)")
    args = ap.parse_args(argv)
    try:
        _prctl(4, 0)                                    # PR_SET_DUMPABLE=0: no ptrace, no /proc/<pid>/mem
    except Exception:  # noqa: BLE001
        pass
    signal.signal(signal.SIGPIPE, signal.SIG_IGN)
    runner = Runner(args.scratch, args.own_pidns, args.clean_shm, args.spares)
    if args.stdio:
        rfd, wfd = os.dup(0), os.dup(1)
        devnull = os.open("/dev/null", os.O_RDWR)
        os.dup2(devnull, 0)
        os.dup2(devnull, 1)
        for fd in (rfd, wfd):
            os.set_inheritable(fd, False)
        _serve(runner, rfd, wfd)
        return 0
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    tmp = args.socket + ".tmp"
    try:
        os.unlink(tmp)
    except FileNotFoundError:
        pass
    srv.bind(tmp)
    srv.listen(1)
    os.rename(tmp, args.socket)      # appears atomically once it accepts
    conn, _ = srv.accept()
    srv.close()
    try:
        os.unlink(args.socket)       # no one else (no test) can connect later
    except OSError:
        pass
    _serve(runner, conn.fileno(), conn.fileno())
    return 0


if __name__ == "__main__":
    sys.exit(main())
