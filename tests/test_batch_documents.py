"""What a batch would send, checked before anything goes out: documents, names, requests, chunks."""

from __future__ import annotations

from pathlib import Path

import pytest

from studio.core.batch_documents import (
    BatchInputError,
    Document,
    read_documents,
    request_params,
    result_names,
)
from studio.core.batch_store import BatchStore
from studio.core.store import Store


def write(folder: Path, name: str, data: str | bytes) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, bytes):
        path.write_bytes(data)
    else:
        path.write_text(data, encoding="utf-8")
    return path


def test_files_and_lines_become_documents(tmp_path: Path) -> None:
    a = write(tmp_path, "a.md", "First document.")
    lines = write(tmp_path, "notes.txt", "one\n\n  \ntwo\n")
    documents = read_documents([a], lines)
    assert [(d.source, d.stem, d.text) for d in documents] == [
        (str(a), "a", "First document."),
        (f"{lines}:1", "notes-line-00001", "one"),
        (f"{lines}:4", "notes-line-00004", "two"),
    ]


@pytest.mark.parametrize(
    ("name", "data", "words"),
    [
        ("bin.md", b"\x89PNG\0\0", "is not text"),
        ("latin.md", "caf\xe9".encode("latin-1"), "is not UTF-8"),
        ("empty.md", "   \n", "is empty"),
    ],
)
def test_bad_files_are_named_and_nothing_is_read_past_them(
    tmp_path: Path, name: str, data: bytes | str, words: str
) -> None:
    path = write(tmp_path, name, data)
    with pytest.raises(BatchInputError, match=words) as caught:
        read_documents([path])
    assert str(path) in str(caught.value)


def test_no_documents_missing_files_and_folders_say_so(tmp_path: Path) -> None:
    with pytest.raises(BatchInputError, match="no documents"):
        read_documents([])
    with pytest.raises(BatchInputError, match="no such file"):
        read_documents([tmp_path / "gone.md"])
    with pytest.raises(BatchInputError, match="is a folder"):
        read_documents([tmp_path])
    blank = write(tmp_path, "blank.txt", "\n\n")
    with pytest.raises(BatchInputError, match="no non-empty lines"):
        read_documents([], blank)


def test_result_names_never_clash_and_never_overwrite_an_input(tmp_path: Path) -> None:
    out = tmp_path / "out"
    inside = write(out, "chapter.md", "an input that lives in the output folder")
    documents = [
        Document(str(inside), "chapter", "x"),
        Document("b/chapter.md", "chapter", "y"),
        Document("c/../../etc/passwd", "../../etc/passwd", "z"),
    ]
    names = result_names(documents, [inside], out)
    assert names[0] != "chapter.md" and len(set(names)) == 3
    assert all("/" not in n and (out / n).resolve().parent == out.resolve() for n in names)


def test_the_shared_prefix_is_the_same_bytes_for_every_document() -> None:
    one = request_params("claude-sonnet-4-6", 100, "You are a helpful editor.", "Proofread.", "Doc one.")
    two = request_params("claude-sonnet-4-6", 100, "You are a helpful editor.", "Proofread.", "Doc two.")
    assert one["system"] == two["system"]
    assert one["system"][-1]["cache_control"] == {"type": "ephemeral"}
    assert one["messages"] != two["messages"]


def test_a_job_and_its_items_are_kept_and_a_result_is_recorded_once(tmp_path: Path) -> None:
    from studio.core.batch_store import NewItem

    jobs = BatchStore(Store(tmp_path / "studio.db"))
    job = jobs.create_job(
        name="proofread",
        model="claude-sonnet-4-6",
        instruction="Proofread.",
        max_tokens=100,
        out_dir=str(tmp_path / "out"),
        items=[NewItem("doc-000000", 0, "a.md", "a.md", "h", "text")],
        chunks=1,
    )
    assert [j.id for j in jobs.jobs()] == [job.id] and job.status == "submitting"
    assert jobs.item_done(job.id, "doc-000000", "errored", error="bad") is True
    assert jobs.item_done(job.id, "doc-000000", "succeeded") is False  # a second fetch: no change
    [item] = jobs.items(job.id)
    assert (item.state, item.error) == ("errored", "bad")
