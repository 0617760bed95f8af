"""`codeharvest collect` end to end: the quickstart (local Ray, real scorer actors and
sandbox, reference + replay models), its rerun, --dry-run, and one-line user errors."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from collector.cli import main
from tests.fakes import FakeProvider
from tests.integration._collect_helpers import KEY, job_yaml
from warehouse import Warehouse

pytestmark = pytest.mark.integration
REPO = Path(__file__).resolve().parents[2]


def _env(tmp: Path) -> dict[str, str]:
    env = {**os.environ, "CODEHARVEST_STATE_DIR": str(tmp / "state"), "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0",
           "RAY_AUTH_MODE": "disabled", "RAY_USAGE_STATS_ENABLED": "0"}
    env.pop("RAY_ADDRESS", None)
    return env


def test_quickstart_runs_offline_and_leaves_queryable_data(tmp_path):
    cmd = [sys.executable, "-m", "collector", "collect", str(REPO / "examples" / "quickstart.yaml"), "--no-progress"]
    res = subprocess.run(cmd, cwd=tmp_path, env=_env(tmp_path), capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stdout + res.stderr
    with Warehouse.open(str(tmp_path / "codeharvest-warehouse"), create=False) as wh:
        per_model = {r["model_id"]: r for r in wh.df(
            "SELECT g.model_id, count(*) AS n, sum(CASE WHEN s.pass_hidden THEN 1 ELSE 0 END) AS passed, "
            "count(s.score_id) AS scored FROM generations g LEFT JOIN scores s USING (generation_id) "
            "GROUP BY 1").to_dict("records")}
        runs = wh.df("SELECT run_id, status, job_spec FROM runs")
    # the scorer actors closed their sandboxes: no container of this run is left behind
    from scorer.sandbox import cleanup_containers, docker_available
    if docker_available()[0]:
        assert cleanup_containers(runs.run_id.iloc[0]) == 0
    assert per_model["reference"]["n"] == 40 and per_model["reference"]["passed"] == 40
    replay = per_model["replay-demo"]
    assert replay["n"] == 30 and replay["scored"] == 30 and replay["passed"] == 23   # 7 wrong on purpose
    assert "finished" in set(runs.status) and "quickstart_samples.jsonl" in runs.job_spec.iloc[0]
    # `codeharvest query` shows it
    q = subprocess.run([sys.executable, "-m", "collector", "query",
                        "SELECT model_id, count(*) AS n FROM generations GROUP BY 1 ORDER BY 1"],
                       cwd=tmp_path, env=_env(tmp_path), capture_output=True, text=True, timeout=120)
    assert q.returncode == 0 and "replay-demo" in q.stdout and "reference" in q.stdout


def test_quickstart_with_fast_fail_scoring_gives_the_same_verdicts(tmp_path):
    """``scoring.fast_fail: true`` reaches the scorer actors: the same pass/fail verdicts as the
    exact default (see the test above), recorded with the limits that say so."""
    text = (REPO / "examples" / "quickstart.yaml").read_text()
    job = tmp_path / "quickstart.yaml"
    job.write_text(text.replace("  batch_size: 4\n", "  batch_size: 4\n  fast_fail: true\n")
                   .replace("quickstart_samples.jsonl", str(REPO / "examples" / "quickstart_samples.jsonl")))
    assert "fast_fail: true" in job.read_text()
    cmd = [sys.executable, "-m", "collector", "collect", str(job), "--no-progress"]
    res = subprocess.run(cmd, cwd=tmp_path, env=_env(tmp_path), capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stdout + res.stderr
    with Warehouse.open(str(tmp_path / "codeharvest-warehouse"), create=False) as wh:
        rows = wh.df("SELECT g.model_id, s.pass_hidden, s.limits FROM generations g "
                     "JOIN scores s USING (generation_id)")
    passed = rows[rows.pass_hidden.astype(bool)].groupby("model_id").size().to_dict()
    assert passed == {"reference": 40, "replay-demo": 23} and len(rows) == 70
    assert all('"fast_fail": true' in lim for lim in rows.limits)


def test_dry_run_counts_and_prices_without_sending(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("CODEHARVEST_TEST_KEY", KEY)
    with FakeProvider() as fake:
        job = tmp_path / "job.yaml"
        job.write_text(job_yaml(fake.url, limit=6, n=2, max_tokens=100))
        with pytest.raises(SystemExit) as exc:
            main(["-w", str(tmp_path / "wh"), "collect", str(job), "--dry-run"])
        assert exc.value.code == 0
        assert fake.requests == 0
    out = capsys.readouterr().out
    line = next(ln for ln in out.splitlines() if "api" in ln and "openai" in ln)
    cells = [c.strip() for c in line.split("│") if c.strip()]
    assert cells[:3] == ["api", "openai", "12"] and int(cells[5]) == 12 * 100
    assert float(cells[7]) == pytest.approx(float(cells[6]) + 12 * 100 * 400 / 1e6, rel=1e-3)
    assert not (tmp_path / "wh").exists()


def test_bad_job_is_one_line_exit_2(tmp_path, capsys):
    job = tmp_path / "job.yaml"
    job.write_text("benchmarks: [{name: humaneval}]\nmodels:\n  - id: x\n    backend: reference\n    colour: red\n")
    with pytest.raises(SystemExit) as exc:
        main(["collect", str(job)])
    assert exc.value.code == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("codeharvest: error:") and "job.yaml:5" in err and "colour" in err and "\n" not in err


def test_job_spec_that_is_not_utf8_is_one_line_exit_2(tmp_path, capsys):
    job = tmp_path / "job.yaml"
    job.write_bytes("name: caf\xe9\nbenchmarks: [{name: humaneval}]\n".encode("latin-1"))
    with pytest.raises(SystemExit) as exc:
        main(["collect", str(job), "--dry-run"])
    assert exc.value.code == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("codeharvest: error:") and "not UTF-8" in err and "\n" not in err


def test_ray_client_address_is_one_line_exit_2_nothing_written(tmp_path, capsys, monkeypatch):
    """Model actors watch the driver's pid and share its journal folder: a Ray Client driver
    (off the cluster) is refused before anything is opened."""
    monkeypatch.chdir(tmp_path)
    job = tmp_path / "job.yaml"
    job.write_text("benchmarks: [{name: humaneval, limit: 2}]\nmodels:\n  - {id: r, backend: reference}\n"
                   f"warehouse: {tmp_path / 'wh'}\nscoring: {{enabled: false}}\n")
    with pytest.raises(SystemExit) as exc:
        main(["collect", str(job), "--no-progress", "--ray-address", "ray://127.0.0.1:10001"])
    assert exc.value.code == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("codeharvest: error:") and "ray job submit" in err and "\n" not in err
    assert not (tmp_path / "wh").exists()


def test_unreachable_ray_address_is_one_line_exit_2_nothing_written(tmp_path, monkeypatch):
    """Nobody listens on the port: refused in seconds (ray.init waited ~35 s, then hung), and
    before the warehouse is created."""
    import socket
    import time

    monkeypatch.chdir(tmp_path)
    with socket.socket() as s:              # a free port, closed again: connections are refused
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    job = tmp_path / "job.yaml"
    job.write_text("benchmarks: [{name: humaneval, limit: 2}]\nmodels:\n  - {id: r, backend: reference}\n"
                   f"warehouse: {tmp_path / 'wh'}\nscoring: {{enabled: false}}\n")
    t0 = time.monotonic()           # (a process of its own: no Ray already up in it)
    res = subprocess.run([sys.executable, "-m", "collector", "collect", str(job), "--no-progress",
                          "--ray-address", f"127.0.0.1:{port}"], cwd=tmp_path, env=_env(tmp_path),
                         capture_output=True, text=True, timeout=120)
    assert res.returncode == 2 and time.monotonic() - t0 < 60, res.stderr
    err = res.stderr.strip()
    assert err.startswith("codeharvest: error:") and f"127.0.0.1:{port}" in err and "\n" not in err
    assert not (tmp_path / "wh").exists()


def test_unwritable_journal_folder_is_one_line_exit_2_nothing_written(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "afile").write_text("")
    job = tmp_path / "job.yaml"
    job.write_text("benchmarks: [{name: humaneval, limit: 2}]\nmodels:\n  - {id: r, backend: reference}\n"
                   f"warehouse: {tmp_path / 'wh'}\nscoring: {{enabled: false}}\n")
    with pytest.raises(SystemExit) as exc:
        main(["collect", str(job), "--no-progress", "--journal-dir", str(tmp_path / "afile" / "j")])
    assert exc.value.code == 2
    err = capsys.readouterr().err.strip()
    assert "journal folder" in err and "not a writable folder" in err and "\n" not in err
    assert not (tmp_path / "wh").exists()
