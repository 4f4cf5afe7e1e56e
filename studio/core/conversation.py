"""The conversation as the API sees it: alternating turns of content blocks, tool calls always answered."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

Block = dict[str, Any]
Message = dict[str, Any]

# What the studio sends when the writer continues a reply cut at max_tokens (newer models refuse a
# prefilled assistant turn, so it is asked for in words).
CONTINUE_REQUEST = "Please continue exactly where you stopped."


@dataclass
class Conversation:
    """History sent with every request. Mutated only by the engine and by `add_user`."""

    messages: list[Message] = field(default_factory=list)

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
