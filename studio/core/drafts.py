"""Draft files on disk. Claude writes through tools, so every name is hostile until proven otherwise:
a name either lands on a regular text file inside the drafts folder, or is refused in plain words.
Saves are atomic (temp file, fsync, rename) so a crash or a full disk never leaves half a draft."""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import re
import stat
import tempfile
import time
import unicodedata
from dataclasses import dataclass
from pathlib import Path

EXTENSIONS = (".md", ".markdown", ".txt")
_RESERVED = {"CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$",
             *(f"COM{i}" for i in range(1, 10)), *(f"LPT{i}" for i in range(1, 10))}
# A suffix counts as an extension only if it looks like one: "x.sh" is refused, "v1.2" becomes "v1.2.md".
_EXTENSION = re.compile(r"\.[A-Za-z][A-Za-z0-9]*")
_KEY = re.compile(r"[0-9a-f]{16}")
MAX_NAME_CHARS, MAX_COMPONENT_BYTES = 1024, 255


class DraftError(Exception):
    """A refusal or failure in words a writer (and Claude, in a tool_result) can act on."""


class DraftConflict(DraftError):
    """The file changed on disk since it was read: saving would silently throw the other version away."""

    def __init__(self, message: str, current: DiskStamp | None = None) -> None:
        super().__init__(message)
        self.current = current


@dataclass(frozen=True)
class DiskStamp:
    """What a file looked like when we last read or wrote it, to notice changes made behind our back."""

    mtime_ns: int
    size: int

    @classmethod
    def of(cls, st: os.stat_result) -> DiskStamp:
        return cls(st.st_mtime_ns, st.st_size)


@dataclass(frozen=True)
class SavedDraft:
    name: str
    path: Path
    stamp: DiskStamp
    words: int
    bytes: int


@dataclass(frozen=True)
class DraftFile:
    name: str
    size: int
    modified: float


@dataclass(frozen=True)
class Recovered:
    name: str | None
    text: str
    saved_at: float
    key: str


def count_words(text: str) -> int:
    return len(re.findall(r"\S+", text))


def _show(name: str) -> str:
    """A name fit for a message: control characters escaped, absurd lengths cut."""
    shown = name if name.isprintable() else repr(name)[1:-1]
    return f"'{shown[:60]}…'" if len(shown) > 60 else f"'{shown}'"


def _umask() -> int:
    """Read without os.umask(), which briefly changes it for every thread in the app."""
    with contextlib.suppress(OSError, ValueError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    return 0o022


def _save_failure(exc: OSError, name: str, existed: bool) -> DraftError:
    kept = "the previous version is untouched." if existed else "nothing was written."
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return DraftError(f"The disk is full: {name} was not saved; {kept}")
    if exc.errno in (errno.EACCES, errno.EPERM):
        return DraftError(f"Permission denied: {name} was not saved (the folder or file is not "
                          f"writable); {kept}")
    if exc.errno == errno.EROFS:
        return DraftError(f"The disk is read-only: {name} was not saved; {kept}")
    return DraftError(f"{name} was not saved ({exc.strerror or exc}); {kept}")


def _atomic_write(path: Path, data: bytes, mode: int, name: str) -> DiskStamp:
    """Temp file beside the target, fsync, rename over it, fsync the folder. Any failure removes the
    temp file, so the target is either the old version or the new one, never a mix."""
    existed = path.exists()
    tmp: str | None = None
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".", suffix=".tmp")
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fchmod(handle.fileno(), mode)
            os.fsync(handle.fileno())
            written = DiskStamp.of(os.fstat(handle.fileno()))
        os.replace(tmp, path)
        tmp = None
    except OSError as exc:
        raise _save_failure(exc, name, existed) from exc
    finally:
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
    # The rename is durable only once the folder is synced; some platforms refuse that, and the file
    # itself is already safe, so a refusal here is not a failed save.
    with contextlib.suppress(OSError):
        dir_fd = os.open(path.parent, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
    return written


class DraftStore:
    """The drafts folder: the only place the tools may read or write."""

    def __init__(self, root: Path, max_bytes: int = 1_000_000) -> None:
        self.root = root
        self.max_bytes = max_bytes

    def normalise(self, name: str) -> str:
        """The canonical relative name, or DraftError saying what is wrong with it. Purely lexical."""
        if not isinstance(name, str) or not name.strip():
            raise DraftError("A draft needs a name, such as 'launch.md'.")
        if len(name) > MAX_NAME_CHARS:
            raise DraftError(f"The name {_show(name)} is longer than {MAX_NAME_CHARS} characters.")
        if any(unicodedata.category(c) in ("Cc", "Zl", "Zp") for c in name):
            raise DraftError(f"The name {_show(name)} contains control characters.")
        if "\\" in name:
            raise DraftError(f"The name {_show(name)} contains a backslash; use '/' between folders.")
        if name.startswith(("/", "~")) or re.match(r"[A-Za-z]:/", name):
            raise DraftError(f"The name {_show(name)} is an absolute path; drafts are named relative to "
                             "the drafts folder, such as 'notes/ch1.md'.")
        parts = name.split("/")
        for part in parts:
            self._check_component(part, name)
        if not _EXTENSION.fullmatch(os.path.splitext(parts[-1])[1]):
            parts[-1] += ".md"
            self._check_component(parts[-1], name)  # the added ".md" may push it past 255 bytes
        ext = os.path.splitext(parts[-1])[1]
        if ext.lower() not in EXTENSIONS:
            raise DraftError(f"The name {_show(name)} ends in '{ext}'; drafts must be .md, .markdown "
                             "or .txt files.")
        return "/".join(parts)

    @staticmethod
    def _check_component(part: str, name: str) -> None:
        shown = _show(name)
        if not part:
            raise DraftError(f"The name {shown} has an empty folder name (two '/' in a row, or a '/' "
                             "at the end).")
        if part in (".", ".."):
            raise DraftError(f"The name {shown} contains '{part}'; drafts stay inside the drafts folder.")
        if part.startswith("."):
            raise DraftError(f"The name {shown} is hidden (a part starts with '.'); hidden files are "
                             "off limits.")
        if part.startswith("-"):
            raise DraftError(f"The name {shown} starts with '-', which other programs read as an option.")
        if part.endswith((".", " ")):
            raise DraftError(f"The name {shown} has a part ending in a dot or a space.")
        if part.split(".")[0].rstrip(" ").upper() in _RESERVED:
            raise DraftError(f"The name {shown} uses a name Windows reserves for devices "
                             f"({part.split('.')[0]}).")
        if len(part.encode("utf-8")) > MAX_COMPONENT_BYTES:
            raise DraftError(f"The name {shown} has a part longer than {MAX_COMPONENT_BYTES} bytes.")

    def resolve(self, name: str) -> Path:
        """The real absolute path for `name`, proven to be inside the drafts folder (symlinks followed)
        and to be a regular file or nothing yet."""
        canonical = self.normalise(name)
        try:
            real_root = self.root.resolve()
            target = (real_root / canonical).resolve()
        except (OSError, RuntimeError) as exc:  # RuntimeError: a symlink loop, before Python 3.13
            raise DraftError(f"{_show(canonical)} cannot be followed on disk ({exc}).") from exc
        if not target.is_relative_to(real_root):
            raise DraftError(f"{_show(canonical)} points outside the drafts folder ({real_root}); "
                             "drafts can only be written inside it.")
        real_name = target.relative_to(real_root).as_posix()
        if real_name != canonical:
            try:
                self.normalise(real_name)
            except DraftError as exc:
                raise DraftError(f"{_show(canonical)} is a link to {_show(real_name)}, which is not a "
                                 f"draft: {exc}") from exc
        try:
            mode = os.lstat(target).st_mode
        except FileNotFoundError:
            return target
        except NotADirectoryError as exc:
            raise DraftError(f"{_show(canonical)} cannot exist: part of its folder path is a file.") from exc
        except OSError as exc:
            raise DraftError(f"{_show(canonical)} cannot be checked ({exc.strerror or exc}).") from exc
        if stat.S_ISDIR(mode):
            raise DraftError(f"{_show(canonical)} is a folder, not a draft.")
        if not stat.S_ISREG(mode):
            raise DraftError(f"{_show(canonical)} is not a regular file (a pipe, socket or device).")
        return target

    def read(self, name: str) -> tuple[str, DiskStamp]:
        """The draft's exact text (line endings untouched) and the stamp to detect later changes."""
        path, shown = self.resolve(name), _show(self.normalise(name))
        flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
        try:
            fd = os.open(path, flags)  # non-blocking: a pipe swapped in after resolve() cannot hang us
        except FileNotFoundError as exc:
            raise DraftError(f"There is no draft called {shown}.") from exc
        except OSError as exc:
            raise DraftError(f"{shown} could not be opened ({exc.strerror or exc}).") from exc
        with os.fdopen(fd, "rb") as handle:
            st = os.fstat(handle.fileno())
            if not stat.S_ISREG(st.st_mode):
                raise DraftError(f"{shown} is not a regular file.")
            if st.st_size > self.max_bytes:
                raise DraftError(f"{shown} is {st.st_size} bytes, over the limit of {self.max_bytes} "
                                 "bytes (setting max_draft_bytes).")
            data = handle.read(self.max_bytes + 1)
        if len(data) > self.max_bytes:
            raise DraftError(f"{shown} grew past the limit of {self.max_bytes} bytes while being read.")
        if b"\x00" in data:
            raise DraftError(f"{shown} looks like a binary file, not text.")
        try:
            return data.decode("utf-8"), DiskStamp.of(st)
        except UnicodeDecodeError as exc:
            raise DraftError(f"{shown} is not UTF-8 text (byte {exc.start} is not valid).") from exc

    def stamp(self, name: str) -> DiskStamp | None:
        try:
            return DiskStamp.of(os.stat(self.resolve(name)))
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise DraftError(f"{_show(name)} cannot be checked ({exc.strerror or exc}).") from exc

    def save(self, name: str, text: str, *, expected: DiskStamp | None = None,
             overwrite_changed: bool = False) -> SavedDraft:
        """Write atomically. `expected` is the stamp from when the writer opened the file: if someone
        else saved it since, refuse (DraftConflict) unless `overwrite_changed`."""
        canonical = self.normalise(name)
        path = self.resolve(canonical)
        try:
            data = text.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise DraftError(f"{canonical} was not saved: the text has a character that cannot be "
                             "stored as UTF-8.") from exc
        if len(data) > self.max_bytes:
            raise DraftError(f"{canonical} would be {len(data)} bytes, over the limit of "
                             f"{self.max_bytes} bytes (setting max_draft_bytes).")
        current = self.stamp(canonical)
        if expected is not None and current != expected and not overwrite_changed:
            how = "was deleted" if current is None else "changed on disk"
            raise DraftConflict(f"{canonical} {how} since it was opened (another program or window "
                                "touched it); it was not overwritten.", current)
        mode = 0o644 & ~_umask()
        if current is not None:
            with contextlib.suppress(OSError):
                mode = stat.S_IMODE(os.stat(path).st_mode)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise _save_failure(exc, canonical, current is not None) from exc
        written = _atomic_write(path, data, mode, canonical)
        return SavedDraft(canonical, path, written, count_words(text), len(data))

    def list(self) -> list[DraftFile]:
        """Drafts anyone could open by name, newest first. Symlinked folders are not entered (no loops);
        every file must pass resolve(), so links out of the folder and hidden files never show."""
        try:
            real_root = self.root.resolve()
        except (OSError, RuntimeError):
            return []
        if not real_root.is_dir():
            return []
        found: list[DraftFile] = []
        for folder, dirs, files in os.walk(real_root):
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            for file in files:
                if file.startswith(".") or os.path.splitext(file)[1].lower() not in EXTENSIONS:
                    continue
                name = (Path(folder) / file).relative_to(real_root).as_posix()
                try:
                    if self.normalise(name) != name:
                        continue
                    st = os.stat(self.resolve(name))
                except (DraftError, OSError):
                    continue
                found.append(DraftFile(name, st.st_size, st.st_mtime))
        found.sort(key=lambda f: (-f.modified, f.name))
        return found


class RecoveryStore:
    """Snapshots of unsaved editor text, one per (drafts folder, draft), so a crash loses seconds of
    writing, not hours. Kept outside the drafts folder (private: 0600) and matched to it by path."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    @staticmethod
    def _key(name: str | None, drafts_root: Path) -> str:
        seed = f"{drafts_root.resolve()}\0{name or ''}"
        return hashlib.sha256(seed.encode("utf-8", "surrogatepass")).hexdigest()[:16]

    def write(self, name: str | None, text: str, *, drafts_root: Path) -> None:
        record = {"version": 1, "drafts_root": str(drafts_root.resolve()), "name": name,
                  "text": text, "saved_at": time.time()}
        data = json.dumps(record, ensure_ascii=False).encode("utf-8", "surrogatepass")
        label = f"The recovery copy of {name or 'the untitled draft'}"
        try:
            self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        except OSError as exc:
            raise _save_failure(exc, label, False) from exc
        _atomic_write(self.folder / f"{self._key(name, drafts_root)}.json", data, 0o600, label)

    def clear(self, name: str | None, *, drafts_root: Path) -> None:
        self.discard(self._key(name, drafts_root))

    def discard(self, key: str) -> None:
        """Best effort: a snapshot that survives only means one extra offer to recover."""
        if not isinstance(key, str) or not _KEY.fullmatch(key):
            raise DraftError(f"{key!r} is not a recovery key.")
        with contextlib.suppress(OSError):
            (self.folder / f"{key}.json").unlink(missing_ok=True)

    def pending(self, *, drafts_root: Path) -> list[Recovered]:
        """Snapshots for this drafts folder, newest first. Anything unreadable is skipped: recovery
        runs at startup and must never be the thing that stops the app from starting."""
        try:
            root = str(drafts_root.resolve())
            paths = list(self.folder.glob("*.json"))
        except (OSError, RuntimeError):
            return []
        found: list[Recovered] = []
        for path in paths:
            if not _KEY.fullmatch(path.stem):
                continue
            try:
                record = json.loads(path.read_bytes().decode("utf-8", "surrogatepass"))
                name, text, saved_at = record["name"], record["text"], record["saved_at"]
                if (record["version"] != 1 or record["drafts_root"] != root or not isinstance(text, str)
                        or not (name is None or isinstance(name, str))
                        or isinstance(saved_at, bool) or not isinstance(saved_at, int | float)):
                    continue
            except (OSError, ValueError, TypeError, KeyError):
                continue
            found.append(Recovered(name, text, float(saved_at), path.stem))
        found.sort(key=lambda r: (-r.saved_at, r.key))
        return found
