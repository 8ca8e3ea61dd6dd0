"""What a store keeps (:class:`Record`) and what it must do (:class:`Store`).

A store has three atomic operations; all take the invocation's :class:`fcsdk.Context` (a store
may need its credentials):

- ``claim(key, record, context)``: write the in-progress ``record`` unless a live record (one
  whose ``expiry_ms`` has not passed) exists; return that live record, or None when claimed.
  An expired record is taken over in the same atomic step.
- ``complete(key, record, context)``: replace the record with the completed ``record`` only if
  the stored record still carries ``record.token`` (the lock was not lost); True when written.
- ``release(key, token, context)``: delete the record only if it carries ``token``.

Example:
    >>> rec = Record(IN_PROGRESS, 1_700_000_000_000, "t" * 32, "h" * 32)
    >>> Record.decode(rec.encode()) == rec
    True
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Optional, Protocol

if TYPE_CHECKING:
    from ..context import Context

__all__ = ["COMPLETED", "IN_PROGRESS", "Record", "Store"]

IN_PROGRESS = "P"
COMPLETED = "C"


@dataclass(frozen=True)
class Record:
    """One idempotency record.

    Attributes:
        status: ``"P"`` (in progress) or ``"C"`` (completed).
        expiry_ms: when it lapses, milliseconds since the epoch (in progress: the invocation's
            deadline; completed: completion + ``expires_after``).
        token: 32 hex characters naming the invocation that wrote it (compare-and-set).
        payload_hash: 32 hex characters of the payload's SHA-256 ("" when not validated).
        kind: ``"s"`` (a str body), ``"b"`` (bytes) or ``"j"`` (JSON of an inner function's
            result); "" while in progress.
        body: the stored body, byte-exact.

    Example:
        >>> Record(COMPLETED, 0, "t" * 32, "", "s", b"ok").text()
        'ok'
    """

    status: str
    expiry_ms: int
    token: str
    payload_hash: str
    kind: str = ""
    body: bytes = b""

    def text(self) -> str:
        """The body as text (UTF-8, lone surrogates kept as FC's runtime would send them).

        Example:
            >>> Record(COMPLETED, 0, "t" * 32, "", "s", "é".encode()).text()
            'é'
        """
        return self.body.decode("utf-8", "surrogatepass")

    def encode(self) -> bytes:
        """``status|token|expiry|hash|kind|body``: the token at a fixed offset (bytes 2-33), so a
        Lua script can compare it without parsing.

        Example:
            >>> Record(COMPLETED, 5, "t" * 32, "", "b", b"|x").encode()[-5:]
            b'|b||x'
        """
        head = f"{self.status}|{self.token}|{self.expiry_ms}|{self.payload_hash}|{self.kind}|"
        return head.encode("ascii") + self.body

    @classmethod
    def decode(cls, data: bytes) -> Record:
        """Parse :meth:`encode`'s bytes.

        Raises:
            ValueError: for bytes that are not a record (another program's key).

        Example:
            >>> Record.decode(b"P|" + b"t" * 32 + b"|7|||").expiry_ms
            7
        """
        parts = bytes(data).split(b"|", 5)
        if len(parts) != 6 or parts[0] not in (b"P", b"C") or len(parts[1]) != 32:
            raise ValueError("not an fcsdk idempotency record")
        return cls(
            parts[0].decode(),
            int(parts[2]),
            parts[1].decode(),
            parts[3].decode(),
            parts[4].decode(),
            parts[5],
        )


class Store(Protocol):
    """The three atomic operations a store provides (see the module docstring)."""

    def claim(self, key: str, record: Record, context: Context) -> Optional[Record]: ...

    def complete(self, key: str, record: Record, context: Context) -> bool: ...

    def release(self, key: str, token: str, context: Context) -> None: ...
