"""Peak memory of the running process, for benchmark records."""

from __future__ import annotations

import resource
import sys


def peak_mb() -> float:
    """Peak resident memory of this process so far, in MB (10^6 bytes)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    # ru_maxrss is in kilobytes on Linux and in bytes on macOS.
    return peak / 1e6 if sys.platform == "darwin" else peak * 1024 / 1e6
