"""The studio's Textual app: the session, the writing screen that shows it, and what belongs to the
whole program (quitting, signals, crash reports, the terminal's line filter, the keymap)."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Iterable, Sequence
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from textual import work
from textual.actions import SkipAction
from textual.app import App, SystemCommand
from textual.binding import BindingType
from textual.filter import LineFilter
from textual.notifications import SeverityLevel
from textual.screen import ModalScreen, Screen

from studio import locations
from studio.config import Settings
from studio.core.catalog import Catalog
from studio.core.visible import visible
from studio.ui.asking import choose
from studio.ui.bindings import APP_BINDINGS, PALETTE_COMMANDS, key_label
from studio.ui.opening import OpeningScreen
from studio.ui.safe_lines import NoControls

if TYPE_CHECKING:  # imported after the first frame (opening.py), or at once when nothing is painted
    from studio.core.recovery import RecoveryStore
    from studio.core.session import Session
    from studio.ui.chat import NoticeLevel
    from studio.ui.main_screen import MainScreen

QUIT_WAIT = 5.0  # seconds Ctrl+Q waits for queued store writes before asking
UNMOUNT_WAIT = 2.0  # seconds any other exit waits for them
WRITING_MODE = "writing"  # the writing screen's, after the opening frame (opening.py)


class StudioApp(App[None]):
    TITLE = "studio"
    CSS_PATH = [Path(__file__).with_name("studio.tcss")]  # package data, beside this module
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (100, "-wide")]
    BINDINGS: ClassVar[list[BindingType]] = [*APP_BINDINGS]

    def __init__(self, settings: Settings) -> None:
        super().__init__()
        self.settings = settings
        self._loop: asyncio.AbstractEventLoop | None = None
        self._session: Session | None = None
        self._recovery: RecoveryStore | None = None
        self._notices: list[tuple[str, NoticeLevel]] = []  # what opening found wrong, said in the chat
        if settings.keymap:
            self.set_keymap(settings.keymap)
        if settings.demo:
            self.title = "studio · DEMO"
        self._settled_theme = False
        self._no_controls = NoControls()
        self.crash_report: Path | None = None

    @property
    def session(self) -> Session:
        """The conversation's engine, opened when first needed: in a terminal, after the first frame."""
        if self._session is None:
            self._session = self._open_session()
        return self._session

    @property
    def recovery(self) -> RecoveryStore:
        """Where unsaved drafts are copied (and which drafts other running studios have open)."""
        if self._recovery is None:
            from studio.core.instances import Instances
            from studio.core.recovery import RecoveryStore

            state = locations.state_dir()
            self._recovery = RecoveryStore(state / "recovery", Instances(state / "instances"))
        return self._recovery

    def _open_session(self) -> Session:
        from studio.core.session import Session
        from studio.ui.bindings import STUDIO_BINDINGS
        from studio.ui.keymap import keymap_problems

        session, store_problem = Session.open(self.settings, self._store_status)
        if store_problem:
            self._notices.append((store_problem, "warn"))
        self._notices += [(w, "warn") for w in keymap_problems(self.settings.keymap, STUDIO_BINDINGS)]
        return session

    def get_default_screen(self) -> Screen[None]:
        if self.is_headless:  # nothing to paint first (tests, screenshots): the studio at once
            return self._writing_screen("")
        settings = self.settings
        return OpeningScreen(Catalog.builtin().overridden(settings.models).info(settings.model).name)

    def _writing_screen(self, typed: str, to_send: str = "") -> MainScreen:
        from studio.ui.main_screen import MainScreen

        session, recovery = self.session, self.recovery
        self._match_settled_replies()
        self.theme_changed_signal.subscribe(self, self._match_settled_replies)
        screen = MainScreen(self.settings, session, recovery, self._notices, typed, to_send)
        # Styled when its widgets mount, by a stylesheet already current: without this, Textual's
        # switch_mode takes the new screen for one that missed a CSS change and reparses and
        # restyles every screen (about 20 ms, traced); if Textual renames it, only that comes back.
        screen._css_update_count = self._css_update_count
        return screen

    async def on_opening_screen_painted(self, message: OpeningScreen.Painted) -> None:
        """The first frame is out: build the writing screen, a mode of its own (Textual replaces no
        first screen), and show it. Keys typed meanwhile wait in the app's queue, then reach the
        writing screen's message box; what was typed before is in it already, and a message sent
        before goes once it is up."""
        opening = message.opening
        if self.screen is not opening:
            return
        self.add_mode(WRITING_MODE, partial(self._writing_screen, opening.typed, opening.to_send))
        await self.switch_mode(WRITING_MODE)

    @property
    def main_screen(self) -> MainScreen:
        from studio.ui.main_screen import MainScreen

        screen = self.screen_stack[0]
        assert isinstance(screen, MainScreen)
        return screen

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """While the first frame is up, only Ctrl+Q: a dialog opened then would be replaced with it."""
        return action == "quit" or not isinstance(self.screen, OpeningScreen)

    def get_line_filters(self) -> Sequence[LineFilter]:
        """Textual's filters, then one that keeps control characters from the terminal."""
        return [*super().get_line_filters(), self._no_controls]

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = True,
    ) -> None:
        """Every notification quotes names and messages from outside: never markup, never obeyed."""
        super().notify(
            visible(message), title=visible(title), severity=severity, timeout=timeout, markup=False
        )

    def _store_status(self, problem: str | None) -> None:
        """From the Keeper's thread: keeping stalled (`problem`) or recovered (None)."""
        if self._loop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._say_store_status, problem)

    def _say_store_status(self, problem: str | None) -> None:
        if self.is_running:
            self.main_screen.keeping_changed(problem)

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        main = self.main_screen
        for title, help_text, action in PALETTE_COMMANDS:
            namespace = self if action == "help" else main
            yield SystemCommand(
                title, f"{help_text} ({key_label(self, action)})", partial(self.run_action, action, namespace)
            )
        if main.can_retry and not main.turn_running:
            yield SystemCommand(
                "Retry",
                f"Retry the failed reply or continue a cut one ({key_label(self, 'retry')})",
                main.action_retry,
            )

    def on_batches_screen_job_started(self) -> None:
        """F6 started a job (BatchesScreen.JobStarted, handled by name: the screen's module and
        its widgets are imported only when F6 is first pressed): the writing screen, under it,
        follows jobs."""
        self.main_screen.follow_batches_soon()

    def _match_settled_replies(self, *_: object) -> None:
        from rich.theme import Theme

        from studio.ui.reply_view import settled_styles

        if self._settled_theme:
            self.console.pop_theme()
        self.console.push_theme(Theme(settled_styles(self.get_css_variables())))
        self._settled_theme = True

    def on_mount(self) -> None:
        self._loop = loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGHUP):
            loop.add_signal_handler(signum, self._stop_on_signal, signum)

    def _handle_exception(self, error: Exception) -> None:
        """A bug of ours: keep a masked report, then let Textual close the app (exit status 1)."""
        if self.crash_report is None:
            from studio.crash import write_report

            try:
                self.crash_report = write_report(error, self.settings.api_key)
            except OSError as exc:
                self.log.error(f"crash report not written: {exc}")
        super()._handle_exception(error)
        self._exit_renderables.clear()  # cli says where the report is, in one line

    def _fatal_error(self) -> None:
        """Textual's version renders a traceback with local variables (an API key among them)."""
        self._close_messages_no_wait()

    def _keep(self) -> None:
        if self._session is None:  # still the first frame: nothing to keep
            return
        from studio.ui.main_screen import MainScreen

        for screen in self.screen_stack[:1]:  # none if the app never finished mounting
            if isinstance(screen, MainScreen):
                screen.keep()

    def _stop_on_signal(self, signum: int) -> None:
        """SIGTERM/SIGHUP: close as Ctrl+Q does, without questions, keeping the unsaved draft (as
        its recovery copy) and the unsent message now, while the panes still exist."""
        self._keep()
        self.exit(return_code=128 + signum)

    async def on_unmount(self) -> None:
        self._keep()
        if self._session is not None:  # none if the app closed before its first frame was out
            await self._session.aclose(UNMOUNT_WAIT)

    # -- actions --------------------------------------------------------------------------------

    def action_help(self) -> None:
        from studio.ui.help import HelpScreen  # imported when first asked for

        self.push_screen(HelpScreen())

    def action_dialog_focus(self, direction: int) -> None:
        """Tab and Shift+Tab in a dialog. Outside one, skipped: the writing screen's own bindings
        then take the key."""
        if not isinstance(self.screen, ModalScreen):
            raise SkipAction()
        if direction > 0:
            self.screen.focus_next()
        else:
            self.screen.focus_previous()

    async def action_quit(self) -> None:
        if self._session is None:  # still the first frame: nothing typed is kept yet, nothing to ask
            self.exit()
            return
        self._quit()

    @work(exclusive=True, group="quit")
    async def _quit(self) -> None:
        """Quit; with unsaved changes, ask first (the recovery copy is kept until then)."""
        session = self.session
        draft = session.workspace.draft
        if draft.dirty and draft.text.strip():
            answer = await choose(
                self,
                f"{draft.title} has unsaved changes. Save before quitting?",
                [("save", "Save"), ("discard", "Quit without saving"), ("cancel", "Cancel")],
            )
            if answer == "cancel":
                return
            if answer == "save":
                worker = self.main_screen.action_save_draft()
                await worker.wait()
                if not worker.result:
                    return
            else:
                draft.saved_text = draft.text  # the writer chose: no recovery copy either
                self.recovery.clear(draft.name, drafts_root=session.workspace.store.root)
        session.keep_context()
        while not await asyncio.to_thread(session.flush, QUIT_WAIT):
            answer = await choose(
                self,
                f"{session.unkept} change(s) to the conversation or its costs are not on disk yet "
                f"({session.keeping_problem or 'the database is busy'}). They are lost if you quit "
                "now.",
                [("wait", "Keep trying"), ("quit", "Quit anyway")],
            )
            if answer != "wait":
                break
        self.exit()
