"""Glue to the Alibaba Cloud API SDKs (``alibabacloud-kms20160120``, ``alibabacloud-oos20190601``):
endpoints, one SDK client per fetch signed with that fetch's credentials, bounded retries with
backoff, and the translation of the SDK's exceptions into :mod:`fcsdk.parameters` errors that
carry codes, never the request (whose headers hold the STS token) nor the response body.

The SDKs are imported on the first fetch. Their own retry loop is left off (one attempt each): the
loop here decides what is transient (throttling, 429/5xx, connection errors, timeouts).
"""

from __future__ import annotations

import logging
import math
import random
import re
import threading
import time
from typing import TYPE_CHECKING, Any, Callable, ClassVar, Optional

from ..errors import ConfigurationError, MissingDependencyError
from ._base import DEFAULT_MAX_AGE, log
from ._errors import ParameterFetchError, ParameterNotFoundError
from ._provider import BaseProvider

if TYPE_CHECKING:
    from ..credentials import Credentials

__all__ = ["ACSProvider", "mask_sdk_debug"]

_RETRY_STATUS = frozenset({429, 500, 502, 503, 504})
_RETRY_CODES = ("Throttling", "Rejected.Throttling", "ServiceUnavailable", "InternalError")
_BACKOFF_BASE = 0.1
_BACKOFF_CAP = 2.0

_debug_lock = threading.Lock()
_debug_masked = False
_SDK_HEADER = re.compile(r"(?im)^([<>] (?:x-acs-security-token|authorization)) : .*$")


class _MaskSDKHeaders(logging.Filter):
    """Masks the STS token and the signature in darabonba's ``DEBUG=sdk`` header dumps."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str) and " : " in record.msg:
            record.msg = _SDK_HEADER.sub(r"\1 : **********", record.msg)
        return True


def mask_sdk_debug() -> None:
    """Install the header mask on the SDK's ``darabonba-core`` logger (once per process).

    Example:
        >>> mask_sdk_debug()
        >>> any(type(f).__name__ == "_MaskSDKHeaders" for f in logging.getLogger("darabonba-core").filters)
        True
    """
    global _debug_masked
    with _debug_lock:
        if not _debug_masked:
            logging.getLogger("darabonba-core").addFilter(_MaskSDKHeaders())
            _debug_masked = True


def _positive(value: Any, what: str) -> float:
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float))
        or not math.isfinite(value)
        or value <= 0
    ):
        raise ConfigurationError(f"{what} must be a positive number of seconds, got {value!r}")
    return float(value)


class ACSProvider(BaseProvider):
    """What KMS and OOS share: the endpoint, the transport settings and the retry loop."""

    #: The endpoint prefix (``kms`` gives ``kms.<region>.aliyuncs.com``).
    product: ClassVar[str] = ""
    #: The SDK's PyPI name, for MissingDependencyError.
    package: ClassVar[str] = ""
    #: Error codes meaning "no such name".
    not_found_codes: ClassVar[tuple[str, ...]] = ()

    def __init__(
        self,
        *,
        endpoint: Optional[str] = None,
        region: Optional[str] = None,
        protocol: str = "https",
        vpc: bool = False,
        ca: Optional[str] = None,
        timeout: float = 3.0,
        max_attempts: int = 3,
        max_age: float = DEFAULT_MAX_AGE,
        credentials: Optional[Credentials] = None,
    ) -> None:
        super().__init__(max_age=max_age, credentials=credentials)
        for what, given in (("endpoint", endpoint), ("region", region), ("ca", ca)):
            if given is not None and not isinstance(given, str):
                raise ConfigurationError(f"{what}= must be a str, got {type(given).__name__}")
        proto = str(protocol).lower()
        if endpoint and "://" in endpoint:
            proto, _, endpoint = endpoint.partition("://")
            proto = proto.lower()
        if proto not in ("http", "https"):
            raise ConfigurationError(f"protocol must be 'https' or 'http', got {protocol!r}")
        if (
            isinstance(max_attempts, bool)
            or not isinstance(max_attempts, int)
            or not 1 <= max_attempts <= 10
        ):
            raise ConfigurationError(
                f"max_attempts must be an int from 1 to 10, got {max_attempts!r}"
            )
        self.endpoint = endpoint.rstrip("/") if endpoint else None
        self.region = region
        self.protocol = proto
        self.vpc = bool(vpc)
        self.ca = ca
        self.timeout = _positive(timeout, "timeout")
        self.max_attempts = max_attempts

    def _describe(self) -> str:
        where = self.endpoint or f"{self.product}{'-vpc' if self.vpc else ''}.<region>.aliyuncs.com"
        return f"endpoint={where!r}, protocol={self.protocol!r}, "

    def _resolve_endpoint(self, credentials: Optional[Credentials]) -> tuple[str, Optional[str]]:
        """(endpoint, region) for a fetch: the explicit endpoint, else the region's."""
        region = self.region or (credentials.region if credentials is not None else None)
        if region is None:
            from ..logging import current_context

            ctx = current_context.get()
            region = ctx.region if ctx is not None else None
        if region is None:
            import os

            region = os.environ.get("FC_REGION") or os.environ.get("ALIBABA_CLOUD_REGION") or None
        if self.endpoint:
            return self.endpoint, region
        if region is None:
            raise ConfigurationError(
                f"{type(self).__name__} needs a region or an endpoint and found neither: pass "
                f"region='cn-hangzhou' or endpoint='{self.product}.cn-hangzhou.aliyuncs.com' "
                "(inside FC the invocation's region is used)"
            )
        return f"{self.product}{'-vpc' if self.vpc else ''}.{region}.aliyuncs.com", region

    def _import(self) -> tuple[Any, Any]:
        """(the SDK's Client class, its models module)."""
        raise NotImplementedError

    def _client(self, credentials: Optional[Credentials]) -> tuple[Any, Any, str]:
        """A fresh SDK client signing with ``credentials`` (6 µs: cheaper than sharing one)."""
        client_cls, models = self._import()
        from alibabacloud_tea_openapi.utils_models import Config

        mask_sdk_debug()
        endpoint, region = self._resolve_endpoint(credentials)
        assert credentials is not None
        ms = int(self.timeout * 1000)
        config = Config(
            access_key_id=credentials.access_key_id,
            access_key_secret=credentials.access_key_secret,
            security_token=credentials.security_token,
            endpoint=endpoint,
            protocol=self.protocol,
            region_id=region or "cn-hangzhou",
            connect_timeout=ms,
            read_timeout=ms,
            ca=self.ca,
        )
        return client_cls(config), models, endpoint

    def _import_sdk(self, module: str) -> Any:
        import importlib

        try:
            return importlib.import_module(module)
        except ImportError:
            raise MissingDependencyError.for_extra(self.package, "parameters") from None

    def _call(
        self, name: str, credentials: Optional[Credentials], op: Callable[[Any, Any], Any]
    ) -> Any:
        """``op(client, models)`` with bounded retries; SDK errors become ours."""
        client, models, endpoint = self._client(credentials)
        started = time.perf_counter()
        attempt = 0
        while True:
            attempt += 1
            try:
                result = op(client, models)
            except Exception as exc:
                info: Optional[dict[str, Any]] = _classify(exc)
            else:
                info = None
            if info is not None:  # outside ``except``: the SDK's exception is not even __context__
                delay = _backoff(attempt, info["retry_after"])
                if info["retryable"] and attempt < self.max_attempts and delay is not None:
                    log.debug(
                        "%s %r: %s (attempt %d of %d), retrying in %.0f ms",
                        self.label,
                        name,
                        info["code"],
                        attempt,
                        self.max_attempts,
                        delay * 1000,
                    )
                    time.sleep(delay)
                    continue
                raise self._error(name, endpoint, info, attempt)
            log.debug(
                "%s %r fetched from %s in %.1f ms (%d attempt%s)",
                self.label,
                name,
                endpoint,
                (time.perf_counter() - started) * 1000,
                attempt,
                "" if attempt == 1 else "s",
            )
            return result

    def _error(self, name: str, endpoint: str, info: dict[str, Any], attempts: int) -> Exception:
        code, status, rid = info["code"], info["status"], info["request_id"]
        where = (
            f"{code}"
            + (f", HTTP {status}" if status else "")
            + (f", request id {rid}" if rid else "")
        )
        fields: dict[str, Any] = {
            "name": name,
            "provider": self.provider,
            "service_code": code,
            "status": status,
            "request_id": rid,
        }
        if code in self.not_found_codes or str(code).startswith("EntityNotExists"):
            return ParameterNotFoundError(
                f"{self.label} {name!r} not found at {endpoint} ({where}): check the name and the "
                "region, and that the function's role may read it",
                **fields,
            )
        detail = f": {info['message']}" if info["message"] else ""
        return ParameterFetchError(
            f"could not fetch {self.label} {name!r} from {endpoint} after {attempts} attempt"
            f"{'' if attempts == 1 else 's'} ({where}){detail}. {_hint(code, self.timeout)}",
            attempts=attempts,
            **fields,
        )


def _classify(exc: BaseException) -> dict[str, Any]:
    """code, status, request_id, message, retryable, retry_after (s) of an SDK exception."""
    code = getattr(exc, "code", None)
    status = getattr(exc, "status_code", None)
    if isinstance(code, str) and code and isinstance(status, int):
        data = getattr(exc, "data", None)
        data = data if isinstance(data, dict) else {}
        message = data.get("Message") or data.get("message")
        retry_after = getattr(exc, "retry_after", None)
        return {
            "code": code,
            "status": status,
            "request_id": data.get("RequestId") or data.get("requestId"),
            "message": str(message)[:200] if message else None,
            "retryable": status in _RETRY_STATUS or code.startswith(_RETRY_CODES),
            "retry_after": retry_after / 1000 if isinstance(retry_after, (int, float)) else None,
        }
    inner = getattr(exc, "inner_exception", None) or exc
    if isinstance(inner, OSError) or type(inner).__name__ == "RetryError":
        text = str(getattr(inner, "message", None) or inner)
        timeout = "timed out" in text.lower() or isinstance(inner, TimeoutError)
        # requests/urllib3 nest the cause ("Max retries exceeded ... (Caused by ...: [Errno 111]
        # Connection refused)"): the socket's own reason is what a reader needs, not 200
        # characters of the wrapper.
        reason = _REASON.search(text)
        return {
            "code": "Timeout" if timeout else "ConnectionError",
            "status": None,
            "request_id": None,
            "message": (reason.group(1).strip() if reason else text)[:200],  # no request data
            "retryable": True,
            "retry_after": None,
        }
    return {  # e.g. a 200 whose body is not the JSON expected: its text may be the value
        "code": "InvalidResponse",
        "status": None,
        "request_id": None,
        "message": f"the answer could not be read ({type(inner).__name__})",
        "retryable": False,
        "retry_after": None,
    }


_REASON = re.compile(r"""(\[Errno -?\d+\][^"')]*|[^:("'>]*timed out[^"')]*)""")


def _backoff(attempt: int, retry_after: Optional[float]) -> Optional[float]:
    """Seconds to wait before the next attempt; None when the service asks for too long."""
    if retry_after is not None:
        return retry_after if retry_after <= _BACKOFF_CAP else None
    base: float = min(_BACKOFF_CAP, _BACKOFF_BASE * 2.0 ** (attempt - 1))
    return base * random.uniform(0.5, 1.0)


def _hint(code: str, timeout: float) -> str:
    if code.startswith(
        (
            "InvalidSecurityToken",
            "InvalidAccessKeyId",
            "SignatureDoesNotMatch",
            "MissingSecurityToken",
        )
    ):
        return "The credentials were refused: on FC they are the invocation's; locally check ALIBABA_CLOUD_* variables."
    if code.startswith(("Forbidden", "NoPermission")):
        return "Give the function's role permission to read it (see the example's s.yaml)."
    if code == "ConnectionError":
        return (
            "Could not connect: check the region or endpoint, and that the function can reach "
            "it (a VPC endpoint needs the function in that VPC)."
        )
    if code.startswith(_RETRY_CODES) or code == "Timeout":
        extra = f" No answer within {timeout:g} s." if code == "Timeout" else ""
        return f"The service is unavailable or throttling.{extra} A longer max_age means fewer fetches."
    return "See the service's error code."
