"""Command-line pieces the benchmarks share."""

from __future__ import annotations

import argparse
from pathlib import Path


def json_file(value: str) -> Path:
    """An ``--out`` that names the JSON file to write: an existing folder is refused before the
    benchmark runs (minutes of work would otherwise end on the write)."""
    path = Path(value)
    if path.is_dir():
        msg = f"{value} is a folder; --out names the file to write, e.g. {path / 'result.json'}"
        raise argparse.ArgumentTypeError(msg)
    return path
