"""The ``siting`` command line."""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from ._errors import InputFileError
from .assemble import assemble_plan
from .compare import EXIT_CODES_HELP, compare_command
from .diff_command import print_diff
from .findings import ScenarioError
from .inputs import load_inputs
from .models import ModelInputError
from .network import load_streets
from .outputs import write_outputs
from .plan_diff import diff_plans, read_plan
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


#: The embedded default scenario: the synthetic Kaifeng old city of scenarios/kaifeng-demo,
#: shipped inside the package (siting/data/kaifeng-demo links to it) so that an installed wheel
#: runs it too.
DEFAULT_SCENARIO = Path(str(resources.files("siting") / "data" / "kaifeng-demo" / "scenario.yaml"))


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
        # Opening the street file parses it whatever its format (.osm/.pbf/.graphml too).
        streets = load_streets(
            loaded.streets.path, layer=loaded.streets.layer,
            walkable_field=loaded.streets.walkable_field,
        )
    except ScenarioError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(code=2) from exc
    except InputFileError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(code=2) from exc
    typer.echo(
        f"{scenario}: valid — {len(streets)} street lines, "
        f"{len(inputs.demand)} demand points, {len(inputs.outlets)} outlets, "
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
) -> None:
    """Plan a scenario: ranked project list, coverage tables, layers and result.json."""
    path = scenario if scenario is not None else DEFAULT_SCENARIO
    loaded = _load_or_exit(path)
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


@app.command(epilog=EXIT_CODES_HELP)
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


@app.command()
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
        typer.echo(f"错误 error: {exc}", err=True)
        raise typer.Exit(code=1) from exc
    if as_json:
        typer.echo(difference.model_dump_json(indent=2))
    else:
        print_diff(Console(), difference)


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
    for warning in plan.warnings:
        console.print(f"[yellow]note:[/yellow] {warning}")
    console.print(f"outputs in {target}: " + ", ".join(f.name for f in files))


def main() -> None:
    """Console entry point (``siting``)."""
    app()


if __name__ == "__main__":
    main()
