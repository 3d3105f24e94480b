"""The ``siting`` command line."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from ._errors import InputFileError
from .assemble import assemble_plan
from .compare import compare_command
from .findings import ScenarioError
from .inputs import load_inputs
from .models import ModelInputError
from .outputs import write_outputs
from .plan_model import Plan
from .planning import plan_with_context
from .scenario import Scenario, load_scenario

app = typer.Typer(
    help="Facility siting for 15-minute convenient living circles (城市一刻钟便民生活圈).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def _root() -> None:
    """Facility siting for 15-minute convenient living circles."""


#: The embedded default scenario: the synthetic Kaifeng old city shipped in scenarios/.
DEFAULT_SCENARIO = (
    Path(__file__).resolve().parents[1] / "scenarios" / "kaifeng-demo" / "scenario.yaml"
)


def _load_or_exit(scenario: Path) -> Scenario:
    try:
        return load_scenario(scenario)
    except ScenarioError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(code=2) from exc


@app.command()
def validate(
    scenario: Annotated[Path, typer.Argument(help="Scenario file (YAML).")],
) -> None:
    """Check a scenario file and every file it names; list every problem at once."""
    loaded = _load_or_exit(scenario)
    try:
        inputs = load_inputs(loaded)
    except ScenarioError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(code=2) from exc
    typer.echo(
        f"{scenario}: valid — {len(inputs.demand)} demand points, {len(inputs.outlets)} outlets, "
        f"{len(inputs.sites)} candidate sites, {len(inputs.catalog.types)} facility types, "
        f"{len(loaded.phases)} phases"
    )


@app.command()
def run(
    scenario: Annotated[
        Path | None,
        typer.Argument(help="Scenario file (YAML); default: the embedded kaifeng-demo."),
    ] = None,
    outdir: Annotated[
        Path | None,
        typer.Option("-o", "--out", help="Output folder (default: out/<scenario name>)."),
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress output.")] = False,
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
    loaded = _load_or_exit(path)
    if budget_scale != 1.0:
        loaded = loaded.with_budget_scale(budget_scale)
    target = outdir if outdir is not None else Path("out") / loaded.name
    console = Console(stderr=True, quiet=quiet)
    try:
        with console.status("planning") as status:
            context = plan_with_context(loaded, progress=lambda msg: status.update(msg))
            status.update("writing outputs")
            result = assemble_plan(context)
            files = write_outputs(result, context, target)
    except ScenarioError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(code=2) from exc
    except (InputFileError, ModelInputError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(code=2) from exc
    _print_summary(console, result, target, files)
    if result.solver.status == "infeasible":
        raise typer.Exit(code=3)


@app.command()
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


def _print_summary(console: Console, plan: Plan, target: Path, files: list[Path]) -> None:
    """Print what planners look at first: the solve, coverage per type, the top projects."""
    solver = plan.solver
    console.print(
        f"[bold]{plan.title_zh}[/bold] — {len(plan.projects)} projects, "
        f"¥{sum(p.cost_yuan for p in plan.projects):,.0f}; solver {solver.status}, "
        f"gap {solver.gap:.3%}, {solver.seconds:.1f} s"
    )
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
        console.print(f"[yellow]note:[/yellow] {warning}")
    console.print(f"outputs in {target}: " + ", ".join(f.name for f in files))


def main() -> None:
    """Console entry point (``siting``)."""
    app()


if __name__ == "__main__":
    main()
