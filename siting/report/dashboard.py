"""The report's tiers, targets and spend, drawn from ``plan.tiers`` / ``plan.progress``.

`targets_section` shows the tier rules, how many circles (communities) stand at each tier
before the plan and at the end of each phase, the plan against the city's dated targets and
the scenario's own targets, and the demand list answered and unanswered;
`community_tiers_table` (the appendix) gives each community's tier at every stage and what
blocks its next tier; `spend_table` breaks the spend down by phase × facility type × district.
Every number is a field of `siting.tier_status.TierReport` or `siting.plan_model.ProgressReport`
(or the scenario's demand list), so it can be traced to ``result.json``; nothing is recomputed.
"""

from __future__ import annotations

import html
from collections import defaultdict
from typing import TYPE_CHECKING, NamedTuple

from ..assemble import demand_item_label
from ..messages import Text, text, wan
from ..plan_model import Plan, ProgressReport
from ..tier_rules import TierRules
from ..tier_status import CommunityTiers, StageTier, TierReport
from ._parts import (
    ReportData,
    bi,
    chart,
    collapsed,
    msg,
    number,
    place,
    searchable_table,
    stage_names,
    table,
)
from .needs import DEMAND_STATUS, plan_records, targets_table, tier_costs_table

if TYPE_CHECKING:
    from ..context import PlanContext

#: Key of the "below the lowest tier" count in `TierReport.counts`.
NO_TIER = "none"
#: Confidence tag of an assumption in a rules file's sources (`siting.catalog.Source`).
ASSUMPTION = "A"


def tier_name(report: TierReport, key: str | None) -> Text:
    """Name of tier ``key``; below the lowest tier for None or `NO_TIER`."""
    if key is None or key == NO_TIER:
        return text("tiers.below", tier=Text(report.tier_names_zh[0], report.tier_names_en[0]))
    i = report.tiers.index(key)
    return Text(report.tier_names_zh[i], report.tier_names_en[i])


def _tier_cell(report: TierReport, stage: StageTier) -> str:
    # An asterisk marks a tier held except for conditions the engine cannot assess.
    mark = "" if stage.confirmed else "*"
    return (f'<span class="tier tier-{stage.tier or NO_TIER}">'
            f"{bi(tier_name(report, stage.tier))}{mark}</span>")


def stage_header(report: TierReport, stage: str) -> Text:
    """Column name of a stage; the last phase is called "after the plan"."""
    name = stage_names(stage)
    if stage == report.stages[-1] and len(report.stages) > 1:
        return text("tiers.after_plan", stage=name)
    return name


def _rules_note(report: TierReport, rules: TierRules) -> str:
    """Where the rules come from, whether they are placeholders, and the unassessed flags."""
    source = rules.sources[rules.source]
    if source.confidence == ASSUMPTION:
        words = text("tiers.placeholder", file=report.rules_file)
    else:
        words = text("tiers.rules", file=report.rules_file, source=source.label,
                     confidence=source.confidence)
    flags = [(t, f) for t in rules.tiers for f in t.flags]
    items = "".join(
        "<li>" + bi(f"{t.name.zh}:{f.text.zh}", f"{t.name.en}: {f.text.en}")
        + html.escape(f" ≥ {f.min_value:g}" if f.min_value is not None else "") + "</li>"
        for t, f in flags)
    unassessed = (f"<p>{msg('tiers.unassessed_intro')}</p>"
                  f'<ul class="unassessed">{items}</ul>' if flags else "")
    return (f'<div class="note tier-rules"><p class="placeholder">{bi(words)}</p>'
            f"{unassessed}<p>{msg('tiers.one_circle')}</p></div>")


def _counts_table(report: TierReport) -> str:
    keys = [*reversed(report.tiers), NO_TIER]
    headers = [msg("tiers.tier"), *(bi(stage_header(report, s)) for s in report.stages)]
    rows = [[bi(tier_name(report, key)),
             *(number(report.counts[s].get(key, 0)) for s in report.stages)] for key in keys]
    rows.append([msg("tiers.total"),
                 *(number(sum(report.counts[s].values())) for s in report.stages)])
    return table(headers, rows, css="tier-counts")


def target_name(report: TierReport, tier: str, count: int, deadline: str) -> Text:
    """A city target in words: "2025-09-30 前 20 个提升型"."""
    name = tier_name(report, tier) if tier in report.tiers else Text(tier, tier)
    return text("targets.name", deadline=deadline, count=count, tier=name)


def _city_targets_table(report: TierReport, progress: ProgressReport) -> str:
    headers = [msg("targets.target"), msg("col.deadline"), msg("targets.tier_or_higher"),
               msg("targets.required"), msg("targets.judged_at"), msg("targets.reached"),
               msg("targets.met"), msg("col.source"), msg("col.note")]
    rows = []
    for t in progress.city_targets:
        if t.tier not in report.tiers:
            note = msg("targets.unknown_tier", tier=t.tier)
        elif t.phase is None:
            note = msg("targets.no_phase")
        else:
            note = ""
        rows.append([
            bi(target_name(report, t.tier, t.required, t.deadline)), html.escape(t.deadline),
            bi(tier_name(report, t.tier)) if t.tier in report.tiers else html.escape(t.tier),
            number(t.required), html.escape(t.phase or "—"), number(t.reached),
            msg("targets.yes") if t.met else msg("targets.no"),
            html.escape(progress.sources.get(t.source, t.source)), note,
        ])
    return table(headers, rows, css="city-targets")


def _scenario_targets_table(data: ReportData, progress: ProgressReport) -> str:
    report = data.plan.tiers
    specs = {t.name: t for t in data.context.scenario.targets}
    if not progress.scenario_targets:
        return f'<p class="note">{msg("targets.none")}</p>'
    headers = [msg("targets.scenario"), msg("targets.tier_or_higher"), msg("targets.by_phase"),
               msg("targets.communities"), *(bi(stage_header(report, s)) for s in report.stages)]
    rows = [
        [html.escape(name), bi(tier_name(report, specs[name].tier)),
         html.escape(specs[name].by_phase), number(len(specs[name].communities)),
         *(number(reached[s]) for s in report.stages)]
        for name, reached in progress.scenario_targets.items()
    ]
    return table(headers, rows, css="scenario-targets")


class DemandAnswer(NamedTuple):
    """A demand-list item (需求清单), how the plan answers it (``existing``, ``project`` or
    ``unanswered``, `needs.DEMAND_STATUS`), the ranks of the projects answering it and why
    not when unanswered."""

    community: str
    type: str
    requests: int
    urgency: int
    status: str
    ranks: tuple[int, ...]
    reason: Text


def demand_answers(plan: Plan, context: PlanContext) -> list[DemandAnswer]:
    """The scenario's demand list and how the plan answers each item.

    From the plan's ``demand_answers`` where it has them; otherwise each item with the ranks
    of the projects naming it (`Project.demand_items`).
    """
    given = plan_records(plan, "demand_answers")
    if given:
        return [DemandAnswer(a.community, a.type, a.requests, a.urgency, a.status,
                             tuple(a.project_ranks), Text(a.reason_zh, a.reason_en))
                for a in given]
    catalog = context.inputs.catalog
    by_label: dict[str, list[int]] = defaultdict(list)
    for p in plan.projects:
        for label in p.demand_items:
            by_label[label].append(p.rank)
    out = []
    for item in context.inputs.demand_items:
        name = catalog.types[item.type].name.zh if item.type in catalog.types else item.type
        label = demand_item_label(item.community, name, item.requests)
        ranks = tuple(by_label.get(label, ()))
        out.append(DemandAnswer(item.community, item.type, item.requests, item.urgency,
                                "project" if ranks else "unanswered", ranks, Text("", "")))
    return out


def _demand_table(data: ReportData) -> str:
    answers = demand_answers(data.plan, data.context)
    if not answers:
        return ""
    names = {s.type: Text(s.name_zh, s.name_en) for s in data.plan.type_summary}
    headers = [msg("col.community"), msg("col.type"), msg("col.requests"), msg("col.urgency"),
               msg("col.answered"), msg("col.answered_by"), msg("col.note")]
    rows = [[html.escape(a.community), bi(names.get(a.type, Text(a.type, a.type))),
             number(a.requests), number(a.urgency), msg(DEMAND_STATUS[a.status]),
             html.escape(", ".join(f"#{k}" for k in a.ranks)) or "—",
             bi(a.reason) if a.reason.zh else ""]
            for a in answers]
    answered = sum(1 for a in answers if a.status != "unanswered")
    summary = msg("demand.summary", total=len(answers), answered=answered)
    return (f"<h3>{msg('demand.title')}</h3><p>{summary}</p>"
            + collapsed(msg("demand.items", n=len(rows)),
                        searchable_table(headers, rows, css="demand-list", name="demand")))


def _lift_curve(data: ReportData) -> str:
    """The budget → communities-lifted chart, where the plan has its curve."""
    if "lift_curve" not in data.charts:
        return ""
    return chart(data, "lift_curve", Text("预算-达标社区曲线(万元)",
                                          "Budget – communities lifted a tier (10,000 yuan)"))


def targets_section(data: ReportData) -> str:
    """Tier rules, circles at each tier, city and scenario targets, and the demand list."""
    report = data.plan.tiers
    progress = data.plan.progress
    targets = ("" if progress is None else
               f"<h3>{msg('targets.city')}</h3>{_city_targets_table(report, progress)}"
               f'<p class="note">{msg("targets.reached_note")}</p>'
               f"<h3>{msg('targets.scenario')}</h3>{_scenario_targets_table(data, progress)}")
    return (
        f'<section id="targets"><h2>{msg("section.targets")}</h2>'
        f"{targets}{targets_table(data)}{tier_costs_table(data)}"
        f"{_lift_curve(data)}"
        f"<h3>{msg('tiers.counts')}</h3>{_counts_table(report)}"
        f"{chart(data, 'tiers', text('tiers.chart'))}"
        f"{_rules_note(report, data.context.scenario.tier_rules())}"
        f"{_demand_table(data)}</section>"
    )


def _texts(items: list[Text]) -> str:
    return "<br>".join(bi(t) for t in items) or "—"


def _community_row(report: TierReport, community: CommunityTiers) -> list[str]:
    end = community.at(report.stages[-1])
    return [
        place(community.district, community.street, community.community),
        number(community.residents),
        *(_tier_cell(report, community.at(s)) for s in report.stages),
        bi(tier_name(report, end.next_tier)) if end.next_tier is not None else "—",
        _texts([Text(s.text_zh, s.text_en) for s in end.blocking]),
        _texts([Text(u.text_zh, u.text_en) for u in end.not_assessed]),
    ]


def community_tiers_table(data: ReportData) -> str:
    """Each community's tier at every stage and what blocks its next tier (searchable)."""
    report = data.plan.tiers
    headers = [msg("col.place"), msg("col.population"),
               *(bi(stage_header(report, s)) for s in report.stages),
               msg("tiers.next"), msg("tiers.blocking"), msg("tiers.not_assessed")]
    rows = [_community_row(report, c) for c in report.communities]
    return (f"<h3>{msg('tiers.each')}</h3>"
            + collapsed(msg("tiers.n_communities", n=len(rows)),
                        searchable_table(headers, rows, css="tiers", name="tiers")))


def spend_table(data: ReportData) -> str:
    """Spend by phase × facility type × district (万元), with phase and district totals."""
    progress = data.plan.progress
    if progress is None:
        return ""
    names = {s.type: Text(s.name_zh, s.name_en) for s in data.plan.type_summary}
    districts = list(progress.spend_by_district)
    cells: dict[tuple[str, str], dict[str, float]] = defaultdict(dict)
    for row in progress.spend:
        cells[(row.phase, row.type)][row.district] = row.yuan
    headers = [msg("col.phase"), msg("col.type"), *(html.escape(d) for d in districts),
               msg("col.total_wan")]
    rows: list[list[str]] = []
    for phase, phase_total in progress.spend_by_phase.items():
        for (p, key), by_district in cells.items():
            if p == phase:
                rows.append([html.escape(phase), bi(names.get(key, Text(key, key))),
                             *(wan(by_district[d]) if d in by_district else "—"
                               for d in districts),
                             wan(sum(by_district.values()))])
        rows.append([html.escape(phase), f"<b>{msg('spend.phase_total')}</b>",
                     *("" for _ in districts), f"<b>{wan(phase_total)}</b>"])
    rows.append(["", f"<b>{msg('spend.district_total')}</b>",
                 *(f"<b>{wan(progress.spend_by_district[d])}</b>" for d in districts),
                 f"<b>{wan(sum(progress.spend_by_phase.values()))}</b>"])
    return (f"<h3>{msg('spend.title')}</h3><p class=\"note\">{msg('spend.note')}</p>"
            f"{table(headers, rows, css='spend')}")
