"""Real processes: concurrent appends lose nothing, SIGKILL mid-append leaves nothing partial
visible, and readers never see a row missing or doubled while compaction runs."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from warehouse import Warehouse

pytestmark = pytest.mark.integration
REPO = Path(__file__).resolve().parents[2]


def spawn(code: str, *args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", textwrap.dedent(code), *args], cwd=REPO,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


WRITER = """
import sys
from warehouse import Warehouse
root, tag, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
with Warehouse.open(root) as wh:
    for b in range(n):
        # own keys plus keys both writers share
        rows = [{"score_id": f"{tag}-{b}-{i}", "benchmark": "mbpp", "model_id": tag, "score": 1.0} for i in range(20)]
        rows += [{"score_id": f"shared-{b}-{i}", "benchmark": "mbpp", "model_id": "shared", "score": 1.0} for i in range(5)]
        wh.append("scores", rows)
print("done")
"""


def test_two_processes_appending_at_once_lose_no_rows(tmp_path):
    root = str(tmp_path / "wh")
    Warehouse.open(root).close()
    procs = [spawn(WRITER, root, tag, "15") for tag in ("a", "b")]
    for p in procs:
        out, err = p.communicate(timeout=240)
        assert p.returncode == 0, err
    with Warehouse.open(root, create=False) as wh:
        keys = wh.existing_keys("scores")
        expected = {f"{t}-{b}-{i}" for t in ("a", "b") for b in range(15) for i in range(20)}
        expected |= {f"shared-{b}-{i}" for b in range(15) for i in range(5)}
        assert keys == expected
        assert wh.sql("SELECT count(*) FROM scores").column(0)[0].as_py() == len(expected)
        assert wh.state("scores").unchecked == []


KILLED = """
import sys
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from warehouse import Warehouse
root = sys.argv[1]
n = 2_000_000
rng = np.random.default_rng(0)
noise = lambda: pa.array(rng.integers(0, 2**63, n)).cast(pa.string())
with Warehouse.open(root) as wh:
    big = pa.table({"score_id": pc.binary_join_element_wise("k", pa.array(np.arange(n)).cast(pa.string()), ""),
                    "benchmark": pa.array(["mbpp"] * n),
                    "stderr_tail": pc.binary_join_element_wise(noise(), noise(), noise(), noise(), "-")})
    print("writing", flush=True)
    while True:
        wh.append("scores", big)
"""


def test_sigkill_during_append_leaves_no_partial_file_visible(tmp_path):
    root = tmp_path / "wh"
    with Warehouse.open(str(root)) as wh:
        wh.append("scores", [{"score_id": "before", "benchmark": "mbpp", "score": 1.0}])
    proc = spawn(KILLED, str(root))
    assert proc.stdout.readline().strip() == "writing"
    part = root / "scores" / "benchmark=mbpp"
    deadline = time.time() + 120
    while time.time() < deadline and not any(p.name.startswith(".tmp-") for p in part.iterdir()):
        time.sleep(0.005)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    leftovers = [p for p in part.iterdir() if p.name.startswith(".tmp-")]
    assert leftovers, "the kill should have hit the write"
    with Warehouse.open(str(root), create=False) as wh:
        count = wh.sql("SELECT count(*) FROM scores").column(0)[0].as_py()
        # either nothing of the big batch is visible, or (if a whole file made it) all of it
        assert count in (1, 2_000_001)
        assert wh.sql("SELECT count(*) FROM scores WHERE score_id = 'before'").column(0)[0].as_py() == 1
        old = time.time() - 7200
        for p in leftovers:
            os.utime(p, (old, old))
        wh.compact("scores")
        assert not [p for p in part.iterdir() if p.name.startswith(".tmp-")]
        assert wh.sql("SELECT count(*) FROM scores").column(0)[0].as_py() == count


READER = """
import sys, time
from warehouse import Warehouse
root, n_keys, seconds = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
bad = 0
reads = 0
with Warehouse.open(root, create=False) as wh:
    end = time.time() + seconds
    while time.time() < end:
        row = wh.sql("SELECT count(*) AS n, count(DISTINCT score_id) AS d, sum(score) AS s FROM scores").to_pylist()[0]
        reads += 1
        if not (row["n"] == row["d"] == n_keys and abs(row["s"] - n_keys) < 1e-6):
            bad += 1
            print("BAD", row, flush=True)
print("reads", reads, "bad", bad, flush=True)
"""


REWRITER = """
import sys, time
from warehouse import Warehouse
root, n_keys, seconds = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
with Warehouse.open(root, create=False) as wh:
    end, b = time.time() + seconds, 0
    while time.time() < end:
        wh.append("scores", [{"score_id": f"k{(b * 13 + i) % n_keys}", "benchmark": ("mbpp", "apps")[i % 2],
                              "score": 1.0} for i in range(40)])
        b += 1
print("batches", b, flush=True)
"""


def test_readers_never_see_missing_or_doubled_rows_during_compaction(tmp_path):
    root = str(tmp_path / "wh")
    n_keys = 400
    with Warehouse.open(root) as wh:
        for b in range(8):
            wh.append("scores", [{"score_id": f"k{(b * 50 + i) % n_keys}", "benchmark": ("mbpp", "apps")[i % 2],
                                  "score": 1.0} for i in range(50)])
        reader = spawn(READER, root, str(n_keys), "12")
        writer = spawn(REWRITER, root, str(n_keys), "9")  # another process re-writing keys meanwhile
        time.sleep(1.5)
        for round_ in range(6):
            # re-write existing keys (same score, so the sum is invariant) and compact
            wh.append("scores", [{"score_id": f"k{(round_ * 37 + i) % n_keys}", "benchmark": ("mbpp", "apps")[i % 2],
                                  "score": 1.0} for i in range(60)])
            wh.compact("scores")
        out, err = reader.communicate(timeout=120)
        wout, werr = writer.communicate(timeout=120)
        assert writer.returncode == 0, werr
        wh.compact("scores")
        final = wh.sql("SELECT count(*) AS n, count(DISTINCT score_id) AS d FROM scores").to_pylist()[0]
        assert final == {"n": n_keys, "d": n_keys}
    assert reader.returncode == 0, err
    assert "bad 0" in out, out
    reads = int(out.split("reads")[1].split()[0])
    assert reads > 5


COMPACTOR = """
import sys
from warehouse import Warehouse
with Warehouse.open(sys.argv[1], create=False) as wh:
    for _ in range(3):
        wh.compact("scores")
print("ok")
"""


def test_two_compactions_at_once_keep_every_row_once(tmp_path):
    root = str(tmp_path / "wh")
    with Warehouse.open(root) as wh:
        for b in range(10):
            wh.append("scores", [{"score_id": f"k{(b * 30 + i) % 200}", "benchmark": ("mbpp", "apps")[i % 2],
                                  "score": float(b)} for i in range(40)])
        expected = wh.sql("SELECT * FROM scores ORDER BY score_id")
        procs = [spawn(COMPACTOR, root) for _ in range(2)]
        for p in procs:
            out, err = p.communicate(timeout=240)
            assert p.returncode == 0, err
        assert wh.sql("SELECT * FROM scores ORDER BY score_id").equals(expected)
        wh.compact("scores")
        assert wh.sql("SELECT * FROM scores ORDER BY score_id").equals(expected)
        assert len(wh.state("scores").live) == 2
