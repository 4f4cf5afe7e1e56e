"""Standard output for the reply: each piece written and flushed as it arrives, as plain text.

Text from Claude is shown, never obeyed: control characters become visible stand-ins (␛), so no
escape sequence reaches a terminal or a pipe. A reader that goes away (`| head -1`) ends the
writing quietly: standard output is pointed at /dev/null, so nothing complains at exit either.
"""

from __future__ import annotations

import contextlib
import os
from typing import BinaryIO

from studio.core.visible import visible


class Output:
    """The reply's text, kept whole (for --json) and streamed to `stream` unless it is None
    (--json prints once, at the end)."""

    def __init__(self, stream: BinaryIO | None) -> None:
        self.stream = stream
        self.terminal = stream is not None and stream.isatty()
        self.text = ""
        self.gone = False  # the reader closed the pipe
        self._new_block = False
        self._mid_line = False  # the last character written was not a newline
        self._line_ended = False  # end_line wrote a newline that is not in the text

    def new_block(self) -> None:
        """A tool round's text starts a paragraph of its own, not the end of the last sentence."""
        self._new_block = bool(self.text)

    def add(self, text: str) -> None:
        shown = text
        if self._new_block and text:
            self._new_block = False
            text = "\n" * (2 - len(self.text) + len(self.text.rstrip("\n"))) + text.lstrip("\n")
            shown = text.removeprefix("\n") if self._line_ended else text
        self.text += text
        self.write(shown)

    def end_line(self) -> None:
        """On a terminal, what comes next (a line on standard error, the shell's prompt) starts a
        line of its own; a pipe gets the text as it is."""
        if self._mid_line and self.terminal:
            self.write("\n")
            self._line_ended = True

    def write(self, text: str) -> None:
        if self.stream is None or self.gone or not text:
            return
        try:
            self.stream.write(visible(text).encode("utf-8", "replace"))
            self.stream.flush()
        except BrokenPipeError:
            self.gone = True
            silence(self.stream)
            return
        self._mid_line, self._line_ended = not text.endswith("\n"), False

    def close(self) -> None:
        """The reply is all written: the reader gets its end of file now, whatever the program
        still does before exiting."""
        if self.stream is not None and not self.gone:
            self.end_line()
            self.gone = True
            silence(self.stream)


def silence(stream: BinaryIO) -> None:
    """Point the stream's file at /dev/null: what is still buffered, and the interpreter's own
    flush at exit, then go nowhere instead of raising BrokenPipeError ("Exception ignored ...")."""
    with contextlib.suppress(OSError, ValueError):
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, stream.fileno())
        os.close(null)
