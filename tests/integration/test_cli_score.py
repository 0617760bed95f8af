"""`codeharvest score`: EvalPlus-format samples in, per-sample results, summary, warehouse rows."""
from __future__ import annotations

import gzip
import json

import pytest

from collector.cli import main

pytestmark = pytest.mark.integration


def run_cli(argv, capsys):
    with pytest.raises(SystemExit) as exc:
        main(argv)
    out = capsys.readouterr()
    return exc.value.code, out.out, out.err


@pytest.fixture()
def samples(tmp_path, shared_data):
    probs = [json.loads(line) for line in gzip.open(shared_data / "evalplus" / "HumanEvalPlus-Mini.jsonl.gz", "rt")][:4]
    path = tmp_path / "samples.jsonl"
    with open(path, "w") as f:
        for p in probs:  # canonical solutions: pass
            f.write(json.dumps({"task_id": p["task_id"], "solution": p["prompt"] + p["canonical_solution"]}) + "\n")
        # a completion (appended to the prompt, as EvalPlus does) that is wrong
        f.write(json.dumps({"task_id": probs[0]["task_id"], "completion": "    return True\n"}) + "\n")
        # raw chat text goes through answer extraction
        f.write(json.dumps({"task_id": probs[1]["task_id"],
                            "solution": "Sure:\n```python\ndef separate_paren_groups(s):\n    return []\n```\n"}) + "\n")
        f.write(json.dumps({"task_id": probs[2]["task_id"], "solution": "I cannot help with that."}) + "\n")
    return path


def base_args(samples, tmp_path, shared_data):
    return ["score", "--benchmark", "humaneval-plus-mini", "--samples", str(samples),
            "--data-dir", str(shared_data), "--sandbox", "local", "--cache-dir", str(tmp_path / "cache")]


def test_score_out_summary_warehouse_and_resume(samples, tmp_path, shared_data, capsys):
    wh = tmp_path / "wh"
    out = tmp_path / "results.jsonl"
    code, stdout, _ = run_cli(["--warehouse", str(wh)] + base_args(samples, tmp_path, shared_data)
                              + ["--out", str(out), "--model-id", "replayed"], capsys)
    assert code == 0
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["pass_hidden"] for r in rows] == [True, True, True, True, False, False, False]
    assert rows[4]["error_type"] == "wrong_output" and rows[4]["sample_index"] == 1
    assert rows[5]["error_type"] == "wrong_output"              # extracted, runs, wrong
    assert rows[6]["error_type"] in ("no_code_extracted", "syntax_error")
    assert all(r["status"] == "scored" and r["hidden_total"] >= r["visible_total"] > 0 for r in rows)
    # EvalPlus-like summary: pass@1 averaged per task (task 0: 1 of 2 samples pass)
    assert "(base + extra tests)" in stdout
    assert f"pass@1:\t{(0.5 + 0.5 + 0.5 + 1) / 4:.3f}" in stdout

    from warehouse import Warehouse

    with Warehouse.open(str(wh), create=False) as w:
        gens = w.sql("SELECT * FROM generations ORDER BY task_id, sample_index").to_pylist()
        scores = w.sql("SELECT * FROM scores").to_pylist()
    assert len(gens) == 7 and {g["backend"] for g in gens} == {"replay"}
    assert {g["model_id"] for g in gens} == {"replayed"}
    assert len(scores) == 7 and {s["generation_id"] for s in scores} == {g["generation_id"] for g in gens}
    assert all(s["scorer"].startswith("codeharvest-scorer@") and s["sandbox"].startswith("local:") for s in scores)

    # rerun: nothing is scored again, the output still covers every sample
    out2 = tmp_path / "results2.jsonl"
    code, stdout, _ = run_cli(["--warehouse", str(wh)] + base_args(samples, tmp_path, shared_data)
                              + ["--out", str(out2), "--model-id", "replayed"], capsys)
    assert code == 0 and "0 samples scored" in stdout and "7 already scored" in stdout
    rows2 = [json.loads(line) for line in out2.read_text().splitlines()]
    assert [r["pass_hidden"] for r in rows2] == [r["pass_hidden"] for r in rows]
    # exec_s is not stored in the warehouse: resumed lines say null, never leave the key out
    assert all(isinstance(r["exec_s"], float) for r in rows[:5])
    assert all("exec_s" in r and r["exec_s"] is None for r in rows2)
    with Warehouse.open(str(wh), create=False) as w:
        assert w.sql("SELECT count(*) AS n FROM scores").to_pylist()[0]["n"] == 7


def test_without_warehouse_option_nothing_is_written(samples, tmp_path, shared_data, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CODEHARVEST_WAREHOUSE", raising=False)
    code, stdout, _ = run_cli(base_args(samples, tmp_path, shared_data), capsys)
    assert code == 0 and "pass@1" in stdout
    assert not (tmp_path / "codeharvest-warehouse").exists()


@pytest.mark.parametrize("content,message", [
    (None, "samples file not found"),
    ('{"task_id": "HumanEval/0", "solution": "x"}\n{oops\n', "line 2: malformed JSON"),
    ('{"task_id": "HumanEval/0"}\n', "line 1: a sample needs a string 'solution' or 'completion'"),
    ('{"task_id": "HumanEval/9999", "solution": "x"}\n', "'HumanEval/9999' is not in benchmark"),
    ('{"task_id": "HumanEval/0", "solution": "caf\xe9"}\n'.encode("latin-1"), "unreadable (UnicodeDecodeError"),
])
def test_bad_samples_one_line_exit_2_nothing_written(tmp_path, shared_data, capsys, content, message):
    path = tmp_path / "bad.jsonl"
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif content is not None:
        path.write_text(content)
    wh, out = tmp_path / "wh", tmp_path / "out.jsonl"
    code, stdout, err = run_cli(["--warehouse", str(wh)] + base_args(path, tmp_path, shared_data)
                                + ["--out", str(out)], capsys)
    assert code == 2
    assert err.startswith("codeharvest: error:") and message in err and len(err.strip().splitlines()) == 1
    assert "Traceback" not in err
    assert not out.exists() and not wh.exists()


def test_samples_split_at_newlines_only(tmp_path):
    """JSON allows U+2028/U+2029/U+0085 raw inside a string: they do not end a sample's line."""
    from collector.cli._score import _read_samples

    path = tmp_path / "s.jsonl"
    path.write_text('{"task_id": "HumanEval/0", "solution": "x = 1  # a\u2028b\u0085c"}\r\n'
                    '{"task_id": "HumanEval/1", "completion": "pass"}\n', encoding="utf-8")
    got = [(s.line, s.task_id, s.raw) for s in _read_samples(path)]
    assert got == [(1, "HumanEval/0", "x = 1  # a\u2028b\u0085c"), (2, "HumanEval/1", "pass")]


def test_unknown_benchmark_and_sandbox(tmp_path, samples, shared_data, capsys):
    code, _, err = run_cli(["score", "--benchmark", "nope", "--samples", str(samples)], capsys)
    assert code == 2 and err.startswith("codeharvest: error:")
    code, _, err = run_cli(base_args(samples, tmp_path, shared_data)[:-4] + ["--sandbox", "vm"], capsys)
    assert code == 2 and "--sandbox" in err


def test_workers_use_a_pool_of_scorer_actors(ray_session, samples, tmp_path, shared_data, capsys):
    out = tmp_path / "ray.jsonl"
    code, stdout, _ = run_cli(base_args(samples, tmp_path, shared_data) + ["--workers", "2", "--out", str(out)], capsys)
    assert code == 0
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["pass_hidden"] for r in rows] == [True, True, True, True, False, False, False]


def test_ray_default_workers_half_the_cluster_cpus(ray_session, samples, tmp_path, shared_data, capsys,
                                                   monkeypatch):
    import collector.cli._score as score_cli

    pools = []
    real = score_cli._RayPool

    def recording(*a, **k):
        pools.append(real(*a, **k))
        return pools[-1]

    monkeypatch.setattr(score_cli, "_RayPool", recording)
    assert run_cli(base_args(samples, tmp_path, shared_data), capsys)[0] == 0
    cpus = int(ray_session.cluster_resources()["CPU"])
    assert pools[0].workers == min(max(1, cpus // 2), 7) and len(pools[0].actors) == pools[0].workers


def test_default_workers_half_the_cpus_and_never_more_than_samples(samples, tmp_path, shared_data, capsys,
                                                                  monkeypatch):
    import collector.cli._score as score_cli

    assert score_cli.default_workers() == max(1, len(__import__("os").sched_getaffinity(0)) // 2)
    started = []
    real = score_cli._ThreadPool

    def counting(kind, workers, *a, **k):
        started.append(workers)
        return real(kind, workers, *a, **k)

    monkeypatch.setattr(score_cli, "_ThreadPool", counting)
    monkeypatch.setattr(score_cli, "_on_ray", lambda address: False)   # (Ray may run in this process)
    monkeypatch.setattr(score_cli, "default_workers", lambda: 16)
    two = tmp_path / "two.jsonl"
    two.write_text("".join(samples.read_text().splitlines(keepends=True)[:2]))
    assert run_cli(base_args(two, tmp_path, shared_data), capsys)[0] == 0
    assert run_cli(base_args(samples, tmp_path, shared_data) + ["--workers", "3"], capsys)[0] == 0
    assert started == [2, 3]       # 16 by default, but 2 samples need no more than 2 sandboxes


def test_a_scorer_actor_that_cannot_start_says_why_in_one_line(ray_session, tmp_path):
    """The actor's sandbox fails in its creation task, on another process: the user gets the
    reason, not a Ray traceback."""
    from collector.cli._score import _RayPool
    from scorer import ScorerError

    pool = _RayPool("no-such-sandbox", 1, 1, "t-actor", tmp_path / "cache")
    try:
        with pytest.raises(ScorerError) as exc:
            pool.describe()
        msg = str(exc.value)
        assert msg.startswith("scorer actor did not start:") and "no-such-sandbox" in msg
        assert "\n" not in msg and "Traceback" not in msg
    finally:
        pool.close()


# ---------------------------------------------------------------- audit regressions (bad input)

@pytest.mark.parametrize("setup, out, needle", [
    ("results.jsonl/", "results.jsonl", "is a directory"),
    ("file", "file/results.jsonl", "is not a directory"),
    ("", "/proc/results.jsonl", "cannot create files in /proc"),
])
def test_unwritable_out_is_refused_before_scoring(samples, tmp_path, shared_data, capsys, monkeypatch,
                                                  setup, out, needle):
    import collector.cli._score as score_cli

    if setup.endswith("/"):
        (tmp_path / setup).mkdir()
    elif setup:
        (tmp_path / setup).write_text("")
    monkeypatch.setattr(score_cli, "_start_pool", lambda *a, **k: pytest.fail("a sandbox was started"))
    before = sorted(p.name for p in tmp_path.iterdir())
    target = out if out.startswith("/") else str(tmp_path / out)
    code, stdout, err = run_cli(["--warehouse", str(tmp_path / "wh")] + base_args(samples, tmp_path, shared_data)
                                + ["--out", target], capsys)
    lines = err.strip().splitlines()
    assert code == 2 and len(lines) == 1 and needle in lines[0] and "Traceback" not in err, err
    assert sorted(p.name for p in tmp_path.iterdir()) == before      # no warehouse, no temp file


def test_out_file_mode_and_a_failed_write_is_one_line(samples, tmp_path, shared_data, capsys, monkeypatch):
    import os

    out = tmp_path / "new" / "results.jsonl"
    code, _, err = run_cli(base_args(samples, tmp_path, shared_data) + ["--out", str(out)], capsys)
    assert code == 0, err
    umask = os.umask(0)
    os.umask(umask)
    assert os.stat(out).st_mode & 0o777 == 0o666 & ~umask            # not mkstemp's 0600
    assert [p.name for p in out.parent.iterdir()] == ["results.jsonl"]
    assert all("exec_s" in json.loads(line) for line in out.read_text().splitlines())

    def full(path):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("warehouse._exports.readable_mode", full)     # (the step before the rename)
    code, _, err = run_cli(base_args(samples, tmp_path, shared_data) + ["--out", str(out)], capsys)
    assert code == 2 and err.strip() == f"codeharvest: error: cannot write {out}: No space left on device"
    assert [p.name for p in out.parent.iterdir()] == ["results.jsonl"]
