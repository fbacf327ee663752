"""Headless Chromium driven over the DevTools protocol on a pipe (``--remote-debugging-pipe``): no extra package.

:func:`open_page` loads a file and reports what a person's browser would: console errors, uncaught
exceptions, every request that left the page, and a screenshot; ``evaluate`` runs JavaScript in it.
"""

from __future__ import annotations

import base64
import json
import os
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from safer_communities.publish.report import CHROMIUM_FLAGS, chromium

TIMEOUT = 60.0


@dataclass
class Loaded:
    console_errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    screenshot: bytes = b""
    values: dict[str, object] = field(default_factory=dict)
    shots: dict[str, bytes] = field(default_factory=dict)  # pictures of single elements, by name


class _Pipe:
    def __init__(self, process: subprocess.Popen, to_browser: int, from_browser: int) -> None:
        self.process, self.to_browser, self.from_browser = process, to_browser, from_browser
        self.buffer, self.next_id, self.events = b"", 0, []

    def send(self, method: str, session: str | None = None, **params) -> dict:
        self.next_id += 1
        message = {"id": self.next_id, "method": method, "params": params}
        if session:
            message["sessionId"] = session
        os.write(self.to_browser, json.dumps(message).encode() + b"\0")
        while True:
            reply = self.receive()
            if reply.get("id") == self.next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)

    def receive(self, deadline: float | None = None) -> dict:
        deadline = deadline or time.monotonic() + TIMEOUT
        while b"\0" not in self.buffer:
            if time.monotonic() > deadline:
                raise TimeoutError("no message from Chromium")
            chunk = os.read(self.from_browser, 1 << 16)
            if not chunk:
                raise RuntimeError(f"Chromium closed the pipe (exit {self.process.poll()})")
            self.buffer += chunk
        message, self.buffer = self.buffer.split(b"\0", 1)
        return json.loads(message)

    def wait_for(self, method: str) -> dict:
        deadline = time.monotonic() + TIMEOUT
        while True:
            for event in self.events:
                if event.get("method") == method:
                    return event
            self.events.append(self.receive(deadline))


def open_page(path: Path, width: int = 1280, height: int = 1600, expressions: dict[str, str] | None = None,
              mobile: bool = False, clips: dict[str, str] | None = None) -> Loaded:
    """Load ``path`` in headless Chromium; collect problems, a full-page screenshot, JavaScript values and a picture
    of the first element each CSS selector of ``clips`` finds. ``mobile``: as a phone's browser (the page's
    viewport settings apply)."""
    read_browser, write_test = os.pipe()  # test -> browser (its fd 3)
    read_test, write_browser = os.pipe()  # browser -> test (its fd 4)
    # Chromium's helper processes may still write to the profile as it goes: its own process group is killed
    # as a whole, and a file they leave behind does not fail the test.
    with tempfile.TemporaryDirectory(ignore_cleanup_errors=True) as profile:
        process = subprocess.Popen(
            [chromium(), *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "--remote-debugging-pipe",
             f"--window-size={width},{height}", "about:blank"],
            pass_fds=(3, 4), preexec_fn=lambda: (os.dup2(read_browser, 3), os.dup2(write_browser, 4)),
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        os.close(read_browser)
        os.close(write_browser)
        pipe = _Pipe(process, write_test, read_test)
        try:
            target = pipe.send("Target.createTarget", url="about:blank")["targetId"]
            session = pipe.send("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
            for domain in ("Page", "Runtime", "Network", "Log"):
                pipe.send(f"{domain}.enable", session)
            pipe.send("Emulation.setDeviceMetricsOverride", session, width=width, height=height,
                      deviceScaleFactor=1, mobile=mobile)
            pipe.send("Page.navigate", session, url=path.resolve().as_uri())
            pipe.wait_for("Page.loadEventFired")
            loaded = Loaded()
            for name, expression in (expressions or {}).items():
                result = pipe.send("Runtime.evaluate", session, expression=expression, returnByValue=True)
                loaded.values[name] = result["result"].get("value")
            shot = pipe.send("Page.captureScreenshot", session, format="png", captureBeyondViewport=True)
            loaded.screenshot = base64.b64decode(shot["data"])
            for name, selector in (clips or {}).items():
                box = pipe.send("Runtime.evaluate", session, returnByValue=True, expression=(
                    f"(() => {{ const r = document.querySelector({json.dumps(selector)}).getBoundingClientRect(); "
                    "return {x: r.x + scrollX, y: r.y + scrollY, width: r.width, height: r.height, scale: 1}; })()"
                ))["result"]["value"]
                shot = pipe.send("Page.captureScreenshot", session, format="png", clip=box, captureBeyondViewport=True)
                loaded.shots[name] = base64.b64decode(shot["data"])
            for event in pipe.events:
                method, params = event.get("method"), event.get("params", {})
                if method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
                    loaded.console_errors.append(json.dumps(params.get("args")))
                elif method == "Runtime.exceptionThrown":
                    loaded.console_errors.append(params["exceptionDetails"].get("text", "exception"))
                elif method == "Log.entryAdded" and params["entry"].get("level") == "error":
                    loaded.console_errors.append(params["entry"].get("text", ""))
                elif method == "Network.requestWillBeSent":
                    loaded.requests.append(params["request"]["url"])
            return loaded
        finally:
            os.close(write_test)
            os.close(read_test)
            try:
                os.killpg(process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            process.wait(timeout=10)


def png_size(data: bytes) -> tuple[int, int]:
    """Width and height from a PNG's IHDR chunk."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
