"""`codeharvest export` end to end on a real (local Parquet) warehouse; bad arguments exit 2."""
from __future__ import annotations

import json

import pandas as pd
import pytest

from collector.cli import main
from tests.unit.test_analytics_data import fill_warehouse, routing_rows
from tests.integration._paths import lay_out

pytestmark = pytest.mark.integration

FORMATS = ["routerbench", "routellm", "regression", "bandit", "sft"]


@pytest.fixture(scope="module")
def wh(tmp_path_factory):
    return fill_warehouse(str(tmp_path_factory.mktemp("wh") / "wh"), routing_rows())


def run(capsys, *args):
    with pytest.raises(SystemExit) as exc:
        main(list(args))
    out = capsys.readouterr()
    return exc.value.code, out.out, out.err


def read(path):
    return pd.read_parquet(path) if str(path).endswith(".parquet") else pd.read_json(path, lines=True)


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_format_deterministic_with_manifest(wh, capsys, tmp_path, fmt):
    ext = ".parquet" if fmt in ("routerbench", "regression") else ".jsonl"
    outs = []
    for name in ("a", "b"):
        code, out, err = run(capsys, "--warehouse", wh, "export", fmt, "--out", str(tmp_path / f"{name}{ext}"),
                             "--benchmarks", "bench", "--models", "cheap,strong", "--models", "mid",
                             "--seed", "5", "--val", "0.1", "--test", "0.2")
        assert code == 0, err
        outs.append(json.loads(out))
    a, b = (read(tmp_path / f"{n}{ext}") for n in "ab")
    pd.testing.assert_frame_equal(a, b)                          # deterministic for a seed
    manifest = json.loads((tmp_path / "a.manifest.json").read_text())
    assert manifest["format"] == fmt and manifest["seed"] == 5 and manifest["source_run_ids"] == ["run-1"]
    assert manifest["filters"] == {"benchmarks": ["bench"], "models": ["cheap", "strong", "mid"]}
    assert manifest["tasks_per_split"] == {"train": 28, "val": 4, "test": 8}
    assert sum(manifest["rows_per_split"].values()) == len(a) == outs[0]["files"][str(tmp_path / f"a{ext}")]
    assert manifest["code_version"]
    splits = a.groupby("split")["sample_id"].apply(set)
    assert not (splits["train"] & splits["test"]) and not (splits["train"] & splits["val"])


def test_other_seed_other_split(wh, capsys, tmp_path):
    for seed in ("0", "1"):
        code, _, err = run(capsys, "--warehouse", wh, "export", "routerbench", "--out", str(tmp_path / f"s{seed}.jsonl"),
                           "--seed", seed)
        assert code == 0, err
    s0, s1 = read(tmp_path / "s0.jsonl"), read(tmp_path / "s1.jsonl")
    assert set(s0[s0.split == "test"].sample_id) != set(s1[s1.split == "test"].sample_id)


@pytest.mark.parametrize("args, needle", [
    (["routerbench", "--models", "cheap,nope"], "unknown model 'nope'"),
    (["routerbench", "--benchmarks", "zz"], "unknown benchmark 'zz'"),
    (["nosuch"], "unknown export format 'nosuch'"),
    (["routerbench", "--val", "0.6", "--test", "0.5"], "--val and --test"),
    (["routellm", "--models", "cheap"], "at least two models"),
    (["bandit", "--logging-policy", "epsilon_greedy", "--policy", "nope"], "unknown model 'nope'"),
    (["sft", "--lambda", "abc"], "'--lambda'"),
])
def test_bad_arguments_exit_2_one_line_nothing_written(wh, capsys, tmp_path, args, needle):
    out = tmp_path / "x.parquet"
    code, _, err = run(capsys, "--warehouse", wh, "export", *args, "--out", str(out))
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("codeharvest: error:") and needle in lines[0], err
    assert list(tmp_path.iterdir()) == []


def test_bad_extension(wh, capsys, tmp_path):
    code, _, err = run(capsys, "--warehouse", wh, "export", "sft", "--out", str(tmp_path / "x.csv"))
    assert code == 2 and "must end in .parquet or .jsonl" in err


def test_remote_out_is_refused(wh, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, _, err = run(capsys, "--warehouse", wh, "export", "routerbench", "--out", "s3://bucket/x.parquet")
    assert code == 2 and "must be a local path" in err
    assert list(tmp_path.iterdir()) == []


# ---------------------------------------------------------------- audit regressions (bad input)

def one_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("codeharvest: error:") and "Traceback" not in err, err
    return lines[0]


@pytest.mark.parametrize("args, needle", [
    (["routerbench", "--seed", "-1"], "'--seed'"),
    (["routerbench", "--val", "nan"], "--val must be a finite number"),
    (["routerbench", "--test", "nan"], "--test must be a finite number"),
    (["sft", "--lambda", "nan"], "--lambda must be a finite number"),
    (["sft", "--lambda", "-1"], "--lambda must be >= 0"),
    (["bandit", "--wq", "nan"], "--wq must be a finite number"),
    (["bandit", "--wc", "inf"], "--wc must be a finite number"),
    (["bandit", "--tau", "nan"], "--tau must be a finite number"),
])
def test_bad_numbers_exit_2_nothing_written(wh, capsys, tmp_path, args, needle):
    code, _, err = run(capsys, "--warehouse", wh, "export", *args, "--out", str(tmp_path / "x.jsonl"))
    assert code == 2 and needle in one_line(err)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("setup, out, needle", [
    ("x.parquet/", "x.parquet", "is a directory"),
    ("x.manifest.json/", "x.parquet", "its manifest"),
    ("file", "file/x.parquet", "is not a directory"),
    ("", "/proc/x.parquet", "cannot create files in /proc"),
])
def test_unwritable_out_exit_2_nothing_half_written(wh, capsys, tmp_path, setup, out, needle):
    before = lay_out(tmp_path, setup)
    target = out if out.startswith("/") else str(tmp_path / out)
    code, _, err = run(capsys, "--warehouse", wh, "export", "routerbench", "--out", target)
    assert code == 2 and needle in one_line(err)
    assert sorted(p.name for p in tmp_path.iterdir()) == before           # no temp files, no lone parquet


def test_a_directory_that_is_not_a_warehouse(capsys, tmp_path):
    code, _, err = run(capsys, "--warehouse", str(tmp_path), "export", "routerbench",
                       "--out", str(tmp_path / "x.parquet"))
    assert code == 2 and "not a codeharvest warehouse" in one_line(err)
    assert list(tmp_path.iterdir()) == []
