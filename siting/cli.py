"""The ``siting`` command line."""

from __future__ import annotations

import json
import math
import resource
import sys
import time
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from ._errors import InputFileError
from .compare import compare_command
from .inputs import load_inputs
from .models._errors import ModelInputError, SolverError
from .models.median import Method
from .network import load_streets
from .orlib import read_instance, solve_instance
from .outputs import write_outputs
from .planning import plan_with_context
from .problems import ScenarioError
from .results import Plan, assemble_plan
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


def peak_mb() -> float:
    """Peak resident memory of this process so far, in MB (10^6 bytes)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    # ru_maxrss is in kilobytes on Linux and in bytes on macOS.
    return peak / 1e6 if sys.platform == "darwin" else peak * 1024 / 1e6


def _finite(value: float) -> float | None:
    """JSON has no infinity: an infinite objective or gap (no solution) becomes null."""
    return float(value) if math.isfinite(value) else None


def _orlib_record(
    path: Path, p: int | None, time_limit: float | None, method: Method
) -> dict[str, Any]:
    start = time.perf_counter()
    instance = read_instance(path, p=p)
    read_seconds = time.perf_counter() - start
    solution = solve_instance(instance, method=method, time_limit=time_limit)
    return {
        "instance": instance.name,
        "file": str(path),
        "format": instance.format,
        "problem": solution.problem,
        "n": instance.n,
        "sites": instance.sites,
        "p": getattr(instance, "p", None),
        "objective": _finite(solution.objective),
        "lower_bound": _finite(solution.lower_bound),
        "gap": _finite(solution.gap),
        "status": solution.status.value,
        "reason": solution.reason,
        "method": solution.method,
        "backend": solution.backend,
        "seconds": solution.seconds,
        "read_seconds": read_seconds,
        "peak_mb": peak_mb(),
    }


@app.command()
def orlib(
    files: Annotated[
        list[Path],
        typer.Argument(help="OR-Library pmed/scp files or TSPLIB EUC_2D .tsp files."),
    ],
    p: Annotated[
        int | None,
        typer.Option("--p", help="Medians: required for .tsp files, overrides p of pmed files."),
    ] = None,
    time_limit: Annotated[
        float | None, typer.Option("--time-limit", help="Seconds per solve (default: none).")
    ] = None,
    method: Annotated[Method, typer.Option("--method", help="p-median algorithm.")] = "exact",
) -> None:
    """Solve standard benchmark instances; print one JSON object per file on standard output.

    Each line holds instance, problem, n, sites, p, objective, lower_bound, gap, status,
    seconds (the solve), read_seconds and peak_mb (peak resident memory of the process so far).
    A file that cannot be read or solved gets one line on standard error and the exit code is 1;
    the other files still run.
    """
    failed = 0
    for path in files:
        try:
            record = _orlib_record(path, p, time_limit, method)
        except InputFileError as exc:
            typer.echo(f"error: {exc}", err=True)
        except (ModelInputError, SolverError) as exc:
            typer.echo(f"error: {path}: {exc}", err=True)
        except Exception as exc:
            # One failing file must not stop a batch; say plainly that this one is our bug.
            name = type(exc).__name__
            typer.echo(f"error: {path}: internal error ({name}: {exc}); please report it", err=True)
        else:
            typer.echo(json.dumps(record))
            continue
        failed += 1
    if failed:
        raise typer.Exit(code=1)


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
    for warning in plan.warnings:
        console.print(f"[yellow]note:[/yellow] {warning}")
    console.print(f"outputs in {target}: " + ", ".join(f.name for f in files))


def main() -> None:
    """Console entry point (``siting``)."""
    app()


if __name__ == "__main__":
    main()
