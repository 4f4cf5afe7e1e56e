"""What becomes of each request in a Message Batch: its fate, and the result line it leaves.

Every outcome the API can give a batch item can be shown without scripting anything:

Fates, decided in this order when the item's turn comes:

1. ``LoopbackServer.batch_fate(custom_id, params)``, if set, returns ``"succeeded"``,
   ``"errored"``, ``"expired"`` or ``"canceled"``; ``None`` leaves it to the rules below. Anything
   else, or an exception, makes the item ``errored`` with an ``api_error`` naming the hook's fault.
2. The last user message contains ``[[errored]]``: ``errored`` with an ``invalid_request_error``
   that names the marker.
3. The last user message contains ``[[expired]]``: ``expired``.
4. Otherwise ``succeeded``. Items still waiting when the batch is canceled end ``canceled``.

A succeeded item's message is what the server's ``/v1/messages`` would answer without streaming
(its ``default`` reply, the demo's by default), and its usage goes through the same simulated
prompt cache, so a batch whose items share a marked instruction prefix writes it once and reads it
after (the API promises cache hits in batches only on a best-effort basis; this one always hits).
``service_tier`` is ``"batch"``, as the API reports for batch work.

Triage (a yes/no question over a document) answers exactly ``yes`` or ``no``, so a batch of
triage requests can be checked by its client:

- A request is triage when its system prompt or its last user message contains
  "Answer yes or no" (any case, any spacing between the words).
- The *question line* is the first line holding that phrase, looked for in the system prompt
  first, then in the last user message. The *document* is the last user message's text, without
  the question line when the line came from there.
- The answer is ``yes`` when the document contains ``[[yes]]`` (any case), or when a word of five
  letters or more from the question line (the phrase itself left out) is also a whole word of the
  document, in any case; otherwise ``no``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any, Literal

from .builder import Context
from .cache import PromptCache
from .replies import Reply, TextReply
from .sse import last_user_text

ItemFate = Literal["succeeded", "errored", "expired", "canceled"]
FATES: tuple[ItemFate, ...] = ("succeeded", "errored", "expired", "canceled")
FateHook = Callable[[str, dict[str, Any]], str | None]

ERRORED_MARKER = "[[errored]]"
EXPIRED_MARKER = "[[expired]]"
YES_MARKER = "[[yes]]"
TRIAGE_PHRASE = re.compile(r"answer\s+yes\s+or\s+no", re.IGNORECASE)
_LONG_WORD = re.compile(r"[^\W\d_]{5,}")
_WORD = re.compile(r"[^\W\d_]+")


def item_result(
    custom_id: str,
    params: dict[str, Any],
    *,
    hook: FateHook | None,
    reply: Reply,
    cache: PromptCache | None,
    request_id: str,
) -> dict[str, Any]:
    """The ``result`` object of one processed item (never raises: a fault becomes ``errored``)."""
    try:
        fate, problem = _fate(custom_id, params, hook)
        if fate == "succeeded":
            return _succeeded(params, reply, cache, request_id)
    except Exception as exc:  # a bug in a hook or a reply script still answers like the API would
        return errored("api_error", f"loopback: {exc!r}")
    if fate == "errored":
        return errored("invalid_request_error", problem)
    return {"type": fate}


def errored(error_type: str, message: str) -> dict[str, Any]:
    """An errored result: the API's error envelope inside."""
    return {"type": "errored", "error": {"type": "error", "error": {"type": error_type, "message": message}}}


def triage_answer(params: dict[str, Any]) -> str | None:
    """``"yes"`` or ``"no"`` for a triage request (see the module), ``None`` for any other."""
    user = last_user_text(params)
    question, from_user = None, False
    for text, is_user in ((_system_text(params.get("system")), False), (user, True)):
        question = next((line for line in text.splitlines() if TRIAGE_PHRASE.search(line)), None)
        if question is not None:
            from_user = is_user
            break
    if question is None:
        return None
    document = "\n".join(line for line in user.splitlines() if line != question) if from_user else user
    if YES_MARKER in document.lower():
        return "yes"
    asked = {word.lower() for word in _LONG_WORD.findall(TRIAGE_PHRASE.sub(" ", question))}
    present = {word.lower() for word in _WORD.findall(document)}
    return "yes" if asked & present else "no"


def _fate(custom_id: str, params: dict[str, Any], hook: FateHook | None) -> tuple[ItemFate, str]:
    """The item's fate, and for ``errored`` the message the client will read."""
    if hook is not None:
        chosen = hook(custom_id, params)
        if chosen is not None:
            for fate in FATES:
                if chosen == fate:
                    return fate, f"{custom_id}: failed by the loopback's batch_fate hook"
            raise ValueError(f"batch_fate returned {chosen!r}; expected one of {', '.join(FATES)} or None")
    said = last_user_text(params)
    if ERRORED_MARKER in said:
        return "errored", (
            f"{custom_id}: the last user message carries the {ERRORED_MARKER} marker, so the "
            "loopback fails this request as the API fails an invalid one"
        )
    if EXPIRED_MARKER in said:
        return "expired", ""
    return "succeeded", ""


def _succeeded(
    params: dict[str, Any], reply: Reply, cache: PromptCache | None, request_id: str
) -> dict[str, Any]:
    """A full non-streaming Message, built as ``POST /v1/messages`` would build it."""
    context = Context({**params, "stream": False}, False, request_id, cache)
    answer = triage_answer(params)
    outcome = (TextReply(answer) if answer is not None else reply).build(context)
    data = json.loads(outcome.body) if outcome.chunks is None and outcome.body else None
    if outcome.status != 200 or not isinstance(data, dict):
        error = data.get("error") if isinstance(data, dict) else None
        if isinstance(error, dict):
            return errored(str(error.get("type", "api_error")), str(error.get("message", "")))
        return errored("api_error", f"loopback: the reply script answered {outcome.status} without a message")
    data["usage"]["service_tier"] = "batch"
    return {"type": "succeeded", "message": data}


def _system_text(system: Any) -> str:
    """The system prompt as text, whether a string or a list of text blocks."""
    if isinstance(system, str):
        return system
    if not isinstance(system, list):
        return ""
    return "\n".join(
        str(b.get("text", "")) for b in system if isinstance(b, dict) and b.get("type") == "text"
    )
