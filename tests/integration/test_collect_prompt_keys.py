"""Generation keys follow the prompt: a template edited without a new version is refused, not
silently reused, and a style-agnostic template sent as a completion is a generation of its own."""
from __future__ import annotations

import pytest

from collector._plan import expand
from collector._spec import parse_job
from collector.cli import main
from collector.errors import JobError
from tests.fakes import FakeProvider
from tests.integration._collect_helpers import KEY, job_yaml, run_local
from warehouse import Warehouse

pytestmark = pytest.mark.integration


def _with_template(text: str, template: str) -> str:
    return text.replace("  - name: humaneval\n    limit: 3\n",
                        f"  - name: humaneval\n    limit: 3\n    template: {template}\n")


def _generations(tmp):
    with Warehouse.open(str(tmp / "wh"), create=False) as wh:
        return wh.df("SELECT generation_id, prompt_template, prompt_text FROM generations")


def test_a_template_edited_without_a_new_version_is_refused(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("CODEHARVEST_TEST_KEY", KEY)
    tpl = tmp_path / "terse.yaml"
    tpl.write_text("id: terse\nversion: 1\nuser: |\n  Write {entry_point}.\n  {problem}\n")
    with FakeProvider() as fake:
        text = _with_template(job_yaml(fake.url, limit=3, scoring=False), "terse.yaml")
        assert "template: terse.yaml" in text
        first = run_local(tmp_path, text)
        assert first.status == "finished" and fake.requests == 3
        before = _generations(tmp_path)
        assert set(before.prompt_template) == {"terse@1"}

        # the same text again: every generation is reused, nothing is sent
        assert run_local(tmp_path, text).status == "finished" and fake.requests == 3

        # edited, same version: the stored generations came from another prompt
        tpl.write_text("id: terse\nversion: 1\nuser: |\n  Write {entry_point} quickly.\n  {problem}\n")
        with pytest.raises(JobError, match="from a different prompt than this job renders"):
            run_local(tmp_path, text)
        job = tmp_path / "job.yaml"
        job.write_text(text)
        for extra in ([], ["--dry-run"]):      # the CLI: one line, exit 2, nothing sent or written
            capsys.readouterr()                 # (the runs above logged)
            with pytest.raises(SystemExit) as exc:
                main(["-w", str(tmp_path / "wh"), "collect", str(job), "--no-progress", *extra])
            assert exc.value.code == 2
            err = capsys.readouterr().err.strip()
            assert "terse@1" in err and "HumanEval/0" in err and len(err.splitlines()) == 1
        assert fake.requests == 3 and len(_generations(tmp_path)) == len(before)

        # a new version: new generations, the old ones stay as they were
        tpl.write_text("id: terse\nversion: 2\nuser: |\n  Write {entry_point} quickly.\n  {problem}\n")
        assert run_local(tmp_path, text).status == "finished" and fake.requests == 6
        after = _generations(tmp_path)
        assert sorted(after.prompt_template) == ["terse@1"] * 3 + ["terse@2"] * 3
        assert all("quickly" in t for t in after[after.prompt_template == "terse@2"].prompt_text)
        assert not any("quickly" in t for t in after[after.prompt_template == "terse@1"].prompt_text)


def test_a_style_agnostic_template_keys_its_style(tmp_path, shared_data):
    """The same template text as chat and as completion: the completion is keyed apart (before,
    switching a model's style reused its chat generations)."""
    from benchmarks import load_tasks

    tpl = tmp_path / "any.yaml"
    tpl.write_text("id: any\nversion: 4\nsystem: Be brief.\nuser: '{problem}'\n")
    tasks = {"humaneval": load_tasks("humaneval", data_dir=shared_data)[:2]}
    gids = {}
    for style in ("chat", "completion"):
        text = _with_template(job_yaml("http://127.0.0.1:9", limit=3, scoring=False), "any.yaml")
        text = text.replace("    model: fake-gpt\n", f"    model: fake-gpt\n    style: {style}\n")
        items = expand(parse_job(text), tasks, tmp_path, "run")
        assert {it.request.row["prompt_template"] for it in items} == {
            "any@4" if style == "chat" else "any@4:completion"}
        gids[style] = {it.request.generation_id for it in items}
    assert len(gids["chat"]) == 2 and not gids["chat"] & gids["completion"]
