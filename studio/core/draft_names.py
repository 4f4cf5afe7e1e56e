"""What a draft may be called, and where a name lands: the naming policy of the drafts folder.

Claude names drafts through tools, so every name is hostile until proven otherwise. ``normalise`` is
purely lexical (no control or invisible characters, no absolute paths, no '..', no hidden parts, no
device names, a text extension); ``resolve`` then follows the name on disk and proves it lands on a
regular file, or nothing yet, inside the folder. Kept apart from ``drafts`` (reading and writing) so
the rules can be read, and tested, as one list.
"""

from __future__ import annotations

import os
import re
import stat
import unicodedata
from pathlib import Path

from studio.core.diskio import DraftError

EXTENSIONS = (".md", ".markdown", ".txt")
_RESERVED = {
    "CON",
    "PRN",
    "AUX",
    "NUL",
    "CONIN$",
    "CONOUT$",
    *(f"COM{i}" for i in range(1, 10)),
    *(f"LPT{i}" for i in range(1, 10)),
}
# A suffix counts as an extension only if it looks like one: "x.sh" is refused, "v1.2" becomes "v1.2.md".
_EXTENSION = re.compile(r"\.[A-Za-z][A-Za-z0-9]*")
MAX_NAME_CHARS, MAX_COMPONENT_BYTES = 1024, 255
# Format characters (U+202E reverses the text after it, U+200B is a zero-width space), code points
# with no character, private-use ones, lone surrogates, and every space but U+0020.
_UNSEEN = {"Cf", "Cn", "Co", "Cs", "Zs"}


def quote_name(name: str) -> str:
    """A name fit for a message: control characters escaped, absurd lengths cut."""
    shown = name if name.isprintable() else repr(name)[1:-1]
    return f"'{shown[:60]}…'" if len(shown) > 60 else f"'{shown}'"


def _describe(char: str) -> str:
    """U+202E (RIGHT-TO-LEFT OVERRIDE): a character a writer cannot see, named by its code."""
    name = unicodedata.name(char, "")
    return f"U+{ord(char):04X}" + (f" ({name})" if name else "")


def normalise(name: str) -> str:
    """The canonical relative name, or DraftError saying what is wrong with it. Purely lexical."""
    if not isinstance(name, str) or not name.strip():
        raise DraftError("A draft needs a name, such as 'launch.md'.")
    if len(name) > MAX_NAME_CHARS:
        raise DraftError(f"The name {quote_name(name)} is longer than {MAX_NAME_CHARS} characters.")
    if any(unicodedata.category(c) in ("Cc", "Zl", "Zp") for c in name):
        raise DraftError(f"The name {quote_name(name)} contains control characters.")
    hidden = next((c for c in name if c != " " and unicodedata.category(c) in _UNSEEN), None)
    if hidden is not None:
        raise DraftError(
            f"The name {quote_name(name)} contains {_describe(hidden)}, which hides or "
            "disguises what the name says; use visible letters, digits and plain "
            "spaces."
        )
    if "\\" in name:
        raise DraftError(f"The name {quote_name(name)} contains a backslash; use '/' between folders.")
    if name.startswith(("/", "~")) or re.match(r"[A-Za-z]:/", name):
        raise DraftError(
            f"The name {quote_name(name)} is an absolute path; drafts are named relative to "
            "the drafts folder, such as 'notes/ch1.md'."
        )
    parts = name.split("/")
    for part in parts:
        _check_component(part, name)
    if not _EXTENSION.fullmatch(os.path.splitext(parts[-1])[1]):
        parts[-1] += ".md"
        _check_component(parts[-1], name)  # the added ".md" may push it past 255 bytes
    ext = os.path.splitext(parts[-1])[1]
    if ext.lower() not in EXTENSIONS:
        raise DraftError(
            f"The name {quote_name(name)} ends in '{ext}'; drafts must be .md, .markdown or .txt files."
        )
    return "/".join(parts)


def _check_component(part: str, name: str) -> None:
    shown = quote_name(name)
    if not part:
        raise DraftError(
            f"The name {shown} has an empty folder name (two '/' in a row, or a '/' at the end)."
        )
    if part in (".", ".."):
        raise DraftError(f"The name {shown} contains '{part}'; drafts stay inside the drafts folder.")
    if part.startswith("."):
        raise DraftError(f"The name {shown} is hidden (a part starts with '.'); hidden files are off limits.")
    if part.startswith("-"):
        raise DraftError(f"The name {shown} starts with '-', which other programs read as an option.")
    if part.endswith((".", " ")):
        raise DraftError(f"The name {shown} has a part ending in a dot or a space.")
    if part.split(".")[0].rstrip(" ").upper() in _RESERVED:
        raise DraftError(f"The name {shown} uses a name Windows reserves for devices ({part.split('.')[0]}).")
    if len(part.encode("utf-8")) > MAX_COMPONENT_BYTES:
        raise DraftError(f"The name {shown} has a part longer than {MAX_COMPONENT_BYTES} bytes.")


def resolve(root: Path, name: str) -> Path:
    """The real absolute path for `name`, proven to be inside the drafts folder (symlinks followed)
    and to be a regular file or nothing yet."""
    canonical = normalise(name)
    try:
        real_root = root.resolve()
        target = (real_root / canonical).resolve()
    except (OSError, RuntimeError) as exc:  # RuntimeError: a symlink loop, before Python 3.13
        raise DraftError(f"{quote_name(canonical)} cannot be followed on disk ({exc}).") from exc
    if not target.is_relative_to(real_root):
        raise DraftError(
            f"{quote_name(canonical)} points outside the drafts folder ({real_root}); "
            "drafts can only be written inside it."
        )
    real_name = target.relative_to(real_root).as_posix()
    if real_name != canonical:
        try:
            normalise(real_name)
        except DraftError as exc:
            raise DraftError(
                f"{quote_name(canonical)} is a link to {quote_name(real_name)}, which is not a draft: {exc}"
            ) from exc
    try:
        mode = os.lstat(target).st_mode
    except FileNotFoundError:
        return target
    except NotADirectoryError as exc:
        raise DraftError(f"{quote_name(canonical)} cannot exist: part of its folder path is a file.") from exc
    except OSError as exc:
        raise DraftError(f"{quote_name(canonical)} cannot be checked ({exc.strerror or exc}).") from exc
    if stat.S_ISDIR(mode):
        raise DraftError(f"{quote_name(canonical)} is a folder, not a draft.")
    if not stat.S_ISREG(mode):
        raise DraftError(f"{quote_name(canonical)} is not a regular file (a pipe, socket or device).")
    return target
