"""The OpenAPI document tells the truth: schemathesis sends over 1,000 generated requests to the live service.

It checks every response against the document (status codes, headers, content types, bodies),
that invalid input is refused and valid input accepted, and follows the document's links
(create, then get, update, delete the same user) in its stateful phase.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path
from urllib.parse import urljoin, urlparse

import pytest
import requests

from .conftest import ADMIN

MIN_REQUESTS = 1000
SEED = os.environ.get("SCHEMATHESIS_SEED", "2")


def test_the_document_is_openapi_3_1(rest_url):
    document = requests.get(f"{rest_url}/openapi.json").json()
    assert document["openapi"].startswith("3.1")
    assert {"/users", "/users/{user_id}"} <= set(document["paths"])


def test_the_docs_page_is_swagger_ui_on_the_document_with_assets_of_its_own(http, rest_url):
    """A student tries calls from /docs: the page loads without the internet, and reads this service's document."""
    page = http.get(f"{rest_url}/docs")
    assert page.status_code == 200 and "text/html" in page.headers["Content-Type"]
    assert "SwaggerUIBundle" in page.text
    assets = re.findall(r'(?:src|href)="([^"]+\.(?:js|css))"', page.text)
    assert any(asset.endswith(".js") for asset in assets) and any(asset.endswith(".css") for asset in assets)
    for asset in assets:
        assert not urlparse(asset).netloc, f"{asset} comes from another host"
        assert http.get(urljoin(page.url, asset)).status_code == 200, asset
    assert "openapi.json" in page.text
    assert http.get(urljoin(page.url, "openapi.json")).json() == http.get(f"{rest_url}/openapi.json").json()


def test_the_home_page_is_the_chat_page_and_links_the_docs(http, rest_url):
    """Lab 4: `/` is the chat page (labs 1-3 redirect it to the docs), which still has the docs a click away."""
    page = http.get(f"{rest_url}/")
    assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html")
    assert 'href="/docs"' in page.text
    assert http.get(f"{rest_url}/docs").url.endswith("/docs/swagger")


@pytest.fixture
def fresh_url(lab) -> str:
    """A service of its own: with the seed fixed, every run meets the same empty store and replays alike."""
    return lab.http_url


@pytest.mark.slow
def test_generated_requests_find_no_error_and_no_broken_promise(fresh_url, tmp_path: Path):
    har = tmp_path / "requests.har"
    command = [
        Path(sys.executable).with_name("st"),
        "run",
        f"{fresh_url}/openapi.json",
        "--checks",
        "all",
        "--max-examples",
        "200",
        "--seed",
        SEED,
        "--report",
        "har",
        "--report-har-path",
        har,
        "--no-color",
        # Lab 3: the admin's token, so every generated call passes authentication (schemathesis's
        # ignored_auth check still sends some without it, and expects the 401).
        "--header",
        f"Authorization: Bearer {ADMIN.token(fresh_url)}",
    ]
    result = subprocess.run(command, capture_output=True, text=True, cwd=tmp_path, timeout=600)
    assert result.returncode == 0, result.stdout[-8000:]
    entries = json.loads(har.read_text())["log"]["entries"]
    statuses = Counter(entry["response"]["status"] for entry in entries)
    assert len(entries) >= MIN_REQUESTS, f"only {len(entries)} requests were generated"
    assert not [status for status in statuses if status >= 500], statuses
