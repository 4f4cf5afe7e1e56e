"""The draft pane: new, open, save, save as, recovery; and Claude's saves and edits, shown as they land.

It keeps the engine's Draft in step with the editor (editor text -> Draft.text) and applies the draft
changes that tools report. Unsaved text goes to this studio's own recovery file every few seconds,
so a crash loses nothing: the next start offers it back. A draft another running studio has open is
opened only after saying so, and a draft Claude's save_draft replaced comes back with one key.
"""

from __future__ import annotations

import contextlib
import threading
from datetime import datetime
from typing import Any

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import TextArea

from studio.core.diskio import remove_stale_temps
from studio.core.drafts import DraftConflict, DraftError, count_words
from studio.core.loop_turn import let_the_loop_run
from studio.core.recovery import RecoveryStore
from studio.core.tools import DraftChange
from studio.core.workspace import Draft, Workspace
from studio.ui.asking import agree, choose, name_draft, pick_draft
from studio.ui.bindings import key_label
from studio.ui.chat import NoticeLevel
from studio.ui.editor import DraftEditor

AUTOSAVE_SECONDS = 2.0
RESTORE_ID = "restore_replaced"  # the binding that brings back what save_draft replaced


class DraftPane(Vertical):
    class Said(Message):
        """Something the writer should read in the conversation, not only in a passing toast."""

        def __init__(self, text: str, level: NoticeLevel) -> None:
            super().__init__()
            self.text, self.level = text, level

    def __init__(self, workspace: Workspace, recovery: RecoveryStore, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.workspace = workspace
        self.recovery = recovery
        self._recovered_text: str | None = None  # what the recovery file holds now
        self._recovery_failed = False
        self._copying = threading.Lock()  # one writer of the recovery file at a time
        self._copies = 0  # recovery writes so far: a background write queued before another is dropped
        self._replaced: str | None = None  # the key of the version save_draft last wrote over

    def compose(self) -> ComposeResult:
        yield DraftEditor(id="draft")

    @property
    def editor(self) -> DraftEditor:
        return self.query_one(DraftEditor)

    @property
    def draft(self) -> Draft:
        return self.workspace.draft

    def on_mount(self) -> None:
        """Disk work: the writing screen is built after the first frame (opening.py)."""
        self.recovery.instances.forget_dead()
        self._show_title()  # registers this studio, before any copy of its own is written
        self._sweep_temps()
        self.set_interval(AUTOSAVE_SECONDS, self._autosave)

    @work(thread=True, group="sweep")
    def _sweep_temps(self) -> None:
        """Half-written temp files of studios killed mid-save: walking a big drafts folder is
        slow disk work, kept off the start-up path."""
        self.workspace.store.remove_stale_temps()
        for folder in (
            self.recovery.folder,
            self.recovery.instances.folder,
            *([self.workspace.versions.folder] if self.workspace.versions else []),
        ):
            remove_stale_temps(folder, recursive=False)

    def on_unmount(self) -> None:
        self.recovery.instances.release()

    # -- keeping state in step -------------------------------------------------------------

    @on(TextArea.Changed, "#draft")
    def _typed(self) -> None:
        if self.editor.previewing:
            return
        text = self.editor.text
        if text == self.draft.text:
            return  # Claude's own change, already in the draft (and titled by `apply`)
        self.draft.text = text
        self._show_title()

    def _show_title(self, note: str = "") -> None:
        self.editor.show_title(self.draft.name, self.draft.dirty, note)
        self.recovery.instances.register(self.workspace.store.root, self.draft.name)

    def _key_name(self, binding_id: str) -> str:
        return key_label(self.app, binding_id)

    def keep_recovery(self) -> None:
        """Write unsaved text aside (or forget it once saved), now: on exit, after a save or a
        restore (a background write under way finishes first)."""
        root, name, text = self.workspace.store.root, self.draft.name, self.draft.text
        failure: OSError | DraftError | None = None
        with self._copying:
            self._copies += 1
            try:
                if self.draft.dirty and text != self._recovered_text:
                    self.recovery.write(name, text, drafts_root=root)
                    self._recovered_text = text
                elif not self.draft.dirty and self._recovered_text is not None:
                    self.recovery.clear(name, drafts_root=root)
                    self._recovered_text = None
            except (OSError, DraftError) as exc:
                failure = exc
        self._copy_kept(failure)

    def _autosave(self) -> None:
        """The timer's: the same, with the writing in a thread (JSON and fsync of a 1 MB draft
        take 10-60 ms, a stall the writer would feel every two seconds)."""
        if self.draft.dirty and self.draft.text != self._recovered_text:
            self._copy_aside(self.draft.name, self.draft.text, self._copies)
        elif not self.draft.dirty and self._recovered_text is not None:
            self.keep_recovery()  # forgetting the copy is one unlink

    @work(thread=True, group="recovery-copy")
    def _copy_aside(self, name: str | None, text: str, copies: int) -> None:
        """The draft as it was at the tick (read on the UI's thread, never here)."""
        failure: OSError | DraftError | None = None
        with self._copying:
            if copies != self._copies:
                return  # a save, an exit or an earlier tick wrote since: the next tick looks again
            self._copies += 1
            try:
                self.recovery.write(name, text, drafts_root=self.workspace.store.root)
                self._recovered_text = text
            except (OSError, DraftError) as exc:
                failure = exc
        if failure is not None or self._recovery_failed:
            self.app.call_from_thread(self._copy_kept, failure)

    def _copy_kept(self, failure: OSError | DraftError | None) -> None:
        if failure is None:
            self._recovery_failed = False
        elif not self._recovery_failed:  # once, not every two seconds
            self._recovery_failed = True
            self.notify(
                f"{failure} Save the draft with {self._key_name('save_draft')}.",
                severity="warning",
                timeout=10,
            )

    # -- Claude's changes ------------------------------------------------------------------

    def preview(self, partial: dict[str, Any]) -> None:
        """save_draft's input as it streams: the text appears while Claude writes it."""
        content = partial.get("content")
        if isinstance(content, str):
            self.editor.preview(content)
            name = partial.get("filename")
            name = name if isinstance(name, str) and name else None
            self.editor.show_title(name or self.draft.name, False, f"Claude is writing {name or 'a draft'}…")

    def abandon_preview(self) -> None:
        """The tool never ran (stopped, failed, refused): the writer's text comes back."""
        if self.editor.previewing:
            self.editor.end_preview()
            self._show_title()

    async def apply(self, change: DraftChange) -> None:
        if change.kind == "saved" and self.editor.catch_up(change.text):
            await let_the_loop_run()  # the last words streamed, then the draft kept: a turn each
        if change.kind == "edited":
            self.editor.replace_passage(change.start, change.old, change.new)
            self._show_title("Claude edited this · Ctrl+Z undoes")
            return
        if change.before_name == change.name or (not change.before_dirty):
            # Same document, or nothing unsaved to protect: one undo step returns the old text.
            if change.before_name == change.name:
                self.editor.replace_all(change.text)
            else:
                self.editor.open_text(change.text)
        else:
            # The writer had unsaved text in another draft: keep it, in undo and in recovery.
            try:
                self.recovery.write(
                    change.before_name, change.before_text, drafts_root=self.workspace.store.root
                )
            except (OSError, DraftError) as exc:  # undo still has it; the copy on disk does not
                self.notify(f"{exc} Ctrl+Z in the draft still brings it back.", severity="warning")
            self.editor.replace_all(change.text)
            self.notify(
                f"Your unsaved {change.before_name or 'untitled draft'} is kept: Ctrl+Z in "
                "the draft brings it back.",
                timeout=8,
            )
        self.keep_recovery()  # saved: a copy of this draft's earlier edits is superseded
        if change.replaced_key is None:
            self._show_title(f"saved by Claude {datetime.now():%H:%M}")
            return
        self._replaced = change.replaced_key
        key = self._key_name(RESTORE_ID)
        self._show_title(f"replaced by Claude · {key}: previous version")
        said = (
            f"Claude replaced drafts/{change.name} ({change.replaced_words} words); {key} brings "
            "the previous version back."
        )
        self.post_message(self.Said(said, "warn"))

    # -- the writer's commands -------------------------------------------------------------

    @work(exclusive=True, group="draft-command")
    async def save(self, *, ask_name: bool = False) -> bool:
        """Ctrl+S (or Save as): atomic save; asks before overwriting a file changed on disk."""
        name = self.draft.name
        if ask_name or name is None:
            name = await name_draft(self.app, "Save the draft as (in the drafts folder):", name or "")
            if name is None:
                return False
        store, text = self.workspace.store, self.draft.text
        try:
            name = store.normalise(name)
            same_file = name == self.draft.name
            if (
                not same_file
                and store.stamp(name) is not None
                and not await self._confirm(
                    f"{name} already exists in the drafts folder. Replace it?", "Replace"
                )
            ):
                return False
            try:
                saved = store.save(name, text, expected=self.draft.stamp if same_file else None)
            except DraftConflict as conflict:
                if not await self._confirm(
                    f"{conflict} Overwrite it with the text in the editor?", "Overwrite"
                ):
                    return False
                saved = store.save(name, text, overwrite_changed=True)
        except DraftError as exc:
            self.notify(str(exc), severity="error", timeout=10)
            return False
        old_name = self.draft.name
        self.draft.name, self.draft.saved_text, self.draft.stamp = saved.name, text, saved.stamp
        if old_name != saved.name and self._recovered_text is not None:
            self.recovery.clear(old_name, drafts_root=store.root)
        self.keep_recovery()
        self._show_title(f"saved {datetime.now():%H:%M} · {saved.words} words")
        return True

    async def _confirm(self, question: str, action: str) -> bool:
        return await agree(self.app, question, action)

    async def _may_leave(self, doing: str) -> bool:
        """Before replacing the open draft: save, discard or stay. Never drops text silently."""
        if not self.draft.dirty or not self.draft.text.strip():
            return True
        answer = await choose(
            self.app,
            f"{self.draft.title} has unsaved changes. Save them before {doing}?",
            [("save", "Save"), ("discard", "Discard"), ("cancel", "Cancel")],
        )
        if answer == "save":
            worker = self.save()
            await worker.wait()
            return bool(worker.result)
        if answer == "discard":
            self.recovery.clear(self.draft.name, drafts_root=self.workspace.store.root)
            self._recovered_text = None
            return True
        return False

    @work(exclusive=True, group="draft-command")
    async def bring_back(self) -> None:
        """The draft save_draft last wrote over, back on disk and in the editor. What it replaces is
        kept the same way, so the same key swaps them again."""
        store, versions = self.workspace.store, self.workspace.versions
        if self._replaced is None or versions is None:
            self.notify("Claude has not replaced a draft in this session.")
            return
        try:
            name, text = versions.load(self._replaced, drafts_root=store.root)
        except DraftError as exc:
            self.notify(str(exc), severity="error", timeout=10)
            return
        if not await self._may_leave(f"bringing back the previous {name}"):
            return
        kept, expected = None, None
        try:
            if store.resolve(name).exists():
                current, expected = store.read(name)
                kept = versions.keep(name, current, drafts_root=store.root)
            saved = store.save(name, text, expected=expected)
        except DraftError as exc:
            if kept is not None:
                versions.discard(kept)
            self.notify(str(exc), severity="error", timeout=10)
            return
        versions.discard(self._replaced)
        self._replaced = kept
        self._load(saved.name, text, saved.stamp)
        self._show_title(f"previous version · {self._key_name(RESTORE_ID)} swaps back")
        self.editor.focus()

    @work(exclusive=True, group="draft-command")
    async def new_draft(self) -> None:
        if not await self._may_leave("starting a new draft"):
            return
        self._load(None, "", None)
        self.editor.focus()

    @work(exclusive=True, group="draft-command")
    async def open_draft(self) -> None:
        store = self.workspace.store
        name = await pick_draft(self.app, str(store.root), store.list())
        if name is None or not await self._open_elsewhere_ok(name):
            return
        await self._open(name)

    @work(exclusive=True, group="draft-command")
    async def open_found(self, name: str, path: str | None) -> None:
        """A draft found by search (F5): opened as Ctrl+O would, if it is in this drafts folder."""
        store = self.workspace.store
        try:
            here = str(store.resolve(name))
        except DraftError:
            here = None
        if path is not None and here != path:
            self.notify(
                f"{name} was saved in another drafts folder ({path}).", severity="warning", timeout=10
            )
            return
        if await self._open_elsewhere_ok(name):
            await self._open(name)

    async def _open(self, name: str) -> None:
        """Open `name` in the editor, once unsaved text has been asked about."""
        if not await self._may_leave(f"opening {name}"):
            return
        try:
            text, stamp = self.workspace.store.read(name)
        except DraftError as exc:
            self.notify(str(exc), severity="error", timeout=10)
            return
        self._load(name, text, stamp)
        self.editor.focus()

    def _open_elsewhere(self, name: str) -> str | None:
        """Which other running studios have this draft open ("process 123, since …"), if any."""
        others = self.recovery.instances.others_with(self.workspace.store.root, name)
        if not others or name == self.draft.name:
            return None
        return ", ".join(
            f"process {o.pid}, since {datetime.fromtimestamp(o.since):%Y-%m-%d %H:%M}" for o in others
        )

    async def _open_elsewhere_ok(self, name: str) -> bool:
        """Like vim's swap file: another running studio has this draft open; open it anyway?"""
        who = self._open_elsewhere(name)
        return who is None or await self._confirm(
            f"{name} is open in another studio ({who}). Each studio keeps its own unsaved text, and "
            "a save over the other's asks first. Open it here too?",
            "Open anyway",
        )

    def reopen(self, name: str) -> None:
        """The draft a reopened conversation worked on, unless the open one has unsaved text or
        another running studio has it open (then the writer is told, and Ctrl+O can still open it)."""
        if self.draft.dirty and self.draft.text.strip():
            return
        if who := self._open_elsewhere(name):
            self.notify(
                f"{name} is open in another studio ({who}), so it was not reopened here. "
                f"{self._key_name('open_draft')} opens it anyway.",
                timeout=10,
            )
            return
        try:
            text, stamp = self.workspace.store.read(name)
        except DraftError:  # deleted or renamed since: the conversation opens all the same
            return
        self._load(name, text, stamp)

    def _load(self, name: str | None, text: str, stamp: Any, saved_text: str | None = None) -> None:
        self.draft.name, self.draft.text, self.draft.stamp = name, text, stamp
        self.draft.saved_text = text if saved_text is None else saved_text
        self._recovered_text = None
        self.editor.open_text(text)
        self._show_title()

    @work(exclusive=True, group="draft-command")
    async def take(self, name: str, text: str) -> None:
        """A batch result the writer accepted: their draft opened (asking about unsaved text in
        another), then replaced in one undo step, unsaved until they save it."""
        if name != self.draft.name:
            if not await self._may_leave(f"opening {name}"):
                return
            try:
                current, stamp = self.workspace.store.read(name)
            except DraftError as exc:
                self.notify(str(exc), severity="error", timeout=10)
                return
            self._load(name, current, stamp)
        self.editor.replace_all(text)
        self._show_title(f"batch result taken · Ctrl+Z undoes · {self._key_name('save_draft')} saves")
        self.editor.focus()

    @work(group="recovery")
    async def offer_recovery(self) -> None:
        """After a crash: offer the newest unsaved text back, one draft at a time."""
        store = self.workspace.store
        for found in self.recovery.pending(drafts_root=store.root):
            when = datetime.fromtimestamp(found.saved_at).strftime("%Y-%m-%d %H:%M")
            answer = await choose(
                self.app,
                f"Unsaved text of {found.name or 'an untitled draft'} from {when} "
                f"({count_words(found.text)} words) was kept when studio last stopped. Restore it?",
                [("restore", "Restore"), ("discard", "Discard")],
            )
            if answer == "restore":
                on_disk, stamp = "", None
                if found.name is not None:
                    with contextlib.suppress(DraftError):
                        on_disk, stamp = store.read(found.name)
                self._load(found.name, found.text, stamp, saved_text=on_disk)
                self.keep_recovery()  # this studio's own copy first, then the dead one's goes
                if self._recovered_text == found.text or not self.draft.dirty:
                    self.recovery.discard(found.key)
                self.notify(f"Restored. {self._key_name('save_draft')} saves it.")
                return
            self.recovery.discard(found.key)
