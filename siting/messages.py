"""The message catalogue: every user-facing text of the report, charts, map and workbook.

One entry per message, Chinese first (the planners' working language) and English complete;
templates take named fields (``{n}``) filled in both languages by `text`. Other parts (the
CLI, validation messages) can adopt it by adding keys here: `tests/test_messages.py` checks that
every entry has both languages, the same fields in each, and Chinese wording in the Chinese one.

Terms (domain brief §1, §11): a count of residents is 人数 (人次 means visits and is never used);
money in tables and charts is 万元 (10,000 yuan); a source is named by its document number
(e.g. 汴政办〔2025〕11号), not by a file key. `solver_status` puts the optimizer's status into both
languages; `show` lays a message out for the command line in one language (Chinese with its
English, or English alone), `locale_language` finds the user's language from the locale.
"""

from __future__ import annotations

import math
import os
import string
from collections.abc import Mapping
from typing import Literal, NamedTuple, get_args


class Text(NamedTuple):
    """A text in Chinese and English."""

    zh: str
    en: str

    def format(self, **fields: object) -> Text:
        """Both templates filled; a `Text` field fills each language with its own words."""
        zh = {k: v.zh if isinstance(v, Text) else v for k, v in fields.items()}
        en = {k: v.en if isinstance(v, Text) else v for k, v in fields.items()}
        return Text(self.zh.format(**zh), self.en.format(**en))


#: The languages of every message: Chinese (the default) and English.
Language = Literal["zh", "en"]
LANGUAGES: tuple[Language, ...] = get_args(Language)

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
    "summary.targets": Text("建设目标", "Targets"),
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
    "solver.goal_line": Text(
        "{status} · 期末 {lifted} 个社区提升一级({most}逐个按最省投资提升可达 {one_by_one} 个)"
        "{coverage} · 用时 {seconds} 秒",
        "{status} · {lifted} communities lifted a tier by the end ({most}one by one at least "
        "cost: {one_by_one}){coverage} · {seconds} s"),
    "solver.lifts_most": Text("已证明任何方案至多 {most} 个;",
                              "no plan within the budget lifts more than {most}, proven; "),
    "solver.coverage_gap": Text(" · 覆盖率与最优上界差距 ≤ {gap}",
                                " · coverage gap to the proven bound ≤ {gap}"),
    "solver.stop_time": Text(
        "达到求解时限(solver.time_limit_s = {limit} 秒:测算达标所需 {takes} 秒,"
        "优化方案 {seconds} 秒)后停止;方案与最优上界的差距 ≤ {gap},可延长求解时限以缩小差距",
        "stopped by the time limit (solver.time_limit_s = {limit} s: {takes} s to cost the tiers "
        "and targets, {seconds} s for the plan); the plan is within {gap} of the proven bound: "
        "raise the time limit to narrow the gap"),
    "solver.stop_time_lifts": Text(
        "达到求解时限(solver.time_limit_s = {limit} 秒:测算达标所需 {takes} 秒,"
        "优化方案 {seconds} 秒)后停止;提升社区数为可行解、未证明最优(不少于逐个按最省投资提升的"
        "社区数),覆盖率在保持该提升数的前提下优化;可延长求解时限以改进方案",
        "stopped by the time limit (solver.time_limit_s = {limit} s: {takes} s to cost the tiers "
        "and targets, {seconds} s for the plan): the communities lifted are a feasible count, "
        "not proven the most (never fewer than lifting one by one at least cost affords), and "
        "coverage is optimised with that count held; raise the time limit to improve the plan"),
    "solver.stop_gap": Text(
        "达到设定差距 mip_rel_gap = {rel_gap} 后停止;方案与最优上界的差距 ≤ {gap}",
        "stopped at the set gap mip_rel_gap = {rel_gap}; the plan is within {gap} of the "
        "proven bound"),
    "solver.stop_greedy": Text(
        "按设定用启发式(贪心)求解(solver.method = heuristic);方案与最优上界的差距 ≤ {gap}",
        "solved by the greedy heuristic as set (solver.method = heuristic); the plan is within "
        "{gap} of the proven bound"),
    "solver.hard_targets": Text(
        "硬性目标 {names} 在现有预算内无法达成,未进行优化;"
        "各目标的最低投资与约束条件见“建设目标与达标所需”",
        "the hard targets {names} cannot be met within the budget, so nothing was optimized; "
        "see each target's least budget and binding limit under “Targets and what it would "
        "take”"),
    "solver.goals_infeasible": Text(
        "目标要求的生活圈数量在预算或求解时限内无法达到(未必已证明无解);见“建设目标与达标所需”",
        "the numbers of circles the targets ask for cannot be reached within the budget or "
        "the time limit (not necessarily proven impossible); see “Targets and what it would "
        "take”"),
    "solver.nothing_built": Text(
        "总预算 {budget} 元低于最便宜的项目(点位 {site},{cost} 元),本方案不建设任何项目",
        "the total budget of {budget} yuan is below the cheapest project (site {site}, {cost} "
        "yuan); nothing is built"),
    "solver.nothing_allowed": Text(
        "没有允许建设的点位与设施组合,本方案不建设任何项目",
        "no site may host any facility type; nothing is built"),
    "infeasible.all": Text("全部要求合在一起", "the requirements together"),
    "infeasible.requirement": Text("“{type}”在 {phase} 期末的覆盖要求",
                                   "the coverage required of {type} by the end of {phase}"),
    "infeasible.reach": Text(
        "{who}需要再覆盖 {needed}(人数×权重),但该期前可用的点位最多只能覆盖 {available};"
        "请允许更多点位或降低覆盖比例",
        "{who} needs {needed} more covered weight (residents × weight) but the sites allowed "
        "and available by then reach only {available}; allow more sites or lower the share"),
    "infeasible.budget": Text(
        "{who}需要在 {phase} 期末前至少投资 {needed} 元,而累计预算为 {available} 元"
        "(缺 {short} 元)",
        "{who} needs at least {needed} yuan spent by the end of {phase} but the cumulative "
        "budget is {available} yuan (short by {short})"),
    "infeasible.site_limits": Text(
        "{who}在{which}限制下无论预算多少都无法满足(单独每项要求可以满足);"
        "请放宽每个点位的设施数或面积,或降低覆盖比例",
        "{who} cannot be met at any budget under the {which} limits (each requirement alone "
        "can); allow more types or floor area per site, or lower a share"),
    "infeasible.floor_area": Text("点位面积(site_area)", "site_area"),
    "infeasible.types_per_site": Text("每点位设施类型数(max_types_per_site)",
                                      "max_types_per_site"),
    "infeasible.both_site_limits": Text(
        "点位面积与每点位设施类型数(site_area、max_types_per_site)",
        "site_area and max_types_per_site"),
    "infeasible.together": Text(
        "各项要求单独都能在预算内满足,但无法同时满足;请提高预算或降低某项覆盖比例",
        "the requirements can each be met within the budget alone but not all together; "
        "raise the budgets or lower a share"),
    "infeasible.deadline": Text(
        "求解时限内未找到满足全部要求的方案,也未能证明无解;请延长求解时限(solver.time_limit_s)",
        "no plan meeting the requirements was found or proven impossible within the time "
        "limit; raise solver.time_limit_s"),
    "infeasible.heuristic": Text(
        "贪心方案未满足{who}(差 {short},人数×权重;未证明无解);请改用精确求解(solver.method)",
        "the greedy plan misses {who} by {short} weight (residents × weight; not proven "
        "infeasible); use an exact solver.method"),
    "notice.legacy": Text("(旧版结果,仅有英文){text}", "{text}"),
    "notice.flag_not_planned": Text(
        "{tier}:条件“{flag}”无法通过选址实现,未纳入优化,也从不计为达标",
        "{tier}: the condition “{flag}” cannot be planned by siting; it is left out of the "
        "optimization and never counted as met"),
    "notice.rule_not_planned": Text(
        "{tier}:第 {rule} 条规则需要 {needed} 类设施,本情景只规划了 {planned},该等级未纳入优化",
        "{tier}: rule {rule} needs {needed} facility types but the scenario plans only "
        "{planned}; the tier is left out of the optimization"),
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
        "未生成 {name}:{why}。可在浏览器中打开 report.html 打印为 PDF。",
        "{name} was not written: {why}. Open report.html in a browser and print it to PDF."),
    "notice.no_chromium": Text(
        "未找到 Chromium 浏览器(Debian: apt-get install chromium fonts-noto-cjk)",
        "Chromium was not found (Debian: apt-get install chromium fonts-noto-cjk)"),
    "notice.chromium_failed": Text("Chromium 打印失败({detail})",
                                   "Chromium failed to print ({detail})"),
    # ---------------------------------------------------------------- command line
    "cli.app": Text("城市一刻钟便民生活圈设施选址。", "Facility siting for 15-minute convenient "
                    "living circles (城市一刻钟便民生活圈)."),
    "cli.exit_codes": Text(
        "退出码: 0 成功(已写出规划 / 场景有效); 1 输入有误(列出全部问题); 2 用法错误(选项有误,"
        "或 siting 不能写入的输出文件夹); 3 无可行方案(目标无法达成); 130 已中断(Ctrl-C,"
        "上次的输出保持原样)。",
        "Exit codes: 0 plan written / scenario valid; 1 input error (every problem listed); "
        "2 usage error (bad option, or an output folder siting may not write into); "
        "3 infeasible targets; 130 interrupted (Ctrl-C; the previous output is left as it "
        "was)."),
    "cli.lang": Text(
        "输出语言 zh 或 en(默认:场景文件的 language,其次为系统区域设置,否则 zh);"
        "zh 显示中文并附英文。",
        "Language of the output, zh or en (default: the scenario's language, else the "
        "locale, else zh); zh shows Chinese with the English after it."),
    "cli.validate": Text(
        "检查场景文件及其引用的全部文件,一次列出全部问题。\n\n与 run 在规划前所做的检查相同:"
        "读取并检查 YAML、各图层和需求清单(列、取值、编号、几何、坐标系与数据位置),"
        "读取街道文件、构建路网并与各点位比对。",
        "Check a scenario file and every file it names; list every problem at once.\n\n"
        "Runs every check run makes before planning: the YAML, every layer and the demand "
        "list read and checked (columns, values, ids, geometries, the CRS against where the "
        "data lie), the street file read, its network built and compared with the points."),
    "cli.scenario": Text("场景文件(YAML)。", "Scenario file (YAML)."),
    "cli.scenario_default": Text("场景文件(YAML);默认为内置的 kaifeng-demo。",
                                 "Scenario file (YAML); default: the embedded kaifeng-demo."),
    "cli.run": Text(
        "规划一个场景:排序的项目清单、覆盖率表、图层、报告与 result.json。\n\n"
        "方案不可行(硬性目标超出预算或不可达)时退出码为 3;result.json 与报告仍会说明哪项约束起作"
        "用、"
        "如何放宽。",
        "Plan a scenario: ranked project list, coverage tables, layers, report and "
        "result.json.\n\nExit code 3 when the plan is infeasible (a hard target beyond the "
        "budget or out of reach); result.json and the report still say which limit binds and "
        "what would relax it."),
    "cli.out": Text(
        "输出文件夹(默认 out/<场景名>):新的或空的文件夹,或 siting 之前写过的文件夹"
        "(只替换 siting 写的文件,其他文件保留)。",
        "Output folder (default: out/<scenario name>): a new or empty folder, or one siting "
        "wrote before (only its files are replaced; other files are kept)."),
    "cli.quiet": Text("不显示进度(仍显示提示)。", "No progress output (warnings still shown)."),
    "cli.budget_scale": Text(
        "预算倍数:各期预算与总上限乘以此数,例如用 result.json 中某目标的最低投资倍数验证。",
        "Multiply every phase budget and the total cap, e.g. to check a target's least budget "
        "from result.json."),
    "cli.compare": Text("比较各区并扫描预算、步速与阈值,在 Dask 上运行(默认本机)。",
                        "Compare districts and sweep budgets, speeds and thresholds, on Dask "
                        "(local by default)."),
    "cli.spec": Text("比较规格文件(YAML):场景与扫描参数。",
                     "Comparison spec (YAML): scenarios and sweeps."),
    "cli.compare_out": Text("结果表与图表的输出文件夹。",
                            "Output folder for the table and charts."),
    "cli.scheduler": Text("已有 Dask 调度器的地址,tcp://HOST:PORT。",
                          "Address of an existing Dask scheduler, tcp://HOST:PORT."),
    "cli.workers": Text("本机工作进程数(默认:CPU 核数)。",
                        "Local worker processes (default: cores)."),
    "cli.diff": Text("对比两个规划:新增、取消、迁址或调整分期的项目,覆盖、等级与投资的变化。",
                     "Compare two plans: projects added, removed, moved or re-phased, "
                     "coverage, tiers and spend."),
    "cli.plan_a": Text("规划 A:输出文件夹或其中的 result.json。",
                       "Plan A: an output folder or its result.json."),
    "cli.plan_b": Text("规划 B:输出文件夹或其中的 result.json。",
                       "Plan B: an output folder or its result.json."),
    "cli.json": Text("以 JSON 输出差异(供其他系统使用)。",
                     "Print the difference as JSON (for other systems)."),
    "cli.valid": Text(
        "{scenario}:有效 — {demand} 个需求点,{outlets} 个现有网点,{sites} 个候选点位,"
        "{types} 类设施,{phases} 期",
        "{scenario}: valid — {demand} demand points, {outlets} outlets, {sites} candidate "
        "sites, {types} facility types, {phases} phases"),
    "cli.input_error": Text("输入有误:{error}", "input error: {error}"),
    "cli.interrupted": Text("已中断", "interrupted"),
    "cli.interrupted_written": Text(
        "已中断;新的结果已完整写入 {target}",
        "interrupted after the new output was completely written to {target}"),
    "cli.interrupted_kept": Text(
        "已中断;未写出新结果,{target} 中上次的输出保持原样",
        "interrupted: nothing new was written; the previous output in {target} is as it was"),
    "cli.interrupted_nothing": Text("已中断;未写出任何文件",
                                    "interrupted: nothing was written"),
    "cli.infeasible": Text("无可行方案,原因见上", "no plan meets the targets; the reasons are "
                           "listed above"),
    "cli.planning": Text("规划中", "planning"),
    "cli.writing": Text("写出结果文件", "writing outputs"),
    "cli.headline": Text("{title} — {projects} 个项目,投资 {cost} 元;求解:{solver}",
                         "{title} — {projects} projects, {cost} yuan; solver: {solver}"),
    "cli.coverage_title": Text("覆盖率(规划前 → 规划后)", "Coverage (before → after)"),
    "cli.projects_title": Text("项目清单(前 10 项)", "Projects (top 10)"),
    "cli.note": Text("注意", "note"),
    "cli.outputs": Text("输出文件夹 {target}:{files}", "outputs in {target}: {files}"),
    "progress.network": Text("构建步行路网", "building the walking network"),
    "progress.inputs": Text("读取输入", "reading inputs"),
    "progress.distances": Text("计算步行距离", "computing walking distances"),
    "progress.coverage": Text("按设施类型计算覆盖", "building coverage rows per facility type"),
    "progress.what_it_takes": Text("测算达标所需:等级与目标的最低投资",
                                   "what it would take: tiers and targets at least cost"),
    "progress.optimizing": Text("优化规划方案", "optimizing the plan"),
    "progress.capacity": Text("核对设施容量与需求", "checking capacities against demand"),
    "progress.ranking": Text("项目排序", "ranking projects"),
    # ---------------------------------------------------------------- input problems
    "input.header": Text("场景输入有 {n} 处问题:", "{n} problem(s) in the scenario inputs:"),
    "input.rows": Text("{message}:编号 {ids}{more}", "{message}: ids {ids}{more}"),
    "input.more": Text(" 等(另有 {n} 个)", " and {n} more"),
    "input.did_you_mean": Text("是否应为 '{name}'?", "did you mean '{name}'?"),
    "input.choices": Text("{noun}:{names}{more}", "{noun}: {names}{more}"),
    "input.in_all": Text(" …(共 {n} 个)", " … ({n} in all)"),
    "input.valid_keys": Text("有效的键", "valid keys"),
    "input.unknown_key": Text("未知的键 '{key}'", "unknown key '{key}'"),
    "input.unknown_key_fix": Text("删除或改名;{hint}", "remove it or rename it; {hint}"),
    "input.missing": Text("缺少必填项", "required key is missing"),
    "input.missing_fix": Text("补上该项", "add it"),
    "input.value_error_fix": Text("按说明改正取值", "correct the value as the message says"),
    "input.valid_value": Text("给出有效的值(当前为 {got})", "give a valid value (got {got})"),
    "input.invalid": Text("取值无效(校验器说明:{detail})", "invalid value: {detail}"),
    "input.gt": Text("应大于 {gt}", "must be greater than {gt}"),
    "input.ge": Text("应大于或等于 {ge}", "must be greater than or equal to {ge}"),
    "input.lt": Text("应小于 {lt}", "must be less than {lt}"),
    "input.le": Text("应小于或等于 {le}", "must be less than or equal to {le}"),
    "input.int": Text("应为整数", "must be a whole number"),
    "input.number": Text("应为数字", "must be a number"),
    "input.finite": Text("应为有限的数字", "must be a finite number"),
    "input.bool": Text("应为 true 或 false", "must be true or false"),
    "input.string": Text("应为文字", "must be text"),
    "input.literal": Text("应为以下之一:{expected}", "must be one of: {expected}"),
    "input.date": Text("应为日期(YYYY-MM-DD)", "must be a date (YYYY-MM-DD)"),
    "input.too_short": Text("至少需要 {min_length} 项", "needs at least {min_length} items"),
    "input.too_long": Text("最多 {max_length} 项", "takes at most {max_length} items"),
    "input.string_too_short": Text("至少需要 {min_length} 个字符",
                                   "needs at least {min_length} characters"),
    "input.list": Text("应为列表", "must be a list"),
    "input.mapping": Text("应为键值映射(YAML mapping)", "must be a mapping (key: value)"),
    "input.gcj02_projected": Text(
        "GCJ-02 图层使用了投影坐标系 {crs}",
        "GCJ-02 layer has projected CRS {crs}"),
    "input.gcj02_projected_fix": Text(
        "提供 GCJ-02 经纬度,或设置正确的 datum",
        "give GCJ-02 longitude/latitude or set the right datum"),
    "input.layer_unreadable": Text(
        "无法读取该图层:{error}",
        "cannot read the layer: {error}"),
    "input.layer_unreadable_fix": Text(
        "提供完好的矢量文件",
        "give an intact vector file"),
    "input.repeated_ids": Text(
        "编号重复",
        "repeated ids"),
    "input.repeated_ids_fix": Text(
        "每行给出不同的编号",
        "give every row its own id"),
    "input.population_bad": Text(
        "人口缺失或为负数",
        "population missing or negative"),
    "input.population_bad_fix": Text(
        "给出 ≥ 0 的人数",
        "give persons ≥ 0"),
    "input.population_huge": Text(
        "一个点的人口超过 {n},不像一个街区或社区",
        "more than {n} residents at one point is not a block or a community"),
    "input.population_huge_fix": Text(
        "核对单位与数值(多打了几个 0?)",
        "check the value and its unit (extra zeros?)"),
    "input.pop_60_bad": Text(
        "60岁以上人口缺失、为负数或超过总人口",
        "60+ population missing, negative or above the population"),
    "input.pop_60_bad_fix": Text(
        "给出 0 ≤ pop_60_plus ≤ population",
        "give 0 ≤ pop_60_plus ≤ population"),
    "input.pop_0_3_bad": Text(
        "0–3岁人口缺失、为负数或超过60岁以下人口",
        "0–3 population missing, negative or above the residents under 60"),
    "input.pop_0_3_bad_fix": Text(
        "给出 0 ≤ pop_0_3 ≤ population − pop_60_plus",
        "give 0 ≤ pop_0_3 ≤ population − pop_60_plus"),
    "input.location_confidence": Text(
        "location_confidence 不是 surveyed(实测)或 assumed(推定)",
        "location_confidence is not surveyed or assumed"),
    "input.location_confidence_fix": Text(
        "使用 surveyed 或 assumed",
        "use surveyed or assumed"),
    "input.floor_area_bad": Text(
        "面积缺失、不为正数或不是有限值",
        "floor area missing, not positive or not finite"),
    "input.floor_area_bad_fix": Text(
        "给出大于 0 的面积(m²)",
        "give m² > 0"),
    "input.cost_bad": Text(
        "造价缺失、为负数或不是有限值",
        "a cost is missing, negative or not finite"),
    "input.cost_bad_fix": Text(
        "给出 ≥ 0 的造价(元)",
        "give costs in yuan ≥ 0"),
    "input.file_not_found": Text(
        "找不到文件:{path}",
        "file not found: {path}"),
    "input.file_not_found_fix": Text(
        "改正路径(相对路径以场景文件所在文件夹为准)",
        "fix the path (relative paths are relative to the scenario file)"),
    "input.layer_name_fix": Text(
        "提供可读取的矢量文件和存在的图层名",
        "give a readable vector file and an existing layer name"),
    "input.several_layers": Text(
        "文件中有多个图层:{layers}",
        "the file holds several layers: {layers}"),
    "input.several_layers_fix": Text(
        "用 layer: 指明其中一个",
        "name one with `layer:`"),
    "input.columns": Text(
        "现有的列",
        "columns"),
    "input.no_column": Text(
        "图层中没有列 '{column}'",
        "column '{column}' not in the layer"),
    "input.no_column_fix": Text(
        "指定存在的列;{hint}",
        "name an existing column; {hint}"),
    "input.column_not_number": Text(
        "列 '{column}' 的类型为 {dtype},不是数字",
        "column '{column}' has type {dtype}, not a number"),
    "input.column_not_number_fix": Text(
        "把该列存为数字",
        "store the column as numbers"),
    "input.geometry_kind": Text(
        "几何类型为 {kind}",
        "geometry type is {kind}"),
    "input.geometry_kind_fix": Text(
        "提供 {kinds} 几何",
        "give {kinds} geometries"),
    "input.unknown": Text(
        "未知的{what}:{names}",
        "unknown {what} {names}"),
    "input.unknown_fix": Text(
        "使用已有的{what};{hint}",
        "use a known {what}; {hint}"),
    "input.what_type": Text(
        "设施类型",
        "facility type"),
    "input.what_phase": Text(
        "分期",
        "phase"),
    "input.what_tier": Text(
        "等级",
        "tier"),
    "input.what_community": Text(
        "社区",
        "community"),
    "input.repeated_targets": Text(
        "目标名称重复:{names}",
        "repeated target names: {names}"),
    "input.repeated_targets_fix": Text(
        "每个目标使用不同的名称",
        "give each target its own name"),
    "input.unreadable": Text(
        "无法读取:{error}",
        "cannot read: {error}"),
    "input.unreadable_fix": Text(
        "提供可读取的 YAML 文件",
        "give a readable YAML file"),
    "input.not_mapping": Text(
        "文件内容不是 YAML 键值映射",
        "the file is not a YAML mapping"),
    "input.not_mapping_fix": Text(
        "以 scenarios/kaifeng-demo/scenario.yaml 为模板",
        "start from scenarios/kaifeng-demo/scenario.yaml"),
    "input.types_or_osm": Text(
        "给出 `types: <列名>` 或 `osm_tags: true` 二者之一",
        "give either `types: <column>` or `osm_tags: true`, not both or neither"),
    "input.slopes_count": Text(
        "斜率个数应比分段点多一个,现为 {slopes} 与 {points}",
        "give one more slope than breakpoints, got {slopes} and {points}"),
    "input.breakpoints": Text(
        "分段点应为严格递增、介于 0 与 1 之间的比例,现为 {points}",
        "breakpoints must be increasing shares strictly between 0 and 1, got {points}"),
    "input.slopes_increase": Text(
        "斜率不得递增(边际收益递减),现为 {slopes}",
        "slopes must not increase (diminishing returns), got {slopes}"),
    "input.count_or_communities": Text(
        "给出 `count`(任意社区数)、`communities`(指定社区)或两者",
        "give `count` (any communities), `communities` (these ones) or both"),
    "input.count_too_big": Text(
        "count {count} 超过所列的 {n} 个社区",
        "count {count} exceeds the {n} communities listed"),
    "input.unknown_crs": Text(
        "未知的坐标系 {crs}:{error}",
        "unknown CRS {crs}: {error}"),
    "input.crs_not_projected": Text(
        "坐标系 {crs} 不是投影坐标系;请给出以米为单位的坐标系,如 EPSG:32650",
        "CRS {crs} is not projected; give a metric CRS such as EPSG:32650"),
    "input.phase_repeated": Text(
        "分期编号应唯一;重复的:{keys}",
        "phase keys must be unique; repeated: {keys}"),
    "input.phase_order": Text(
        "分期应按完成时限严格递增排列,现为 {order}",
        "phases must be listed by strictly increasing deadline, got {order}"),
    "input.min_typical_max": Text(
        "应满足 最小 ≤ 典型 ≤ 最大,现为 {min}、{typical}、{max}",
        "need min ≤ typical ≤ max, got {min}, {typical}, {max}"),
    "input.serves_empty": Text(
        "serves 至少列出一个人群",
        "serves must list at least one group"),
    "input.threshold_groups": Text(
        "thresholds.kaifeng.minutes 的人群为 {given},而该类型服务 {serves};每个服务人群给出一个阈"
        "值",
        "thresholds.kaifeng.minutes has groups {given} but the type serves {serves}; give one thres"
        "h"
        "old per served group"),
    "input.type_key_mode": Text(
        "类型 {key} 的 key 为 {own}、mode 为 {mode}",
        "type {key} has key {own} / mode {mode}"),
    "input.unknown_sources": Text(
        "{what} 引用了未知的来源 {sources}",
        "{what} cites unknown sources {sources}"),
    "input.bundle_types": Text(
        "组合 {key} 含未知的设施类型 {types}",
        "bundle {key} names unknown types {types}"),
    "input.catalog_template": Text(
        "参照 catalog.yaml",
        "see catalog.yaml"),
    "input.types_or_category": Text(
        "给出 `types: [...]` 或 `category: basic|quality` 二者之一",
        "give either `types: [...]` or `category: basic|quality`, not both or neither"),
    "input.types_empty": Text(
        "types 至少列出一类设施",
        "types must list at least one facility type"),
    "input.category_min_types": Text(
        "按类别的规则需要 min_types(其中多少类须达到 min_share)",
        "a category rule needs min_types (how many of its types must reach min_share)"),
    "input.min_types_too_big": Text(
        "min_types {n} 超过所列的 {listed} 类设施",
        "min_types {n} exceeds the {listed} listed types"),
    "input.tier_repeated": Text(
        "等级编号 {key} 重复",
        "tier key {key} is repeated"),
    "input.tier_requires": Text(
        "等级 {key} 要求的 {requires} 未在其前列出(等级应由低到高排列)",
        "tier {key} requires {requires}, which is not listed before it (list tiers from lowest to "
        "highest)"),
    "input.source_not_key": Text(
        "source {source} 不是 sources 中的键",
        "source {source} is not a key of sources"),
    "input.tiers_template": Text(
        "以 siting/data/tiers.yaml 为模板",
        "start from siting/data/tiers.yaml"),
    "input.catalog_key_fix": Text(
        "使用目录中的类型键:{keys}",
        "use a catalog type key: {keys}"),
    "input.type_group": Text(
        "类型 '{key}' 不服务人群 '{group}'",
        "type '{key}' does not serve group '{group}'"),
    "input.type_group_fix": Text(
        "使用 {groups} 之一或 all",
        "use one of {groups} or all"),
    "input.all_too_far": Text(
        "全部 {n} 个{what}距步行路网都超过 snap_tolerance_m = {tolerance} 米"
        "(最近的 {nearest} 米)",
        "none of the {n} {what} lies within snap_tolerance_m = {tolerance} m of the walking "
        "network (the nearest is {nearest} m away)"),
    "input.all_too_far_fix": Text(
        "加大 snap_tolerance_m,或核对坐标与路网",
        "raise snap_tolerance_m or check the coordinates and the street file"),
    "input.no_geometry": Text(
        "没有几何(坐标为空)",
        "no geometry (empty coordinates)"),
    "input.no_geometry_fix": Text(
        "为这些行补上位置,或删除它们",
        "give these rows a location or delete them"),
    "input.not_finite": Text(
        "坐标不是有限数值",
        "coordinates are not finite numbers"),
    "input.not_finite_fix": Text(
        "修正这些行的坐标",
        "fix the coordinates of these rows"),
    "input.lonlat_fix": Text(
        "x 为经度、y 为纬度;或在文件中声明真实的坐标系",
        "put longitude in x and latitude in y, or declare the file's real CRS"),
    "input.lonlat_swapped": Text(
        "坐标超出经纬度范围;经度和纬度是否写反了?",
        "coordinates are not longitude/latitude; are longitude and latitude swapped?"),
    "input.lonlat_metres": Text(
        "坐标超出经纬度范围;像是投影坐标(米)",
        "coordinates are not longitude/latitude; they look like projected metres"),
    "input.crs_fix": Text(
        "改用 {suggestion}(数据所在的 UTM 带),或删去 crs 让 siting 自动选择",
        "use {suggestion} (the UTM zone of the data) or remove `crs` to let siting choose it"),
    "input.crs_area": Text(
        "坐标系 {crs} 的适用范围是 {meant},数据中心却在 {here}",
        "{crs} is meant for {meant}, but the data lie around {here}"),
    "input.crs_stretch": Text(
        "坐标系 {crs} 在数据所在位置使距离失真 {stretch}(最多允许 {allowed})",
        "{crs} stretches distances by {stretch} where the data lie (at most {allowed} allowed)"),
    "input.streets_unprojectable": Text(
        "路网坐标无法换算到平面坐标(坐标系标注错误?)",
        "the street coordinates cannot be projected (is the file's CRS declared wrongly?)"),
    "input.streets_unprojectable_fix": Text(
        "在文件中声明路网的真实坐标系",
        "declare the street file's real CRS"),
    "input.outside_streets": Text(
        "所有 {n} 个点都在路网范围({streets})之外;经纬度顺序、坐标系或 datum 是否有误?",
        "all {n} points lie outside the street network's extent ({streets}): wrong axis order, CRS "
        "or datum in one of the files?"),
    "input.outside_streets_fix": Text(
        "核对两个文件的坐标系与经纬度顺序",
        "check both files' CRS and axis order"),
    "input.empty": Text(
        "为空",
        "empty"),
    "input.community_fix": Text(
        "填写社区名称",
        "give the 社区 name"),
    "input.type_key_fix": Text(
        "填写设施类型键",
        "give a facility type key"),
    "input.requests_bad": Text(
        "{value} 不是 ≥ 0 的整数",
        "{value} is not a whole number ≥ 0"),
    "input.requests_bad_fix": Text(
        "填写诉求数",
        "give the count of requests"),
    "input.urgency_bad": Text(
        "{value} 不是 1、2、3 之一",
        "{value} is not one of 1, 2, 3"),
    "input.urgency_bad_fix": Text(
        "填写 1(低)、2(中)、3(高)或留空",
        "use 1 (low), 2 (medium), 3 (high) or leave it empty"),
    "input.csv_fix": Text(
        "提供 UTF-8 或 GBK 编码的 CSV",
        "give a UTF-8 or GBK CSV"),
    "input.column_missing": Text(
        "缺少列 '{name}'(现有列:{columns})",
        "column '{name}' is missing (columns: {columns})"),
    "input.column_missing_fix": Text(
        "添加该列;{hint}",
        "add the column; {hint}"),
    "input.header_fix": Text(
        "添加表头行",
        "add a header row"),
    "input.communities": Text(
        "社区",
        "communities"),
    "input.community_unknown": Text(
        "社区 '{name}' 不在需求点图层中",
        "community '{name}' is not in the demand layer"),
    "input.community_unknown_fix": Text(
        "使用需求点图层中的社区;{hint}",
        "use a community of the demand layer; {hint}"),
    "input.spec_template": Text(
        "以 benchmarks/districts.yaml 为模板",
        "start from benchmarks/districts.yaml"),
    "input.spec_path_fix": Text(
        "改正路径(相对路径以比较规格文件所在文件夹为准)",
        "fix the path (relative paths are relative to the spec file)"),
    "compare.exit_codes": Text(
        "退出码:",
        "Exit codes:"),
    "compare.exit_ok": Text(
        "全部运行成功",
        "every run succeeded"),
    "compare.exit_failed": Text(
        "部分运行失败,错误记录在结果表中",
        "some runs failed on their inputs; their rows carry the error"),
    "compare.exit_invalid": Text(
        "比较规格或选项有误,未运行",
        "the spec or the options are invalid; nothing ran"),
    "compare.exit_no_scheduler": Text(
        "无法连接 --scheduler",
        "no scheduler answered at --scheduler"),
    "compare.exit_lost": Text(
        "集群丢失部分运行(未保存),再次运行即可继续",
        "the cluster lost runs (not saved); run again to resume"),
    "compare.exit_interrupted": Text(
        "Ctrl-C 中断,已完成的运行已保存",
        "interrupted; finished runs are saved, run again to resume"),
    "compare.resume": Text(
        "已保存 {saved}/{total} 次运行;再次运行同一命令即可继续",
        "{saved} of {total} runs saved; run the same command to resume"),
    "compare.invalid_spec": Text(
        "比较规格有误:",
        "invalid compare spec:"),
    "compare.error": Text(
        "错误:{error}",
        "error: {error}"),
    "compare.not_finished": Text(
        "未完成 {n} 次({runs}):{error}",
        "{n} runs not finished ({runs}): {error}"),
    "compare.lost": Text(
        "集群丢失 {n} 次运行(未保存)",
        "the cluster lost {n} runs (not saved)"),
    "compare.not_finished_one": Text("未完成 1 次({runs}):{error}",
                                     "1 run not finished ({runs}): {error}"),
    "compare.lost_one": Text("集群丢失 1 次运行(未保存)", "the cluster lost 1 run (not saved)"),
    "compare.interrupted": Text(
        "已中断;再次运行同一命令即可继续",
        "interrupted; run the same command to resume"),
    "compare.wrote": Text(
        "已写出 {path}",
        "wrote {path}"),
    "compare.done": Text(
        "成功 {ok} 次,失败 {failed} 次;结果表:{table}",
        "{ok} runs ok, {failed} failed; table: {table}"),
    "compare.budget_axis": Text(
        "总预算(万元)",
        "total budget (10,000 yuan)"),
    "compare.coverage_axis": Text(
        "服务人口平均覆盖率(%)",
        "mean coverage of served residents (%)"),
    "compare.curve_title": Text(
        "不同预算下的覆盖率",
        "Coverage by budget"),
    "compare.per_person_axis": Text(
        "每新增覆盖一人投资(元,最大预算)",
        "yuan per newly covered resident (largest budget)"),
    "compare.ranking_title": Text(
        "单位投资的覆盖效果",
        "Coverage per yuan"),
    "compare.types_title": Text(
        "规划后各类设施覆盖率(%)",
        "Coverage after the plan per type (%)"),
    "compare.seconds_axis": Text(
        "每次运行用时(秒)",
        "seconds per run"),
    "compare.seconds_title": Text(
        "成功 {ok} 次,失败 {failed} 次(×:未证明最优)",
        "{ok} runs ok, {failed} failed (x: not proven optimal)"),
    "compare.variant": Text(
        "方案",
        "variant"),
    "compare.newly": Text(
        "新增覆盖人数",
        "newly covered"),
    "compare.per_person": Text(
        "每新增覆盖一人投资(元)",
        "yuan / newly covered"),
    "compare.before_after": Text(
        "覆盖率 前 → 后",
        "coverage before → after"),
    "compare.table_title": Text(
        "各区按每新增覆盖一人投资排序(最大预算)",
        "Districts ranked by yuan per newly covered resident (largest budget)"),
    "compare.summary_title": Text(
        "各区比较",
        "District comparison"),
    "diff.below_every_tier": Text(
        "未达基础型",
        "below every tier"),
    "diff.title": Text(
        "规划对比:A = {a},B = {b}",
        "Plan comparison: A = {a}, B = {b}"),
    "diff.same": Text(
        "两个规划相同",
        "the two plans are the same"),
    "diff.added": Text(
        "新增(仅 B 有)",
        "Added (B only)"),
    "diff.removed": Text(
        "取消(仅 A 有)",
        "Removed (A only)"),
    "diff.rephased": Text(
        "调整分期",
        "Re-phased"),
    "diff.moved": Text(
        "社区内迁址",
        "Moved within a community"),
    "diff.coverage": Text(
        "规划后覆盖人数",
        "Coverage after the plan (residents)"),
    "diff.tiers": Text(
        "等级变化(规划期末)",
        "Tier changes (end of plan)"),
    "diff.spend": Text(
        "投资(元)",
        "Spend (yuan)"),
    "diff.total": Text(
        "合计",
        "Total"),
    "diff.a": Text(
        "规划 A",
        "A"),
    "diff.b": Text(
        "规划 B",
        "B"),
    "diff.change": Text(
        "变化",
        "change"),
    "diff.phase_a": Text(
        "A 分期",
        "A phase"),
    "diff.phase_b": Text(
        "B 分期",
        "B phase"),
    "diff.site_a": Text(
        "A 点位",
        "A site"),
    "diff.site_b": Text(
        "B 点位",
        "B site"),
    "cli.usage": Text(
        "用法:",
        "Usage:"),
    "cli.options": Text(
        "选项",
        "Options"),
    "cli.arguments": Text(
        "参数",
        "Arguments"),
    "cli.commands": Text(
        "命令",
        "Commands"),
    "cli.help_option": Text(
        "显示本帮助并退出。",
        "Show this message and exit."),
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
    # Plan edits of the scenario (sites.required / sites.excluded, `siting.plan_edits`).
    "col.required": Text("指定项目(场景要求的类型)", "Required by the scenario (types)"),
    "projects.required_mark": Text("指定", "required"),
    "projects.required_note": Text(
        "标“指定”的项目由场景文件 sites.required 指定,其余项目由优化选出。",
        "Projects marked “required” are required by the scenario file (sites.required); the "
        "optimizer chose the others."),
    "projects.excluded": Text("按场景要求不使用的候选点:{sites}。",
                              "Sites the scenario excludes: {sites}."),
    "projects.excluded_types": Text("按场景要求不建设的类型:{items}。",
                                    "Types the scenario excludes at a site: {items}."),
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


def text(key: str, /, **fields: object) -> Text:
    """Message ``key`` in both languages, its ``{field}`` templates filled.

    Raises
    ------
    KeyError
        If ``key`` is not in `MESSAGES` (a typo in code, not a user mistake).
    """
    message = MESSAGES[key]
    return message.format(**fields) if fields else message


def joined(parts: list[Text], zh_sep: str = ";", en_sep: str = "; ") -> Text:
    """Several texts as one, each language joined with its own separator."""
    return Text(zh_sep.join(p.zh for p in parts), en_sep.join(p.en for p in parts))


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


class Lifts(NamedTuple):
    """The tier objective's outcome in communities: how many the plan lifts a tier by its end,
    how many lifting them one by one at least cost affords, whether the lifting level is
    proven optimal, and the most any plan within the budget lifts (None: not proven)."""

    lifted: int
    one_by_one: int
    proven: bool
    most: int | None = None


def solver_status(status: str, gap: float, seconds: float, lifts: Lifts | None = None) -> Text:
    """The solver's outcome in words: status, proven gap (rounded up) and seconds.

    With the tier objective the line leads with ``lifts``: the communities lifted, the proven
    most while the lifting level is not proven optimal, and the coverage gap only once it is,
    since the coverage is optimised with that level held.
    """
    key = _STATUS_KEYS.get(status)
    name = text(key) if key else text("solver.unknown", status=status)
    gap_text = gap_percent(gap)
    if lifts is None:
        return text("solver.line", status=name, gap=gap_text, seconds=f"{seconds:.1f}")
    coverage = text("solver.coverage_gap", gap=gap_text) if lifts.proven else Text("", "")
    most = text("solver.lifts_most", most=lifts.most) \
        if not lifts.proven and lifts.most is not None else Text("", "")
    return text("solver.goal_line", status=name, lifted=lifts.lifted, most=most,
                one_by_one=lifts.one_by_one, coverage=coverage, seconds=f"{seconds:.1f}")


def gap_percent(gap: float) -> str:
    """A relative gap (0–1) in % with two decimals, rounded *up* (it is an upper limit: 2.994 %
    never reads as 2.99 %); ``∞`` when infinite."""
    if not math.isfinite(gap):
        return "∞"
    return f"{math.ceil(gap * 1e4 - 1e-6) / 100:.2f}%"


def ownership(value: str) -> Text:
    """A site's ownership (``state``, ``collective``, ``private`` or ``a/b``) in both languages;
    words outside that vocabulary are kept as written."""
    parts = [MESSAGES.get(f"ownership.{word.strip()}", Text(word.strip(), word.strip()))
             for word in value.split("/") if word.strip()]
    return Text("/".join(p.zh for p in parts), "/".join(p.en for p in parts))


def show(message: Text, language: Language, *, sep: str = " · ") -> str:
    """``message`` as a line for ``language``: Chinese followed by its English (``sep``
    between them, nothing repeated when both are the same), or English alone."""
    if language == "en":
        return message.en
    return message.zh if message.zh == message.en else f"{message.zh}{sep}{message.en}"


def say(language: Language, key: str, **fields: object) -> str:
    """Catalogue message ``key`` filled and shown for ``language`` (`show`)."""
    return show(text(key, **fields), language)


def only(language: Language, key: str, **fields: object) -> str:
    """Catalogue message ``key`` in ``language`` alone (help texts, progress lines)."""
    message = text(key, **fields)
    return message.en if language == "en" else message.zh


#: Environment variables that name the user's locale, the first one set wins (POSIX order).
LOCALE_VARIABLES = ("LC_ALL", "LC_MESSAGES", "LANG")


def locale_language(environ: Mapping[str, str] | None = None) -> Language:
    """The language of the user's locale: English for an ``en`` locale, otherwise Chinese
    (``zh_CN.UTF-8``, ``C``, ``POSIX`` and every other locale)."""
    env = os.environ if environ is None else environ
    name = next((env[v] for v in LOCALE_VARIABLES if env.get(v)), "")
    return "en" if name.lower().startswith("en") else "zh"
