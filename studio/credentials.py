"""The API key: shown only masked, saved only to a private file.

Named for what it guards: ``keys`` read as keyboard keys in a studio that also has a keymap.
"""

from __future__ import annotations

from pathlib import Path

from studio.core.diskio import atomic_write


def mask_key(key: str) -> str:
    """'sk-ant-api03-…wxyz': enough to tell keys apart, never enough to use one."""
    if len(key) < 12:
        return "…" + key[-2:] if len(key) > 4 else "…"
    prefix = key[: key.find("-", 7) + 1] if key.startswith("sk-ant-") else key[:3]
    return f"{prefix}…{key[-4:]}"


def looks_like_key(key: str) -> bool:
    return len(key) >= 20 and key.isprintable() and " " not in key


def save_key(key: str, path: Path) -> None:
    """Write ANTHROPIC_API_KEY to `path` (mode 0600 from the first byte), keeping its other lines.
    Atomic: a crash mid-save leaves the old file whole. Raises OSError."""
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = []
    if path.is_file():
        lines = [
            line
            for line in path.read_text(encoding="utf-8").splitlines()
            if not line.strip().startswith("ANTHROPIC_API_KEY")
        ]
    lines.append(f"ANTHROPIC_API_KEY={key}")
    atomic_write(path, ("\n".join(lines) + "\n").encode("utf-8"), 0o600)
