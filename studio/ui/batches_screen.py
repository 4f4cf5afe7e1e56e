"""F6: batch jobs, the same list as `studio batch list`, whoever started them; a new job on drafts
from the drafts folder; a finished item compared with its draft, and accepted into it.

Every read of the store and every call to the API runs in a worker thread with its own event
loop (studio.core.batches.BatchAccess): typing never waits for them.
"""

from __future__ import annotations

import asyncio
import difflib
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from rich.cells import cell_len
from rich.text import Text
from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.coordinate import Coordinate
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Button, DataTable, Input, Select, SelectionList, Static

from studio.core.batch_store import BatchItem, BatchJob, BatchStore
from studio.core.catalog import Catalog
from studio.core.drafts import DraftFile
from studio.core.usage import format_usd
from studio.core.visible import visible
from studio.ui.bindings import key_label
from studio.ui.dialogs import Choice

if TYPE_CHECKING:
    from studio.core.batches import BatchAccess, Batches
    from studio.core.session import Session

RELOAD_SECONDS = 2.0  # the list is read again (a cheap local read): jobs started elsewhere show up
EXPIRY_HOURS = 24


@dataclass(frozen=True)
class Accepted:
    """A result the writer took into its draft: the draft's name and the new text."""

    draft: str
    text: str


@dataclass(frozen=True)
class NewJob:
    drafts: list[str]
    instruction: str
    model: str


def _age(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


JOB_COLUMNS = ("id", "name", "model", "items", "status", "cost")


def job_row(job: BatchJob, count: int, usd: float, catalog: Catalog) -> tuple[str, ...]:
    waited = time.time() - job.created
    status: str = job.status
    if job.status in ("submitting", "in_progress", "canceling"):
        status += f" · {_age(waited)} of {EXPIRY_HOURS} h"  # progress is only known at the end
    cost = format_usd(usd)
    stage = {"triage": " (triage)", "final": " (after triage)"}.get(job.stage, "")
    return (str(job.id), visible(job.name)[:32] + stage, catalog.info(job.model).name, str(count),
            status, cost)  # fmt: skip


class BatchesScreen(ModalScreen[Accepted | None]):
    CSS_PATH = "dialogs.tcss"  # beside this module; read when first shown

    class JobStarted(Message):
        """A job went out from here: whoever follows jobs should look soon, not at its idle pace."""

    BINDINGS = [
        Binding("escape", "dismiss(None)", "Close", id="batches.close"),
        Binding("n", "new_job", "New job", id="batches.new"),
        Binding("c", "cancel_job", "Cancel job", id="batches.cancel"),
    ]

    @classmethod
    async def of(cls, session: Session) -> BatchesScreen:
        """F6 on the session's store, key and drafts, once the SDK is loaded (batch_access imports
        it). Results live in drafts/batches/: offered for a new job, they would batch the batches."""
        await session.engine_ready.wait()
        store = session.workspace.store
        drafts = [d for d in store.list() if not d.name.startswith("batches/")]
        return cls(session.batch_access(), drafts, store.root)

    def __init__(self, access: BatchAccess | None, drafts: list[DraftFile], drafts_root: Path) -> None:
        super().__init__()
        self.access = access
        self.drafts = drafts
        self.drafts_root = drafts_root
        self._jobs: list[BatchJob] = []
        self._items: list[BatchItem] = []
        self._shown_job: int | None = None  # whose items the lower table lists
        self._rows: list[tuple[str, ...]] = []  # the job rows as drawn

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="batches"):
            yield Static("Batch jobs: many documents at half price", classes="question")
            yield Static(
                "No batch jobs yet: N starts one on your drafts "
                '(or, in a shell, studio batch run "…" FILE...).',
                id="batch-empty",
            )
            yield DataTable(id="batch-jobs", cursor_type="row", zebra_stripes=True)
            yield DataTable(id="batch-items", cursor_type="row")
            yield Static(
                "Enter on a job shows its items; Enter on a finished item compares it with its "
                "draft · N new job on drafts · C cancels a running job · Escape closes",
                classes="hint",
            )

    def on_mount(self) -> None:
        jobs = self.query_one("#batch-jobs", DataTable)
        jobs.add_columns(*JOB_COLUMNS)
        items = self.query_one("#batch-items", DataTable)
        items.add_columns("item", "state", "cost", "result")
        if self.access is None:
            self.query_one("#batch-empty", Static).update(
                f"Batch jobs need an API key ({key_label(self.app, 'api_key')}) and the studio's database."
            )
            jobs.display = False
            return
        self.reload()
        self.set_interval(RELOAD_SECONDS, self.reload)
        jobs.focus()

    @work(thread=True, exclusive=True, group="batches-read")
    def reload(self) -> None:
        access = self.access
        assert access is not None
        jobs = _read_jobs(access)
        job_id = self._shown_job
        items = _read_items(access, job_id) if job_id is not None else None
        self.app.call_from_thread(self._show_jobs, jobs)
        if items is not None:  # the shown job's items move on too (pending -> succeeded)
            self.app.call_from_thread(self._show_items, job_id, items)

    def _show_jobs(self, rows: list[tuple[BatchJob, tuple[str, ...]]]) -> None:
        """Only what changed is redrawn: rebuilding 200 rows every 2 s stalled the loop ~120 ms."""
        table = self.query_one("#batch-jobs", DataTable)
        table.display = self.query_one("#batch-items", DataTable).display = bool(rows)
        self.query_one("#batch-empty", Static).display = not rows
        shown = [row for _, row in rows]
        self._jobs = [job for job, _ in rows]
        changed = [
            (Coordinate(number, column), now)
            for number, (old, new) in enumerate(zip(self._rows, shown, strict=False))
            for column, (was, now) in enumerate(zip(old, new, strict=True))
            if was != now
        ]
        widths = [column.width for column in table.ordered_columns]
        same_jobs = [r[0] for r in shown] == [r[0] for r in self._rows]
        if same_jobs and all(cell_len(now) <= widths[at.column] for at, now in changed):
            for at, now in changed:  # each fits its column: update in place
                table.update_cell_at(at, now)
            self._rows = shown
            return
        # New jobs, or a value wider than its column ("$0.0026" where "$0.00" was): the table is
        # built again, its columns as wide as their widest value. Left to the table (auto width,
        # or update_width), a column widens only when the app is next idle, and a row drawn
        # before that stays cut to the old width, "$0.00", until it changes again.
        keep = table.cursor_row
        table.clear(columns=True)
        for n, label in enumerate(JOB_COLUMNS):
            table.add_column(label, width=max([cell_len(label), *(cell_len(row[n]) for row in shown)]))
        for job, row in rows:
            table.add_row(*row, key=str(job.id))
        self._rows = shown
        if keep < len(rows):
            table.move_cursor(row=keep)

    @on(DataTable.RowHighlighted, "#batch-jobs")
    def _job_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.row_key.value and int(event.row_key.value) != self._shown_job:
            self._load_items(int(event.row_key.value))

    @on(DataTable.RowSelected, "#batch-jobs")
    def _job_chosen(self) -> None:
        """Enter on a job goes down to its items; Enter there compares one with its draft."""
        items = self.query_one("#batch-items", DataTable)
        items.focus()
        items.move_cursor(row=0)

    @work(thread=True, exclusive=True, group="batches-items")
    def _load_items(self, job_id: int) -> None:
        assert self.access is not None
        self.app.call_from_thread(self._show_items, job_id, _read_items(self.access, job_id))

    def _show_items(self, job_id: int | None, items: list[BatchItem]) -> None:
        table = self.query_one("#batch-items", DataTable)
        keep = table.cursor_row if job_id == self._shown_job else 0
        table.clear()
        self._shown_job, self._items = job_id, items
        for n, item in enumerate(items):
            result = item.answer or (Path(item.result_path).name if item.result_path else item.error or "")
            cost = format_usd(item.usd) if item.state == "succeeded" else "-"
            table.add_row(visible(item.name), item.state, cost, visible(result)[:60], key=str(n))
        if keep < len(items):
            table.move_cursor(row=keep)

    @on(DataTable.RowSelected, "#batch-items")
    def _item_chosen(self, event: DataTable.RowSelected) -> None:
        if event.row_key.value is not None:
            self._compare(self._items[int(event.row_key.value)])

    @work(exclusive=True, group="batches-compare")
    async def _compare(self, item: BatchItem) -> None:
        """A result beside the draft it came from, as a diff; Accept takes it into the draft."""
        if item.state != "succeeded" or item.result_path is None:
            self.notify(f"{item.name} has no result to compare ({item.state}).")
            return
        source = Path(item.source)
        try:
            draft = source.resolve().relative_to(self.drafts_root.resolve())
        except ValueError:
            self.notify(f"{item.source} is not in the drafts folder; its result is {item.result_path}.")
            return
        try:
            before = source.read_text(encoding="utf-8")
            after = Path(item.result_path).read_text(encoding="utf-8")
        except OSError as exc:
            self.notify(f"Cannot read {exc.filename}: {exc.strerror}", severity="error")
            return
        if await self.app.push_screen_wait(ResultDiff(str(draft), before, after)):
            self.dismiss(Accepted(str(draft), after))

    async def action_new_job(self) -> None:
        self._new_job()

    @work(exclusive=True, group="batches-new")
    async def _new_job(self) -> None:
        if self.access is None:
            return
        if not self.drafts:
            self.notify("The drafts folder is empty: save a draft first.", severity="warning")
            return
        job = await self.app.push_screen_wait(NewBatch(self.drafts, self.access.catalog))
        if job is None:
            return
        estimate = await self._estimate(job)
        if estimate is None:
            return
        answer = await self.app.push_screen_wait(Choice(estimate, [("send", "Send"), ("cancel", "Cancel")]))
        if answer == "send":
            self._submit(job)

    async def _estimate(self, job: NewJob) -> str | None:
        """The drafts read and their tokens counted in a thread: tens of drafts must not stall
        the screen."""
        from studio.core.batch_documents import BatchInputError, read_documents

        access = self.access
        assert access is not None
        paths = [self.drafts_root / name for name in job.drafts]

        async def estimate(batches: Batches) -> str:
            documents = read_documents(paths)
            guess = batches.estimate(documents, job.instruction, 1024, [job.model])
            return (
                f"{len(documents)} request(s) to {batches.catalog.info(job.model).name}: about "
                f"{format_usd(guess.batch_usd[job.model])} at batch prices, "
                f"{format_usd(guess.full_usd[job.model])} without batch (output at its 1,024-token "
                "ceiling). Results land in drafts/batches/. Send?"
            )

        try:
            return await asyncio.to_thread(access.run_in_thread, estimate)
        except BatchInputError as exc:
            self.notify(str(exc), severity="error")
            return None

    @work(thread=True, group="batches-submit")
    def _submit(self, job: NewJob) -> None:
        assert self.access is not None
        from studio.core.batches import submit_drafts

        try:
            number = self.access.run_in_thread(
                lambda batches: submit_drafts(
                    batches, self.drafts_root, job.drafts, job.instruction, job.model
                )
            )
        except Exception as exc:  # an API refusal or a lost connection: say it, keep the screen
            self.app.call_from_thread(self.notify, f"Not sent: {exc}", severity="error", timeout=10)
            return
        self.app.call_from_thread(self.notify, f"Batch job {number} submitted; it is followed from here.")
        self.post_message(self.JobStarted())
        self.reload()

    def action_cancel_job(self) -> None:
        table = self.query_one("#batch-jobs", DataTable)
        if self._jobs and table.cursor_row < len(self._jobs):
            self._cancel(self._jobs[table.cursor_row])

    @work(thread=True, group="batches-cancel")
    def _cancel(self, job: BatchJob) -> None:
        assert self.access is not None
        try:
            n = self.access.run_in_thread(lambda batches: batches.cancel(job))
        except Exception as exc:
            self.app.call_from_thread(self.notify, f"Not canceled: {exc}", severity="error")
            return
        said = f"Cancel asked for job {job.id}." if n else f"Job {job.id} is not running."
        self.app.call_from_thread(self.notify, said)


def _read_jobs(access: BatchAccess) -> list[tuple[BatchJob, tuple[str, ...]]]:
    listing = BatchStore(access.store).listing(limit=500)
    return [(job, job_row(job, count, usd, access.catalog)) for job, count, usd in listing]


def _read_items(access: BatchAccess, job_id: int) -> list[BatchItem]:
    return BatchStore(access.store).items(job_id)


class DraftPicks(SelectionList[str]):
    """Space picks as the list reads the key. Left to its binding, the app looks the key up once
    it has come back from the list, in the chain of whatever has focus then: a Tab typed right
    after it (a priority binding, bindings.py) has moved the focus, and the Space did nothing."""

    def key_space(self, event: events.Key) -> None:
        event.stop()  # not on to the app, which would toggle it back
        self.action_select()


class NewBatch(ModalScreen[NewJob | None]):
    """Drafts to send, the instruction for each, and the model."""

    CSS_PATH = "dialogs.tcss"  # beside this module; read when first shown

    BINDINGS = [Binding("escape", "dismiss(None)", "Cancel", id="new_batch.cancel")]

    def __init__(self, drafts: list[DraftFile], catalog: Catalog) -> None:
        super().__init__()
        self.drafts = drafts
        self.catalog = catalog

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="new-batch"):
            yield Static("A batch job on drafts: one request each, at half price", classes="question")
            yield DraftPicks(*((visible(d.name), d.name) for d in self.drafts), id="batch-drafts")
            yield Input(placeholder="What to do with each draft, e.g. Proofread it", id="batch-instruction")
            models = [(m.name, m.id) for m in self.catalog.models[:3]]
            yield Select(models, value=models[1][1] if len(models) > 1 else models[0][1], allow_blank=False,
                         id="batch-model")  # fmt: skip
            with Horizontal(classes="buttons"):
                yield Button("Estimate", variant="primary", id="batch-go")
                yield Button("Cancel", id="batch-cancel")
            yield Static("Space picks drafts · Tab moves · Escape cancels", classes="hint")

    def on_mount(self) -> None:
        self.query_one(SelectionList).focus()

    @on(Button.Pressed, "#batch-cancel")
    def _cancel(self) -> None:
        self.dismiss(None)

    @on(Button.Pressed, "#batch-go")
    @on(Input.Submitted)
    def _go(self) -> None:
        chosen = sorted(self.query_one(SelectionList).selected)
        instruction = self.query_one(Input).value.strip()
        if not chosen or not instruction:
            self.notify("Pick at least one draft and say what to do with it.", severity="warning")
            return
        model = self.query_one(Select).value
        self.dismiss(NewJob(chosen, instruction, str(model)))


class ResultDiff(ModalScreen[bool]):
    """A batch result against its draft, line by line; Accept takes it (one undo step)."""

    CSS_PATH = "dialogs.tcss"  # beside this module; read when first shown

    BINDINGS = [Binding("escape", "dismiss(False)", "Leave", id="result_diff.leave")]

    def __init__(self, draft: str, before: str, after: str) -> None:
        super().__init__()
        self.draft, self.before, self.after = draft, before, after

    def compose(self) -> ComposeResult:
        diff = Text()
        for line in difflib.unified_diff(self.before.splitlines(), self.after.splitlines(), lineterm="", n=2):
            if line.startswith(("---", "+++")):
                continue
            style = "green" if line.startswith("+") else "red" if line.startswith("-") else "dim"
            diff.append(visible(line) + "\n", style=style)
        with Vertical(classes="dialog", id="result-diff"):
            yield Static(f"The batch result for {visible(self.draft)}", classes="question", markup=False)
            with VerticalScroll(id="diff-lines"):
                yield Static(diff if diff.plain else Text("(no change)", style="dim"))
            with Horizontal(classes="buttons"):
                yield Button("Accept into the draft", variant="primary", id="diff-accept")
                yield Button("Leave it", id="diff-leave")
            yield Static("Accept replaces the draft's text in the editor (Ctrl+Z undoes)", classes="hint")

    def on_mount(self) -> None:
        self.query_one("#diff-accept", Button).focus()

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "diff-accept")
