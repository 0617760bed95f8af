"""Local backend: the runner as a host subprocess, confined by bubblewrap (or unshare).

Weaker than Docker (shared kernel and host uid space, no cgroup memory/pids limit), so it
logs a warning once. Isolation, in order of preference:
  * ``bwrap``: new user/pid/net/ipc/uts namespaces, only /usr (and the interpreter's prefix)
    mounted read-only, a private size-limited /tmp, a fresh /proc and /dev: no network, no
    host files (the checkout, ~/.aws), no host processes.
  * ``unshare --user --map-root-user --net --pid``: no network and no host processes, but
    the host file system stays readable: used only when bwrap is missing, with a warning.
Never a plain host process with network: without either, this backend refuses to start.
When the host user is root, the runner runs as ``nobody`` (65534) so that RLIMIT_NPROC
binds (the kernel exempts uid 0 from it).
"""
from __future__ import annotations

import functools
import logging
import os
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from .._errors import ScorerError
from ._base import Sandbox, SandboxBroken
from ._channel import Channel

log = logging.getLogger("scorer.sandbox")
RUNNER_SOURCE = Path(__file__).with_name("_runner.py")
NOBODY = 65534
_warned = False
# bwrap's --die-with-parent is PR_SET_PDEATHSIG, which fires when the *thread* that forked
# bwrap exits, not the process: a runner started from a short-lived thread (a pool opening
# its sandboxes in parallel) died with it, and every first job found a dead runner. Runners
# are forked from this one thread instead, which lives as long as the process.
_SPAWNER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="codeharvest-sandbox-spawner")


def _world_readable(path: str) -> bool:
    """True when every directory on the way is traversable by others and the file readable."""
    p = Path(path).resolve()
    try:
        for parent in list(p.parents)[:-1]:
            if not os.stat(parent).st_mode & stat.S_IXOTH:
                return False
        return bool(os.stat(p).st_mode & stat.S_IROTH)
    except OSError:
        return False


def find_python(as_other_user: bool) -> str:
    """A python3 (>= 3.9) the sandbox can run: the current base interpreter if usable."""
    cands = [os.path.realpath(getattr(sys, "_base_executable", sys.executable)),
             "/usr/bin/python3", "/usr/local/bin/python3"]
    for c in cands:
        if not os.path.isfile(c) or not os.access(c, os.X_OK):
            continue
        if as_other_user and not _world_readable(c):
            continue
        return os.path.realpath(c)
    raise ScorerError("local sandbox: no python3 interpreter usable by the sandbox user")


def _python_prefix(python: str) -> str | None:
    """The install prefix to mount when the interpreter lives outside /usr."""
    if python.startswith("/usr/"):
        return None
    return str(Path(python).resolve().parents[1])


@functools.lru_cache(maxsize=1)
def _bwrap_can_disable_userns() -> bool:
    try:
        out = subprocess.run(["bwrap", "--help"], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return "--disable-userns" in out.stdout + out.stderr


def available_isolation() -> list[str]:
    out = []
    if shutil.which("bwrap"):
        out.append("bwrap")
    if shutil.which("unshare"):
        out.append("unshare")
    return out


class LocalSandbox(Sandbox):
    kind = "local"

    def __init__(self, *, isolation: str | None = None, tmp_mb: int = 128) -> None:
        super().__init__()
        options = available_isolation()
        if isolation is None:
            if not options:
                raise ScorerError("local sandbox: neither bwrap nor unshare is installed "
                                  "(apt-get install bubblewrap); refusing to run code unconfined")
            isolation = options[0]
        elif isolation not in ("bwrap", "unshare"):
            raise ScorerError(f"local sandbox: unknown isolation {isolation!r} (bwrap | unshare)")
        elif isolation not in options:
            raise ScorerError(f"local sandbox: {isolation} is not installed")
        self.isolation = isolation
        self.tmp_mb = tmp_mb
        self.drop_to_nobody = os.geteuid() == 0
        self.python = find_python(self.drop_to_nobody)
        self._proc: subprocess.Popen | None = None
        self._dir: str | None = None

    def run(self, job, on_test=None):
        # warned at the first job, not at start: a command that stops at bad input (the
        # sandboxes start while it is checked) says one line, the error
        global _warned
        if not _warned:
            _warned = True
            log.warning("local sandbox (%s): weaker isolation than Docker (shared kernel, no cgroup "
                        "limits%s); prefer --sandbox docker for untrusted code at scale", self.isolation,
                        "; host files stay readable" if self.isolation == "unshare" else "")
        return super().run(job, on_test)

    def describe(self) -> str:
        return f"local:{self.isolation}"

    def _command(self, runner: str) -> list[str]:
        py = self.python
        if self.isolation == "unshare":
            # No private mounts here: the scratch directory is our own temp dir (never the
            # host's /tmp or /dev/shm, which the runner empties after each job).
            scratch = os.path.join(self._dir, "scratch")
            return ["unshare", "--user", "--map-root-user", "--net", "--pid", "--fork", "--mount-proc",
                    "--ipc", "--uts", "--kill-child", "--", py, "-I", runner,
                    "--stdio", "--scratch", scratch, "--own-pidns"]
        args = ["--stdio", "--scratch", "/tmp", "--own-pidns", "--clean-shm"]
        # --as-pid-1: the runner is the namespace's init (no bwrap reaper, which would run under
        # the job's uid, dumpable: a job could write its memory through /proc/1/mem)
        cmd = ["bwrap", "--unshare-all", "--as-pid-1", "--die-with-parent", "--new-session",
               "--hostname", "sandbox"]
        if _bwrap_can_disable_userns():
            cmd += ["--unshare-user", "--disable-userns"]     # no nested user namespaces
        cmd += ["--ro-bind", "/usr", "/usr"]
        for d in ("/bin", "/sbin", "/lib", "/lib64", "/lib32", "/libx32"):
            if os.path.islink(d):
                cmd += ["--symlink", os.readlink(d), d]
            elif os.path.isdir(d):
                cmd += ["--ro-bind", d, d]
        for f in ("/etc/ld.so.cache", "/etc/localtime", "/etc/alternatives"):
            if os.path.exists(f):
                cmd += ["--ro-bind", f, f]
        prefix = _python_prefix(py)
        if prefix:
            cmd += ["--ro-bind", prefix, prefix]
        cmd += ["--proc", "/proc", "--dev", "/dev", "--size", str(self.tmp_mb << 20), "--tmpfs", "/tmp",
                "--ro-bind", runner, "/opt/codeharvest/runner.py", "--remount-ro", "/",
                "--clearenv", "--setenv", "PATH", "/usr/local/bin:/usr/bin:/bin",
                "--setenv", "HOME", "/tmp", "--setenv", "LANG", "C.UTF-8", "--chdir", "/tmp",
                "--", py, "-I", "/opt/codeharvest/runner.py", *args]
        return cmd

    def _start(self) -> Channel:
        self._dir = tempfile.mkdtemp(prefix="codeharvest-local-")
        os.chmod(self._dir, 0o755)
        runner = os.path.join(self._dir, "runner.py")
        shutil.copyfile(RUNNER_SOURCE, runner)
        os.chmod(runner, 0o644)
        scratch = os.path.join(self._dir, "scratch")
        os.mkdir(scratch, 0o700)
        if self.drop_to_nobody:
            os.chown(scratch, NOBODY, NOBODY)
        kw: dict = {}
        if self.drop_to_nobody:
            kw.update(user=NOBODY, group=NOBODY, extra_groups=[])
        env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": "/tmp", "LANG": "C.UTF-8"}
        try:
            self._proc = _SPAWNER.submit(
                subprocess.Popen, self._command(runner), stdin=subprocess.PIPE,
                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env, cwd="/",
                start_new_session=True, **kw).result()
        except (OSError, RuntimeError) as exc:   # (RuntimeError: at interpreter shutdown)
            raise SandboxBroken(f"cannot start {self.isolation}: {exc}") from None
        return Channel(self._proc.stdout.fileno(), self._proc.stdin.fileno())

    def _stop(self) -> None:
        p, self._proc = self._proc, None
        if p is not None:
            try:
                os.killpg(p.pid, signal.SIGKILL)
            except OSError:
                pass
            try:
                p.kill()
            except OSError:
                pass
            for f in (p.stdin, p.stdout):
                try:
                    f.close()
                except OSError:
                    pass
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass
        d, self._dir = self._dir, None
        if d:
            shutil.rmtree(d, ignore_errors=True)

    @property
    def runner_pid(self) -> int | None:
        """Host pid of the outer bwrap/unshare process (tests use it to simulate crashes)."""
        return self._proc.pid if self._proc is not None else None
