"""`codeharvest routing` end to end on a real (local Parquet) warehouse; bad arguments exit 2."""
from __future__ import annotations

import json

import pytest

from collector.cli import main
from tests.unit.test_analytics_data import fill_warehouse, routing_rows
from tests.integration._paths import lay_out

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def wh(tmp_path_factory):
    return fill_warehouse(str(tmp_path_factory.mktemp("wh") / "wh"), routing_rows())


def run(capsys, *args):
    with pytest.raises(SystemExit) as exc:
        main(list(args))
    out = capsys.readouterr()
    return exc.value.code, out.out, out.err


def test_routing_table_and_json(wh, capsys, tmp_path):
    code, out, err = run(capsys, "--warehouse", wh, "routing", "--benchmark", "bench", "--cheap", "cheap",
                         "--strong", "strong", "--lambdas", "0,0.5", "--bootstrap", "500", "--seed", "1",
                         "--out", str(tmp_path / "r.csv"))
    assert code == 0, err
    for policy in ("always_cheap", "always_strong", "prompt_length", "cheap_then_escalate", "random", "oracle"):
        assert policy in out
    assert "32 evaluation tasks, 8 validation tasks" in out
    assert (tmp_path / "r.csv").read_text().count("\n") == 1 + 12
    code, out, err = run(capsys, "--warehouse", wh, "routing", "-b", "bench", "--cheap", "cheap", "--strong",
                         "strong", "-l", "0", "--bootstrap", "200", "--json")
    assert code == 0, err
    data = json.loads(out)
    rows = {r["policy"]: r for r in data["rows"]}
    assert data["n_tasks"] + data["n_val"] == 40
    assert rows["always_strong"]["cost"] == pytest.approx(1.0)
    assert rows["always_cheap"]["cost"] == pytest.approx(0.05)
    assert rows["oracle"]["pass_rate"] >= max(rows["always_cheap"]["pass_rate"], rows["always_strong"]["pass_rate"])
    ci = rows["cheap_then_escalate"]
    assert ci["pass_rate_lo"] <= ci["pass_rate"] <= ci["pass_rate_hi"]
    # reproducible for a seed
    code2, out2, _ = run(capsys, "--warehouse", wh, "routing", "-b", "bench", "--cheap", "cheap", "--strong",
                         "strong", "-l", "0", "--bootstrap", "200", "--json")
    assert json.loads(out2)["rows"] == data["rows"]


def test_multi_model_table(wh, capsys):
    code, out, err = run(capsys, "--warehouse", wh, "routing", "-b", "bench", "--multi", "--json")
    assert code == 0, err
    rows = {r["name"]: r for r in json.loads(out)}
    assert set(rows) == {"cheap", "mid", "strong", "oracle", "rs@0", "rs@0.25", "rs@0.5"}
    assert rows["strong"]["relative_cost"] == pytest.approx(1.0) and rows["cheap"]["cs"] == pytest.approx(1.0)
    assert rows["strong"]["cs"] == pytest.approx(20.0) and rows["strong"]["cs_inv"] == pytest.approx(0.0)
    assert rows["oracle"]["es"] >= max(rows[m]["es"] for m in ("cheap", "mid", "strong"))
    code, out, err = run(capsys, "--warehouse", wh, "routing", "-b", "bench", "--multi", "-m", "cheap,mid",
                         "-l", "0.5")
    assert code == 0 and "rs@0.5" in out and "strong" not in out
    code, _, err = run(capsys, "--warehouse", wh, "routing", "-b", "bench", "--multi", "-l", "2")
    assert code == 2 and "lambda2 must be in [0, 1]" in err


@pytest.mark.parametrize("args, needle", [
    (["--cheap", "nope", "--strong", "strong"], "unknown model 'nope'"),
    (["--cheap", "cheap", "--strong", "strong", "--lambdas", "abc"], "lambda 'abc' is not a number"),
    (["--cheap", "cheap", "--strong", "strong", "--lambdas", "0,x1"], "lambda 'x1' is not a number"),
    (["--cheap", "cheap", "--strong", "strong", "--bootstrap", "many"], "bootstrap"),
    (["--cheap", "cheap", "--strong", "cheap"], "must be different"),
    (["--cheap", "cheap"], "give --cheap and --strong"),
    (["--multi", "--models", "cheap,nope"], "unknown model 'nope'"),
])
def test_bad_arguments_exit_2_one_line(wh, capsys, args, needle):
    code, out, err = run(capsys, "--warehouse", wh, "routing", "--benchmark", "bench", *args)
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("codeharvest: error:") and needle in lines[0], err


def test_unknown_benchmark_and_missing_warehouse(wh, capsys, tmp_path):
    code, _, err = run(capsys, "--warehouse", wh, "routing", "-b", "zz", "--cheap", "cheap", "--strong", "strong")
    assert code == 2 and "unknown benchmark 'zz'" in err and len(err.strip().splitlines()) == 1
    code, _, err = run(capsys, "--warehouse", str(tmp_path / "none"), "routing", "-b", "bench", "--cheap", "a",
                       "--strong", "b")
    assert code == 2 and len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert not (tmp_path / "none").exists()


# ---------------------------------------------------------------- audit regressions (bad input)

def one_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("codeharvest: error:") and "Traceback" not in err, err
    return lines[0]


PAIR = ["--cheap", "cheap", "--strong", "strong", "--bootstrap", "50"]


@pytest.mark.parametrize("args, needle", [
    (PAIR + ["--seed", "-1"], "'--seed'"),
    (PAIR + ["--bootstrap", "-1"], "'--bootstrap'"),
    (PAIR + ["--val", "nan"], "--val (the validation fraction) must be in [0, 1)"),
    (["--multi", "--cheap", "nope"], "--cheap is not used with --multi"),
    (["--multi", "--strong", "strong", "--seed", "3", "--val", "0.1"],
     "--strong, --seed, --val are not used with --multi"),
    (["--multi", "--bootstrap", "10"], "--bootstrap is not used with --multi"),
    (PAIR + ["--models", "cheap,mid"], "--models is not used without --multi"),
])
def test_options_the_mode_does_not_use_and_bad_numbers(wh, capsys, args, needle):
    code, out, err = run(capsys, "--warehouse", wh, "routing", "--benchmark", "bench", *args)
    assert code == 2 and needle in one_line(err) and out == ""


@pytest.mark.parametrize("multi", [False, True])
def test_unknown_benchmark_lists_the_scored_ones(wh, capsys, multi):
    args = ["--multi"] if multi else ["--cheap", "cheap", "--strong", "strong"]
    code, _, err = run(capsys, "--warehouse", wh, "routing", "-b", "nosuch", *args)
    assert code == 2 and "unknown benchmark 'nosuch' (scored benchmarks: bench)" in one_line(err)


@pytest.mark.parametrize("multi", [False, True])
@pytest.mark.parametrize("setup, out, needle", [
    ("r.csv/", "r.csv", "is a directory"),
    ("file", "file/r.csv", "is not a directory"),
    ("", "/proc/r.csv", "cannot create files in /proc"),
])
def test_unwritable_out_exit_2_before_any_work(wh, capsys, tmp_path, multi, setup, out, needle):
    before = lay_out(tmp_path, setup)
    target = out if out.startswith("/") else str(tmp_path / out)
    args = ["--multi"] if multi else PAIR
    code, stdout, err = run(capsys, "--warehouse", wh, "routing", "-b", "bench", *args, "--out", target)
    assert code == 2 and needle in one_line(err) and stdout == ""
    assert sorted(p.name for p in tmp_path.iterdir()) == before


def test_out_file_has_the_usual_mode_and_no_temp_file(wh, capsys, tmp_path):
    import os

    umask = os.umask(0)
    os.umask(umask)
    code, _, err = run(capsys, "--warehouse", wh, "routing", "-b", "bench", *PAIR, "--out",
                       str(tmp_path / "new" / "r.json"))
    assert code == 0, err
    assert [p.name for p in (tmp_path / "new").iterdir()] == ["r.json"]
    assert os.stat(tmp_path / "new" / "r.json").st_mode & 0o777 == 0o666 & ~umask


def test_a_free_strong_model_is_reported_in_usd(tmp_path, capsys):
    from tests.unit.test_analytics_data import build_rows, outcome

    rows = []
    for i in range(10):
        rows.append(outcome("bench", f"t{i}", "api", 1.0 if i % 2 else 0.0, cost=0.003))
        rows.append(outcome("bench", f"t{i}", "local", 1.0, cost=0.0))
    free = fill_warehouse(str(tmp_path / "free"), build_rows(rows))
    code, out, err = run(capsys, "--warehouse", free, "routing", "-b", "bench", "--cheap", "api",
                         "--strong", "local", "-l", "0", "--bootstrap", "0")
    assert code == 0, err
    assert "costs in USD (mean strong spend $0)" in out and "cost 1.0 = $1" not in out
    code, out, err = run(capsys, "--warehouse", free, "routing", "-b", "bench", "--cheap", "api",
                         "--strong", "local", "-l", "0", "--bootstrap", "0", "--json")
    data = json.loads(out)
    assert data["strong_mean_cost_usd"] == 0.0 and data["cost_unit_usd"] == 1.0
    rows_ = {r["policy"]: r for r in data["rows"]}
    assert rows_["always_cheap"]["cost"] == pytest.approx(0.003) and rows_["always_strong"]["cost"] == 0.0
    code, out, _ = run(capsys, "--warehouse", str(tmp_path / "free"), "routing", "-b", "bench", "--cheap", "local",
                       "--strong", "api", "-l", "0", "--bootstrap", "0", "--json")
    data = json.loads(out)
    assert data["strong_mean_cost_usd"] == pytest.approx(0.003) == data["cost_unit_usd"]
