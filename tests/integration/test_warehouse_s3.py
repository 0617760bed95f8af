"""The warehouse over a real S3 wire protocol (moto server on 127.0.0.1) through s3fs + DuckDB."""
from __future__ import annotations

import time
import uuid

import pytest

from warehouse import Warehouse, WarehouseError
from tests.conftest import free_port

pytestmark = pytest.mark.integration


@pytest.fixture()
def s3(moto_server, monkeypatch):
    import s3fs

    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", moto_server)
    fs = s3fs.S3FileSystem(client_kwargs={"endpoint_url": moto_server}, skip_instance_cache=True)
    bucket = f"wh-{uuid.uuid4().hex[:12]}"
    fs.mkdir(bucket)
    yield fs, bucket


def rows(ids, score, benchmark="mbpp"):
    return [{"score_id": f"s{i}", "benchmark": benchmark, "model_id": "m", "score": score} for i in ids]


def test_write_read_dedup_and_compact_through_s3(s3):
    fs, bucket = s3
    uri = f"s3://{bucket}/team/wh"
    with Warehouse.open(uri) as wh:
        assert wh.append("scores", rows(range(100), 0.1)) == 100
        assert wh.append("scores", rows(range(0, 100, 2), 0.2)) == 50            # scattered re-writes
        assert wh.append("scores", rows(range(95, 110), 0.3, benchmark="apps")) == 15  # contiguous
        assert wh.append("runs", [{"run_id": "r1", "spend_usd": 3.0}]) == 1
    # a second, independent reader sees the same thing through s3://
    with Warehouse.open(uri, create=False) as wh:
        result = {r["score_id"]: r["score"] for r in wh.sql("SELECT score_id, score FROM scores").to_pylist()}
        assert wh.sql("SELECT count(*) FROM scores").column(0)[0].as_py() == len(result) == 110
        assert [result[f"s{i}"] for i in (0, 1, 2, 3, 96, 97, 109)] == [0.2, 0.1, 0.2, 0.1, 0.3, 0.3, 0.3]
        assert wh.existing_keys("runs") == {"r1"}
        before = wh.sql("SELECT * FROM scores ORDER BY score_id")
        summary = wh.compact()
        assert summary["scores"]["rows"] == 110 and summary["scores"]["files_after"] == 2
        assert wh.sql("SELECT * FROM scores ORDER BY score_id").equals(before)
    keys = fs.find(f"{bucket}/team/wh")
    data = [k for k in keys if k.endswith(".parquet")]
    assert sorted(k.split("/")[4] for k in data if "/scores/" in k) == ["benchmark=apps", "benchmark=mbpp"]
    assert all("/compact-" in k for k in data)
    assert not [k for k in keys if "/.tmp-" in k]


def test_query_on_missing_s3_warehouse_creates_nothing(s3):
    fs, bucket = s3
    with pytest.raises(WarehouseError, match="does not exist"):
        Warehouse.open(f"s3://{bucket}/nothing-here", create=False)
    with pytest.raises(WarehouseError, match="bucket 'no-such-bucket-x' does not exist"):
        Warehouse.open("s3://no-such-bucket-x/wh")
    assert fs.find(bucket) == []


def test_unreachable_endpoint_is_a_one_line_error(monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", f"http://127.0.0.1:{free_port()}")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    start = time.time()
    with pytest.raises(WarehouseError) as exc:
        Warehouse.open("s3://some-bucket/wh")
    assert "\n" not in str(exc.value) and "S3 error" in str(exc.value)
    assert time.time() - start < 60


@pytest.mark.parametrize("uri, message", [
    ("s3://", "missing bucket"), ("s3://ab", "invalid bucket name"), ("ftp://x", "unsupported"),
    ("s3://UPPER/x", "invalid bucket name"), ("s3://abc/../x", "invalid prefix"), ("", "empty"),
])
def test_malformed_uris(uri, message):
    with pytest.raises(WarehouseError, match=message):
        Warehouse.open(uri)
