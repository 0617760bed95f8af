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
