"""`codeharvest sandbox check|cleanup` end to end."""
from __future__ import annotations

import uuid

import pytest

from collector.cli import main
from scorer.sandbox import docker_available, open_sandbox

pytestmark = pytest.mark.integration


def _run(argv, capsys):
    with pytest.raises(SystemExit) as exc:
        main(argv)
    out = capsys.readouterr()
    return exc.value.code, out.out, out.err


def test_sandbox_check_lists_both_backends(capsys):
    code, out, err = _run(["sandbox", "check"], capsys)
    assert code == 0
    assert "local" in out and "docker" in out and "local:" in out
    ok, why = docker_available()
    if ok:
        assert "docker:sha256:" in out.replace("\n", "").replace("│", "").replace(" ", "")


def test_sandbox_check_names_a_missing_image(capsys):
    code, out, err = _run(["sandbox", "check", "--image", "codeharvest-no-such-image:0"], capsys)
    assert code == 0                               # the local backend still works
    flat = " ".join(out.replace("│", " ").split())
    if docker_available()[0]:
        assert "missing" in flat and "build_images.sh" in flat


def test_sandbox_cleanup_counts_leftovers(capsys):
    if not docker_available()[0]:
        code, out, _ = _run(["sandbox", "cleanup"], capsys)
        assert code == 0 and "removed 0" in out
        return
    run_id = f"cli-{uuid.uuid4().hex[:8]}"
    sb = open_sandbox("docker", run_id=run_id)
    sb._channel, sb.container = None, None          # as if the driver had crashed
    try:
        code, out, _ = _run(["sandbox", "cleanup", "--run-id", run_id], capsys)
        assert code == 0 and f"removed 1 sandbox container of run {run_id}" in out
        code, out, _ = _run(["sandbox", "cleanup", "--run-id", run_id], capsys)
        assert "removed 0" in out
    finally:
        sb.close()


def test_sandbox_bad_option_is_one_line(capsys):
    code, out, err = _run(["sandbox", "cleanup", "--frobnicate"], capsys)
    assert code == 2 and err.startswith("codeharvest: error:") and "Traceback" not in err
