"""The CLI's public face: every subcommand is listed, and user errors are one line, exit 2."""
from __future__ import annotations

import subprocess
import sys

import pytest

from collector.cli import main

SUBCOMMANDS = ["collect", "score", "query", "export", "report", "benchmarks", "compact", "sandbox"]


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "collector", *args], capture_output=True, text=True,
                          timeout=120)


def test_help_lists_every_subcommand():
    result = run_cli("--help")
    assert result.returncode == 0
    for name in SUBCOMMANDS:
        assert name in result.stdout


def test_unknown_option_is_one_line_exit_2(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--no-such-global"])
    assert exc.value.code == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("codeharvest: error:") and "--no-such-global" in err
    assert "\n" not in err and "Traceback" not in err
