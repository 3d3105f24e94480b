"""Text files as planners save them: UTF-8 (with or without a byte-order mark), UTF-16 with a
byte-order mark, or GBK/GB18030 (what Chinese Windows and Excel write by default).

Every YAML and CSV file siting reads goes through `read_text`, so a scenario saved in GBK reads
the same as one saved in UTF-8. The order is fixed, which keeps reading deterministic: a
byte-order mark decides; otherwise strict UTF-8, which almost never accepts text in another
encoding, is tried first, then GB18030, a superset of GBK and GB2312.
"""

from __future__ import annotations

import codecs
from pathlib import Path

from ._errors import InputFileError

_BYTE_ORDER_MARKS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
FALLBACK_ENCODINGS = ("utf-8", "gb18030")
"""Tried in this order when a file has no byte-order mark."""


def detect_encoding(data: bytes) -> str | None:
    """The encoding `read_text` reads ``data`` with, or None when none of them fits."""
    for mark, encoding in _BYTE_ORDER_MARKS:
        if data.startswith(mark):
            return encoding
    for encoding in FALLBACK_ENCODINGS:
        try:
            data.decode(encoding)
        except UnicodeDecodeError:
            continue
        return encoding
    return None


def read_text(path: str | Path) -> str:
    """The text of ``path`` in whichever of UTF-8, UTF-8 with BOM, UTF-16 with BOM, GB18030 fits.

    Raises
    ------
    OSError
        If the file cannot be read (missing, a folder, no permission).
    siting._errors.InputFileError
        If the bytes are text in none of these encodings (e.g. a spreadsheet or an image).
    """
    file = Path(path)
    data = file.read_bytes()
    encoding = detect_encoding(data)
    if encoding is None:
        raise InputFileError(
            file,
            "不是可识别编码的文本文件(UTF-8、GBK/GB18030) · not text in UTF-8 or GBK/GB18030",
            fix="另存为 UTF-8 文本 · save it as UTF-8 text",
        )
    return data.decode(encoding)
