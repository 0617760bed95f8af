"""Exports: exact contents on a hand-built warehouse, determinism, leakage and bad arguments."""
from __future__ import annotations

import gzip
import json
import zlib
from pathlib import Path

import pandas as pd
import pytest

from warehouse import EXPORTS, ExportOptions, WarehouseError, assign_splits, export_data, memory_warehouse
from warehouse._problems import PROBLEM_FAMILIES, problem_group

from .test_analytics_data import build_rows, outcome


def read(path: Path) -> pd.DataFrame:
    return pd.read_parquet(path) if path.suffix == ".parquet" else pd.read_json(path, lines=True)


@pytest.fixture()
def hand():
    o = outcome
    rows = [
        o("b1", "t1", "small", 1.0, cost=1, pass_visible=True), o("b1", "t1", "big", 1.0, cost=5),
        o("b1", "t2", "small", 0.0, cost=1, pass_visible=False, error_type="runtime_error"),
        o("b1", "t2", "big", 1.0, cost=5),
        o("b1", "t3", "small", 0.0, cost=1, pass_visible=True), o("b1", "t3", "big", 0.0, cost=5),
        o("b1", "t4", "small", 2 / 3, pass_hidden=False, cost=1, pass_visible=True), o("b1", "t4", "big", 0.0, cost=5),
    ]
    return memory_warehouse(build_rows(rows))


def test_routerbench_oracle_ties_to_cheapest(hand, tmp_path):
    res = export_data(hand, "routerbench", tmp_path / "rb.parquet", ExportOptions(val=0.0, test=0.0))
    df = read(tmp_path / "rb.parquet").set_index("sample_id")
    assert set(df.columns) >= {"prompt", "eval_name", "small", "big", "small|model_response", "big|total_cost",
                               "oracle_model_to_route_to", "split"}
    assert df.loc["b1/t1", "oracle_model_to_route_to"] == "small"       # tie -> cheaper
    assert df.loc["b1/t2", "oracle_model_to_route_to"] == "big"
    assert df.loc["b1/t3", "oracle_model_to_route_to"] == "no_model_correct"
    assert df.loc["b1/t4", "small"] == 0.0                               # quality = hidden all-pass
    assert df.loc["b1/t2", "big|total_cost"] == 5.0
    assert "answer t2" in df.loc["b1/t2", "big|model_response"]
    manifest = json.loads(res.manifest.read_text())
    assert manifest["rows_per_split"] == {"train": 4, "val": 0, "test": 0}
    assert manifest["source_run_ids"] == ["run-1"] and manifest["seed"] == 0
    assert manifest["filters"] == {"benchmarks": ["b1"], "models": ["big", "small"]}


def test_routellm_and_pairwise(hand, tmp_path):
    export_data(hand, "routellm", tmp_path / "r.jsonl", ExportOptions(val=0.0, test=0.0))
    main = read(tmp_path / "r.jsonl").set_index("sample_id")
    assert main.loc["b1/t2", "big"] == True and main.loc["b1/t2", "small"] == False  # noqa: E712
    pair = read(tmp_path / "r.pairwise.jsonl").set_index("sample_id")
    assert set(pair.model_a) == {"big"} and set(pair.model_b) == {"small"}
    assert pair.loc["b1/t1", "winner"] == "tie" and pair.loc["b1/t2", "winner"] == "model_a"
    assert pair.loc["b1/t4", "winner"] == "model_b"                     # partial credit
    assert main.loc["b1/t2", "idx"] == pair.loc["b1/t2", "idx"]


def test_regression_targets(hand, tmp_path):
    export_data(hand, "regression", tmp_path / "g.parquet", ExportOptions(val=0.0, test=0.0, scale=True))
    df = read(tmp_path / "g.parquet").set_index(["sample_id", "model_id"])
    assert df.loc[("b1/t1", "big"), "cs"] == pytest.approx(5.0)
    assert df.loc[("b1/t1", "big"), "cs_inv"] == 0.0 and df.loc[("b1/t1", "small"), "cs_inv"] == 1.0
    assert df.loc[("b1/t2", "small"), "rs@0.25"] == pytest.approx(0.25)
    assert df.loc[("b1/t2", "big"), "rs@0.5"] == pytest.approx(0.5)
    assert df["es_scaled"].mean() == pytest.approx(0.0, abs=1e-12)
    assert df["es_scaled"].std(ddof=0) == pytest.approx(1.0)


def test_bandit_propensities_and_reward(hand, tmp_path):
    opt = ExportOptions(val=0.0, test=0.0, logging_policy="epsilon_greedy", greedy_model="big", epsilon=0.2,
                        w_q=1.0, w_c=0.5, tau=4.0, seed=1)
    export_data(hand, "bandit", tmp_path / "b.jsonl", opt)
    df = read(tmp_path / "b.jsonl")
    assert len(df) == 4
    for _, r in df.iterrows():
        assert r.propensity == pytest.approx(0.9 if r.action == "big" else 0.1)
        c = 5.0 if r.action == "big" else 1.0
        assert r.reward == pytest.approx(r.quality - 0.5 * min(c / 4.0, 1.0))
    again = tmp_path / "b2.jsonl"
    export_data(hand, "bandit", again, opt)
    assert read(again).equals(df)                                        # deterministic for a seed
    uni = export_data(hand, "bandit", tmp_path / "u.parquet", ExportOptions(val=0.0, test=0.0))
    assert (read(tmp_path / "u.parquet").propensity == 0.5).all() and uni.rows_per_split["train"] == 4


def test_sft_labels_and_visible_only_verdict(hand, tmp_path):
    export_data(hand, "sft", tmp_path / "s.jsonl", ExportOptions(val=0.0, test=0.0, lam=0.0))
    df = read(tmp_path / "s.jsonl").set_index("sample_id")
    assert df.loc["b1/t1", "label"] == "LOCAL" and df.loc["b1/t2", "label"] == "API"
    assert df.loc["b1/t3", "label"] == "LOCAL"                           # nobody solves it: keep local
    assert "error: runtime_error" in df.loc["b1/t2", "prompt"]
    # t4 passes visible tests but fails hidden ones: the prompt must not reveal that
    assert "passed 1/1 visible tests" in df.loc["b1/t4", "prompt"] and "error" not in df.loc["b1/t4", "prompt"]
    high = tmp_path / "s2.jsonl"
    export_data(hand, "sft", high, ExportOptions(val=0.0, test=0.0, lam=5.0))
    assert set(read(high).label) == {"LOCAL"}                            # escalation too expensive


def test_splits_grouped_stratified_deterministic():
    tasks = pd.DataFrame({"task_key": [f"a{i}" for i in range(50)] + [f"b{i}" for i in range(10)],
                          "benchmark": ["A"] * 50 + ["B"] * 10,
                          "task_id": [f"t{i}" for i in range(50)] + [f"t{i}" for i in range(10)]})
    s1 = assign_splits(tasks, seed=0, val=0.1, test=0.2)
    assert s1.equals(assign_splits(tasks.iloc[::-1], seed=0, val=0.1, test=0.2).loc[s1.index])
    assert not s1.equals(assign_splits(tasks, seed=1, val=0.1, test=0.2))
    a = s1[[k for k in s1.index if k.startswith("a")]].value_counts().to_dict()
    b = s1[[k for k in s1.index if k.startswith("b")]].value_counts().to_dict()
    assert a == {"train": 35, "test": 10, "val": 5} and b == {"train": 7, "test": 2, "val": 1}
    with pytest.raises(WarehouseError):
        assign_splits(tasks, val=0.5, test=0.5)


@pytest.mark.parametrize("kwargs, fmt, out, message", [
    (dict(models=("nope",)), "routerbench", "x.parquet", "unknown model 'nope'"),
    (dict(benchmarks=("zz",)), "routerbench", "x.parquet", "unknown benchmark 'zz'"),
    (dict(), "routerbench", "x.csv", "must end in .parquet or .jsonl"),
    (dict(), "nosuch", "x.parquet", "unknown export format"),
    (dict(models=("small",)), "routellm", "x.parquet", "at least two models"),
    (dict(logging_policy="epsilon_greedy"), "bandit", "x.parquet", "needs a greedy model"),
])
def test_bad_arguments(hand, tmp_path, kwargs, fmt, out, message):
    with pytest.raises(WarehouseError, match=message):
        export_data(hand, fmt, tmp_path / out, ExportOptions(**kwargs))
    assert list(tmp_path.iterdir()) == []                                # nothing half-written


# ---------------------------------------------------------------- leakage on real benchmark data
def real_leakage_warehouse(shared_data: Path):
    """MBPP-sanitized (first assertion visible, the rest hidden) and HumanEval+-mini (plus inputs
    hidden) tasks, with the hidden text planted where an export must never look: the task's
    reference and metadata and the score's stderr."""
    mbpp = json.loads((shared_data / "mbpp" / "sanitized-mbpp.json").read_text())[:30]
    with gzip.open(shared_data / "evalplus" / "HumanEvalPlus-Mini.jsonl.gz", "rt") as fh:
        he = [json.loads(line) for line in fh][:20]
    hidden: dict[str, list[str]] = {}
    outs, extra = [], {}
    models = {"local": 0.0001, "api": 0.002, "big": 0.01}
    for rec in mbpp:
        tid = str(rec["task_id"])
        tests = rec["test_list"]
        prompt = rec["prompt"] + "\n" + tests[0]
        hidden[tid] = [t for t in tests[1:] if t not in prompt]
        extra[tid] = {"reference": rec["code"] + "\n" + "\n".join(tests), "metadata": json.dumps({"tests": tests})}
        for m, cost in models.items():
            h = zlib.crc32(f"{tid}{m}".encode()) % 4
            outs.append(outcome("mbpp-sanitized", tid, m, [0.0, 0.5, 1.0, 1.0][h], cost=cost, prompt=prompt,
                                raw_output=rec["code"], pass_visible=h >= 1))
    for rec in he:
        tid = rec["task_id"]
        plus = [json.dumps(args)[1:-1] for args in rec["plus_input"]]
        hidden[tid] = [p for p in plus if len(p) >= 12 and p not in rec["prompt"]]
        extra[tid] = {"metadata": json.dumps({"plus_input": rec["plus_input"]})}
        for m, cost in models.items():
            h = zlib.crc32(f"{tid}{m}".encode()) % 3
            outs.append(outcome("humaneval-plus-mini", tid, m, [0.0, 1.0, 1.0][h], cost=cost, prompt=rec["prompt"],
                                raw_output=rec["prompt"] + rec["canonical_solution"]))
    rows = build_rows(outs, tasks_extra=extra)
    for s in rows["scores"]:
        secret = hidden[s["task_id"]]
        s["stderr_tail"] = "AssertionError: " + (secret[0] if secret else "")
    assert sum(len(v) for v in hidden.values()) > 100
    return memory_warehouse(rows), hidden


def cells(df: pd.DataFrame):
    for col in df.columns:
        for v in df[col]:
            if isinstance(v, str):
                yield col, v
            elif hasattr(v, "__iter__") and not isinstance(v, (bytes, dict)):
                for item in v:
                    if isinstance(item, str):
                        yield col, item


@pytest.mark.parametrize("fmt", sorted(EXPORTS))
@pytest.mark.parametrize("ext", [".parquet", ".jsonl"])
def test_no_hidden_test_text_and_disjoint_splits(shared_data, tmp_path, fmt, ext):
    con, hidden = real_leakage_warehouse(shared_data)
    res = export_data(con, fmt, tmp_path / f"out{ext}", ExportOptions(seed=3, val=0.2, test=0.3))
    secrets = {s for v in hidden.values() for s in v}
    for path in res.files:
        df = read(Path(path))
        assert len(df) > 0
        for col, text in cells(df):
            for secret in secrets:
                assert secret not in text, f"{fmt}: hidden test text in column {col!r}: {secret[:60]}"
        per_split = df.groupby("split")["sample_id"].apply(set).to_dict()
        assert set(per_split) == {"train", "val", "test"}
        names = list(per_split)
        for i, a in enumerate(names):
            for b in names[i + 1:]:
                assert not per_split[a] & per_split[b], f"{fmt}: a task in both {a} and {b}"
    manifest = json.loads(res.manifest.read_text())
    main = read(Path(next(iter(res.files))))
    assert manifest["rows_per_split"] == {s: int((main.split == s).sum()) for s in ("train", "val", "test")}


# ---------------------------------------------------------------- one problem, one split
HUMANEVAL_FAMILY = ("humaneval", "humaneval-plus", "humaneval-plus-mini")
MBPP_FAMILY_IDS = {"mbpp": "{n}", "mbpp-sanitized": "{n}", "mbpp-plus": "Mbpp/{n}"}


def family_warehouse(n: int = 20):
    """HumanEval(+/mini) and MBPP(-sanitized/+) rows over the same n problems, two models each."""
    outs = []
    for i in range(n):
        for bench in HUMANEVAL_FAMILY:
            outs += [outcome(bench, f"HumanEval/{i}", m, float(i % 2), cost=c) for m, c in (("a", 1), ("b", 2))]
        for bench, form in MBPP_FAMILY_IDS.items():
            tid = form.format(n=i + 2)
            outs += [outcome(bench, tid, m, float(i % 3 == 0), cost=c) for m, c in (("a", 1), ("b", 2))]
    return memory_warehouse(build_rows(outs))


def problem_number(task_id: str) -> int:
    return int(str(task_id).rsplit("/", 1)[-1])


def test_a_problem_shared_by_benchmarks_lands_in_one_split(tmp_path):
    res = export_data(family_warehouse(), "routerbench", tmp_path / "f.jsonl", ExportOptions(seed=0, val=0.2, test=0.3))
    df = read(tmp_path / "f.jsonl")
    df["family"] = df.eval_name.str.split("-").str[0]
    df["problem"] = df.sample_id.str.split("/").str[-1].astype(int)
    splits_per_problem = df.groupby(["family", "problem"])["split"].nunique()
    assert len(splits_per_problem) == 40 and (splits_per_problem == 1).all()
    # stratified per family: 20 problems -> 6 test, 4 val, 10 train, in every member benchmark
    for bench, grp in df.groupby("eval_name"):
        assert grp.split.value_counts().to_dict() == {"train": 10, "test": 6, "val": 4}, bench
    grouping = json.loads(res.manifest.read_text())["split_grouping"]
    assert grouping["families"] == {"humaneval": list(HUMANEVAL_FAMILY),
                                    "mbpp": ["mbpp", "mbpp-sanitized", "mbpp-plus"]}
    assert grouping["stratified_by"] == "benchmark family"


def test_versions_of_one_task_land_in_one_split():
    ids = [f"HumanEval/{i}" for i in range(40)]
    tasks = pd.DataFrame({"task_key": [f"v1-{t}" for t in ids] + [f"v2-{t}" for t in ids] + [f"p-{t}" for t in ids],
                          "benchmark": ["humaneval"] * 80 + ["humaneval-plus"] * 40,
                          "task_id": ids * 3})
    splits = assign_splits(tasks, seed=4, val=0.1, test=0.2)
    for t in ids:
        assert splits[f"v1-{t}"] == splits[f"v2-{t}"] == splits[f"p-{t}"], t
    assert splits[[f"v1-{t}" for t in ids]].value_counts().to_dict() == {"train": 28, "test": 8, "val": 4}


def test_regression_cs_inverse_of_a_free_model_is_one(tmp_path):
    rows = [outcome("b1", f"t{i}", m, 1.0, cost=c) for i in range(2)
            for m, c in (("free", 0.0), ("small", 0.001), ("big", 0.004))]
    export_data(memory_warehouse(build_rows(rows)), "regression", tmp_path / "g.jsonl",
                ExportOptions(val=0.0, test=0.0, lambda2s=(0.5,)))
    df = read(tmp_path / "g.jsonl").drop_duplicates("model_id").set_index("model_id")
    assert df.loc[["free", "small", "big"], "cs"].tolist() == pytest.approx([1.0, 1.0, 4.0])
    assert df.loc[["free", "small", "big"], "cs_inv"].tolist() == pytest.approx([1.0, 1.0, 0.0])
    assert df.loc["free", "rs@0.5"] == pytest.approx(1.0)


@pytest.mark.parametrize("benchmark, task_id, group", [
    ("humaneval", "HumanEval/7", ("humaneval", "7")),
    ("humaneval-plus", "HumanEval/7", ("humaneval", "7")),
    ("humaneval-plus-mini", " HumanEval/007 ", ("humaneval", "7")),
    ("mbpp", "7", ("mbpp", "7")),
    ("mbpp-sanitized", 7, ("mbpp", "7")),
    ("mbpp-plus", "Mbpp/7", ("mbpp", "7")),
    ("apps", "7", ("apps", "7")),                        # outside every family: its own
    ("runbugrun", "p1/7", ("runbugrun", "p1/7")),          # outside every family: its own
    ("sven", "train/cwe-089/12/a", ("sven", "train/cwe-089/12")),   # a record's two versions: one problem
    ("sven", "train/cwe-089/12/b", ("sven", "train/cwe-089/12")),
])
def test_problem_group(benchmark, task_id, group):
    assert problem_group(benchmark, task_id) == group


#: MBPP problems whose function MBPP-sanitized renamed beyond case and underscores.
MBPP_SANITIZED_RENAMES = {("mbpp", "160"), ("mbpp", "633")}   # solution, pair_OR_Sum


def test_problem_families_match_the_loaders(shared_data):
    """The family table names registered benchmarks, and the loaders' task ids of one group are
    one problem (one entry point, up to case and underscores); the plus variants add no problem."""
    from benchmarks import list_benchmarks, load_tasks

    registered = {b.name for b in list_benchmarks()}
    for family, members in PROBLEM_FAMILIES.items():
        assert set(members) <= registered, family
        entry: dict[tuple[str, str], set[str]] = {}
        for bench in members:
            split = "all" if bench == "mbpp" else None
            for task in load_tasks(bench, data_dir=shared_data, split=split):
                name = task.entry_point.lower().replace("_", "")
                entry.setdefault(problem_group(bench, task.task_id), set()).add(name)
        renamed = {group for group, names in entry.items() if len(names) > 1}
        assert renamed == (MBPP_SANITIZED_RENAMES if family == "mbpp" else set()), family
        assert len(entry) == {"humaneval": 164, "mbpp": 974}[family]


def test_free_models_without_a_recorded_cost(tmp_path):
    """Replay/reference models record no cost: in a tie the free model is the cheapest
    (RouterBench), and the bandit reward stays a number (tau from costs that are all missing)."""
    rows = [outcome("b1", "t1", "a", 1.0, cost=0.01), outcome("b1", "t1", "z", 1.0, cost=None)]
    export_data(memory_warehouse(build_rows(rows)), "routerbench", tmp_path / "rb.jsonl",
                ExportOptions(val=0.0, test=0.0))
    assert read(tmp_path / "rb.jsonl").oracle_model_to_route_to.tolist() == ["z"]
    free = [outcome("b1", "t1", m, 1.0, cost=None) for m in ("a", "z")]
    export_data(memory_warehouse(build_rows(free)), "bandit", tmp_path / "bd.jsonl",
                ExportOptions(val=0.0, test=0.0))
    bandit = read(tmp_path / "bd.jsonl")
    assert bandit.reward.tolist() == [1.0] and bandit.propensity.tolist() == [0.5]


# ---------------------------------------------------------------- audit regressions (bad input)

NAN = float("nan")


@pytest.mark.parametrize("kwargs, fmt, message", [
    (dict(val=NAN), "routerbench", "--val must be a finite number"),
    (dict(test=NAN), "routerbench", "--test must be a finite number"),
    (dict(seed=-1), "routerbench", "--seed must be an integer >= 0"),
    (dict(lam=NAN), "sft", "--lambda must be a finite number"),
    (dict(lam=-1.0), "sft", "--lambda must be >= 0"),
    (dict(lam=float("inf")), "sft", "--lambda must be a finite number"),
    (dict(w_q=NAN), "bandit", "--wq must be a finite number"),
    (dict(w_c=float("-inf")), "bandit", "--wc must be a finite number"),
    (dict(epsilon=NAN), "bandit", "--epsilon must be a finite number"),
    (dict(tau=NAN), "bandit", "--tau must be a finite number > 0"),
    (dict(lambda2s=(NAN,)), "regression", "lambda2 must be in"),
])
def test_non_finite_or_negative_numbers_are_refused(hand, tmp_path, kwargs, fmt, message):
    with pytest.raises(WarehouseError, match=message):
        export_data(hand, fmt, tmp_path / "x.jsonl", ExportOptions(**kwargs))
    assert list(tmp_path.iterdir()) == []


def test_assign_splits_refuses_nan_shares():
    tasks = pd.DataFrame({"task_key": ["a", "b"], "benchmark": ["A", "A"], "task_id": ["t1", "t2"]})
    for val, test in ((NAN, 0.2), (0.1, NAN)):
        with pytest.raises(WarehouseError, match="--val and --test"):
            assign_splits(tasks, val=val, test=test)


@pytest.mark.parametrize("fmt", sorted(EXPORTS))
def test_the_manifest_is_strict_json(hand, tmp_path, fmt):
    res = export_data(hand, fmt, tmp_path / "x.jsonl", ExportOptions(val=0.0, test=0.0))
    text = res.manifest.read_text()
    json.loads(text, parse_constant=lambda c: pytest.fail(f"bare {c} in the manifest"))


@pytest.mark.parametrize("blocker", ["x.jsonl", "x.manifest.json", "x.pairwise.jsonl"])
def test_an_output_that_is_a_directory_is_refused_before_anything_is_written(hand, tmp_path, blocker):
    (tmp_path / blocker).mkdir()
    with pytest.raises(WarehouseError, match="is a directory"):
        export_data(hand, "routellm", tmp_path / "x.jsonl", ExportOptions(val=0.0, test=0.0))
    assert [p.name for p in tmp_path.iterdir()] == [blocker]             # no data file, no temp file


@pytest.mark.parametrize("target", ["file/x.parquet", "/proc/x.parquet"])
def test_an_unwritable_output_is_one_line(hand, tmp_path, target):
    (tmp_path / "file").write_text("")
    out = target if target.startswith("/") else tmp_path / target
    with pytest.raises(WarehouseError, match=r"^--out "):
        export_data(hand, "routerbench", out)
    assert [p.name for p in tmp_path.iterdir()] == ["file"]


@pytest.mark.parametrize("fail_at", ["data", "manifest_write", "manifest_rename"])
def test_a_failed_write_leaves_no_temp_file_and_no_lone_data_file(hand, tmp_path, monkeypatch, fail_at):
    import os

    import warehouse._exports as ex

    if fail_at == "data":
        monkeypatch.setattr(ex, "_write", lambda *a: (_ for _ in ()).throw(OSError(28, "No space left on device")))
    elif fail_at == "manifest_write":
        real_fdopen = os.fdopen

        def fdopen(fd, *a, **k):
            fh = real_fdopen(fd, *a, **k)
            fh.write = lambda text: (_ for _ in ()).throw(OSError(28, "No space left on device"))
            return fh
        monkeypatch.setattr(ex.os, "fdopen", fdopen)
    else:
        real_replace = os.replace

        def replace(src, dst):
            if str(dst).endswith(".manifest.json"):
                raise OSError(28, "No space left on device")
            real_replace(src, dst)
        monkeypatch.setattr(ex.os, "replace", replace)
    with pytest.raises(WarehouseError) as exc:
        export_data(hand, "routellm", tmp_path / "x.jsonl", ExportOptions(val=0.0, test=0.0))
    assert str(exc.value).startswith(f"cannot write {tmp_path / 'x.jsonl'}: No space left on device")
    left = sorted(p.name for p in tmp_path.iterdir())
    assert left == []             # no temp file, and no data file published without its manifest


def test_published_files_have_the_usual_mode(hand, tmp_path):
    import os

    umask = os.umask(0)
    os.umask(umask)
    res = export_data(hand, "routellm", tmp_path / "x.jsonl", ExportOptions(val=0.0, test=0.0))
    for path in [*res.files, res.manifest]:
        assert os.stat(path).st_mode & 0o777 == 0o666 & ~umask
