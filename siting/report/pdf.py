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
import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
from collections import deque
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from ..messages import Language, Text, text

#: Executable names tried in order.
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
#: Seconds before a print is abandoned (the demo prints in a few seconds).
TIMEOUT_S = 120.0
#: Times a browser that crashed before printing (closed its DevTools pipe) is started again:
#: seen now and then in full test runs on 2-core machines, gone on the next try.
LAUNCH_RETRIES = 2
#: Seconds the caller waits for the printing thread once it has stopped a browser that
#: took too long.
STOP_WAIT_S = 10.0
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
    """The browser end of ``--remote-debugging-pipe``: send commands, read their answers and
    the browser's events, in the order they came."""

    def __init__(self, commands: int, answers: int) -> None:
        self._out = os.fdopen(commands, "wb", buffering=0)
        self._in = os.fdopen(answers, "rb", buffering=0)
        self._buffer = b""
        self._last_id = 0
        # Messages read while `call` waited for its answer, for `receive` to return: a tab
        # may finish loading while the next one is being opened.
        self._held: deque[dict[str, Any]] = deque()

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
        """The next message: an answer or an event, those held by `call` first."""
        return self._held.popleft() if self._held else self._read()

    def _read(self) -> dict[str, Any]:
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
        """Send a command and wait for its answer; what comes meanwhile is held for
        `receive`."""
        wanted = self.send(method, params, session)
        while True:
            answer = self._read()
            if answer.get("id") == wanted:
                result: dict[str, Any] = answer.get("result", {})
                return result
            self._held.append(answer)

    def close(self) -> None:
        self._out.close()
        self._in.close()


def _print_all(devtools: _DevTools, url: str, languages: Sequence[Language],
               step: Callable[[str], None]) -> dict[Language, bytes]:
    """Open ``url`` once per language in its own tab and print each to PDF; ``step`` is told
    what is being waited for."""
    step("opening the tabs")
    sessions: dict[str, Language] = {}
    for language in languages:
        target = devtools.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = devtools.call("Target.attachToTarget",
                                {"targetId": target, "flatten": True})["sessionId"]
        sessions[session] = language
        devtools.call("Page.enable", session=session)
        devtools.send("Page.navigate",
                      {"url": url + ("#lang=en" if language == "en" else "")}, session)
    step("loading the page")
    loaded: set[str] = set()
    while len(loaded) < len(sessions):
        event = devtools.receive()
        if event.get("method") == "Page.loadEventFired" and event.get("sessionId") in sessions:
            loaded.add(event["sessionId"])
    step("printing")
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

    Started by `start_print`, so that the caller can write other files meanwhile. One thread
    owns the browser: it starts it, talks to it, stops it and waits for it; the caller's
    thread only waits for that thread, and on a timeout stops the browser (a signal), so no
    two threads ever read the same descriptor. The browser writes its messages to a file of
    the temporary folder, not a pipe, so that helper processes outliving it hold up nothing.
    """

    def __init__(self, page: str, *, languages: Sequence[Language] = ("zh",),
                 timeout_s: float = TIMEOUT_S) -> None:
        self._languages = tuple(languages)
        self._timeout_s = timeout_s
        self._folder = tempfile.TemporaryDirectory(prefix="siting-chromium-",
                                                   ignore_cleanup_errors=True)
        source = Path(self._folder.name) / "report.html"
        source.write_text(page, encoding="utf-8")
        self._process: subprocess.Popen[bytes] | None = None
        self._printed: dict[Language, bytes] = {}
        self._failure: Text | None = None
        self._thread: threading.Thread | None = None
        self._launches = 0
        self._step = "starting Chromium"  # what the printing thread waits for
        self._given_up = threading.Event()  # set by `result` when the print took too long
        chromium = find_chromium()
        if chromium is None:
            self._failure = text("notice.no_chromium")
            return
        self._thread = threading.Thread(target=self._drive, args=(chromium, source.as_uri()),
                                        daemon=True)
        self._thread.start()

    def _log(self) -> Path:
        """The file of the latest browser's messages (its standard error)."""
        return Path(self._folder.name) / f"chromium-{self._launches}.log"

    def _launch(self, chromium: str) -> _DevTools:
        """Start the browser with its DevTools pipe, in a session of its own (so that it and
        its helpers are stopped together) and a profile folder of its own (a crashed browser
        may leave its profile locked)."""
        self._launches += 1
        self._step = "starting Chromium"
        # Commands go to the browser's descriptor 3, answers come from its descriptor 4. A
        # small Python program puts them there and becomes the browser: no code runs between
        # fork and exec in this process, which has other threads.
        to_browser, commands = os.pipe()
        answers, from_browser = os.pipe()
        profile = Path(self._folder.name) / f"profile-{self._launches}"
        try:
            with self._log().open("wb") as log:
                self._process = subprocess.Popen(
                    [sys.executable, "-I", "-S", "-c", _AS_FDS_3_AND_4,
                     str(to_browser), str(from_browser), chromium, *_FLAGS,
                     f"--user-data-dir={profile}", "about:blank"],
                    stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=log,
                    env={**os.environ, "LANG": "zh_CN.UTF-8"},
                    pass_fds=(to_browser, from_browser), start_new_session=True)
        except OSError:
            os.close(commands)
            os.close(answers)
            raise
        finally:
            os.close(to_browser)
            os.close(from_browser)
        return _DevTools(commands, answers)

    def _at(self, step: str) -> None:
        self._step = step

    def _stop(self) -> None:
        """Stop the latest browser and its helpers (its whole session); safe from any
        thread, and when it is already gone."""
        if self._process is not None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self._process.pid, signal.SIGKILL)

    def _drive(self, chromium: str, url: str) -> None:
        """Print; a browser that closed its pipe (it crashed) is started again, up to
        `LAUNCH_RETRIES` times. Whatever goes wrong ends as `_failure`, never as an
        exception of this thread."""
        for _ in range(1 + LAUNCH_RETRIES):
            if self._given_up.is_set():
                return
            try:
                devtools = self._launch(chromium)
            except OSError as exc:
                self._failure = text("notice.chromium_failed",
                                     detail=f"{type(exc).__name__}: {exc}")
                return
            crashed = False
            try:
                self._printed = _print_all(devtools, url, self._languages, self._at)
                self._failure = None
            except EOFError as exc:
                self._failure = self._failed(exc)
                crashed = True
            except (OSError, RuntimeError, KeyError, ValueError) as exc:
                self._failure = self._failed(exc)
            finally:
                devtools.close()
                self._stop()
                if self._process is not None:
                    with contextlib.suppress(subprocess.TimeoutExpired):
                        self._process.wait(timeout=self._timeout_s)
            if not crashed:
                return

    def _failed(self, exc: Exception) -> Text:
        """Why the print failed: ``exc`` and the last line of the browser's messages."""
        why = str(exc)
        with contextlib.suppress(OSError):
            lines = self._log().read_bytes().decode("utf-8", "replace").strip().splitlines()
            if lines:
                why = f"{why}: {lines[-1].strip()}"
        return text("notice.chromium_failed", detail=why[:300])

    def result(self) -> dict[Language, bytes | Text]:
        """The PDF of each language, or why it could not be printed, in both languages."""
        try:
            if self._thread is not None:
                self._thread.join(self._timeout_s)
                if self._thread.is_alive():
                    self._given_up.set()
                    self._stop()  # the thread then reads the closed pipe and ends
                    self._thread.join(STOP_WAIT_S)
                    self._failure = text(
                        "notice.chromium_failed",
                        detail=f"no PDF after {self._timeout_s:g} s, {self._step}")
            out: dict[Language, bytes | Text] = {}
            for language in self._languages:
                pdf = self._printed.get(language)
                out[language] = pdf if pdf else text(
                    "notice.pdf_missing", name=PDF_NAMES[language],
                    why=self._failure or text("notice.chromium_failed", detail="empty PDF"))
            return out
        finally:
            self._folder.cleanup()


#: The program that becomes the browser with the DevTools pipe on its descriptors 3 and 4:
#: ``python -c _AS_FDS_3_AND_4 <commands fd> <answers fd> <browser> <arguments>``. It copies
#: both first, so that either may already be 3 or 4.
_AS_FDS_3_AND_4 = """\
import os, sys
given = int(sys.argv[1]), int(sys.argv[2])
copies = os.dup(given[0]), os.dup(given[1])
for fd, copy in zip((3, 4), copies):
    os.dup2(copy, fd)
    os.set_inheritable(fd, True)  # dup2 onto itself keeps the copy's close-on-exec
for fd in {*given, *copies} - {3, 4}:
    os.close(fd)
os.execv(sys.argv[3], sys.argv[3:])
"""


def start_print(page: str, *, languages: Sequence[Language] = ("zh",),
                timeout_s: float = TIMEOUT_S) -> PdfJob:
    """Start printing the self-contained HTML ``page`` to PDF (A4, its print stylesheet), in
    its Chinese view and/or its English one (``report.html#lang=en``), by one browser."""
    return PdfJob(page, languages=languages, timeout_s=timeout_s)
