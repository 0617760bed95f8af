"""`codeharvest benchmarks list|show` end to end, including user errors (one line, exit 2)."""
from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys

import pytest

from collector.cli import main

pytestmark = pytest.mark.integration


@pytest.fixture(autouse=True)
def _isolated(monkeypatch, tmp_path):
    monkeypatch.setenv("CODEHARVEST_OFFLINE", "1")
    monkeypatch.setenv("CODEHARVEST_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv("CODEHARVEST_DATA", raising=False)


def run(capsys, *args: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exc:
        main(list(args))
    out = capsys.readouterr()
    return exc.value.code, out.out, out.err


def _row(out: str, name: str) -> str:
    return next(line for line in out.splitlines() if line.startswith(("│ " + name + " ", "┃ " + name + " ")))


def test_list_with_data(capsys, shared_data):
    code, out, err = run(capsys, "benchmarks", "list", "--data-dir", str(shared_data))
    assert code == 0, err
    expected = {"humaneval": "164", "humaneval-plus": "164", "mbpp-sanitized": "427", "mbpp-plus": "378",
                "mbpp": "500", "apps": "133", "codexglue-java-cs": "1000", "codexglue-refine-small": "5835",
                "codexglue-refine-medium": "6545", "sven": "760"}
    for name, count in expected.items():
        cells = [c.strip() for c in _row(out, name).split("│")]
        assert count in cells, (name, cells)
    assert "unavailable" in _row(out, "runbugrun")
    assert "function" in _row(out, "humaneval") and "classification" in _row(out, "sven")


def test_list_without_data_uses_the_bundled_humaneval(capsys, tmp_path):
    code, out, _ = run(capsys, "benchmarks", "list", "--data-dir", str(tmp_path / "none"))
    assert code == 0
    assert "164" in _row(out, "humaneval")
    assert "data missing" in _row(out, "mbpp") and "data missing" in _row(out, "sven")


def test_show_renders_one_task_with_counts(capsys, shared_data):
    code, out, err = run(capsys, "benchmarks", "show", "humaneval", "--task", "HumanEval/3", "--data-dir",
                         str(shared_data))
    assert code == 0, err
    assert "164" in out and "task HumanEval/3" in out and "function-chat@1" in out
    assert "def below_zero" in out and "visible=0" in out
    code, out, _ = run(capsys, "benchmarks", "show", "mbpp-sanitized", "--data-dir", str(shared_data),
                       "--style", "completion", "--task", "2")
    assert code == 0 and "function-completion@1" in out and "427" in out
    assert "assert set(similar_elements((3, 4, 5, 6),(5, 7, 4, 10))) == set((4, 5))" in out
    assert "(1, 2, 3, 4),(5, 4, 3, 7)" not in out          # hidden assertions stay hidden
    code, out, _ = run(capsys, "benchmarks", "show", "mbpp", "--split", "validation", "--data-dir", str(shared_data))
    assert code == 0 and "task 511" in out and "split validation" in out


@pytest.mark.parametrize("args, fragment", [
    (["benchmarks", "show", "nope"], "unknown benchmark 'nope'"),
    (["benchmarks", "show", "humaneval", "--task", "HumanEval/999"], "has no task 'HumanEval/999'"),
    (["benchmarks", "show", "mbpp", "--split", "bogus"], "no split 'bogus'"),
    (["benchmarks", "show", "humaneval", "--style", "shout"], "--style must be chat or completion"),
])
def test_show_user_errors(capsys, shared_data, args, fragment):
    code, _, err = run(capsys, *args, "--data-dir", str(shared_data))
    assert code == 2
    line = err.strip()
    assert line.startswith("codeharvest: error:") and fragment in line and "\n" not in line


def test_runbugrun_without_tests_file(capsys, shared_data):
    code, _, err = run(capsys, "benchmarks", "show", "runbugrun", "--data-dir", str(shared_data))
    assert code == 2 and "tests_all.jsonl.gz" in err and "\n" not in err.strip()


def test_runbugrun_with_tests_file(capsys, shared_data, tmp_path):
    bugs = [json.loads(line) for line in (shared_data / "runbugrun" / "python_valid0.jsonl").open()][:3]
    (tmp_path / "runbugrun").mkdir()
    (tmp_path / "runbugrun" / "python_valid0.jsonl").write_text("".join(json.dumps(b) + "\n" for b in bugs))
    rows = [{"id": i, "problem_id": bugs[0]["problem_id"], "input": f"{i}\n", "output": "x\n"} for i in range(1, 4)]
    (tmp_path / "runbugrun" / "tests_all.jsonl.gz").write_bytes(
        gzip.compress("".join(json.dumps(r) + "\n" for r in rows).encode()))
    code, out, err = run(capsys, "benchmarks", "show", "runbugrun", "--data-dir", str(tmp_path))
    assert code == 0, err
    assert "refinement-chat@1" in out and bugs[0]["buggy_code"].splitlines()[0] in out


def test_malformed_file_is_one_line_without_traceback(shared_data, tmp_path):
    lines = (shared_data / "mbpp" / "mbpp.jsonl").read_text().splitlines()
    (tmp_path / "mbpp").mkdir()
    (tmp_path / "mbpp" / "mbpp.jsonl").write_text("\n".join(lines[:30]) + "\n" + lines[30][:40] + "\n")
    env = {**os.environ, "CODEHARVEST_OFFLINE": "1", "CODEHARVEST_CACHE": str(tmp_path / "cache")}
    proc = subprocess.run([sys.executable, "-m", "collector", "benchmarks", "show", "mbpp", "--split", "all",
                           "--data-dir", str(tmp_path)], capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 2
    err = proc.stderr.strip()
    assert err.startswith("codeharvest: error:") and "mbpp.jsonl: line 31: malformed JSON" in err
    assert "Traceback" not in err and "\n" not in err
