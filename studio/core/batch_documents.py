"""What a batch sends: the documents (files, or the lines of one file), checked before anything
goes out, and one request per document with the persona and instruction as a shared cached prefix.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

MAX_REQUESTS = 100_000  # per API batch
MAX_BATCH_BYTES = 256 * 1024 * 1024  # per API batch
MAX_REQUEST_BYTES = 32 * 1024 * 1024  # one Messages request
CHUNK_BYTES = MAX_BATCH_BYTES - 1024 * 1024  # headroom for the JSON around the requests
TRIAGE_MAX_TOKENS = 5  # "yes" or "no"
TRIAGE_MODEL = "claude-haiku-4-5-20251001"


class BatchInputError(ValueError):
    """Input that cannot go out; the message says which and why, and nothing was sent."""


@dataclass(frozen=True)
class Document:
    source: str  # the file, or "FILE:N" for line N of --lines FILE
    stem: str  # what its result file is named after
    text: str

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.text.encode()).hexdigest()


def _read_text(path: Path) -> str:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise BatchInputError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise BatchInputError(f"{path} is a folder; name the files in it (e.g. {path}/*.md)") from None
    except OSError as exc:
        raise BatchInputError(f"{path} cannot be read ({exc.strerror or exc})") from None
    if b"\0" in data:
        raise BatchInputError(f"{path} is not text (it holds NUL bytes): batches send text only")
    if len(data) > MAX_REQUEST_BYTES:
        raise BatchInputError(
            f"{path} is {len(data) / 1_048_576:.0f} MB, over the {MAX_REQUEST_BYTES // 1_048_576} MB "
            "a request may carry: split it into smaller files"
        )
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise BatchInputError(f"{path} is not UTF-8 text: save it as UTF-8 and try again") from None


def read_documents(files: Sequence[Path], lines: Path | None = None) -> list[Document]:
    """The documents to send, every one read and checked before anything goes out."""
    if not files and lines is None:
        raise BatchInputError("no documents: name the files to send, or --lines FILE")
    documents = []
    for path in files:
        text = _read_text(path)
        if not text.strip():
            raise BatchInputError(f"{path} is empty: there is nothing to send")
        documents.append(Document(str(path), path.stem or path.name, text))
    if lines is not None:
        for number, line in enumerate(_read_text(lines).splitlines(), start=1):
            if line.strip():
                documents.append(Document(f"{lines}:{number}", f"{lines.stem}-line-{number:05d}", line))
    if not documents:
        raise BatchInputError(f"{lines} has no non-empty lines: there is nothing to send")
    if len(documents) > MAX_REQUESTS * 100:
        raise BatchInputError(f"{len(documents):,} documents is more than studio sends in one job")
    return documents


def custom_id(index: int) -> str:
    """The API allows ^[a-zA-Z0-9_-]{1,64}$, unique in a batch; the store maps it back."""
    return f"doc-{index:06d}"


def result_names(documents: Sequence[Document], inputs: Iterable[Path], out_dir: Path) -> list[str]:
    """One result file per document, named after it, inside `out_dir` and never over an input
    (or another result): `chapter.md` -> `chapter.md`, then `chapter-2.md` on a clash."""
    real = _RealPaths()
    taken = {real.of(p) for p in inputs}
    names: list[str] = []
    used: set[str] = set()
    for document in documents:
        stem = re.sub(r"[^\w.-]+", "-", document.stem).strip(".-") or "document"
        name, n = f"{stem}.md", 1
        while name in used or real.of(out_dir / name) in taken:
            n += 1
            name = f"{stem}-{n}.md"
        used.add(name)
        names.append(name)
    return names


class _RealPaths:
    """What `Path.resolve()` gives, with each folder resolved once: 10,000 documents in a few
    folders cost 10,000 lstat calls, not one per component of every path (seconds, at that size)."""

    def __init__(self) -> None:
        self._folders: dict[Path, str] = {}

    def of(self, path: Path) -> str:
        if path.name in ("", ".", "..") or path.is_symlink():
            return os.path.realpath(path)
        folder = self._folders.get(path.parent)
        if folder is None:
            folder = self._folders[path.parent] = os.path.realpath(path.parent)
        return os.path.join(folder, path.name)


def request_params(model: str, max_tokens: int, persona: str, instruction: str, text: str) -> dict[str, Any]:
    """One document's request: the persona and the instruction first, the same for every
    document and marked for the cache, so later requests of the batch can read it; the
    document after it."""
    return {
        "model": model,
        "max_tokens": max_tokens,
        "system": [
            {"type": "text", "text": persona},
            {
                "type": "text",
                "text": f"Do this with the document the writer sends:\n\n{instruction}",
                "cache_control": {"type": "ephemeral"},
            },
        ],
        "messages": [{"role": "user", "content": [{"type": "text", "text": text}]}],
    }


def triage_params(model: str, question: str, text: str) -> dict[str, Any]:
    """The cheap first pass: one word, yes or no, about one document."""
    return {
        "model": model,
        "max_tokens": TRIAGE_MAX_TOKENS,
        "system": [
            {
                "type": "text",
                "text": f"Answer yes or no, in one word, about the document that follows: {question}",
                "cache_control": {"type": "ephemeral"},
            }
        ],
        "messages": [{"role": "user", "content": [{"type": "text", "text": text}]}],
    }


def is_yes(answer: str) -> bool:
    return answer.strip().strip(".!").lower().startswith("yes")
