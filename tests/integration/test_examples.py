"""The published-study job specs in ``examples/`` load with the real ``JobSpec`` loader and run
end to end here: each spec is rewritten only where it cannot run offline (vLLM -> an OpenAI-
compatible fake standing in for ``vllm serve``; provider URLs -> local fake servers; data ->
../shared/data; a few tasks per benchmark), then ``codeharvest collect`` runs it (a real local
Ray, real scorer actors and sandbox), and the warehouse must hold a scored outcome for every
model x benchmark with the verdicts the fake models were made to earn. The first study then goes
through ``codeharvest routing`` and ``codeharvest export routerbench``.

The fake models answer with the benchmark's own reference (a correct answer) or with a wrong one,
per model and task, so each model's pass count is known in advance.
"""
from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Callable
from urllib.parse import unquote

import pandas as pd
import pytest
import yaml

import benchmarks
from collector._spec import load_job, parse_job
from collector.cli import main
from tests.fakes import FakeProvider
from warehouse import Warehouse

pytestmark = pytest.mark.integration
REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples"
CHEAP_SPEC = EXAMPLES / "study_cheap_vs_expensive.yaml"
FIVE_SPEC = EXAMPLES / "study_five_task_multi_model.yaml"

KEYS = {"ANTHROPIC_API_KEY": "sk-ant-test-5e1", "OPENAI_API_KEY": "sk-oai-test-7c2",
        "OPENROUTER_API_KEY": "sk-or-test-9a3"}


# --------------------------------------------------------------------------- the specs as written

def test_cheap_vs_expensive_spec_is_the_published_setup():
    job = load_job(CHEAP_SPEC)
    assert [(b.name, b.split, b.limit) for b in job.benchmarks] == [
        ("mbpp-sanitized", None, None), ("humaneval-plus", None, None), ("mbpp-plus", None, None)]
    s = job.sampling
    assert (s.temperature, s.n, s.max_tokens) == (0.0, 1, 2048)
    assert job.scoring.timeout_floor_s == 10 and job.budget_usd and job.budget_usd > 0
    by_backend = {}
    for m in job.models:
        by_backend.setdefault(m.backend, []).append(m)
        assert job.sampling_for(m) == s
    (cheap,) = by_backend["vllm"]
    assert cheap.gpu_hour_usd and cheap.prices is None and "7B" in cheap.backend_model
    (claude,) = by_backend["anthropic"]
    assert "sonnet" in claude.backend_model and claude.api_key_env == "ANTHROPIC_API_KEY"
    openai_models = by_backend["openai"]
    routed = [m for m in openai_models if m.base_url == "https://openrouter.ai/api/v1"]
    assert {m.api_key_env for m in routed} == {"OPENROUTER_API_KEY"}
    assert any("qwen" in m.backend_model for m in routed) and any("deepseek" in m.backend_model for m in routed)
    direct = [m for m in openai_models if m.base_url is None]
    assert len(direct) == 1 and direct[0].backend_model.startswith("gpt")
    for m in [claude, *openai_models]:          # list prices, output dearer than input
        assert m.prices and 0 < m.prices.input_per_mtok < m.prices.output_per_mtok
    assert claude.prices.input_per_mtok > max(m.prices.input_per_mtok for m in routed)
    _recipes_name_real_things(CHEAP_SPEC.read_text(), job)
    _recipes_name_real_things((EXAMPLES / "study_routerbench_export.md").read_text(), job)


def test_cheap_vs_expensive_dry_run_fits_the_budget(shared_data, tmp_path, monkeypatch):
    """The unmodified spec expands to every task of the three benchmarks (427 + 164 + 378), and its
    budget covers the worst case (every answer hitting max_tokens) of all the paid models."""
    from collector._run import CollectOptions, collect

    monkeypatch.setenv("CODEHARVEST_DATA", str(shared_data))
    monkeypatch.setenv("CODEHARVEST_OFFLINE", "1")
    job = load_job(CHEAP_SPEC)
    summary = collect(job, CollectOptions(warehouse=str(tmp_path / "wh"), base_dir=EXAMPLES, dry_run=True,
                                          progress=False))
    rows = {r["model"]: r for r in summary.estimate}
    assert {r["requests"] for r in rows.values()} == {427 + 164 + 378}
    assert all(r["max_output_tokens"] == 969 * 2048 for r in rows.values())
    worst = sum(r["max_cost_usd"] for r in rows.values())
    assert 0 < worst <= job.budget_usd
    assert not (tmp_path / "wh").exists()


def test_five_task_spec_is_the_published_setup():
    job = load_job(FIVE_SPEC)
    names = [b.name for b in job.benchmarks]
    assert names == ["apps", "runbugrun", "sven", "codexglue-java-cs", "codexglue-refine-small"]
    kinds = {benchmarks.get_benchmark(n).kind for n in names}
    assert kinds == {"stdio", "classification", "translation", "refinement"}
    assert all(m.backend == "bedrock" and m.region for m in job.models)
    ids = [m.backend_model for m in job.models]
    assert all(re.fullmatch(r"(us\.)?meta\.llama3-[123]-(8|11|70|405)b-instruct-v1:0", i) for i in ids), ids
    assert [re.search(r"-(\d+)b-", i).group(1) for i in ids] == ["8", "11", "70", "70", "405"]
    assert {re.search(r"llama3-(\d)", i).group(1) for i in ids} == {"1", "2", "3"}      # 3.1, 3.2, 3.3
    base = job.models[0].prices.input_per_mtok
    ratios = [round(m.prices.input_per_mtok / base, 6) for m in job.models]
    assert ratios == [1, 1.6, 5, 16, 72]
    assert all(m.prices.output_per_mtok == m.prices.input_per_mtok for m in job.models)
    assert job.sampling.temperature == 0.0 and job.sampling.n == 1 and job.budget_usd
    _recipes_name_real_things(FIVE_SPEC.read_text(), job)


def _recipes_name_real_things(text: str, job) -> None:
    """The shell recipes in the comments name models, benchmarks and formats that exist."""
    ids = {m.id for m in job.models}
    for flag in ("--cheap", "--strong"):
        for value in re.findall(rf"{flag} (\S+)", text):
            assert value in ids, (flag, value)
    for value in re.findall(r"--models (\S+)", text):
        assert set(value.split(",")) <= ids, value
    for value in re.findall(r"--benchmarks (\S+)", text):
        assert set(value.split(",")) <= {b.name for b in job.benchmarks}, value
    from warehouse._exports import EXPORTS

    for fmt in re.findall(r"codeharvest .*?export (\w+)", text):
        assert fmt in EXPORTS, fmt


# --------------------------------------------------------------------------- fake models

def _tasks(name: str, data_dir: Path, split: str | None, limit: int) -> list:
    return benchmarks.load_tasks(name, data_dir=data_dir, split=split)[:limit]


def _answer(task, correct: bool) -> str:
    """A chat answer: the benchmark's reference when ``correct``, else a wrong one."""
    if task.kind == "classification":
        label = task.reference.strip().lower()
        return ("Yes" if (label == "yes") == correct else "No") + "."
    if task.kind == "translation":
        return f"```csharp\n{task.reference if correct else task.prompt}\n```\n"
    if task.kind == "refinement":
        return f"```java\n{task.reference if correct else task.prompt}\n```\n"
    if task.kind == "stdio":
        code = task.reference if correct else "print(0)"
        return f"Here is the program:\n```python\n{code}\n```\n"
    entry = task.metadata.get("entry_point") or re.search(r"def (\w+)\(", task.reference).group(1)
    code = task.reference if correct else f"def {entry}(*args, **kwargs):\n    return None\n"
    return f"```python\n{code}\n```\n"


class FakeModels:
    """The responder of the fake servers: finds the task by its prompt and answers it right or
    wrong according to ``skill[model](index of the task in its benchmark)``."""

    def __init__(self, tasks: dict[str, list], skill: dict[str, Callable[[int], bool]]):
        self.by_prompt = [(benchmarks.render_prompt(t, style="chat").messages[-1]["content"], name, i, t)
                          for name, ts in tasks.items() for i, t in enumerate(ts)]
        self.skill = skill
        self.unknown: list[str] = []
        self.seen: set[tuple[str, str, str]] = set()

    def __call__(self, prompt: str, model: str) -> str:
        model = unquote(model)                    # Bedrock model ids arrive URL-encoded in the path
        for user, name, i, task in self.by_prompt:
            if prompt.endswith(user) and model in self.skill:
                self.seen.add((model, name, task.task_id))
                return _answer(task, self.skill[model](i))
        self.unknown.append(f"{model}: {prompt[:80]!r}")
        return "I cannot help with that."

    def passes(self, model: str, name: str) -> int:
        return sum(1 for _, n, i, _ in self.by_prompt if n == name and self.skill[model](i))


# --------------------------------------------------------------------------- running a spec

# The Bedrock model actor runs in a Ray worker, and boto3 there reads credentials from the
# environment Ray was started with (one Ray per test session): set test ones before any ray.init.
os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")


def _collect(tmp: Path, spec: dict, monkeypatch, capsys) -> Path:
    """Write the rewritten spec, validate it with the real loader, run `codeharvest collect` on it
    (in this process, on the session's Ray)."""
    job_file = tmp / "job.yaml"
    job_file.write_text(yaml.safe_dump(spec, sort_keys=False))
    parse_job(job_file.read_text(), source=str(job_file))            # still a valid job
    for k, v in {**KEYS, "CODEHARVEST_STATE_DIR": str(tmp / "state"), "CODEHARVEST_OFFLINE": "1",
                 "CODEHARVEST_CACHE": str(tmp / "cache")}.items():
        monkeypatch.setenv(k, v)
    monkeypatch.delenv("CODEHARVEST_WAREHOUSE", raising=False)
    monkeypatch.chdir(tmp)
    _cli(capsys, "collect", str(job_file), "--no-progress", "--journal-dir", str(tmp / "journal"))
    return Path(spec["warehouse"])


def _outcomes(wh_path: Path) -> pd.DataFrame:
    with Warehouse.open(str(wh_path), create=False) as wh:
        return wh.df(
            "SELECT g.model_id, g.benchmark, g.task_id, g.status AS gen_status, g.backend_model, g.cost_usd, "
            "g.input_tokens, g.output_tokens, s.status AS score_status, s.pass_hidden, s.pass_visible, s.score "
            "FROM generations g LEFT JOIN scores s USING (generation_id)")


def _cli(capsys, *args: str) -> str:
    with pytest.raises(SystemExit) as exc:
        main(list(args))
    out = capsys.readouterr()
    assert exc.value.code == 0, out.err
    return out.out


def _limit(spec: dict, data_dir: Path, limits: dict[str, int]) -> None:
    for b in spec["benchmarks"]:
        b["limit"] = limits[b["name"]]
        b.setdefault("data_dir", str(data_dir))


def _scoring_for_two_cores(spec: dict) -> None:
    spec["scoring"].update(workers=2, batch_size=4)
    spec["runtime"].update(max_in_flight=16, flush_rows=8, flush_interval_s=0.5)


# --------------------------------------------------------------------------- study 1

CHEAP_LIMITS = {"mbpp-sanitized": 5, "humaneval-plus": 2, "mbpp-plus": 3}


def test_cheap_vs_expensive_runs_end_to_end_then_routing_and_routerbench_export(ray_session, tmp_path, shared_data,
                                                                                  monkeypatch, capsys):
    spec = yaml.safe_load(CHEAP_SPEC.read_text())
    job = load_job(CHEAP_SPEC)
    names = {m.backend: m.id for m in job.models}
    cheap_id, claude_id = names["vllm"], names["anthropic"]
    tasks = {n: _tasks(n, shared_data, None, k) for n, k in CHEAP_LIMITS.items()}
    model = {m.id: m.backend_model for m in job.models}
    skill = {model[cheap_id]: lambda i: i % 2 == 0}          # the 7B model solves every other task
    for m in job.models:
        if m.id != cheap_id:
            skill.setdefault(m.backend_model, lambda i: True)
    skill[model["deepseek-v3"]] = lambda i: i != 0
    fakes = FakeModels(tasks, skill)

    with FakeProvider(responder=fakes) as vllm_serve, FakeProvider(responder=fakes) as anthropic, \
            FakeProvider(responder=fakes) as openai, FakeProvider(responder=fakes) as openrouter:
        spec["warehouse"] = str(tmp_path / "wh")
        _limit(spec, shared_data, CHEAP_LIMITS)
        _scoring_for_two_cores(spec)
        for m in spec["models"]:
            m.pop("rate_limit", None)                 # real providers' limits: pointless against a fake
            if m["backend"] == "vllm":                # `vllm serve` stand-in: OpenAI-compatible server
                for k in ("tensor_parallel_size", "replicas", "batch_size", "engine_args", "gpu_hour_usd"):
                    m.pop(k, None)
                # no GPU time comes back over HTTP: priced per token, as the example says
                m.update(backend="openai", base_url=vllm_serve.openai_base_url,
                         prices={"input_per_mtok": 0.05, "output_per_mtok": 0.20})
            elif m["backend"] == "anthropic":
                m["base_url"] = anthropic.url
            elif m.get("base_url") == "https://openrouter.ai/api/v1":
                m["base_url"] = openrouter.openai_base_url
            else:
                assert m["backend"] == "openai" and "base_url" not in m
                m["base_url"] = openai.openai_base_url
        wh = _collect(tmp_path, spec, monkeypatch, capsys)
        served = {"vllm": vllm_serve.billed_total, "anthropic": anthropic.billed_total,
                  "openai": openai.billed_total, "openrouter": openrouter.billed_total}
        auth = anthropic.seen_auth | openai.seen_auth | openrouter.seen_auth

    n = sum(CHEAP_LIMITS.values())
    assert served == {"vllm": n, "anthropic": n, "openai": n, "openrouter": 2 * n}   # nothing paid twice
    assert not fakes.unknown, fakes.unknown[:3]
    assert any(KEYS["ANTHROPIC_API_KEY"] in a for a in auth) and any(KEYS["OPENROUTER_API_KEY"] in a for a in auth)
    df = _outcomes(wh)
    assert set(df.gen_status) == {"ok"} and set(df.score_status) == {"scored"}
    for m in job.models:
        for name in CHEAP_LIMITS:
            rows = df[(df.model_id == m.id) & (df.benchmark == name)]
            assert len(rows) == CHEAP_LIMITS[name], (m.id, name)
            assert set(rows.backend_model) == {m.backend_model}
            assert int(rows.pass_hidden.sum()) == fakes.passes(m.backend_model, name), (m.id, name)
            if m.prices is not None:                  # provider usage x the spec's price table
                p = m.prices
                want = (rows.input_tokens * p.input_per_mtok + rows.output_tokens * p.output_per_mtok) / 1e6
                assert (rows.cost_usd > 0).all() and rows.cost_usd.to_numpy() == pytest.approx(want.to_numpy())

    # `codeharvest routing`: cheap-then-escalate keeps the 7B answer iff its visible test passes
    out = _cli(capsys, "--warehouse", str(wh), "routing", "--benchmark", "mbpp-sanitized", "--cheap", cheap_id,
               "--strong", claude_id, "--val", "0", "--bootstrap", "200", "--json",
               "--out", str(tmp_path / "routing.csv"))
    res = json.loads(out)
    assert (res["n_tasks"], res["n_val"]) == (CHEAP_LIMITS["mbpp-sanitized"], 0)
    rows = {(r["policy"], r["lambda"]): r for r in res["rows"]}
    assert {p for p, _ in rows} == {"always_cheap", "always_strong", "prompt_length", "cheap_then_escalate",
                                    "random", "oracle"}
    assert {lam for _, lam in rows} == {0, 0.05, 0.1, 0.2, 0.5, 1, 2, 5}
    cheap_rate = fakes.passes(model[cheap_id], "mbpp-sanitized") / CHEAP_LIMITS["mbpp-sanitized"]
    assert rows[("always_cheap", 1)]["pass_rate"] == pytest.approx(cheap_rate)
    assert rows[("always_strong", 1)]["pass_rate"] == pytest.approx(1.0)
    assert rows[("always_strong", 1)]["cost"] == pytest.approx(1.0)         # strong spend normalised to 1
    cte = rows[("cheap_then_escalate", 1)]
    assert cte["pass_rate"] == pytest.approx(1.0) and cte["escalation_rate"] == pytest.approx(1 - cheap_rate)
    assert rows[("oracle", 0)]["pass_rate"] == pytest.approx(1.0)
    assert len(pd.read_csv(tmp_path / "routing.csv")) == len(res["rows"])

    # `codeharvest export routerbench`
    target = tmp_path / "rb" / "routerbench.parquet"
    out = _cli(capsys, "--warehouse", str(wh), "export", "routerbench", "--out", str(target), "--seed", "0")
    assert json.loads(out)["files"] == {str(target): n}
    rb = pd.read_parquet(target)
    ids = [m.id for m in job.models]
    for m in ids:
        assert {m, f"{m}|model_response", f"{m}|total_cost"} <= set(rb.columns)
    assert {"sample_id", "prompt", "eval_name", "split", "oracle_model_to_route_to"} <= set(rb.columns)
    assert len(rb) == rb.sample_id.nunique() == n
    assert rb.groupby("eval_name").size().to_dict() == CHEAP_LIMITS
    index = {(name, t.task_id): i for name, ts in tasks.items() for i, t in enumerate(ts)}
    for _, r in rb.iterrows():
        name = r.eval_name
        i = index[(name, r.sample_id[len(name) + 1:])]
        task = tasks[name][i]
        assert r.prompt == task.prompt                       # the task prompt, no reference, no tests
        for hidden in task.hidden_tests:
            if hidden.kind == "assert" and hidden.code.strip() not in task.prompt:
                assert hidden.code.strip() not in r.prompt
        for m in ids:
            assert r[m] == float(skill[model[m]](i)), (m, r.sample_id)
        if skill[model[cheap_id]](i):                       # the free local model is right: route to it
            assert r.oracle_model_to_route_to == cheap_id
        else:                                                # else the cheapest model that is right
            right = [m for m in ids if r[m] == 1.0]
            assert r.oracle_model_to_route_to == min(right, key=lambda m: r[f"{m}|total_cost"])
    manifest = json.loads((tmp_path / "rb" / "routerbench.manifest.json").read_text())
    assert manifest["format"] == "routerbench" and sum(manifest["rows_per_split"].values()) == n
    assert set(rb.split) <= {"train", "val", "test"}
    assert rb.groupby("sample_id").split.nunique().max() == 1


# --------------------------------------------------------------------------- study 2

FIVE_LIMITS = {"apps": 2, "runbugrun": 2, "sven": 4, "codexglue-java-cs": 2, "codexglue-refine-small": 2}


def _runbugrun_data(tmp: Path, shared_data: Path) -> Path:
    """RunBugRun's tests file is not in ../shared/data: a small real one for its first two problems
    (AOJ p00000, the multiplication table, and p00001, the three highest of ten hills)."""
    root = tmp / "rbr-data"
    (root / "runbugrun").mkdir(parents=True)
    (root / "runbugrun" / "python_valid0.jsonl").symlink_to(shared_data / "runbugrun" / "python_valid0.jsonl")
    table = "".join(f"{i}x{j}={i * j}\n" for i in range(1, 10) for j in range(1, 10))
    rows = [{"id": 1, "problem_id": "p00000", "input": "", "output": table}]
    for heights in ([1819, 2003, 876, 2840, 1723, 1673, 3776, 2848, 1592, 922],
                    [100, 200, 300, 400, 500, 600, 700, 800, 900, 900],
                    [5, 4, 3, 2, 1, 0, 0, 0, 0, 10]):
        top = sorted(heights, reverse=True)[:3]
        rows.append({"id": len(rows) + 1, "problem_id": "p00001", "input": "\n".join(map(str, heights)) + "\n",
                     "output": "\n".join(map(str, top)) + "\n"})
    (root / "runbugrun" / "tests_all.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    return root


def test_five_task_multi_model_runs_end_to_end_on_fake_bedrock(ray_session, tmp_path, shared_data, monkeypatch,
                                                              capsys):
    spec = yaml.safe_load(FIVE_SPEC.read_text())
    job = load_job(FIVE_SPEC)
    rbr = _runbugrun_data(tmp_path, shared_data)
    splits = {b["name"]: b.get("split") for b in spec["benchmarks"]}
    splits["apps"] = "train"              # the HF test split is not here: the 5 original-format problems
    data = {n: (rbr if n == "runbugrun" else shared_data) for n in FIVE_LIMITS}
    tasks = {n: _tasks(n, data[n], splits[n], k) for n, k in FIVE_LIMITS.items()}
    assert [t.metadata["problem_id"] for t in tasks["runbugrun"]] == ["p00000", "p00001"]
    ids = [m.backend_model for m in job.models]
    # bigger models solve more: the 405B everything, the 8B only the first task of each benchmark
    skill = {ids[0]: lambda i: i == 0, ids[1]: lambda i: i == 1, ids[2]: lambda i: i != 1,
             ids[3]: lambda i: i % 2 == 0, ids[4]: lambda i: True}
    fakes = FakeModels(tasks, skill)
    with FakeProvider(responder=fakes) as bedrock:
        spec["warehouse"] = str(tmp_path / "wh")
        for b in spec["benchmarks"]:
            b["split"] = splits[b["name"]]
            b["data_dir"] = str(data[b["name"]])
        _limit(spec, shared_data, FIVE_LIMITS)
        _scoring_for_two_cores(spec)
        for m in spec["models"]:
            m.pop("rate_limit", None)
            m["endpoint_url"] = bedrock.url
        wh = _collect(tmp_path, spec, monkeypatch, capsys)
        billed = bedrock.billed_total
    n = sum(FIVE_LIMITS.values())
    assert billed == 5 * n and not fakes.unknown, fakes.unknown[:3]
    assert {m for m, _, _ in fakes.seen} == set(ids)          # each real Bedrock id reached the wire
    df = _outcomes(wh)
    assert set(df.gen_status) == {"ok"} and set(df.score_status) == {"scored"}
    costs = {}
    for m in job.models:
        mine = df[df.model_id == m.id]
        costs[m.id] = (mine.cost_usd / (mine.input_tokens + mine.output_tokens)).mean() * 1e6
        for name, limit in FIVE_LIMITS.items():
            rows = df[(df.model_id == m.id) & (df.benchmark == name)].sort_values("task_id")
            assert len(rows) == limit, (m.id, name)
            by_task = dict(zip(rows.task_id, rows.score))
            for i, t in enumerate(tasks[name]):
                right = skill[m.backend_model](i)
                score = by_task[t.task_id]
                if name in ("codexglue-java-cs", "codexglue-refine-small"):      # CodeBLEU
                    assert (score == pytest.approx(1.0)) if right else (0.0 <= score < 0.999), (m.id, t.task_id)
                else:                                                            # tests / accuracy
                    assert score == float(right), (m.id, name, t.task_id, score)
    base = costs[job.models[0].id]
    assert [round(costs[m.id] / base, 3) for m in job.models] == [1, 1.6, 5, 16, 72]   # price ratios held

    # the study's multi-model table on the bug-fixing task: ES per model, the oracle router
    out = _cli(capsys, "--warehouse", str(wh), "routing", "--benchmark", "runbugrun", "--multi", "--json")
    rows = {r["name"]: r for r in json.loads(out)}
    assert rows["llama-3.1-405b"]["es"] == 1.0 and rows["llama-3.1-405b"]["relative_cost"] == pytest.approx(1.0)
    assert rows["oracle"]["es"] == 1.0 and rows["oracle"]["relative_cost"] < 1.0
