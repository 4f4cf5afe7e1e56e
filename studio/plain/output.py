"""Every line the line mode prints starts with a label saying who speaks, so a screen reader (or a
`grep`) can tell Claude's words from the studio's. Nothing else is ever written: no colour, no
cursor movement, no line rewritten in place."""

from __future__ import annotations

import contextlib
import os
import sys
from typing import Literal, TextIO

from studio.core.visible import visible

# you: the writer's prompt; claude: the reply; cost: a reply's or the conversation's price; draft:
# what happened to the draft; tool: Claude's other tools; studio: notices, errors and choices.
Label = Literal["you", "claude", "cost", "draft", "tool", "studio"]
LABELS: tuple[Label, ...] = ("you", "claude", "cost", "draft", "tool", "studio")
PROMPT = "you: "


class Output:
    """Labelled lines on a stream, written and flushed one whole line at a time."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stdout
        self.closed = False  # the reader went away (`| head -1`, a dropped SSH link)

    def say(self, label: Label, text: str) -> None:
        """Each line of `text` under `label`; outside text is made visible, never obeyed (an
        escape sequence in a reply is shown as ␛[…, not acted on by the terminal)."""
        self._write("".join(f"{label}: {line}".rstrip(" ") + "\n" for line in visible(text).split("\n")))

    def end_line(self) -> None:
        """After a prompt the writer left with Ctrl+C or Ctrl+D: the next line starts afresh."""
        self._write("\n")

    def _write(self, text: str) -> None:
        if self.closed:
            return
        try:
            self.stream.write(text)
            self.stream.flush()
        except OSError:  # nobody reads any more: the conversation is kept all the same
            self.closed = True
            with contextlib.suppress(OSError, ValueError):  # and Python's exit flush stays quiet
                os.dup2(os.open(os.devnull, os.O_WRONLY), self.stream.fileno())
