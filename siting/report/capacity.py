"""The report's 容量与需求 section: places-limited types against the demand within reach.

Reads the `Plan`'s ``capacity`` (per type and phase; the table shows each type at the plan's
end, the workbook every phase) and ``capacity_facilities`` (the facilities short of capacity,
with what would hold the rest), all computed by `siting.capacity`.
"""

from __future__ import annotations

import html

from ..messages import Text, text, wan
from ..plan_model import CapacityResult
from ._parts import ReportData, bi, msg, number, section, table


def _type_cell(c: CapacityResult) -> str:
    return bi(text("capacity.type_unit", type=Text(c.name_zh, c.name_en),
                   unit=Text(c.unit_zh, c.unit_en)))


def _take_up_cell(c: CapacityResult) -> str:
    of = text("capacity.of_residents") if c.take_up_of == "residents" else \
        text(f"group.{c.take_up_of}")
    words = text("capacity.take_up", per_1000=f"{c.take_up_per_1000:g}", of=of)
    return f"{bi(words)}<br><small>{html.escape(c.take_up_source)}</small>"


def capacity_section(data: ReportData) -> str:
    """Capacity against demand per places-limited type at the plan's end, and the facilities
    short of capacity."""
    plan = data.plan
    if not plan.capacity:
        return section("capacity", "section.capacity", f"<p>{msg('capacity.none')}</p>")
    last = {c.type: c for c in plan.capacity}  # per type, its last phase
    rows = [
        [_type_cell(c), _take_up_cell(c), f"{c.existing_facilities} + {c.new_facilities}",
         number(c.capacity), number(c.demand_within_reach, 1), number(c.served, 1),
         number(c.unserved, 1),
         f"{100 * c.utilisation:.1f}%" if c.utilisation is not None else "—",
         str(c.extra_sites), wan(c.extra_cost_yuan)]
        for c in last.values()
    ]
    headers = [msg("col.type"), msg("col.take_up"), msg("col.facilities"),
               msg("col.capacity"), msg("col.demand_within_reach"), msg("col.served"),
               msg("col.unserved"), msg("col.utilisation"), msg("col.extra_sites"),
               msg("col.extra_cost_wan")]
    short = [f for f in plan.capacity_facilities if f.text_zh]
    details = (
        f"<h3>{msg('capacity.short_list')}</h3><ul>"
        + "".join(f"<li>{html.escape(f.id)}: {bi(f.text_zh, f.text_en)}</li>" for f in short)
        + "</ul>"
    ) if short else f"<p>{msg('capacity.all_fit')}</p>"
    return section(
        "capacity", "section.capacity",
        f"<p>{msg('capacity.intro')}</p>"
        f"{table(headers, rows, css='capacity', sortable=True, cards=True)}{details}")
