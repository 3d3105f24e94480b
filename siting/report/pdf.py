"""``report.pdf``: the report page printed on A4 by headless Chromium.

The PDF is the same HTML as ``report.html``, printed with its print stylesheet
(``static/report.css``: A4, a section per page, the project list on landscape pages, no
appendix, the static overview map instead of the interactive one). Chromium is the one engine
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

from ..messages import Text, text

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


def print_pdf(page: Path, *, timeout_s: float = TIMEOUT_S) -> bytes | Text:
    """The HTML file ``page`` printed to PDF (A4, its print stylesheet).

    Returns
    -------
    bytes or Text
        The PDF, or why it could not be printed, in both languages.
    """
    chromium = find_chromium()
    if chromium is None:
        return text("notice.pdf_missing", why=text("notice.no_chromium"))
    with tempfile.TemporaryDirectory(prefix="siting-chromium-") as profile:
        partial = Path(profile) / "report.pdf"
        command = [chromium, *_FLAGS, f"--user-data-dir={profile}",
                   f"--print-to-pdf={partial}", page.resolve().as_uri()]
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=timeout_s,
                                  check=False, env={**os.environ, "LANG": "zh_CN.UTF-8"})
        except (OSError, subprocess.TimeoutExpired) as exc:
            detail = f"{type(exc).__name__}: {exc}"
            return text("notice.pdf_missing", why=text("notice.chromium_failed", detail=detail))
        if done.returncode != 0 or not partial.is_file() or partial.stat().st_size == 0:
            last = (done.stderr.strip().splitlines() or [f"exit {done.returncode}"])[-1]
            return text("notice.pdf_missing",
                        why=text("notice.chromium_failed", detail=last[:200]))
        return partial.read_bytes()
