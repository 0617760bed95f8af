"""CodeBLEU per (reference, hypothesis) pair through the ``codebleu`` package.

``calc_codebleu([ref], [hyp])`` scores a corpus; calling it per pair gives per-task scores the
router can learn from. Tree-sitter grammars are pinned in pyproject.toml (DESIGN.md section 8).
"""
from __future__ import annotations

import logging
from dataclasses import dataclass

from ._errors import ScorerError

_LANGS = {"java": "java", "c#": "c_sharp", "cs": "c_sharp", "csharp": "c_sharp",
          "c_sharp": "c_sharp", "python": "python", "py": "python", "c": "c", "cpp": "cpp",
          "c++": "cpp", "javascript": "javascript", "js": "javascript", "go": "go", "php": "php",
          "ruby": "ruby", "rust": "rust"}


class _NoDataflowWarning(logging.Filter):
    """codebleu logs a root warning for every pair without data-flow; it is expected here."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "data-flow" not in record.getMessage()


_filter_installed = False


def codebleu_lang(language: str) -> str:
    lang = _LANGS.get(language.strip().lower())
    if lang is None:
        raise ScorerError(f"CodeBLEU does not support language {language!r}")
    return lang


@dataclass
class CodeBleu:
    codebleu: float
    ngram_match: float
    weighted_ngram_match: float
    syntax_match: float
    dataflow_match: float


def codebleu_pair(reference: str, hypothesis: str, language: str) -> CodeBleu:
    global _filter_installed
    from codebleu import calc_codebleu

    if not _filter_installed:
        logging.getLogger().addFilter(_NoDataflowWarning())
        _filter_installed = True
    r = calc_codebleu([reference], [hypothesis], lang=codebleu_lang(language))
    return CodeBleu(float(r["codebleu"]), float(r["ngram_match_score"]),
                    float(r["weighted_ngram_match_score"]), float(r["syntax_match_score"]),
                    float(r["dataflow_match_score"]))


def normalize_label(label: str | None) -> str | None:
    """SVEN labels: ``yes`` (vulnerable) / ``no``; accept a few spellings of each."""
    if label is None:
        return None
    s = label.strip().lower().rstrip(".")
    if s in ("yes", "y", "true", "vulnerable", "1"):
        return "yes"
    if s in ("no", "n", "false", "safe", "not vulnerable", "0"):
        return "no"
    return s
