"""CORS for the router: answers preflight requests and adds ``Access-Control-*`` headers.

Example:
    >>> from fcsdk.http import CORS, Router
    >>> app = Router(cors=CORS(allow_origins=["https://shop.example"]))
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Optional

from .._limits import clip
from .errors import HTTPError
from .request import Request
from .response import Response

__all__ = ["CORS"]

log = logging.getLogger("fcsdk.http")


@dataclass(frozen=True)
class CORS:
    """CORS settings.

    Parameters:
        allow_origins: origins allowed to call (``"*"`` for any).
        allow_methods: methods allowed in preflight answers.
        allow_headers: request headers allowed (``"*"`` echoes what the browser asks for).
        allow_credentials: send ``Access-Control-Allow-Credentials: true`` (the origin is then
            echoed instead of ``*``).
        expose_headers: response headers the browser may read.
        max_age: how long (s) a browser caches the preflight answer.

    Example:
        >>> from fcsdk.http import CORS
        >>> CORS().allows("https://any.example")
        True
    """

    allow_origins: Sequence[str] = ("*",)
    allow_methods: Sequence[str] = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")
    allow_headers: Sequence[str] = ("*",)
    allow_credentials: bool = False
    expose_headers: Sequence[str] = ()
    max_age: int = 600

    def allows(self, origin: str) -> bool:
        """Whether ``origin`` may call."""
        return "*" in self.allow_origins or origin in self.allow_origins

    def _origin_value(self, origin: str) -> str:
        if "*" in self.allow_origins and not self.allow_credentials:
            return "*"
        return origin

    def preflight(self, request: Request) -> Optional[Response]:
        """The answer to a CORS preflight (``OPTIONS`` + ``Access-Control-Request-Method``), or
        None when ``request`` is not one."""
        if request.method != "OPTIONS":
            return None
        origin = request.headers.get("origin")
        wanted = request.headers.get("access-control-request-method")
        if not origin or not wanted:
            return None
        # The client reads a fixed message: what it sent is only logged, never echoed.
        if not self.allows(origin):
            log.info("CORS preflight refused: origin %r is not allowed", clip(origin, 200))
            raise HTTPError(403, "CORS request not allowed")
        if wanted.upper() not in {m.upper() for m in self.allow_methods}:
            log.info("CORS preflight refused: method %r is not allowed", clip(wanted, 40))
            raise HTTPError(403, "CORS request not allowed")
        headers = [
            ("Access-Control-Allow-Origin", self._origin_value(origin)),
            ("Access-Control-Allow-Methods", ", ".join(self.allow_methods)),
            ("Access-Control-Max-Age", str(self.max_age)),
            ("Vary", "Origin"),
        ]
        asked = request.headers.get("access-control-request-headers")
        if "*" in self.allow_headers:
            if asked:
                headers.append(("Access-Control-Allow-Headers", asked))
        elif self.allow_headers:
            headers.append(("Access-Control-Allow-Headers", ", ".join(self.allow_headers)))
        if self.allow_credentials:
            headers.append(("Access-Control-Allow-Credentials", "true"))
        return Response(b"", 204, headers)

    def decorate(self, request: Request, response: Response) -> None:
        """Add the CORS headers for a simple (non-preflight) request to ``response``."""
        origin = request.headers.get("origin")
        if not origin or not self.allows(origin):
            return
        if response.get_header("access-control-allow-origin") is not None:
            return
        response.headers.append(("Access-Control-Allow-Origin", self._origin_value(origin)))
        if self._origin_value(origin) != "*":
            response.headers.append(("Vary", "Origin"))
        if self.allow_credentials:
            response.headers.append(("Access-Control-Allow-Credentials", "true"))
        if self.expose_headers:
            response.headers.append(
                ("Access-Control-Expose-Headers", ", ".join(self.expose_headers))
            )
