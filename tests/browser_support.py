"""Headless Chromium for the HTML report's tests, driven over the DevTools protocol on a pipe
(``--remote-debugging-pipe``: JSON messages ending in a NUL byte, commands on the browser's fd 3, answers and
events on its fd 4), with the standard library alone. Every wait is bounded by a deadline, and the browser is
killed if it does not close in time.

Debian's ``chromium`` package is the browser; ``make test`` installs it where it is missing (``make browser``).
A test that needs it fails where it is absent, unless VPCE_GUARD_NO_BROWSER=1 says to skip it.
"""

from __future__ import annotations

import base64
import fcntl
import json
import os
import select
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

# Headless, and quiet: nothing of its own fetched from the network (no update, sync or safe-browsing checks).
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-extensions",
    "--no-first-run",
    "--no-default-browser-check",
    "--hide-scrollbars",
    "--mute-audio",
)
NO_BROWSER = "VPCE_GUARD_NO_BROWSER"
# Run as ``python -c TRAMPOLINE READ_FD WRITE_FD BROWSER ARGS...``: the browser reads commands on fd 3, answers on 4.
TRAMPOLINE = (
    "import os, sys; os.dup2(int(sys.argv[1]), 3); os.dup2(int(sys.argv[2]), 4); "
    "os.close(int(sys.argv[1])); os.close(int(sys.argv[2])); os.execv(sys.argv[3], sys.argv[3:])"
)
TIMEOUT = 60.0


def chromium_path() -> str:
    """Where chromium is; a test skips only where it is absent and VPCE_GUARD_NO_BROWSER=1 says so."""
    found = shutil.which("chromium")
    if found:
        return found
    if os.environ.get(NO_BROWSER) == "1":
        pytest.skip("chromium is not installed and VPCE_GUARD_NO_BROWSER=1: the browser tests are skipped")
    pytest.fail(
        "chromium is not installed: `make browser` installs Debian's chromium package (as root), as `make test` "
        f"does; set {NO_BROWSER}=1 to skip the browser tests instead"
    )


class BrowserError(RuntimeError):
    """The browser answered a command with an error, closed its pipe, or did not answer in time."""


@dataclass
class Page:
    """One tab, attached by its session: commands go to it, and its events are kept in order of arrival."""

    browser: Browser
    session_id: str
    events: list[dict[str, Any]] = field(default_factory=list)

    def send(self, method: str, **params: Any) -> dict[str, Any]:
        return self.browser.send(method, params, session_id=self.session_id)

    def wait_for(self, method: str) -> dict[str, Any]:
        return self.browser.wait_for(method, self.session_id)

    def evaluate(self, expression: str) -> Any:
        """The value of a JavaScript expression in the page; a thrown exception is an error."""
        answer = self.send("Runtime.evaluate", expression=expression, returnByValue=True)
        if "exceptionDetails" in answer:
            raise BrowserError(f"{expression!r} threw: {answer['exceptionDetails']}")
        return answer["result"].get("value")

    def click(self, selector: str) -> None:
        """A left click, as a mouse makes it, at the middle of the first element ``selector`` matches."""
        x, y = self.evaluate(
            f"(function () {{ var r = document.querySelector({json.dumps(selector)}).getBoundingClientRect();"
            " return [r.left + r.width / 2, r.top + r.height / 2]; })()"
        )
        for kind in ("mousePressed", "mouseReleased"):
            self.send("Input.dispatchMouseEvent", type=kind, x=x, y=y, button="left", clickCount=1)

    def type_into(self, selector: str, text: str) -> None:
        """``text`` typed into the element ``selector`` matches, as a keyboard would (an input event)."""
        self.evaluate(f"document.querySelector({json.dumps(selector)}).focus()")
        self.send("Input.insertText", text=text)

    def console(self) -> list[str]:
        """Everything the page said on the console, threw, or logged (a refused fetch, a blocked script)."""
        said = []
        for event in self.events:
            params = event["params"]
            if event["method"] == "Runtime.consoleAPICalled":
                said.append(f"console.{params['type']}: {[arg.get('value') for arg in params['args']]}")
            elif event["method"] == "Runtime.exceptionThrown":
                said.append(f"exception: {params['exceptionDetails']}")
            elif event["method"] == "Log.entryAdded":
                entry = params["entry"]
                said.append(f"log {entry['level']} ({entry['source']}): {entry['text']}")
        return said

    def screenshot(self, path: Path, *, height: int | None = None) -> None:
        """A PNG of the page from its top, the viewport's width and ``height`` pixels (the viewport's if None)."""
        params: dict[str, Any] = {"format": "png"}
        if height is not None:
            width = self.evaluate("document.documentElement.clientWidth")
            params |= {"clip": {"x": 0, "y": 0, "width": width, "height": height, "scale": 1}}
            params["captureBeyondViewport"] = True
        path.write_bytes(base64.b64decode(self.send("Page.captureScreenshot", **params)["data"]))


class Browser:
    """A headless Chromium with its own profile directory, for one test."""

    def __init__(self, executable: str, profile: Path, *, timeout: float = TIMEOUT) -> None:
        self.deadline = time.monotonic() + timeout
        commands_read, self._commands = os.pipe()
        self._answers, answers_write = os.pipe()
        # A Python trampoline puts the browser's ends of the pipes at fds 3 and 4 and becomes the browser (no
        # preexec_fn: the emulator's threads run in this process).
        commands_read, answers_write = _above_4(commands_read), _above_4(answers_write)
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-c",
                TRAMPOLINE,
                str(commands_read),
                str(answers_write),
                executable,
                *FLAGS,
                "--remote-debugging-pipe",
                f"--user-data-dir={profile}",
                "about:blank",
            ],
            pass_fds=(commands_read, answers_write),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        os.close(commands_read)
        os.close(answers_write)
        self._buffer = b""
        self._next_id = 0
        self._pages: dict[str, Page] = {}

    def send(self, method: str, params: dict[str, Any] | None = None, *, session_id: str | None = None) -> Any:
        """The result of one command; events that arrive before it are kept for their page."""
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method, "params": params or {}}
        if session_id is not None:
            message["sessionId"] = session_id
        os.write(self._commands, json.dumps(message).encode() + b"\0")
        while True:
            answer = self._receive()
            if answer.get("id") == self._next_id:
                if "error" in answer:
                    raise BrowserError(f"{method}: {answer['error']}")
                return answer["result"]

    def wait_for(self, method: str, session_id: str) -> dict[str, Any]:
        """The first event ``method`` of the page not waited for yet, receiving until it comes."""
        page = self._pages[session_id]
        seen = 0
        while True:
            for event in page.events[seen:]:
                if event["method"] == method and not event.get("waited"):
                    event["waited"] = True
                    return event
            seen = len(page.events)
            self._receive()

    def open(self, url: str, *, width: int = 1366, height: int = 900) -> Page:
        """A new tab of ``width`` x ``height`` CSS pixels, listening to its console, that has loaded ``url``."""
        target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session_id = self.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        page = self._pages[session_id] = Page(self, session_id)
        for domain in ("Runtime", "Log", "Page"):
            page.send(f"{domain}.enable")
        page.send("Emulation.setDeviceMetricsOverride", width=width, height=height, deviceScaleFactor=1, mobile=False)
        page.send("Page.navigate", url=url)
        page.wait_for("Page.loadEventFired")
        return page

    def _receive(self) -> dict[str, Any]:
        """The next message, waiting no later than the deadline; an event is kept by its page."""
        while b"\0" not in self._buffer:
            left = self.deadline - time.monotonic()
            if left <= 0 or not select.select([self._answers], [], [], left)[0]:
                raise BrowserError("the browser did not answer in time")
            chunk = os.read(self._answers, 1 << 16)
            if not chunk:
                raise BrowserError(f"the browser closed its pipe (exit code {self.process.poll()})")
            self._buffer += chunk
        raw, _, self._buffer = self._buffer.partition(b"\0")
        message: dict[str, Any] = json.loads(raw)
        if "method" in message and message.get("sessionId") in self._pages:
            self._pages[message["sessionId"]].events.append(message)
        return message

    def close(self) -> None:
        """Ask the browser to close; kill it if it has not within five seconds."""
        with suppress(BrowserError, OSError):
            self.send("Browser.close")
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        os.close(self._commands)
        os.close(self._answers)


def _above_4(fd: int) -> int:
    """The same pipe end at a descriptor above 9, clear of 3 and 4; ``fd`` closed."""
    moved = fcntl.fcntl(fd, fcntl.F_DUPFD, 10)
    os.close(fd)
    return moved


@contextmanager
def browser(profile: Path, *, timeout: float = TIMEOUT) -> Iterator[Browser]:
    running = Browser(chromium_path(), profile, timeout=timeout)
    try:
        yield running
    finally:
        running.close()
