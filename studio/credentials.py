"""The API key: shown only masked, saved only to a private file.

Named for what it guards: ``keys`` read as keyboard keys in a studio that also has a keymap.
"""

from __future__ import annotations

import os
from pathlib import Path


def mask_key(key: str) -> str:
    """'sk-ant-api03-…wxyz': enough to tell keys apart, never enough to use one."""
    if len(key) < 12:
        return "…" + key[-2:] if len(key) > 4 else "…"
    prefix = key[: key.find("-", 7) + 1] if key.startswith("sk-ant-") else key[:3]
    return f"{prefix}…{key[-4:]}"


def looks_like_key(key: str) -> bool:
    return len(key) >= 20 and key.isprintable() and " " not in key


def save_key(key: str, path: Path) -> None:
    """Write ANTHROPIC_API_KEY to `path` (mode 0600 from the first byte), keeping its other lines."""
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = []
    if path.is_file():
        lines = [line for line in path.read_text(encoding="utf-8").splitlines()
                 if not line.strip().startswith("ANTHROPIC_API_KEY")]
    lines.append(f"ANTHROPIC_API_KEY={key}")
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write("\n".join(lines) + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)
