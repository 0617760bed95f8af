"""Run a small job on a ray.cluster_utils.Cluster and remove a worker node mid-job.

Run as a script (its own Ray, not the test session's); prints one JSON line of results.
"""
from __future__ import annotations

import json
import os
import sys
import threading
import time
from pathlib import Path

os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")
os.environ.setdefault("RAY_AUTH_MODE", "disabled")
os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")

import ray  # noqa: E402
from ray.cluster_utils import Cluster  # noqa: E402


class SlowScorer:
    """A stand-in scorer actor (the sandbox is not what this test is about): 50 ms per item."""

    def __init__(self):
        self.node = ray.get_runtime_context().get_node_id()

    def score_batch(self, items):
        from scorer import ScoreResult

        time.sleep(0.05 * len(items))
        return [ScoreResult(status="scored", pass_hidden=e.status == "ok", score=float(e.status == "ok"),
                            sandbox=f"stand-in:{self.node[:8]}", limits="{}", test_suite_hash="h")
                for _, e in items]


def main(tmp: str) -> None:
    from collector._run import CollectOptions, Collector
    from collector._spec import parse_job
    from warehouse import Warehouse

    cluster = Cluster(initialize_head=True, head_node_args={"num_cpus": 1, "include_dashboard": False})
    workers = [cluster.add_node(num_cpus=1, resources={"scorer": 2}) for _ in range(2)]
    ray.init(address=cluster.address, log_to_driver=False, configure_logging=False)
    cluster.wait_for_nodes()
    actor_cls = ray.remote(SlowScorer).options(num_cpus=0, resources={"scorer": 1}, max_restarts=3,
                                               max_task_retries=3, scheduling_strategy="SPREAD")
    job = parse_job("""
benchmarks: [{name: humaneval, limit: 24}]
models: [{id: reference, backend: reference}]
scoring: {workers: 2, batch_size: 2}
runtime: {flush_rows: 4, flush_interval_s: 0.2}
""")
    opts = CollectOptions(warehouse=f"{tmp}/wh", base_dir=Path(tmp), progress=False, journal_dir=Path(tmp) / "j",
                          scorer_factory=lambda: actor_cls.remote())
    collector = Collector(job, opts)
    removed = {}

    def remove_when_busy():
        while collector.stats["reference"].scored < 4:
            time.sleep(0.02)
        removed["at_scored"] = collector.stats["reference"].scored
        cluster.remove_node(workers[0])
        removed["done"] = True

    threading.Thread(target=remove_when_busy, daemon=True).start()
    # the sandbox check is for real scorers; this job scores with stand-ins
    import collector._run as run_mod
    run_mod.preflight = lambda *a, **k: None
    summary = collector.run()
    with Warehouse.open(f"{tmp}/wh", create=False) as wh:
        scores = wh.df("SELECT generation_id, status, sandbox FROM scores")
        gens = wh.df("SELECT generation_id, status FROM generations")
    print(json.dumps({"removed": removed, "generations": len(gens), "gen_ok": int((gens.status == "ok").sum()),
                      "scored": int((scores.status == "scored").sum()),
                      "distinct_scored": int(scores.generation_id.nunique()),
                      "sandboxes": sorted(set(scores.sandbox)), "status": summary.status}))
    ray.shutdown()
    cluster.shutdown()


if __name__ == "__main__":
    main(sys.argv[1])
