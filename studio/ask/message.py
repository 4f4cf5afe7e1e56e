"""The message `studio ask` sends: the prompt, then piped text, then each --file as a titled block.

Everything is read and checked before anything is sent: a file that cannot be read or is not
text ends the command with one line naming it, not a request with half its input.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import BinaryIO

MAX_INPUT_BYTES = 8 * 1024 * 1024  # far over any model's context window: a mistake, not a text


class InputError(ValueError):
    """Input that cannot be sent; the message names it and says why."""


def text_of(data: bytes, shown: str) -> str:
    """`data` as text, or InputError: NUL bytes mean a binary file, and only UTF-8 is read."""
    if b"\0" in data:
        raise InputError(f"{shown} is not text (it holds NUL bytes)")
    if len(data) > MAX_INPUT_BYTES:
        raise InputError(f"{shown} is {len(data) / 1_048_576:.0f} MB, more than a request can carry")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"{shown} is not UTF-8 text (byte {exc.start} is not valid)") from None


def read_file(path: Path) -> str:
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_INPUT_BYTES + 1)
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise InputError(f"{path} is a folder, not a file") from None
    except OSError as exc:
        raise InputError(f"{path} cannot be read ({exc.strerror or exc})") from None
    return text_of(data, str(path))


def read_piped(stdin: BinaryIO) -> str:
    return text_of(stdin.read(MAX_INPUT_BYTES + 1), "the piped text")


def file_block(path: Path, text: str) -> str:
    """A file as Claude reads it: its name, then its text, in tags (so the prompt can say 'the file')."""
    return f'<file name="{path.name}">\n{text.rstrip()}\n</file>'


def compose(prompt: str | None, piped: str | None, files: Sequence[tuple[Path, str]]) -> str:
    """The prompt first, then the piped text, then the files; empty parts are left out."""
    parts = [p.strip("\n") for p in (prompt, piped) if p and p.strip()]
    parts += [file_block(path, text) for path, text in files]
    return "\n\n".join(parts)
