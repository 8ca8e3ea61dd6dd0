"""The secrets of one invocation, for masking what observability writes (log lines, metrics
lines, span attributes) even where the invocation is not the current context."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .context import Context

__all__ = ["invocation_secrets", "mask_text"]

MASK = "**********"


def invocation_secrets(ctx: Context) -> tuple[str, ...]:
    """The access key secret and STS token ``ctx`` resolved (none when the handler never read
    its credentials: no lookup happens here).

    Example:
        >>> import fcsdk as fc
        >>> invocation_secrets(fc.Context.of({"x-fc-access-key-secret": "abcdefgh"}))
        ()
    """
    creds = ctx._cache.get("credentials")
    if creds is None:
        return ()
    return tuple(s for s in (creds.access_key_secret, creds.security_token) if s and len(s) >= 6)


def mask_text(text: str, secrets: tuple[str, ...]) -> str:
    """``text`` with every secret replaced by the mask.

    Example:
        >>> mask_text("key=abcdefgh", ("abcdefgh",))
        'key=**********'
    """
    for secret in secrets:
        if secret in text:
            text = text.replace(secret, MASK)
    return text
