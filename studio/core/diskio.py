"""Writing files so that nothing is ever half written, and cleaning up after the studios that died
mid-write. A temp file's name says it is studio's and which process made it
(`.studio-<pid>-<start>-<random>.tmp`), so a later start removes only the leftovers of dead processes,
never a live studio's save in progress, never a file studio did not create."""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import re
import stat
import tempfile
from dataclasses import dataclass
from functools import cache
from pathlib import Path

_TEMP = re.compile(r"\.studio-(\d+)-(\d+)-[A-Za-z0-9_]{8}\.tmp")


class DraftError(Exception):
    """A refusal or failure in words a writer (and Claude, in a tool_result) can act on."""


@dataclass(frozen=True)
class DiskStamp:
    """What a file looked like when we last read or wrote it, to notice changes made behind our back:
    a change that keeps the size and the mtime still changes the digest."""

    mtime_ns: int
    size: int
    digest: str

    @classmethod
    def of(cls, st: os.stat_result, data: bytes) -> DiskStamp:
        return cls(st.st_mtime_ns, st.st_size, hashlib.sha256(data).hexdigest())


def _proc_stat(pid: int) -> tuple[str, int] | None:
    """(state, start time in clock ticks since boot) from /proc, or None where there is no /proc."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text(errors="replace")
        fields = raw[raw.rindex(")") + 2 :].split()  # the command name may hold spaces and ')'
        return fields[0], int(fields[19])
    except (OSError, ValueError, IndexError):
        return None


@dataclass(frozen=True)
class ProcessId:
    """A process that cannot be confused with a later one given the same pid."""

    pid: int
    start: int  # 0 where the start time cannot be read: then the pid alone decides

    @property
    def tag(self) -> str:
        return f"{self.pid}-{self.start}"

    @classmethod
    def current(cls) -> ProcessId:
        return _current()

    def alive(self) -> bool:
        if self.pid <= 0:
            return False
        try:
            os.kill(self.pid, 0)
        except PermissionError:
            pass  # another user's process: it exists
        except OSError:
            return False
        found = _proc_stat(self.pid)
        if found is None:
            return True  # no /proc, or it vanished just now: assume alive, never delete a live file
        state, start = found
        return state not in ("Z", "X") and (self.start == 0 or start == self.start)


@cache
def _current() -> ProcessId:
    stat = _proc_stat(os.getpid())
    return ProcessId(os.getpid(), stat[1] if stat else 0)


def umask() -> int:
    """Read without os.umask(), which briefly changes it for every thread in the app."""
    with contextlib.suppress(OSError, ValueError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    return 0o022


def save_failure(exc: OSError, name: str, existed: bool) -> DraftError:
    kept = "the previous version is untouched." if existed else "nothing was written."
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return DraftError(f"The disk is full: {name} was not saved; {kept}")
    if exc.errno in (errno.EACCES, errno.EPERM):
        return DraftError(
            f"Permission denied: {name} was not saved (the folder or file is not writable); {kept}"
        )
    if exc.errno == errno.EROFS:
        return DraftError(f"The disk is read-only: {name} was not saved; {kept}")
    return DraftError(f"{name} was not saved ({exc.strerror or exc}); {kept}")


def atomic_write(
    path: Path, data: bytes, mode: int, name: str | None = None, *, sync_folder: bool = True
) -> DiskStamp:
    """Temp file beside the target, fsync, rename over it, fsync the folder. Any failure removes the
    temp file, so the target is either the old version or the new one, never a mix. With
    `sync_folder=False` the caller fsyncs the folder itself (`fsync_folder`), once for many files
    (a batch's results), before it counts the renames as durable.

    The one way studio writes a file (drafts, recovery copies, the instance registry, the key file,
    crash reports). The temp file is created 0600 and set to `mode` before any byte is visible under
    `path`, so a private file is never readable by others, not even for a moment. With `name`, an
    OSError becomes a DraftError in a writer's words (saying what was kept); without, it is raised
    as is, for callers that report it themselves."""
    existed = path.exists() if name is not None else False
    tmp: str | None = None
    try:
        fd, tmp = tempfile.mkstemp(
            dir=path.parent, prefix=f".studio-{ProcessId.current().tag}-", suffix=".tmp"
        )
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fchmod(handle.fileno(), mode)
            os.fsync(handle.fileno())
            written = DiskStamp.of(os.fstat(handle.fileno()), data)
        os.replace(tmp, path)
        tmp = None
    except OSError as exc:
        if name is None:
            raise
        raise save_failure(exc, name, existed) from exc
    finally:
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
    if sync_folder:
        fsync_folder(path.parent)
    return written


def fsync_folder(folder: Path) -> None:
    """Make the renames into `folder` durable. Some platforms refuse to sync a folder; each file
    itself is already safe, so a refusal is not a failed save."""
    with contextlib.suppress(OSError):
        dir_fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


def remove_stale_temps(folder: Path, *, recursive: bool) -> int:
    """Remove the temp files that studios killed mid-save left behind; how many were removed.
    Hidden folders and symlinked folders are not entered; anything not named like ours is left."""
    removed = 0
    for place, dirs, files in os.walk(folder):
        dirs[:] = [d for d in dirs if recursive and not d.startswith(".")]
        for file in files:
            match = _TEMP.fullmatch(file)
            if match is None or ProcessId(int(match[1]), int(match[2])).alive():
                continue
            path = Path(place) / file
            with contextlib.suppress(OSError):
                if stat.S_ISREG(os.lstat(path).st_mode):
                    path.unlink()
                    removed += 1
    return removed
