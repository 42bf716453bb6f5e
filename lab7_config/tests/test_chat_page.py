"""The chat page in a real browser: Debian's Chromium, driven by Playwright, against the shared lab.

Each person is a user registered over REST, in a browser context of their own (their own
storage, as in two browsers), who logs in and joins through the page's forms as a person would.
Every wait is Playwright's bounded wait for something the page shows; none is a fixed sleep.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Locator, Page, expect, sync_playwright
from websockets.sync.client import connect

from common.grading import unique_email
from common.harness import LabProcess
from common.pytest_plugin import require_tool

from .conftest import register_and_login

PASSWORD = "chat page password"
WAIT_MS = 15_000  # the longest any one thing the page should show may take to appear


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Debian's Chromium, headless (Playwright never downloads a browser of its own here)."""
    chromium = require_tool("chromium", "Debian/Ubuntu: sudo apt-get install chromium")
    expect.set_options(timeout=WAIT_MS)
    with sync_playwright() as playwright:
        # --no-sandbox: Chromium's sandbox cannot start as root, which is how CI's containers run.
        launched = playwright.chromium.launch(executable_path=chromium, args=["--no-sandbox"], headless=True)
        try:
            yield launched
        finally:
            launched.close()


def new_room() -> str:
    return f"page-{secrets.token_hex(4)}"


@contextmanager
def person(browser: Browser, lab: LabProcess, name: str) -> Iterator[Page]:
    """A new user on the chat page, logged in through its form; the page's script errors fail the test."""
    email = unique_email()
    register_and_login(lab.http_url, email, PASSWORD, name)
    context = browser.new_context(base_url=lab.http_url)
    context.set_default_timeout(WAIT_MS)
    errors: list[str] = []
    try:
        page = context.new_page()
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto("/")
        page.get_by_placeholder("email").fill(email)
        page.get_by_placeholder("password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        expect(page.locator("#status")).to_have_text("Logged in: join a room.")
        yield page
    finally:
        context.close()
    assert not errors, f"{name}'s page raised: {errors}"


def join(page: Page, room: str) -> None:
    page.locator("#room").fill(room)
    page.get_by_role("button", name="Join").click()
    expect(page.locator("#status")).to_have_text(f"In room {room}.")


def log(page: Page) -> Locator:
    return page.locator("#log")


def test_two_pages_talk_text_and_files_and_another_room_hears_nothing(browser, shared_lab, tmp_path):
    room, elsewhere = new_room(), new_room()
    text = f"hello from the page {secrets.token_hex(4)} ✓"
    payload = os.urandom(50_000)  # random bytes: any corruption (a text decoding, a truncation) shows
    with (
        person(browser, shared_lab, "Ana Page") as ana,
        person(browser, shared_lab, "Ben Page") as ben,
        person(browser, shared_lab, "Cy Page") as cy,
    ):
        join(cy, elsewhere)
        join(ana, room)
        join(ben, room)
        expect(log(ana)).to_contain_text("Ben Page joined (2 here)")  # Ben is in the room: he gets what follows

        ana.get_by_placeholder("message").fill(text)
        ana.get_by_role("button", name="Send").click()
        expect(log(ben).locator("li").last).to_have_text(f"Ana Page: {text}")

        ana.locator("#file").set_input_files(
            files=[{"name": "random.bin", "mimeType": "application/octet-stream", "buffer": payload}]
        )
        expect(log(ana)).to_contain_text(f"me: file of {len(payload)} bytes")
        received = log(ben).locator("li", has_text=f"file of {len(payload)} bytes")
        with ben.expect_download() as download:
            received.get_by_role("link", name="download").click()
        assert Path(download.value.path()).read_bytes() == payload

        assert f"Ana Page: {text}" not in log(ana).inner_text(), "the sender got its own message back"
        hears_nothing_from_another_room(cy, shared_lab, elsewhere, text)


def hears_nothing_from_another_room(page: Page, lab: LabProcess, room: str, text: str) -> None:
    """Nothing from the other room reached `page`: a message sent to its own room after them arrives alone.

    The hub relays in order and each connection's outbox is first in, first out, so had anything of
    the other room been queued for this page, it would show before the later message.
    """
    token = register_and_login(lab.http_url, unique_email(), PASSWORD, "Cy's Neighbour")
    url = f"ws://{lab.host}:{lab.env['HTTP_PORT']}/ws?room={room}"
    with connect(url, additional_headers={"Authorization": f"Bearer {token}"}, open_timeout=WAIT_MS / 1000) as ws:
        expect(log(page)).to_contain_text("Cy's Neighbour joined (2 here)")
        ws.send("only this")
        expect(log(page).locator("li").last).to_have_text("Cy's Neighbour: only this")
    seen = log(page).inner_text()
    assert text not in seen and "file of" not in seen, seen
    assert "Ana Page" not in seen and "Ben Page" not in seen, seen
