"""The report's tier dashboard and spend table, drawn from ``plan.tiers`` / ``plan.progress``.

`tiers_section` shows how many circles (communities) stand at each tier before the plan and at
the end of each phase, the plan against the city's dated targets and the scenario's own
targets, and per community its tier at every stage and what blocks its next tier.
`spend_section` breaks the spend down by phase × facility type × district. Every number in
both is a field of `siting.tier_status.TierReport` or `siting.plan_model.ProgressReport`, so it
can be traced to ``result.json``; nothing is recomputed here.
"""

from __future__ import annotations

import html
from collections import defaultdict
from pathlib import Path

from ..plan_model import ProgressReport
from ..tier_rules import TierRules, default_tier_rules_path
from ..tier_status import CommunityTiers, StageTier, TierReport
from ._parts import ReportData, bi, chart, number, stage_names, table

#: Key of the "below the lowest tier" count in `TierReport.counts`.
NO_TIER = "none"
#: Confidence tag of an assumption in a rules file's sources (`siting.catalog.Source`).
ASSUMPTION = "A"

_UNASSESSED = (
    "以下条件引擎无法计算,未评估,从不计为达标;标 * 的等级表示除这些条件外已达标:",
    "These conditions cannot be computed by the engine: they are not assessed and never "
    "counted as met; a tier marked * is met except for them:",
)
_REACHED = (
    "达到数为本情景各社区在目标时限前最后一期期末达到该等级或更高等级的个数;"
    "情景只含部分社区时,全市目标按构成必然无法达成。",
    "Reached: the scenario's communities at the tier or higher at the end of the last phase "
    "ending by the deadline; a scenario covering part of the city cannot meet city-wide "
    "targets by construction.",
)
_TIER_CHART = ("各等级生活圈数量(规划前与各期末)",
               "Circles at each tier, before and after each phase")


def _tier_names(report: TierReport, key: str | None) -> tuple[str, str]:
    if key is None or key == NO_TIER:
        return f"未达{report.tier_names_zh[0]}", f"below {report.tier_names_en[0]}"
    i = report.tiers.index(key)
    return report.tier_names_zh[i], report.tier_names_en[i]


def _tier_cell(report: TierReport, stage: StageTier) -> str:
    zh, en = _tier_names(report, stage.tier)
    # An asterisk marks a tier held except for conditions the engine cannot assess.
    mark = "" if stage.confirmed else "*"
    return f'<span class="tier tier-{stage.tier or NO_TIER}">{bi(zh, en)}{mark}</span>'


def _stage_header(report: TierReport, stage: str) -> str:
    zh, en = stage_names(stage)
    if stage == report.stages[-1] and len(report.stages) > 1:
        zh, en = f"规划后({zh})", f"after the plan ({en})"
    return bi(zh, en)


def _rules_note(report: TierReport, rules: TierRules) -> str:
    """Where the rules come from, whether they are placeholders, and the unassessed flags."""
    source = rules.sources[rules.source]
    shown = ("siting/data/tiers.yaml" if Path(report.rules_file) == default_tier_rules_path()
             else report.rules_file)
    if source.confidence == ASSUMPTION:
        zh = (f"等级规则为占位假设(规则文件 {shown},来源 {rules.source} [A]):开封市的量化标准"
              "所在附件未获取,须在取得区级标准后替换,本节等级仅供示意。")
        en = (f"The tier rules are placeholders (rules file {shown}, source {rules.source} "
              "[A]): Kaifeng's quantitative criteria sit in an annex that was not retrieved; "
              "replace the file once they are known. Tiers here are indicative only.")
    else:
        zh = f"等级规则:{shown}(来源 {rules.source} [{source.confidence}])。"
        en = f"Tier rules: {shown} (source {rules.source} [{source.confidence}])."
    flags = [(t, f) for t in rules.tiers for f in t.flags]
    items = "".join(
        "<li>" + bi(f"{t.name.zh}: {f.key}", f"{t.name.en}: {f.key}") + html.escape(
            f" — {f.description}" + (f" ≥ {f.min_value:g}" if f.min_value is not None else ""))
        + "</li>"
        for t, f in flags)
    unassessed = (f"<p>{bi(*_UNASSESSED)}</p>"
                  f'<ul class="unassessed">{items}</ul>' if flags else "")
    circle = bi("每个社区按一个生活圈计;达标比例按居民人数计算。",
                "Each community is treated as one circle; shares count residents.")
    return (f'<div class="note tier-rules"><p class="placeholder">{bi(zh, en)}</p>'
            f"{unassessed}<p>{circle}</p></div>")


def _counts_table(report: TierReport) -> str:
    keys = [*reversed(report.tiers), NO_TIER]
    headers = [bi("等级", "Tier"), *(_stage_header(report, s) for s in report.stages)]
    rows = [[bi(*_tier_names(report, key)),
             *(number(report.counts[s].get(key, 0)) for s in report.stages)] for key in keys]
    rows.append([bi("社区合计", "Communities"),
                 *(number(sum(report.counts[s].values())) for s in report.stages)])
    return table(headers, rows, css="tier-counts")


def _city_targets_table(report: TierReport, progress: ProgressReport) -> str:
    headers = [bi("目标", "Target"), bi("时限", "Deadline"), bi("等级(及以上)", "Tier (or higher)"),
               bi("要求(个)", "Required"), bi("评估分期", "Judged at phase"),
               bi("达到(个)", "Reached"), bi("是否达成", "Met"), bi("来源", "Source"),
               bi("备注", "Note")]
    rows = [
        [html.escape(t.key), html.escape(t.deadline),
         bi(*_tier_names(report, t.tier)) if t.tier in report.tiers else html.escape(t.tier),
         number(t.required), html.escape(t.phase or "—"), number(t.reached),
         bi("达成", "met") if t.met else bi("未达成", "not met"), html.escape(t.source),
         html.escape(t.note)]
        for t in progress.city_targets
    ]
    return table(headers, rows, css="city-targets")


def _scenario_targets_table(data: ReportData, progress: ProgressReport) -> str:
    report = data.plan.tiers
    specs = {t.name: t for t in data.context.scenario.targets}
    if not progress.scenario_targets:
        none = bi("本情景未设定社区目标。", "The scenario sets no targets.")
        return f'<p class="note">{none}</p>'
    headers = [bi("情景目标", "Scenario target"), bi("等级(及以上)", "Tier (or higher)"),
               bi("完成分期", "By phase"), bi("社区数", "Communities"),
               *(_stage_header(report, s) for s in report.stages)]
    rows = [
        [html.escape(name), bi(*_tier_names(report, specs[name].tier)),
         html.escape(specs[name].by_phase), number(len(specs[name].communities)),
         *(number(reached[s]) for s in report.stages)]
        for name, reached in progress.scenario_targets.items()
    ]
    return table(headers, rows, css="scenario-targets")


def _texts(items: list[tuple[str, str]]) -> str:
    return "<br>".join(bi(zh, en) for zh, en in items) or "—"


def _community_row(report: TierReport, community: CommunityTiers) -> list[str]:
    end = community.at(report.stages[-1])
    return [
        html.escape(f"{community.district} {community.street} {community.community}"),
        number(community.residents),
        *(_tier_cell(report, community.at(s)) for s in report.stages),
        bi(*_tier_names(report, end.next_tier)) if end.next_tier is not None else "—",
        _texts([(s.text_zh, s.text_en) for s in end.blocking]),
        _texts([(u.text_zh, u.text_en) for u in end.not_assessed]),
    ]


def tiers_section(data: ReportData) -> str:
    """Circle tiers (生活圈等级): counts per stage, targets and per-community tiers and gaps."""
    report = data.plan.tiers
    progress = data.plan.progress
    targets = ("" if progress is None else
               f"<h3>{bi('开封市建设目标', 'Kaifeng city targets')}</h3>"
               f"{_city_targets_table(report, progress)}"
               f'<p class="note">{bi(*_REACHED)}</p>'
               f"<h3>{bi('情景目标', 'Scenario targets')}</h3>"
               f"{_scenario_targets_table(data, progress)}")
    headers = [bi("区/街道/社区", "District / street / community"), bi("人口", "Residents"),
               *(_stage_header(report, s) for s in report.stages),
               bi("下一等级", "Next tier"),
               bi("规划后差距(下一等级未满足的规则)", "What blocks the next tier after the plan"),
               bi("未评估条件", "Not assessed")]
    rows = [_community_row(report, c) for c in report.communities]
    return (
        f'<section id="tiers"><h2>{bi("生活圈等级与建设进度", "Circle tiers and progress")}</h2>'
        f"{_rules_note(report, data.context.scenario.tier_rules())}"
        f"<h3>{bi('各等级生活圈数量', 'Circles at each tier')}</h3>{_counts_table(report)}"
        f"{chart(data, 'tiers', *_TIER_CHART)}"
        f"{targets}"
        f"<h3>{bi('各社区等级', 'Tier of each community')}</h3>"
        f"<details open><summary>{bi(f'{len(rows)} 个社区', f'{len(rows)} communities')}"
        f"</summary>{table(headers, rows, css='tiers')}</details></section>"
    )


def spend_section(data: ReportData) -> str:
    """Spend by phase × facility type × district (yuan), with phase and district totals."""
    progress = data.plan.progress
    if progress is None:
        return ""
    names = {s.type: (s.name_zh, s.name_en) for s in data.plan.type_summary}
    districts = list(progress.spend_by_district)
    cells: dict[tuple[str, str], dict[str, float]] = defaultdict(dict)
    for row in progress.spend:
        cells[(row.phase, row.type)][row.district] = row.yuan
    headers = [bi("分期", "Phase"), bi("设施类型", "Type"), *(html.escape(d) for d in districts),
               bi("合计(元)", "Total (yuan)")]
    rows: list[list[str]] = []
    for phase, phase_total in progress.spend_by_phase.items():
        for (p, key), by_district in cells.items():
            if p == phase:
                rows.append([html.escape(phase), bi(*names.get(key, (key, key))),
                             *(number(by_district.get(d)) for d in districts),
                             number(sum(by_district.values()))])
        rows.append([html.escape(phase), f"<b>{bi('分期小计', 'Phase total')}</b>",
                     *("" for _ in districts), f"<b>{number(phase_total)}</b>"])
    rows.append(["", f"<b>{bi('区合计', 'District total')}</b>",
                 *(f"<b>{number(progress.spend_by_district[d])}</b>" for d in districts),
                 f"<b>{number(sum(progress.spend_by_phase.values()))}</b>"])
    note = bi("每类设施计其在该点位的造价;点位基础造价由首次使用该点位的项目所增各类设施均摊。",
              "Each type is charged its cost at the site; a site's base cost is shared equally "
              "by the types of the project that first uses it.")
    title = bi("分期×设施类型×区 投资", "Spend by phase × type × district")
    return (f'<section id="spend"><h2>{title}</h2>'
            f'<p class="note">{note}</p>{table(headers, rows, css="spend")}</section>')
