"""A small local OSS peer for the tests: the object API subset fcsdk's examples use.

It speaks path-style HTTP on 127.0.0.1 (``http://127.0.0.1:PORT/bucket/key``) and checks what real
OSS checks before it touches data:

- the ``Authorization`` header: signature V1 (``OSS id:base64(HMAC-SHA1)``), V2 (``OSS2 ...``)
  or V4 (``OSS4-HMAC-SHA256 Credential=id/date/region/oss/aliyun_v4_request, ..., Signature=``);
- the access key id (403 ``InvalidAccessKeyId``) and the request time (``RequestTimeTooSkewed``);
- ``x-oss-security-token`` when started with one: missing gives 403 ``InvalidAccessKeyId`` (what
  OSS answers for an STS key sent without its token), a retired token ``SecurityTokenExpired``,
  any other ``InvalidSecurityToken``;
- the signature, recomputed with its own secret and region (403 ``SignatureDoesNotMatch``, with
  ``StringToSign`` in the body as OSS does).

Operations: PutObject, GetObject, HeadObject, DeleteObject, ListObjects (v1). Errors are OSS XML
bodies (for HEAD, base64 in ``x-oss-err``), so oss2 and alibabacloud-oss-v2 raise their usual
exceptions. Every response closes its connection, so no client socket outlives a test.

Example::

    with OSSServer("id", "secret", "token") as server:
        bucket = oss2.Bucket(oss2.StsAuth("id", "secret", "token"), server.endpoint, "bucket")
        bucket.put_object("k", b"v")
        assert server.get("bucket", "k") == b"v"
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email.message import Message
from email.utils import formatdate, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Optional
from urllib.parse import parse_qsl, quote, unquote, urlsplit
from xml.sax.saxutils import escape

#: Query parameters that belong to the V1 canonical resource (those this server may see).
V1_SUBRESOURCES = frozenset({"acl", "uploads", "uploadId", "partNumber", "delete", "versionId"})
MAX_SKEW_SECONDS = 15 * 60
NO_SUCH_KEY_ID = "The OSS Access Key Id you provided does not exist in our records."
BAD_AUTH = "Authorization header is invalid."


class OSSError(Exception):
    """An error answer: HTTP status, OSS code, message and extra XML fields."""

    def __init__(self, status: int, code: str, message: str, **extra: str) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status, self.code, self.message, self.extra = status, code, message, extra


@dataclass
class Request:
    """What the signers need from an HTTP request."""

    method: str
    bucket: str
    key: str
    query: list[tuple[str, str]]
    headers: Message

    def header(self, name: str) -> str:
        return self.headers.get(name, "")

    def signed_headers(self, *extra: str) -> str:
        """``name:value\\n`` for every x-oss-* header and those in ``extra``, sorted."""
        items = sorted(
            (k.lower(), v.strip())
            for k, v in self.headers.items()
            if k.lower().startswith("x-oss-") or k.lower() in extra
        )
        return "".join(f"{k}:{v}\n" for k, v in items)


def _enc(text: str, safe: str = "") -> str:
    """RFC 3986 encoding as OSS V2/V4 canonical strings use it."""
    return quote(text, safe="-_.~" + safe)


def _canonical_query(query: list[tuple[str, str]]) -> str:
    pairs = sorted((_enc(k), _enc(v)) for k, v in query)
    return "&".join(f"{k}={v}" if v else k for k, v in pairs)


def _parse_auth(auth: str) -> tuple[str, str, dict[str, str]]:
    """(version, access key id, fields incl. ``Signature``) from an Authorization header."""
    scheme, _, rest = auth.partition(" ")
    if scheme == "OSS" and ":" in rest:
        key_id, _, signature = rest.strip().rpartition(":")
        return "v1", key_id, {"Signature": signature}
    sep = {"OSS2": ":", "OSS4-HMAC-SHA256": "="}.get(scheme)
    if sep is None:
        raise OSSError(400, "InvalidArgument", BAD_AUTH)
    fields = {k.strip(): v.strip() for k, _, v in (i.partition(sep) for i in rest.split(","))}
    key_id = fields.get("AccessKeyId") or fields.get("Credential", "").split("/")[0]
    if not key_id or "Signature" not in fields:
        raise OSSError(400, "InvalidArgument", BAD_AUTH)
    return ("v2" if scheme == "OSS2" else "v4"), key_id, fields


def string_to_sign_v1(req: Request) -> str:
    resource = f"/{req.bucket}/{req.key}" if req.bucket else "/"
    sub = sorted((k, v) for k, v in req.query if k in V1_SUBRESOURCES)
    if sub:
        resource += "?" + "&".join(f"{k}={v}" if v else k for k, v in sub)
    date = req.header("x-oss-date") or req.header("Date")
    head = [req.method, req.header("Content-MD5"), req.header("Content-Type"), date]
    return "\n".join([*head, req.signed_headers() + resource])


def string_to_sign_v2(req: Request, additional: list[str]) -> str:
    resource = _enc("/" + (f"{req.bucket}/{req.key}" if req.bucket else ""))
    if req.query:
        resource += "?" + _canonical_query(req.query)
    head = [req.method, req.header("Content-MD5"), req.header("Content-Type"), req.header("Date")]
    return "\n".join([*head, req.signed_headers(*additional) + ";".join(additional), resource])


def string_to_sign_v4(req: Request, additional: list[str], scope: str) -> str:
    canonical_request = "\n".join(
        [
            req.method,
            _enc("/" + (f"{req.bucket}/{req.key}" if req.bucket else ""), safe="/"),
            _canonical_query(req.query),
            req.signed_headers("content-type", "content-md5", *additional),
            ";".join(additional),
            req.header("x-oss-content-sha256") or "UNSIGNED-PAYLOAD",
        ]
    )
    digest = hashlib.sha256(canonical_request.encode()).hexdigest()
    return "\n".join(["OSS4-HMAC-SHA256", req.header("x-oss-date"), scope, digest])


def _hmac(key: bytes, text: str, algorithm: str) -> bytes:
    return hmac.new(key, text.encode(), algorithm).digest()


def signature(req: Request, version: str, fields: dict[str, str], secret: str, region: str):
    """(expected signature, string to sign) for ``req`` signed with ``secret``."""
    additional = sorted(h for h in fields.get("AdditionalHeaders", "").lower().split(";") if h)
    if version == "v1":
        text = string_to_sign_v1(req)
        return base64.b64encode(_hmac(secret.encode(), text, "sha1")).decode(), text
    if version == "v2":
        text = string_to_sign_v2(req, additional)
        return base64.b64encode(_hmac(secret.encode(), text, "sha256")).decode(), text
    # V4: the scope is rebuilt from this server's region, so a client signing for another
    # region gets SignatureDoesNotMatch, as on OSS.
    day = req.header("x-oss-date")[:8]
    text = string_to_sign_v4(req, additional, f"{day}/{region}/oss/aliyun_v4_request")
    key = ("aliyun_v4" + secret).encode()
    for part in (day, region, "oss", "aliyun_v4_request"):
        key = _hmac(key, part, "sha256")
    return _hmac(key, text, "sha256").hex(), text


def _request_time(req: Request, version: str) -> float:
    try:
        if version == "v4":
            when = datetime.strptime(req.header("x-oss-date"), "%Y%m%dT%H%M%SZ")
            return when.replace(tzinfo=timezone.utc).timestamp()
        return parsedate_to_datetime(req.header("x-oss-date") or req.header("Date")).timestamp()
    except (TypeError, ValueError):
        raise OSSError(403, "AccessDenied", "The request date is missing or invalid.") from None


@dataclass
class StoredObject:
    data: bytes
    content_type: str
    last_modified: float = field(default_factory=time.time)

    @property
    def etag(self) -> str:
        return '"' + hashlib.md5(self.data).hexdigest().upper() + '"'


@dataclass
class Keys:
    access_key_id: str
    access_key_secret: str
    security_token: Optional[str] = None


class OSSServer:
    """The server; a context manager that starts it on a free port and stops it."""

    def __init__(
        self,
        access_key_id: str = "LTAI-test-key-id",
        access_key_secret: str = "test-secret-value",
        security_token: Optional[str] = "test-sts-token",
        *,
        region: str = "cn-hangzhou",
        buckets: tuple[str, ...] = ("bucket",),
    ) -> None:
        self.keys = Keys(access_key_id, access_key_secret, security_token)
        self.region = region
        self.retired_tokens: set[str] = set()
        self.buckets: dict[str, dict[str, StoredObject]] = {b: {} for b in buckets}
        #: One dict per request: method, bucket, key, signature ("v1"/"v2"/"v4"), status, code.
        self.log: list[dict[str, object]] = []
        self.lock = threading.Lock()
        self._httpd: Optional[ThreadingHTTPServer] = None
        self._thread: Optional[threading.Thread] = None

    def start(self) -> OSSServer:
        handler = type("BoundHandler", (_Handler,), {"oss": self})
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is not None and self._thread is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._thread.join()
            self._httpd = None

    def __enter__(self) -> OSSServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def endpoint(self) -> str:
        assert self._httpd is not None, "server not started"
        return f"http://127.0.0.1:{self._httpd.server_address[1]}"

    def rotate(self, access_key_id: str, access_key_secret: str, security_token: str) -> None:
        """New STS keys, as after a refresh: the old token becomes ``SecurityTokenExpired``."""
        with self.lock:
            if self.keys.security_token:
                self.retired_tokens.add(self.keys.security_token)
            self.keys = Keys(access_key_id, access_key_secret, security_token)

    def get(self, bucket: str, key: str) -> bytes:
        """The stored bytes of an object (KeyError when absent)."""
        with self.lock:
            return self.buckets[bucket][key].data

    def authenticate(self, req: Request) -> str:
        """Check ``req`` like OSS does; returns the signature version used."""
        if not req.header("Authorization"):
            raise OSSError(403, "AccessDenied", "You have no right to access this object.")
        version, key_id, fields = _parse_auth(req.header("Authorization"))
        with self.lock:
            keys, retired = self.keys, set(self.retired_tokens)
        token = req.header("x-oss-security-token")
        if key_id != keys.access_key_id or (keys.security_token and not token):
            raise OSSError(403, "InvalidAccessKeyId", NO_SUCH_KEY_ID, OSSAccessKeyId=key_id)
        if token != (keys.security_token or ""):
            if token in retired:
                raise OSSError(403, "SecurityTokenExpired", "The security token has expired.")
            raise OSSError(403, "InvalidSecurityToken", "The security token is invalid.")
        if abs(time.time() - _request_time(req, version)) > MAX_SKEW_SECONDS:
            raise OSSError(403, "RequestTimeTooSkewed", "The request time is too skewed.")
        expected, text = signature(req, version, fields, keys.access_key_secret, self.region)
        if not hmac.compare_digest(expected, fields["Signature"]):
            raise OSSError(
                403,
                "SignatureDoesNotMatch",
                "The request signature we calculated does not match the signature you provided.",
                OSSAccessKeyId=key_id,
                SignatureProvided=fields["Signature"],
                StringToSign=text,
            )
        return version


class _Handler(BaseHTTPRequestHandler):
    """One request: parse the path, authenticate, then run the operation."""

    oss: OSSServer
    protocol_version = "HTTP/1.1"
    server_version = "AliyunOSS"

    def log_message(self, format: str, *args: object) -> None:  # keep test output quiet
        pass

    def do_GET(self) -> None:
        self._dispatch()

    do_PUT = do_HEAD = do_DELETE = do_POST = do_GET

    def _dispatch(self) -> None:
        self.request_id = uuid.uuid4().hex.upper()[:24]
        url = urlsplit(self.path)
        bucket, _, key = unquote(url.path).lstrip("/").partition("/")
        req = Request(self.command, bucket, key, parse_qsl(url.query, True), self.headers)
        body = self._read_body()
        self.entry: dict[str, object] = {"method": self.command, "bucket": bucket, "key": key}
        try:
            self.entry["signature"] = self.oss.authenticate(req)
            sha = req.header("x-oss-content-sha256") or "UNSIGNED-PAYLOAD"
            if sha not in ("UNSIGNED-PAYLOAD", hashlib.sha256(body).hexdigest()):
                raise OSSError(400, "InvalidDigest", "x-oss-content-sha256 does not match.")
            self._operate(req, body)
        except OSSError as err:
            self.entry["code"] = err.code
            self._send_error(err)

    def _read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() != "chunked":
            return self.rfile.read(int(self.headers.get("Content-Length") or 0))
        chunks = []
        while True:
            size = int(self.rfile.readline().split(b";")[0], 16)
            chunks.append(self.rfile.read(size + 2)[:size])
            if size == 0:
                return b"".join(chunks)

    def _operate(self, req: Request, body: bytes) -> None:
        with self.oss.lock:
            objects = self.oss.buckets.get(req.bucket)
            if objects is None:
                raise OSSError(404, "NoSuchBucket", "The specified bucket does not exist.")
            if not req.key:
                if req.method != "GET" or dict(req.query).get("list-type") == "2":
                    raise OSSError(501, "NotImplemented", "Only ListObjects (v1) is implemented.")
                xml = _list_xml(req.bucket, objects, dict(req.query))
                return self._send(200, xml, {"Content-Type": "application/xml"})
            if req.method == "PUT":
                content_type = req.header("Content-Type") or "application/octet-stream"
                obj = objects[req.key] = StoredObject(body, content_type)
                return self._send(200, b"", {"ETag": obj.etag})
            if req.method == "DELETE":
                objects.pop(req.key, None)
                return self._send(204, b"", {})
            obj = objects.get(req.key)
        if obj is None:
            raise OSSError(404, "NoSuchKey", "The specified key does not exist.", Key=req.key)
        if req.method not in ("GET", "HEAD"):
            raise OSSError(405, "MethodNotAllowed", "The method is not allowed on this resource.")
        headers = {
            "Content-Type": obj.content_type,
            "ETag": obj.etag,
            "Last-Modified": formatdate(obj.last_modified, usegmt=True),
            "x-oss-object-type": "Normal",
        }
        return self._send(200, obj.data, headers)

    def _send(self, status: int, body: bytes, headers: dict[str, str]) -> None:
        self.entry.setdefault("code", None)
        self.entry["status"] = status
        self.oss.log.append(self.entry)  # before answering: the client may look right after
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("x-oss-request-id", self.request_id)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)
        self.close_connection = True

    def _send_error(self, err: OSSError) -> None:
        fields = {"Code": err.code, "Message": err.message, "RequestId": self.request_id}
        fields.update(HostId="127.0.0.1", **err.extra)
        xml = '<?xml version="1.0" encoding="UTF-8"?>\n<Error>\n'
        xml += "".join(f"  <{k}>{escape(v)}</{k}>\n" for k, v in fields.items()) + "</Error>\n"
        headers = {"Content-Type": "application/xml", "x-oss-ec": "0000-00000000"}
        if self.command == "HEAD":
            headers["x-oss-err"] = base64.b64encode(xml.encode()).decode()
        self._send(err.status, xml.encode(), headers)


def _list_xml(bucket: str, objects: dict[str, StoredObject], params: dict[str, str]) -> bytes:
    """ListBucketResult for ListObjects v1 (prefix, marker, delimiter, max-keys, encoding-type)."""
    prefix, marker = params.get("prefix", ""), params.get("marker", "")
    delimiter, max_keys = params.get("delimiter", ""), int(params.get("max-keys") or 100)
    url = params.get("encoding-type") == "url"
    enc = _enc if url else escape
    contents: list[str] = []
    prefixes: list[str] = []
    last = ""
    candidates = sorted(k for k in objects if k.startswith(prefix) and k > marker)
    for key in candidates:
        rest = key[len(prefix) :]
        common = None
        if delimiter and delimiter in rest:
            common = prefix + rest.split(delimiter, 1)[0] + delimiter
        if common in prefixes:
            last = key
            continue
        if len(contents) + len(prefixes) >= max_keys:
            break
        last = key
        if common:
            prefixes.append(common)
            continue
        obj = objects[key]
        modified = datetime.fromtimestamp(obj.last_modified, timezone.utc)
        contents.append(
            f"<Contents><Key>{enc(key)}</Key>"
            f"<LastModified>{modified:%Y-%m-%dT%H:%M:%S.000Z}</LastModified>"
            f"<ETag>{escape(obj.etag)}</ETag><Type>Normal</Type><Size>{len(obj.data)}</Size>"
            "<StorageClass>Standard</StorageClass></Contents>"
        )
    truncated = bool(candidates) and last != candidates[-1]
    xml = (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<ListBucketResult><Name>{escape(bucket)}</Name>'
        f"<Prefix>{enc(prefix)}</Prefix><Marker>{enc(marker)}</Marker><MaxKeys>{max_keys}</MaxKeys>"
        f"<Delimiter>{enc(delimiter)}</Delimiter><IsTruncated>{str(truncated).lower()}</IsTruncated>"
        + (f"<NextMarker>{enc(last)}</NextMarker>" if truncated else "")
        + ("<EncodingType>url</EncodingType>" if url else "")
        + "".join(contents)
        + "".join(f"<CommonPrefixes><Prefix>{enc(p)}</Prefix></CommonPrefixes>" for p in prefixes)
        + "</ListBucketResult>"
    )
    return xml.encode()
