"""Removing a worker node from a multi-node Ray cluster mid-job loses no task."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration
REPO = Path(__file__).resolve().parents[2]


def test_worker_node_removed_mid_job_loses_no_task(tmp_path):
    env = {**os.environ, "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0", "RAY_AUTH_MODE": "disabled",
           "PYTHONPATH": str(REPO), "CODEHARVEST_STATE_DIR": str(tmp_path / "state")}
    env.pop("RAY_ADDRESS", None)
    res = subprocess.run([sys.executable, str(Path(__file__).with_name("_cluster_job.py")), str(tmp_path)],
                         env=env, capture_output=True, text=True, timeout=400, start_new_session=True)
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    out = json.loads(res.stdout.strip().splitlines()[-1])
    assert out["removed"].get("done"), out
    assert out["removed"]["at_scored"] < 24          # removed while work remained
    assert out["generations"] == 24 and out["gen_ok"] == 24
    assert out["distinct_scored"] == 24 and out["status"] == "finished"
    assert len(out["sandboxes"]) >= 2                  # scorers ran on more than one node
