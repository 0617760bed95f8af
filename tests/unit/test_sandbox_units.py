"""Pure parts of the sandbox: time limits, job validation, the seccomp program, registry."""
from __future__ import annotations

import math

import pytest

from scorer import ScorerError
from scorer.sandbox import Limits, SandboxJob, SandboxTest, open_sandbox, per_test_timeout
from scorer.sandbox._base import encode_job, job_deadline_s
from scorer.sandbox._runner import _seccomp_program


def test_per_test_timeout_is_max_of_floor_and_scaled_reference():
    assert per_test_timeout(0.01, 1.0, 4.0) == 1.0
    assert per_test_timeout(0.5, 1.0, 4.0) == 2.0
    assert per_test_timeout(0.0, 0.5, 10) == 0.5
    assert per_test_timeout(2, 0, 3) == 6.0


@pytest.mark.parametrize("args", [(-1, 1, 1), (1, -1, 1), (1, 1, -2), (math.nan, 1, 1),
                                  (math.inf, 1, 1), (0, 0, 4), ("1", 1, 1), (True, 1, 1)])
def test_per_test_timeout_rejects_nonsense(args):
    with pytest.raises(ScorerError):
        per_test_timeout(*args)


def test_encode_job_validates():
    ok = SandboxJob(program="x = 1", tests=(SandboxTest(id="a", kind="eval", code="x"),))
    enc = encode_job(ok)
    assert enc["tests"][0] == {"id": "a", "kind": "eval", "code": "x", "stdin": "", "timeout_s": None}
    assert enc["limits"] == Limits().as_dict() and enc["isolation"] == "per_test"
    bad = [
        SandboxJob(program="", tests=(SandboxTest(id="a", kind="shell"),)),
        SandboxJob(program="", tests=(SandboxTest(id="a", kind="eval"), SandboxTest(id="a", kind="eval"))),
        SandboxJob(program="", tests=(SandboxTest(id="a", kind="eval", timeout_s=0),)),
        SandboxJob(program="", tests=(), isolation="none"),
        SandboxJob(program="", tests=(), limits=Limits(timeout_s=0)),
        SandboxJob(program="", tests=(), limits=Limits(memory_mb=1)),
    ]
    for job in bad:
        with pytest.raises(ScorerError):
            encode_job(job)
    with pytest.raises(ScorerError):
        encode_job({"program": "x"})


def test_job_deadline_covers_every_test_twice():
    job = SandboxJob(program="", tests=(SandboxTest(id="a", kind="eval", timeout_s=3),
                                        SandboxTest(id="b", kind="eval")), limits=Limits(timeout_s=2))
    assert job_deadline_s(job) >= 2 * 3 + 2 * 2


def test_seccomp_program_resolves_all_jumps():
    prog = _seccomp_program([1, 2, 0xFFFFFFFF])
    assert prog is not None and 20 < len(prog) < 200
    for code, jt, jf, k in prog:
        assert 0 <= jt <= 255 and 0 <= jf <= 255 and isinstance(k, int)
    # the last two instructions are the allow/deny returns
    assert prog[-2] == [0x06, 0, 0, 0x7FFF0000] and prog[-1][0] == 0x06 and prog[-1][3] & 0xFFFF == 1


def test_unknown_sandbox_kind_is_a_user_error():
    with pytest.raises(ScorerError, match="unknown sandbox"):
        open_sandbox("vm")
