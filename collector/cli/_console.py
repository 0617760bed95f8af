"""One way to make a rich console for CLI output."""
from __future__ import annotations

import sys

from rich.console import Console

# Wide enough for the summary tables when the output is a file or a log (rich's default there
# is 80 columns, which truncates model names and numbers).
_NON_TTY_WIDTH = 160


def make_console(*, stderr: bool = False) -> Console:
    stream = sys.stderr if stderr else sys.stdout
    width = None if stream.isatty() else _NON_TTY_WIDTH
    return Console(stderr=stderr, width=width)
