"""The documentation site builds with ``mkdocs build --strict`` and renders in a real browser.

The site is built into a temporary folder, served on 127.0.0.1 by the standard library's HTTP
server, and opened in Debian's Chromium (driven by Playwright with ``executable_path``; no
browser download): the home page, a search and one API page render with no console error and no
failed request, and no internal link of any built page is broken.

Needs the ``docs`` extra (in ``dev`` on Python 3.11+) and ``/usr/bin/chromium`` (``.ci/run``
installs it). Outside CI a missing piece skips with the reason; in CI (``CI=true``) it fails,
except on Python 3.9 and 3.10, where ``dev`` leaves the docs toolchain out.
"""

from __future__ import annotations

import functools
import http.server
import os
import re
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

import pytest

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
IN_CI = os.environ.get("CI") == "true"
pytestmark = pytest.mark.slow


def _need(condition: bool, reason: str) -> None:
    if not condition:
        if IN_CI and sys.version_info >= (3, 11):  # the docs toolchain is a 3.11+ dev extra
            pytest.fail(f"{reason} (required in CI)")
        pytest.skip(reason)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    try:
        import mkdocs  # noqa: F401
    except ImportError:
        _need(False, "mkdocs is not installed: pip install -e '.[docs]'")
    out = tmp_path_factory.mktemp("site")
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    proc = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(out)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, f"mkdocs build --strict failed\n{proc.stdout}\n{proc.stderr}"
    return out


@pytest.fixture(scope="module")
def server(site: Path) -> Iterator[str]:
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

    httpd = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(Quiet, directory=str(site))
    )
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    finally:
        httpd.shutdown()
        httpd.server_close()


HREF = re.compile(r"""(?:href|src)="([^"#?]*)(?:[?#][^"]*)?\"""")


def test_no_broken_internal_links(site: Path) -> None:
    pages = sorted(site.rglob("*.html"))
    assert len(pages) >= 30, f"only {len(pages)} pages built"
    broken = []
    for page in pages:
        for target in HREF.findall(page.read_text(encoding="utf-8")):
            if not target or urlsplit(target).scheme or target.startswith("//"):
                continue
            base = site if target.startswith("/") else page.parent
            path = (base / unquote(target).lstrip("/")).resolve()
            if path.is_dir():
                path = path / "index.html"
            if not path.exists():
                broken.append(f"{page.relative_to(site)} -> {target}")
    assert not broken, "broken internal links:\n" + "\n".join(broken[:50])


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    _need(CHROMIUM is not None, "no chromium on PATH: apt-get install chromium")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _need(False, "playwright is not installed: pip install -e '.[docs]'")
    with sync_playwright() as p:
        chromium = p.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--headless=new",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        try:
            yield chromium
        finally:
            chromium.close()


def _open(browser: object, url: str) -> tuple[object, list[str]]:
    page = browser.new_page()  # type: ignore[attr-defined]
    problems: list[str] = []
    page.on(
        "console",
        lambda msg: (
            problems.append(f"console {msg.type}: {msg.text}")
            if msg.type in ("error", "warning")
            else None
        ),
    )
    page.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
    page.on("requestfailed", lambda req: problems.append(f"request failed: {req.url}"))
    page.on(
        "response",
        lambda resp: (
            problems.append(f"HTTP {resp.status}: {resp.url}") if resp.status >= 400 else None
        ),
    )
    page.goto(url, wait_until="networkidle")
    return page, problems


def test_home_page_renders(browser: object, server: str) -> None:
    page, problems = _open(browser, server)
    assert page.title().startswith("fcsdk")  # type: ignore[attr-defined]
    assert page.locator("h1").first.inner_text().startswith("fcsdk")  # type: ignore[attr-defined]
    # The invocation diagram is an SVG image that loaded (naturalWidth > 0).
    width = page.evaluate(  # type: ignore[attr-defined]
        "() => document.querySelector('img[src$=\"invocation.svg\"]').naturalWidth"
    )
    assert width > 0
    assert problems == []


def test_search_finds_a_page(browser: object, server: str) -> None:
    page, problems = _open(browser, server)
    box = page.locator("input.md-search__input")  # type: ignore[attr-defined]
    box.click()
    box.press_sequentially("envelope", delay=30)  # key events, as a person types
    results = page.locator(".md-search-result__item")  # type: ignore[attr-defined]
    results.first.wait_for(timeout=15_000)
    assert results.count() > 0
    assert problems == []


def test_api_page_renders(browser: object, server: str) -> None:
    page, problems = _open(browser, urljoin(server, "api/fcsdk/"))
    text = page.locator("article").inner_text()  # type: ignore[attr-defined]
    assert "handler" in text and "EventValidationError" in text
    # Docstring examples render as code, not as block quotes.
    assert page.locator("article pre code").count() > 5  # type: ignore[attr-defined]
    assert page.locator("article blockquote").count() == 0  # type: ignore[attr-defined]
    assert problems == []
