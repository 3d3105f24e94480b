"""The ``siting`` command line.

Without ``from __future__ import annotations``: the commands are built inside `build_app`, and
Typer reads their ``Annotated`` help texts (in the language of the help page) at run time.
"""

import math
import os
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from enum import IntEnum
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from typer.core import TyperCommand, TyperGroup

from ._errors import InputFileError, OutputFolderError
from .assemble import assemble_plan
from .compare import compare_command, compare_exit_codes_help
from .diff_command import print_diff
from .findings import ScenarioError
from .inputs import load_inputs
from .messages import (
    LANGUAGES,
    Language,
    Text,
    floor_percent,
    locale_language,
    only,
    say,
    show,
    solver_status,
    text,
)
from .models import ModelInputError
from .network import NetworkError
from .output_folder import check_output_folder, marker_stamp
from .outputs import write_outputs
from .plan_diff import diff_plans, read_plan
from .plan_model import Plan
from .planning import plan_with_context
from .scenario import Scenario, load_scenario
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


#: The embedded default scenario: the synthetic Kaifeng old city of scenarios/kaifeng-demo,
#: shipped inside the package (siting/data/kaifeng-demo links to it) so that an installed wheel
#: runs it too.
DEFAULT_SCENARIO = Path(str(resources.files("siting") / "data" / "kaifeng-demo" / "scenario.yaml"))


def resolve_language(option: Language | None, scenario: Scenario | None = None) -> Language:
    """The language of the command's output: ``--lang``, else the scenario's ``language``,
    else the locale's (`siting.messages.locale_language`: Chinese unless it is English)."""
    if option is not None:
        return option
    if scenario is not None and scenario.language is not None:
        return scenario.language
    return locale_language()


def _fail(message: str, code: ExitCode) -> NoReturn:
    typer.echo(message, err=True)
    raise typer.Exit(code=code)


@contextmanager
def _input_errors_exit(language: Language) -> Iterator[None]:
    """Turn a bad input into its message and exit code 1 (2 for an output folder refused)."""
    try:
        yield
    except ScenarioError as exc:
        _fail(exc.show(language), ExitCode.INPUT_ERROR)
    except (InputFileError, NetworkError, ModelInputError) as exc:
        _fail(say(language, "cli.input_error", error=str(exc)), ExitCode.INPUT_ERROR)
    except OutputFolderError as exc:
        _fail(str(exc), ExitCode.USAGE)


@contextmanager
def _progress(console: Console, language: Language) -> Iterator[Callable[[Text], None]]:
    """A spinner on a terminal, one line per step otherwise (logs, pipes); nothing if quiet."""
    def pick(message: Text) -> str:
        return message.en if language == "en" else message.zh

    if console.is_terminal:
        with console.status(only(language, "cli.planning")) as status:
            yield lambda message: status.update(pick(message))
        return
    start = time.perf_counter()
    yield lambda message: console.print(f"[{time.perf_counter() - start:5.1f} s] "
                                        f"{pick(message)}", highlight=False)


def _interrupted(language: Language, target: Path | None,
                 before: tuple[int, int] | None) -> str:
    """What an interrupted run left in ``target`` (``before``: its marker's stamp at the start)."""
    if target is None:
        return say(language, "cli.interrupted")
    if marker_stamp(target) != before:
        return say(language, "cli.interrupted_written", target=target)
    if before is not None:
        return say(language, "cli.interrupted_kept", target=target)
    return say(language, "cli.interrupted_nothing")


def _print_summary(console: Console, plan: Plan, target: Path, files: list[Path],
                   language: Language) -> None:
    """Print what planners look at first: the solve, coverage per type, the top projects."""
    solver = plan.solver
    status = solver_status(solver.status, solver.gap if solver.gap is not None else math.inf,
                           solver.seconds, solver.lifts())
    title = plan.title_en if language == "en" else plan.title_zh
    console.print(say(language, "cli.headline", title=title, projects=len(plan.projects),
                      cost=f"{sum(p.cost_yuan for p in plan.projects):,.0f}", solver=status),
                  style="bold", highlight=False)
    table = Table(title=say(language, "cli.coverage_title"))
    for key in ("col.type", "col.share_before", "col.share_after", "col.projects"):
        table.add_column(say(language, key))
    for s in plan.type_summary:
        table.add_row(show(Text(s.name_zh, s.name_en), language, sep=" "),
                      floor_percent(s.share_before, 1), floor_percent(s.share_after, 1),
                      str(s.projects))
    console.print(table)
    top = Table(title=say(language, "cli.projects_title"))
    for key in ("col.rank", "col.phase", "col.site", "col.community", "col.types",
                "col.cost_yuan", "col.newly"):
        top.add_column(only(language, key))
    for p in plan.projects[:10]:
        names = ", ".join(p.type_names_en) if language == "en" else "、".join(p.type_names_zh)
        top.add_row(str(p.rank), p.phase, p.site_id, p.community, names,
                    f"{p.cost_yuan:,.0f}", f"{p.newly_covered_total:,}")
    console.print(top)
    for t in plan.targets:
        mark = "[green]✓[/green]" if t.met else "[red]✗[/red]"
        if language == "en":
            console.print(f"{mark} {t.text_en}", highlight=False)
        else:
            console.print(f"{mark} {t.text_zh}", highlight=False)
            console.print(f"   {t.text_en}", highlight=False, markup=False)
    for n in plan.notices:
        console.print(f"[yellow]{escape(say(language, 'cli.note'))}:[/yellow] "
                      f"{escape(show(Text(n.zh, n.en), language, sep=' · '))}", highlight=False)
    console.print(say(language, "cli.outputs", target=target,
                      files=", ".join(f.name for f in files)), highlight=False, markup=False)


#: Click's section titles and their catalogue messages.
_SECTIONS = {"Options": "cli.options", "Arguments": "cli.arguments", "Commands": "cli.commands"}


#: Typer's own Click classes (it ships a copy of Click): the help layout and the context.
_Context = TyperCommand.context_class
_Formatter = _Context.formatter_class


class _ChineseHelp(_Formatter):  # type: ignore[misc,valid-type]
    """Click's help layout with its own words (usage, section titles) in Chinese."""

    def write_usage(self, prog: str, args: str = "", prefix: str | None = None) -> None:
        super().write_usage(prog, args, f"{only('zh', 'cli.usage')} " if prefix is None
                            else prefix)

    def section(self, name: str) -> AbstractContextManager[None]:
        key = _SECTIONS.get(name)
        return super().section(only("zh", key) if key else name)  # type: ignore[no-any-return]


class _ChineseContext(_Context):  # type: ignore[misc,valid-type]
    formatter_class = _ChineseHelp


def _chinese_help_option(option: Any) -> Any:
    """The ``--help`` option with its Chinese help text (None stays None)."""
    if option is not None:
        option.help = only("zh", "cli.help_option")
    return option


class _ChineseCommand(TyperCommand):
    context_class = _ChineseContext

    def get_help_option(self, ctx: Any) -> Any:
        return _chinese_help_option(super().get_help_option(ctx))


class _ChineseGroup(TyperGroup):
    context_class = _ChineseContext

    def get_help_option(self, ctx: Any) -> Any:
        return _chinese_help_option(super().get_help_option(ctx))


def build_app(language: Language) -> typer.Typer:
    """The ``siting`` command line with its help pages in ``language`` (Chinese-only help in
    ``zh``, English-only in ``en``; the output of a command follows its own ``--lang``)."""

    def h(key: str) -> str:
        return only(language, key)

    exit_codes = h("cli.exit_codes")
    lang_option = typer.Option("--lang", help=h("cli.lang"), case_sensitive=False)
    chinese = language == "zh"
    command = _ChineseCommand if chinese else TyperCommand
    app = typer.Typer(help=f"{h('cli.app')}\n\n{exit_codes}", no_args_is_help=True,
                      add_completion=False, pretty_exceptions_enable=False,
                      rich_markup_mode=None, cls=_ChineseGroup if chinese else TyperGroup)

    @app.callback()
    def _root() -> None:
        pass

    @app.command(help=h("cli.validate"), cls=command, epilog=exit_codes)
    def validate(
        scenario: Annotated[Path, typer.Argument(help=h("cli.scenario"))],
        lang: Annotated[Language | None, lang_option] = None,
    ) -> None:
        chosen = resolve_language(lang)
        try:
            with _input_errors_exit(chosen):
                loaded = load_scenario(scenario)
                chosen = resolve_language(lang, loaded)
                inputs = load_inputs(loaded)
                scenario_network(loaded, inputs)
        except KeyboardInterrupt:
            _fail(say(chosen, "cli.interrupted"), ExitCode.INTERRUPTED)
        typer.echo(say(chosen, "cli.valid", scenario=scenario, demand=len(inputs.demand),
                       outlets=len(inputs.outlets), sites=len(inputs.sites),
                       types=len(inputs.catalog.types), phases=len(loaded.phases)))

    @app.command(help=h("cli.run"), cls=command, epilog=exit_codes)
    def run(
        scenario: Annotated[Path | None, typer.Argument(help=h("cli.scenario_default"))] = None,
        outdir: Annotated[Path | None, typer.Option("-o", "--out", help=h("cli.out"))] = None,
        quiet: Annotated[bool, typer.Option("--quiet", "-q", help=h("cli.quiet"))] = False,
        budget_scale: Annotated[float, typer.Option("--budget-scale", min=0.0,
                                           help=h("cli.budget_scale"))] = 1.0,
        lang: Annotated[Language | None, lang_option] = None,
    ) -> None:
        path = scenario if scenario is not None else DEFAULT_SCENARIO
        chosen = resolve_language(lang)
        target = outdir
        before = None
        try:
            with _input_errors_exit(chosen):
                loaded = load_scenario(path)
                chosen = resolve_language(lang, loaded)
                if budget_scale != 1.0:
                    loaded = loaded.with_budget_scale(budget_scale)
                target = outdir if outdir is not None else Path("out") / loaded.name
                before = marker_stamp(target)
                protect = loaded.input_files()
                check_output_folder(target, protect=protect)
                with _progress(Console(stderr=True, quiet=quiet), chosen) as progress:
                    context = plan_with_context(loaded, progress=progress)
                    progress(text("cli.writing"))
                    result = assemble_plan(context)
                    files = write_outputs(result, context, target, protect=protect)
        except KeyboardInterrupt:
            _fail(_interrupted(chosen, target, before), ExitCode.INTERRUPTED)
        _print_summary(Console(stderr=True), result, target, files, chosen)
        if result.solver.status == "infeasible":
            _fail(say(chosen, "cli.infeasible"), ExitCode.INFEASIBLE)

    @app.command(help=h("cli.compare"), cls=command, epilog=compare_exit_codes_help(language))
    def compare(
        spec: Annotated[Path, typer.Argument(help=h("cli.spec"))],
        out: Annotated[Path, typer.Option("-o", "--out", help=h("cli.compare_out"))] =
            Path("out/compare"),
        scheduler: Annotated[str | None, typer.Option("--scheduler",
                                                      help=h("cli.scheduler"))] = None,
        workers: Annotated[int | None, typer.Option("--workers", help=h("cli.workers"))] = None,
        lang: Annotated[Language | None, lang_option] = None,
    ) -> None:
        code = compare_command(spec, out=out, scheduler=scheduler, workers=workers,
                               language=resolve_language(lang))
        if code:
            raise typer.Exit(code=code)

    @app.command(help=h("cli.diff"), cls=command, epilog=exit_codes)
    def diff(
        plan_a: Annotated[Path, typer.Argument(help=h("cli.plan_a"))],
        plan_b: Annotated[Path, typer.Argument(help=h("cli.plan_b"))],
        as_json: Annotated[bool, typer.Option("--json", help=h("cli.json"))] = False,
        lang: Annotated[Language | None, lang_option] = None,
    ) -> None:
        chosen = resolve_language(lang)
        try:
            difference = diff_plans(read_plan(plan_a), read_plan(plan_b))
        except InputFileError as exc:
            _fail(say(chosen, "cli.input_error", error=str(exc)), ExitCode.INPUT_ERROR)
        if as_json:
            typer.echo(difference.model_dump_json(indent=2))
        else:
            print_diff(Console(), difference, chosen)

    return app


def argv_language(argv: list[str]) -> Language | None:
    """The ``--lang`` given on a command line (``--lang en`` or ``--lang=en``), if any."""
    for i, arg in enumerate(argv):
        value = arg.removeprefix("--lang=") if arg.startswith("--lang=") else \
            argv[i + 1] if arg == "--lang" and i + 1 < len(argv) else None
        if value is not None and value.lower() in LANGUAGES:
            return "en" if value.lower() == "en" else "zh"
    return None


#: The command line, its help in the locale's language (`main` follows ``--lang``).
app = build_app(locale_language())


def main() -> None:
    """Console entry point (``siting``).

    The help pages follow ``--lang`` when it is given, the locale otherwise. After Ctrl-C the
    process ends at once with code 130, without waiting for a solve that HiGHS has been asked
    to stop but has not yet noticed (`siting.models._milp`): every file is closed and the
    output folder already restored by then.
    """
    chosen = argv_language(sys.argv[1:])
    try:
        (app if chosen is None else build_app(chosen))()
    except SystemExit as exc:
        if exc.code == ExitCode.INTERRUPTED:
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(ExitCode.INTERRUPTED)
        raise


if __name__ == "__main__":
    main()
