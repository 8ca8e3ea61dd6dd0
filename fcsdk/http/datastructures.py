"""Case-insensitive headers and multi-valued query parameters, as FC delivers them.

FC's HTTP trigger joins repeated headers and query parameters with commas
(``{"tag": "a,b"}``). ``obj[name]`` gives that value as FC sent it; ``getlist(name)`` splits it
back where that is safe: commas inside quotes or ``<...>`` are kept, and headers whose single
values contain commas (dates, ``User-Agent``, ``Cookie``, ``Authorization``...) are not split.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Union

__all__ = ["Headers", "QueryParams", "canonical_header_key", "split_commas"]

# Single-valued headers whose values may contain commas: never split.
_NO_SPLIT = frozenset(
    {
        "authorization",
        "content-disposition",
        "cookie",
        "date",
        "expires",
        "if-modified-since",
        "if-range",
        "if-unmodified-since",
        "last-modified",
        "location",
        "proxy-authenticate",
        "proxy-authorization",
        "referer",
        "retry-after",
        "set-cookie",
        "user-agent",
        "www-authenticate",
    }
)

_TOKEN = frozenset("!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")


def canonical_header_key(key: str) -> str:
    """The key as FC (Go's ``net/http``) canonicalizes it: ``accept-encoding`` -> ``Accept-Encoding``.

    Keys with characters outside the HTTP token set are returned unchanged, as Go does.

    Example:
        >>> canonical_header_key("x-fc-request-id")
        'X-Fc-Request-Id'
    """
    if not key or any(c not in _TOKEN for c in key):
        return key
    return "-".join(part[:1].upper() + part[1:].lower() for part in key.split("-"))


def split_commas(value: str) -> list[str]:
    """Split a comma-joined field value, keeping commas inside ``"..."`` and ``<...>``.

    Example:
        >>> split_commas('a, "b,c", <d,e>')
        ['a', '"b,c"', '<d,e>']
    """
    if "," not in value:
        return [value.strip()]
    out: list[str] = []
    buf: list[str] = []
    quoted = angled = escaped = False
    for ch in value:
        if escaped:
            escaped = False
        elif quoted and ch == "\\":
            escaped = True
        elif ch == '"':
            quoted = not quoted
        elif not quoted and ch == "<":
            angled = True
        elif not quoted and ch == ">":
            angled = False
        elif ch == "," and not quoted and not angled:
            out.append("".join(buf).strip())
            buf = []
            continue
        buf.append(ch)
    out.append("".join(buf).strip())
    return [part for part in out if part]


HeaderSource = Union[Mapping[str, str], Iterable[tuple[str, str]], None]


class Headers(Mapping[str, str]):
    """Request headers: a read-only, case-insensitive mapping.

    Example:
        >>> h = Headers({"Accept": "text/html, application/json", "X-Id": "7"})
        >>> h["accept"], h.getlist("ACCEPT"), "x-id" in h
        ('text/html, application/json', ['text/html', 'application/json'], True)
    """

    __slots__ = ("_items", "_lower")

    def __init__(self, source: HeaderSource = None) -> None:
        items: list[tuple[str, str]] = []
        if source is not None:
            pairs = source.items() if isinstance(source, Mapping) else source
            items = [(str(k), str(v)) for k, v in pairs]
        lower: dict[str, str] = {}
        for k, v in items:
            key = k.lower()
            lower[key] = f"{lower[key]},{v}" if key in lower else v
        self._items = items
        self._lower = lower

    def __getitem__(self, key: str) -> str:
        return self._lower[key.lower()]

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and key.lower() in self._lower

    def __iter__(self) -> Iterator[str]:
        return iter(self._lower)

    def __len__(self) -> int:
        return len(self._lower)

    def getlist(self, key: str) -> list[str]:
        """Every value of ``key``, split from FC's comma join where that is safe.

        Example:
            >>> Headers({"If-Modified-Since": "Wed, 21 Oct 2015 07:28:00 GMT"}).getlist(
            ...     "if-modified-since")
            ['Wed, 21 Oct 2015 07:28:00 GMT']
        """
        key = key.lower()
        value = self._lower.get(key)
        if value is None:
            return []
        if key in _NO_SPLIT:
            return [v for k, v in self._items if k.lower() == key]
        return split_commas(value)

    def raw_items(self) -> list[tuple[str, str]]:
        """The headers as received: ``(name, value)`` pairs in order, names in their case."""
        return list(self._items)

    def __repr__(self) -> str:
        return f"Headers({dict(self._items)!r})"


class QueryParams(Mapping[str, str]):
    """Query parameters: ``q[name]`` is the value as FC joined it, ``getlist`` splits it.

    Built from FC's ``queryParameters`` (one comma-joined value per name) or from a real query
    string (one pair per occurrence); both read the same: ``?tag=a&tag=b`` and FC's
    ``{"tag": "a,b"}`` give ``q["tag"] == "a,b"`` and ``q.getlist("tag") == ["a", "b"]``.
    Values from a real query string are never split: ``?tag=a%2Cb`` is one value, ``"a,b"``.

    Example:
        >>> q = QueryParams.from_string("tag=a&tag=b&q=caf%C3%A9")
        >>> q["tag"], q.getlist("tag"), q["q"]
        ('a,b', ['a', 'b'], 'café')
    """

    __slots__ = ("_items", "_joined", "_split")

    def __init__(self, source: HeaderSource = None, *, comma_joined: bool = True) -> None:
        """``comma_joined``: values are FC's comma joins (split by ``getlist``); False for pairs
        parsed from a query string, where a comma is part of the value."""
        self._split = comma_joined
        items: list[tuple[str, str]] = []
        if source is not None:
            pairs = source.items() if isinstance(source, Mapping) else source
            items = [(str(k), str(v)) for k, v in pairs]
        joined: dict[str, str] = {}
        for k, v in items:
            joined[k] = f"{joined[k]},{v}" if k in joined else v
        self._items = items
        self._joined = joined

    @classmethod
    def from_string(cls, query: str) -> QueryParams:
        """Parse a URL query string (``a=1&b=2``), keeping blank values."""
        from urllib.parse import parse_qsl

        return cls(parse_qsl(query, keep_blank_values=True), comma_joined=False)

    def __getitem__(self, key: str) -> str:
        return self._joined[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._joined)

    def __len__(self) -> int:
        return len(self._joined)

    def getlist(self, key: str) -> list[str]:
        """Every value of ``key``, split on FC's commas (``[]`` when absent).

        Example:
            >>> QueryParams({"id": "1,2"}).getlist("id")
            ['1', '2']
        """
        if not self._split:
            return [v for k, v in self._items if k == key]
        out: list[str] = []
        for k, v in self._items:
            if k == key:
                out.extend(v.split(","))
        return out

    def multi_items(self, *, split: bool = True) -> list[tuple[str, str]]:
        """All ``(name, value)`` pairs; with ``split``, FC's comma-joined values become separate
        pairs (values parsed from a query string are kept whole).

        Example:
            >>> QueryParams({"t": "a,b"}).multi_items()
            [('t', 'a'), ('t', 'b')]
        """
        if not split or not self._split:
            return list(self._items)
        return [(k, part) for k, v in self._items for part in v.split(",")]

    def to_query_string(self, *, split: bool = True) -> str:
        """An encoded query string (``t=a&t=b``), e.g. for an ASGI scope or a WSGI environ.

        Example:
            >>> QueryParams({"q": "café"}).to_query_string()
            'q=caf%C3%A9'
        """
        from urllib.parse import urlencode

        return urlencode(self.multi_items(split=split))

    def __repr__(self) -> str:
        return f"QueryParams({self._items!r})"
