"""Turn every failure of a request into words a writer can act on. No traceback reaches the screen."""

from __future__ import annotations

import email.utils
import time

import anthropic
import httpx2

from studio.core.events import TurnFailed


def _api_message(exc: anthropic.APIStatusError) -> str:
    body = exc.body if isinstance(exc.body, dict) else {}
    error = body.get("error")
    if not isinstance(error, dict):
        error = body
    return str(error.get("message") or exc.message)


def retry_after(headers: httpx2.Headers) -> float | None:
    """The wait the API asks for, in seconds: `retry-after-ms`, else `retry-after` (seconds or a date)."""
    for name, scale in (("retry-after-ms", 1000.0), ("retry-after", 1.0)):
        try:
            return float(headers[name]) / scale
        except (KeyError, ValueError):
            pass
    when = email.utils.parsedate_tz(headers.get("retry-after", ""))
    return None if when is None else float(email.utils.mktime_tz(when) - time.time())


def _when(wait: float | None) -> str:
    """'Try again in …', in minutes once the wait is long (a retry-after over studio's own ceiling)."""
    if wait is None or wait <= 0:
        return "Try again shortly."
    if wait >= 120:
        return (
            f"The API asks to wait {wait / 60:.0f} min, longer than studio waits by itself: try again then."
        )
    return f"Try again in {wait:.0f} s." if wait >= 10 else f"Try again in {wait:g} s."


def describe_failure(
    exc: BaseException, *, model: str, secret: str | None = None, mid_reply: bool = False
) -> TurnFailed:
    """The user-facing description of `exc`; `secret` (the API key) is scrubbed from every word.
    `mid_reply`: the reply had begun, so a lost connection dropped it (the SDK raises either its own
    APIConnectionError or the transport's error then, depending on where the read broke)."""
    failure = _describe(exc, model, mid_reply)
    if secret:
        failure = TurnFailed(
            failure.title.replace(secret, "***"),
            failure.detail.replace(secret, "***"),
            failure.retry_after,
            failure.kind,
            failure.remedy,
        )
    return failure


def _describe(exc: BaseException, model: str, mid_reply: bool) -> TurnFailed:
    if isinstance(exc, anthropic.AuthenticationError):
        return TurnFailed(
            "Invalid API key (401)", "The API did not accept the key.", kind="auth", remedy="new_key"
        )
    if isinstance(exc, anthropic.PermissionDeniedError):
        return TurnFailed("Permission denied (403)", _api_message(exc), kind="auth")
    if isinstance(exc, anthropic.NotFoundError):
        return TurnFailed(
            f"Model {model!r} not found (404)", f"{_api_message(exc)}.", kind="model", remedy="other_model"
        )
    if isinstance(exc, anthropic.RateLimitError):
        wait = retry_after(exc.response.headers)
        return TurnFailed("Rate limited (429)", f"{_api_message(exc)}. {_when(wait)}", wait, "rate_limit")
    if isinstance(exc, anthropic.OverloadedError):
        wait = retry_after(exc.response.headers)
        return TurnFailed(
            "Claude is overloaded (529)",
            f"The API stayed overloaded through the automatic retries. {_when(wait)}",
            wait,
            "overloaded",
            "lighter_model",
        )
    if isinstance(exc, anthropic.APIStatusError) and exc.status_code == 200:
        body = exc.body if isinstance(exc.body, dict) else {}
        error = body.get("error", {}) if isinstance(body.get("error"), dict) else {}
        kind = error.get("type", "error")
        return TurnFailed(
            "The reply broke off",
            f"The API sent an error mid-reply ({kind}: {error.get('message', '')}).",
            kind="stream_error",
        )
    if isinstance(exc, anthropic.BadRequestError):
        return TurnFailed("Request refused (400)", _api_message(exc), kind="bad_request")
    if isinstance(exc, anthropic.APIStatusError):
        return TurnFailed(f"API error ({exc.status_code})", _api_message(exc), kind="server")
    if isinstance(exc, anthropic.APITimeoutError):
        return TurnFailed("The API timed out", "No answer in time. Try again.", kind="connection")
    if isinstance(exc, anthropic.APIConnectionError) and not mid_reply:
        return TurnFailed(
            "Cannot reach the API", "Check your connection or ANTHROPIC_BASE_URL.", kind="connection"
        )
    if isinstance(exc, anthropic.APIConnectionError | httpx2.TransportError):
        return TurnFailed(
            "The connection dropped mid-reply",
            f"{type(exc).__name__}: the stream ended before the reply was complete.",
            kind="dropped",
        )
    return TurnFailed("Unexpected error", f"{type(exc).__name__}: {exc}", kind="unexpected")
