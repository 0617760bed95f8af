"""Job specs: unknown keys and wrong types are JobErrors that name the YAML line."""
from __future__ import annotations

import pytest

from collector._spec import load_job, parse_job
from collector.errors import JobError

GOOD = """\
name: demo
budget_usd: 1.5
benchmarks:
  - name: humaneval
    limit: 3
models:
  - id: gpt
    backend: openai
    model: gpt-4o-mini
    api_key_env: OPENAI_API_KEY
    prices: {input_per_mtok: 0.15, output_per_mtok: 0.6, cached_input_per_mtok: 0.075}
    rate_limit: {requests_per_min: 500, tokens_per_min: 200000}
  - id: ref
    backend: reference
sampling: {temperature: 0.2, max_tokens: 256, n: 2}
"""


def test_good_spec_parses_with_defaults():
    job = parse_job(GOOD)
    assert job.budget_usd == 1.5
    assert [m.id for m in job.models] == ["gpt", "ref"]
    assert job.models[0].prices.cached_input_per_mtok == 0.075
    assert job.sampling.n == 2 and job.sampling.top_p == 1.0
    assert job.sampling_for(job.models[1]) is job.sampling
    assert job.models[1].backend_model == "ref"


def test_unknown_key_names_its_line():
    bad = GOOD.replace("    limit: 3\n", "    limit: 3\n    limt: 4\n")
    with pytest.raises(JobError) as exc:
        parse_job(bad, source="job.yaml")
    msg = str(exc.value)
    assert msg.startswith("job.yaml:6:") and "limt" in msg and "unknown key" in msg


def test_wrong_type_names_its_line():
    bad = GOOD.replace("requests_per_min: 500", "requests_per_min: lots")
    with pytest.raises(JobError) as exc:
        parse_job(bad, source="job.yaml")
    assert str(exc.value).startswith("job.yaml:12:") and "requests_per_min" in str(exc.value)


def test_nested_sampling_type_error_line():
    bad = GOOD.replace("sampling: {temperature: 0.2, max_tokens: 256, n: 2}",
                       "sampling:\n  temperature: 0.2\n  max_tokens: many\n")
    with pytest.raises(JobError, match=r"^<job>:17: sampling.max_tokens"):
        parse_job(bad)


def test_unknown_backend_and_duplicate_ids():
    with pytest.raises(JobError, match="unknown backend 'gpt5'"):
        parse_job(GOOD.replace("backend: openai", "backend: gpt5"))
    with pytest.raises(JobError, match="duplicate model id"):
        parse_job(GOOD.replace("id: ref", "id: gpt"))


def test_invalid_yaml_and_non_mapping(tmp_path):
    with pytest.raises(JobError, match=r":2: invalid YAML"):
        parse_job("a: [1,\nb: }")
    with pytest.raises(JobError, match="YAML mapping"):
        parse_job("- just a list")
    with pytest.raises(JobError, match="cannot read job spec"):
        load_job(tmp_path / "missing.yaml")


def test_redacted_spec_holds_key_names_never_values(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-live-SECRET")
    dumped = str(parse_job(GOOD).redacted())
    assert "OPENAI_API_KEY" in dumped and "sk-live-SECRET" not in dumped


def test_a_models_sampling_overrides_only_the_fields_it_gives():
    job = parse_job(GOOD.replace("  - id: ref\n    backend: reference\n",
                                 "  - id: ref\n    backend: reference\n    sampling: {max_tokens: 8192}\n"))
    gpt, ref = job.models
    assert job.sampling_for(gpt) is job.sampling
    mine = job.sampling_for(ref)
    assert (mine.temperature, mine.max_tokens, mine.n, mine.top_p) == (0.2, 8192, 2, 1.0)


def test_a_benchmark_listed_twice_is_an_error():
    twice = GOOD.replace("    limit: 3\n", "    limit: 3\n  - name: humaneval\n    template: mine.txt\n")
    with pytest.raises(JobError, match="benchmark 'humaneval' is listed twice"):
        parse_job(twice)


# ---------------------------------------------------------------- audit regressions (bad input)

MINIMAL = "benchmarks: [{name: humaneval}]\nmodels: [{id: a, backend: reference}]\n"


@pytest.mark.parametrize("text, line", [
    ("benchmarks: &a [*a]\nmodels: [{id: a, backend: reference}]\n", 1),
    ("benchmarks: [{name: humaneval}]\nmodels: &m [{id: a, backend: reference, engine_args: {x: *m}}]\n", 2),
    ("extra: &e {b: *e}\n" + MINIMAL, 1),
])
def test_a_recursive_alias_is_a_one_line_error_not_a_recursion_error(text, line):
    with pytest.raises(JobError) as exc:
        parse_job(text, source="job.yaml")
    msg = str(exc.value)
    assert msg.startswith(f"job.yaml:{line}: invalid YAML:") and "recursive" in msg and "\n" not in msg


def test_deep_nesting_is_a_one_line_error():
    with pytest.raises(JobError, match="nested too deeply"):
        parse_job("benchmarks: " + "[" * 5000 + "]" * 5000 + "\nmodels: []\n")


def test_an_alias_used_twice_is_fine_and_lines_still_point_at_the_key():
    job = parse_job(MINIMAL.replace(
        "models: [{id: a, backend: reference}]",
        "models:\n  - id: a\n    backend: reference\n    sampling: &s {max_tokens: 16}\n"
        "  - id: b\n    backend: reference\n    sampling: *s\n"))
    assert [m.sampling.max_tokens for m in job.models] == [16, 16]
    with pytest.raises(JobError, match=r"^<job>:8: models.1.backend"):
        parse_job(MINIMAL.replace("models: [{id: a, backend: reference}]",
                                  "models:\n  - id: a\n    backend: reference\n    sampling: &s {max_tokens: 16}\n"
                                  "  - id: b\n    sampling: *s\n    backend: nope\n"))


@pytest.mark.parametrize("text, line, key", [
    (MINIMAL + "budget_usd: 5\nbudget_usd: 500\n", 4, "budget_usd"),
    (MINIMAL + "sampling:\n  n: 1\n  temperature: 0.2\n  n: 4\n", 6, "n"),
    ("benchmarks: [{name: humaneval, limit: 2, limit: 3}]\nmodels: [{id: a, backend: reference}]\n", 1, "limit"),
])
def test_a_key_given_twice_is_refused_with_its_line(text, line, key):
    with pytest.raises(JobError) as exc:
        parse_job(text, source="job.yaml")
    msg = str(exc.value)
    assert msg.startswith(f"job.yaml:{line}: invalid YAML:") and f"duplicate key {key!r}" in msg


def test_merge_keys_may_still_be_overridden():
    job = parse_job(MINIMAL + "sampling:\n  <<: {temperature: 0.2, n: 2}\n  n: 3\n")
    assert (job.sampling.temperature, job.sampling.n) == (0.2, 3)


@pytest.mark.parametrize("text, line, field", [
    ("benchmarks: [{name: humaneval, limit: true}]\nmodels: [{id: a, backend: reference}]\n", 1,
     "benchmarks.0.limit"),
    (MINIMAL + 'budget_usd: "50"\n', 3, "budget_usd"),
    (MINIMAL + "budget_usd: true\n", 3, "budget_usd"),
    (MINIMAL + 'scoring: {enabled: "yes"}\n', 3, "scoring.enabled"),
    (MINIMAL + "scoring: {fast_fail: 1}\n", 3, "scoring.fast_fail"),
    (MINIMAL + "sampling:\n  n: 2.0\n", 4, "sampling.n"),
    (MINIMAL + 'sampling:\n  max_tokens: "100"\n', 4, "sampling.max_tokens"),
    (MINIMAL.replace("backend: reference}", "backend: reference, concurrency: 1.5}"), 2, "models.0.concurrency"),
])
def test_wrong_types_are_not_coerced(text, line, field):
    with pytest.raises(JobError) as exc:
        parse_job(text, source="job.yaml")
    assert str(exc.value).startswith(f"job.yaml:{line}: {field}:"), str(exc.value)


def test_a_float_field_still_takes_an_integer():
    job = parse_job(MINIMAL + "budget_usd: 5\nsampling: {temperature: 1, top_p: 1}\n"
                    "scoring: {timeout_floor_s: 10, resources: {scorer: 1}}\n")
    assert job.budget_usd == 5.0 and isinstance(job.budget_usd, float)
    assert job.sampling.temperature == 1.0 and job.scoring.resources == {"scorer": 1.0}


def test_an_unknown_backend_names_the_models_backend_line():
    text = MINIMAL.replace("models: [{id: a, backend: reference}]",
                           "models:\n  - id: a\n    backend: reference\n  - id: b\n    model: x\n    backend: gpt5\n")
    with pytest.raises(JobError) as exc:
        parse_job(text, source="job.yaml")
    msg = str(exc.value)
    assert msg.startswith("job.yaml:7: models.1.backend:") and "model 'b': unknown backend 'gpt5'" in msg


def test_every_example_spec_and_the_readme_spec_still_parse():
    from pathlib import Path

    repo = Path(__file__).resolve().parents[2]
    specs = sorted((repo / "examples").glob("*.yaml"))
    assert specs
    for path in specs:
        load_job(path)
    readme = (repo / "README.md").read_text()
    blocks = [b.split("```", 1)[0] for b in readme.split("```yaml\n")[1:]]
    assert blocks
    for block in blocks:
        parse_job(block, source="README.md")
