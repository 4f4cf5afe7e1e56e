"""Which studio is which. A process is named by its pid and its start time (a reused pid has another
start time), and each running studio registers itself, with the draft it has open, in the state
folder. Recovery copies and temp files carry their owner's name, so only the leftovers of a studio
that is no longer running are offered back or removed, and a second studio on the same draft is told."""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

from studio.core.diskio import DraftError, ProcessId, atomic_write

_INSTANCE = re.compile(r"(\d+)-(\d+)-[0-9a-f]{8}")


@dataclass(frozen=True)
class OpenElsewhere:
    """Another running studio that has a draft open: what the second one is told."""

    pid: int
    since: float


class Instances:
    """The registry of running studios: one small JSON file each, rewritten when its open draft changes.
    An instance is alive while its file exists (removed on a clean exit) and its process runs."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.id = f"{ProcessId.current().tag}-{secrets.token_hex(4)}"
        self.started_at = time.time()
        self._open: tuple[str, str | None] | None = None

    def _path(self, instance_id: str) -> Path:
        return self.folder / f"{instance_id}.json"

    def register(self, drafts_root: Path, name: str | None) -> None:
        """Say (again) which draft this studio has open. Best effort: a registry that cannot be
        written only means another studio is not warned."""
        entry = (str(drafts_root.resolve()), name)
        if entry == self._open:
            return
        record = {
            "pid": os.getpid(),
            "started_at": self.started_at,
            "drafts_root": entry[0],
            "name": name,
            "opened_at": time.time(),
        }
        with contextlib.suppress(OSError, DraftError):
            self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
            atomic_write(self._path(self.id), json.dumps(record).encode(), 0o600, "the registry")
            self._open = entry

    def release(self) -> None:
        """A clean exit: this studio's recovery copies become the next start's to offer."""
        with contextlib.suppress(OSError):
            self._path(self.id).unlink(missing_ok=True)
        self._open = None

    def alive(self, instance_id: str | None) -> bool:
        if instance_id == self.id:
            return self._open is not None
        match = _INSTANCE.fullmatch(instance_id) if instance_id is not None else None
        if instance_id is None or match is None:
            return False
        process = ProcessId(int(match[1]), int(match[2]))
        return self._path(instance_id).is_file() and process.alive()

    def others_with(self, drafts_root: Path, name: str) -> list[OpenElsewhere]:
        """The other running studios that have `name` open in this drafts folder."""
        found: list[OpenElsewhere] = []
        root = str(drafts_root.resolve())
        with contextlib.suppress(OSError):
            for path in self.folder.glob("*.json"):
                if path.stem == self.id or not self.alive(path.stem):
                    continue
                with contextlib.suppress(OSError, ValueError, KeyError, TypeError):
                    record = json.loads(path.read_text(encoding="utf-8"))
                    if record["drafts_root"] == root and record["name"] == name:
                        found.append(OpenElsewhere(int(record["pid"]), float(record["opened_at"])))
        return found

    def forget_dead(self) -> None:
        """At start: the registrations of studios that were killed."""
        with contextlib.suppress(OSError):
            for path in self.folder.glob("*.json"):
                if _INSTANCE.fullmatch(path.stem) and not self.alive(path.stem):
                    path.unlink(missing_ok=True)
