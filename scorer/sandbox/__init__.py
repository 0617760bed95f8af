"""Sandboxes that run untrusted code and return per-test results.

``open_sandbox("auto" | "docker" | "local")`` starts a long-lived runner (``_runner.py``, one
stdlib-only file) inside a locked-down Docker container or under bubblewrap; ``Sandbox.run``
sends it a ``SandboxJob`` and gets a ``JobResult`` with one ``TestResult`` per test (with
``on_test``, streamed one test at a time as each finishes; the callback may stop the job, and
what had not finished comes back ``cancelled``). The runner
forks a confined child per test (or per run of tests with ``isolation="shared"``; the first one
is pre-forked while the runner is idle): new process group, rlimits (address space, CPU, processes, file size, no core), a seccomp filter that
keeps it from signalling or tracing the runner, a wall-clock limit enforced by SIGKILL of the
whole group, capped output, and after each child every stray process in the sandbox's PID
namespace is killed and /tmp and /dev/shm are emptied.

Trust: ``eval`` results are values encoded by a restricted codec and compared on the host, so
they cannot be forged; ``exec`` passes need a report carrying a nonce sent only after the
program loaded, which defeats early exits, patched builtins/sys.modules/sys.exit and fake
output, but not a program that introspects the interpreter (frames, gc, ctypes) or returns
objects with a lying ``__eq__`` -- see ``_runner.py`` for the full threat model. Runner crashes,
hangs and dead containers are infrastructure: retried once, then ``status="sandbox_error"``.
Not cleaned between jobs: SysV IPC objects in the container's IPC namespace.
"""
from ._base import DEFAULT_IMAGE, BackendCheck, Sandbox
from ._docker import DockerSandbox, cleanup_containers
from ._local import LocalSandbox
from ._open import check_backends, docker_available, open_sandbox
from ._timeouts import per_test_timeout
from ._types import JobResult, Limits, SandboxJob, SandboxTest, TestResult, TestStatus
from ._value_codec import UnsupportedValue, ValueDecodeError, decode_value, encode_value

__all__ = ["DEFAULT_IMAGE", "BackendCheck", "DockerSandbox", "JobResult", "Limits", "LocalSandbox",
           "SandboxJob", "Sandbox", "SandboxTest", "TestResult", "TestStatus", "UnsupportedValue",
           "ValueDecodeError", "check_backends", "cleanup_containers", "decode_value",
           "docker_available", "encode_value", "open_sandbox", "per_test_timeout"]
