"""The V3 request signature (ACS3-HMAC-SHA256) as the loopback gateway of the tests checks it,
written from Alibaba Cloud's public description of the signature (see tests/acs_server.py)."""

from __future__ import annotations

import hashlib
from urllib.parse import quote

__all__ = [
    "ALGORITHM",
    "APIError",
    "canonical_query",
    "encode",
    "parse_authorization",
    "string_to_sign",
]

ALGORITHM = "ACS3-HMAC-SHA256"


class APIError(Exception):
    """An error answer: HTTP status, error code and message."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status, self.code, self.message = status, code, message


def encode(text: str) -> str:
    """RFC 3986 percent-encoding as the V3 signature uses it (space %20, * %2A, ~ kept)."""
    return quote(text, safe="-_.~")


def canonical_query(pairs: list[tuple[str, str]]) -> str:
    return "&".join(f"{k}={v}" for k, v in sorted((encode(k), encode(v)) for k, v in pairs))


def parse_authorization(value: str) -> tuple[str, list[str], str]:
    """(access key id, signed header names, signature) from an ACS3 Authorization header."""
    scheme, _, rest = value.partition(" ")
    if scheme != ALGORITHM:
        raise APIError(
            400,
            "IncompleteSignature",
            "The request signature does not conform to Aliyun standards.",
        )
    fields = dict(part.strip().partition("=")[::2] for part in rest.split(","))
    key_id, signed, signature = (
        fields.get("Credential", ""),
        fields.get("SignedHeaders", ""),
        fields.get("Signature", ""),
    )
    if not (key_id and signed and signature):
        raise APIError(
            400,
            "IncompleteSignature",
            "The request signature does not conform to Aliyun standards.",
        )
    return key_id, signed.split(";"), signature


def string_to_sign(
    method: str, path: str, query: list[tuple[str, str]], headers: dict[str, str], signed: list[str]
) -> str:
    canonical_headers = "".join(f"{name}:{headers.get(name, '').strip()}\n" for name in signed)
    canonical = "\n".join(
        [
            method,
            quote(path or "/", safe="/-_.~"),
            canonical_query(query),
            canonical_headers,
            ";".join(signed),
            headers.get("x-acs-content-sha256", ""),
        ]
    )
    return f"{ALGORITHM}\n{hashlib.sha256(canonical.encode()).hexdigest()}"
