"""A small local peer of Alibaba Cloud's RPC API gateway for KMS and OOS, for the tests.

It answers the operations :mod:`fcsdk.parameters` calls, in the services' JSON shapes
(``GetSecretValue`` of KMS 2016-01-20; ``GetParameter``, ``GetSecretParameter``,
``GetParametersByPath`` and ``GetSecretParametersByPath`` of OOS 2019-06-01), and checks what the
gateway checks before it looks at the parameters (written from Alibaba Cloud's public description
of the V3 request signature, not from any SDK):

- ``Authorization: ACS3-HMAC-SHA256 Credential=<id>,SignedHeaders=<a;b>,Signature=<hex>``;
- the signed headers include ``host``, every ``x-acs-*`` header sent and ``content-type`` when
  sent; ``x-acs-content-sha256`` is the hex SHA-256 of the body;
- the canonical request ``METHOD\\n/\\nquery\\nheaders\\nsigned\\npayload-hash`` (query pairs
  RFC 3986-encoded with ``%20`` for space, sorted), string to sign
  ``ACS3-HMAC-SHA256\\n<hex sha256(canonical request)>``, signature hex HMAC-SHA256 with the
  secret; ``x-acs-date`` within 15 minutes, ``x-acs-signature-nonce`` never seen before;
- the access key id (404 ``InvalidAccessKeyId.NotFound``), and for STS keys the token in
  ``x-acs-security-token``: missing or another key's (``InvalidSecurityToken.MismatchWithAccessKey``)
  or past its validity (``InvalidSecurityToken.Expired``).

Knobs for the tests: :meth:`ACSServer.fail_next` queues error answers (503 then success),
``hang`` makes every request wait until the server stops (a server that never answers),
``delay`` slows every answer, and ``requests`` records (action, name, access key id) of every
request that passed the checks. Every response closes its connection.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
import uuid
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Optional
from urllib.parse import parse_qsl, urlsplit

from tests.acs_signature import APIError, parse_authorization, string_to_sign

MAX_SKEW_SECONDS = 15 * 60
VERSIONS = {
    "GetSecretValue": "2016-01-20",
    "GetParameter": "2019-06-01",
    "GetSecretParameter": "2019-06-01",
    "GetParametersByPath": "2019-06-01",
    "GetSecretParametersByPath": "2019-06-01",
}


@dataclass
class Key:
    """One access key: its secret, and for STS keys the token and when it stops being valid."""

    secret: str
    token: Optional[str] = None
    valid_until: float = float("inf")


@dataclass
class ACSState:
    keys: dict[str, Key] = field(default_factory=dict)
    secrets: dict[str, tuple[str, str]] = field(default_factory=dict)  # name -> (data, type)
    parameters: dict[str, tuple[str, str]] = field(default_factory=dict)  # name -> (value, type)
    failures: deque[tuple[int, str, str, dict[str, str]]] = field(default_factory=deque)
    requests: list[tuple[str, str, str]] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)
    nonces: set[str] = field(default_factory=set)
    hang: bool = False
    delay: float = 0.0
    page_size: int = 2
    lock: threading.Lock = field(default_factory=threading.Lock)
    stopping: threading.Event = field(default_factory=threading.Event)


def verify(
    state: ACSState,
    method: str,
    path: str,
    query: list[tuple[str, str]],
    headers: dict[str, str],
    body: bytes,
) -> str:
    """Check the request as the gateway would; return the access key id."""
    key_id, signed, signature = parse_authorization(headers.get("authorization", ""))
    if signed != sorted(signed):
        raise APIError(400, "IncompleteSignature", "SignedHeaders must be sorted.")
    required = {"host"} | {h for h in headers if h.startswith("x-acs-")}
    if "content-type" in headers:
        required.add("content-type")
    missing = sorted(required - set(signed))
    if missing:
        raise APIError(400, "IncompleteSignature", f"Headers not signed: {', '.join(missing)}.")
    if headers.get("x-acs-content-sha256") != hashlib.sha256(body).hexdigest():
        raise APIError(
            400, "InvalidParameter.ContentSHA256", "x-acs-content-sha256 does not match the body."
        )
    try:
        sent = datetime.strptime(headers.get("x-acs-date", ""), "%Y-%m-%dT%H:%M:%SZ")
    except ValueError:
        raise APIError(400, "MissingParameter", "x-acs-date is missing or malformed.") from None
    skew = abs(sent.replace(tzinfo=timezone.utc).timestamp() - time.time())
    if skew > MAX_SKEW_SECONDS:
        raise APIError(
            400, "InvalidTimeStamp.Expired", "Specified time stamp or date value is expired."
        )
    key = state.keys.get(key_id)
    if key is None:
        raise APIError(404, "InvalidAccessKeyId.NotFound", "Specified access key is not found.")
    if key.token is not None:
        token = headers.get("x-acs-security-token")
        if not token:
            raise APIError(
                400, "MissingSecurityToken", "SecurityToken is mandatory for this action."
            )
        if token != key.token:
            raise APIError(
                400,
                "InvalidSecurityToken.MismatchWithAccessKey",
                "Specified SecurityToken mismatch with the AccessKey.",
            )
        if time.time() >= key.valid_until:
            raise APIError(
                400, "InvalidSecurityToken.Expired", "Specified SecurityToken is expired."
            )
    expected = hmac.new(
        key.secret.encode(),
        string_to_sign(method, path, query, headers, signed).encode(),
        hashlib.sha256,
    ).hexdigest()
    if not hmac.compare_digest(expected, signature):
        raise APIError(
            400, "SignatureDoesNotMatch", "Specified signature is not matched with our calculation."
        )
    nonce = headers.get("x-acs-signature-nonce", "")
    with state.lock:
        if not nonce or nonce in state.nonces:
            raise APIError(400, "SignatureNonceUsed", "Specified signature nonce was used already.")
        state.nonces.add(nonce)
    return key_id


def _parameter(name: str, value: str, ptype: str) -> dict[str, Any]:
    return {
        "Name": name,
        "Id": "p-" + hashlib.md5(name.encode()).hexdigest()[:20],
        "Type": ptype,
        "Value": value,
        "ParameterVersion": 1,
        "ShareType": "Private",
        "CreatedDate": "2024-01-02T03:04:05Z",
        "UpdatedDate": "2024-01-02T03:04:05Z",
        "Description": "",
        "Constraints": "{}",
        "Tags": {},
    }


def answer(state: ACSState, action: str, params: dict[str, str]) -> dict[str, Any]:
    """The JSON body for one verified request."""
    if action == "GetSecretValue":
        name = params.get("SecretName", "")
        if name not in state.secrets:
            raise APIError(404, "Forbidden.ResourceNotFound", "Resource not found.")
        data, dtype = state.secrets[name]
        return {
            "SecretName": name,
            "SecretType": "Generic",
            "SecretData": data,
            "SecretDataType": dtype,
            "VersionId": "v1",
            "VersionStages": {"VersionStage": ["ACSCurrent"]},
            "CreateTime": "2024-01-02T03:04:05Z",
        }
    if action in ("GetParameter", "GetSecretParameter"):
        name = params.get("Name", "")
        found = state.parameters.get(name)
        secret_kind = action == "GetSecretParameter"
        if found is None or (found[1] == "Secret") != secret_kind:
            raise APIError(
                404, "EntityNotExists.Parameter", f"The parameter ({name}) does not exist."
            )
        value, ptype = found
        if secret_kind and params.get("WithDecryption", "").lower() != "true":
            value = "encrypted:" + hashlib.sha256(value.encode()).hexdigest()
        return {"Parameter": _parameter(name, value, ptype)}
    # GetParametersByPath / GetSecretParametersByPath
    path = params.get("Path", "")
    secret_kind = action == "GetSecretParametersByPath"
    recursive = params.get("Recursive", "").lower() == "true"
    names = sorted(
        n
        for n, (_, t) in state.parameters.items()
        if n.startswith(path)
        and (t == "Secret") == secret_kind
        and (recursive or "/" not in n[len(path) :].strip("/"))
    )
    start = int(params.get("NextToken") or 0)
    size = min(int(params.get("MaxResults") or state.page_size), state.page_size)
    page = names[start : start + size]
    body: dict[str, Any] = {
        "Parameters": [_parameter(n, *state.parameters[n]) for n in page],
        "MaxResults": size,
        "TotalCount": len(names),
    }
    if start + size < len(names):
        body["NextToken"] = str(start + size)
    return body


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: Any) -> None:  # keep test output clean
        pass

    def do_GET(self) -> None:
        self._handle()

    def do_POST(self) -> None:
        self._handle()

    def _handle(self) -> None:
        state = self.server.state
        request_id = str(uuid.uuid4()).upper()
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        if state.hang:
            state.stopping.wait(30)
            self.close_connection = True
            return
        if state.delay:
            time.sleep(state.delay)
        headers = {k.lower(): v for k, v in self.headers.items()}
        split = urlsplit(self.path)
        query = parse_qsl(split.query, keep_blank_values=True)
        try:
            key_id = verify(state, self.command, split.path, query, headers, body)
        except APIError as exc:
            with state.lock:
                state.rejected.append(exc.code)
            self._send(exc.status, {"Code": exc.code, "Message": exc.message}, request_id)
            return
        try:
            action = headers.get("x-acs-action", "")
            if VERSIONS.get(action) != headers.get("x-acs-version"):
                raise APIError(
                    404,
                    "InvalidAction.NotFound",
                    "Specified api is not found, please check your url and method.",
                )
            params = dict(query)
            if headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
                params.update(parse_qsl(body.decode(), keep_blank_values=True))
            name = params.get("SecretName") or params.get("Name") or params.get("Path", "")
            with state.lock:
                state.requests.append((action, name, key_id))
                failure = state.failures.popleft() if state.failures else None
            if failure is not None and failure[1] == "raw":  # a 200 whose body is not JSON
                self._send_raw(200, failure[2].encode(), request_id)
                return
            if failure is not None:
                status, code, message, extra = failure
                self._send(status, {"Code": code, "Message": message}, request_id, extra)
                return
            self._send(200, answer(state, action, params), request_id)
        except APIError as exc:
            self._send(exc.status, {"Code": exc.code, "Message": exc.message}, request_id)

    def _send_raw(self, status: int, data: bytes, request_id: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json;charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("x-acs-request-id", request_id)
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(data)
        self.close_connection = True

    def _send(
        self,
        status: int,
        body: dict[str, Any],
        request_id: str,
        extra: Optional[dict[str, str]] = None,
    ) -> None:
        body = {"RequestId": request_id, **body}
        if status >= 400:
            body.setdefault("HostId", self.headers.get("host", ""))
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json;charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("x-acs-request-id", request_id)
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(data)
        self.close_connection = True


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    state: ACSState


class ACSServer:
    """The server on 127.0.0.1 and a free port, in a thread; a context manager.

    Example::

        with ACSServer() as server:
            server.add_key("STS.id", "secret", "token")
            server.secrets["db-password"] = ("s3cr3t", "text")
            # KMSSecrets(endpoint=server.endpoint, protocol="http", credentials=...)
    """

    def __init__(self) -> None:
        self.state = ACSState()
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.state = self.state
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    @property
    def endpoint(self) -> str:
        """``127.0.0.1:PORT``: what the SDKs take as ``endpoint`` (with ``protocol="http"``)."""
        return f"127.0.0.1:{self._server.server_address[1]}"

    @property
    def secrets(self) -> dict[str, tuple[str, str]]:
        """KMS secrets: name -> (SecretData, SecretDataType ``text``/``binary``)."""
        return self.state.secrets

    @property
    def parameters(self) -> dict[str, tuple[str, str]]:
        """OOS parameters: name -> (value, type ``String``/``StringList``/``Secret``)."""
        return self.state.parameters

    @property
    def requests(self) -> list[tuple[str, str, str]]:
        """(action, name, access key id) of every request that passed the checks."""
        return self.state.requests

    @property
    def rejected(self) -> list[str]:
        """The error codes of the requests the checks refused."""
        return self.state.rejected

    def add_key(
        self, key_id: str, secret: str, token: Optional[str] = None, valid_for: float = float("inf")
    ) -> None:
        """Accept ``key_id`` (with ``token`` for STS keys) for ``valid_for`` seconds from now."""
        self.state.keys[key_id] = Key(secret, token, time.time() + valid_for)

    def expire(self, key_id: str) -> None:
        """Make ``key_id``'s token expired from now on."""
        self.state.keys[key_id].valid_until = time.time()

    def fail_next(
        self,
        status: int,
        code: str,
        message: str = "",
        times: int = 1,
        headers: Optional[dict[str, str]] = None,
    ) -> None:
        """Answer the next ``times`` verified requests with this error."""
        for _ in range(times):
            self.state.failures.append((status, code, message or code, dict(headers or {})))

    def answer_raw_next(self, text: str) -> None:
        """Answer the next verified request with 200 and ``text`` as the body (not JSON)."""
        self.state.failures.append((200, "raw", text, {}))

    def count(self, action: str, name: Optional[str] = None) -> int:
        """How many verified requests asked for ``action`` (and ``name``)."""
        return sum(1 for a, n, _ in self.requests if a == action and (name is None or n == name))

    def start(self) -> ACSServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.state.stopping.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)

    def __enter__(self) -> ACSServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
