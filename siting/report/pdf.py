"""``report.pdf``: the report page printed on A4 by headless Chromium.

The PDF is the same HTML as ``report.html``, printed with its print stylesheet
(``static/report.css``: A4, a section per page, the project list on landscape pages, no
appendix, the static overview map instead of the interactive one), in Chinese
(``report.pdf``) and in English (``report.en.pdf``, the page opened as
``report.html#lang=en``). Chromium is the one engine
here that renders the page's CSS and CJK text as a browser shows them; it is found on the
``PATH`` (Debian: ``apt-get install chromium fonts-noto-cjk``). Where it is missing or fails, no
PDF is written and `print_pdf` says why, in both languages, for the caller to report.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from ..messages import Language, Text, text

#: Executable names tried in order.
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
#: Seconds before a print is abandoned (the demo prints in a few seconds).
TIMEOUT_S = 120.0
_FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
    "--no-first-run", "--disable-extensions", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--disable-default-apps",
    "--mute-audio", "--no-pdf-header-footer", "--print-to-pdf-no-header",
    "--virtual-time-budget=10000",
)


def find_chromium() -> str | None:
    """Path of the first Chromium executable of `CHROMIUM_NAMES` on the ``PATH``."""
    return next((found for name in CHROMIUM_NAMES if (found := shutil.which(name))), None)


class PdfJob:
    """A print of the HTML ``page`` (held in a temporary folder) by headless Chromium;
    `result` waits for it.

    Started by `start_print`, so that the caller can write other files meanwhile.
    """

    def __init__(self, page: str, *, language: Language = "zh",
                 timeout_s: float = TIMEOUT_S) -> None:
        self._timeout_s = timeout_s
        self._profile = tempfile.TemporaryDirectory(prefix="siting-chromium-")
        folder = Path(self._profile.name)
        self._pdf = folder / "report.pdf"
        source = folder / "report.html"
        source.write_text(page, encoding="utf-8")
        self._process: subprocess.Popen[bytes] | None = None
        self._failure: Text | None = None
        self._name = "report.en.pdf" if language == "en" else "report.pdf"
        chromium = find_chromium()
        if chromium is None:
            self._failure = text("notice.pdf_missing", name=self._name,
                                 why=text("notice.no_chromium"))
            return
        command = [chromium, *_FLAGS, f"--user-data-dir={self._profile.name}",
                   f"--print-to-pdf={self._pdf}",
                   source.as_uri() + ("#lang=en" if language == "en" else "")]
        try:
            self._process = subprocess.Popen(
                command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                env={**os.environ, "LANG": "zh_CN.UTF-8"})
        except OSError as exc:
            self._failure = self._failed(f"{type(exc).__name__}: {exc}")

    def _failed(self, detail: str) -> Text:
        return text("notice.pdf_missing", name=self._name,
                    why=text("notice.chromium_failed", detail=detail))

    def result(self) -> bytes | Text:
        """The PDF, or why it could not be printed, in both languages."""
        try:
            if self._process is None:
                assert self._failure is not None
                return self._failure
            try:
                _, stderr = self._process.communicate(timeout=self._timeout_s)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.communicate()
                return self._failed(f"no PDF after {self._timeout_s:g} s")
            if self._process.returncode != 0 or not self._pdf.is_file() \
                    or self._pdf.stat().st_size == 0:
                lines = stderr.decode("utf-8", "replace").strip().splitlines()
                return self._failed((lines or [f"exit {self._process.returncode}"])[-1][:200])
            return self._pdf.read_bytes()
        finally:
            self._profile.cleanup()


def start_print(page: str, *, language: Language = "zh",
                timeout_s: float = TIMEOUT_S) -> PdfJob:
    """Start printing the self-contained HTML ``page`` to PDF (A4, its print stylesheet), in
    its Chinese view or its English one (``report.html#lang=en``)."""
    return PdfJob(page, language=language, timeout_s=timeout_s)
