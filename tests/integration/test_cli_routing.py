"""`codeharvest routing` end to end on a real (local Parquet) warehouse; bad arguments exit 2."""
from __future__ import annotations

import json

import pytest

from collector.cli import main
from tests.unit.test_analytics_data import fill_warehouse, routing_rows

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
