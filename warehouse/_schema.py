"""Arrow schemas of the warehouse tables (DESIGN.md section 3).

These are the contract between the collector, the scorer CLI and the analytics:
add new columns as nullable fields at the end; never rename or retype one.
Each table has a key column; readers de-duplicate on it (latest ``written_at`` wins).
"""
from __future__ import annotations

import pyarrow as pa

TASKS = pa.schema([
    ("task_key", pa.string()),          # hash(benchmark, benchmark_version, task_id)
    ("benchmark", pa.string()),
    ("benchmark_version", pa.string()),
    ("task_id", pa.string()),
    ("kind", pa.string()),              # function | stdio | translation | refinement | classification
    ("language", pa.string()),
    ("dimension", pa.string()),         # code_generation | bug_fixing | translation | refinement | vulnerability_detection
    ("difficulty", pa.string()),
    ("prompt", pa.string()),            # problem text shown to models (never hidden tests)
    ("reference", pa.string()),
    ("visible_tests", pa.int32()),
    ("hidden_tests", pa.int32()),
    ("metadata", pa.string()),          # JSON
    ("written_at", pa.timestamp("us", tz="UTC")),
])

GENERATIONS = pa.schema([
    ("generation_id", pa.string()),
    ("run_id", pa.string()),
    ("task_key", pa.string()),
    ("benchmark", pa.string()),
    ("benchmark_version", pa.string()),
    ("task_id", pa.string()),
    ("model_id", pa.string()),
    ("backend", pa.string()),
    ("backend_model", pa.string()),
    ("sample_index", pa.int32()),
    ("prompt_template", pa.string()),   # id@version
    ("sampling", pa.string()),          # JSON of the sampling params in the key
    ("prompt_text", pa.string()),
    ("raw_output", pa.string()),
    ("extracted_code", pa.string()),
    ("extraction_status", pa.string()),  # ok | no_code_extracted | ...
    ("input_tokens", pa.int64()),
    ("output_tokens", pa.int64()),
    ("reasoning_tokens", pa.int64()),
    ("cached_input_tokens", pa.int64()),
    ("cost_usd", pa.float64()),
    ("latency_s", pa.float64()),
    ("finish_reason", pa.string()),
    ("truncated", pa.bool_()),
    ("status", pa.string()),            # ok | api_error | budget_exhausted | circuit_open
    ("error_detail", pa.string()),
    ("request_id", pa.string()),
    ("attempts", pa.int32()),
    ("created_at", pa.timestamp("us", tz="UTC")),
    ("written_at", pa.timestamp("us", tz="UTC")),
])

SCORES = pa.schema([
    ("score_id", pa.string()),
    ("generation_id", pa.string()),
    ("run_id", pa.string()),
    ("task_key", pa.string()),
    ("benchmark", pa.string()),
    ("task_id", pa.string()),
    ("model_id", pa.string()),
    ("sample_index", pa.int32()),
    ("scorer", pa.string()),            # name@version
    ("status", pa.string()),            # scored | sandbox_error | scorer_error
    ("visible_passed", pa.int32()),
    ("visible_total", pa.int32()),
    ("hidden_passed", pa.int32()),
    ("hidden_total", pa.int32()),
    ("pass_visible", pa.bool_()),
    ("pass_hidden", pa.bool_()),
    ("score", pa.float64()),            # in [0, 1]
    ("codebleu", pa.float64()),
    ("ngram_match", pa.float64()),
    ("weighted_ngram_match", pa.float64()),
    ("syntax_match", pa.float64()),
    ("dataflow_match", pa.float64()),
    ("predicted_label", pa.string()),
    ("true_label", pa.string()),
    ("error_type", pa.string()),        # None when passed; model failure kind or infra kind
    ("stderr_tail", pa.string()),
    ("duration_s", pa.float64()),
    ("limits", pa.string()),            # JSON: time/memory limits used
    ("host", pa.string()),
    ("sandbox", pa.string()),           # backend and image digest
    ("created_at", pa.timestamp("us", tz="UTC")),
    ("written_at", pa.timestamp("us", tz="UTC")),
])

RUNS = pa.schema([
    ("run_id", pa.string()),
    ("job_spec", pa.string()),          # JSON, secrets removed
    ("code_version", pa.string()),
    ("started_at", pa.timestamp("us", tz="UTC")),
    ("finished_at", pa.timestamp("us", tz="UTC")),
    ("status", pa.string()),            # running | finished | failed | interrupted
    ("counts", pa.string()),            # JSON
    ("spend_usd", pa.float64()),
    ("written_at", pa.timestamp("us", tz="UTC")),
])

TABLES: dict[str, pa.Schema] = {
    "tasks": TASKS,
    "generations": GENERATIONS,
    "scores": SCORES,
    "runs": RUNS,
}

KEYS: dict[str, str] = {
    "tasks": "task_key",
    "generations": "generation_id",
    "scores": "score_id",
    "runs": "run_id",
}
