"""Prompt templates: one per task kind x style, each with an id and version (``function-chat@1``).

A template is ``str.format`` text (literal braces doubled: ``{{``/``}}``). Fields available:

- ``prompt``: the task's problem text (a code stub for HumanEval, prose for MBPP/APPS, code for
  translation/refinement/classification);
- ``problem``: the problem as shown in chat prompts (a fenced code stub, or prose + starter code);
- ``code_prompt``: the problem as a code prefix for completion models (the stub itself, or prose
  in a docstring);
- ``examples``: the visible tests shown to the model (MBPP's first assertion), with a lead-in line,
  or empty (also when they are the prompt's own worked examples: HumanEval, ``examples_in_prompt``);
- ``starter_code``, ``entry_point``, ``source_code`` (= ``prompt`` for code-to-code kinds);
- ``language`` / ``language_name`` / ``fence`` (the answer language), ``source_language`` /
  ``source_language_name`` / ``source_fence`` (translation input), ``comment`` (``#`` or ``//``).

A user template file is YAML (keys ``id``, ``version``, ``user``, optional ``system``, ``kind``,
``style``) or plain text (the user message; id = file stem, version = ``sha-`` + content hash).
The ``id@version`` goes into the generation key (with ``:completion`` when a template that fixes
no style is sent as a completion), so a new version starts new generations. A YAML file without
``version`` is versioned by its content hash: any edit starts new generations. With an explicit
``version``, bump it when the text changes: ``collect`` refuses to resume generations the
warehouse holds from a prompt other than the one the job renders now.
"""
from __future__ import annotations

import hashlib
import string
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from ._errors import BenchmarkError
from ._types import Task

Style = Literal["chat", "completion"]

FIELDS = ("prompt", "problem", "code_prompt", "examples", "starter_code", "entry_point", "source_code",
          "language", "language_name", "fence", "source_language", "source_language_name", "source_fence",
          "comment")

_NAMES = {"python": "Python", "java": "Java", "csharp": "C#", "c": "C", "cpp": "C++"}
_FENCES = {"python": "python", "java": "java", "csharp": "csharp", "c": "c", "cpp": "cpp"}


@dataclass(frozen=True)
class PromptTemplate:
    id: str
    version: str
    user: str
    system: str | None = None
    kind: str | None = None          # the task kind it is for (None: any)
    style: Style | None = None       # chat or completion (None: any)

    @property
    def template_id(self) -> str:
        return f"{self.id}@{self.version}"


@dataclass(frozen=True)
class RenderedPrompt:
    template_id: str                 # "id@version"
    messages: list[dict[str, str]] = field(default_factory=list)
    text: str = ""                   # completion text (or the chat messages joined, for display/tokens)


_SYSTEM_CODE = "You are an expert programmer. Answer with code in a single fenced code block."

BUILTIN: dict[tuple[str, str], PromptTemplate] = {}


def _builtin(kind: str, style: Style, user: str, system: str | None = None, version: str = "1") -> None:
    BUILTIN[(kind, style)] = PromptTemplate(id=f"{kind}-{style}", version=version, user=user, system=system,
                                            kind=kind, style=style)


_builtin("function", "chat",
         "Complete the following task in {language_name}. Return the complete implementation, including the "
         "function `{entry_point}` and any imports or helpers it needs, in a single ```{fence} code block.\n\n"
         "{problem}{examples}", _SYSTEM_CODE)
_builtin("function", "completion", "{code_prompt}")
_builtin("stdio", "chat",
         "Solve the following problem in {language_name}. Write a complete program that reads from standard "
         "input and writes to standard output. Return it in a single ```{fence} code block.\n\n{problem}",
         _SYSTEM_CODE)
_builtin("stdio", "completion", "{code_prompt}")
_builtin("translation", "chat",
         "Translate the following {source_language_name} code to {language_name}. Return only the "
         "{language_name} code in a single ```{fence} code block.\n\n```{source_fence}\n{source_code}\n```",
         _SYSTEM_CODE)
_builtin("translation", "completion",
         "// {source_language_name}:\n{source_code}\n// {language_name}:\n")
_builtin("refinement", "chat",
         "The following {language_name} code has a bug. Fix it and return the complete fixed code in a single "
         "```{fence} code block.\n\n```{fence}\n{source_code}\n```", _SYSTEM_CODE)
_builtin("refinement", "completion",
         "{comment} Buggy {language_name}:\n{source_code}\n{comment} Fixed {language_name}:\n")
_builtin("classification", "chat",
         "Does the following {language_name} function contain a security vulnerability? Answer with exactly "
         "one word, Yes or No.\n\n```{fence}\n{source_code}\n```",
         "You are a security expert reviewing code for vulnerabilities.")
_builtin("classification", "completion",
         "{comment} {language_name} function under review:\n{source_code}\n"
         "{comment} Does the function above contain a security vulnerability (Yes or No)? Answer:")


def template_kind(task: Task) -> str:
    """The template family for a task (RunBugRun is an execution task with a refinement prompt)."""
    return str(task.metadata.get("prompt_kind") or task.kind)


def builtin_template(task: Task, style: Style = "chat") -> PromptTemplate:
    try:
        return BUILTIN[(template_kind(task), style)]
    except KeyError:
        raise BenchmarkError(f"no built-in {style} template for task kind {template_kind(task)!r}") from None


def _docstring(text: str) -> str:
    return '"""\n' + text.replace("\\", "\\\\").replace('"""', '\\"\\"\\"').strip() + '\n"""\n'


def fields_for(task: Task) -> dict[str, str]:
    """The values a template can use for ``task`` (see the module docstring)."""
    language = task.language
    source_language = str(task.metadata.get("source_language") or language)
    fence = _FENCES.get(language, language)
    examples = ""
    shown = [t.code for t in task.visible_tests if t.kind == "assert" and t.code]
    if task.metadata.get("examples_in_prompt"):      # HumanEval: already worked in the docstring
        shown = []
    if shown:
        examples = "\n\nYour code should pass these tests:\n\n" + "\n".join(shown)
    if task.starter_code and task.starter_code.strip() == task.prompt.strip():
        problem = f"```{fence}\n{task.prompt.strip()}\n```"
        code_prompt = task.prompt
    else:
        problem = task.prompt.strip()
        if task.starter_code.strip():
            problem += f"\n\nStart from this code:\n```{fence}\n{task.starter_code.strip()}\n```"
        if task.prompt.lstrip().startswith('"""'):       # MBPP+ prompts are already a docstring
            code_prompt = task.prompt
        else:
            code_prompt = _docstring(task.prompt + ("\n" + "\n".join(shown) if shown else ""))
        code_prompt += task.starter_code
    return {
        "prompt": task.prompt, "problem": problem, "code_prompt": code_prompt, "examples": examples,
        "starter_code": task.starter_code, "entry_point": task.entry_point or "", "source_code": task.prompt,
        "language": language, "language_name": _NAMES.get(language, language), "fence": fence,
        "source_language": source_language, "source_language_name": _NAMES.get(source_language, source_language),
        "source_fence": _FENCES.get(source_language, source_language),
        "comment": "#" if language == "python" else "//",
    }


def render_prompt(task: Task, *, style: Style = "chat", template: PromptTemplate | None = None) -> RenderedPrompt:
    """The messages (chat) or text (completion) to send for ``task``."""
    if style not in ("chat", "completion"):
        raise BenchmarkError(f"unknown prompt style {style!r} (chat or completion)")
    tpl = template or builtin_template(task, style)
    if tpl.kind and tpl.kind != template_kind(task):
        raise BenchmarkError(f"template {tpl.template_id} is for {tpl.kind} tasks, not {template_kind(task)} "
                             f"({task.benchmark} {task.task_id})")
    if tpl.style and tpl.style != style:
        raise BenchmarkError(f"template {tpl.template_id} is a {tpl.style} template, not {style}")
    # The id goes into the generation key. Built-in ids name their style; a user template that
    # fixes none is keyed with the style it was rendered in (chat, the default, keeps the bare
    # id): the same text sent as a completion is another generation.
    template_id = tpl.template_id if tpl.style or style == "chat" else f"{tpl.template_id}:completion"
    values = fields_for(task)
    try:
        user = tpl.user.format(**values)
        system = tpl.system.format(**values) if tpl.system else None
    except (KeyError, IndexError, ValueError) as exc:
        raise BenchmarkError(f"template {tpl.template_id}: bad field {exc}") from None
    if style == "completion":
        text = (system + "\n\n" + user) if system else user
        return RenderedPrompt(template_id=template_id, messages=[{"role": "user", "content": text}], text=text)
    messages = ([{"role": "system", "content": system}] if system else []) + [{"role": "user", "content": user}]
    return RenderedPrompt(template_id=template_id, messages=messages,
                          text="\n\n".join(m["content"] for m in messages))


def _check_fields(text: str, where: str) -> None:
    try:
        names = {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}
    except ValueError as exc:
        raise BenchmarkError(f"{where}: not a valid str.format template ({exc}); write literal braces as {{{{ }}}}") from None
    known = set(FIELDS)
    unknown = sorted(n for n in names if n.split(".")[0].split("[")[0] not in known)
    if unknown:
        raise BenchmarkError(f"{where}: unknown template field(s) {', '.join(unknown)}; known: {', '.join(FIELDS)}")


def load_template(path: str | Path) -> PromptTemplate:
    """A user template from a YAML file (id, version, user[, system, kind, style]) or a plain text file."""
    path = Path(path)
    try:
        raw = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise BenchmarkError(f"template {path}: unreadable ({exc.strerror or exc})") from None
    if path.suffix in (".yaml", ".yml"):
        import yaml

        try:
            data = yaml.safe_load(raw)
        except yaml.YAMLError as exc:
            raise BenchmarkError(f"template {path}: malformed YAML ({' '.join(str(exc).split())})") from None
        if not isinstance(data, dict) or not isinstance(data.get("user"), str):
            raise BenchmarkError(f"template {path}: needs a mapping with a 'user' text")
        unknown = sorted(set(data) - {"id", "version", "user", "system", "kind", "style"})
        if unknown:
            raise BenchmarkError(f"template {path}: unknown key(s) {', '.join(unknown)}")
        style = data.get("style")
        if style not in (None, "chat", "completion"):
            raise BenchmarkError(f"template {path}: style must be chat or completion, not {style!r}")
        tpl = PromptTemplate(
            id=str(data.get("id") or path.stem),
            version=str(data.get("version") or "sha-" + hashlib.sha256(raw.encode()).hexdigest()[:12]),
            user=data["user"], system=data.get("system"), kind=data.get("kind"), style=style,
        )
    else:
        tpl = PromptTemplate(id=path.stem, version="sha-" + hashlib.sha256(raw.encode()).hexdigest()[:12], user=raw)
    _check_fields(tpl.user, f"template {path}")
    if tpl.system:
        _check_fields(tpl.system, f"template {path} (system)")
    return tpl
