"""``report.pdf`` and ``report.en.pdf``: the report page printed on A4 by headless Chromium.

The PDF is the same HTML as ``report.html``, printed with its print stylesheet
(``static/report.css``: A4, a section per page, the project list on landscape pages, no
appendix, the static overview map instead of the interactive one), in Chinese
(``report.pdf``) and in English (``report.en.pdf``, the page opened as
``report.html#lang=en``). Chromium is the one engine here that renders the page's CSS and CJK
text as a browser shows them; it is found on the ``PATH`` (Debian: ``apt-get install chromium
fonts-noto-cjk``). One browser prints every language: it is driven over its DevTools pipe
(``--remote-debugging-pipe``: JSON messages ended by a NUL byte, commands on its file
descriptor 3, answers on 4), one tab per language, so that a second PDF costs a page, not a
browser. Where Chromium is missing or fails, no PDF is written and `PdfJob.result` says why, in
both languages, for the caller to report.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..messages import Language, Text, text

#: Executable names tried in order.
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
#: Seconds before a print is abandoned (the demo prints in a few seconds).
TIMEOUT_S = 120.0
#: Times a browser that crashed before printing (closed its DevTools pipe) is started again:
#: seen once in a full test run on a 2-core machine, gone on the next try.
LAUNCH_RETRIES = 1
_FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
    "--no-first-run", "--disable-extensions", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--disable-default-apps",
    "--mute-audio", "--remote-debugging-pipe",
)
#: Why a print stopped when the browser went away mid-conversation.
_CLOSED = "Chromium closed its DevTools pipe"
#: The PDF file of each language.
PDF_NAMES: dict[Language, str] = {"zh": "report.pdf", "en": "report.en.pdf"}
#: DevTools ``Page.printToPDF`` options: the page's own @page sizes (A4, landscape pages),
#: its colours, no header or footer.
_PRINT = {"preferCSSPageSize": True, "printBackground": True, "displayHeaderFooter": False}


def find_chromium() -> str | None:
    """Path of the first Chromium executable of `CHROMIUM_NAMES` on the ``PATH``."""
    return next((found for name in CHROMIUM_NAMES if (found := shutil.which(name))), None)


class _DevTools:
    """The browser end of ``--remote-debugging-pipe``: send commands, read their answers."""

    def __init__(self, commands: int, answers: int) -> None:
        self._out = os.fdopen(commands, "wb", buffering=0)
        self._in = os.fdopen(answers, "rb", buffering=0)
        self._buffer = b""
        self._last_id = 0

    def send(self, method: str, params: dict[str, Any] | None = None,
             session: str | None = None) -> int:
        self._last_id += 1
        message: dict[str, Any] = {"id": self._last_id, "method": method,
                                   "params": params or {}}
        if session is not None:
            message["sessionId"] = session
        try:
            self._out.write(json.dumps(message).encode("utf-8") + b"\0")
        except BrokenPipeError as exc:  # the browser is gone (it crashed, or was killed)
            raise EOFError(_CLOSED) from exc
        return self._last_id

    def receive(self) -> dict[str, Any]:
        while b"\0" not in self._buffer:
            chunk = self._in.read(1 << 20)
            if not chunk:
                raise EOFError(_CLOSED)
            self._buffer += chunk
        message, self._buffer = self._buffer.split(b"\0", 1)
        answer: dict[str, Any] = json.loads(message)
        if "error" in answer:
            msg = f"DevTools: {answer['error'].get('message', answer['error'])}"
            raise RuntimeError(msg)
        return answer

    def call(self, method: str, params: dict[str, Any] | None = None,
             session: str | None = None) -> dict[str, Any]:
        """Send a command and wait for its answer (events meanwhile are dropped)."""
        wanted = self.send(method, params, session)
        while True:
            answer = self.receive()
            if answer.get("id") == wanted:
                result: dict[str, Any] = answer.get("result", {})
                return result

    def close(self) -> None:
        self._out.close()
        self._in.close()


def _print_all(devtools: _DevTools, url: str, languages: Sequence[Language]
               ) -> dict[Language, bytes]:
    """Open ``url`` once per language in its own tab and print each to PDF."""
    sessions: dict[str, Language] = {}
    for language in languages:
        target = devtools.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = devtools.call("Target.attachToTarget",
                                {"targetId": target, "flatten": True})["sessionId"]
        sessions[session] = language
        devtools.call("Page.enable", session=session)
        devtools.send("Page.navigate",
                      {"url": url + ("#lang=en" if language == "en" else "")}, session)
    loaded: set[str] = set()
    while len(loaded) < len(sessions):
        event = devtools.receive()
        if event.get("method") == "Page.loadEventFired" and event.get("sessionId") in sessions:
            loaded.add(event["sessionId"])
    asked = {devtools.send("Page.printToPDF", _PRINT, session): language
             for session, language in sessions.items()}
    printed: dict[Language, bytes] = {}
    while len(printed) < len(asked):
        answer = devtools.receive()
        if answer.get("id") in asked:
            printed[asked[answer["id"]]] = base64.b64decode(answer["result"]["data"])
    devtools.send("Browser.close")
    return printed


class PdfJob:
    """A print of the HTML ``page`` (held in a temporary folder) in each of ``languages`` by
    one headless Chromium; `result` waits for it.

    Started by `start_print`, so that the caller can write other files meanwhile (a thread
    talks to the browser).
    """

    def __init__(self, page: str, *, languages: Sequence[Language] = ("zh",),
                 timeout_s: float = TIMEOUT_S) -> None:
        self._languages = tuple(languages)
        self._timeout_s = timeout_s
        self._profile = tempfile.TemporaryDirectory(prefix="siting-chromium-")
        source = Path(self._profile.name) / "report.html"
        source.write_text(page, encoding="utf-8")
        self._process: subprocess.Popen[bytes] | None = None
        self._printed: dict[Language, bytes] = {}
        self._failure: Text | None = None
        self._thread: threading.Thread | None = None
        self._launches = 0
        chromium = find_chromium()
        if chromium is None:
            self._failure = text("notice.no_chromium")
            return
        self._chromium = chromium
        devtools = self._launch()
        if devtools is None:
            return
        self._thread = threading.Thread(target=self._drive, args=(devtools, source.as_uri()),
                                        daemon=True)
        self._thread.start()

    def _launch(self) -> _DevTools | None:
        """Start the browser with its DevTools pipe, in a profile folder of its own (a crashed
        browser may leave its profile locked); None (and `_failure` set) when it cannot."""
        self._launches += 1
        # Commands go to the browser's descriptor 3, answers come from its descriptor 4.
        to_browser, commands = os.pipe()
        answers, from_browser = os.pipe()
        profile = Path(self._profile.name) / f"profile-{self._launches}"
        try:
            self._process = subprocess.Popen(
                [self._chromium, *_FLAGS, f"--user-data-dir={profile}", "about:blank"],
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                env={**os.environ, "LANG": "zh_CN.UTF-8"},
                # Descriptors 3 and 4 are made in the child after Popen would close them:
                # keep what is inheritable (Python opens files non-inheritable anyway).
                close_fds=False,
                preexec_fn=lambda: _as_fds_3_and_4(to_browser, from_browser))
        except OSError as exc:
            self._failure = text("notice.chromium_failed", detail=f"{type(exc).__name__}: {exc}")
            os.close(commands)
            os.close(answers)
            return None
        finally:
            os.close(to_browser)
            os.close(from_browser)
        return _DevTools(commands, answers)

    def _drive(self, devtools: _DevTools | None, url: str) -> None:
        """Print; a browser that closed its pipe (it crashed) is started again, up to
        `LAUNCH_RETRIES` times."""
        for attempt in range(1 + LAUNCH_RETRIES):
            if devtools is None:
                return
            try:
                self._printed = _print_all(devtools, url, self._languages)
                self._failure = None
                return
            except (OSError, EOFError, RuntimeError, KeyError, ValueError) as exc:
                self._failure = text("notice.chromium_failed", detail=str(exc)[:200])
                if not isinstance(exc, EOFError) or attempt == LAUNCH_RETRIES:
                    return
            finally:
                devtools.close()
            if self._process is not None:
                self._process.kill()
                try:  # its helper processes may hold its stderr a while
                    self._process.communicate(timeout=self._timeout_s)
                except subprocess.TimeoutExpired:
                    return
            devtools = self._launch()

    def result(self) -> dict[Language, bytes | Text]:
        """The PDF of each language, or why it could not be printed, in both languages."""
        try:
            if self._thread is not None:
                self._thread.join(self._timeout_s)
                if self._thread.is_alive():
                    self._failure = text("notice.chromium_failed",
                                         detail=f"no PDF after {self._timeout_s:g} s")
            if self._process is not None:
                if self._thread is None or self._thread.is_alive() or self._failure:
                    self._process.kill()
                try:
                    _, stderr = self._process.communicate(timeout=self._timeout_s)
                except subprocess.TimeoutExpired:
                    self._process.kill()
                    _, stderr = self._process.communicate()
                if self._failure is None and not self._printed:
                    lines = stderr.decode("utf-8", "replace").strip().splitlines()
                    self._failure = text("notice.chromium_failed", detail=(
                        lines or [f"exit {self._process.returncode}"])[-1][:200])
            out: dict[Language, bytes | Text] = {}
            for language in self._languages:
                pdf = self._printed.get(language)
                out[language] = pdf if pdf else text(
                    "notice.pdf_missing", name=PDF_NAMES[language],
                    why=self._failure or text("notice.chromium_failed", detail="empty PDF"))
            return out
        finally:
            self._profile.cleanup()


def _as_fds_3_and_4(to_browser: int, from_browser: int) -> None:
    """In the browser's process: its DevTools pipe on descriptors 3 (in) and 4 (out)."""
    reading, writing = os.dup(to_browser), os.dup(from_browser)
    os.dup2(reading, 3)
    os.dup2(writing, 4)


def start_print(page: str, *, languages: Sequence[Language] = ("zh",),
                timeout_s: float = TIMEOUT_S) -> PdfJob:
    """Start printing the self-contained HTML ``page`` to PDF (A4, its print stylesheet), in
    its Chinese view and/or its English one (``report.html#lang=en``), by one browser."""
    return PdfJob(page, languages=languages, timeout_s=timeout_s)
