"""Prompt templates: ids and versions per kind x style, what each shows, and user templates."""
from __future__ import annotations

import pytest

from benchmarks import BenchmarkError, PromptTemplate, Task, load_tasks, load_template, render_prompt
from benchmarks import TestCase as Case
from benchmarks._prompts import BUILTIN

KINDS = ("function", "stdio", "translation", "refinement", "classification")


@pytest.fixture(autouse=True)
def _offline(monkeypatch, tmp_path):
    monkeypatch.setenv("CODEHARVEST_OFFLINE", "1")
    monkeypatch.setenv("CODEHARVEST_CACHE", str(tmp_path / "cache"))


def test_every_kind_and_style_has_a_versioned_template():
    for kind in KINDS:
        for style in ("chat", "completion"):
            tpl = BUILTIN[(kind, style)]
            assert tpl.template_id == f"{kind}-{style}@1"
    assert len({t.template_id for t in BUILTIN.values()}) == len(BUILTIN)


def test_humaneval_chat_and_completion(shared_data):
    task = load_tasks("humaneval", data_dir=shared_data)[0]
    chat = render_prompt(task)
    assert chat.template_id == "function-chat@1"
    assert [m["role"] for m in chat.messages] == ["system", "user"]
    assert f"```python\n{task.prompt.strip()}\n```" in chat.messages[1]["content"]
    assert task.entry_point in chat.messages[1]["content"]
    completion = render_prompt(task, style="completion")
    assert completion.template_id == "function-completion@1"
    assert completion.text == task.prompt          # completion models continue the stub itself
    assert completion.messages == [{"role": "user", "content": task.prompt}]


def test_mbpp_shows_the_visible_assertion_only(shared_data):
    task = next(t for t in load_tasks("mbpp", data_dir=shared_data) if len(t.hidden_tests) >= 2)
    for style in ("chat", "completion"):
        text = render_prompt(task, style=style).text
        assert task.visible_tests[0].code in text and task.prompt in text
        assert all(h.code not in text for h in task.hidden_tests)
    completion = render_prompt(task, style="completion").text
    assert completion.startswith('"""\n') and completion.rstrip().endswith('"""')


def test_other_kinds_render(shared_data):
    java_cs = load_tasks("codexglue-java-cs", data_dir=shared_data)[0]
    text = render_prompt(java_cs).messages[-1]["content"]
    assert "Translate the following Java code to C#" in text
    assert f"```java\n{java_cs.prompt}\n```" in text and "```csharp" in text
    assert render_prompt(java_cs, style="completion").text.endswith("// C#:\n")
    refine = load_tasks("codexglue-refine-small", data_dir=shared_data)[0]
    assert render_prompt(refine).template_id == "refinement-chat@1"
    sven = load_tasks("sven", data_dir=shared_data)[0]
    rendered = render_prompt(sven)
    assert rendered.template_id == "classification-chat@1" and "Yes or No" in rendered.text
    assert sven.prompt in rendered.text
    apps = {t.task_id: t for t in load_tasks("apps", data_dir=shared_data)}
    assert render_prompt(apps["train/0001"]).template_id == "stdio-chat@1"
    call = render_prompt(apps["mapcoder150/3554"])
    assert call.template_id == "function-chat@1" and "def get_score(dice):" in call.text


def test_runbugrun_uses_the_refinement_prompt_for_python():
    task = Task("runbugrun", "0.0.1", "1", "stdio", "python", "bug_fixing", "print(int(input())+1", "",
                hidden_tests=(Case(kind="stdio", stdin="1\n", expected="2\n"),),
                metadata={"prompt_kind": "refinement"})
    rendered = render_prompt(task)
    assert rendered.template_id == "refinement-chat@1"
    assert "```python\nprint(int(input())+1\n```" in rendered.text
    assert render_prompt(task, style="completion").text.startswith("# Buggy Python:")


def test_user_yaml_template_overrides(tmp_path, shared_data):
    path = tmp_path / "mine.yaml"
    path.write_text("id: terse\nversion: 3\nkind: function\nsystem: Be brief.\n"
                    "user: |\n  Write {entry_point} in {language_name}. Literal braces: {{x}}\n  {problem}\n")
    tpl = load_template(path)
    assert tpl.template_id == "terse@3"
    task = load_tasks("humaneval", data_dir=shared_data)[2]
    rendered = render_prompt(task, template=tpl)
    assert rendered.template_id == "terse@3"
    assert rendered.messages[0] == {"role": "system", "content": "Be brief."}
    assert rendered.messages[1]["content"].startswith(f"Write {task.entry_point} in Python. Literal braces: {{x}}")
    sven = load_tasks("sven", data_dir=shared_data)[0]
    with pytest.raises(BenchmarkError, match="is for function tasks"):
        render_prompt(sven, template=tpl)


def test_plain_text_template_version_is_a_content_hash(tmp_path):
    a = tmp_path / "plain.txt"
    a.write_text("Solve: {prompt}")
    first = load_template(a)
    a.write_text("Solve this: {prompt}")
    second = load_template(a)
    assert first.id == second.id == "plain"
    assert first.version.startswith("sha-") and first.version != second.version


@pytest.mark.parametrize("content, message", [
    ("id: x\nversion: 1\nuser: 'Hello {nope}'\n", "unknown template field"),
    ("id: x\nuser: 'unbalanced {prompt'\n", "not a valid str.format template"),
    ("id: x\nversion: 1\n", "needs a mapping with a 'user' text"),
    ("id: x\nuser: hi\ncolour: red\n", "unknown key"),
    ("id: [unclosed\n", "malformed YAML"),
])
def test_bad_user_templates_are_one_line_errors(tmp_path, content, message):
    path = tmp_path / "bad.yaml"
    path.write_text(content)
    with pytest.raises(BenchmarkError, match=message) as exc:
        load_template(path)
    assert "\n" not in str(exc.value)


def test_missing_template_file(tmp_path):
    with pytest.raises(BenchmarkError, match="unreadable"):
        load_template(tmp_path / "absent.yaml")


def test_custom_template_object_and_bad_style(shared_data):
    task = load_tasks("humaneval", data_dir=shared_data)[0]
    tpl = PromptTemplate(id="raw", version="7", user="{code_prompt}", style="completion")
    assert render_prompt(task, style="completion", template=tpl).text == task.prompt
    with pytest.raises(BenchmarkError, match="is a completion template, not chat"):
        render_prompt(task, style="chat", template=tpl)
    with pytest.raises(BenchmarkError, match="unknown prompt style"):
        render_prompt(task, style="shout")  # type: ignore[arg-type]
