"""`fcsdk serve` as a web function masks the invocation's secret and STS token (raw and
URL-encoded) in its log lines and errors, also when the app reads them from the request's
headers rather than from `fc.Context` (what FC's web-function examples do)."""

from __future__ import annotations

from urllib.parse import quote, quote_plus

import httpx

from tests.runtime_support import ServeProcess, child_env, write_code

APP = {
    "webapp.py": """
    import logging
    from urllib.parse import quote, quote_plus

    async def handler(scope, receive, send):
        if scope["type"] != "http":
            return
        headers = dict(scope["headers"])
        name = b"x-fc-security-token" if scope["path"] == "/token" else b"x-fc-access-key-secret"
        value = headers[name].decode()
        logging.getLogger("app").warning("app logs %s", quote(value, safe=""))
        raise RuntimeError("leaking " + value + " and " + quote(value, safe=""))
    """
}
SECRET = "sk+Secret/Value=0123456789"
TOKEN = "STS.tok+en/with=chars0123456789abcdef"


def test_web_function_log_lines_and_errors_mask_secrets_read_from_headers(tmp_path) -> None:
    srv = ServeProcess(write_code(tmp_path, APP), "webapp.handler", env=child_env())
    try:
        with httpx.Client(base_url=srv.url, timeout=30) as c:
            for path, headers in (
                (
                    "/token",
                    {
                        "x-fc-request-id": "r-token",
                        "x-fc-access-key-id": "STS.key",
                        "x-fc-access-key-secret": SECRET,
                        "x-fc-security-token": TOKEN,
                    },
                ),
                ("/secret", {"x-fc-request-id": "r-secret", "x-fc-access-key-secret": SECRET}),
            ):
                r = c.get(path, headers=headers)
                assert r.status_code == 500
                assert r.json()["errorType"] == "RuntimeError"
        assert srv.terminate() == 0  # every line written
        log = srv.log()
    finally:
        srv.stop()
    assert "r-token [ERROR] FC Invoke Error RequestId: r-token RuntimeError: leaking " in log
    assert log.count("app logs **********") == 2
    assert log.count("leaking ********** and **********") >= 4  # line and traceback, twice
    for secret in (SECRET, TOKEN):
        for form in (secret, quote(secret, safe=""), quote_plus(secret)):
            assert form not in log
