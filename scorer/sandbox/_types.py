"""The sandbox contract: a job in, per-test results out.

A sandbox runs untrusted code; the *trusted* side never executes it. ``eval`` tests return
the value of an expression (encoded by ``scorer.sandbox`` value codec) so that comparison
with expected values happens outside the untrusted process, where the program cannot forge
a pass.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

SandboxTestKind = Literal["exec", "eval", "stdio"]

# passed: ran and (for exec) raised nothing; failed: an AssertionError; cancelled: not run
# (or not finished) because the host stopped a streamed job (``Sandbox.run``'s ``on_test``);
# everything else but sandbox_error is a model failure.
TestStatus = Literal[
    "passed", "failed", "runtime_error", "syntax_error", "timeout",
    "memory_limit", "output_limit", "killed", "cancelled", "sandbox_error",
]


@dataclass(frozen=True)
class Limits:
    timeout_s: float = 10.0           # wall clock per test
    memory_mb: int = 1024             # address space / RSS limit per test process
    output_bytes: int = 1 << 20       # captured stdout+stderr per test
    max_procs: int = 64               # processes the test may create (container pids limit)
    file_size_mb: int = 16            # RLIMIT_FSIZE

    def as_dict(self) -> dict[str, Any]:
        return {"timeout_s": self.timeout_s, "memory_mb": self.memory_mb,
                "output_bytes": self.output_bytes, "max_procs": self.max_procs,
                "file_size_mb": self.file_size_mb}


@dataclass(frozen=True)
class SandboxTest:
    """``exec``: run ``code`` after the program; ``eval``: return the value of expression
    ``code``; ``stdio``: run the program as ``__main__`` with ``stdin`` and return stdout."""

    id: str
    kind: SandboxTestKind
    code: str = ""
    stdin: str = ""
    timeout_s: float | None = None    # overrides Limits.timeout_s for this test


@dataclass(frozen=True)
class SandboxJob:
    program: str                      # untrusted code
    tests: tuple[SandboxTest, ...]
    limits: Limits = Limits()
    setup: str = ""                   # set-up run before the program (test imports)
    # per_test: a fresh child process per test (state cannot leak between tests);
    # shared: tests run in order in one child (the program is loaded once; EvalPlus-style
    # batches of thousands of inputs); a test that kills or hangs the child gets its own
    # status and the remaining tests continue in a fresh child.
    isolation: Literal["per_test", "shared"] = "per_test"
    # Test inputs as data: ``marshal`` (version 2) of any builtin value, bound to
    # ``__codeharvest_inputs__`` in the program's namespace before it loads. Trusted (it comes
    # from the host); far cheaper than inputs written into test code as source, which the
    # child would have to compile (HumanEval+ has 7 MB of input literals).
    inputs: bytes = b""


@dataclass(slots=True)   # 100,000s per HumanEval+ pass: cheaper to create
class TestResult:
    id: str
    status: TestStatus
    duration_s: float = 0.0
    value: Any = None                 # decoded value for eval tests
    stdout: str = ""                  # tail, capped
    stderr: str = ""                  # tail, capped
    exit_signal: int | None = None
    error: str = ""                   # exception type and message, short


@dataclass
class JobResult:
    status: Literal["ok", "sandbox_error"]
    tests: list[TestResult] = field(default_factory=list)
    backend: str = ""                 # docker:<image digest> | local:<isolation>
    host: str = ""
    limits: dict[str, Any] = field(default_factory=dict)
    error: str = ""
