"""No hidden test content appears in any rendered prompt, for every task of every benchmark.

The checks here are written independently of ``benchmarks._split``: hidden assertion text,
hidden stdin longer than a few characters, hidden call arguments whose repr is longer than
~20 characters. Tests that are also visible (EvalPlus base inputs, MBPP's first assertion) may
be shown; hidden-only ones never.
"""
from __future__ import annotations

import ast
import json
import re
import warnings

import pytest

from benchmarks import list_benchmarks, load_tasks, render_prompt

WS = re.compile(r"\s+")
SPLITS = {"mbpp": ["all"], "mbpp-sanitized": ["all"], "apps": ["all"], "sven": ["all"],
          "codexglue-java-cs": ["test", "valid"]}


@pytest.fixture(autouse=True)
def _offline(monkeypatch, tmp_path):
    monkeypatch.setenv("CODEHARVEST_OFFLINE", "1")
    monkeypatch.setenv("CODEHARVEST_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv("CODEHARVEST_DATA", raising=False)


def _flat(text: str) -> str:
    return WS.sub(" ", text).strip()


def _assertion(code: str) -> str:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SyntaxWarning)
        warnings.simplefilter("ignore", DeprecationWarning)
        last = ast.parse(code).body[-1]
    return ast.get_source_segment(code, last) or ast.unparse(last)


def _leaks(test, shown: str, flat: str) -> str | None:
    if test.kind == "assert":
        text = _flat(_assertion(test.code))
        return text if text in flat else None
    if test.kind == "stdio":
        text = test.stdin.strip()
        if len(_flat(text)) > 5 and (text in shown or _flat(text) in flat):
            return text
        return None
    for arg in test.args or ():
        text = repr(arg)
        if len(text) > 20 and text in shown:
            return text
    return None


def _key(test):
    return (test.kind, test.code, test.stdin, repr(test.args))


BENCHMARKS = [info.name for info in list_benchmarks() if info.name != "runbugrun"]


@pytest.mark.parametrize("name", BENCHMARKS)
def test_no_hidden_test_in_any_prompt(name, shared_data):
    tasks = [t for split in SPLITS.get(name, [None]) for t in load_tasks(name, data_dir=shared_data, split=split)]
    assert tasks
    checked = 0
    for task in tasks:
        visible = {_key(t) for t in task.visible_tests}
        hidden_only = [t for t in task.hidden_tests if _key(t) not in visible]
        meta = json.dumps(task.metadata, default=repr)      # task features exported to routers
        for test in hidden_only:
            assert _leaks(test, meta, _flat(meta)) is None, f"{name} {task.task_id}: hidden {test.name} in metadata"
        for style in ("chat", "completion"):
            rendered = render_prompt(task, style=style)
            shown = rendered.text + "\n" + "\n".join(m["content"] for m in rendered.messages)
            flat = _flat(shown)
            if task.kind in ("function", "stdio") and task.reference.strip():
                assert task.reference.strip() not in shown, f"{task.task_id}: reference solution in prompt"
            for test in hidden_only:
                leaked = _leaks(test, shown, flat)
                assert leaked is None, f"{name} {task.task_id} ({style}): hidden {test.name} shown: {leaked[:80]!r}"
                checked += 1
    if name not in ("codexglue-java-cs", "codexglue-refine-small", "codexglue-refine-medium", "sven"):
        assert checked > 0


def test_classification_prompt_never_states_the_label(shared_data):
    """Vulnerable and fixed variants get the same words around their code; no CWE hint."""
    tasks = load_tasks("sven", data_dir=shared_data)
    frames = set()
    for task in tasks:
        for style in ("chat", "completion"):
            frame = render_prompt(task, style=style).text.replace(task.prompt, "<CODE>")
            assert task.metadata["cwe"] not in frame.lower()
            frames.add((style, frame))
    assert len(frames) == 2


def test_runbugrun_hidden_stdin_not_in_prompt(shared_data, tmp_path):
    import json

    bugs = [json.loads(line) for line in (shared_data / "runbugrun" / "python_valid0.jsonl").open()][:40]
    rows, next_id = [], 1
    for bug in bugs:
        for k in range(3):
            rows.append({"id": next_id, "problem_id": bug["problem_id"], "input": f"{k} {bug['id']} 1234567\n",
                         "output": f"{k}\n"})
            next_id += 1
    data = tmp_path / "data"
    (data / "runbugrun").mkdir(parents=True)
    (data / "runbugrun" / "python_valid0.jsonl").write_text("\n".join(json.dumps(b) for b in bugs) + "\n")
    (data / "runbugrun" / "tests_all.jsonl").write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    tasks = load_tasks("runbugrun", data_dir=data)
    assert len(tasks) == 40
    for task in tasks:
        for style in ("chat", "completion"):
            shown = render_prompt(task, style=style).text
            for test in task.hidden_tests:
                assert test.stdin.strip() not in shown


@pytest.mark.parametrize("task_id, shown", [
    ("mapcoder150/2012", [("2\n", "-1\n"), ("4\n", "2 4 1 3 \n"), ("5\n", "2 5 3 1 4 \n")]),   # Input 2 Output -1
    ("mapcoder150/1647", [([513], [531]), ([2017], [2071])]),                                 # 513 ==> 531
    ("mapcoder150/1629", [([[9, 7, 8, 8, 9, 7]], [1])]),                                      # a short list
])
def test_worked_examples_of_the_statement_are_visible(shared_data, task_id, shown):
    """A test the statement works as an example (input, then its output a few characters on)
    is shown, however short its input: it is visible, never hidden-only."""
    task = {t.task_id: t for t in load_tasks("apps", data_dir=shared_data, split="mapcoder150")}[task_id]
    visible = {_key(t) for t in task.visible_tests}
    hidden_only = [t for t in task.hidden_tests if _key(t) not in visible]
    for inp, out in shown:
        match = [t for t in task.hidden_tests + task.visible_tests
                 if (t.stdin == inp if isinstance(inp, str) else t.args == inp) and t.expected == out]
        assert match and all(_key(t) in visible for t in match), (task_id, inp)
        assert not any(t in hidden_only for t in match)


def test_example_rule_reads_numbers_whole():
    from benchmarks._split import _example_shown

    assert _example_shown(["2", "-1"], "Input 2 Output -1")
    assert not _example_shown(["2", "-1"], "Input 12 Output -1")         # 2 is not in 12
    assert not _example_shown(["2", "-1"], "Input 2 then 7 Output -1")   # a number in between
    assert not _example_shown(["2", "-1"], "Input 2 " + "x" * 60 + " -1")  # too far apart


def _plain(text: str) -> str:
    return WS.sub("", text).replace('"', "'")


def test_humaneval_docstring_examples_are_never_hidden_only(shared_data):
    """Independent of the loader's matcher: a HumanEval assertion ``candidate(ARGS) == EXPECTED``
    (or ``is``) whose ``entry_point(ARGS)`` the prompt shows, followed within a few characters by
    ``EXPECTED`` (spaces and quote style ignored: ``>>> truncate_number(3.5)`` / ``0.5``), is a
    worked example of the docstring: visible, never hidden-only."""
    shown = 0
    for task in load_tasks("humaneval", data_dir=shared_data):
        prompt = _plain(task.prompt)
        visible = {_key(t) for t in task.visible_tests}
        for test in {_key(t): t for t in task.visible_tests + task.hidden_tests}.values():
            node = ast.parse(_assertion(test.code)).body[0]
            if not (isinstance(node, ast.Assert) and isinstance(node.test, ast.Compare)
                    and isinstance(node.test.ops[0], (ast.Eq, ast.Is))):
                continue
            call, expected = node.test.left, node.test.comparators[0]
            if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Name) and call.func.id == "candidate"):
                continue
            text = _plain(f"{task.entry_point}({', '.join(ast.unparse(a) for a in call.args)})")
            result = _plain(ast.unparse(expected))
            at = prompt.find(text)
            while at >= 0:
                if result in prompt[at + len(text):at + len(text) + len(result) + 15]:
                    shown += 1
                    assert _key(test) in visible, f"{task.task_id}: hidden {test.name} is a docstring example"
                    break
                at = prompt.find(text, at + 1)
    assert shown >= 219          # the audit's count (272 here: quote styles read alike)
