"""Routing policies on hand-computed tasks: exact escalation, costs, rewards, regret; CIs per seed."""
from __future__ import annotations

import numpy as np
import pytest

from warehouse import (RoutingTasks, WarehouseError, evaluate_routing, evaluate_tasks, memory_warehouse,
                       multi_model_table)
from warehouse._routing import cost_ratios, cs_inverse, split_validation

from .test_analytics_data import build_rows, outcome


def four_tasks() -> RoutingTasks:
    return RoutingTasks(
        task_ids=np.array(["t1", "t2", "t3", "t4"]),
        s_cheap=np.array([1.0, 0.0, 1.0, 0.0]),
        s_strong=np.array([1.0, 1.0, 0.0, 1.0]),
        c_cheap=np.array([1.0, 1.0, 1.0, 1.0]),
        c_strong=np.array([4.0, 4.0, 4.0, 4.0]),
        visible_cheap=np.array([1.0, 1.0, 0.0, 0.0]),   # t2 passes visible, fails hidden
        prompt_len=np.array([10.0, 20.0, 30.0, 40.0]),
    )


def row(result, policy, lam):
    t = result.table
    return t[(t.policy == policy) & (t["lambda"] == lam)].iloc[0]


def test_policies_exact_at_lambda_0_and_1():
    res = evaluate_tasks(four_tasks(), lambdas=[0.0, 1.0], bootstrap=0)
    assert res.n_tasks == 4 and res.strong_mean_cost_usd == 4.0
    expect0 = {  # policy: (pass rate, normalised cost, escalation rate, reward)
        "always_cheap": (0.5, 0.25, 0.0, 0.5),
        "always_strong": (0.75, 1.0, 1.0, 0.75),
        "cheap_then_escalate": (0.5, 0.75, 0.5, 0.5),
        "random": (0.625, 0.625, 0.5, 0.625),
        "oracle": (1.0, 0.75, 0.5, 1.0),
        "prompt_length": (0.75, 0.4375, 0.25, 0.75),  # threshold 30: only t4 escalates
    }
    for policy, (s, c, e, r) in expect0.items():
        got = row(res, policy, 0.0)
        assert (got.pass_rate, got.cost, got.escalation_rate, got.reward) == pytest.approx((s, c, e, r)), policy
        assert got.regret == pytest.approx(1.0 - r)
    assert row(res, "prompt_length", 0.0).threshold == 30.0
    # lambda = 1: escalating never pays, ties keep the cheap answer, so the oracle is always-cheap
    assert row(res, "oracle", 1.0).reward == pytest.approx(0.25)
    assert row(res, "oracle", 1.0).escalation_rate == 0.0
    assert row(res, "always_strong", 1.0).reward == pytest.approx(-0.25)
    assert row(res, "cheap_then_escalate", 1.0).reward == pytest.approx(-0.25)
    assert row(res, "random", 1.0).reward == pytest.approx(0.0)
    assert row(res, "always_strong", 1.0).regret == pytest.approx(0.5)
    # up-front routing of t4 skips the cheap call, so it can beat the *sequential* oracle
    assert row(res, "prompt_length", 1.0).threshold == 30.0
    assert row(res, "prompt_length", 1.0).reward == pytest.approx(0.75 - 0.4375)
    assert row(res, "prompt_length", 1.0).regret == pytest.approx(0.25 - 0.3125)
    sequential = res.table[res.table.policy.isin(["always_cheap", "cheap_then_escalate"])]
    assert (sequential.regret >= -1e-12).all()


def test_bootstrap_is_paired_reproducible_and_brackets_the_estimate():
    rng = np.random.default_rng(7)
    n = 200
    t = RoutingTasks(task_ids=np.array([f"t{i}" for i in range(n)]),
                     s_cheap=(rng.random(n) < 0.5).astype(float), s_strong=(rng.random(n) < 0.8).astype(float),
                     c_cheap=rng.random(n), c_strong=5 + rng.random(n),
                     visible_cheap=(rng.random(n) < 0.6).astype(float), prompt_len=rng.integers(10, 500, n) * 1.0)
    a = evaluate_tasks(t, lambdas=[0.0, 0.5], bootstrap=2000, seed=3).table
    b = evaluate_tasks(t, lambdas=[0.0, 0.5], bootstrap=2000, seed=3).table
    c = evaluate_tasks(t, lambdas=[0.0, 0.5], bootstrap=2000, seed=4).table
    assert a.equals(b)
    assert not np.allclose(a.pass_rate_lo, c.pass_rate_lo)
    for metric in ("pass_rate", "cost", "reward", "regret"):
        assert (a[f"{metric}_lo"] <= a[metric] + 1e-12).all() and (a[metric] <= a[f"{metric}_hi"] + 1e-12).all()
    strong = a[(a.policy == "always_strong")].iloc[0]
    assert strong.escalation_rate_lo == strong.escalation_rate_hi == 1.0
    assert strong.cost == pytest.approx(1.0)                  # normalisation: mean strong spend = 1
    oracle = a[a.policy == "oracle"]
    assert (oracle.regret_lo == 0).all() and (oracle.regret_hi == 0).all()  # paired: exactly zero


def test_validation_split_is_deterministic_and_sized():
    ids = [f"t{i}" for i in range(50)]
    m1 = split_validation(ids, 0.2, seed=0)
    assert m1.sum() == 10
    assert (split_validation(list(reversed(ids)), 0.2, seed=0)[::-1] == m1).all()  # order-free
    assert not (split_validation(ids, 0.2, seed=1) == m1).all()


def small_warehouse():
    o = outcome
    rows = []
    for i in range(10):
        cheap_ok = i % 2 == 0
        rows.append(o("he", f"t{i}", "cheap", 1.0 if cheap_ok else 0.0, cost=0.001,
                      pass_visible=cheap_ok or i == 3, prompt="x" * (10 * i + 1)))
        rows.append(o("he", f"t{i}", "strong", 1.0 if i != 9 else 0.0, cost=0.01))
        rows.append(o("he", f"t{i}", "mid", 1.0 if i < 5 else 0.0, cost=0.004))
    return memory_warehouse(build_rows(rows))


def test_evaluate_routing_from_warehouse():
    con = small_warehouse()
    res = evaluate_routing(con, "he", "cheap", "strong", lambdas=[0.0, 0.1], bootstrap=100, seed=0,
                           val_fraction=0.0)
    assert res.n_tasks == 10 and res.strong_mean_cost_usd == pytest.approx(0.01)
    cte = row(res, "cheap_then_escalate", 0.0)
    # escalated: odd tasks except t3 (passes visible, fails hidden): t1, t5, t7, t9
    assert cte.escalation_rate == pytest.approx(0.4)
    assert cte.pass_rate == pytest.approx((5 + 3) / 10)
    assert cte.cost == pytest.approx(0.1 + 0.4)
    assert row(res, "always_cheap", 0.0).pass_rate == pytest.approx(0.5)
    assert row(res, "always_strong", 0.0).pass_rate == pytest.approx(0.9)
    assert row(res, "oracle", 0.0).pass_rate == pytest.approx(0.9)   # t9: neither model solves it
    res_val = evaluate_routing(con, "he", "cheap", "strong", lambdas=[0.0], bootstrap=10, val_fraction=0.3)
    assert res_val.n_val == 3 and res_val.n_tasks == 7


@pytest.mark.parametrize("kwargs, message", [
    (dict(benchmark="he", cheap="nope", strong="strong"), "unknown model 'nope'"),
    (dict(benchmark="zz", cheap="cheap", strong="strong"), "unknown benchmark 'zz'"),
    (dict(benchmark="he", cheap="cheap", strong="cheap"), "must be different"),
])
def test_bad_selection_raises_warehouse_error(kwargs, message):
    with pytest.raises(WarehouseError, match=message):
        evaluate_routing(small_warehouse(), bootstrap=0, **kwargs)


def test_multi_model_table_costs_and_ranking_score():
    t = multi_model_table(small_warehouse(), "he", lambda2s=(0.0, 0.5)).set_index("name")
    assert t.loc["strong", "es"] == pytest.approx(0.9) and t.loc["mid", "es"] == pytest.approx(0.5)
    assert t.loc["cheap", "cs"] == pytest.approx(1.0) and t.loc["strong", "cs"] == pytest.approx(10.0)
    assert t.loc["mid", "cs_inv"] == pytest.approx(1 - 3 / 9)
    assert t.loc["strong", "relative_cost"] == pytest.approx(1.0)
    assert t.loc["cheap", "relative_cost"] == pytest.approx(0.1)
    assert t.loc["strong", "rs@0.5"] == pytest.approx(0.5 * 0.9 + 0.5 * 0.0)
    assert t.loc["cheap", "rs@0.5"] == pytest.approx(0.5 * 0.5 + 0.5 * 1.0)
    assert t.loc["rs@0", "chosen_model"] == "strong" and t.loc["rs@0.5", "chosen_model"] == "cheap"
    # oracle, ties to the cheapest: cheap t0,2,4,6,8 and t9 (nobody solves it), mid t1,t3,
    # strong t5,t7 -> share x price / max price
    assert t.loc["oracle", "es"] == pytest.approx(0.9)
    assert t.loc["oracle", "relative_cost"] == pytest.approx((6 * 0.001 + 2 * 0.004 + 2 * 0.01) / 10 / 0.01)
    assert cs_inverse(np.array([1.0, 1.0])).tolist() == [1.0, 1.0]


def free_model_warehouse():
    """A free model (a replay or reference model: cost 0) beside two priced ones."""
    o = outcome
    rows = []
    for i in range(4):
        rows.append(o("he", f"t{i}", "replay", 1.0 if i < 2 else 0.0, cost=0.0))
        rows.append(o("he", f"t{i}", "cheap", 1.0 if i < 3 else 0.0, cost=0.001))
        rows.append(o("he", f"t{i}", "strong", 1.0, cost=0.004))
    return memory_warehouse(build_rows(rows))


def test_free_model_counts_as_cheap_as_the_cheapest():
    t = multi_model_table(free_model_warehouse(), "he", lambda2s=(0.5,)).set_index("name")
    models = ["replay", "cheap", "strong"]
    assert t.loc[models, "cs"].tolist() == pytest.approx([1.0, 1.0, 4.0])
    assert t.loc[models, "cs_inv"].tolist() == pytest.approx([1.0, 1.0, 0.0])
    assert t.loc["replay", "rs@0.5"] == pytest.approx(0.5 * 0.5 + 0.5 * 1.0)
    assert t.loc["rs@0.5", "chosen_model"] == "cheap"                # ES 0.75 + CS^-1 1.0 beats replay's 0.5


def test_cost_ratios_and_cs_inverse_stay_in_range():
    cs = cost_ratios(np.array([0.0, 0.001, 0.004]))
    assert cs.tolist() == pytest.approx([1.0, 1.0, 4.0])
    assert cs_inverse(cs).tolist() == pytest.approx([1.0, 1.0, 0.0])
    assert cost_ratios(np.array([0.0, np.nan])).tolist() == [1.0, 1.0]      # nobody priced
    assert cs_inverse(np.array([0.0, 1.0, 4.0])).tolist() == pytest.approx([1.0, 1.0, 0.0])  # CS < 1 clipped


# ---------------------------------------------------------------- audit regressions (bad input)

def test_a_free_strong_model_reports_its_real_spend_and_costs_in_usd():
    o = outcome
    rows = []
    for i in range(6):
        rows.append(o("he", f"t{i}", "cheap", 1.0 if i % 2 else 0.0, cost=0.002))
        rows.append(o("he", f"t{i}", "local", 1.0, cost=0.0))        # the "strong" model is free
    res = evaluate_routing(memory_warehouse(build_rows(rows)), "he", "cheap", "local", lambdas=[0.0],
                           bootstrap=0, val_fraction=0.0)
    assert res.strong_mean_cost_usd == 0.0 and res.cost_unit_usd == 1.0 and not res.cost_normalised
    assert row(res, "always_cheap", 0.0).cost == pytest.approx(0.002)    # USD
    priced = evaluate_tasks(four_tasks(), lambdas=[0.0], bootstrap=0)
    assert priced.strong_mean_cost_usd == priced.cost_unit_usd == 4.0 and priced.cost_normalised


@pytest.mark.parametrize("multi", [False, True])
def test_an_unknown_benchmark_lists_the_scored_ones(multi):
    con = small_warehouse()
    with pytest.raises(WarehouseError, match=r"unknown benchmark 'zz' \(scored benchmarks: he\)"):
        if multi:
            multi_model_table(con, "zz")
        else:
            evaluate_routing(con, "zz", "cheap", "strong", bootstrap=0)


@pytest.mark.parametrize("kwargs, message", [
    (dict(seed=-1), "--seed must be an integer >= 0"),
    (dict(bootstrap=-1), "--bootstrap must be an integer >= 0"),
    (dict(val_fraction=float("nan")), r"--val \(the validation fraction\) must be in \[0, 1\)"),
    (dict(lambdas=[float("nan")]), "lambda nan must be a finite number >= 0"),
    (dict(lambdas=[-1.0]), "lambda -1.0 must be a finite number >= 0"),
    (dict(lambdas=[]), "no lambda given"),
])
def test_bad_numbers_are_refused_up_front(kwargs, message):
    with pytest.raises(WarehouseError, match=message):
        evaluate_routing(small_warehouse(), "he", "cheap", "strong", **{"bootstrap": 0, **kwargs})
