"""Crash reports: what went wrong, kept privately in the state folder, with every secret masked.

Textual's own crash screen prints a traceback with local variables, which is how an API key once
reached the terminal. Studio writes the traceback WITHOUT locals to a 0600 file instead, masks the key
and anything shaped like one, and says in one line where the file is.
"""

from __future__ import annotations

import os
import platform
import re
import traceback
from datetime import datetime
from pathlib import Path

from studio import __version__, locations
from studio.core.diskio import atomic_write
from studio.credentials import mask_key

KEY_SHAPE = re.compile(r"sk-ant-[A-Za-z0-9_\-]{4,}+(?!…)")  # an unmasked key (a masked one has …)


def mask_secrets(text: str, secret: str | None) -> str:
    """`text` with `secret` and every `sk-ant-…` string masked (only their last characters kept)."""
    if secret:
        text = text.replace(secret, mask_key(secret))
    return KEY_SHAPE.sub(lambda found: mask_key(found.group()), text)


def write_report(error: BaseException, secret: str | None) -> Path:
    """Write the report for `error`; its path. Raises OSError if the state folder is unusable."""
    now = datetime.now()
    folder = locations.state_dir() / "crashes"
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = folder / f"crash-{now:%Y%m%d-%H%M%S}-{os.getpid()}.txt"
    text = (
        f"studio {__version__} crashed at {now.isoformat(timespec='seconds')}\n"
        f"Python {platform.python_version()} on {platform.platform()}\n\n"
        + "".join(traceback.format_exception(error))
    )
    atomic_write(path, mask_secrets(text, secret).encode("utf-8"), 0o600)
    return path
