"""A loopback Tablestore (OTS) server for the tests: PutRow, GetRow, UpdateRow and DeleteRow over
the service's HTTP/protobuf protocol, driven by the real ``tablestore`` client.

Written from the public protocol description (facts checked against the SDK's request/response
code): requests are ``POST /<Action>`` with a protobuf body (rows inside in PlainBuffer, see
tests/plainbuffer.py) and ``x-ots-*`` headers. Before it touches data the server checks:

- ``x-ots-contentmd5`` (base64 MD5 of the body), ``x-ots-date`` within 15 minutes,
  ``x-ots-apiversion``, ``x-ots-instancename``;
- the access key id and, when started with one, ``x-ots-ststoken`` (STS credentials);
- the signature: V2 ``x-ots-signature`` = base64(HMAC-SHA1(secret, "/Action\\nPOST\\n\\n" + the
  sorted ``name:value`` lines of the ``x-ots-*`` headers + "\\n")), or V4 ``x-ots-signaturev4``
  (HMAC-SHA256 with a key derived from the secret, ``x-ots-signdate`` and ``x-ots-signregion``,
  over the same string + "ots").

Failures answer as the service does: HTTP 403 with a protobuf ``Error{code, message}``
(``OTSAuthFailed``; ``OTSConditionCheckFail`` for a failed row or column condition, which does
not return the stored row); 404 ``OTSObjectNotExist`` for an unknown table; 400
``OTSParameterInvalid`` for a malformed request. Every answer is signed (``Authorization: OTS
id:signature``) with ``x-ots-contentmd5``, ``x-ots-date``, ``x-ots-requestid`` and
``x-ots-contenttype``, which the client verifies.

Tables have one STRING primary key column, ``id``. Conditions: row existence (IGNORE /
EXPECT_EXIST / EXPECT_NOT_EXIST) and single-column / composite (AND, OR, NOT) column conditions.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import threading
import time
import uuid
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Optional

from tests.plainbuffer import (
    OP_DELETE_ALL,
    OP_DELETE_ONE,
    PlainBufferError,
    _Reader,
    decode_row,
    encode_row,
    read_value,
)

API_VERSION = "2015-12-31"
MAX_SKEW_SECONDS = 15 * 60


class OTSFailure(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status, self.code, self.message = status, code, message


def _pb() -> Any:
    import tablestore.protobuf.table_store_filter_pb2 as filters
    import tablestore.protobuf.table_store_pb2 as pb

    return pb, filters


def _b64_hmac(key: bytes, text: str, algo: Any) -> str:
    return base64.b64encode(hmac.new(key, text.encode("utf-8"), algo).digest()).decode()


def _ots_lines(headers: dict[str, str]) -> str:
    return "\n".join(
        sorted(f"{k}:{v.strip()}" for k, v in headers.items() if k.startswith("x-ots-"))
    )


class TablestoreServer:
    """``with TablestoreServer("id", "secret", "token") as server: server.store()``."""

    def __init__(
        self,
        access_key_id: str = "test-id",
        access_key_secret: str = "test-secret",
        security_token: Optional[str] = "test-sts-token",
        instance: str = "inst",
        tables: tuple[str, ...] = ("fcsdk_idempotency",),
    ) -> None:
        self.access_key_id, self.secret, self.token = (
            access_key_id,
            access_key_secret,
            security_token,
        )
        self.instance = instance
        self.tables: dict[str, dict[str, dict[str, tuple[Any, int]]]] = {t: {} for t in tables}
        self.lock = threading.Lock()
        self.requests: list[str] = []
        self.fail_with: Optional[OTSFailure] = None  # answer every request with this
        self._httpd: Optional[ThreadingHTTPServer] = None

    @property
    def endpoint(self) -> str:
        assert self._httpd is not None
        return f"http://127.0.0.1:{self._httpd.server_address[1]}"

    def credentials(self) -> Any:
        import fcsdk as fc

        return fc.Credentials(self.access_key_id, self.secret, self.token)

    def headers(self) -> dict[str, str]:
        """FC's custom-runtime headers carrying these credentials (a context from them)."""
        out = {"x-fc-access-key-id": self.access_key_id, "x-fc-access-key-secret": self.secret}
        if self.token:
            out["x-fc-security-token"] = self.token
        return out

    def store(self, **kwargs: Any) -> Any:
        from fcsdk.idempotency import TablestoreStore

        kwargs.setdefault("credentials", self.credentials())
        return TablestoreStore(self.endpoint, self.instance, **kwargs)

    def __enter__(self) -> TablestoreServer:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                server._serve(self)

        class Server(ThreadingHTTPServer):
            request_queue_size = 256  # 64 clients connect at once in the load tests

        self._httpd = Server(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        threading.Thread(target=self._httpd.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: Any) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()

    # -- authentication ---------------------------------------------------------------------

    def _signing_key(self, headers: dict[str, str]) -> bytes:
        if "x-ots-signaturev4" not in headers:
            return self.secret.encode()
        key = ("aliyun_v4" + self.secret).encode()
        for part in (
            headers.get("x-ots-signdate", ""),
            headers.get("x-ots-signregion", ""),
            "ots",
            "aliyun_v4_request",
        ):
            key = hmac.new(key, part.encode(), hashlib.sha256).digest()
        return base64.b64encode(key)

    def _authenticate(self, uri: str, headers: dict[str, str], body: bytes) -> None:
        for name in (
            "x-ots-date",
            "x-ots-apiversion",
            "x-ots-accesskeyid",
            "x-ots-instancename",
            "x-ots-contentmd5",
        ):
            if name not in headers:
                raise OTSFailure(400, "OTSParameterInvalid", f"Missing header: {name}.")
        if headers["x-ots-apiversion"] != API_VERSION:
            raise OTSFailure(400, "OTSUnsupportOperation", "Unsupported API version.")
        if base64.b64encode(hashlib.md5(body).digest()).decode() != headers["x-ots-contentmd5"]:
            raise OTSFailure(400, "OTSParameterInvalid", "Content md5 mismatch.")
        sent = datetime.strptime(headers["x-ots-date"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(
            tzinfo=timezone.utc
        )
        if abs(sent.timestamp() - time.time()) > MAX_SKEW_SECONDS:
            raise OTSFailure(403, "OTSAuthFailed", "Mismatch between system time and x-ots-date.")
        if headers["x-ots-accesskeyid"] != self.access_key_id:
            raise OTSFailure(403, "OTSAuthFailed", "The AccessKeyID does not exist.")
        if self.token is not None and headers.get("x-ots-ststoken") != self.token:
            raise OTSFailure(403, "OTSAuthFailed", "The STS token is invalid or missing.")
        signed = {
            k: v for k, v in headers.items() if k not in ("x-ots-signature", "x-ots-signaturev4")
        }
        text = f"{uri}\nPOST\n\n{_ots_lines(signed)}\n"
        if "x-ots-signaturev4" in headers:
            expected = _b64_hmac(self._signing_key(headers), text + "ots", hashlib.sha256)
            got = headers["x-ots-signaturev4"]
        else:
            expected = _b64_hmac(self._signing_key(headers), text, hashlib.sha1)
            got = headers.get("x-ots-signature", "")
        if not hmac.compare_digest(expected, got):
            raise OTSFailure(403, "OTSAuthFailed", "Signature mismatch.")
        if headers["x-ots-instancename"] != self.instance:
            raise OTSFailure(403, "OTSAuthFailed", "The instance is not found or not yours.")

    # -- the HTTP exchange ------------------------------------------------------------------

    def _serve(self, http: BaseHTTPRequestHandler) -> None:
        body = http.rfile.read(int(http.headers.get("Content-Length") or 0))
        headers = {k.lower(): v for k, v in http.headers.items()}
        uri = http.path.split("?", 1)[0]
        self.requests.append(uri.lstrip("/"))
        status, out = 200, b""
        try:
            if self.fail_with is not None:
                raise self.fail_with
            self._authenticate(uri, headers, body)
            action = getattr(self, "_op_" + uri.lstrip("/"), None)
            if action is None:
                raise OTSFailure(400, "OTSUnsupportOperation", f"Unsupported operation: {uri}.")
            with self.lock:
                out = action(body)
        except OTSFailure as exc:
            pb, _ = _pb()
            status, out = (
                exc.status,
                pb.Error(code=exc.code, message=exc.message).SerializeToString(),
            )
        except (PlainBufferError, ValueError) as exc:
            pb, _ = _pb()
            status, out = (
                400,
                pb.Error(code="OTSParameterInvalid", message=str(exc)).SerializeToString(),
            )
        reply = {
            "x-ots-contentmd5": base64.b64encode(hashlib.md5(out).digest()).decode(),
            "x-ots-requestid": uuid.uuid4().hex,
            "x-ots-date": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z"),
            "x-ots-contenttype": "protocol buffer",
        }
        if headers.get("x-ots-accesskeyid") == self.access_key_id:
            sig = _b64_hmac(self._signing_key(headers), f"{_ots_lines(reply)}\n{uri}", hashlib.sha1)
            reply["authorization"] = f"OTS {self.access_key_id}:{sig}"
        http.send_response(status)
        for k, v in reply.items():
            http.send_header(k, v)
        http.send_header("Content-Length", str(len(out)))
        http.end_headers()
        http.wfile.write(out)

    # -- data -------------------------------------------------------------------------------

    def _table(self, name: str) -> dict[str, dict[str, tuple[Any, int]]]:
        if name not in self.tables:
            raise OTSFailure(404, "OTSObjectNotExist", "Requested table does not exist.")
        return self.tables[name]

    @staticmethod
    def _key(pk: list[Any]) -> str:
        if len(pk) != 1 or pk[0].name != "id" or not isinstance(pk[0].value, str):
            raise OTSFailure(400, "OTSInvalidPK", "Validate PK name fail. Input: id, Meta: id.")
        return str(pk[0].value)

    def _check(self, condition: Any, row: Optional[dict[str, tuple[Any, int]]]) -> None:
        pb, _ = _pb()
        exists = row is not None
        expect = condition.row_existence
        if (expect == pb.EXPECT_EXIST and not exists) or (expect == pb.EXPECT_NOT_EXIST and exists):
            raise OTSFailure(403, "OTSConditionCheckFail", "Condition check failed.")
        if condition.HasField("column_condition") and not self._passes(
            condition.column_condition, row or {}
        ):
            raise OTSFailure(403, "OTSConditionCheckFail", "Condition check failed.")

    def _passes(self, raw_filter: bytes, row: dict[str, tuple[Any, int]]) -> bool:
        _, filters = _pb()
        flt = filters.Filter()
        flt.ParseFromString(raw_filter)
        if flt.type == filters.FT_COMPOSITE_COLUMN_VALUE:
            comp = filters.CompositeColumnValueFilter()
            comp.ParseFromString(flt.filter)
            subs = [self._passes(f.SerializeToString(), row) for f in comp.sub_filters]
            if comp.combinator == filters.LO_NOT:
                return not subs[0]
            return all(subs) if comp.combinator == filters.LO_AND else any(subs)
        if flt.type != filters.FT_SINGLE_COLUMN_VALUE:
            raise OTSFailure(400, "OTSParameterInvalid", "Unsupported filter type.")
        single = filters.SingleColumnValueFilter()
        single.ParseFromString(flt.filter)
        if single.column_name not in row:
            return not single.filter_if_missing
        have = row[single.column_name][0]
        want, _ = read_value(_Reader(single.column_value))
        if type(have) is not type(want) and single.comparator not in (
            filters.CT_EXIST,
            filters.CT_NOT_EXIST,
        ):
            return single.comparator == filters.CT_NOT_EQUAL
        ops = {
            filters.CT_EQUAL: lambda: have == want,
            filters.CT_NOT_EQUAL: lambda: have != want,
            filters.CT_GREATER_THAN: lambda: have > want,
            filters.CT_GREATER_EQUAL: lambda: have >= want,
            filters.CT_LESS_THAN: lambda: have < want,
            filters.CT_LESS_EQUAL: lambda: have <= want,
        }
        return bool(ops[single.comparator]())

    def _op_PutRow(self, body: bytes) -> bytes:
        pb, _ = _pb()
        req = pb.PutRowRequest()
        req.ParseFromString(body)
        table = self._table(req.table_name)
        pk, cells, _ = decode_row(req.row)
        key = self._key(pk)
        self._check(req.condition, table.get(key))
        now = int(time.time() * 1000)
        table[key] = {c.name: (c.value, c.ts or now) for c in cells}
        return self._consumed(pb.PutRowResponse(), write=1)

    def _op_UpdateRow(self, body: bytes) -> bytes:
        pb, _ = _pb()
        req = pb.UpdateRowRequest()
        req.ParseFromString(body)
        table = self._table(req.table_name)
        pk, cells, _ = decode_row(req.row_change)
        key = self._key(pk)
        self._check(req.condition, table.get(key))
        row = dict(table.get(key, {}))
        now = int(time.time() * 1000)
        for c in cells:
            if c.op in (OP_DELETE_ALL, OP_DELETE_ONE):
                row.pop(c.name, None)
            elif c.op is None:
                row[c.name] = (c.value, c.ts or now)
            else:
                raise OTSFailure(400, "OTSParameterInvalid", "Unsupported update type.")
        table[key] = row
        return self._consumed(pb.UpdateRowResponse(), write=1)

    def _op_DeleteRow(self, body: bytes) -> bytes:
        pb, _ = _pb()
        req = pb.DeleteRowRequest()
        req.ParseFromString(body)
        table = self._table(req.table_name)
        pk, _, _ = decode_row(req.primary_key)
        key = self._key(pk)
        self._check(req.condition, table.get(key))
        table.pop(key, None)
        return self._consumed(pb.DeleteRowResponse(), write=1)

    def _op_GetRow(self, body: bytes) -> bytes:
        pb, _ = _pb()
        req = pb.GetRowRequest()
        req.ParseFromString(body)
        table = self._table(req.table_name)
        pk, _, _ = decode_row(req.primary_key)
        key = self._key(pk)
        resp = pb.GetRowResponse()
        row = table.get(key)
        if row is not None:
            wanted = set(req.columns_to_get) or set(row)
            cells = [(n, v, ts) for n, (v, ts) in sorted(row.items()) if n in wanted]
            resp.row = encode_row([("id", key)], cells)
        else:
            resp.row = b""
        return self._consumed(resp, read=1)

    @staticmethod
    def _consumed(resp: Any, read: int = 0, write: int = 0) -> bytes:
        resp.consumed.capacity_unit.read = read
        resp.consumed.capacity_unit.write = write
        return bytes(resp.SerializeToString())
