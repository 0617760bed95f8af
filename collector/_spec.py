"""The job spec: a YAML file validated with pydantic.

Unknown keys and wrong types are errors that name the YAML line, because a typo in a job
that is about to spend money must stop it before the first call.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator

from .errors import JobError


class _Strict(BaseModel):
    # strict: no coercion (``limit: true`` is not 1, ``budget_usd: "50"`` not 50.0, ``enabled:
    # "yes"`` not True, ``n: 2.0`` not 2); a float field still takes an integer
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class Prices(_Strict):
    """US dollars per million tokens."""

    input_per_mtok: float = Field(ge=0)
    output_per_mtok: float = Field(ge=0)
    cached_input_per_mtok: float | None = Field(default=None, ge=0)


class RateLimit(_Strict):
    requests_per_min: float | None = Field(default=None, gt=0)
    tokens_per_min: float | None = Field(default=None, gt=0)


class Retry(_Strict):
    """Client-side retry policy (not part of any key: it does not change outputs)."""

    max_attempts: int = Field(default=6, ge=1)
    max_elapsed_s: float = Field(default=300.0, gt=0)
    initial_backoff_s: float = Field(default=0.5, ge=0)
    max_backoff_s: float = Field(default=30.0, ge=0)
    timeout_s: float = Field(default=120.0, gt=0)      # one HTTP request


class Sampling(_Strict):
    temperature: float = Field(default=0.0, ge=0)
    top_p: float = Field(default=1.0, gt=0, le=1)
    max_tokens: int = Field(default=1024, ge=1)
    n: int = Field(default=1, ge=1)
    seed: int | None = 0

    def key_params(self) -> dict[str, Any]:
        """The parameters that change outputs (``n`` is covered by the sample index)."""
        return {"temperature": self.temperature, "top_p": self.top_p,
                "max_tokens": self.max_tokens, "seed": self.seed}


class ModelSpec(_Strict):
    id: str = Field(min_length=1)
    backend: str
    model: str | None = None               # provider model name; defaults to id
    base_url: str | None = None            # openai / anthropic compatible servers
    endpoint_url: str | None = None        # bedrock-runtime endpoint (tests, VPC endpoints)
    region: str | None = None              # bedrock
    api_key_env: str | None = None         # keys only ever come from the environment
    prices: Prices | None = None
    gpu_hour_usd: float | None = Field(default=None, ge=0)
    rate_limit: RateLimit = RateLimit()
    concurrency: int = Field(default=8, ge=1)
    retry: Retry = Retry()
    sampling: Sampling | None = None       # fields given here override the job's
    # openai: a reasoning model (o1/o3/o4-mini, gpt-5): max_completion_tokens (its reasoning
    # counts against it), no temperature/top_p (those models refuse any but their default)
    reasoning: bool = False
    style: Literal["chat", "completion"] = "chat"
    samples: str | None = None             # replay: path of a samples JSONL file
    tensor_parallel_size: int = Field(default=1, ge=1)   # vllm
    replicas: int = Field(default=1, ge=1)               # vllm
    batch_size: int = Field(default=64, ge=1)            # vllm prompts per LLM.generate
    engine_args: dict[str, Any] = Field(default_factory=dict)  # vllm LLM(**engine_args)

    @field_validator("backend")
    @classmethod
    def _known_backend(cls, backend: str, info: ValidationInfo) -> str:
        """Checked here, so the error names the model's ``backend:`` line."""
        from .backends import BACKENDS

        if backend not in BACKENDS:
            who = f"model {info.data['id']!r}: " if "id" in info.data else ""
            raise ValueError(f"{who}unknown backend {backend!r} (known: {', '.join(sorted(BACKENDS))})")
        return backend

    @property
    def backend_model(self) -> str:
        return self.model or self.id


class BenchmarkSpec(_Strict):
    name: str
    split: str | None = None
    data_dir: str | None = None
    limit: int | None = Field(default=None, ge=1)   # first N tasks (demos, smoke runs)
    task_ids: list[str] | None = None
    template: str | None = None                     # path of a prompt template file


class ScoringSpec(_Strict):
    enabled: bool = True
    sandbox: Literal["auto", "docker", "local"] = "auto"
    image: str | None = None
    workers: int = Field(default=2, ge=1)
    batch_size: int = Field(default=8, ge=1)
    timeout_floor_s: float = Field(default=1.0, gt=0)
    timeout_factor: float = Field(default=4.0, gt=0)
    # stop a generation's tests at its first failure (EvalPlus's fast_check): the same verdicts,
    # passed counts become lower bounds; off by default (exact per-test counts)
    fast_fail: bool = False
    resources: dict[str, float] = Field(default_factory=dict)   # Ray custom resources per scorer


class CircuitSpec(_Strict):
    consecutive_failures: int = Field(default=10, ge=1)


class RuntimeSpec(_Strict):
    max_in_flight: int = Field(default=64, ge=1)
    flush_rows: int = Field(default=32, ge=1)
    flush_interval_s: float = Field(default=2.0, gt=0)
    journal_dir: str | None = None
    circuit_breaker: CircuitSpec = CircuitSpec()


class JobSpec(_Strict):
    name: str = "job"
    warehouse: str | None = None
    budget_usd: float | None = Field(default=None, ge=0)
    benchmarks: list[BenchmarkSpec] = Field(min_length=1)
    models: list[ModelSpec] = Field(min_length=1)
    sampling: Sampling = Sampling()
    scoring: ScoringSpec = ScoringSpec()
    runtime: RuntimeSpec = RuntimeSpec()

    @field_validator("benchmarks")
    @classmethod
    def _unique_benchmarks(cls, benchmarks: list[BenchmarkSpec]) -> list[BenchmarkSpec]:
        """Tasks and templates are looked up by benchmark name: a second entry of one name
        would silently replace the first's tasks and send the second's twice."""
        seen: set[str] = set()
        for b in benchmarks:
            if b.name in seen:
                raise ValueError(f"benchmark {b.name!r} is listed twice: one entry per benchmark "
                                 f"(another split or template: a second job, same warehouse)")
            seen.add(b.name)
        return benchmarks

    @field_validator("models")
    @classmethod
    def _unique_ids(cls, models: list[ModelSpec]) -> list[ModelSpec]:
        seen: set[str] = set()
        for m in models:
            if m.id in seen:
                raise ValueError(f"duplicate model id {m.id!r}")
            seen.add(m.id)
        return models

    def sampling_for(self, model: ModelSpec) -> Sampling:
        """The job's sampling with the fields the model sets over it (only those: a model
        that raises max_tokens keeps the job's temperature, n and seed)."""
        if model.sampling is None:
            return self.sampling
        given = model.sampling.model_fields_set
        return self.sampling.model_copy(update={k: getattr(model.sampling, k) for k in given})

    def redacted(self) -> dict[str, Any]:
        """The spec as saved with each run: names of key variables stay, values never enter."""
        return self.model_dump(mode="json")


# --------------------------------------------------------------------------- loading

class _SpecLoader(yaml.SafeLoader):
    """SafeLoader that refuses a key given twice in one mapping (YAML says keys are unique;
    PyYAML keeps the last silently: ``budget_usd: 5`` then ``budget_usd: 500`` spends 500)."""

    def construct_mapping(self, node: yaml.Node, deep: bool = False) -> dict:
        if isinstance(node, yaml.MappingNode):
            first: dict[Any, int] = {}
            for key_node, _ in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":   # `<<: *base` may be overridden
                    continue
                key = self.construct_object(key_node, deep=True)
                try:
                    seen = first.get(key)
                except TypeError:                  # unhashable: the base class says so
                    continue
                if seen is not None:
                    raise yaml.constructor.ConstructorError(
                        "while constructing a mapping", node.start_mark,
                        f"duplicate key {key!r} (first given on line {seen})", key_node.start_mark)
                first[key] = key_node.start_mark.line + 1
        return super().construct_mapping(node, deep=deep)


class _Cycle(Exception):
    def __init__(self, line: int) -> None:
        super().__init__(line)
        self.line = line


def _line_map(node: yaml.Node, path: tuple = (), out: dict | None = None,
              done: set[int] | None = None, open_: set[int] | None = None) -> dict[tuple, int]:
    """YAML line of every key path. Each node is walked once (an alias used again is not
    walked again: its paths fall back to the line that uses it); a node that contains itself
    (``benchmarks: &a [*a]``) raises ``_Cycle``."""
    out = {} if out is None else out
    done = set() if done is None else done
    open_ = set() if open_ is None else open_
    out.setdefault(path, node.start_mark.line + 1)
    if id(node) in open_:
        raise _Cycle(node.start_mark.line + 1)
    if id(node) in done:
        return out
    done.add(id(node))
    open_.add(id(node))
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            sub = path + (key.value if isinstance(key, yaml.ScalarNode) else key.start_mark.line,)
            out[sub] = key.start_mark.line + 1
            _line_map(value, sub, out, done, open_)
            out[sub] = key.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _line_map(item, path + (i,), out, done, open_)
    open_.discard(id(node))
    return out


def _line_for(loc: tuple, lines: dict[tuple, int]) -> int | None:
    loc = tuple(loc)
    for n in range(len(loc), -1, -1):
        if loc[:n] in lines:
            return lines[loc[:n]]
    return None


def parse_job(text: str, *, source: str = "<job>") -> JobSpec:
    """Parse and validate YAML text; every problem becomes a JobError naming the line."""
    try:
        node = yaml.compose(text, Loader=_SpecLoader)
        lines = _line_map(node) if node is not None else {}
        data = yaml.load(text, Loader=_SpecLoader)  # noqa: S506 - a SafeLoader
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{source}:{mark.line + 1}" if mark else source
        raise JobError(f"{where}: invalid YAML: {getattr(exc, 'problem', None) or exc}") from None
    except _Cycle as exc:
        raise JobError(f"{source}:{exc.line}: invalid YAML: an alias refers to a node that contains "
                       "it (a recursive structure)") from None
    except RecursionError:
        raise JobError(f"{source}: invalid YAML: nested too deeply") from None
    if not isinstance(data, dict):
        raise JobError(f"{source}: a job spec is a YAML mapping (benchmarks:, models:, ...)")
    try:
        return JobSpec.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = tuple(p for p in err["loc"])
        line = _line_for(loc, lines)
        field = ".".join(str(p) for p in loc) or "(top level)"
        msg = err["msg"]
        if err["type"] == "value_error":
            msg = msg.removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            msg = f"unknown key {loc[-1]!r}"
        more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
        raise JobError(f"{source}:{line}: {field}: {msg}{more}") from None
    except RecursionError:
        raise JobError(f"{source}: invalid job spec: nested too deeply") from None


def load_job(path: str | Path) -> JobSpec:
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise JobError(f"cannot read job spec {p}: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        raise JobError(f"job spec {p} is not UTF-8 text (byte {exc.start}: {exc.reason})") from None
    return parse_job(text, source=str(p))


def resolve_path(value: str | None, base: Path) -> Path | None:
    """Relative paths in a spec are relative to the spec's directory, then to the cwd."""
    if value is None:
        return None
    p = Path(os.path.expanduser(value))
    if p.is_absolute():
        return p
    cand = base / p
    return cand if cand.exists() or not Path(p).exists() else Path(p).resolve()
