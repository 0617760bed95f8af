"""The CLI's public face: every subcommand is listed, and user errors are one line, exit 2."""
from __future__ import annotations

import subprocess
import sys

import pytest

from collector.cli import main

SUBCOMMANDS = ["collect", "score", "query", "export", "report", "benchmarks", "compact", "sandbox"]


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "collector", *args], capture_output=True, text=True,
                          timeout=120)


def test_help_lists_every_subcommand():
    result = run_cli("--help")
    assert result.returncode == 0
    for name in SUBCOMMANDS:
        assert name in result.stdout


def test_unknown_option_is_one_line_exit_2(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--no-such-global"])
    assert exc.value.code == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("codeharvest: error:") and "--no-such-global" in err
    assert "\n" not in err and "Traceback" not in err


def one_error_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    return lines[0]


def test_ctrl_c_in_a_command_says_interrupted_exit_130(capsys, monkeypatch, tmp_path):
    """typer turns a KeyboardInterrupt into a silent Exit(130); the CLI says why it stopped."""
    import warehouse

    def interrupted(sql):
        raise KeyboardInterrupt

    monkeypatch.setattr(warehouse, "check_read_only", interrupted)
    with pytest.raises(SystemExit) as exc:
        main(["--warehouse", str(tmp_path / "wh"), "query", "SELECT 1"])
    assert exc.value.code == 130
    assert one_error_line(capsys.readouterr().err) == "codeharvest: interrupted"


@pytest.mark.parametrize("argv", [
    ["benchmarks", "show", "humaneval", "--split", "nosuch"],
    ["benchmarks", "show", "mbpp-plus", "--split", "test"],
    ["benchmarks", "show", "mbpp", "--split", "nosuch"],
])
def test_a_split_the_benchmark_does_not_have_is_refused(capsys, argv):
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2
    line = one_error_line(capsys.readouterr().err)
    assert line.startswith("codeharvest: error:") and f"split {argv[-1]!r}" in line


@pytest.mark.parametrize("name", ["humaneval", "humaneval-plus", "mbpp-plus"])
def test_load_tasks_refuses_a_split_on_a_benchmark_without_splits(name):
    from benchmarks import BenchmarkError, get_benchmark, load_tasks

    assert get_benchmark(name).splits == ()
    with pytest.raises(BenchmarkError, match=f"benchmark '{name}' has no splits"):
        load_tasks(name, split="test")


@pytest.mark.parametrize("command", [["query", "SELECT 1"], ["compact"], ["report"]])
def test_a_directory_without_the_marker_is_not_a_warehouse(capsys, tmp_path, command, monkeypatch):
    plain = tmp_path / "plain"
    (plain / "scores").mkdir(parents=True)
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as exc:
        main(["--warehouse", str(plain), *command])
    assert exc.value.code == 2
    line = one_error_line(capsys.readouterr().err)
    assert "not a codeharvest warehouse" in line and "_codeharvest_warehouse.json" in line
    assert sorted(p.name for p in plain.iterdir()) == ["scores"]          # nothing written into it
    assert not (tmp_path / "report.html").exists()


def test_a_warehouse_created_now_has_its_marker_and_opens(tmp_path):
    from warehouse import Warehouse, WarehouseError

    with Warehouse.open(str(tmp_path / "wh")):
        pass
    assert (tmp_path / "wh" / "_codeharvest_warehouse.json").is_file()
    Warehouse.open(str(tmp_path / "wh"), create=False).close()
    with pytest.raises(WarehouseError, match="does not exist"):
        Warehouse.open(str(tmp_path), create=False)


@pytest.mark.parametrize("make, target, needle", [
    (lambda d: (d / "out.jsonl").mkdir(), "out.jsonl", "is a directory"),
    (lambda d: (d / "file").write_text("x"), "file/out.jsonl", "is not a directory"),
    (lambda d: (d / "file").write_text("x"), "file/sub/out.jsonl", "is not a directory"),
    (lambda d: None, "/proc/out.jsonl", "cannot create files in /proc"),
    (lambda d: None, "sub/", "is a directory"),
    (lambda d: None, "s3://bucket/out.jsonl", "must be a local path"),
])
def test_check_output_path_refuses_unwritable_targets_and_leaves_nothing(tmp_path, make, target, needle):
    from warehouse import WarehouseError
    from warehouse._exports import check_output_path

    make(tmp_path)
    before = sorted(p.name for p in tmp_path.iterdir())
    path = (target if target.startswith("/") or "://" in target
            else str(tmp_path / target) + ("/" if target.endswith("/") else ""))
    with pytest.raises(WarehouseError, match=needle) as exc:
        check_output_path(path)
    assert str(exc.value).startswith(f"--out {path}:" if "://" not in path else "--out must be a local path")
    assert sorted(p.name for p in tmp_path.iterdir()) == before


def test_check_output_path_accepts_new_files_and_missing_parents(tmp_path):
    from warehouse._exports import check_output_path

    (tmp_path / "old.jsonl").write_text("x")
    for target in ("new.jsonl", "old.jsonl", "a/b/c.jsonl"):
        check_output_path(tmp_path / target)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["old.jsonl"]   # no directory made yet
