"""The conversation as the API sees it: alternating turns of content blocks, tool calls always answered."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Block = dict[str, Any]
Message = dict[str, Any]

# What the studio sends when the writer continues a reply cut at max_tokens (newer models refuse a
# prefilled assistant turn, so it is asked for in words).
CONTINUE_REQUEST = "Please continue exactly where you stopped."


@dataclass(frozen=True)
class TouchedDraft:
    """The draft one tool call saved or edited (its name, None for an unnamed draft): what the chat
    shows for the call, kept as data rather than read back out of the result's sentence."""

    kind: Literal["saved", "edited"]
    name: str | None


@dataclass
class Conversation:
    """History sent with every request. Mutated only by the engine, `add_user` and `restore`.

    `touched` maps a tool_use id to the draft that call changed. It lives beside `messages`, never
    in them: `messages` is sent as it is, and the API refuses fields it does not know."""

    messages: list[Message] = field(default_factory=list)
    touched: dict[str, TouchedDraft] = field(default_factory=dict)

    def restore(self, messages: list[Message], touched: dict[str, TouchedDraft]) -> None:
        """Become a reopened conversation (or, given nothing, a new one) in place: the same
        object stays shared with whatever holds it."""
        self.messages[:] = messages
        self.touched = dict(touched)

    def add_user(self, text: str) -> None:
        """A new user turn; joins a pending user turn (tool results) so roles keep alternating."""
        block = {"type": "text", "text": text}
        if self.messages and self.messages[-1]["role"] == "user":
            self.messages[-1]["content"].append(block)
        else:
            self.messages.append({"role": "user", "content": [block]})

    def add_assistant(self, blocks: list[Block]) -> None:
        if blocks:
            self.messages.append({"role": "assistant", "content": blocks})

    def add_tool_results(self, results: list[Block]) -> None:
        if results:
            self.messages.append({"role": "user", "content": results})

    def mark(self) -> int:
        return len(self.messages)

    def rollback(self, mark: int) -> None:
        """Forget everything after `mark` (used to leave a refused exchange out of the history)."""
        for message in self.messages[mark:]:
            for call in _tool_ids(message):
                self.touched.pop(call, None)
        del self.messages[mark:]

    def pending_user_turn(self) -> bool:
        """True when the last message is the user's: a retry can run the turn again as it stands."""
        return bool(self.messages) and self.messages[-1]["role"] == "user"

    def last_user_index(self) -> int:
        """Index of the user message that starts the current exchange (-1 if none)."""
        for i in range(len(self.messages) - 1, -1, -1):
            message = self.messages[i]
            if message["role"] == "user" and any(b["type"] == "text" for b in message["content"]):
                return i
        return -1


NOT_RUN = "Not run: studio stopped before this tool ran."


def repaired(messages: list[Message]) -> list[Message]:
    """A stored conversation the API accepts: roles alternate from a user turn, every tool_use
    is answered by a tool_result in the next message (an error result if studio stopped before
    it ran), and no tool_result answers a call that is not there. Untouched assistant messages
    stay the same objects, so their marks (model, reply) can be found again."""
    out: list[Message] = []
    for message in messages:
        content = list(message.get("content") or [])
        if message.get("role") == "assistant":
            if out and out[-1]["role"] == "assistant":
                if _tool_ids(out[-1]):
                    out.append({"role": "user", "content": []})
                    _answer_all(out)
                else:
                    out[-1] = {"role": "assistant", "content": out[-1]["content"] + content}
                    continue
            if not out:
                out.append(
                    {
                        "role": "user",
                        "content": [{"type": "text", "text": "(The start of this conversation was lost.)"}],
                    }
                )
            out.append(
                message
                if content
                else {"role": "assistant", "content": [{"type": "text", "text": "(empty reply)"}]}
            )
        else:
            if out and out[-1]["role"] == "user":
                out[-1] = {"role": "user", "content": out[-1]["content"] + content}
            else:
                out.append({"role": "user", "content": content})
            _answer_all(out)
    if out and out[-1]["role"] == "assistant" and _tool_ids(out[-1]):
        out.append({"role": "user", "content": []})
        _answer_all(out)
    return out


def _tool_ids(message: Message) -> list[str]:
    return [b["id"] for b in message["content"] if b.get("type") == "tool_use"]


def _answer_all(out: list[Message]) -> None:
    """Make the last (user) message answer the calls of the one before: results first, in the
    calls' order, one each; then the writer's own blocks."""
    calls = _tool_ids(out[-2]) if len(out) > 1 else []
    content = out[-1]["content"]
    found = {b.get("tool_use_id"): b for b in content if b.get("type") == "tool_result"}
    results = [
        found.get(call) or {"type": "tool_result", "tool_use_id": call, "content": NOT_RUN, "is_error": True}
        for call in calls
    ]
    rest = [b for b in content if b.get("type") != "tool_result"]
    out[-1] = {
        "role": "user",
        "content": results + rest or [{"type": "text", "text": "(A tool result whose call was lost.)"}],
    }
