"""``siting diff PLAN_A PLAN_B``: the difference between two plans, in Chinese and English."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from .messages import Language, Text, say, show
from .plan_diff import BuildChange, PlanDiff


def _tier(key: str | None, language: Language) -> str:
    return key if key is not None else say(language, "diff.below_every_tier")


def _type(name_zh: str, name_en: str, language: Language) -> str:
    return show(Text(name_zh, name_en), language, sep=" ")


def _table(title_key: str, header_keys: tuple[str, ...], language: Language) -> Table:
    table = Table(title=say(language, title_key))
    for key in header_keys:
        table.add_column(say(language, key))
    return table


def _build_rows(title_key: str, changes: list[BuildChange], language: Language) -> Table:
    table = _table(title_key, ("col.site", "col.community", "col.type", "diff.phase_a",
                               "diff.phase_b"), language)
    for c in changes:
        table.add_row(c.site_id, c.community, _type(c.name_zh, c.name_en, language),
                      c.phase_a or "—", c.phase_b or "—")
    return table


def print_diff(console: Console, diff: PlanDiff, language: Language = "zh") -> None:
    """Print ``diff`` as tables (words in ``language``): builds, moves, coverage, tiers, spend
    (yuan)."""
    console.print(say(language, "diff.title", a=diff.scenario_a, b=diff.scenario_b),
                  style="bold", highlight=False, markup=False)
    if diff.unchanged:
        console.print(say(language, "diff.same"))
        return
    for key, changes in (("diff.added", diff.added), ("diff.removed", diff.removed),
                         ("diff.rephased", diff.rephased)):
        if changes:
            console.print(_build_rows(key, changes, language))
    if diff.moved:
        table = _table("diff.moved", ("col.community", "col.type", "diff.site_a", "diff.site_b",
                                      "diff.phase_a", "diff.phase_b"), language)
        for m in diff.moved:
            table.add_row(m.community, _type(m.name_zh, m.name_en, language), m.site_a,
                          m.site_b, m.phase_a, m.phase_b)
        console.print(table)
    table = _table("diff.coverage", ("col.type", "diff.a", "diff.b", "diff.change"), language)
    for c in diff.coverage:
        table.add_row(_type(c.name_zh, c.name_en, language), f"{c.covered_a:,} ({c.share_a:.1%})",
                      f"{c.covered_b:,} ({c.share_b:.1%})", f"{c.covered_b - c.covered_a:+,}")
    console.print(table)
    if diff.tiers:
        table = _table("diff.tiers", ("col.community", "diff.a", "diff.b"), language)
        for t in diff.tiers:
            table.add_row(t.community, _tier(t.tier_a, language), _tier(t.tier_b, language))
        console.print(table)
    phases = list(dict.fromkeys([*diff.spend_by_phase_a, *diff.spend_by_phase_b]))
    table = _table("diff.spend", ("col.phase", "diff.a", "diff.b", "diff.change"), language)
    for phase in phases:
        a, b = diff.spend_by_phase_a.get(phase, 0.0), diff.spend_by_phase_b.get(phase, 0.0)
        table.add_row(phase, f"{a:,.0f}", f"{b:,.0f}", f"{b - a:+,.0f}")
    table.add_row(say(language, "diff.total"), f"{diff.spend_a_yuan:,.0f}",
                  f"{diff.spend_b_yuan:,.0f}", f"{diff.spend_b_yuan - diff.spend_a_yuan:+,.0f}")
    console.print(table)
