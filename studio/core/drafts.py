"""Draft files on disk. Claude writes through tools, so every name is hostile until proven otherwise:
a name either lands on a regular text file inside the drafts folder, or is refused in plain words.
Saves are atomic (temp file, fsync, rename) so a crash or a full disk never leaves half a draft."""

from __future__ import annotations

import contextlib
import os
import re
import stat
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from studio.core.diskio import DiskStamp, DraftError, atomic_write, remove_stale_temps, save_failure, umask

EXTENSIONS = (".md", ".markdown", ".txt")
_RESERVED = {"CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$",
             *(f"COM{i}" for i in range(1, 10)), *(f"LPT{i}" for i in range(1, 10))}
# A suffix counts as an extension only if it looks like one: "x.sh" is refused, "v1.2" becomes "v1.2.md".
_EXTENSION = re.compile(r"\.[A-Za-z][A-Za-z0-9]*")
MAX_NAME_CHARS, MAX_COMPONENT_BYTES = 1024, 255
# Format characters (U+202E reverses the text after it, U+200B is a zero-width space), code points
# with no character, private-use ones, lone surrogates, and every space but U+0020.
_UNSEEN = {"Cf", "Cn", "Co", "Cs", "Zs"}


class DraftConflict(DraftError):
    """The file changed on disk since it was read: saving would silently throw the other version away."""

    def __init__(self, message: str, current: DiskStamp | None = None) -> None:
        super().__init__(message)
        self.current = current


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


def count_words(text: str) -> int:
    return len(re.findall(r"\S+", text))


def _show(name: str) -> str:
    """A name fit for a message: control characters escaped, absurd lengths cut."""
    shown = name if name.isprintable() else repr(name)[1:-1]
    return f"'{shown[:60]}…'" if len(shown) > 60 else f"'{shown}'"


def _describe(char: str) -> str:
    """U+202E (RIGHT-TO-LEFT OVERRIDE): a character a writer cannot see, named by its code."""
    name = unicodedata.name(char, "")
    return f"U+{ord(char):04X}" + (f" ({name})" if name else "")


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
        hidden = next((c for c in name if c != " " and unicodedata.category(c) in _UNSEEN), None)
        if hidden is not None:
            raise DraftError(f"The name {_show(name)} contains {_describe(hidden)}, which hides or "
                             "disguises what the name says; use visible letters, digits and plain "
                             "spaces.")
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
            return data.decode("utf-8"), DiskStamp.of(st, data)
        except UnicodeDecodeError as exc:
            raise DraftError(f"{shown} is not UTF-8 text (byte {exc.start} is not valid).") from exc

    def stamp(self, name: str) -> DiskStamp | None:
        """The file's stamp now (its bytes read, up to the size limit), or None if there is none."""
        path = self.resolve(name)
        try:
            with open(path, "rb") as handle:
                return DiskStamp.of(os.fstat(handle.fileno()), handle.read(self.max_bytes + 1))
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise DraftError(f"{_show(name)} cannot be checked ({exc.strerror or exc}).") from exc

    def _unchanged(self, path: Path, expected: DiskStamp) -> bool:
        """Size and mtime first, and the bytes only when those match: an edit that keeps both (a
        same-length change within the clock's resolution, or a tool that restores the mtime)."""
        try:
            st = os.stat(path)
            if (st.st_mtime_ns, st.st_size) != (expected.mtime_ns, expected.size):
                return False
            with open(path, "rb") as handle:
                return DiskStamp.of(st, handle.read(expected.size + 1)) == expected
        except FileNotFoundError:
            return False
        except OSError as exc:
            raise DraftError(f"{_show(path.name)} cannot be checked ({exc.strerror or exc}).") from exc

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
        if expected is not None and not overwrite_changed and not self._unchanged(path, expected):
            current = self.stamp(canonical)
            how = "was deleted" if current is None else "changed on disk"
            raise DraftConflict(f"{canonical} {how} since it was opened (another program or window "
                                "touched it); it was not overwritten.", current)
        mode, existed = 0o644 & ~umask(), path.exists()
        if existed:
            with contextlib.suppress(OSError):
                mode = stat.S_IMODE(os.stat(path).st_mode)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise save_failure(exc, canonical, existed) from exc
        written = atomic_write(path, data, mode, canonical)
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

    def remove_stale_temps(self) -> int:
        """At start: the half-written temp files of studios killed mid-save (never a live one's)."""
        try:
            return remove_stale_temps(self.root.resolve(), recursive=True)
        except (OSError, RuntimeError):
            return 0
