"""Analytic views against a small hand-computed warehouse (exact SBS, Oracle, OG, WCR, rates)."""
from __future__ import annotations

import pytest

from warehouse import memory_warehouse, model_summary, oracle_gap, outcomes

from .test_analytics_data import build_rows, outcome


def hand_outcomes():
    """Benchmark b1, models A (cheap, $1), B ($4), C ($10); see the expected values below."""
    o = outcome
    rows = [
        o("b1", "t1", "A", 1.0, cost=1), o("b1", "t1", "B", 1.0, cost=4), o("b1", "t1", "C", 1.0, cost=10),
        o("b1", "t2", "A", 0.0, cost=1, pass_visible=True), o("b1", "t2", "B", 1.0, cost=4),
        o("b1", "t2", "C", 0.0, cost=10),
        o("b1", "t3", "A", 1 / 3, cost=1), o("b1", "t3", "B", 0.0, cost=4), o("b1", "t3", "C", 2 / 3, cost=10),
        o("b1", "t4", "A", 0.0, cost=1), o("b1", "t4", "B", 2 / 3, cost=4), o("b1", "t4", "C", 1.0, cost=10),
        # only A scored t6: counts for A's summary, not for the oracle gap (incomplete task)
        o("b1", "t6", "A", 1.0, cost=1),
        # infrastructure failures and pending work: excluded from rates, counted
        o("b1", "t5", "A", None, gen_status="api_error", score_status=None, cost=0),
        o("b1", "t1", "C", None, sample=1, score_status="sandbox_error", cost=10),
        o("b1", "t2", "B", None, sample=1, score_status=None, cost=4),
        # a second benchmark where the cheap model is best everywhere
        o("b2", "u1", "A", 1.0, cost=1), o("b2", "u1", "C", 1.0, cost=10),
        o("b2", "u2", "A", 0.5, cost=1), o("b2", "u2", "C", 0.0, cost=10),
    ]
    return rows


@pytest.fixture()
def con():
    return memory_warehouse(build_rows(hand_outcomes()))


def test_outcomes_classifies_infra_and_unscored(con):
    df = outcomes(con, benchmarks=["b1"])
    assert len(df) == 16
    status = df.groupby("outcome_status").size().to_dict()
    assert status == {"scored": 13, "infra_error": 2, "unscored": 1}
    api = df[(df.task_id == "t5")].iloc[0]
    assert api.outcome_status == "infra_error" and api.error_type == "api_error" and api.infra_kind == "api_error"
    sb = df[(df.task_id == "t1") & (df.model_id == "C") & (df.sample_index == 1)].iloc[0]
    assert sb.infra_kind == "sandbox_error" and sb.score != sb.score  # NaN: never scored as 0
    assert set(outcomes(con, models=["A"]).model_id) == {"A"}


def test_model_summary_exact(con):
    ms = model_summary(con, benchmarks=["b1"]).set_index("model_id")
    a, b, c = ms.loc["A"], ms.loc["B"], ms.loc["C"]
    assert (a.tasks, a.samples, a.infra_errors, a.unscored) == (5, 5, 1, 0)
    assert a.mean_score == pytest.approx(7 / 15)
    assert a.all_pass_rate == pytest.approx(2 / 5)
    assert a.visible_pass_rate == pytest.approx(3 / 5)
    assert a.total_cost_usd == pytest.approx(5.0)          # spend includes every paid call
    assert a.input_tokens == 60 and a.output_tokens == 30
    assert (b.tasks, b.samples, b.unscored, b.infra_errors) == (4, 4, 1, 0)
    assert b.mean_score == pytest.approx(2 / 3) and b.all_pass_rate == pytest.approx(0.5)
    assert b.total_cost_usd == pytest.approx(20.0) and b.mean_cost_usd == pytest.approx(4.0)
    assert (c.tasks, c.samples, c.infra_errors) == (4, 4, 1)
    assert c.mean_score == pytest.approx(2 / 3)
    assert c.mean_latency_s == pytest.approx(1.0)


def test_oracle_gap_exact(con):
    og = oracle_gap(con).set_index("benchmark")
    b1 = og.loc["b1"]
    assert b1.models == 3 and b1.tasks == 4                 # t6 is scored by A only
    assert b1.sbs_model == "B"                              # ties with C at 2/3; B is cheaper
    assert b1.sbs == pytest.approx(2 / 3)
    assert b1.oracle == pytest.approx(11 / 12)
    assert b1.og == pytest.approx(0.25)
    assert b1.wcr == pytest.approx(0.5)                     # t3 and t4
    b2 = og.loc["b2"]
    assert b2.sbs_model == "A" and b2.sbs == pytest.approx(0.75)
    assert b2.oracle == pytest.approx(0.75) and b2.og == pytest.approx(0.0) and b2.wcr == 0.0


def test_latest_successful_score_wins():
    rows = build_rows([outcome("b1", "t1", "A", 1.0)])
    first = dict(rows["scores"][0])
    failed = dict(first, score_id="later-failure", status="sandbox_error", score=None, pass_hidden=None,
                  written_at=first["written_at"].replace(hour=13))
    rescored = dict(first, score_id="later-rescore", score=0.0, pass_hidden=False,
                    written_at=first["written_at"].replace(hour=14))
    rows["scores"] += [failed, rescored]
    df = outcomes(memory_warehouse(rows))
    assert len(df) == 1 and df.iloc[0].score_id == "later-rescore" and df.iloc[0].score == 0.0


def test_label_bias_penalty_for_classification():
    outs = []
    for i, (true, pred) in enumerate([("yes", "yes"), ("yes", "no"), ("no", "yes"), ("no", "yes"), ("no", "no")]):
        outs.append(outcome("sven", f"s{i}", "m", 1.0 if true == pred else 0.0))
    rows = build_rows(outs)
    for row, (true, pred) in zip(rows["scores"], [("yes", "yes"), ("yes", "no"), ("no", "yes"), ("no", "yes"),
                                                   ("no", "no")]):
        row.update(true_label=true, predicted_label=pred, pass_hidden=None)
    ms = model_summary(memory_warehouse(rows)).iloc[0]
    assert ms.mean_score == pytest.approx(0.4)
    assert ms.label_bias == pytest.approx(abs(2 - 3) / 5)
    assert ms.all_pass_rate != ms.all_pass_rate                        # no tests: NaN, not 0
