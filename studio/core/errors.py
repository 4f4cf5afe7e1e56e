"""Turn every failure of a request into words a writer can act on. No traceback reaches the screen."""

from __future__ import annotations

import anthropic
import httpx2

from studio.core.events import TurnFailed


def _api_message(exc: anthropic.APIStatusError) -> str:
    body = exc.body if isinstance(exc.body, dict) else {}
    error = body.get("error") if isinstance(body.get("error"), dict) else body
    return str(error.get("message") or exc.message)


def _retry_after(exc: anthropic.APIStatusError) -> float | None:
    headers = exc.response.headers
    try:
        if "retry-after-ms" in headers:
            return float(headers["retry-after-ms"]) / 1000
        if "retry-after" in headers:
            return float(headers["retry-after"])
    except ValueError:
        return None
    return None


def describe_failure(exc: BaseException, *, model: str, secret: str | None = None) -> TurnFailed:
    """The user-facing description of `exc`; `secret` (the API key) is scrubbed from every word."""
    failure = _describe(exc, model)
    if secret:
        failure = TurnFailed(
            failure.title.replace(secret, "***"),
            failure.detail.replace(secret, "***"),
            failure.retry_after,
            failure.kind,
        )
    return failure


def _describe(exc: BaseException, model: str) -> TurnFailed:
    if isinstance(exc, anthropic.AuthenticationError):
        return TurnFailed("Invalid API key (401)",
                          "The API did not accept the key. Press F4 to enter another.", kind="auth")
    if isinstance(exc, anthropic.PermissionDeniedError):
        return TurnFailed("Permission denied (403)", _api_message(exc), kind="auth")
    if isinstance(exc, anthropic.NotFoundError):
        return TurnFailed(f"Model {model!r} not found (404)",
                          f"{_api_message(exc)}. Press F2 to choose another model.", kind="model")
    if isinstance(exc, anthropic.RateLimitError):
        wait = _retry_after(exc)
        when = f"Try again in {wait:g} s." if wait is not None else "Try again shortly."
        return TurnFailed("Rate limited (429)", f"{_api_message(exc)}. {when}", wait, "rate_limit")
    if isinstance(exc, anthropic.OverloadedError):
        return TurnFailed("Claude is overloaded (529)",
                          "The API stayed overloaded through the automatic retries. Try again in a "
                          "moment, or pick a lighter model with F2.", kind="overloaded")
    if isinstance(exc, anthropic.APIStatusError) and exc.status_code == 200:
        body = exc.body if isinstance(exc.body, dict) else {}
        error = body.get("error", {}) if isinstance(body.get("error"), dict) else {}
        kind = error.get("type", "error")
        return TurnFailed("The reply broke off",
                          f"The API sent an error mid-reply ({kind}: {error.get('message', '')}).",
                          kind="stream_error")
    if isinstance(exc, anthropic.BadRequestError):
        return TurnFailed("Request refused (400)", _api_message(exc), kind="bad_request")
    if isinstance(exc, anthropic.APIStatusError):
        return TurnFailed(f"API error ({exc.status_code})", _api_message(exc), kind="server")
    if isinstance(exc, anthropic.APITimeoutError):
        return TurnFailed("The API timed out", "No answer in time. Try again.", kind="connection")
    if isinstance(exc, anthropic.APIConnectionError):
        return TurnFailed("Cannot reach the API",
                          "Check your connection or ANTHROPIC_BASE_URL.", kind="connection")
    if isinstance(exc, httpx2.TransportError):
        return TurnFailed("The connection dropped mid-reply",
                          f"{type(exc).__name__}: the stream ended before the reply was complete.",
                          kind="dropped")
    return TurnFailed("Unexpected error", f"{type(exc).__name__}: {exc}", kind="unexpected")
