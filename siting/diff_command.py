"""``siting diff PLAN_A PLAN_B``: the difference between two plans, in Chinese and English."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from .plan_diff import BuildChange, PlanDiff


def _tier(key: str | None) -> str:
    return key if key is not None else "未达基础型 below every tier"


def _build_rows(title: str, changes: list[BuildChange]) -> Table:
    table = Table(title=title)
    for header in ("点位 Site", "社区 Community", "设施类型 Type", "A 分期 phase",
                   "B 分期 phase"):
        table.add_column(header)
    for c in changes:
        table.add_row(c.site_id, c.community, f"{c.name_zh} {c.name_en}", c.phase_a or "—",
                      c.phase_b or "—")
    return table


def print_diff(console: Console, diff: PlanDiff) -> None:
    """Print ``diff`` as tables: builds, moves, coverage, tiers, spend (yuan)."""
    console.print(f"[bold]规划对比 Plan comparison[/bold]: A = {diff.scenario_a}, "
                  f"B = {diff.scenario_b}")
    if diff.unchanged:
        console.print("两个规划相同 / the two plans are the same")
        return
    for title, changes in (("新增 Added (B only)", diff.added),
                           ("取消 Removed (A only)", diff.removed),
                           ("调整分期 Re-phased", diff.rephased)):
        if changes:
            console.print(_build_rows(title, changes))
    if diff.moved:
        table = Table(title="迁址 Moved within a community")
        for header in ("社区 Community", "设施类型 Type", "A 点位 site", "B 点位 site",
                       "A 分期 phase", "B 分期 phase"):
            table.add_column(header)
        for m in diff.moved:
            table.add_row(m.community, f"{m.name_zh} {m.name_en}", m.site_a, m.site_b,
                          m.phase_a, m.phase_b)
        console.print(table)
    table = Table(title="规划后覆盖 Coverage after the plan (人数 residents)")
    for header in ("设施类型 Type", "A", "B", "变化 change"):
        table.add_column(header)
    for c in diff.coverage:
        table.add_row(f"{c.name_zh} {c.name_en}", f"{c.covered_a:,} ({c.share_a:.1%})",
                      f"{c.covered_b:,} ({c.share_b:.1%})", f"{c.covered_b - c.covered_a:+,}")
    console.print(table)
    if diff.tiers:
        table = Table(title="等级变化 Tier changes (end of plan)")
        for header in ("社区 Community", "A", "B"):
            table.add_column(header)
        for t in diff.tiers:
            table.add_row(t.community, _tier(t.tier_a), _tier(t.tier_b))
        console.print(table)
    phases = list(dict.fromkeys([*diff.spend_by_phase_a, *diff.spend_by_phase_b]))
    table = Table(title="投资 Spend (元 yuan)")
    for header in ("分期 Phase", "A", "B", "变化 change"):
        table.add_column(header)
    for phase in phases:
        a, b = diff.spend_by_phase_a.get(phase, 0.0), diff.spend_by_phase_b.get(phase, 0.0)
        table.add_row(phase, f"{a:,.0f}", f"{b:,.0f}", f"{b - a:+,.0f}")
    table.add_row("合计 Total", f"{diff.spend_a_yuan:,.0f}", f"{diff.spend_b_yuan:,.0f}",
                  f"{diff.spend_b_yuan - diff.spend_a_yuan:+,.0f}")
    console.print(table)
