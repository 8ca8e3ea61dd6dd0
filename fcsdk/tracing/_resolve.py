"""The collector's address, looked up within the export's deadline.

``socket.create_connection`` resolves the host with ``getaddrinfo``, which no socket timeout
bounds: a slow or unreachable DNS server can hold it for seconds (5 s per attempt with glibc's
defaults), far past the export's bound, on the invocation's own thread. So the lookup runs in a
helper thread that the invocation waits for at most the time left; a lookup that is late fails
the export (the handler returns normally, as for a silent collector), and when it completes its
answer is kept for the next invocations: at most one lookup per host is in flight, however many
invocations wait for it. Answers are cached per process for :data:`DNS_TTL` seconds
(``getaddrinfo`` does not report the record's TTL) and dropped when a connection to them fails,
so a moved collector is found again. IP literals are never looked up. The cache holds host
names and addresses only, nothing about an invocation.
"""

from __future__ import annotations

import socket
import threading
import time
from typing import Any, Optional

__all__ = ["DNS_TTL", "LookupFailed", "forget", "resolve"]

#: Seconds a looked-up address is reused.
DNS_TTL = 30.0

AddrInfo = list[tuple[Any, ...]]
_lock = threading.Lock()
_cache: dict[tuple[str, int], tuple[float, AddrInfo]] = {}
_pending: dict[tuple[str, int], _Lookup] = {}


class LookupFailed(Exception):
    """The host could not be resolved in time, or not at all."""


class _Lookup:
    """One ``getaddrinfo`` call in a daemon thread; waiters share it."""

    def __init__(self, key: tuple[str, int]) -> None:
        self.key = key
        self.done = threading.Event()
        self.result: Optional[AddrInfo] = None
        self.error: Optional[OSError] = None

    def run(self) -> None:
        host, port = self.key
        try:
            self.result = socket.getaddrinfo(host, port, 0, socket.SOCK_STREAM)
        except OSError as exc:
            self.error = exc
        finally:
            with _lock:
                _pending.pop(self.key, None)
                if self.result:
                    _cache[self.key] = (time.monotonic() + DNS_TTL, self.result)
            self.done.set()


def _literal(host: str, port: int) -> Optional[AddrInfo]:
    for family in (socket.AF_INET, socket.AF_INET6):
        try:
            socket.inet_pton(family, host)
        except (OSError, ValueError):
            continue
        address = (host, port) if family == socket.AF_INET else (host, port, 0, 0)
        return [(family, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", address)]
    return None


def resolve(host: str, port: int, timeout: float) -> AddrInfo:
    """``getaddrinfo(host, port)`` for TCP, waited for at most ``timeout`` seconds (cached).

    Raises:
        LookupFailed: the lookup failed or did not finish within ``timeout``.

    Example:
        >>> resolve("127.0.0.1", 4318, 0.1)[0][4]
        ('127.0.0.1', 4318)
    """
    literal = _literal(host, port)
    if literal is not None:
        return literal
    key = (host, port)
    start = False
    with _lock:
        hit = _cache.get(key)
        if hit is not None and hit[0] > time.monotonic():
            return hit[1]
        lookup = _pending.get(key)
        if lookup is None:
            lookup = _pending[key] = _Lookup(key)
            start = True
    if start:
        threading.Thread(target=lookup.run, name="fcsdk-otlp-dns", daemon=True).start()
    if not lookup.done.wait(max(timeout, 0.0)):
        raise LookupFailed(f"the DNS lookup of {host!r} did not finish in the {timeout:.2f} s left")
    if lookup.result is None:
        raise LookupFailed(f"cannot resolve {host!r}: {lookup.error}")
    return lookup.result


def forget(host: str, port: int) -> None:
    """Drop the cached address of ``host``: a connection to it failed.

    Example:
        >>> forget("collector.example", 4318)
    """
    with _lock:
        _cache.pop((host, port), None)
