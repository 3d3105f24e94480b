"""Walking minutes ⇄ metres: one function pair, and nobody else converts."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from siting.walking_time import metres_to_minutes, minutes_to_metres

REPO = Path(__file__).parents[1]


def test_minutes_and_metres() -> None:
    assert minutes_to_metres(15, 1.1) == pytest.approx(990)
    np.testing.assert_allclose(metres_to_minutes([0, 480], 0.8), [0, 10])
    # One speed per row (blind spots: each row at its own group's speed); inf stays inf.
    np.testing.assert_allclose(metres_to_minutes([660, 480, np.inf], [1.1, 0.8, 0.8]),
                               [10, 10, np.inf])
    minutes = np.array([0.5, 5.0, 15.0])
    np.testing.assert_allclose(metres_to_minutes(minutes_to_metres(minutes, 0.8), 0.8), minutes)


@pytest.mark.parametrize("speed", [0.0, -1.0, np.nan, [1.1, 0.0]])
def test_a_speed_that_is_not_positive_is_refused(speed: object) -> None:
    with pytest.raises(ValueError, match=r"speed.*speeds_m_per_s"):
        metres_to_minutes(1, speed)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="speed"):
        minutes_to_metres(1, speed)  # type: ignore[arg-type]


def _sources() -> list[Path]:
    return [p for p in sorted((REPO / "siting").rglob("*")) if p.suffix in (".py", ".html")
            and p.name != "walking_time.py" and "leaflet" not in p.parts]


def test_nobody_else_converts_minutes_and_metres() -> None:
    """A speed times or over 60 (or seconds per minute) outside `siting.walking_time`."""
    pattern = re.compile(r"speed[^\n]*[*/]\s*60\b|\b60(\.0)?\s*\*[^\n]*speed|SECONDS_PER_MINUTE")
    found = [f"{p.relative_to(REPO)}:{n}" for p in _sources()
             for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
             if pattern.search(line)]
    assert found == [], "convert through siting.walking_time"


def test_the_map_receives_minutes_only() -> None:
    """The map's script gets minutes from Python: it knows no walking speed."""
    page = (REPO / "siting" / "report" / "static" / "map.html").read_text(encoding="utf-8")
    assert "speed" not in page
    assert "metres" not in page
