"""One conversation with Claude, whatever shows it: the full-screen studio, a line mode, a script.

The Session owns what a front end must never work out by hand: the conversation and the draft it
works on, where the kept history is rewritten from, each reply's ledger entry and spend, the
budget, the calibrated estimate of the next request, and the engine (loaded off the UI's first
frame: the SDK takes most of a second to import). A front end sends, stops, retries, switches
model and opens conversations through it, and renders the events it yields.

    session, problem = Session.open(settings)  # problem: the store could not be opened
    await session.start()
    async with aclosing(session.send("Write a haiku about rain")) as events:
        async for event in events:
            ...
    await session.aclose(wait=2.0)
"""

from __future__ import annotations

import asyncio
import importlib
import time
from collections.abc import AsyncGenerator, Callable
from contextlib import aclosing, suppress
from typing import TYPE_CHECKING, Literal

from studio import locations
from studio.core.budget import BudgetCheck
from studio.core.catalog import Catalog
from studio.core.conversation import CONTINUE_REQUEST, Conversation
from studio.core.drafts import DraftStore
from studio.core.events import (
    CostReported,
    ReplyStarted,
    SessionEvent,
    TextDelta,
    TurnDone,
    TurnEnd,
    TurnEnded,
    TurnFailed,
    TurnKind,
    TurnStarted,
)
from studio.core.history import History, RoundCopy
from studio.core.keeper import Keeper
from studio.core.recovery import ReplacedVersions
from studio.core.session_settings import SessionSettings
from studio.core.sizing import LARGE_REQUEST, Estimate, NextRequest, SizeCheck, Sizer, reported_prefix
from studio.core.spending import Spending
from studio.core.store import SavedSession, SessionSummary, Store
from studio.core.tokens import TokenizerUnavailable, encoding
from studio.core.tokens import release as release_tokenizer
from studio.core.usage import ReplyCost
from studio.core.workspace import Workspace

if TYPE_CHECKING:
    from studio.core.batches import BatchAccess
    from studio.core.engine import Engine
    from studio.core.search import Hit
    from studio.core.titles import TitleMade

TTL_SECONDS = {"5m": 300.0, "1h": 3600.0}


class SessionBusy(RuntimeError):
    """A turn is running: one at a time."""


class NothingToRetry(RuntimeError):
    """Retry was asked for, but no failed or cut reply is waiting."""


class Session:
    def __init__(
        self,
        settings: SessionSettings,
        *,
        catalog: Catalog,
        workspace: Workspace,
        history: History,
        spending: Spending,
        keeper: Keeper | None = None,
    ) -> None:
        self.settings = settings
        self.catalog = catalog
        self.model = settings.model
        self.workspace = workspace
        self.history = history
        self.spending = spending
        self.keeper = keeper
        workspace.store.on_saved = history.keep_draft  # every saved draft, searchable
        self.conversation = Conversation()
        self.sizer = Sizer()  # the next request's size
        self.engine: Engine | None = None
        self.engine_ready = asyncio.Event()
        self.unsent = ""  # the front end's unsent message, kept with the conversation
        # Whether Claude gets the draft tools (and the guide to the draft's versions); read when
        # the engine is built. `studio ask` without --draft has no draft to offer.
        self.draft_tools = True
        self.running = False
        self.can_retry = False
        self.can_continue = False
        self._stop = asyncio.Event()
        self._turn_start = 0  # first message of the current exchange: history rewrites from there

    @classmethod
    def open(
        cls, settings: SessionSettings, on_store_status: Callable[[str | None], None] | None = None
    ) -> tuple[Session, str | None]:
        """A session on the writer's own folders and store; also what went wrong opening the
        store (then conversations and costs are counted in memory only), in words."""
        state = locations.state_dir()
        workspace = Workspace(
            DraftStore(settings.drafts_dir, settings.max_draft_bytes), ReplacedVersions(state / "replaced")
        )
        # The demo's made-up replies and costs are kept apart from the writer's own.
        path = locations.data_dir() / ("demo.db" if settings.demo else "studio.db")
        store: Store | None = None
        problem = None
        try:
            store = Store(path)
        except Exception as exc:  # a read-only or full disk, a damaged file: say so at start
            problem = (
                f"{path} cannot be used ({type(exc).__name__}: {exc}). This conversation "
                "and its costs are counted, but will not be kept after you quit, and "
                "earlier spend is not in today's total."
            )
        keeper = Keeper(on_store_status or (lambda _: None))  # store writes: off the caller's loop
        spending = Spending(
            store, keeper, settings.session_budget, settings.daily_budget, TTL_SECONDS[settings.cache_ttl]
        )
        catalog = Catalog.builtin().overridden(settings.models)
        session = cls(
            settings,
            catalog=catalog,
            workspace=workspace,
            history=History(store, keeper),
            spending=spending,
            keeper=keeper,
        )
        return session, problem

    # -- the engine -------------------------------------------------------------------------

    async def start(self) -> None:
        """Import the SDK (in a thread: it is slow) and build the engine."""
        module = await asyncio.to_thread(importlib.import_module, "studio.core.engine")
        self.engine = self._new_engine(module)
        self.engine_ready.set()

    async def prepare(self) -> None:
        """Build in threads what the first reply and estimate would build on the loop, stalling it:
        the SDK's validator of stream events (10-40 ms) and, unless the API reported the size of the
        conversation, the tokenizer (its Rust core holds the interpreter 60-90 ms in one piece)."""
        await asyncio.to_thread((await self._engine()).prepare)
        if self.sizer.anchor is None:
            with suppress(TokenizerUnavailable):  # the first estimate says so
                await asyncio.to_thread(encoding)

    def _new_engine(self, module: object) -> Engine:
        s = self.settings
        config = module.EngineConfig(  # type: ignore[attr-defined]
            api_key=s.api_key,
            base_url=s.base_url,
            system_prompt=s.system_prompt,
            max_tokens=s.max_tokens,
            max_tool_rounds=s.max_tool_rounds,
            cache_ttl=s.cache_ttl,
        )
        workspace = self.workspace if self.draft_tools else None
        engine: Engine = module.Engine(config, self.catalog, workspace)  # type: ignore[attr-defined]
        return engine

    async def _engine(self) -> Engine:
        await self.engine_ready.wait()
        assert self.engine is not None
        return self.engine

    async def refresh_models(self) -> bool:
        """Merge the API's model list into the catalogue; False (quietly) if it cannot be had."""
        engine = await self._engine()
        try:
            listed = await engine.list_models()
        except Exception:  # offline, rate-limited: the built-in catalogue stands
            return False
        self.catalog = self.catalog.merged_with_api(listed).overridden(self.settings.models)
        engine.catalog = self.catalog
        return True

    async def check_key(self, key: str) -> TurnFailed | None:
        """None if the API accepts `key`; else what went wrong."""
        return await (await self._engine()).check_key(key)

    async def use_key(self, key: str, source: str) -> None:
        """From now on every request goes with `key`."""
        self.settings.api_key, self.settings.api_key_source = key, source
        old = await self._engine()
        self.engine = self._new_engine(importlib.import_module("studio.core.engine"))
        await old.aclose()

    def use_model(self, model: str) -> None:
        self.model = model

    @property
    def model_name(self) -> str:
        return self.catalog.info(self.model).name

    # -- the next request --------------------------------------------------------------------

    async def estimate(self, typed: str) -> Estimate | None:
        """The offline estimate of the request `typed` would make (None before the engine is
        loaded). Raises TokenizerUnavailable on a broken install."""
        if self.engine is None:
            return None
        count, model, conversation = self.engine.count_params, self.model, self.conversation
        return await asyncio.to_thread(  # the draft's diff, the counting: off the UI loop
            lambda: self.sizer.estimate(count(conversation, model, typed), conversation.messages, model)
        )

    async def exact_count(self, typed: str) -> int | None:
        """The API's own count; None when it cannot be had (offline, rate-limited, no key)."""
        if self.engine is None or not self.settings.api_key:
            return None
        try:
            return await self.engine.count_tokens(self.conversation, self.model, typed)
        except Exception:  # the estimate stands in; counting is a nicety, not worth a notice
            return None

    def next_request(self, estimate: Estimate | None, exact: int | None = None) -> NextRequest:
        """The estimate calibrated by what the API reported for earlier turns, and priced."""
        return self.sizer.priced(self.catalog.info(self.model), self.model, estimate, exact)

    async def size_check(self, text: str) -> SizeCheck:
        """Before sending: the request's size (counted exactly when large) and the model's limit.
        The raw estimate is kept, to calibrate against what the API reports for it."""
        await self.engine_ready.wait()
        try:
            estimate = await self.estimate(text) or Estimate(0)
        except TokenizerUnavailable:  # a broken install: no estimate, so no size check
            estimate = Estimate(0)
        self.sizer.sent(self.model, estimate)
        size = self.sizer.size(self.model, estimate)
        if size > LARGE_REQUEST:
            size = await self.exact_count(text) or size
        return SizeCheck(size, self.catalog.info(self.model).context_window)

    def budget(self) -> BudgetCheck:
        return self.spending.check()

    # -- turns -------------------------------------------------------------------------------

    def send(self, text: str) -> AsyncGenerator[SessionEvent, None]:
        """Add the writer's message (kept on disk before Claude answers); iterate the result to
        run the turn. Close it early (`aclosing`) and the turn ends as stopped or failed."""
        self._idle()
        self._begin_exchange()
        self.conversation.add_user(text)
        self.history.save(self.conversation, self._turn_start)
        return self._turn("send")

    @property
    def retry_kind(self) -> Literal["retry", "continue"] | None:
        if self.running:
            return None
        if self.can_continue:
            return "continue"
        if self.can_retry and self.conversation.pending_user_turn():
            return "retry"
        return None

    def retry(self) -> AsyncGenerator[SessionEvent, None]:
        """Run a failed turn again, or continue a reply cut at the output limit."""
        self._idle()
        kind = self.retry_kind
        if kind is None:
            raise NothingToRetry("nothing to retry")
        self._begin_exchange()
        if kind == "continue":
            self.conversation.add_user(CONTINUE_REQUEST)
        return self._turn(kind)

    def stop(self) -> None:
        """End the running reply now; the text so far is kept."""
        self._stop.set()

    def _idle(self) -> None:
        if self.running:
            raise SessionBusy("Claude is still replying")

    def _begin_exchange(self) -> None:
        # A new user message joins a last user message (tool results, a failed turn's message):
        # the history is rewritten from that one. An assistant message before it keeps its marks.
        messages = self.conversation.messages
        self._turn_start = len(messages) - (1 if messages and messages[-1]["role"] == "user" else 0)

    async def _turn(self, kind: TurnKind) -> AsyncGenerator[SessionEvent, None]:
        self.running, self.can_retry, self.can_continue = True, False, False
        self._stop = asyncio.Event()
        model = self.model
        entry = self.spending.ledger.start_reply(model)
        copy = RoundCopy(self.history, model, entry.number)
        ended: TurnEnd = "failed"
        last_cost: ReplyCost | None = None  # of the turn's last response
        try:
            yield TurnStarted(kind, model, entry)
            engine = await self._engine()
            async with aclosing(engine.run_turn(self.conversation, model, self._stop)) as events:
                async for event in events:
                    match event:
                        case ReplyStarted(round=round_no):
                            sent_at = time.time()
                            if round_no > 1:  # the rounds so far are complete: keep them
                                self.history.save(self.conversation, self._turn_start, model, entry.number)
                            copy.start(len(self.conversation.messages))
                        case TextDelta(text=text):
                            copy.add(text)
                        case CostReported(cost=cost):
                            if entry.responses == 0:
                                usage = cost.usage
                                self.sizer.calibrate(usage.input + usage.cache_read + usage.cache_write)
                            self.spending.record(entry, cost, self.history.session, sent_at)
                            last_cost = cost
                        case TurnDone(stop_reason=stop, can_continue=can_continue):
                            ended = "stopped" if stop == "stopped" else "done"
                            self.can_continue = can_continue
                            if stop not in ("stopped", "refusal"):  # a refusal took its exchange back
                                self.sizer.answered(model, last_cost, self.conversation.messages)
                        case TurnFailed(can_retry=can_retry):
                            self.can_retry = can_retry
                    yield event
        except asyncio.CancelledError:  # closing: the engine kept the text so far
            ended = "stopped"
            raise
        except GeneratorExit:
            # The front end stopped reading (it failed showing the reply): the message can go
            # again if it still waits for an answer.
            ended = "stopped" if self._stop.is_set() else "failed"
            self.can_retry = self.conversation.pending_user_turn()
            raise
        except Exception as exc:  # a bug of ours: say so plainly, keep the conversation
            ended, self.can_retry = "failed", True
            yield TurnFailed("Unexpected error", f"{type(exc).__name__}: {exc}", kind="unexpected")
        finally:
            self.history.save(self.conversation, self._turn_start, model, entry.number)
            copy.end(ended)
            if entry.responses == 0:
                self.spending.ledger.entries.remove(entry)
            self.running = False
        yield TurnEnded(ended, self.spending.news())

    # -- conversations -----------------------------------------------------------------------

    async def conversations(self) -> list[SessionSummary]:
        return await self.history.sessions()

    def earlier_conversations(self) -> list[SessionSummary]:
        """At start-up, before anything is queued: read at once."""
        return self.history.sessions_now()

    async def make_title(self) -> TitleMade | None:
        """After a turn: Haiku's title once the first reply is in, priced and kept (titles.py)."""
        from studio.core.titles import make_title  # after a turn, never at start-up

        return await make_title(self.settings, self.engine, self.conversation, self.history, self.spending)

    def forget(self, conversation_id: int) -> bool:
        """Delete a kept conversation (never the open one); its spend stays in the day's total."""
        return self.history.delete(conversation_id)

    def search(self, words: str, limit: int = 20) -> list[Hit]:
        """Full-text search of every kept message and saved draft, best first (core.search).
        Reads the store: call it from a thread. Raises SearchSyntaxError."""
        return self.history.search(words, limit)

    def new_conversation(self) -> None:
        self._idle()
        self.history.start_new()
        self._clear()
        self.spending.restart()

    async def open_conversation(self, conversation_id: int, keep_model: bool = False) -> SavedSession | None:
        """Reopen a kept conversation (None if it cannot be read). It goes on with the model it
        last used, unless `keep_model` or that model is not in the catalogue any more."""
        self._idle()
        return self._reopened(await self.history.load(conversation_id), keep_model)

    def open_latest_now(self, keep_model: bool = False) -> SavedSession | None:
        """`--continue` at start-up: the newest kept conversation, read at once."""
        earlier = self.history.sessions_now()
        return self._reopened(self.history.load_now(earlier[0].id), keep_model) if earlier else None

    def _reopened(self, saved: SavedSession | None, keep_model: bool) -> SavedSession | None:
        if saved is None:
            return None
        self._clear()
        self.conversation.restore([m.message for m in saved.messages], saved.touched)
        self.sizer.anchor = reported_prefix(saved, self.conversation.messages)
        if self.sizer.anchor is not None:  # sized from the API's figure: no tokenizer held for it
            release_tokenizer()
        self.spending.restart(saved.priced, lambda model: self.catalog.info(model).price, saved.last_reply)
        self.can_retry = self.conversation.pending_user_turn()
        last = saved.last_model
        if last and not keep_model and self.catalog.get(last):
            self.model = last
        return saved

    def _clear(self) -> None:
        self.conversation.restore([], {})
        self.sizer.anchor = None
        self.can_retry = self.can_continue = False

    # -- batch jobs ---------------------------------------------------------------------------

    def batch_access(self) -> BatchAccess | None:
        """Batch jobs in this session's store with its key; None without either. Imports the SDK:
        call it off the UI's loop (the engine's worker or a thread)."""
        from studio.core.batches import BatchAccess

        store = self.history.store
        if store is None or not self.settings.api_key:
            return None
        return BatchAccess(
            self.settings.api_key, self.settings.base_url, store, self.catalog, self.settings.system_prompt
        )

    # -- keeping ------------------------------------------------------------------------------

    def keep_context(self) -> None:
        """The unsent message and the open draft's name survive a crash or a quit."""
        self.history.keep_context(self.workspace.draft.name, self.unsent)

    def flush(self, wait: float) -> bool:
        """Wait up to `wait` seconds for queued store writes; False if some are still queued."""
        return self.keeper.flush(wait) if self.keeper is not None else True

    @property
    def unkept(self) -> int:
        return self.keeper.pending if self.keeper is not None else 0

    @property
    def keeping_problem(self) -> str | None:
        return self.keeper.problem if self.keeper is not None else None

    async def aclose(self, wait: float) -> None:
        """Let queued writes land (up to `wait` seconds), then close the engine's connections."""
        self.keep_context()
        if self.keeper is not None:
            await asyncio.to_thread(self.keeper.close, wait)
        if self.engine is not None:
            await self.engine.aclose()
