"""CodeBLEU per (reference, hypothesis) pair through the ``codebleu`` package.

``calc_codebleu([ref], [hyp])`` scores a corpus; calling it per pair gives per-task scores the
router can learn from. Tree-sitter grammars are pinned in pyproject.toml (DESIGN.md section 8).
"""
from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

from ._errors import ScorerError

_LANGS = {"java": "java", "c#": "c_sharp", "cs": "c_sharp", "csharp": "c_sharp",
          "c_sharp": "c_sharp", "python": "python", "py": "python", "c": "c", "cpp": "cpp",
          "c++": "cpp", "javascript": "javascript", "js": "javascript", "go": "go", "php": "php",
          "ruby": "ruby", "rust": "rust"}


class _NoDataflowWarning(logging.Filter):
    """codebleu logs a root warning when the reference has no data-flow (expected per pair):
    silenced, and noted for the pair being scored in this thread."""

    seen = threading.local()

    def filter(self, record: logging.LogRecord) -> bool:
        if "data-flow" in record.getMessage():
            self.seen.flag = True
            return False
        return True


_NO_DATAFLOW = _NoDataflowWarning()
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
    dataflow_match: float | None      # None: the reference has no data-flow to match


def codebleu_pair(reference: str, hypothesis: str, language: str) -> CodeBleu:
    """The package's four components; the composite recomputed from them. codebleu 0.7.0
    counts a data-flow score of 0 as 1 (``dataflow_match_score or 1``), meant for a reference
    without data-flow, but per pair it also turns "matched none of the reference's data-flow"
    into full credit (``return 0`` beat a partly right body). Here a real 0 counts as 0; only
    a reference without data-flow keeps the package's 1, and its component is stored as None."""
    global _filter_installed
    from codebleu import calc_codebleu

    if not _filter_installed:
        logging.getLogger().addFilter(_NO_DATAFLOW)
        _filter_installed = True
    _NO_DATAFLOW.seen.flag = False
    weights = (0.25, 0.25, 0.25, 0.25)
    r = calc_codebleu([reference], [hypothesis], lang=codebleu_lang(language), weights=weights)
    ngram, weighted = float(r["ngram_match_score"]), float(r["weighted_ngram_match_score"])
    syntax = float(r["syntax_match_score"])
    dataflow = None if _NO_DATAFLOW.seen.flag else float(r["dataflow_match_score"])
    score = sum(w * c for w, c in zip(weights, (ngram, weighted, syntax, 1.0 if dataflow is None else dataflow)))
    return CodeBleu(score, ngram, weighted, syntax, dataflow)


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
