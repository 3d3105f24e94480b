"""The message catalogue: every user-facing text of the report, charts, map and workbook.

One entry per message, Chinese first (the planners' working language) and English complete;
templates take named fields (``{n}``) filled in both languages by `text`. Other parts (the
CLI, validation messages) can adopt it by adding keys here: `tests/test_messages.py` checks that
every entry has both languages, the same fields in each, and Chinese wording in the Chinese one.

Terms (domain brief §1, §11): a count of residents is 人数 (人次 means visits and is never used);
money in tables and charts is 万元 (10,000 yuan); a source is named by its document number
(e.g. 汴政办〔2025〕11号), not by a file key. `solver_status` and `solver_note` put the
optimizer's English status and reason into both languages.
"""

from __future__ import annotations

import math
import re
import string
from typing import NamedTuple


class Text(NamedTuple):
    """A text in Chinese and English."""

    zh: str
    en: str

    def format(self, **fields: object) -> Text:
        """Both templates filled; a `Text` field fills each language with its own words."""
        zh = {k: v.zh if isinstance(v, Text) else v for k, v in fields.items()}
        en = {k: v.en if isinstance(v, Text) else v for k, v in fields.items()}
        return Text(self.zh.format(**zh), self.en.format(**en))


YUAN_PER_WAN = 1e4
"""Yuan in one 万元 (the unit of money in the report's tables and charts)."""

MESSAGES: dict[str, Text] = {
    # ---------------------------------------------------------------- page frame
    "page.language": Text("English", "中文"),
    "page.contents": Text("目录", "Contents"),
    "page.generated_by": Text("由 siting 生成", "Made with siting"),
    "page.filter": Text("筛选(输入任意文字)", "Filter (type any text)"),
    "page.shown": Text("显示 {shown} / {total} 行", "{shown} of {total} rows shown"),
    "page.sort_hint": Text("点击表头排序", "Click a column header to sort"),
    "page.appendix_in_html": Text(
        "附录(各社区等级与盲区明细)见 report.html 与 projects.xlsx,打印版从略。",
        "The appendix (tiers and blind spots of every community) is in report.html and "
        "projects.xlsx; the printed report leaves it out."),
    # ---------------------------------------------------------------- sections
    "section.summary": Text("概要", "Summary"),
    "section.projects": Text("项目清单", "Project list"),
    "section.targets": Text("建设目标与达标所需", "Targets and what it would take"),
    "section.coverage": Text("各类设施覆盖率", "Coverage per type"),
    "section.budget": Text("投资与分期预算", "Spend and budget by phase"),
    "section.map": Text("规划地图", "Map"),
    "section.blind_spots": Text("设施盲区", "Blind spots"),
    "section.appendix": Text("附录:各社区明细", "Appendix: every community"),
    # ---------------------------------------------------------------- summary
    "summary.projects": Text("项目数", "Projects"),
    "summary.cost": Text("总投资(万元)", "Total cost (10,000 yuan)"),
    "summary.budget": Text("预算(万元)", "Budget (10,000 yuan)"),
    "summary.newly": Text("新增覆盖人数(各类累计)", "Residents newly covered (summed over types)"),
    "summary.newly_60": Text("其中60岁以上", "of whom aged 60+"),
    "summary.tier_after": Text("{tier}及以上生活圈(前→后)",
                               "{tier} or higher circles (before → after)"),
    "summary.solver": Text("求解", "Solver"),
    "summary.notices": Text("提示", "Notes"),
    "summary.people_note": Text(
        "人数按设施类型累计:同一居民新纳入两类设施的步行范围计为两人。",
        "Residents are summed over facility types: a resident newly within reach of two types "
        "counts twice."),
    # ---------------------------------------------------------------- solver
    "solver.optimal": Text("已证明最优", "proven optimal"),
    "solver.feasible": Text("可行解(未证明最优)", "feasible (not proven optimal)"),
    "solver.infeasible": Text("无可行方案", "infeasible"),
    "solver.unknown": Text("状态 {status}", "status {status}"),
    "solver.line": Text("{status} · 与最优上界差距 ≤ {gap} · 用时 {seconds} 秒",
                        "{status} · gap to the proven bound ≤ {gap} · {seconds} s"),
    "solver.note": Text("求解器说明:{text}", "Solver note: {text}"),
    "solver.time_limit": Text("达到求解时限 {limit} 秒后停止",
                              "stopped by the time limit of {limit} s"),
    "solver.rel_gap": Text("达到设定差距 mip_rel_gap={gap} 后停止", "stopped at mip_rel_gap={gap}"),
    "solver.gap": Text("差距 {gap}", "gap {gap}"),
    "solver.no_plan_in_time": Text(
        "在 {limit} 秒求解时限内未找到满足全部要求的方案(未证明无解);请提高 time_limit",
        "no plan meeting the requirements found within the time limit of {limit} s (not proven "
        "infeasible); raise time_limit"),
    "solver.untranslated": Text("(英文原文){text}", "{text}"),
    # ---------------------------------------------------------------- notices (plan warnings)
    "notice.too_far": Text(
        "{n} 个{what}距步行路网超过 {tolerance} 米,未纳入计算:{ids}{more}",
        "{n} {what} are more than {tolerance} m from the walking network and were left out: "
        "{ids}{more}"),
    "notice.too_far_more": Text(" 等(另有 {n} 个)", " and {n} more"),
    "notice.what_demand": Text("需求点", "demand points"),
    "notice.what_sites": Text("候选点位", "candidate sites"),
    "notice.what_outlets": Text("现有网点", "existing outlets"),
    "notice.unreachable": Text(
        "{n} 个需求点在步行可达范围内没有候选点位(位于障碍另一侧,或所在路网片段无点位)",
        "{n} demand points have no candidate site within walking reach (other side of a "
        "barrier, or a network fragment with no site)"),
    "notice.pdf_missing": Text(
        "未生成 report.pdf:{why}。可在浏览器中打开 report.html 打印为 PDF。",
        "report.pdf was not written: {why}. Open report.html in a browser and print it to PDF."),
    "notice.no_chromium": Text(
        "未找到 Chromium 浏览器(Debian: apt-get install chromium fonts-noto-cjk)",
        "Chromium was not found (Debian: apt-get install chromium fonts-noto-cjk)"),
    "notice.chromium_failed": Text("Chromium 打印失败({detail})",
                                   "Chromium failed to print ({detail})"),
    # ---------------------------------------------------------------- shared column headers
    "col.rank": Text("排名", "Rank"),
    "col.phase": Text("分期", "Phase"),
    "col.deadline": Text("完成时限", "Deadline"),
    "col.site": Text("点位", "Site"),
    "col.site_id": Text("点位编号", "Site ID"),
    "col.place": Text("区/街道/社区", "District / street / community"),
    "col.district": Text("区", "District"),
    "col.street": Text("街道", "Street office"),
    "col.community": Text("社区", "Community"),
    "col.types": Text("设施类型", "Facility types"),
    "col.type": Text("设施类型", "Facility type"),
    "col.category": Text("类别", "Category"),
    "col.group": Text("组别", "Group"),
    "col.cost_wan": Text("投资(万元)", "Cost (10,000 yuan)"),
    "col.cost_yuan": Text("投资(元)", "Cost (yuan)"),
    "col.newly": Text("新增覆盖人数", "Residents newly covered"),
    "col.newly_60": Text("其中60岁以上", "of whom 60+"),
    "col.newly_type": Text("新增覆盖人数:{type}", "Newly covered: {type}"),
    "col.yuan_per_person": Text("每新增覆盖一人投资(元)", "Yuan per resident newly covered"),
    "col.site_info": Text("场地(类型·权属·面积)", "Site (kind · ownership · area)"),
    "col.site_kind": Text("场地类型", "Site kind"),
    "col.ownership": Text("权属", "Ownership"),
    "col.floor_area": Text("面积(m²)", "Floor area (m²)"),
    "col.responsible": Text("责任单位", "Responsible unit"),
    "col.funding": Text("资金来源", "Funding source"),
    "col.running_wan": Text("年运营费用(万元)", "Running cost per year (10,000 yuan)"),
    "col.running_yuan": Text("年运营费用(元)", "Running cost per year (yuan)"),
    "col.demand_items": Text("回应需求清单", "Demand-list items answered"),
    "col.reason": Text("理由", "Reason"),
    "col.reason_en": Text("理由(英文)", "Reason (English)"),
    "col.type_en": Text("设施类型(英文)", "Facility type (English)"),
    "col.spent_share": Text("支出占预算", "Share of budget spent"),
    "col.lon": Text("经度(WGS-84)", "Longitude (WGS-84)"),
    "col.lat": Text("纬度(WGS-84)", "Latitude (WGS-84)"),
    "col.threshold": Text("步行阈值", "Walking threshold"),
    "col.residents": Text("服务人口", "Residents served"),
    "col.population": Text("人口", "Residents"),
    "col.covered_before": Text("规划前覆盖人数", "Covered before"),
    "col.covered_after": Text("规划后覆盖人数", "Covered after"),
    "col.share_before": Text("规划前覆盖率", "Share before"),
    "col.share_after": Text("规划后覆盖率", "Share after"),
    "col.residents_60": Text("60岁以上人口", "Residents 60+"),
    "col.covered_60_before": Text("60岁以上规划前覆盖", "60+ covered before"),
    "col.covered_60_after": Text("60岁以上规划后覆盖", "60+ covered after"),
    "col.new_facilities": Text("新建数量", "New facilities"),
    "col.budget_wan": Text("预算(万元)", "Budget (10,000 yuan)"),
    "col.spent_wan": Text("支出(万元)", "Spent (10,000 yuan)"),
    "col.budget_yuan": Text("预算(元)", "Budget (yuan)"),
    "col.spent_yuan": Text("支出(元)", "Spent (yuan)"),
    "col.projects": Text("项目数", "Projects"),
    "col.total_wan": Text("合计(万元)", "Total (10,000 yuan)"),
    "col.outside_before": Text("规划前盲区人数", "Outside before"),
    "col.outside_after": Text("规划后盲区人数", "Outside after"),
    "col.outside_60_before": Text("60岁以上规划前盲区人数", "60+ outside before"),
    "col.outside_60_after": Text("60岁以上规划后盲区人数", "60+ outside after"),
    "col.median_min": Text("最近设施步行中位数(分钟) 前→后",
                           "Median walk to nearest (min) before → after"),
    "col.max_min": Text("最远步行(分钟) 前→后", "Longest walk (min) before → after"),
    "col.median_min_before": Text("规划前最近设施步行中位数(分钟)", "Median walk before (min)"),
    "col.median_min_after": Text("规划后最近设施步行中位数(分钟)", "Median walk after (min)"),
    "col.max_min_before": Text("规划前最远步行(分钟)", "Longest walk before (min)"),
    "col.max_min_after": Text("规划后最远步行(分钟)", "Longest walk after (min)"),
    "col.level": Text("统计层级", "Level"),
    "col.requests": Text("诉求数", "Requests"),
    "col.urgency": Text("紧迫程度", "Urgency"),
    "col.source": Text("来源", "Source"),
    "col.answered": Text("是否回应", "Answered"),
    "col.answered_by": Text("回应项目(排名)", "Answered by project (rank)"),
    "col.note": Text("备注", "Note"),
    # ---------------------------------------------------------------- projects
    "projects.note": Text(
        "按排名(资金安排顺序)列出;投资含首次使用该点位的场地费用。可点击表头排序、输入文字筛选。",
        "Listed by rank (funding order); a cost includes the site's base cost where the project "
        "first uses the site. Click a header to sort, type to filter."),
    "projects.none": Text("本方案没有项目。", "The plan has no projects."),
    "projects.default_mark": Text("(默认)", "(default)"),
    # ---------------------------------------------------------------- coverage, budget, spend
    "coverage.chart": Text("覆盖率(规划前后)", "Coverage before and after"),
    "budget.chart": Text("分期预算与支出", "Budget and spend by phase"),
    "budget.curve": Text("投资-覆盖曲线", "Budget–coverage curve"),
    "spend.title": Text("分期×设施类型×区 投资", "Spend by phase × type × district"),
    "spend.phase_total": Text("分期小计", "Phase total"),
    "spend.district_total": Text("区合计", "District total"),
    "spend.note": Text(
        "每类设施计其在该点位的造价;点位基础造价由首次使用该点位的项目所增各类设施均摊。",
        "Each type is charged its cost at the site; a site's base cost is shared equally by "
        "the types of the project that first uses it."),
    # ---------------------------------------------------------------- tiers and targets
    "tiers.counts": Text("各等级生活圈数量", "Circles at each tier"),
    "tiers.chart": Text("各等级生活圈数量(规划前与各期末)",
                        "Circles at each tier, before and after each phase"),
    "tiers.tier": Text("等级", "Tier"),
    "tiers.total": Text("社区合计", "Communities"),
    "tiers.below": Text("未达{tier}", "below {tier}"),
    "tiers.before": Text("规划前", "before"),
    "tiers.end_of": Text("{phase} 期末", "end of {phase}"),
    "tiers.after_plan": Text("规划后({stage})", "after the plan ({stage})"),
    "tiers.each": Text("各社区等级", "Tier of each community"),
    "tiers.n_communities": Text("{n} 个社区(可搜索、排序)", "{n} communities (search, sort)"),
    "tiers.next": Text("下一等级", "Next tier"),
    "tiers.blocking": Text("规划后差距(下一等级未满足的规则)",
                           "What blocks the next tier after the plan"),
    "tiers.not_assessed": Text("未评估条件", "Not assessed"),
    "tiers.unassessed_intro": Text(
        "以下条件引擎无法计算,未评估,从不计为达标;标 * 的等级表示除这些条件外已达标:",
        "These conditions cannot be computed by the engine: they are not assessed and never "
        "counted as met; a tier marked * is met except for them:"),
    "tiers.placeholder": Text(
        "等级规则为占位假设(规则文件 {file},[A]):开封市的量化标准所在附件未获取,"
        "须在取得区级标准后替换,本节等级仅供示意。",
        "The tier rules are placeholders (rules file {file}, [A]): Kaifeng's "
        "quantitative criteria sit in an annex that was not retrieved; replace the file once "
        "they are known. Tiers here are indicative only."),
    "tiers.rules": Text("等级规则:{file}(来源:{source} [{confidence}])。",
                        "Tier rules: {file} (source: {source} [{confidence}])."),
    "tiers.one_circle": Text("每个社区按一个生活圈计;达标比例按居民人数计算。",
                             "Each community is treated as one circle; shares count residents."),
    "targets.city": Text("开封市建设目标", "Kaifeng city targets"),
    "targets.scenario": Text("情景目标", "Scenario targets"),
    "targets.target": Text("目标", "Target"),
    "targets.tier_or_higher": Text("等级(及以上)", "Tier (or higher)"),
    "targets.required": Text("要求(个)", "Required"),
    "targets.judged_at": Text("评估分期", "Judged at phase"),
    "targets.reached": Text("达到(个)", "Reached"),
    "targets.met": Text("是否达成", "Met"),
    "targets.yes": Text("达成", "met"),
    "targets.no": Text("未达成", "not met"),
    "targets.name": Text("{deadline} 前 {count} 个{tier}", "{count} {tier} circles by {deadline}"),
    "targets.unknown_tier": Text("等级 {tier} 不在等级规则中",
                                 "tier {tier} is not in the tier rules"),
    "targets.no_phase": Text("本情景没有在此时限前结束的分期",
                             "no phase of the scenario ends by this deadline"),
    "targets.reached_note": Text(
        "达到数为本情景各社区在目标时限前最后一期期末达到该等级或更高等级的个数;"
        "情景只含部分社区时,全市目标按构成必然无法达成。",
        "Reached: the scenario's communities at the tier or higher at the end of the last phase "
        "ending by the deadline; a scenario covering part of the city cannot meet city-wide "
        "targets by construction."),
    "targets.none": Text("本情景未设定社区目标。", "The scenario sets no targets."),
    "targets.by_phase": Text("完成分期", "By phase"),
    "targets.communities": Text("社区数", "Communities"),
    "targets.min_budget": Text("达标最低投资(万元)", "Minimum budget to meet it (10,000 yuan)"),
    "targets.min_budget_yuan": Text("达标最低投资(元)", "Minimum budget to meet it (yuan)"),
    "targets.cost_to_next_yuan": Text("升至下一等级所需投资(元)",
                                      "Cost to reach the next tier (yuan)"),
    "targets.what_it_takes": Text("达标所需", "What it would take"),
    "targets.cost_to_next": Text("升至下一等级所需投资(万元)",
                                 "Cost to reach the next tier (10,000 yuan)"),
    "needs.status": Text("测算结果", "Result"),
    "needs.proven": Text("已证明最少", "proven least"),
    "needs.found": Text("限时内找到(未证明最少)", "found in the time limit (not proven least)"),
    "needs.impossible": Text("任何预算都无法达到", "impossible at any budget"),
    "needs.communities": Text("各社区升至下一等级所需投资({n} 个社区,由低到高)",
                              "Cost of each community's next tier ({n} communities, cheapest "
                              "first)"),
    "demand.existing": Text("现状已满足", "already within reach"),
    "demand.title": Text("需求清单回应情况", "Demand list: answered and unanswered"),
    "demand.yes": Text("已回应", "answered"),
    "demand.no": Text("未回应", "not answered"),
    "demand.items": Text("{n} 项(可搜索、排序)", "{n} items (search, sort)"),
    "demand.summary": Text("需求清单 {total} 项,本方案回应 {answered} 项。",
                           "The demand list has {total} items; the plan answers {answered}."),
    # ---------------------------------------------------------------- blind spots
    "blind.by": Text("按{level}", "By {level}"),
    "blind.note": Text(
        "盲区人数:步行阈值以外的服务人口;分钟数按各人群步速计算;“—”表示测算范围内无设施。"
        "明细见 blindspots.csv 与 projects.xlsx。",
        "Outside: residents served beyond the walking threshold; minutes at each group's "
        "walking speed; “—”: no facility within the computed reach. Rows in blindspots.csv and "
        "projects.xlsx."),
    "level.district": Text("区", "district"),
    "level.street": Text("街道", "street office"),
    "level.community": Text("社区", "community"),
    # ---------------------------------------------------------------- map
    "map.open": Text("全屏打开地图(map.html)", "Open the map full screen (map.html)"),
    "map.static": Text("规划总图(静态图,交互地图见 map.html)",
                       "Plan overview (static; the interactive map is map.html)"),
    "map.show": Text("显示交互地图", "Show the interactive map"),
    "map.demand": Text("需求点覆盖", "Demand coverage"),
    "map.outlets": Text("现有网点", "Existing outlets"),
    "map.projects": Text("规划项目", "Projects"),
    "map.labels": Text("社区名称", "Community names"),
    "map.streets": Text("街道路网", "Streets"),
    "map.barriers": Text("城墙、铁路、水面", "City wall, railway, water"),
    "map.boundaries": Text("区/街道/社区界线(按需求点推算)",
                           "District / street / community limits (drawn from demand points)"),
    "map.isochrones": Text("{minutes} 分钟步行圈(所选类型的项目)",
                           "{minutes}-min walk (projects of the selected type)"),
    "map.type": Text("设施类型", "Facility type"),
    "map.phase": Text("分期 {phase}", "phase {phase}"),
    "map.population": Text("人口", "population"),
    "map.nearest": Text("最近设施步行", "nearest walk"),
    "map.minutes": Text("分钟", "min"),
    "map.cost": Text("投资", "cost"),
    "map.yuan": Text("元", "yuan"),
    "map.newly": Text("新增覆盖", "newly covered"),
    "map.legend": Text("图例", "Legend"),
    "map.wall": Text("城墙", "City wall"),
    "map.railway": Text("铁路", "Railway"),
    "map.water": Text("水面", "Water"),
    "map.district": Text("区界", "District limit"),
    "map.street_limit": Text("街道界", "Street-office limit"),
    "map.community_limit": Text("社区界", "Community limit"),
    "coverage.c": Text("规划前已覆盖", "covered before"),
    "coverage.n": Text("规划新增覆盖", "newly covered"),
    "coverage.p": Text("部分覆盖", "partly covered"),
    "coverage.b": Text("盲区(未覆盖)", "blind spot"),
    # ---------------------------------------------------------------- charts
    "chart.before": Text("规划前", "before"),
    "chart.after": Text("规划后", "after"),
    "chart.coverage_title": Text("各类设施步行覆盖率", "Walking coverage per facility type"),
    "chart.coverage_axis": Text("覆盖率(%)", "residents covered (%)"),
    "chart.budget": Text("预算", "budget"),
    "chart.spent": Text("支出", "spent"),
    "chart.phase_axis": Text("分期(项目数)", "phase (projects)"),
    "chart.wan": Text("万元", "10,000 yuan"),
    "chart.budget_title": Text("分期预算与支出", "Budget and spend by phase"),
    "chart.cumulative": Text("累计投资(万元)", "cumulative cost (10,000 yuan)"),
    "chart.newly_axis": Text("新增覆盖人数(各类累计)",
                             "residents newly covered (summed over types)"),
    "chart.curve_title": Text("投资-覆盖曲线(按项目排名)", "Budget–coverage curve (by rank)"),
    "chart.circles_axis": Text("生活圈(社区)数", "circles (communities)"),
    "chart.tiers_title": Text("各等级生活圈数量", "Circles at each tier"),
    "chart.map_title": Text("规划总图", "Plan overview"),
    # ---------------------------------------------------------------- workbook
    "sheet.projects": Text("项目清单", "Projects"),
    "sheet.summary": Text("覆盖率汇总", "Coverage"),
    "sheet.coverage": Text("社区覆盖", "Coverage by community"),
    "sheet.tiers": Text("分期等级", "Tiers by phase"),
    "sheet.targets": Text("目标与最低投资", "Targets and minimum budgets"),
    "sheet.blind_spots": Text("设施盲区", "Blind spots"),
    "sheet.demand": Text("需求清单", "Demand list"),
    "sheet.budget": Text("分期预算", "Budget by phase"),
    "sheet.spend": Text("分期投资明细", "Spend detail"),
    "sheet.about": Text("说明", "About"),
    "sheet.sheet": Text("工作表", "Sheet"),
    "sheet.sheet_en": Text("工作表(英文)", "Sheet (English)"),
    "sheet.column": Text("列", "Column"),
    "sheet.column_en": Text("列(英文)", "Column (English)"),
    # ---------------------------------------------------------------- words
    "word.none": Text("—", "—"),
    "word.yes": Text("是", "yes"),
    "word.no": Text("否", "no"),
    "category.basic": Text("基本保障类", "basic"),
    "category.quality": Text("品质提升类", "quality"),
    "group.general": Text("一般居民", "general"),
    "group.elderly": Text("60岁以上", "60+"),
    "group.child": Text("0–3岁儿童及照护人", "children 0–3 with carers"),
    "ownership.state": Text("国有", "state"),
    "ownership.collective": Text("集体", "collective"),
    "ownership.private": Text("私有", "private"),
    "metres": Text("{m} 米", "{m} m"),
    "minutes": Text("{m} 分钟", "{m} min"),
    # ---------------------------------------------------------------- capacity (siting.capacity)
    "section.capacity": Text("容量与需求", "Capacity against demand"),
    "sheet.capacity": Text("容量与需求", "Capacity"),
    "capacity.intro": Text(
        "社区食堂、养老服务站、托育点的容量有限:需求=人口×需求率(每千人,见来源),"
        "每个居民点整体分配给步行范围内一处有余量的设施,在容量内服务尽可能多的需求"
        "(各期末设施全部开放,精确求解)。选址优化本身未考虑容量,本节在选址之后核算。",
        "Canteens, elderly stations and childcare points hold a limited number: demand = "
        "residents × take-up (per 1,000, see the source); each demand point is assigned whole to "
        "one facility within walking reach that has room, serving the most demand (every "
        "facility open at each phase's end, solved exactly). The optimiser does not see "
        "capacity: this section checks the plan after it."),
    "capacity.none": Text("本规划没有需要核算容量的设施类型。",
                          "No facility type of this plan has a capacity to check."),
    "capacity.all_fit": Text("步行范围内的需求均在容量之内。",
                             "All demand within reach fits the capacities."),
    "capacity.short": Text(
        "{type}容量不足:已分配{assigned}/{capacity}{unit},步行范围内另有{unserved}{unit}"
        "需求容纳不下;在旁增建{sites}处(每处{per_site}{unit})可容纳,约{cost}万元",
        "{type} short of capacity: {assigned} of {capacity} {unit} assigned, {unserved} {unit} "
        "more demand within reach does not fit; {sites} more site(s) of {per_site} {unit} "
        "beside it would hold it, about {cost} × 10,000 yuan"),
    "capacity.type_unit": Text("{type}(单位:{unit})", "{type} (unit: {unit})"),
    "capacity.take_up": Text("{per_1000}/千{of}", "{per_1000} per 1,000 {of}"),
    "capacity.of_residents": Text("常住人口", "residents"),
    "capacity.existing": Text("现有", "existing"),
    "capacity.short_list": Text("容量不足的设施(规划期末)", "Facilities short of capacity "
                                "(at the plan's end)"),
    "col.capacity": Text("容量", "Capacity"),
    "col.capacity_type": Text("容量:{type}", "Capacity: {type}"),
    "col.utilisation": Text("使用率", "Utilisation"),
    "col.utilisation_type": Text("使用率:{type}", "Utilisation: {type}"),
    "col.take_up": Text("需求率", "Take-up"),
    "col.facilities": Text("设施数(现有+新建)", "Facilities (existing + new)"),
    "col.demand": Text("总需求", "Demand"),
    "col.demand_within_reach": Text("步行范围内需求", "Demand within reach"),
    "col.served": Text("容量内服务", "Served within capacity"),
    "col.unserved": Text("容量不足未服务", "Unserved: over capacity"),
    "col.residents_served": Text("服务人数(对象人群)", "Residents served (group)"),
    "col.residents_unserved": Text("容量不足人数(对象人群)", "Residents unserved (group)"),
    "col.extra_sites": Text("需增设施数", "More sites needed"),
    "col.extra_cost_wan": Text("增建投资(万元)", "Cost of more sites (10,000 yuan)"),
    "col.facility": Text("设施", "Facility"),
    "col.unit": Text("单位", "Unit"),
    "col.capacity_note": Text("容量提示", "Capacity note"),
    "col.extra_cost_yuan": Text("增建投资(元)", "Cost of more sites (yuan)"),
    "col.status": Text("求解状态", "Solve status"),
}


def text(key: str, **fields: object) -> Text:
    """Message ``key`` in both languages, its ``{field}`` templates filled.

    Raises
    ------
    KeyError
        If ``key`` is not in `MESSAGES` (a typo in code, not a user mistake).
    """
    message = MESSAGES[key]
    return message.format(**fields) if fields else message


def fields_of(template: str) -> set[str]:
    """Names of the ``{field}`` placeholders of a template."""
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def floor_percent(share: float, digits: int = 0) -> str:
    """``share`` (0–1) as a percentage rounded *down*, so a shortfall never prints as its target.

    79.6 % is shown as ``79%`` (never ``80%`` next to a target of 80 %); exact values keep their
    digits (``0.8`` → ``80%``).
    """
    if math.isnan(share):
        return "—"
    scale = 10**digits
    # The small epsilon keeps exact shares such as 0.29 (28.999… in floating point) whole.
    value = math.floor(share * 100 * scale + 1e-6) / scale
    return f"{value:.{digits}f}%"


def wan(yuan: float | None, digits: int = 1) -> str:
    """Yuan as 万元 with thousands separators (``—`` when missing)."""
    if yuan is None or math.isnan(yuan):
        return "—"
    return f"{yuan / YUAN_PER_WAN:,.{digits}f}"


_STATUS_KEYS = {"optimal": "solver.optimal", "feasible": "solver.feasible",
                "infeasible": "solver.infeasible"}


def solver_status(status: str, gap: float, seconds: float) -> Text:
    """The solver's outcome in words: status, proven gap (rounded up) and seconds."""
    key = _STATUS_KEYS.get(status)
    name = text(key) if key else text("solver.unknown", status=status)
    # The gap is an upper limit: round it up so that 2.994 % never reads as 2.99 %.
    shown = math.ceil(gap * 1e4 - 1e-6) / 100 if math.isfinite(gap) else math.inf
    gap_text = f"{shown:.2f}%" if math.isfinite(shown) else "∞"
    return text("solver.line", status=name, gap=gap_text, seconds=f"{seconds:.1f}")


#: Known English phrases of the optimizer's reasons and their catalogue entries; a reason is
#: ``; ``-separated phrases, each translated on its own.
_REASON_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"stopped by the time limit of (?P<limit>[\d.]+) s"), "solver.time_limit"),
    (re.compile(r"stopped at mip_rel_gap=(?P<gap>[\d.e+-]+)"), "solver.rel_gap"),
    (re.compile(r"gap (?P<gap>[\d.]+%)"), "solver.gap"),
    (re.compile(r"no plan meeting the requirements found within the time limit of "
                r"(?P<limit>[\d.]+) s \(not proven infeasible\)"), "solver.no_plan_in_time"),
    (re.compile(r"raise time_limit"), ""),
)


def solver_note(reason: str) -> Text:
    """The optimizer's reason (English, from `siting.models`) in both languages.

    Known phrases are translated; any other phrase is kept verbatim in the Chinese text behind
    a Chinese label, so the Chinese view never shows an unexplained English sentence.
    """
    parts: list[Text] = []
    for phrase in (p.strip() for p in reason.split(";")):
        if not phrase:
            continue
        for pattern, key in _REASON_PATTERNS:
            found = pattern.fullmatch(phrase)
            if found:
                if key:
                    parts.append(text(key, **found.groupdict()))
                break
        else:
            parts.append(text("solver.untranslated", text=phrase))
    joined = Text(";".join(p.zh for p in parts), "; ".join(p.en for p in parts))
    return text("solver.note", text=joined)


def ownership(value: str) -> Text:
    """A site's ownership (``state``, ``collective``, ``private`` or ``a/b``) in both languages;
    words outside that vocabulary are kept as written."""
    parts = [MESSAGES.get(f"ownership.{word.strip()}", Text(word.strip(), word.strip()))
             for word in value.split("/") if word.strip()]
    return Text("/".join(p.zh for p in parts), "/".join(p.en for p in parts))
