"""Real ChatGPT and GPT-4 HumanEval+ generations (MapCoder, EvalPlus sample format) scored
by us and compared with the EvalPlus verdicts their authors recorded.

The recorded results (``*_eval_results.json``, 2024-03) were produced by an older EvalPlus on
an older HumanEval+ release (dataset hash 84f4b93a1270b492e4c54d5212da7a5b); we score against
HumanEval+ v0.1.10 Mini (the same 164 tasks and base inputs, 1,107 of the 122,683 plus inputs)
to keep the test fast. The verdict compared is EvalPlus's headline one: base AND plus pass.

Every disagreement, by task, and why (checked by scoring the same solution on full
HumanEval+ v0.1.10 with ``codeharvest score --benchmark humaneval-plus``):

- Mini has fewer plus inputs, and not the ones these solutions fail (on full v0.1.10 they
  fail, as recorded):
  ChatGPT HumanEval/6 (parse_nested_parens: 68 of 69 hidden inputs pass on full),
  GPT-4 HumanEval/129 (minPath: 175 of 199 pass on full).
- Dataset version: the solution fails a plus input of the older release the authors used,
  and passes every input of v0.1.10 (full: 1,004/1,004 for HumanEval/21 rescale_to_unit,
  119/119 for HumanEval/147 get_max_triples):
  ChatGPT HumanEval/21, ChatGPT HumanEval/147, GPT-4 HumanEval/21.
- Timing: ChatGPT HumanEval/25 (factorize by trial division) needs about 1 s on the input
  112234372, right at the 1 s floor of the per-input limit (the reference takes
  milliseconds): EvalPlus recorded a timeout; whether it times out here depends on the
  machine's speed and load, so either verdict is accepted (on full v0.1.10 it times out on
  larger inputs anyway).
"""
from __future__ import annotations

import json

import pytest

from benchmarks import Extraction, load_tasks
from scorer import Scorer

pytestmark = [pytest.mark.integration, pytest.mark.slow]

RUNS = {
    "chatgpt": "ChatGPT/HumanEvalPlus/ChatGPT-CoT-Python3-0-1",
    "gpt4": "GPT4/HumanEvalPlus/GPT4-Turbo-MapCoder-5-5-Human-Python3-0-1",
}
# (model, task_id) -> (recorded pass, our pass, reason)
EXPLAINED = {
    ("chatgpt", "HumanEval/6"): (False, True, "Mini lacks the failing plus input"),
    ("gpt4", "HumanEval/129"): (False, True, "Mini lacks the failing plus inputs"),
    ("chatgpt", "HumanEval/21"): (False, True, "older HumanEval+ release; passes all of v0.1.10"),
    ("chatgpt", "HumanEval/147"): (False, True, "older HumanEval+ release; passes all of v0.1.10"),
    ("gpt4", "HumanEval/21"): (False, True, "older HumanEval+ release; passes all of v0.1.10"),
}
# verdicts that depend on the machine's speed (an input at the time limit): either is accepted
TIMING_DEPENDENT = {("chatgpt", "HumanEval/25"): "about 1 s on 112234372, the limit's floor is 1 s"}




def test_mapcoder_generations_match_recorded_evalplus_verdicts(sandbox, shared_data, tmp_path):
    tasks = {t.task_id: t for t in load_tasks("humaneval-plus-mini", data_dir=shared_data)}
    scorer = Scorer(sandbox, cache_dir=tmp_path)
    disagreements = {}
    for model, stem in RUNS.items():
        base = shared_data / "generations" / "mapcoder" / "final-results" / stem
        recorded = json.loads(base.with_name(base.name + "_eval_results.json").read_text())["eval"]
        samples = [json.loads(line) for line in open(base.with_name(base.name + ".jsonl")) if line.strip()]
        assert len(samples) == 164
        n_pass = 0
        for s in samples:
            r = scorer.score(tasks[s["task_id"]], Extraction("ok", code=s["solution"]))  # EvalPlus: verbatim
            assert r.status == "scored", (model, s["task_id"], r.stderr_tail)
            rec = recorded[s["task_id"]]
            rec_pass = rec["base"][0][0] == "success" and rec["plus"][0][0] == "success"
            if (model, s["task_id"]) in TIMING_DEPENDENT:
                continue
            n_pass += bool(r.pass_hidden)
            if rec_pass != r.pass_hidden:
                disagreements[(model, s["task_id"])] = (rec_pass, r.pass_hidden)
        # recorded base+plus passes: ChatGPT 106, GPT-4 137 (less the timing-dependent ones,
        # recorded as failures); explained differences are all +1
        recorded_pass = {"chatgpt": 106, "gpt4": 137}[model]
        explained = sum(1 for (m, _t), (a, b, _w) in EXPLAINED.items() if m == model and b and not a)
        assert n_pass == recorded_pass + explained
    assert disagreements == {k: v[:2] for k, v in EXPLAINED.items()}
