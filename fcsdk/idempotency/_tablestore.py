""":class:`TablestoreStore`: records in a Tablestore (OTS) table, one row per record.

The table has one string primary key column, ``id``; each row holds ``status``, ``token``,
``expiry`` (ms since the epoch), ``hash``, ``kind`` and ``body`` (binary). Every write is
conditional, so the service arbitrates between racing invocations:

- claim: ``PutRow`` with ``EXPECT_NOT_EXIST``; on ``OTSConditionCheckFail``, ``GetRow`` and,
  if that record has expired, take it over with ``PutRow`` expecting the row to exist AND its
  ``token`` to equal the expired record's (a compare-and-set: of two racing takeovers, one wins);
- complete: ``UpdateRow`` expecting ``token`` to be ours; release: ``DeleteRow`` likewise.

Expired rows are ignored by the store whatever their age; set the table's TTL (``time_to_live``,
in seconds) to at least ``expires_after`` so the service deletes them (TTL deletion is
asynchronous: rows may linger past it, which is why the store checks ``expiry`` itself).
"""

from __future__ import annotations

import logging
import threading
import time
from typing import TYPE_CHECKING, Any, Optional

from ..errors import ConfigurationError, MissingDependencyError
from ._store import Record

if TYPE_CHECKING:
    from ..context import Context
    from ..credentials import Credentials

__all__ = ["TablestoreStore"]

#: The service's error code for a failed row or column condition (HTTP 403).
CONDITION_FAILED = "OTSConditionCheckFail"
_COLUMNS = ["status", "token", "expiry", "hash", "kind", "body"]


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


_LOGGER = "fcsdk.idempotency.tablestore"


class _NoConditionFailures(logging.Filter):
    """The SDK logs every failed condition at ERROR; for this store a failed condition is the
    normal answer to a duplicate, not an error."""

    def filter(self, record: logging.LogRecord) -> bool:
        return CONDITION_FAILED not in record.getMessage()


def _quiet_condition_failures() -> None:
    log = logging.getLogger(_LOGGER)
    if not any(isinstance(f, _NoConditionFailures) for f in log.filters):
        log.addFilter(_NoConditionFailures())


def _retry_policy(ts: Any) -> Any:
    """Write retries (conditional writes stay correct: a retried claim finds its own token),
    but few and short: a slow store must not eat the invocation's time."""

    class Retry(ts.WriteRetryPolicy):  # type: ignore[misc]
        max_retry_times = 2
        max_retry_delay = 0.2

    return Retry()


def _import_tablestore() -> Any:
    try:
        import tablestore
    except ImportError as exc:
        raise MissingDependencyError.for_extra("tablestore", "tablestore-store") from exc
    return tablestore


class TablestoreStore:
    """Idempotency records in a Tablestore table.

    Parameters:
        endpoint: the instance endpoint, e.g. ``https://my-inst.cn-hangzhou.vpc.tablestore.aliyuncs.com``.
        instance_name: the Tablestore instance.
        table_name: the table (primary key: one STRING column named ``id``).
        credentials: fixed :class:`fcsdk.Credentials`; default: the invocation's
            ``context.credentials`` (the function role's STS keys), read per invocation.
        region: sign requests with the V4 signature for this region (default: V2 signatures,
            the SDK's default).
        socket_timeout: seconds per request.
        **options: more ``tablestore.OTSClient`` options.

    One client is kept per set of credentials (at most 4, the oldest dropped first), shared by
    the invocations that use the same keys. Needs ``pip install "fcsdk[tablestore-store]"``
    (the python3.10 runtime already ships ``tablestore``).

    Example:
        >>> from fcsdk.idempotency import TablestoreStore
        >>> TablestoreStore("https://inst.cn-hangzhou.ots.aliyuncs.com", "inst")
        TablestoreStore(https://inst.cn-hangzhou.ots.aliyuncs.com, instance='inst', table='fcsdk_idempotency')
    """

    def __init__(
        self,
        endpoint: str,
        instance_name: str,
        table_name: str = "fcsdk_idempotency",
        *,
        credentials: Optional[Credentials] = None,
        region: Optional[str] = None,
        socket_timeout: float = 2.0,
        **options: Any,
    ) -> None:
        if not endpoint or not instance_name or not table_name:
            raise ConfigurationError(
                "TablestoreStore needs an endpoint, an instance name and a table name"
            )
        self.endpoint = endpoint
        self.instance_name = instance_name
        self.table_name = table_name
        self._credentials = credentials
        self._options: dict[str, Any] = {"socket_timeout": socket_timeout, **options}
        if region:
            self._options["region"] = region
        self._clients: dict[tuple[str, str, str], Any] = {}
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return (
            f"TablestoreStore({self.endpoint}, instance={self.instance_name!r}, "
            f"table={self.table_name!r})"
        )

    def _client(self, context: Context) -> Any:
        creds = self._credentials
        if creds is None:
            from ..errors import CredentialsUnavailableError
            from ._errors import IdempotencyStoreError

            try:
                creds = context.require_credentials()
            except CredentialsUnavailableError as exc:
                raise IdempotencyStoreError(
                    f"{self!r} has no credentials: {exc}. On FC give the function a role; "
                    "locally set ALIBABA_CLOUD_ACCESS_KEY_ID/SECRET, or pass credentials="
                ) from exc
        ident = (creds.access_key_id, creds.access_key_secret, creds.security_token or "")
        client = self._clients.get(ident)
        if client is not None:
            return client
        ts = _import_tablestore()
        with self._lock:
            client = self._clients.get(ident)
            if client is None:
                kwargs = dict(self._options)
                kwargs.setdefault("retry_policy", _retry_policy(ts))
                kwargs.setdefault("logger_name", _LOGGER)
                _quiet_condition_failures()
                if creds.security_token:
                    kwargs["sts_token"] = creds.security_token
                client = ts.OTSClient(
                    self.endpoint, ident[0], ident[1], self.instance_name, **kwargs
                )
                while len(self._clients) >= 4:
                    self._clients.pop(next(iter(self._clients)))
                self._clients[ident] = client
            return client

    @staticmethod
    def _row(ts: Any, key: str, record: Record) -> Any:
        return ts.Row(
            [("id", key)],
            [
                ("status", record.status),
                ("token", record.token),
                ("expiry", record.expiry_ms),
                ("hash", record.payload_hash),
                ("kind", record.kind),
                ("body", bytearray(record.body)),
            ],
        )

    @staticmethod
    def _token_is(ts: Any, token: str) -> Any:
        return ts.Condition(
            ts.RowExistenceExpectation.EXPECT_EXIST,
            ts.SingleColumnCondition(
                "token", token, ts.ComparatorType.EQUAL, pass_if_missing=False
            ),
        )

    @staticmethod
    def _failed_condition(ts: Any, exc: BaseException) -> bool:
        return isinstance(exc, ts.OTSServiceError) and exc.get_error_code() == CONDITION_FAILED

    def _read(self, client: Any, key: str) -> Optional[Record]:
        _, row, _ = client.get_row(self.table_name, [("id", key)], _COLUMNS, max_version=1)
        if row is None or not row.attribute_columns:
            return None
        cols = {c[0]: c[1] for c in row.attribute_columns}
        try:
            return Record(
                str(cols["status"]),
                int(cols["expiry"]),
                str(cols["token"]),
                str(cols.get("hash", "")),
                str(cols.get("kind", "")),
                bytes(cols.get("body", b"")),
            )
        except (KeyError, TypeError, ValueError):
            raise ValueError(f"row of table {self.table_name!r} is not an fcsdk record") from None

    def claim(self, key: str, record: Record, context: Context) -> Optional[Record]:
        """See :class:`fcsdk.idempotency.Store` (conditional PutRow, then a token CAS takeover)."""
        ts = _import_tablestore()
        client = self._client(context)
        condition = ts.Condition(ts.RowExistenceExpectation.EXPECT_NOT_EXIST)
        for _ in range(3):  # a row deleted or taken over between two calls: look again
            try:
                client.put_row(self.table_name, self._row(ts, key, record), condition)
                return None
            except Exception as exc:
                if not self._failed_condition(ts, exc):
                    raise
            current = self._read(client, key)
            if current is None:
                condition = ts.Condition(ts.RowExistenceExpectation.EXPECT_NOT_EXIST)
                continue
            if current.token == record.token or current.expiry_ms > _now_ms():
                return None if current.token == record.token else current
            condition = self._token_is(ts, current.token)
        current = self._read(client, key)
        if current is None:
            raise RuntimeError("the record kept changing under three claims in a row")
        return current

    def complete(self, key: str, record: Record, context: Context) -> bool:
        """See :class:`fcsdk.idempotency.Store` (UpdateRow expecting our token)."""
        ts = _import_tablestore()
        client = self._client(context)
        row = self._row(ts, key, record)
        update = ts.Row(row.primary_key, {"PUT": row.attribute_columns})
        try:
            client.update_row(self.table_name, update, self._token_is(ts, record.token))
        except Exception as exc:
            if self._failed_condition(ts, exc):
                return False
            raise
        return True

    def release(self, key: str, token: str, context: Context) -> None:
        """See :class:`fcsdk.idempotency.Store` (DeleteRow expecting our token)."""
        ts = _import_tablestore()
        client = self._client(context)
        try:
            client.delete_row(self.table_name, ts.Row([("id", key)]), self._token_is(ts, token))
        except Exception as exc:
            if not self._failed_condition(ts, exc):
                raise
