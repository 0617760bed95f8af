"""Answer extraction on realistic outputs, including the real ChatGPT/GPT-4 generations that
MapCoder recorded (with their pass/fail) in ../shared/data/generations."""
from __future__ import annotations

import ast
import json
import subprocess
import sys
import textwrap

import pytest

from benchmarks import Task, extract_answer, load_tasks
from benchmarks import TestCase as Case
from benchmarks._extract import fenced_blocks, longest_parseable_span
from benchmarks._split import parse_quietly

GEN = "generations/mapcoder/final-results"


@pytest.fixture(autouse=True)
def _offline(monkeypatch, tmp_path):
    monkeypatch.setenv("CODEHARVEST_OFFLINE", "1")
    monkeypatch.setenv("CODEHARVEST_CACHE", str(tmp_path / "cache"))


STUB = '''from typing import List


def helper_sum(xs: List[int]) -> int:
    return sum(xs)


def mean_of(xs: List[int]) -> float:
    """Mean of xs.
    >>> mean_of([1, 2, 3])
    2.0
    """
'''


def fn_task(**kw) -> Task:
    base = dict(benchmark="humaneval", version="1", task_id="T/0", kind="function", language="python",
                dimension="code_generation", prompt=STUB, reference=STUB + "    return helper_sum(xs) / len(xs)\n",
                hidden_tests=(Case(kind="assert", code="assert mean_of([1, 2, 3]) == 2.0"),),
                entry_point="mean_of", starter_code=STUB)
    base.update(kw)
    return Task(**base)


def run_mean(code: str) -> float:
    namespace: dict = {}
    exec(code, namespace)  # noqa: S102 - test programs written here
    return namespace["mean_of"]([1, 2, 3])


def test_chooses_the_block_that_defines_the_entry_point():
    raw = textwrap.dedent('''\
        Let me think. First, usage:

        ```python
        print(mean_of([1, 2]))
        ```

        The implementation:

        ```Python
        def mean_of(xs):
            return helper_sum(xs) / len(xs)
        ```

        And a shell line:
        ```bash
        python solution.py
        ```
        ''')
    got = extract_answer(fn_task(), raw)
    assert got.status == "ok" and "fenced block 2" in got.detail
    assert run_mean(got.code) == 2.0            # helper_sum and the List import come from the prompt
    assert "print(" not in got.code


def test_several_defining_blocks_take_the_last_and_tags_vary():
    raw = ("First try:\n```py\ndef mean_of(xs):\n    return 0\n```\nFixed:\n```python3\n"
           "def mean_of(xs):\n    return sum(xs) / len(xs)\n```\n")
    got = extract_answer(fn_task(), raw)
    assert got.status == "ok" and run_mean(got.code) == 2.0
    assert [b.tag for b in fenced_blocks(raw)] == ["py", "python3"]


def test_unterminated_fence_keeps_the_parseable_part():
    raw = ("```python\ndef mean_of(xs):\n    total = sum(xs)\n    return total / len(xs)\n\n"
           "def other(y):\n    return (y +")
    blocks = fenced_blocks(raw)
    assert len(blocks) == 1 and not blocks[0].closed
    got = extract_answer(fn_task(), raw)
    assert got.status == "ok" and run_mean(got.code) == 2.0 and "def other" not in got.code


def test_stray_prose_around_unfenced_code():
    raw = ("Sure! Here is the function you asked for:\n\n"
           "def mean_of(xs):\n    if not xs:\n        return 0.0\n    return sum(xs) / len(xs)\n\n"
           "This runs in O(n) time. Let me know if you need anything else.")
    got = extract_answer(fn_task(), raw)
    assert got.status == "ok" and got.detail == "unfenced code" and run_mean(got.code) == 2.0
    assert "Sure" not in got.code and "O(n)" not in got.code
    assert longest_parseable_span("Explanation\nNothing to see here.") is None


def test_driver_code_is_dropped():
    raw = ("```python\nimport sys\n\ndef mean_of(xs):\n    return sum(xs) / len(xs)\n\n"
           "xs = list(map(int, input().split()))\nprint(mean_of(xs))\nassert mean_of([2]) == 2\n"
           "if __name__ == '__main__':\n    main()\n```")
    got = extract_answer(fn_task(), raw)
    assert got.status == "ok"
    assert "input()" not in got.code and "print(" not in got.code and "__main__" not in got.code
    assert "import sys" in got.code and run_mean(got.code) == 2.0


def test_completion_style_prompt_plus_completion():
    task = fn_task()
    completion = "    return helper_sum(xs) / len(xs)\n\n\nprint(mean_of([4]))\nThis is a trailing remark"
    got = extract_answer(task, completion, style="completion", prompt=STUB)
    assert got.status == "ok" and got.detail == "prompt + completion"
    assert got.code.startswith(STUB) and run_mean(got.code) == 2.0 and "remark" not in got.code


def test_completion_that_repeats_the_signature():
    completion = "def mean_of(xs):\n    return helper_sum(xs) / len(xs)\n"
    got = extract_answer(fn_task(), completion, style="completion", prompt=STUB)
    assert got.status == "ok" and got.detail == "completion repeats the signature"
    assert got.code.count("def mean_of") == 1 and run_mean(got.code) == 2.0


def test_completion_with_a_closing_fence_and_chat_style_answer():
    got = extract_answer(fn_task(), "    return sum(xs) / len(xs)\n```\nDone.", style="completion", prompt=STUB)
    assert got.status == "ok" and run_mean(got.code) == 2.0
    fenced = extract_answer(fn_task(), "```python\ndef mean_of(xs):\n    return sum(xs)/len(xs)\n```",
                            style="completion", prompt=STUB)
    assert fenced.status == "ok" and run_mean(fenced.code) == 2.0


@pytest.mark.parametrize("raw, detail", [
    ("", "empty output"),
    ("I am sorry, I cannot help with that.", "no code"),
    ("```python\ndef average(xs):\n    return 1\n```", "no code block defining mean_of"),
    ("```python\ndef mean_of(xs)\n    return 1\n```", "no code block defining mean_of"),
])
def test_no_code_extracted_rather_than_guessing(raw, detail):
    got = extract_answer(fn_task(), raw)
    assert got.status == "no_code_extracted" and got.code is None and detail in got.detail


def stdio_task(**kw) -> Task:
    base = dict(benchmark="apps", version="1", task_id="x", kind="stdio", language="python",
                dimension="code_generation", prompt="Read n and print n*2.", reference="print(int(input())*2)")
    base.update(kw)
    return Task(**base)


def test_stdio_program_prefers_the_block_that_reads_input():
    raw = ("Idea:\n```python\ndef double(n):\n    return 2 * n\n```\nFull program:\n```python\n"
           "n = int(input())\nprint(2 * n)\n```\nExample: input 3 gives 6.")
    got = extract_answer(stdio_task(), raw)
    assert got.status == "ok" and got.code == "n = int(input())\nprint(2 * n)\n"
    bare = extract_answer(stdio_task(), "Here you go:\nimport sys\nn = int(sys.stdin.readline())\nprint(2*n)\nThat's it!")
    assert bare.status == "ok" and bare.code.startswith("import sys") and "That's" not in bare.code
    assert extract_answer(stdio_task(), "No idea, sorry.").status == "no_code_extracted"


def test_runbugrun_fix_in_completion_style():
    task = stdio_task(benchmark="runbugrun", metadata={"prompt_kind": "refinement"})
    got = extract_answer(task, "n = int(input())\nprint(n * 2)\n# Buggy Python:\nprint(", style="completion")
    assert got.status == "ok" and got.code == "n = int(input())\nprint(n * 2)\n"       # cut at the template's marker


def code_task(kind: str, language: str, prompt: str) -> Task:
    return Task(benchmark="codexglue", version="1", task_id="0", kind=kind, language=language,
                dimension=kind, prompt=prompt, reference="", metadata={"source_language": "java"})


JAVA = "public int Size() { return count; }"


def test_csharp_translation_fenced_bare_and_echoed_source():
    task = code_task("translation", "csharp", JAVA)
    echoed = (f"The Java code:\n```java\n{JAVA}\n```\nIn C#:\n```csharp\npublic virtual int Size()\n{{\n"
              "    return count;\n}\n```\nNote: C# uses virtual.")
    got = extract_answer(task, echoed)
    assert got.status == "ok" and got.code.startswith("public virtual int Size()") and got.code.endswith("}")
    untagged = extract_answer(task, f"```\n{JAVA}\n```\n```\npublic override int Size(){{return count;}}\n```")
    assert untagged.status == "ok" and "override" in untagged.code
    bare = extract_answer(task, 'Here is the translation: public string Name(){ return "a}b"; } Hope it helps!')
    assert bare.status == "ok" and bare.code == 'public string Name(){ return "a}b"; }'
    only_java = extract_answer(task, f"```java\n{JAVA}\n```")
    assert only_java.status == "no_code_extracted" and "java" in only_java.detail
    assert extract_answer(task, "I can't translate this.").status == "no_code_extracted"


def test_java_refinement_abstracted_code():
    buggy = "public TYPE_1 METHOD_1 ( ) { return VAR_1 ; }"
    task = code_task("refinement", "java", buggy)
    fixed = "public TYPE_1 METHOD_1 ( ) { if ( ( VAR_1 ) != null ) { return VAR_1 ; } return null ; }"
    assert extract_answer(task, f"Fixed:\n```java\n{fixed}\n```").code == fixed
    assert extract_answer(task, f"The bug is a missing null check.\n{fixed}\nThis avoids NPEs.").code == fixed
    assert extract_answer(task, fixed + "\n// Buggy Java:\n", style="completion").code == fixed


@pytest.mark.parametrize("raw, status, label", [
    ("Yes", "ok", "yes"),
    ("No.", "ok", "no"),
    ("**Yes**, the query is built with string formatting.", "ok", "yes"),
    ("no - parameters are bound safely", "ok", "no"),
    ("The function is not vulnerable: paths are normalised.", "ok", "no"),
    ("After review, this function contains a security vulnerability (path traversal).", "ok", "yes"),
    ("Answer: Yes", "ok", "yes"),
    ("I cannot decide without seeing how `path` is produced.", "undecided", None),
    ("Yes, but I cannot determine it without more context.", "undecided", None),
    ("It is unclear.", "undecided", None),
    ("Maybe yes, maybe no.", "undecided", None),
    ("", "undecided", None),
])
def test_sven_labels(raw, status, label):
    task = Task("sven", "1", "t", "classification", "python", "vulnerability_detection", "def f(): pass", "yes")
    got = extract_answer(task, raw)
    assert (got.status, got.label, got.code) == (status, label, None)


# ---------------------------------------------------------------- real generations

def _rows(shared_data, rel):
    with open(shared_data / GEN / rel, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def _defines(code: str, name: str) -> bool:
    return any(isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and n.name == name
               for n in ast.walk(parse_quietly(code)))


@pytest.mark.parametrize("rel, field", [
    ("ChatGPT/HumanEval/ChatGPT-CoT-Python3-0-1.jsonl", "responses"),
    ("GPT4/HumanEval/GPT4-Turbo-CoT-Human-Python3-0-1.jsonl", "responses"),
    ("Gemini/HumanEval/Gemini-Direct-Human-Python3-0-1.jsonl", "responses"),
    ("GPT4/HumanEval/humaneval-py..gz_simple_1_gpt-4_pass_at_k_1_py.jsonl", "solution"),
])
def test_real_humaneval_generations_marked_solved_extract(shared_data, rel, field):
    tasks = {t.task_id: t for t in load_tasks("humaneval", data_dir=shared_data)}
    solved = 0
    for row in _rows(shared_data, rel):
        raw = row[field][-1] if isinstance(row[field], list) else row[field]
        got = extract_answer(tasks[row["task_id"]], raw)
        if row["is_solved"]:
            solved += 1
            assert got.status == "ok", (row["task_id"], got.detail)
            assert _defines(got.code, tasks[row["task_id"]].entry_point)
    assert solved >= 100


AGREE = r'''
import json, sys, signal
items = json.load(sys.stdin)
out = {}
for tid, (program, tests) in items.items():
    ok = True
    for code in tests:
        ns = {"__name__": "__main__"}
        signal.alarm(10)
        try:
            exec(program, ns)
            exec(code, ns)
        except BaseException:
            ok = False
        finally:
            signal.alarm(0)
        if not ok:
            break
    out[tid] = ok
print(json.dumps(out))
'''


def test_extracted_gpt4_code_passes_our_tests_where_the_authors_said_solved(shared_data):
    """Extraction + the per-assertion HumanEval tests reproduce MapCoder's recorded verdicts."""
    tasks = {t.task_id: t for t in load_tasks("humaneval", data_dir=shared_data)}
    rows = _rows(shared_data, "GPT4/HumanEval/GPT4-Turbo-CoT-Human-Python3-0-1.jsonl")
    items = {}
    for row in rows:
        got = extract_answer(tasks[row["task_id"]], row["responses"][-1])
        assert got.status == "ok"
        items[row["task_id"]] = (got.code, [c.code for c in tasks[row["task_id"]].hidden_tests])
    proc = subprocess.run([sys.executable, "-c", AGREE], input=json.dumps(items), capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    ours = json.loads(proc.stdout)
    agree = sum(ours[r["task_id"]] == bool(r["is_solved"]) for r in rows)
    assert agree >= 0.95 * len(rows)
    assert sum(ours.values()) >= 140


def test_real_apps_generations_extract(shared_data):
    import re

    tasks = {t.task_id: t for t in load_tasks("apps", data_dir=shared_data, split="mapcoder150")}
    for rel in ("ChatGPT/APPS/ChatGPT-Direct-APPS-Python3-0-1.jsonl", "GPT4/APPS/GPT4-Turbo-Direct-APPS-Python3-0-1.jsonl"):
        stdio_ok, stdio_total = 0, 0
        for row in _rows(shared_data, rel):
            task = tasks[f"mapcoder150/{row['id']}"]
            raw = row["responses"][-1]
            got = extract_answer(task, raw)
            if got.status == "ok":
                parse_quietly(got.code)
                if task.entry_point:
                    assert _defines(got.code, task.entry_point)
            if task.entry_point:
                # the response writes the function the starter code names: it must be found
                if re.search(rf"^\s*def {task.entry_point}\(", raw, re.M):
                    assert got.status == "ok", (row["id"], got.detail)
            else:
                stdio_total += 1
                stdio_ok += got.status == "ok"
                if row["is_solved"]:
                    assert got.status == "ok", (row["id"], got.detail)
        assert stdio_ok >= 0.95 * stdio_total


def test_real_mbpp_generations_marked_solved_extract(shared_data):
    """GPT-4 on MultiPL-E's mbpp-typed prompts (names like mbpp_3_is_not_prime): same task ids."""
    tasks = {t.task_id: t for t in load_tasks("mbpp", data_dir=shared_data, split="all")}
    solved = 0
    for row in _rows(shared_data, "GPT4/MBPP/GPT4-Turbo-CoT-MBPP-Python3-0-1.jsonl"):
        task = tasks[row["name"].split("_")[1]]
        if task.entry_point != row["entry_point"]:
            continue                      # a few typed variants renamed the function
        got = extract_answer(task, row["responses"][-1])
        if row["is_solved"]:
            solved += 1
            assert got.status == "ok", (row["name"], got.detail)
            assert _defines(got.code, task.entry_point)
    assert solved >= 300


def test_apps_programs_get_the_apps_import_header(shared_data):
    tasks = {t.task_id: t for t in load_tasks("apps", data_dir=shared_data, split="train")}
    leetcode = tasks["train/2404"]
    assert leetcode.metadata["call_via_class"] == "Solution"
    raw = ("```python\nclass Solution:\n    def findKthPositive(self, arr: List[int], k: int) -> int:\n"
           "        missing = [x for x in range(1, max(arr) + k + 1) if x not in set(arr)]\n"
           "        return missing[k - 1]\n```")
    got = extract_answer(leetcode, raw)
    assert got.status == "ok" and got.code.startswith(leetcode.metadata["prelude"])
    namespace: dict = {}
    exec(got.code, namespace)  # noqa: S102 - List comes from the header, as in APPS's evaluator
    assert namespace["Solution"]().findKthPositive([2, 3, 4, 7, 11], 5) == 9
    stdio = extract_answer(tasks["train/0001"], "```python\nprint(int(input()) + 1)\n```")
    assert stdio.code.endswith("print(int(input()) + 1)\n") and "import heapq" in stdio.code


def test_long_code_like_garbage_gives_no_code():
    """2,000 code-like lines that never parse: the span search gives up (parse budget), no guess."""
    garbage = "\n".join(["x = (  # never closed"] * 2000)
    got = extract_answer(stdio_task(), garbage)
    assert got.status == "no_code_extracted" and got.code is None


@pytest.mark.parametrize("name, split", [("codexglue-java-cs", "test"), ("codexglue-java-cs", "valid"),
                                         ("codexglue-refine-small", None), ("codexglue-refine-medium", None)])
def test_every_codexglue_reference_and_source_round_trips(shared_data, name, split):
    """A model that answers with the reference (bare, or amid prose) gets exactly the reference back."""
    tasks = load_tasks(name, data_dir=shared_data, split=split)
    for i, task in enumerate(tasks):
        assert extract_answer(task, task.reference).code == task.reference, task.task_id
        if i % 10 == 0:
            wrapped = f"Here is the corrected method:\n{task.reference}\nIt handles the edge case now."
            assert extract_answer(task, wrapped).code == task.reference, task.task_id


@pytest.mark.parametrize("name", ["humaneval", "mbpp-sanitized", "mbpp-plus", "humaneval-plus-mini", "sven"])
def test_reference_answers_extract(shared_data, name):
    """The ``reference`` backend (answers with the canonical solution / true label) extracts cleanly."""
    for task in load_tasks(name, data_dir=shared_data):
        got = extract_answer(task, task.reference)
        assert got.status == "ok", (task.task_id, got.detail)
        if task.kind == "classification":
            assert got.label == task.reference
        else:
            assert _defines(got.code, task.entry_point)


def test_a_function_that_reads_input_is_kept_and_fails_later():
    """Only top-level driver statements go; a wrong-but-present solution is scored, not hidden."""
    raw = "```python\ndef mean_of(xs):\n    n = int(input())\n    return n\n\nmean_of([])\n```"
    got = extract_answer(fn_task(), raw)
    assert got.status == "ok" and "def mean_of" in got.code and "\nmean_of([])" not in got.code


@pytest.mark.parametrize("stem, base_pass", [("ChatGPT/HumanEvalPlus/ChatGPT-CoT-Python3-0-1", 116),
                                             ("GPT4/HumanEvalPlus/GPT4-Turbo-MapCoder-5-5-Human-Python3-0-1", 152)])
def test_real_evalplus_samples_that_passed_base_extract(shared_data, stem, base_pass):
    """EvalPlus samples (``solution``) with the EvalPlus evaluator's own verdicts."""
    tasks = {t.task_id: t for t in load_tasks("humaneval-plus-mini", data_dir=shared_data)}
    verdicts = json.loads((shared_data / GEN / f"{stem}_eval_results.json").read_text())["eval"]
    passed = 0
    for row in _rows(shared_data, f"{stem}.jsonl"):
        task = tasks[row["task_id"]]
        got = extract_answer(task, row["solution"])
        if verdicts[row["task_id"]]["base"][0][0] == "success":
            passed += 1
            assert got.status == "ok", (row["task_id"], got.detail)
            assert _defines(got.code, task.entry_point)
    assert passed == base_pass


# ---------------------------------------------------------------- labels: verdicts beat incidental yes/no words

@pytest.mark.parametrize("raw, label", [
    # a "no" inside the explanation is not the answer (these were labelled "no")
    ("The function is vulnerable: user input reaches the SQL query with no escaping.", "yes"),
    ("This code is vulnerable to path traversal because there is no check that the resolved path stays "
     "inside the upload directory.", "yes"),
    ("Vulnerable. The filename is joined to the base directory with no sanitisation.", "yes"),
    ("No sanitisation is applied to `name`, so the function is vulnerable.", "yes"),
    ("The function has a command injection vulnerability: there is no quoting of `host`.", "yes"),
    ("It passes the string to os.system with no checks, which makes it exploitable.", "yes"),
    # negations
    ("The function is not vulnerable: no user input reaches the query.", "no"),
    ("The function isn't vulnerable; yes, it takes user input, but it is bound as a parameter.", "no"),
    ("The function isn\u2019t vulnerable.", "no"),
    ("There is no vulnerability here: the path is normalised and checked.", "no"),
    ("No vulnerabilities found.", "no"),
    ("The function does not contain a vulnerability.", "no"),
    ("This code doesn't contain any security vulnerabilities.", "no"),
    ("I don't think this function is vulnerable.", "no"),
    ("The function does not appear to be vulnerable.", "no"),
    ("Not vulnerable. The arguments are passed as a list, so no shell is involved.", "no"),
    ("It uses subprocess.run with a list of arguments, so it is safe.", "no"),
    # hypothetical fixes, echoed questions and explicit answers
    ("The code is vulnerable to SQL injection. To make it safe, use parameterised queries.", "yes"),
    ("The query is vulnerable; with parameters it would no longer be vulnerable.", "yes"),
    ("Does the function contain a security vulnerability? No.", "no"),
    ("The input reaches os.system with no quoting.\n\nAnswer: Yes", "yes"),
    ("Let me check the path handling.\nThere is no check for '..'.\n\nYes.", "yes"),
    ("Yes\nThe query is built with string formatting and no escaping.", "yes"),
    ("No\n\n# Python function under review:\ndef g(): pass\n# Answer: Yes", "no"),
])
def test_sven_verdict_phrases_beat_incidental_yes_no_words(raw, label):
    task = Task("sven", "1", "t", "classification", "python", "vulnerability_detection", "def f(): pass", "yes")
    got = extract_answer(task, raw)
    assert (got.status, got.label) == ("ok", label), got.detail


@pytest.mark.parametrize("raw", [
    "The function has no escaping.",                                    # no verdict, no answer
    "Nothing is escaped here and no checks are done.",
    "The first query is vulnerable, but the second is not vulnerable.",  # conflicting verdicts: no guess
])
def test_sven_no_verdict_is_undecided(raw):
    task = Task("sven", "1", "t", "classification", "python", "vulnerability_detection", "def f(): pass", "yes")
    got = extract_answer(task, raw)
    assert (got.status, got.label) == ("undecided", None)


# ---------------------------------------------------------------- driver code vs module state

SIEVE_ANSWER = textwrap.dedent('''\
    I'll precompute the primes once with a sieve of Eratosthenes.

    ```python
    import sys
    sys.setrecursionlimit(10000)

    LIMIT = 10001
    sieve = [True] * LIMIT
    sieve[0] = sieve[1] = False
    for i in range(2, int(LIMIT ** 0.5) + 1):
        if sieve[i]:
            for j in range(i * i, LIMIT, i):
                sieve[j] = False
    primes = []
    for i, p in enumerate(sieve):
        if p:
            primes.append(i)

    def is_not_prime(n):
        if n < LIMIT:
            return not sieve[n]
        return any(n % p == 0 for p in primes if p * p <= n)

    # Example usage
    print(is_not_prime(10))
    for n in (10, 35, 37):
        print(n, is_not_prime(n))
    assert is_not_prime(2) == False
    is_not_prime(37)
    if __name__ == "__main__":
        print(is_not_prime(int(input())))
    ```
    ''')


def test_top_level_loops_that_build_module_state_are_kept(shared_data):
    """mbpp 3: the sieve filled by a top-level loop is part of the solution (1/3 tests passed without it)."""
    task = {t.task_id: t for t in load_tasks("mbpp-sanitized", data_dir=shared_data)}["3"]
    got = extract_answer(task, SIEVE_ANSWER)
    assert got.status == "ok"
    assert "sieve[j] = False" in got.code and "primes.append(i)" in got.code
    assert "sys.setrecursionlimit(10000)" in got.code
    assert "print(" not in got.code and "assert" not in got.code and "__main__" not in got.code
    assert "\nis_not_prime(37)" not in got.code and "input(" not in got.code
    tests = [c.code for c in task.hidden_tests + task.visible_tests]
    assert len(tests) == 4
    namespace: dict = {}
    exec(got.code, namespace)  # noqa: S102 - test programs written here
    for test in tests:
        exec(test, namespace)  # noqa: S102


def test_example_usage_at_the_bottom_is_dropped_and_setup_is_kept():
    raw = textwrap.dedent('''\
        ```python
        import doctest
        import random
        import sys
        import unittest

        random.seed(0)
        memo = {}
        for k in range(3):
            memo[k] = k * 10
        calls = []

        def _init():
            global scale
            scale = 1

        _init()

        def mean_of(xs):
            calls.append(len(xs))
            return scale * sum(xs) / len(xs) + memo[0]

        class TestMean(unittest.TestCase):
            def test_one(self):
                self.assertEqual(mean_of([1]), 1)

        results = []
        for case in ([1, 2, 3], [4]):
            results.append(mean_of(case))
        for case in ([1, 2, 3], [4]):
            print(case, mean_of(case))
        for case in ([1, 2, 3],):
            assert mean_of(case) == 2
        mean_of([5, 5])
        print(results)
        sys.stdout.write(str(mean_of([1])))
        doctest.testmod()
        unittest.main()
        while True:
            line = sys.stdin.readline()
            if not line:
                break
            print(mean_of(list(map(int, line.split()))))
        ```
        ''')
    got = extract_answer(fn_task(), raw)
    assert got.status == "ok"
    code = got.code
    for kept in ("random.seed(0)", "memo[k] = k * 10", "_init()", "class TestMean"):
        assert kept in code, kept
    for dropped in ("print(", "results.append", "assert mean_of", "\nmean_of([5, 5])", "sys.stdout.write",
                    "doctest.testmod()", "unittest.main()", "readline"):
        assert dropped not in code, dropped
    namespace: dict = {}
    exec(code, namespace)  # noqa: S102 - test programs written here
    assert namespace["mean_of"]([1, 2, 3]) == 2.0 and namespace["calls"] == [3]


def test_a_main_function_that_reads_input_is_not_called():
    raw = ("```python\ndef mean_of(xs):\n    return sum(xs) / len(xs)\n\ndef main():\n    xs = input().split()\n"
           "    print(mean_of(list(map(int, xs))))\n\nmain()\n```")
    got = extract_answer(fn_task(), raw)
    assert got.status == "ok" and "\nmain()" not in got.code and run_mean(got.code) == 2.0


# ---------------------------------------------------------------- regressions (extraction audit)

def _load_error(code: str) -> str | None:
    """What running ``code`` as a module (no stdin, output discarded) raises, or None."""
    import contextlib
    import io

    namespace: dict = {"__name__": "__main__"}
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            exec(compile(code, "<answer>", "exec", dont_inherit=True), namespace)  # noqa: S102
    except BaseException as exc:  # noqa: BLE001 - reported to the test
        return repr(exc)
    return None


SUPER_SIZE_ANSWER = textwrap.dedent('''\
    Here is the function, followed by code that reads the number from standard input:

    ```python
    def super_size(num):
        digits = sorted(str(num), reverse=True)
        return int("".join(digits))

    seen = {}

    # Taking input from standard input
    num = int(input())
    width = len(str(num))
    padded = str(num).zfill(width + 1)
    # Calling the function with the input parameter
    result = super_size(num)
    # Printing the output of the function
    print(result)
    ```
    ''')


def test_statements_reading_names_bound_by_dropped_input_go_too(shared_data):
    """APPS call-based: ``num = int(input())`` is dropped, so ``result = super_size(num)`` (and what reads
    ``width``) must go too; it raised NameError when the program was loaded."""
    task = {t.task_id: t for t in load_tasks("apps", data_dir=shared_data, split="mapcoder150")}["mapcoder150/4465"]
    got = extract_answer(task, SUPER_SIZE_ANSWER)
    assert got.status == "ok"
    for gone in ("input()", "result = super_size", "width =", "padded =", "print("):
        assert gone not in got.code, gone
    assert "seen = {}" in got.code
    namespace: dict = {}
    assert _load_error(got.code) is None
    exec(got.code, namespace)  # noqa: S102 - test programs written here
    assert namespace["super_size"](2017) == 7210


def test_state_the_function_reads_is_kept_even_after_dropped_input():
    raw = textwrap.dedent('''\
        ```python
        SCALE = 1
        n = int(input())
        offset = n * 0
        shifted = offset + 1
        label = "mean"

        def mean_of(xs):
            return SCALE * sum(xs) / len(xs)

        print(label, mean_of([n]))
        ```
        ''')
    got = extract_answer(fn_task(), raw)
    assert got.status == "ok"
    assert "SCALE = 1" in got.code and 'label = "mean"' in got.code
    assert "offset" not in got.code and "shifted" not in got.code and "input()" not in got.code
    assert _load_error(got.code) is None and run_mean(got.code) == 2.0


LOAD_ALL = r'''
import contextlib, io, json, signal, sys
programs = json.load(sys.stdin)
sys.stdin = io.StringIO("")
failed = {}
for key, code in programs.items():
    signal.alarm(10)
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            exec(compile(code, key, "exec", dont_inherit=True), {"__name__": "__main__"})
    except BaseException as exc:
        failed[key] = repr(exc)[:200]
    finally:
        signal.alarm(0)
print(json.dumps(failed))
'''


def test_real_apps_call_based_extractions_load(shared_data):
    """MapCoder's ChatGPT/GPT-4 APPS answers for call-based tasks: every extracted program loads (13 of 80
    raised NameError: a kept ``result = f(num)`` after the dropped ``num = int(input())``)."""
    tasks = {t.task_id: t for t in load_tasks("apps", data_dir=shared_data, split="mapcoder150")}
    programs = {}
    for rel in ("ChatGPT/APPS/ChatGPT-Direct-APPS-Python3-0-1.jsonl",
                "GPT4/APPS/GPT4-Turbo-Direct-APPS-Python3-0-1.jsonl"):
        for row in _rows(shared_data, rel):
            task = tasks[f"mapcoder150/{row['id']}"]
            if not task.entry_point:
                continue
            got = extract_answer(task, row["responses"][-1])
            if got.status == "ok":
                programs[f"{rel.split('/')[0]} {row['id']}"] = got.code
    assert len(programs) >= 80
    for key in ("ChatGPT 4465", "ChatGPT 1613", "GPT4 3478", "GPT4 1660"):
        assert key in programs
    proc = subprocess.run([sys.executable, "-c", LOAD_ALL], input=json.dumps(programs), capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert json.loads(proc.stdout) == {}


def test_future_import_stays_first_when_the_prompt_preamble_is_added():
    raw = ("```python\nfrom __future__ import annotations\n\n\ndef mean_of(xs: List[int]) -> float:\n"
           "    return helper_sum(xs) / len(xs)\n```")
    got = extract_answer(fn_task(), raw)
    assert got.status == "ok" and got.code.startswith("from __future__ import annotations\n")
    assert "def helper_sum" in got.code and run_mean(got.code) == 2.0
    documented = ('```python\n"""Mean of a list."""\nfrom __future__ import annotations\n\n'
                  "def mean_of(xs: List[int]) -> float:\n    return helper_sum(xs) / len(xs)\n```")
    got = extract_answer(fn_task(), documented)
    assert got.status == "ok" and got.code.startswith('"""Mean of a list."""\nfrom __future__ import annotations\n')
    assert run_mean(got.code) == 2.0


def test_future_import_stays_first_with_helpers_from_another_block():
    raw = ("A helper:\n```python\ndef _total(xs: list[int]) -> int:\n    return sum(xs)\n```\nThe function:\n"
           "```python\nfrom __future__ import annotations\n\ndef mean_of(xs: list[int]) -> float:\n"
           "    return _total(xs) / len(xs)\n```")
    got = extract_answer(fn_task(starter_code="", prompt="Write mean_of(xs)."), raw)
    assert got.status == "ok" and got.code.startswith("from __future__ import annotations\n")
    assert run_mean(got.code) == 2.0


def test_future_import_stays_first_after_the_apps_header(shared_data):
    task = {t.task_id: t for t in load_tasks("apps", data_dir=shared_data, split="train")}["train/0001"]
    raw = ("```python\nfrom __future__ import annotations\nimport sys\n\n\ndef main() -> None:\n"
           "    n = int(sys.stdin.readline())\n    print(n + 1)\n\n\nmain()\n```")
    got = extract_answer(task, raw)
    assert got.status == "ok" and got.code.startswith("from __future__ import annotations\n")
    assert task.metadata["prelude"] in got.code
    compile(got.code, "<answer>", "exec", dont_inherit=True)


@pytest.mark.parametrize("raw", [
    # parses, but the compiler rejects it: it would fail when loaded
    "```python\nn = int(input())\nif n == 0:\n    print(0)\n    return\nprint(n * 2)\n```",
    "```python\nimport sys\nfrom __future__ import annotations\nprint(int(sys.stdin.readline()) * 2)\n```",
])
def test_code_that_does_not_compile_is_no_answer(raw):
    got = extract_answer(stdio_task(), raw)
    assert got.status == "no_code_extracted" and "does not compile" in got.detail


def test_helpers_from_other_blocks_bring_what_they_need():
    raw = textwrap.dedent('''\
        First the helpers:

        ```python
        import asyncio
        import math
        from statistics import fmean as _fmean

        PRECISION = 6
        TOLERANCE = 10 ** -PRECISION


        def _rounded(x):
            return round(x, PRECISION)


        def safe_mean(xs):
            if not xs:
                return math.nan
            assert abs(_fmean(xs) - sum(xs) / len(xs)) < TOLERANCE
            return _rounded(sum(xs) / len(xs))


        async def _mean_later(xs):
            await asyncio.sleep(0)
            return safe_mean(xs)
        ```

        Now the function itself:

        ```python
        def mean_of(xs):
            return asyncio.run(_mean_later(xs))
        ```

        Example:

        ```python
        sum = 0
        for x in [1, 2, 3]:
            sum += x
        print(mean_of([1, 2, 3]))
        ```
        ''')
    got = extract_answer(fn_task(starter_code="", prompt="Write mean_of(xs)."), raw)
    assert got.status == "ok"
    for needed in ("import asyncio", "import math", "fmean as _fmean", "PRECISION = 6", "TOLERANCE =",
                   "def _rounded", "def safe_mean", "async def _mean_later"):
        assert needed in got.code, needed
    assert "sum = 0" not in got.code and "print(" not in got.code
    assert run_mean(got.code) == 2.0


@pytest.mark.parametrize("raw, program", [
    ("```python\nn = int(open(0).read())\nprint(-n)\n```\nFor the input\n```\n1\n```\nthe output is\n```\n-1\n```",
     "n = int(open(0).read())\nprint(-n)\n"),
    ("```python\ndata = open('/dev/stdin').read().split()\nprint(-int(data[0]) * 2)\n```\nOutput for `3`:\n"
     "```\n-6\n```", "data = open('/dev/stdin').read().split()\nprint(-int(data[0]) * 2)\n"),
    ("```python\nfrom sys import stdin\n\nn = int(stdin.readline())\nprint(n * 2)\n```\nExample:\n```python\n"
     "print(solve(3))  # 6\n```", "from sys import stdin\n\nn = int(stdin.readline())\nprint(n * 2)\n"),
    ("```python\ndef main():\n    print(sum(map(int, input().split())))\n\nmain()\n```\nTo test it:\n```python\n"
     "import io, sys\nsys.stdin = io.StringIO('2 3')\nmain()\n```",
     "def main():\n    print(sum(map(int, input().split())))\n\nmain()\n"),
    ("```python\ndef main():\n    print(sum(map(int, input().split())))\n\nmain()\n```\nThe same with a test input:\n"
     "```python\nimport io, sys\nsys.stdin = io.StringIO('2 3')\n\ndef main():\n"
     "    print(sum(map(int, input().split())))\n\nmain()\n```",
     "def main():\n    print(sum(map(int, input().split())))\n\nmain()\n"),
])
def test_stdio_program_is_the_complete_program_that_reads_input(raw, program):
    got = extract_answer(stdio_task(), raw)
    assert (got.status, got.code) == ("ok", program)


def test_stdin_imported_from_sys_is_driver_code_in_function_tasks():
    raw = ("```python\nfrom sys import stdin\n\ndef mean_of(xs):\n    return sum(xs) / len(xs)\n\n"
           "xs = list(map(int, stdin.readline().split()))\nprint(mean_of(xs))\n```")
    got = extract_answer(fn_task(), raw)
    assert got.status == "ok" and "readline" not in got.code and run_mean(got.code) == 2.0


@pytest.mark.parametrize("raw, label", [
    ("Vulnerable: No", "no"),
    ("**Vulnerable:** No", "no"),
    ("Vulnerable? No.", "no"),
    ("Vulnerable - No, the path is checked against the base directory.", "no"),
    ("Vulnerable: Yes", "yes"),
    ("Contains a vulnerability: No", "no"),
    ("**Contains a vulnerability:** Yes\n\nThe query is built with an f-string.", "yes"),
    ("Safe: No", "yes"),
    ("Safe: Yes", "no"),
    ("Secure? No. The command string is passed to the shell.", "yes"),
    ("The function is safe from SQL injection but vulnerable to XSS.", "yes"),
    ("The function is safe from SQL injection but still vulnerable to XSS because the name is echoed.", "yes"),
    ("Vulnerable: no user input reaches the query unescaped.", "yes"),   # "no" opens a sentence, not an answer
    ("There is a vulnerability: no bounds check on `idx`.", "yes"),
])
def test_sven_headed_answers(raw, label):
    task = Task("sven", "1", "t", "classification", "python", "vulnerability_detection", "def f(): pass", "yes")
    got = extract_answer(task, raw)
    assert (got.status, got.label) == ("ok", label), got.detail


def test_refinement_skips_the_echoed_buggy_code():
    buggy = "private TYPE_1 getType ( TYPE_2 VAR_1 ) { return new TYPE_1 ( VAR_1 ) ; }"
    fixed = ("private TYPE_1 getType ( TYPE_2 VAR_1 ) { TYPE_3 VAR_2 = new TYPE_3 ( STRING_1 ) ; "
             "return new TYPE_1 ( VAR_2 ) ; }")
    task = code_task("refinement", "java", buggy)
    after = extract_answer(task, f"```java\n{fixed}\n```\nBefore, the code was:\n```java\n{buggy}\n```")
    assert (after.status, after.code) == ("ok", fixed)
    reformatted = buggy.replace(" ( ", "(").replace(" ; ", ";")
    echoed = extract_answer(task, f"Fixed:\n```java\n{fixed}\n```\nOriginal:\n```\n{reformatted}\n```")
    assert echoed.code == fixed
    only = extract_answer(task, f"I see no bug:\n```java\n{buggy}\n```")
    assert (only.status, only.code) == ("ok", buggy)


def test_runbugrun_skips_the_echoed_buggy_program():
    buggy = 'a, b = map(int, input().split())\nif a < b:\n    print("a<b")\nelse:\n    print("a==b")'
    fixed = ('a, b = map(int, input().split())\nif a < b:\n    print("a < b")\nelif a > b:\n    print("a > b")\n'
             'else:\n    print("a == b")')
    task = stdio_task(benchmark="runbugrun", prompt=buggy, metadata={"prompt_kind": "refinement"})
    raw = f"The fix:\n```python\n{fixed}\n```\nFor comparison, the original program:\n```python\n{buggy}\n```"
    got = extract_answer(task, raw)
    assert (got.status, got.code) == ("ok", fixed + "\n")
    # a fix that changes only spaces inside a string literal is still a fix, not an echo
    spaced = buggy.replace('"a<b"', '"a < b"')
    got = extract_answer(task, f"```python\n{spaced}\n```\nwas:\n```python\n{buggy}\n```")
    assert got.code == spaced + "\n"
    echoed_only = extract_answer(task, f"```python\n{buggy}\n```")
    assert echoed_only.code == buggy + "\n"


def test_completion_with_an_inner_helper_named_like_the_entry_point(shared_data):
    """HumanEval/55: an indented ``def fib`` inside the body is no re-definition of the signature."""
    from benchmarks import render_prompt

    task = {t.task_id: t for t in load_tasks("humaneval", data_dir=shared_data)}["HumanEval/55"]
    completion = ("    from functools import lru_cache\n\n    @lru_cache(None)\n    def fib(k):\n"
                  "        return k if k < 2 else fib(k - 1) + fib(k - 2)\n\n    return fib(n)\n")
    got = extract_answer(task, completion, style="completion", prompt=render_prompt(task, style="completion").text)
    assert got.status == "ok" and got.detail == "prompt + completion"
    namespace: dict = {}
    exec(got.code, namespace)  # noqa: S102 - test programs written here
    assert namespace["fib"](10) == 55
    repeated = extract_answer(task, "async def fib(n: int):\n    return n\n", style="completion")
    assert repeated.status == "ok" and repeated.detail == "completion repeats the signature"


def test_runbugrun_completion_stops_at_the_templates_section_markers():
    from benchmarks import render_prompt

    buggy = "n = int(input())\nprint(n + 2)"
    task = stdio_task(benchmark="runbugrun", prompt=buggy, metadata={"prompt_kind": "refinement"})
    prompt = render_prompt(task, style="completion").text
    assert "# Buggy Python:" in prompt and "# Fixed Python:" in prompt
    completion = ("n = int(input())\n# Fixed: double instead of adding two\nprint(n * 2)\n\n"
                  "# Buggy Python:\nx = int(input())\nprint(x - 1)\n# Fixed Python:\nx = int(input())\nprint(x + 1)\n")
    got = extract_answer(task, completion, style="completion", prompt=prompt)
    assert got.status == "ok"
    assert got.code == "n = int(input())\n# Fixed: double instead of adding two\nprint(n * 2)\n"
    opened = extract_answer(task, "# Fixed Python:\nn = int(input())\nprint(n * 2)\n# Buggy Python:\nprint(",
                            style="completion", prompt=prompt)
    assert opened.code == "n = int(input())\nprint(n * 2)\n"
    # APPS's completion template has no such sections: the same line there is just a comment
    apps = extract_answer(stdio_task(), "n = int(input())\n# Fixed Python:\nprint(n * 2)\n", style="completion")
    assert apps.code == "n = int(input())\n# Fixed Python:\nprint(n * 2)\n"
