"""`studio batch`, the installed command, in a real pseudo-terminal against the loopback server:
what a writer types, what they read, and the files they get."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import TEST_KEY
from fakeapi import RecordingServer
from terminal import Studios, child_env, studio_command

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(sys.platform == "win32", reason="needs a POSIX pseudo-terminal"),
]


def inputs(tmp_path: Path, texts: list[str]) -> list[str]:
    folder = tmp_path / "notes"
    folder.mkdir(exist_ok=True)
    names = []
    for n, text in enumerate(texts):
        (folder / f"note{n:02d}.md").write_text(text)
        names.append(f"notes/note{n:02d}.md")
    return names


def results_of(tmp_path: Path, slug: str) -> Path:
    """The job's own folder: drafts/batches/<instruction>-<date>-<time>."""
    [folder] = (tmp_path / "drafts" / "batches").glob(f"{slug}-2*")
    return folder


def said(term_output: bytes) -> str:
    """Everything the command printed, escape sequences and line breaks folded away."""
    text = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", term_output.decode(errors="replace"))
    return " ".join(text.split())


def batch(tmp_path: Path, server: RecordingServer, *args: str) -> subprocess.CompletedProcess[str]:
    """The command in a pipe (not a terminal), as a script would run it."""
    env = child_env(tmp_path, TEST_KEY, server.base_url)
    return subprocess.run([*studio_command(), "batch", *args], env=env, cwd=tmp_path,
                          capture_output=True, text=True, timeout=60)  # fmt: skip


def test_twenty_drafts_go_out_as_a_batch_and_come_back_as_twenty_files(
    studios: Studios, server: RecordingServer, tmp_path: Path
) -> None:
    server.batch_seconds = 1.0
    files = inputs(tmp_path, [f"Note {n}: teh quick brown fox." for n in range(20)])
    term = studios.start("batch", "run", "Fix the typos", *files, key=TEST_KEY, base_url=server.base_url)
    term.expect_text("Send 20 request(s)? [y/N]")
    before = said(bytes(term.output))
    assert "20 request(s) to Claude Sonnet 4.6" in before and "estimate at batch prices" in before
    assert "without batch" in before and "Claude Haiku 4.5" in before  # the other models, priced
    assert not [r for r in server.requests if r.path.startswith("/v1/messages/batches")]  # asked first
    term.send("y\r")
    assert term.wait_exit(timeout=60) == 0
    out = said(bytes(term.output))
    assert "Job 1 submitted" in out and "of at most 24 h" in out
    assert "20 succeeded; 20 file(s) written now" in out and "at batch prices" in out
    results = results_of(tmp_path, "fix-the-typos")
    assert sorted(p.name for p in results.iterdir()) == [f"note{n:02d}.md" for n in range(20)]
    cost = re.search(r"Cost \$([0-9.]+) at batch prices, \$([0-9.]+) without batch", out)
    assert cost and float(cost[1]) == pytest.approx(float(cost[2]) / 2, rel=0.02)
    assert TEST_KEY not in out and "Traceback" not in out


def test_a_job_killed_while_waiting_is_finished_by_fetch(
    studios: Studios, server: RecordingServer, tmp_path: Path
) -> None:
    server.batch_seconds = 4.0
    files = inputs(tmp_path, ["one", "two", "three"])
    term = studios.start("batch", "run", "Summarise", *files, "--yes", key=TEST_KEY, base_url=server.base_url)
    term.expect_text("waiting")
    term.crash()  # kill -9 while it waits
    assert not (tmp_path / "drafts" / "batches").exists()
    listed = batch(tmp_path, server, "list")
    assert listed.returncode == 0 and re.search(
        r"1\s+Summarise\s+Claude Sonnet 4.6\s+3\s+in_progress", listed.stdout
    )
    waited = batch(tmp_path, server, "wait", "1")
    assert waited.returncode == 0, waited.stderr
    assert "3 succeeded; 3 file(s) written now" in waited.stdout
    results = results_of(tmp_path, "summarise")
    assert sorted(p.name for p in results.iterdir()) == ["note00.md", "note01.md", "note02.md"]
    again = batch(tmp_path, server, "fetch", "1")
    assert "0 file(s) written now" in again.stdout  # safe to run again
    status = batch(tmp_path, server, "status", "1")
    assert "3 succeeded" in status.stdout and "fetched" in status.stdout


def test_retry_resends_exactly_the_failed_items(server: RecordingServer, tmp_path: Path) -> None:
    server.batch_seconds = 0.2
    files = inputs(tmp_path, ["good", "[[errored]] bad", "[[expired]] slow", "also good"])
    first = batch(tmp_path, server, "run", "Proofread", *files, "--yes")
    assert first.returncode == 0, first.stderr
    assert "2 succeeded" in first.stdout and "1 errored" in first.stdout and "1 expired" in first.stdout
    assert "studio batch retry 1 sends the 2 that errored or expired again." in first.stdout
    server.batch_fate = lambda custom_id, params: "succeeded"
    retried = batch(tmp_path, server, "retry", "1", "--yes")
    assert retried.returncode == 0, retried.stderr
    assert "Job 2 submitted: 2 item(s) from job 1." in retried.stdout
    sent = [r for r in server.requests if r.path == "/v1/messages/batches" and r.method == "POST"][-1]
    assert [r["params"]["messages"][0]["content"][0]["text"] for r in sent.json["requests"]] == [
        "[[errored]] bad", "[[expired]] slow"]  # fmt: skip
    results = results_of(tmp_path, "proofread")
    assert len(list(results.iterdir())) == 4


def test_triage_sends_only_the_yes_documents_on(server: RecordingServer, tmp_path: Path) -> None:
    server.batch_seconds = 0.2
    files = inputs(tmp_path, ["[[yes]] storms at sea", "a recipe for tea", "[[yes]] tides"])
    run = batch(tmp_path, server, "run", "Expand this", *files, "--triage", "Is it about the sea?", "--yes")
    assert run.returncode == 0, run.stderr
    assert "Triage: 2 of 3 document(s) answered yes." in run.stdout
    assert "the 2 yes document(s) go to Claude Sonnet 4.6" in run.stdout
    assert "sending all 3 to Claude Sonnet 4.6 instead" in run.stdout
    results = results_of(tmp_path, "expand-this")
    assert sorted(p.name for p in results.iterdir()) == ["note00.md", "note02.md"]
    models = [r["params"]["model"] for req in server.requests if req.path == "/v1/messages/batches"
              and req.method == "POST" for r in req.json["requests"]]  # fmt: skip
    assert models == ["claude-haiku-4-5-20251001"] * 3 + ["claude-sonnet-4-6"] * 2


@pytest.mark.parametrize(
    ("args", "words"),
    [
        ((), "no documents"),
        (("--model", "claude-nope-9", "notes/a.md"), "unknown model 'claude-nope-9'"),
        (("notes/missing.md",), "no such file"),
        (("notes/pic.md",), "is not text"),
    ],
)
def test_bad_input_gets_one_line_and_sends_nothing(
    server: RecordingServer, tmp_path: Path, args: tuple[str, ...], words: str
) -> None:
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "a.md").write_text("fine")
    (tmp_path / "notes" / "pic.md").write_bytes(b"\x89PNG\0\0\0")
    result = batch(tmp_path, server, "run", "Proofread", *args, "--yes")
    assert result.returncode == 2
    assert words in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr + result.stdout
    assert not [r for r in server.requests if r.path.startswith("/v1/messages")]


def test_a_lost_connection_while_waiting_keeps_the_job_and_ctrl_c_leaves_it_running(
    studios: Studios, server: RecordingServer, tmp_path: Path
) -> None:
    server.batch_seconds = 0.5
    files = inputs(tmp_path, ["one", "two"])
    started = batch(tmp_path, server, "run", "Summarise", *files, "--yes", "--detach")
    assert started.returncode == 0 and "studio batch wait 1" in started.stdout
    # The API cannot be reached: the wait says so and keeps asking, until the writer stops it.
    term = studios.start("batch", "wait", "1", key=TEST_KEY, base_url="http://127.0.0.1:9")
    term.expect_text("Cannot reach the API")
    assert "Asking again" in term.text()
    term.send("\x03")
    assert term.wait_exit(timeout=10) == 130
    assert "the job keeps running" in said(bytes(term.output)) and "Traceback" not in said(bytes(term.output))
    finished = batch(tmp_path, server, "wait", "1")
    assert finished.returncode == 0 and "2 succeeded; 2 file(s) written now" in finished.stdout
