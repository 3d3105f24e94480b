"""What planners look at: the HTML report, the interactive map, charts and blind-spot tables.

`write_report` writes, into an existing output folder (after `siting.outputs.write_outputs`):

- ``report.html``: one self-contained page, Chinese first with an English switch;
- ``map.html``: the interactive map (Leaflet inlined, no network needed);
- ``charts/*.png``: coverage before/after per type, budget by phase, budget–coverage curve,
  circles at each tier per stage;
- ``blindspots.csv``: the blind-spot tables behind the report, every level in one file.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from ..plan_model import Plan
from .blindspots import blind_spot_tables
from .charts import plan_charts
from .html_map import TileLayer, map_html
from .page import SECTIONS, ReportData, Section, report_html
from .what_it_takes import lift_curve_chart

if TYPE_CHECKING:
    from ..context import PlanContext

__all__ = ["SECTIONS", "ReportData", "Section", "TileLayer", "data_notes", "write_report"]

#: Credit required by the ODbL wherever OpenStreetMap data is shown.
OSM_ATTRIBUTION = "© OpenStreetMap contributors"
SYNTHETIC_NOTE = "合成数据,仅供演示 · synthetic data, for demonstration only"
#: Words by which a scenario's own title declares its data synthetic.
SYNTHETIC_MARKERS = ("synthetic", "合成")


def data_notes(context: PlanContext) -> tuple[str, ...]:
    """Attribution and data notes for a plan's pages.

    The OpenStreetMap credit when streets come from an OSM/GraphML file or outlets from OSM
    tags; a "synthetic data" label when the scenario's title says its data are synthetic.
    """
    scenario = context.scenario
    notes = []
    if scenario.streets.is_graph_file() or (scenario.outlets and scenario.outlets.osm_tags):
        notes.append(OSM_ATTRIBUTION)
    title = f"{scenario.title.zh} {scenario.title.en}" if scenario.title else scenario.name
    if any(marker in title.lower() for marker in SYNTHETIC_MARKERS):
        notes.append(SYNTHETIC_NOTE)
    return tuple(notes)


def _write_atomic(path: Path, content: str | bytes) -> None:
    """Write through a temporary file in the same folder, so readers never see half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(content.encode("utf-8") if isinstance(content, str) else content)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def write_report(
    plan: Plan,
    context: PlanContext,
    outdir: str | Path,
    *,
    tiles: TileLayer | None = None,
    sections: Sequence[Section] = SECTIONS,
) -> list[Path]:
    """Write the report, the map, the charts and the blind-spot tables into ``outdir``.

    Parameters
    ----------
    plan, context
        A finished plan and its context (`siting.plan_with_context`).
    outdir
        Output folder (created if missing; other files in it are left alone).
    tiles
        Optional base-map tiles for the map (the default needs no network).
    sections
        Report sections in page order (`siting.report.page.SECTIONS` plus e.g. the tier
        dashboard).

    Returns
    -------
    list of Path
        The files written.
    """
    outdir = Path(outdir)
    notes = data_notes(context)
    if tiles:
        notes = (*notes, tiles.attribution)
    tables = blind_spot_tables(context)
    charts = {**plan_charts(plan), "lift_curve": lift_curve_chart(plan)}
    page = map_html(plan, context, tiles=tiles, notes=notes)
    data = ReportData(plan, context, tables, charts, page, notes)
    written: list[Path] = []
    for name, png in charts.items():
        written.append(outdir / "charts" / f"{name}.png")
        _write_atomic(written[-1], png)
    blind = pd.concat([t.assign(level=level) for level, t in tables.items()], ignore_index=True)
    written.append(outdir / "blindspots.csv")
    _write_atomic(written[-1], blind.to_csv(index=False).encode("utf-8-sig"))
    written.append(outdir / "map.html")
    _write_atomic(written[-1], page)
    written.append(outdir / "report.html")
    _write_atomic(written[-1], report_html(data, sections=sections))
    return written
