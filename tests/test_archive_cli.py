"""`studio list`, `studio export` and `studio search`, the installed commands run as a script would
run them (a pipe, not a terminal), on a store a real Session filled against the loopback server."""

from __future__ import annotations

import json
import subprocess
import sys
from contextlib import aclosing
from pathlib import Path

import pytest
from conftest import TEST_KEY
from fakeapi import RecordingServer
from terminal import child_env, studio_command

from studio.config import Settings
from studio.core.catalog import Catalog
from studio.core.session import Session
from studio.core.usage import TokenUsage, cost_line, cost_usd, format_usd
from studio.loopback import TextReply, ToolUseReply

SONNET = Catalog.builtin().info("claude-sonnet-4-6").price


def studio(tmp_path: Path, *args: str, key: str | None = TEST_KEY) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*studio_command(), *args], env=child_env(tmp_path, key), cwd=tmp_path,
                          capture_output=True, text=True, timeout=60)  # fmt: skip


async def talk(session: Session, text: str) -> None:
    async with aclosing(session.send(text)) as events:
        async for _ in events:
            pass


async def two_conversations(server: RecordingServer, tmp_path: Path) -> None:
    """1: a question answered, then a draft saved by Claude (pasting the key by mistake); 2: a
    question about something else."""
    settings = Settings(api_key=TEST_KEY, base_url=server.base_url, drafts_dir=tmp_path / "drafts")
    session, problem = Session.open(settings)
    assert problem is None
    await session.start()
    server.queue(
        TextReply("The lighthouse keeper counted gulls.", input_tokens=1000, output_tokens=200),
        ToolUseReply(
            "save_draft",
            {"filename": "survey.md", "content": "Quartermaster notes: the pelican census.\n"},
            input_tokens=1200,
            output_tokens=100,
        ),
        TextReply("Saved it as survey.md.", input_tokens=1300, output_tokens=20),
        TextReply("Orchards bloom in spring.", input_tokens=500, output_tokens=50),
    )
    await talk(session, "Tell me about the harbour survey")
    await talk(session, f"Save it please (my key is {TEST_KEY})")
    session.new_conversation()
    await talk(session, "What about the orchard?")
    await session.aclose(wait=5.0)


REPLY_1 = cost_usd(TokenUsage(input=1000, output=200), SONNET)
REPLY_2 = cost_usd(TokenUsage(input=2500, output=120), SONNET)
REPLY_3 = cost_usd(TokenUsage(input=500, output=50), SONNET)


async def test_list_shows_the_conversations_newest_first(server: RecordingServer, tmp_path: Path) -> None:
    await two_conversations(server, tmp_path)
    done = studio(tmp_path, "list")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].split() == ["id", "date", "title", "replies", "cost"]
    assert lines[1].startswith("2 ") and "What about the orchard?" in lines[1]
    assert lines[1].split()[-2:] == ["1", format_usd(REPLY_3)]
    assert lines[2].startswith("1 ") and "Tell me about the harbour survey" in lines[2]
    assert lines[2].split()[-2:] == ["2", format_usd(REPLY_1 + REPLY_2)]
    assert studio(tmp_path, "list", "--limit", "1").stdout.count("\n") == 2


async def test_export_markdown_has_every_reply_its_cost_and_the_total(
    server: RecordingServer, tmp_path: Path
) -> None:
    await two_conversations(server, tmp_path)
    done = studio(tmp_path, "export", "1")
    assert done.returncode == 0, done.stderr
    md = done.stdout
    assert md.startswith("# Tell me about the harbour survey\n")
    assert md.index("## You") < md.index("The lighthouse keeper counted gulls.") < md.index("Saved it as")
    assert "## Claude Sonnet 4.6 (claude-sonnet-4-6) · reply 1 · 20" in md
    assert f"_Cost: {cost_line(REPLY_1, TokenUsage(input=1000, output=200))}_" in md
    assert f"_Cost: {cost_line(REPLY_2, TokenUsage(input=2500, output=120))}_" in md
    assert "- Tool `save_draft`: saved drafts/survey.md\n\nSaved it as survey.md." in md
    assert f"**Total: {format_usd(REPLY_1 + REPLY_2)}** · in 3,500 · out 320" in md
    assert "Orchards" not in md  # the other conversation
    assert "pelican" not in md  # the draft's text went in a tool call: the export names the draft
    # --latest is the orchard one.
    latest = studio(tmp_path, "export", "--latest").stdout
    assert "Orchards bloom in spring." in latest and f"**Total: {format_usd(REPLY_3)}**" in latest
    # The open draft went along with the message, as a document: one line, not its text.
    assert "_Draft sent: survey.md, version 1 (full text)_" in latest and "pelican" not in latest


async def test_export_and_list_show_haikus_title_and_count_what_it_cost(
    server: RecordingServer, tmp_path: Path
) -> None:
    settings = Settings(api_key=TEST_KEY, base_url=server.base_url, drafts_dir=tmp_path / "drafts")
    session, _ = Session.open(settings)
    await session.start()
    server.queue(TextReply("Gulls, mostly.", input_tokens=1000, output_tokens=200))
    await talk(session, "Which birds nest on the harbour wall in spring")
    made = await session.make_title()
    await session.aclose(wait=5.0)
    assert made is not None and made.cost.usd
    md = studio(tmp_path, "export", "--latest").stdout
    assert md.startswith(f"# {made.title}\n") and made.title == "Which birds nest"
    total = format_usd(REPLY_1 + made.cost.usd)
    assert f"**Total: {total}** ·" in md
    assert md.rstrip().endswith(f"1 reply and the title (Claude Haiku 4.5, {format_usd(made.cost.usd)})")
    exported = json.loads(studio(tmp_path, "export", "--latest", "--format", "json").stdout)
    assert exported["title"] == made.title
    assert exported["title_cost"]["model"] == "claude-haiku-4-5-20251001"
    assert exported["total"]["usd"] == pytest.approx(REPLY_1 + made.cost.usd)
    assert made.title in studio(tmp_path, "list").stdout


async def test_the_api_key_never_appears_in_an_export(server: RecordingServer, tmp_path: Path) -> None:
    await two_conversations(server, tmp_path)  # the writer pasted the key into a message
    for form in ("md", "json"):
        done = studio(tmp_path, "export", "1", "--format", form)
        assert done.returncode == 0 and "my key is sk-ant-test-…key0" in done.stdout
        assert TEST_KEY not in done.stdout + done.stderr
    studio(tmp_path, "export", "1", "-o", "out.md")
    assert TEST_KEY not in (tmp_path / "out.md").read_text()
    found = studio(tmp_path, "search", "key")
    assert "sk-ant-test-…key0" in found.stdout and TEST_KEY not in found.stdout


async def test_export_json_is_the_same_conversation_structured(
    server: RecordingServer, tmp_path: Path
) -> None:
    await two_conversations(server, tmp_path)
    done = studio(tmp_path, "export", "1", "--format", "json")
    data = json.loads(done.stdout)
    assert data["id"] == 1 and data["title"] == "Tell me about the harbour survey"
    roles = [(m["role"], m.get("reply")) for m in data["messages"]]
    assert roles == [("user", None), ("assistant", 1), ("user", None), ("assistant", 2)]
    first, second = data["messages"][1], data["messages"][3]
    assert first["text"] == "The lighthouse keeper counted gulls." and first["model"] == "claude-sonnet-4-6"
    assert first["cost"]["usd"] == pytest.approx(REPLY_1)
    assert first["cost"]["usage"]["input"] == 1000 and first["cost"]["usage"]["output"] == 200
    call = {"name": "save_draft", "draft": "survey.md", "kind": "saved", "failed": False}
    assert second["tool_calls"] == [call]
    assert second["text"] == "Saved it as survey.md."
    assert data["total"]["usd"] == pytest.approx(REPLY_1 + REPLY_2) and data["total"]["replies"] == 2


async def test_export_to_a_file_and_the_manuscript(server: RecordingServer, tmp_path: Path) -> None:
    await two_conversations(server, tmp_path)
    done = studio(tmp_path, "export", "1", "-o", "chat.md")
    assert done.returncode == 0 and done.stdout == "" and "Wrote chat.md" in done.stderr
    assert "The lighthouse keeper counted gulls." in (tmp_path / "chat.md").read_text()
    manuscript = studio(tmp_path, "export", "1", "--manuscript")
    assert manuscript.returncode == 0 and manuscript.stdout == "Quartermaster notes: the pelican census.\n"
    # The file gone, the text the studio kept when it was saved comes back.
    (tmp_path / "drafts" / "survey.md").unlink()
    kept = studio(tmp_path, "export", "1", "--manuscript", "--format", "json")
    assert json.loads(kept.stdout)["drafts"] == [
        {"name": "survey.md", "text": "Quartermaster notes: the pelican census.\n", "source": "store"}
    ]
    # The orchard conversation saved nothing, but had the draft open.
    opened = studio(tmp_path, "export", "2", "--manuscript")
    assert opened.returncode == 0 and opened.stdout == "Quartermaster notes: the pelican census.\n"


async def test_search_finds_a_word_from_an_earlier_conversation_and_one_only_in_a_draft(
    server: RecordingServer, tmp_path: Path
) -> None:
    await two_conversations(server, tmp_path)
    found = studio(tmp_path, "search", "lighthouse")
    assert found.returncode == 0, found.stderr
    lines = found.stdout.splitlines()
    assert lines[0].split() == ["conversation", "date", "where", "title"]
    assert lines[1].startswith("1 ") and " Claude " in lines[1]
    assert "Tell me about the harbour survey" in lines[1]
    assert lines[2].strip() == "The [lighthouse] keeper counted gulls."
    assert len(lines) == 3
    draft = studio(tmp_path, "search", "pelican")
    assert "draft survey.md" in draft.stdout and "Quartermaster notes: the [pelican] census." in draft.stdout
    assert draft.stdout.count("[pelican]") == 1  # the save_draft call's input is not indexed
    nothing = studio(tmp_path, "search", "zeppelin")
    assert nothing.returncode == 0 and nothing.stdout == "Nothing found for zeppelin.\n"


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["search", '"unclosed'], "not valid FTS5 syntax"),
        (["search", "AND"], "not valid FTS5 syntax"),
        (["export", "42"], "no conversation 42"),
        (["export"], "name one conversation"),
        (["list", "--limit", "0"], "--limit must be at least 1"),
    ],
)
async def test_bad_input_is_one_line_and_status_2(
    server: RecordingServer, tmp_path: Path, args: list[str], words: str
) -> None:
    await two_conversations(server, tmp_path)
    done = studio(tmp_path, *args)
    assert done.returncode == 2 and done.stdout == ""
    assert words in done.stderr and done.stderr.count("\n") == 1 and "Traceback" not in done.stderr


def test_no_store_yet(tmp_path: Path) -> None:
    assert studio(tmp_path, "list").stdout == "No conversations kept yet: `studio` starts one.\n"
    assert studio(tmp_path, "search", "anything").stdout == "Nothing found for anything.\n"
    assert not list(tmp_path.rglob("studio.db"))  # reading created nothing
    done = studio(tmp_path, "export", "--latest")
    assert done.returncode == 2 and "no conversation is kept yet" in done.stderr


def test_search_words_that_are_not_syntax(tmp_path: Path) -> None:
    """Ordinary words with punctuation search as words; only a closed pipe ends output early."""
    for words in (["don't"], ["c++"], ["e-mail", "harb*"]):
        done = studio(tmp_path, "search", *words)
        assert done.returncode == 0 and done.stderr == ""


async def test_a_closed_pipe_ends_quietly(server: RecordingServer, tmp_path: Path) -> None:
    await two_conversations(server, tmp_path)
    command = " ".join([*studio_command(), "export", "1", "|", "head", "-1"])
    done = subprocess.run(command, shell=True, env=child_env(tmp_path, TEST_KEY), cwd=tmp_path,
                          capture_output=True, text=True, timeout=60)  # fmt: skip
    assert done.stdout == "# Tell me about the harbour survey\n" and done.stderr == ""


def test_reading_the_archive_imports_neither_the_sdk_nor_textual(tmp_path: Path) -> None:
    """list, export and search answer at once: no Textual, no SDK (most of a second to import)."""
    script = (
        "import sys; from studio.archive import export, list, search; "
        "list.main([]); search.main(['harbour']); export.main(['--latest']); "
        "print(sorted(m for m in ('anthropic', 'textual') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", script], env=child_env(tmp_path), cwd=tmp_path,
                          capture_output=True, text=True, timeout=60)  # fmt: skip
    assert done.stdout.splitlines()[-1] == "[]"


def test_escape_sequences_in_kept_text_are_shown_not_obeyed(tmp_path: Path) -> None:
    from studio import locations
    from studio.core.store import Store

    store = Store(locations.data_dir() / "studio.db")
    hostile = "mallard \x1b]52;c;cGF3bmVk\x07 \x1b[2J gone"
    store.save_messages(
        store.new_session(), [{"role": "user", "content": [{"type": "text", "text": hostile}]}], 0
    )
    for args in (["search", "mallard"], ["list"]):
        done = studio(tmp_path, *args)
        assert done.returncode == 0 and "\x1b" not in done.stdout and "\x07" not in done.stdout
        assert "mallard ␛]52" in done.stdout
