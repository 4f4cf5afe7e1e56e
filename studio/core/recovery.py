"""Text that is not in its draft file yet, kept aside in the state folder (private: 0600, out of
Claude's reach) so that neither a crash nor a replacing save loses it.

Recovery copies belong to one running studio: each file is named `<draft key>.<instance id>.json`, so
one studio's Ctrl+S never deletes another's copy, and only the copies of studios that are no longer
running are offered back. Replaced versions are what a save_draft over an existing draft wrote over."""

from __future__ import annotations

import contextlib
import hashlib
import json
import re
import secrets
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from studio.core.diskio import DraftError, atomic_write, save_failure
from studio.core.instances import Instances

# A draft key, then the owner; copies from before owners were recorded have none (offered as dead).
_KEY = re.compile(r"[0-9a-f]{16}(?:\.(\d+-\d+-[0-9a-f]{8}))?")
_VERSION_KEY = re.compile(r"\d{13}-[0-9a-f]{8}")


@dataclass(frozen=True)
class Recovered:
    name: str | None
    text: str
    saved_at: float
    key: str


def _write_private(folder: Path, file: str, record: dict[str, Any], label: str) -> None:
    data = json.dumps(record, ensure_ascii=False).encode("utf-8", "surrogatepass")
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError as exc:
        raise save_failure(exc, label, False) from exc
    atomic_write(folder / file, data, 0o600, label)


def _read_record(path: Path, root: str) -> tuple[str | None, str, float] | None:
    """(name, text, time) of a kept file for this drafts folder, or None if it is anything else."""
    try:
        record = json.loads(path.read_bytes().decode("utf-8", "surrogatepass"))
        name, text, at = record["name"], record["text"], record["saved_at"]
        if (
            record["version"] != 1
            or record["drafts_root"] != root
            or not isinstance(text, str)
            or not (name is None or isinstance(name, str))
            or isinstance(at, bool)
            or not isinstance(at, int | float)
        ):
            return None
    except (OSError, ValueError, TypeError, KeyError):
        return None
    return name, text, float(at)


class RecoveryStore:
    """Snapshots of unsaved editor text, one per (drafts folder, draft, running studio), so a crash
    loses seconds of writing, not hours. Matched to the drafts folder by its real path."""

    def __init__(self, folder: Path, instances: Instances) -> None:
        self.folder = folder
        self.instances = instances

    def _key(self, name: str | None, drafts_root: Path) -> str:
        seed = f"{drafts_root.resolve()}\0{name or ''}"
        draft = hashlib.sha256(seed.encode("utf-8", "surrogatepass")).hexdigest()[:16]
        return f"{draft}.{self.instances.id}"

    def write(self, name: str | None, text: str, *, drafts_root: Path) -> None:
        record = _record(name, text, drafts_root)
        label = f"The recovery copy of {name or 'the untitled draft'}"
        _write_private(self.folder, f"{self._key(name, drafts_root)}.json", record, label)

    def clear(self, name: str | None, *, drafts_root: Path) -> None:
        """Forget this studio's copy of `name`; another studio's copy of the same draft stays."""
        self.discard(self._key(name, drafts_root))

    def discard(self, key: str) -> None:
        """Best effort: a snapshot that survives only means one extra offer to recover."""
        if not isinstance(key, str) or not _KEY.fullmatch(key):
            raise DraftError(f"{key!r} is not a recovery key.")
        with contextlib.suppress(OSError):
            (self.folder / f"{key}.json").unlink(missing_ok=True)

    def pending(self, *, drafts_root: Path) -> list[Recovered]:
        """Copies for this drafts folder left by studios that are no longer running, newest first.
        Anything unreadable is skipped: recovery runs at startup and must never stop the app."""
        try:
            root = str(drafts_root.resolve())
            paths = list(self.folder.glob("*.json"))
        except (OSError, RuntimeError):
            return []
        found: list[Recovered] = []
        for path in paths:
            match = _KEY.fullmatch(path.stem)
            if not match or (match[1] and self.instances.alive(match[1])):
                continue
            record = _read_record(path, root)
            if record is not None:
                found.append(Recovered(record[0], record[1], record[2], path.stem))
        found.sort(key=lambda r: (-r.saved_at, r.key))
        return found


class ReplacedVersions:
    """What a save_draft wrote over: kept outside the drafts folder, so Claude's tools cannot reach it."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def keep(self, name: str, text: str, *, drafts_root: Path) -> str:
        """Keep `text` as the previous version of `name`; its key (DraftError if it cannot be kept)."""
        key = f"{time.time_ns() // 1_000_000:013d}-{secrets.token_hex(4)}"
        record = _record(name, text, drafts_root)
        _write_private(self.folder, f"{key}.json", record, f"The previous version of {name}")
        return key

    def load(self, key: str, *, drafts_root: Path) -> tuple[str, str]:
        """(name, text) of a kept version, or DraftError saying it is gone."""
        found = None
        if _VERSION_KEY.fullmatch(key):
            found = _read_record(self.folder / f"{key}.json", str(drafts_root.resolve()))
        if found is None or found[0] is None:
            raise DraftError("The previous version is no longer in the state folder.")
        return found[0], found[1]

    def discard(self, key: str) -> None:
        if _VERSION_KEY.fullmatch(key):
            with contextlib.suppress(OSError):
                (self.folder / f"{key}.json").unlink(missing_ok=True)


def _record(name: str | None, text: str, drafts_root: Path) -> dict[str, object]:
    """What a recovery copy and a replaced version both keep: the text, and whose draft it was."""
    return {
        "version": 1,
        "drafts_root": str(drafts_root.resolve()),
        "name": name,
        "text": text,
        "saved_at": time.time(),
    }
