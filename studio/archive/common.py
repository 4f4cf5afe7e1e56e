"""What `studio list`, `export` and `search` share: the settings, the store (read, never created),
one-line failures, and output a terminal can show safely with the key masked."""

from __future__ import annotations

import sqlite3
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from studio import locations

if TYPE_CHECKING:
    from studio.config import Settings
    from studio.core.store import Store


class Stop(Exception):
    """Ends the command with a one-line message and an exit status."""

    def __init__(self, message: str, code: int = 2) -> None:
        super().__init__(message)
        self.code = code


def settings() -> Settings:
    from studio.config import ConfigError, load_settings

    try:
        return load_settings()
    except ConfigError as exc:
        raise Stop(" ".join(str(exc).split())) from None


def store_path(demo: bool) -> Path:
    """The store a studio started here would use (`--demo`: the demo's own), as Session.open picks it."""
    return locations.data_dir() / ("demo.db" if demo else "studio.db")


def open_store(demo: bool) -> Store | None:
    """The store, or None when nothing was ever kept (a read does not create one)."""
    from studio.core.store import Store

    path = store_path(demo)
    if not path.exists():
        return None
    try:
        return Store(path)
    except (sqlite3.Error, OSError) as exc:
        raise Stop(f"the studio's database {path} cannot be read ({type(exc).__name__}: {exc})", 1) from None


def masked(text: str, key: str | None) -> str:
    """The API key masked wherever it appears: a writer may have pasted it into a message."""
    if not key:
        return text
    from studio.credentials import mask_key

    return text.replace(key, mask_key(key))


def shown(text: str, key: str | None) -> str:
    """Output as it may go to standard output: the key masked and, on a terminal, control
    characters made visible."""
    text = masked(text, key)
    if sys.stdout.isatty():
        from studio.core.visible import visible

        text = "\n".join(visible(line) for line in text.split("\n"))
    return text


def columns(rows: list[list[str]]) -> str:
    widths = [max(len(row[n]) for row in rows) for n in range(len(rows[0]))]
    return "\n".join(
        "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip() for row in rows
    )


def run(prog: str, command: Callable[[], int]) -> int:
    """Run a command: a Stop, a database error or a closed pipe (`| head`) end it with one line
    (or quietly), never a traceback."""
    try:
        return command()
    except Stop as stop:
        print(f"{prog}: {stop}", file=sys.stderr)
        return stop.code
    except sqlite3.Error as exc:
        print(f"{prog}: the studio's database cannot be read ({type(exc).__name__}: {exc})", file=sys.stderr)
        return 1
    except BrokenPipeError:
        _quiet_stdout()
        return 0
    except KeyboardInterrupt:
        return 130


def _quiet_stdout() -> None:
    """The reader went away: point stdout at nothing, so Python's flush at exit cannot complain."""
    import os

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except OSError:
        pass
