"""Analytic DuckDB views installed on every warehouse connection, after the de-duplicated
base views ``tasks``, ``generations``, ``scores`` and ``runs``.

Each entry is (view name, SELECT statement); order matters (later views may use earlier ones).

Views users can rely on (column names are a contract; new columns are only added at the end):

- ``outcomes``: one row per task x model x sample: task columns (benchmark, task_id, kind,
  dimension, difficulty, prompt_chars), model_id, sample_index, generation/score ids,
  ``outcome_status`` (scored | infra_error | unscored), ``infra_kind``, score, pass_visible,
  pass_hidden, visible/hidden passed/total, codebleu, labels, error_type, input/output tokens,
  cost_usd, latency_s, finish_reason, truncated, extraction_status.
- ``model_summary``: per benchmark x model: tasks, samples, all_pass_rate (every hidden test
  passed), mean_score (mean fraction of hidden tests passed / CodeBLEU / accuracy),
  visible_pass_rate, input/output tokens, total_cost_usd (every paid call), mean_cost_usd,
  mean_latency_s, infra_errors and unscored (both excluded from the rates), label_bias.
- ``task_model_scores``: per benchmark x task x model mean over scored samples, restricted to
  tasks every model of the benchmark has scored.
- ``oracle_gap``: per benchmark: models, tasks, sbs_model, sbs (best mean score, ties to the
  cheaper model), oracle (mean per-task max), og = oracle - sbs, wcr (share of tasks whose
  best score beats the SBS's).

Infrastructure failures are not model failures (DESIGN.md section 3): an ``outcomes`` row is
``scored`` (counts in every rate), ``infra_error`` (API error after retries, budget or circuit
stop, sandbox crash, scorer bug: excluded from rates, counted in ``infra_errors``) or
``unscored`` (generated, not scored yet: excluded and counted in ``unscored``).
"""
from __future__ import annotations

# Generation statuses that are the model's doing (still scored as data); anything else that
# is not 'ok' (api_error, budget_exhausted, circuit_open, ...) is an infrastructure failure.
MODEL_GENERATION_STATUSES: tuple[str, ...] = ("ok", "truncated", "content_filter", "refused")
INFRA_SCORE_STATUSES: tuple[str, ...] = ("sandbox_error", "scorer_error")


def _sql_list(values: tuple[str, ...]) -> str:
    return ", ".join(f"'{v}'" for v in values)


# One score per generation: a successful score beats an infra-failed one, then the latest.
_BEST_SCORE = """
SELECT * FROM scores
QUALIFY row_number() OVER (
    PARTITION BY generation_id
    ORDER BY (status = 'scored') DESC NULLS LAST, written_at DESC NULLS LAST, score_id
) = 1
"""

OUTCOMES = f"""
WITH best_score AS ({_BEST_SCORE})
SELECT
    g.task_key, g.benchmark, g.benchmark_version, g.task_id,
    t.kind, t.language, t.dimension, t.difficulty,
    coalesce(length(t.prompt), length(g.prompt_text)) AS prompt_chars,
    g.model_id, g.sample_index, g.generation_id, g.run_id, s.score_id, s.scorer,
    g.status AS generation_status, s.status AS score_status,
    CASE
        WHEN g.status IS NULL OR g.status NOT IN ({_sql_list(MODEL_GENERATION_STATUSES)}) THEN 'infra_error'
        WHEN s.score_id IS NULL THEN 'unscored'
        WHEN s.status IN ({_sql_list(INFRA_SCORE_STATUSES)}) THEN 'infra_error'
        ELSE 'scored'
    END AS outcome_status,
    CASE
        WHEN g.status IS NULL OR g.status NOT IN ({_sql_list(MODEL_GENERATION_STATUSES)}) THEN coalesce(g.status, 'missing_status')
        WHEN s.status IN ({_sql_list(INFRA_SCORE_STATUSES)}) THEN s.status
        ELSE NULL
    END AS infra_kind,
    s.score, s.pass_visible, s.pass_hidden,
    s.visible_passed, s.visible_total, s.hidden_passed, s.hidden_total,
    s.codebleu, s.predicted_label, s.true_label,
    CASE
        WHEN g.status IS NULL OR g.status NOT IN ({_sql_list(MODEL_GENERATION_STATUSES)}) THEN coalesce(g.status, 'missing_status')
        ELSE s.error_type
    END AS error_type,
    g.input_tokens, g.output_tokens, g.cost_usd, g.latency_s,
    g.finish_reason, g.truncated, g.extraction_status
FROM generations g
LEFT JOIN best_score s ON s.generation_id = g.generation_id
LEFT JOIN tasks t ON t.task_key = g.task_key
"""

MODEL_SUMMARY = """
SELECT
    benchmark, model_id,
    count(DISTINCT task_key) FILTER (WHERE outcome_status = 'scored') AS tasks,
    count(*) FILTER (WHERE outcome_status = 'scored') AS samples,
    avg(CAST(pass_hidden AS DOUBLE)) FILTER (WHERE outcome_status = 'scored') AS all_pass_rate,
    avg(score) FILTER (WHERE outcome_status = 'scored') AS mean_score,
    avg(CAST(pass_visible AS DOUBLE)) FILTER (WHERE outcome_status = 'scored') AS visible_pass_rate,
    CAST(coalesce(sum(input_tokens), 0) AS BIGINT) AS input_tokens,
    CAST(coalesce(sum(output_tokens), 0) AS BIGINT) AS output_tokens,
    coalesce(sum(cost_usd), 0.0) AS total_cost_usd,
    avg(cost_usd) FILTER (WHERE outcome_status = 'scored') AS mean_cost_usd,
    avg(latency_s) FILTER (WHERE generation_status = 'ok') AS mean_latency_s,
    count(*) FILTER (WHERE outcome_status = 'infra_error') AS infra_errors,
    count(*) FILTER (WHERE outcome_status = 'unscored') AS unscored,
    -- classification (SVEN): bias penalty P = |N_true_pos - N_pred_pos| / N, positive label 'yes'
    abs(count(*) FILTER (WHERE outcome_status = 'scored' AND true_label = 'yes')
        - count(*) FILTER (WHERE outcome_status = 'scored' AND true_label IS NOT NULL AND predicted_label = 'yes'))
        / nullif(count(*) FILTER (WHERE outcome_status = 'scored' AND true_label IS NOT NULL), 0) AS label_bias
FROM outcomes
GROUP BY benchmark, model_id
ORDER BY benchmark, model_id
"""

# Per task x model: mean over scored samples; only tasks every model of the benchmark scored,
# so SBS and Oracle compare like with like.
TASK_MODEL_SCORES = """
WITH per AS (
    SELECT benchmark, task_key, task_id, model_id,
           avg(score) AS score,
           avg(CAST(pass_hidden AS DOUBLE)) AS pass_rate,
           avg(cost_usd) AS cost_usd,
           count(*) AS samples
    FROM outcomes
    WHERE outcome_status = 'scored' AND score IS NOT NULL
    GROUP BY benchmark, task_key, task_id, model_id
), n_models AS (
    SELECT benchmark, count(DISTINCT model_id) AS n FROM per GROUP BY benchmark
), complete AS (
    SELECT p.benchmark, p.task_key FROM per p JOIN n_models m USING (benchmark)
    GROUP BY p.benchmark, p.task_key, m.n HAVING count(DISTINCT p.model_id) = m.n
)
SELECT per.* FROM per JOIN complete USING (benchmark, task_key)
"""

ORACLE_GAP = """
WITH model_means AS (
    SELECT benchmark, model_id, avg(score) AS mean_score, avg(cost_usd) AS mean_cost_usd
    FROM task_model_scores GROUP BY benchmark, model_id
), sbs AS (
    SELECT benchmark, model_id AS sbs_model, mean_score AS sbs_score
    FROM model_means
    QUALIFY row_number() OVER (PARTITION BY benchmark
        ORDER BY mean_score DESC, mean_cost_usd ASC NULLS LAST, model_id) = 1
), per_task AS (
    SELECT t.benchmark, t.task_key, max(t.score) AS best_score,
           max(t.score) FILTER (WHERE t.model_id = s.sbs_model) AS sbs_task_score
    FROM task_model_scores t JOIN sbs s USING (benchmark)
    GROUP BY t.benchmark, t.task_key
)
SELECT
    p.benchmark,
    (SELECT count(*) FROM model_means m WHERE m.benchmark = p.benchmark) AS models,
    count(*) AS tasks,
    any_value(s.sbs_model) AS sbs_model,
    any_value(s.sbs_score) AS sbs,
    avg(p.best_score) AS oracle,
    avg(p.best_score) - any_value(s.sbs_score) AS og,
    avg(CAST(p.sbs_task_score < p.best_score AS DOUBLE)) AS wcr
FROM per_task p JOIN sbs s USING (benchmark)
GROUP BY p.benchmark
ORDER BY p.benchmark
"""

ANALYTIC_VIEWS: list[tuple[str, str]] = [
    ("outcomes", OUTCOMES),
    ("model_summary", MODEL_SUMMARY),
    ("task_model_scores", TASK_MODEL_SCORES),
    ("oracle_gap", ORACLE_GAP),
]
