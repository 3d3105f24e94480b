"""Exception types that ``siting`` raises to its users (files, output folders, configuration)."""

from __future__ import annotations

from pathlib import Path


class InputFileError(ValueError):
    """An input file cannot be read as what it claims to be.

    The message always names the file and, when known, the line (1-based) or the field, what was
    found there and what was expected, so that the user can fix the file without reading code.

    Parameters
    ----------
    path
        The file.
    problem
        What is wrong, e.g. ``"vertex 0 is outside 1..100"``.
    line
        1-based line number where the problem was found, if it has one.
    field
        Name of the offending field (a header keyword, a column), if it has one.
    fix
        What the file should hold instead.
    """

    def __init__(
        self,
        path: str | Path,
        problem: str,
        *,
        line: int | None = None,
        field: str | None = None,
        fix: str = "",
    ) -> None:
        self.path = Path(path)
        self.problem = problem
        self.line = line
        self.field = field
        self.fix = fix
        where = str(self.path) if line is None else f"{self.path}, line {line}"
        if field is not None:
            where = f"{where}, field {field}"
        msg = f"{where}: {problem}" + (f"; {fix}" if fix else "")
        super().__init__(msg)


class OutputFolderError(ValueError):
    """siting will not, or cannot, write its output into a folder.

    Raised before anything is written when the folder is a file, the current folder, holds the
    scenario's inputs or content siting did not write, or cannot be written to; the message
    names the folder, the reason and what to do instead (Chinese first, then English).

    Parameters
    ----------
    path
        The output folder.
    problem
        Why siting refuses or failed.
    fix
        What to do instead.
    """

    def __init__(self, path: str | Path, problem: str, fix: str) -> None:
        self.path = Path(path)
        self.problem = problem
        self.fix = fix
        super().__init__(f"输出文件夹 output folder {self.path}: {problem}\n  {fix}")
