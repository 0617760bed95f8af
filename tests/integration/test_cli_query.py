"""`codeharvest query` and `codeharvest compact` through the real command line."""
from __future__ import annotations

import csv
import io
import json
import logging
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import free_port
from collector.cli import main
from warehouse import Warehouse

pytestmark = pytest.mark.integration
REPO = Path(__file__).resolve().parents[2]


@dataclass
class Result:
    returncode: int
    stdout: str
    stderr: str


@pytest.fixture()
def cli(capsys, monkeypatch):
    """Run ``collector.cli.main`` in-process (the real entry point) and capture its output."""

    def run(*args: str, env: dict | None = None, cwd: Path | None = None) -> Result:
        with monkeypatch.context() as m:
            for key, value in (env or {}).items():
                m.setenv(key, value)
            if cwd is not None:
                m.chdir(cwd)
            capsys.readouterr()
            with pytest.raises(SystemExit) as exc:
                main(list(args))
            out = capsys.readouterr()
        return Result(exc.value.code, out.out, out.err)

    return run


def snapshot(root: Path) -> dict[str, int]:
    return {str(p.relative_to(root)): p.stat().st_mtime_ns for p in root.rglob("*")} if root.exists() else {}


def assert_one_line_error(result, *needles: str) -> None:
    assert result.returncode == 2, (result.stdout, result.stderr)
    err = result.stderr.strip()
    assert err.startswith("codeharvest: error:"), err
    assert "\n" not in err and "Traceback" not in err, err
    for needle in needles:
        assert needle in err, err
    assert result.stdout == ""


@pytest.fixture()
def filled(tmp_path) -> Path:
    root = tmp_path / "wh"
    with Warehouse.open(str(root)) as wh:
        wh.append("scores", [{"score_id": f"s{i}", "benchmark": "mbpp", "model_id": f"m{i % 2}", "score": i / 4}
                             for i in range(4)])
        wh.append("scores", [{"score_id": "s0", "benchmark": "mbpp", "model_id": "m0", "score": 1.0}])
    return root


def test_query_formats(filled, cli):
    sql = "SELECT model_id, count(*) AS n, sum(score) AS total FROM scores GROUP BY model_id ORDER BY model_id"
    table = cli("--warehouse", str(filled), "query", sql)
    assert table.returncode == 0, table.stderr
    assert "model_id" in table.stdout and "m0" in table.stdout and "1.5" in table.stdout
    as_csv = cli("-w", str(filled), "query", "--format", "csv", sql)
    assert list(csv.DictReader(io.StringIO(as_csv.stdout))) == [
        {"model_id": "m0", "n": "2", "total": "1.5"}, {"model_id": "m1", "n": "2", "total": "1.0"}]
    as_json = cli("query", "-f", "json", "SELECT score_id, written_at FROM scores WHERE score_id='s0'",
                  env={"CODEHARVEST_WAREHOUSE": str(filled)})
    rows = json.loads(as_json.stdout)
    assert len(rows) == 1 and rows[0]["score_id"] == "s0" and rows[0]["written_at"].endswith("+00:00")


def test_invalid_sql_and_writes_are_rejected_and_write_nothing(filled, tmp_path, cli):
    before = snapshot(filled)
    assert_one_line_error(cli("-w", str(filled), "query", "SELEC model_id FROM scores"), "invalid SQL")
    assert_one_line_error(cli("-w", str(filled), "query", "SELECT nope FROM scores"), "query failed")
    target = tmp_path / "leak.csv"
    assert_one_line_error(cli("-w", str(filled), "query", f"COPY (SELECT * FROM scores) TO '{target}'"),
                          "read-only")
    assert_one_line_error(cli("-w", str(filled), "query", "DELETE FROM scores"), "read-only")
    assert_one_line_error(cli("-w", str(filled), "query", f"EXPLAIN ANALYZE COPY (SELECT 1) TO '{target}'"),
                          "read-only")
    assert not target.exists()
    assert snapshot(filled) == before


def test_a_query_reads_the_warehouse_and_no_other_file(filled, tmp_path, cli):
    secret = tmp_path / "secret.csv"
    secret.write_text("token\nhunter2\n")
    assert_one_line_error(cli("-w", str(filled), "query", f"SELECT * FROM read_csv('{secret}')"),
                          "disabled by configuration")
    ok = cli("-w", str(filled), "query", "-f", "csv", "SELECT count(*) AS n FROM scores")
    assert ok.returncode == 0 and ok.stdout.splitlines()[0] == "n" and int(ok.stdout.splitlines()[1]) > 0
    views = cli("-w", str(filled), "query", "-f", "csv", "SELECT count(*) AS n FROM model_summary")
    assert views.returncode == 0, views.stderr                  # the analytic views still read


def test_query_on_a_missing_warehouse_creates_nothing(tmp_path, cli):
    missing = tmp_path / "nope" / "wh"
    assert_one_line_error(cli("-w", str(missing), "query", "SELECT 1"), "does not exist")
    assert not (tmp_path / "nope").exists()
    assert_one_line_error(cli("-w", str(missing), "compact"), "does not exist")
    assert not (tmp_path / "nope").exists()


def test_default_warehouse_is_not_created_by_query(tmp_path, cli, monkeypatch):
    monkeypatch.delenv("CODEHARVEST_WAREHOUSE", raising=False)
    assert_one_line_error(cli("query", "SELECT 1", cwd=tmp_path), "does not exist")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("uri, needle", [
    ("s3://", "missing bucket"), ("ftp://x", "unsupported"), ("s3://ab", "invalid bucket name"),
])
def test_malformed_uris(uri, needle, tmp_path, cli):
    assert_one_line_error(cli("-w", uri, "query", "SELECT 1", cwd=tmp_path), needle)
    assert list(tmp_path.iterdir()) == []


def test_unreachable_s3_endpoint(tmp_path, cli):
    env = {"AWS_ENDPOINT_URL_S3": f"http://127.0.0.1:{free_port()}", "AWS_ACCESS_KEY_ID": "testing",
           "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1"}
    assert_one_line_error(cli("-w", "s3://some-bucket/wh", "query", "SELECT 1", env=env, cwd=tmp_path),
                          "S3 error", "127.0.0.1")
    assert_one_line_error(cli("-w", "s3://some-bucket/wh", "compact", env=env, cwd=tmp_path), "S3 error")


def test_compact_command(filled, cli):
    before = cli("-w", str(filled), "query", "-f", "json", "SELECT * EXCLUDE (written_at) FROM scores ORDER BY score_id")
    result = cli("-w", str(filled), "compact", "--table", "scores")
    assert result.returncode == 0, result.stderr
    assert "scores" in result.stdout
    files = sorted(p.name for p in filled.rglob("*.parquet"))
    assert len(files) == 1 and files[0].startswith("compact-")
    after = cli("-w", str(filled), "query", "-f", "json", "SELECT * EXCLUDE (written_at) FROM scores ORDER BY score_id")
    assert json.loads(after.stdout) == json.loads(before.stdout)
    assert len(json.loads(after.stdout)) == 4
    assert_one_line_error(cli("-w", str(filled), "compact", "--table", "bogus"), "unknown table")


def test_query_and_compact_on_s3(moto_server, tmp_path, cli, monkeypatch):
    import s3fs

    fs = s3fs.S3FileSystem(client_kwargs={"endpoint_url": moto_server}, skip_instance_cache=True)
    fs.mkdir("cli-bucket")
    env = {"AWS_ENDPOINT_URL_S3": moto_server}
    # the moto server runs in this process: keep its request log out of the CLI's stderr
    monkeypatch.setattr(logging.getLogger("werkzeug"), "disabled", True)
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", moto_server)
    with Warehouse.open("s3://cli-bucket/wh") as wh:
        wh.append("runs", [{"run_id": "r1", "spend_usd": 1.25}])
    result = cli("-w", "s3://cli-bucket/wh", "query", "-f", "csv", "SELECT run_id, spend_usd FROM runs", env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["run_id,spend_usd", "r1,1.25"]
    assert cli("-w", "s3://cli-bucket/wh", "compact", env=env).returncode == 0
    assert_one_line_error(cli("-w", "s3://cli-bucket/other", "query", "SELECT 1", env=env), "does not exist")


def test_bad_input_in_a_real_process_prints_one_line(tmp_path):
    """The installed entry point itself: no traceback, exit 2, nothing created."""
    result = subprocess.run([sys.executable, "-m", "collector", "-w", str(tmp_path / "absent"), "query",
                             "SELECT 1"], capture_output=True, text=True, timeout=180, cwd=REPO)
    assert_one_line_error(result, "does not exist")
    assert list(tmp_path.iterdir()) == []
