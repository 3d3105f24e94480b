"""The ``siting`` command line."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from enum import IntEnum
from importlib import resources
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from rich.console import Console
from rich.table import Table

from ._errors import InputFileError, OutputFolderError
from .assemble import assemble_plan
from .compare import EXIT_CODES_HELP as COMPARE_EXIT_CODES_HELP
from .compare import compare_command
from .diff_command import print_diff
from .findings import ScenarioError
from .inputs import load_inputs
from .messages import solver_status
from .models import ModelInputError
from .network import NetworkError
from .output_folder import check_output_folder, marker_stamp
from .outputs import write_outputs
from .plan_diff import diff_plans, read_plan
from .plan_model import Plan
from .planning import plan_with_context
from .scenario import load_scenario
from .scenario_streets import scenario_network


class ExitCode(IntEnum):
    """What `siting run` and `siting validate` exit with (listed in the help and the README)."""

    OK = 0
    """A plan was written (run) or the scenario is valid (validate)."""
    INPUT_ERROR = 1
    """The scenario or one of its files is wrong; every problem found is listed."""
    USAGE = 2
    """Bad command line: an unknown option, a missing argument, or an output folder siting may
    not write into (it holds other files, the inputs, or is the current folder)."""
    INFEASIBLE = 3
    """The plan cannot meet the scenario's targets; the reason is printed and written."""
    INTERRUPTED = 130
    """Ctrl-C: stopped within a moment; no new output, the previous one left as it was."""


EXIT_CODES_HELP = (
    "退出码 Exit codes: 0 成功 plan written / scenario valid; 1 输入有误 input error (every "
    "problem listed); 2 用法错误 usage error (bad option, or an output folder siting may not "
    "write into); 3 无可行方案 infeasible targets; 130 已中断 interrupted (Ctrl-C; the previous "
    "output is left as it was)."
)

app = typer.Typer(
    help="Facility siting for 15-minute convenient living circles (城市一刻钟便民生活圈).\n\n"
    + EXIT_CODES_HELP,
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def _root() -> None:
    """Facility siting for 15-minute convenient living circles."""


#: The embedded default scenario: the synthetic Kaifeng old city of scenarios/kaifeng-demo,
#: shipped inside the package (siting/data/kaifeng-demo links to it) so that an installed wheel
#: runs it too.
DEFAULT_SCENARIO = Path(str(resources.files("siting") / "data" / "kaifeng-demo" / "scenario.yaml"))


def _fail(message: str, code: ExitCode) -> NoReturn:
    typer.echo(message, err=True)
    raise typer.Exit(code=code)


@contextmanager
def _input_errors_exit() -> Iterator[None]:
    """Turn a bad input into its message and exit code 1 (2 for an output folder refused)."""
    try:
        yield
    except ScenarioError as exc:
        _fail(str(exc), ExitCode.INPUT_ERROR)
    except (InputFileError, NetworkError, ModelInputError) as exc:
        _fail(f"输入有误 input error: {exc}", ExitCode.INPUT_ERROR)
    except OutputFolderError as exc:
        _fail(str(exc), ExitCode.USAGE)


@contextmanager
def _progress(console: Console) -> Iterator[Callable[[str], None]]:
    """A spinner on a terminal, one line per step otherwise (logs, pipes); nothing if quiet."""
    if console.is_terminal:
        with console.status("planning") as status:
            yield lambda msg: status.update(msg)
        return
    start = time.perf_counter()
    yield lambda msg: console.print(f"[{time.perf_counter() - start:5.1f} s] {msg}")


@app.command(epilog=EXIT_CODES_HELP)
def validate(
    scenario: Annotated[Path, typer.Argument(help="Scenario file (YAML).")],
) -> None:
    """Check a scenario file and every file it names; list every problem at once.

    Runs every check `run` makes before planning: the YAML, every layer and the demand list
    read and checked (columns, values, ids, geometries, the CRS against where the data lie),
    the street file read, its network built and compared with the points.
    """
    try:
        with _input_errors_exit():
            loaded = load_scenario(scenario)
            inputs = load_inputs(loaded)
            scenario_network(loaded, inputs)
    except KeyboardInterrupt:
        _fail("已中断 · interrupted", ExitCode.INTERRUPTED)
    typer.echo(
        f"{scenario}: 有效 valid — {len(inputs.demand)} demand points, "
        f"{len(inputs.outlets)} outlets, {len(inputs.sites)} candidate sites, "
        f"{len(inputs.catalog.types)} facility types, {len(loaded.phases)} phases"
    )


def _interrupted(target: Path, before: tuple[int, int] | None) -> str:
    """What an interrupted run left in ``target`` (``before``: its marker's stamp at the start)."""
    if marker_stamp(target) != before:
        return (f"已中断;新的结果已完整写入 {target} · interrupted after the new output was "
                f"completely written to {target}")
    if before is not None:
        return (f"已中断;未写出新结果,{target} 中上次的输出保持原样 · interrupted: nothing new "
                f"was written; the previous output in {target} is as it was")
    return "已中断;未写出任何文件 · interrupted: nothing was written"


@app.command(epilog=EXIT_CODES_HELP)
def run(
    scenario: Annotated[
        Path | None,
        typer.Argument(help="Scenario file (YAML); default: the embedded kaifeng-demo."),
    ] = None,
    outdir: Annotated[
        Path | None,
        typer.Option(
            "-o", "--out",
            help="Output folder (default: out/<scenario name>): a new or empty folder, or one "
            "siting wrote before (only its files are replaced; other files are kept).",
        ),
    ] = None,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="No progress output (warnings still shown).")
    ] = False,
    budget_scale: Annotated[
        float,
        typer.Option("--budget-scale", min=0.0,
                     help="Multiply every phase budget and the total cap (预算倍数), e.g. to "
                          "check a target's least budget from result.json."),
    ] = 1.0,
) -> None:
    """Plan a scenario: ranked project list, coverage tables, layers and result.json.

    Exit code 3 when the plan is infeasible (a hard target beyond the budget or out of reach);
    result.json and the report still say which limit binds and what would relax it.
    """
    path = scenario if scenario is not None else DEFAULT_SCENARIO
    console = Console(stderr=True)
    target = outdir
    before = None
    try:
        with _input_errors_exit():
            loaded = load_scenario(path)
            if budget_scale != 1.0:
                loaded = loaded.with_budget_scale(budget_scale)
            target = outdir if outdir is not None else Path("out") / loaded.name
            before = marker_stamp(target)
            protect = loaded.input_files()
            check_output_folder(target, protect=protect)
            with _progress(Console(stderr=True, quiet=quiet)) as say:
                context = plan_with_context(loaded, progress=say)
                say("writing outputs")
                result = assemble_plan(context)
                files = write_outputs(result, context, target, protect=protect)
    except KeyboardInterrupt:
        _fail(_interrupted(target, before) if target is not None else "已中断 · interrupted",
              ExitCode.INTERRUPTED)
    _print_summary(console, result, target, files)
    if result.solver.status == "infeasible":
        _fail("无可行方案,原因见上 · no plan meets the targets; the reasons are listed above",
              ExitCode.INFEASIBLE)


@app.command(epilog=COMPARE_EXIT_CODES_HELP)
def compare(
    spec: Annotated[Path, typer.Argument(help="Comparison spec (YAML): scenarios and sweeps.")],
    out: Annotated[
        Path, typer.Option("-o", "--out", help="Output folder for the table and charts.")
    ] = Path("out/compare"),
    scheduler: Annotated[
        str | None,
        typer.Option("--scheduler", help="Address of an existing Dask scheduler, tcp://HOST:PORT."),
    ] = None,
    workers: Annotated[
        int | None, typer.Option("--workers", help="Local worker processes (default: cores).")
    ] = None,
) -> None:
    """Compare districts and sweep budgets, speeds and thresholds, on Dask (local by default)."""
    code = compare_command(spec, out=out, scheduler=scheduler, workers=workers)
    if code:
        raise typer.Exit(code=code)


@app.command(epilog=EXIT_CODES_HELP)
def diff(
    plan_a: Annotated[Path, typer.Argument(help="规划 A: an output folder or its result.json.")],
    plan_b: Annotated[Path, typer.Argument(help="规划 B: an output folder or its result.json.")],
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the difference as JSON (for other systems).")
    ] = False,
) -> None:
    """对比两个规划 / Compare two plans: projects added, removed, moved or re-phased, coverage,
    tiers and spend."""
    try:
        difference = diff_plans(read_plan(plan_a), read_plan(plan_b))
    except InputFileError as exc:
        _fail(f"输入有误 input error: {exc}", ExitCode.INPUT_ERROR)
    if as_json:
        typer.echo(difference.model_dump_json(indent=2))
    else:
        print_diff(Console(), difference)


def _print_summary(console: Console, plan: Plan, target: Path, files: list[Path]) -> None:
    """Print what planners look at first: the solve, coverage per type, the top projects."""
    solver = plan.solver
    console.print(
        f"[bold]{plan.title_zh}[/bold] — {len(plan.projects)} projects, "
        f"¥{sum(p.cost_yuan for p in plan.projects):,.0f}"
    )
    status = solver_status(solver.status, solver.gap, solver.seconds, solver.lifts())
    console.print(f"{status.zh}\n{status.en}", highlight=False)
    table = Table(title="覆盖率 Coverage (before → after)")
    for header in ("设施类型 Type", "before", "after", "new"):
        table.add_column(header)
    for s in plan.type_summary:
        table.add_row(
            f"{s.name_zh} {s.name_en}", f"{s.share_before:.1%}", f"{s.share_after:.1%}",
            str(s.projects),
        )
    console.print(table)
    top = Table(title="项目清单 Projects (top 10)")
    for header in ("排名", "分期", "点位", "社区", "设施类型", "投资(元)", "新增覆盖"):
        top.add_column(header)
    for p in plan.projects[:10]:
        top.add_row(
            str(p.rank), p.phase, p.site_id, p.community, "、".join(p.type_names_zh),
            f"{p.cost_yuan:,.0f}", f"{p.newly_covered_total:,}",
        )
    console.print(top)
    for t in plan.targets:
        mark = "[green]✓[/green]" if t.met else "[red]✗[/red]"
        console.print(f"{mark} {t.text_zh}")
        console.print(f"   {t.text_en}")
    for warning in plan.warnings:
        console.print(f"[yellow]注意 note:[/yellow] {warning}", markup=True, highlight=False)
    console.print(f"outputs in {target}: " + ", ".join(f.name for f in files))


def main() -> None:
    """Console entry point (``siting``).

    After Ctrl-C the process ends at once with code 130, without waiting for a solve that
    HiGHS has been asked to stop but has not yet noticed (`siting.models._milp`): every file
    is closed and the output folder already restored by then.
    """
    try:
        app()
    except SystemExit as exc:
        if exc.code == ExitCode.INTERRUPTED:
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(ExitCode.INTERRUPTED)
        raise


if __name__ == "__main__":
    main()
