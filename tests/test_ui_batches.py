"""F6, the Batches screen, driven with Pilot against the loopback's batch endpoints: a job started
on drafts, followed while the writer types, and a result compared and taken into its draft."""

from __future__ import annotations

import re
from pathlib import Path

from conftest import TEST_KEY
from fakeapi import RecordingServer
from textual.widgets import DataTable, Input, SelectionList
from ui_helpers import make_app, screen_text, wait_for

from studio.ui.batches_screen import BatchesScreen, NewBatch, ResultDiff
from studio.ui.dialogs import Choice

SIZE = (140, 44)


def drafts(tmp_path: Path) -> Path:
    folder = tmp_path / "drafts"
    folder.mkdir()
    (folder / "alpha.md").write_text("Alpha draft, teh first.\n")
    (folder / "beta.md").write_text("Beta draft, teh second.\n")
    return folder


async def test_a_job_on_drafts_runs_and_a_result_is_taken_into_its_draft(
    server: RecordingServer, tmp_path: Path
) -> None:
    server.batch_seconds = 0.3
    folder = drafts(tmp_path)
    app = make_app(server, TEST_KEY, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.session.engine is not None)
        await pilot.press("f6")
        await wait_for(
            pilot, lambda: isinstance(app.screen, BatchesScreen) and "No batch jobs yet" in screen_text(app)
        )
        await pilot.press("n")
        await wait_for(pilot, lambda: isinstance(app.screen, NewBatch))
        picker = app.screen.query_one(SelectionList)
        picker.select_all()
        app.screen.query_one(Input).value = "Fix the spelling"
        await pilot.click("#batch-go")
        await wait_for(pilot, lambda: isinstance(app.screen, Choice))
        estimate = screen_text(app)
        assert "2 request(s) to Claude Sonnet 4.6" in estimate and "at batch prices" in estimate
        assert not [r for r in server.requests if r.path == "/v1/messages/batches"]  # asked first
        await pilot.click("#send")
        await wait_for(pilot, lambda: "Fix the spelling" in screen_text(app))
        sent = [r for r in server.requests if r.path == "/v1/messages/batches" and r.method == "POST"]
        assert len(sent) == 1 and len(sent[0].json["requests"]) == 2
        # Followed while the screen is open: the job ends, its items show what they cost.
        await wait_for(pilot, lambda: "fetched" in screen_text(app), timeout=20)
        # The job's cost, as on screen (a cell that grows must not be cut to its old width).
        await wait_for(pilot, lambda: re.search(r"fetched\s+\$0\.00\d\d", screen_text(app)) is not None)
        jobs = app.screen.query_one("#batch-jobs", DataTable)
        jobs.focus()
        await wait_for(pilot, lambda: "alpha.md" in screen_text(app) and "succeeded" in screen_text(app))
        await pilot.press("enter")  # the job: down to its items
        await wait_for(pilot, lambda: app.focused is app.screen.query_one("#batch-items", DataTable))
        await pilot.press("enter")  # the first item: against its draft
        await wait_for(pilot, lambda: isinstance(app.screen, ResultDiff))
        assert "The batch result for alpha.md" in screen_text(app)
        result = next((folder / "batches").glob("fix-the-spelling-*/alpha.md")).read_text()
        await pilot.click("#diff-accept")
        editor = app.main_screen.draft_pane.editor
        await wait_for(pilot, lambda: editor.text == result)
        draft = app.session.workspace.draft
        assert draft.name == "alpha.md" and draft.dirty  # taken, not yet saved
        assert (folder / "alpha.md").read_text() == "Alpha draft, teh first.\n"
        editor.undo()  # one undo step brings the draft back
        assert editor.text == "Alpha draft, teh first.\n"


async def test_jobs_started_elsewhere_are_listed(server: RecordingServer, tmp_path: Path) -> None:
    """The screen lists the store's jobs, whoever started them (here: a script on the core)."""
    import anthropic

    from studio import locations
    from studio.core.batch_documents import read_documents
    from studio.core.batches import Batches
    from studio.core.catalog import Catalog
    from studio.core.store import Store

    server.batch_seconds = 60  # still running while the screen shows it
    folder = drafts(tmp_path)
    client = anthropic.AsyncAnthropic(api_key=TEST_KEY, base_url=server.base_url)
    batches = Batches(client, Store(locations.data_dir() / "studio.db"), Catalog.builtin(), "", TEST_KEY)
    docs = read_documents([folder / "alpha.md"])
    job = batches.create_job(docs, name="Summarise elsewhere", model="claude-haiku-4-5-20251001",
                             instruction="Summarise", max_tokens=50, out_dir=tmp_path / "out")  # fmt: skip
    await batches.submit(job)
    await client.close()
    app = make_app(server, TEST_KEY, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f6")
        await wait_for(pilot, lambda: "Summarise elsewhere" in screen_text(app))
        assert "Claude Haiku 4.5" in screen_text(app) and "in_progress" in screen_text(app)
        assert "of 24 h" in screen_text(app)  # how long it has waited, not a made-up percentage
