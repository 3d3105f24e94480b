"""What planners look at: the HTML report, the interactive map, charts and blind-spot tables.

`write_report` writes, into an output folder (by itself, or with `siting.outputs.write_outputs`;
either way through `siting.output_folder`, which never loses a file siting did not write):

- ``report.html``: one self-contained page, Chinese first with an English switch;
- ``report.pdf`` and ``report.en.pdf``: the same page printed on A4 by headless Chromium
  (`siting.report.pdf`), in Chinese and in English; where Chromium is missing the run goes on
  and a `ReportWarning` says so in both languages;
- ``map.html``: the interactive map (Leaflet inlined, no network needed);
- ``charts/*.png``: coverage before/after per type, budget by phase, budget–coverage curve,
  circles at each tier per stage, and the overview map (``map.png``);
- ``projects.xlsx``: the plan's tables as a formatted workbook (`siting.report.workbook`);
- ``blindspots.csv``: the blind-spot tables behind the report, every level in one file
  (Chinese headers; walking minutes blank where no facility is within the computed reach).
"""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING

from ..output_folder import OutputFolder
from ..plan_model import Plan
from .backdrop import plan_backdrop
from .blindspots import blind_spot_tables
from .charts import plan_charts
from .html_map import TileLayer, map_html
from .overview_map import overview_map
from .page import SECTIONS, ReportData, Section, report_html
from .pdf import PDF_NAMES, start_print
from .what_it_takes import lift_curve_chart
from .workbook import blind_spot_frame, workbook_bytes

if TYPE_CHECKING:
    from ..context import PlanContext

__all__ = [
    "SECTIONS", "ReportData", "ReportWarning", "Section", "TileLayer", "data_notes",
    "write_report",
]


class ReportWarning(UserWarning):
    """An output of the report could not be written (the run itself succeeded)."""

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


def write_report(
    plan: Plan,
    context: PlanContext,
    outdir: str | Path | OutputFolder,
    *,
    tiles: TileLayer | None = None,
    sections: Sequence[Section] = SECTIONS,
    pdf: bool = True,
) -> list[Path]:
    """Write the report, the map, the charts and the blind-spot tables into ``outdir``.

    Parameters
    ----------
    plan, context
        A finished plan and its context (`siting.plan_with_context`).
    outdir
        Output folder: a new or empty folder, or one siting wrote (its other files are kept;
        see `siting.output_folder`); or an `OutputFolder` being staged, whose commit the files
        then join.
    tiles
        Optional base-map tiles for the map (the default needs no network).
    sections
        Report sections in page order (`siting.report.page.SECTIONS` or another choice).
    pdf
        Also print ``report.pdf``; when it cannot be printed a `ReportWarning` says why.

    Returns
    -------
    list of Path
        The files written (for a staged folder: where they will be once it is committed).

    Raises
    ------
    siting._errors.OutputFolderError
        If siting may not write into ``outdir`` (`siting.output_folder.check_output_folder`).
    """
    if not isinstance(outdir, OutputFolder):
        with OutputFolder(outdir, mode="add") as folder:
            write_report(plan, context, folder, tiles=tiles, sections=sections, pdf=pdf)
            return folder.commit()
    notes = data_notes(context)
    if tiles:
        notes = (*notes, tiles.attribution)
    tables = blind_spot_tables(context)
    backdrop = plan_backdrop(context)
    # The map is mostly geometry (shapely works outside the GIL): drawn beside the charts, and
    # Chromium prints the page drawn for paper (what report.html shows when printed, less what
    # its print stylesheet hides, the map among them) while the rest is made.
    with ThreadPoolExecutor(max_workers=1) as pool:
        drawing = pool.submit(map_html, plan, context, tiles=tiles, notes=notes,
                              backdrop=backdrop)
        charts = {**plan_charts(plan), "lift_curve": lift_curve_chart(plan),
                  "map": overview_map(plan, context, backdrop)}
        data = ReportData(plan, context, tables, charts, "", notes, printing=True)
        # One Chromium prints both languages while the rest is made.
        printing = start_print(report_html(data, sections=sections),
                               languages=tuple(PDF_NAMES)) if pdf else None
        page = drawing.result()
    data = dataclasses.replace(data, map_html=page, printing=False)
    files = {f"charts/{name}.png": png for name, png in charts.items()}
    files["map.html"] = page.encode("utf-8")
    files["report.html"] = report_html(data, sections=sections).encode("utf-8")
    files["blindspots.csv"] = blind_spot_frame(tables).to_csv(index=False).encode("utf-8-sig")
    files["projects.xlsx"] = workbook_bytes(plan, context, tables)
    for language, printed in (printing.result() if printing is not None else {}).items():
        if isinstance(printed, bytes):
            files[PDF_NAMES[language]] = printed
        else:
            warnings.warn(f"{printed.zh}\n{printed.en}", ReportWarning, stacklevel=2)
    for name, content in files.items():
        outdir.write(name, content)
    return [outdir.target / name for name in files]
