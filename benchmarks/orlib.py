"""Readers for the standard test instances of facility location, and their exact solve.

Three formats are understood, recognised from the file's content rather than its name:

``pmed``
    OR-Library uncapacitated p-median (Beasley 1985): a graph whose all-pairs shortest-path
    distances form the cost matrix; every vertex is a client with unit demand and a candidate.
``scp``
    OR-Library set covering (Beasley 1987, 1990): rows to cover, columns with costs; solved as a
    weighted location set covering problem (rows are demand, columns are candidate sites).
``tsp``
    TSPLIB (Reinelt 1991) with ``EDGE_WEIGHT_TYPE : EUC_2D``: points in the plane read as a
    p-median instance, every point a client and a candidate, distances rounded down to integers
    as in the p-median literature on these files; ``p`` comes from the caller.

References
----------
.. [1] J.E. Beasley, "A note on solving large p-median problems", European Journal of
   Operational Research 21 (1985) 270-273.
.. [2] J.E. Beasley, "An algorithm for set covering problem", European Journal of Operational
   Research 31 (1987) 85-93.
.. [3] J.E. Beasley, "OR-Library: distributing test problems by electronic mail", Journal of the
   Operational Research Society 41 (1990) 1069-1072.
.. [4] G. Reinelt, "TSPLIB - A traveling salesman problem library", ORSA Journal on Computing 3
   (1991) 376-384.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar, Literal

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import shortest_path
from scipy.spatial.distance import cdist

from siting._errors import InputFileError
from siting.models import Solution
from siting.models.arrays import FloatArray, IntArray
from siting.models.coverage import set_cover
from siting.models.pmedian import Method, pmedian

Format = Literal["pmed", "scp", "tsp"]

_PMED_FIX = "an OR-Library p-median file holds 'n m p', then m lines 'i j cost' (1-based vertices)"
_SCP_FIX = (
    "an OR-Library set covering file holds 'rows columns', the column costs, then for each row "
    "the number of columns covering it followed by their 1-based indices"
)
_TSP_FIX = (
    "a TSPLIB EUC_2D file holds 'KEYWORD : value' lines, NODE_COORD_SECTION, then 'id x y' lines"
)


@dataclass(frozen=True, slots=True)
class PMedianInstance:
    """A p-median instance: ``cost[i, j]`` is the distance from client ``i`` to candidate ``j``.

    Attributes
    ----------
    name
        Instance name (the TSPLIB ``NAME`` or the file name without extension).
    format
        The file format it was read from, ``"pmed"`` or ``"tsp"``.
    cost
        Dense ``n × n`` distances in the file's units (integers for both formats).
    p
        Number of medians to open.
    """

    problem: ClassVar[str] = "pmedian"
    name: str
    format: Format
    cost: FloatArray
    p: int

    @property
    def n(self) -> int:
        """Number of clients (rows of ``cost``)."""
        return int(self.cost.shape[0])

    @property
    def sites(self) -> int:
        """Number of candidate sites (columns of ``cost``)."""
        return int(self.cost.shape[1])


@dataclass(frozen=True, slots=True)
class SetCoverInstance:
    """A weighted set covering instance.

    Attributes
    ----------
    name
        The file name without extension.
    format
        Always ``"scp"``.
    cover
        Boolean CSR ``rows × columns``: a stored entry means the column covers the row.
    site_costs
        Cost of each column, in the file's units.
    """

    problem: ClassVar[str] = "set_cover"
    name: str
    format: Format
    cover: sp.csr_array
    site_costs: FloatArray

    @property
    def n(self) -> int:
        """Number of rows (demand to cover)."""
        return int(self.cover.shape[0])

    @property
    def sites(self) -> int:
        """Number of columns (candidate sites)."""
        return int(self.cover.shape[1])


Instance = PMedianInstance | SetCoverInstance


class _Tokens:
    """Whitespace-separated numbers of some lines, with the way back to each number's line.

    Numbers are converted by numpy in one call; the line of a token is only worked out when an
    error needs it, so the common path has no Python loop over lines or tokens.
    """

    def __init__(self, path: Path, lines: Sequence[str], *, first_line: int = 1) -> None:
        self.path = path
        self._lines = lines
        self._first_line = first_line
        self.words = " ".join(lines).split()
        self._line_ends: IntArray | None = None

    def __len__(self) -> int:
        return len(self.words)

    def line_of(self, k: int) -> int:
        """1-based file line of token ``k`` (of the last token when ``k`` is past the end)."""
        if self._line_ends is None:
            counts = np.fromiter((len(line.split()) for line in self._lines), dtype=np.int64)
            self._line_ends = np.cumsum(counts)
        total = int(self._line_ends[-1]) if self._line_ends.size else 0
        if total == 0:
            return self._first_line
        k = min(k, total - 1)
        return self._first_line + int(np.searchsorted(self._line_ends, k, side="right"))

    def error(self, k: int, problem: str, fix: str) -> InputFileError:
        return InputFileError(self.path, problem, line=self.line_of(k), fix=fix)

    def numbers(self, start: int, stop: int, *, what: str, fix: str) -> FloatArray:
        """Tokens ``start:stop`` as finite float64 numbers."""
        words = self.words[start:stop]
        try:
            values = np.array(words, dtype=np.float64)
        except ValueError:
            bad = next(k for k, w in enumerate(words) if not _is_number(w))
            msg = f"expected a number in the {what}, found {words[bad]!r}"
            raise self.error(start + bad, msg, fix) from None
        infinite = np.flatnonzero(~np.isfinite(values))
        if infinite.size:
            k = int(infinite[0])
            msg = f"expected a finite number in the {what}, found {words[k]!r}"
            raise self.error(start + k, msg, fix)
        return values

    def integers(self, start: int, stop: int, *, what: str, fix: str) -> IntArray:
        """Tokens ``start:stop`` as int64, rejecting fractions."""
        values = self.numbers(start, stop, what=what, fix=fix)
        fractional = np.flatnonzero(values != np.floor(values))
        if fractional.size:
            k = int(fractional[0])
            msg = f"expected a whole number in the {what}, found {self.words[start + k]!r}"
            raise self.error(start + k, msg, fix)
        return values.astype(np.int64)

    def expect_count(self, count: int, *, what: str, fix: str) -> None:
        """Raise unless there are exactly ``count`` tokens, naming where data ends or overflows."""
        if len(self) < count:
            msg = f"the file ends early: {what} need {count} numbers, found {len(self)}"
            raise self.error(len(self), msg, fix)
        if len(self) > count:
            msg = f"unexpected data {self.words[count]!r} after the {what}"
            raise self.error(count, msg, fix)


def _is_number(word: str) -> bool:
    try:
        float(word)
    except ValueError:
        return False
    return True


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputFileError(path, "no such file", fix="check the path") from None
    except UnicodeDecodeError:
        msg = "not a text file"
        raise InputFileError(path, msg, fix="give an OR-Library or TSPLIB text file") from None
    except OSError as exc:
        raise InputFileError(path, f"cannot be read ({exc.strerror})") from None


def detect_format(path: str | Path, text: str) -> Format:
    """Tell the format of ``text`` (the content of ``path``) from its layout.

    A keyword first (``NAME : ...``) means TSPLIB. Two numbers on the first line mean
    OR-Library set covering (``rows columns``). As set covering files may wrap costs onto the
    header line, a numeric file whose row blocks add up exactly to its length is set covering
    too; otherwise three numbers ``n m p`` first mean OR-Library p-median (possibly with a
    mistake, which the p-median reader then points at).

    Raises
    ------
    InputFileError
        When the content fits none of them.
    """
    lines = text.splitlines()
    number = next((k for k, line in enumerate(lines) if line.strip()), None)
    if number is None:
        raise InputFileError(path, "the file is empty", fix=f"{_PMED_FIX}; or {_SCP_FIX}")
    first = lines[number].split()
    if not _is_number(first[0]):
        return "tsp"
    if len(first) == 2:
        return "scp"
    if _fits_scp(text.split()):
        return "scp"
    if len(first) == 3:
        return "pmed"
    msg = f"cannot tell the format: the first line holds {len(first)} numbers"
    fix = "expected 'n m p' (OR-Library p-median), 'rows columns' (set covering) or a TSPLIB header"
    raise InputFileError(path, msg, line=number + 1, fix=fix)


def _fits_scp(words: list[str]) -> bool:
    """Whether whole numbers ``words`` have exactly the layout of a set covering file."""
    try:
        values = np.array(words, dtype=np.float64)
    except ValueError:
        return False
    if values.size < 2 or (values != np.floor(values)).any():
        return False
    rows, cols = int(values[0]), int(values[1])
    if rows < 1 or cols < 1:
        return False
    counts, _, end = _walk_rows(values.astype(np.int64), 2 + cols, rows)
    return counts.size == rows and end == values.size


def read_instance(path: str | Path, *, p: int | None = None) -> Instance:
    """Read any supported instance file, recognising its format from the content.

    Parameters
    ----------
    path
        An OR-Library ``pmed`` or ``scp`` file or a TSPLIB EUC_2D ``.tsp`` file.
    p
        Number of medians: required for TSPLIB files; for OR-Library p-median files it replaces
        the ``p`` of the file; ignored for set covering.

    Raises
    ------
    InputFileError
        When the file is missing, malformed (naming the line and what was expected) or, for
        TSPLIB, ``p`` is missing or out of range.
    """
    path = Path(path)
    text = _read_text(path)
    fmt = detect_format(path, text)
    if fmt == "scp":
        return _parse_scp(path, text)
    if fmt == "pmed":
        instance = _parse_pmed(path, text)
        if p is None:
            return instance
        return PMedianInstance(instance.name, "pmed", instance.cost, _check_p(path, p, instance.n))
    return _parse_tsp(path, text, p)


def read_pmed(path: str | Path) -> PMedianInstance:
    """Read an OR-Library p-median file (``pmed1.txt`` ... ``pmed40.txt``).

    The file holds ``n m p`` and ``m`` undirected edges ``i j cost`` on vertices ``1..n``. Edge
    costs are entered in file order and a pair listed again overwrites the earlier cost (the
    last occurrence wins, Beasley's published convention; keeping the first or the minimum gives
    other optima). Distances are the all-pairs shortest paths of that graph (Dijkstra from every
    vertex, scipy.sparse.csgraph).

    Raises
    ------
    InputFileError
        On a malformed file, an edge outside ``1..n``, a negative cost or a disconnected graph.
    """
    path = Path(path)
    return _parse_pmed(path, _read_text(path))


def read_scp(path: str | Path) -> SetCoverInstance:
    """Read an OR-Library set covering file (``scp41.txt`` ...).

    The file is a stream of whole numbers that may wrap across lines at any point: ``rows
    columns``, then ``columns`` costs, then for each row the number of columns covering it
    followed by their 1-based indices.

    Raises
    ------
    InputFileError
        On a malformed file or a column index outside ``1..columns``.
    """
    path = Path(path)
    return _parse_scp(path, _read_text(path))


def read_tsp(path: str | Path, *, p: int) -> PMedianInstance:
    """Read a TSPLIB ``EUC_2D`` file as a p-median instance with ``p`` medians.

    Every node is a client with unit demand and a candidate site; ``cost[i, j]`` is the
    Euclidean distance rounded down to an integer.

    Raises
    ------
    InputFileError
        On a malformed file, another ``EDGE_WEIGHT_TYPE``, or ``p`` outside ``1..DIMENSION``.
    """
    path = Path(path)
    return _parse_tsp(path, _read_text(path), p)


def _check_p(path: Path, p: int | None, n: int) -> int:
    if p is None:
        msg = "the file gives no number of medians"
        fix = "give p (python -m benchmarks.orlib_solve --p P)"
        raise InputFileError(path, msg, field="p", fix=fix)
    if not 1 <= p <= n:
        msg = f"p={p} is outside 1..{n} (the number of points)"
        raise InputFileError(path, msg, field="p", fix=f"choose p between 1 and {n}")
    return int(p)


def _parse_pmed(path: Path, text: str) -> PMedianInstance:
    tok = _Tokens(path, text.splitlines())
    if len(tok) < 3:
        raise tok.error(len(tok), "the header 'n m p' is incomplete", _PMED_FIX)
    n, m, p = (int(v) for v in tok.integers(0, 3, what="header 'n m p'", fix=_PMED_FIX))
    if n < 1 or m < 0:
        raise tok.error(0, f"header gives n={n} vertices and m={m} edges", "need n >= 1, m >= 0")
    if not 1 <= p <= n:
        raise tok.error(2, f"header gives p={p} medians for n={n}", f"need 1 <= p <= {n}")
    tok.expect_count(3 + 3 * m, what=f"header and {m} edge lines 'i j cost'", fix=_PMED_FIX)
    edges = tok.numbers(3, 3 + 3 * m, what="edge lines 'i j cost'", fix=_PMED_FIX).reshape(m, 3)
    ends, cost = edges[:, :2], edges[:, 2]
    bad_end = (ends < 1) | (ends > n) | (ends != np.floor(ends))
    if bad_end.any():
        row, col = (int(v) for v in np.argwhere(bad_end)[0])
        msg = f"vertex {tok.words[3 + 3 * row + col]} is not a whole number in 1..{n}"
        raise tok.error(3 + 3 * row + col, msg, _PMED_FIX)
    negative = np.flatnonzero(cost < 0)
    if negative.size:
        k = 3 + 3 * int(negative[0]) + 2
        raise tok.error(k, f"edge cost {tok.words[k]} is negative", "costs must be >= 0")
    dist = _graph_distances(ends.astype(np.int64) - 1, cost, n)
    unreachable = np.flatnonzero(np.isinf(dist[0]))
    if unreachable.size:
        msg = f"the graph is not connected: vertex {unreachable[0] + 1} cannot be reached from 1"
        raise InputFileError(path, msg, fix="every vertex must be reachable from every other")
    return PMedianInstance(path.stem, "pmed", dist, p)


def _graph_distances(ends: IntArray, cost: FloatArray, n: int) -> FloatArray:
    """All-pairs shortest paths of an undirected graph whose repeated pairs keep their last cost."""
    lo, hi = ends.min(axis=1), ends.max(axis=1)
    key = lo * n + hi
    # np.unique reports each key's first position; on the reversed order that is the last line.
    _, first_reversed = np.unique(key[::-1], return_index=True)
    last = key.size - 1 - first_reversed
    last = last[lo[last] != hi[last]]  # a self-loop never shortens a path
    graph = sp.csr_array((cost[last], (lo[last], hi[last])), shape=(n, n))
    return np.asarray(shortest_path(graph, method="D", directed=False), dtype=np.float64)


def _parse_scp(path: Path, text: str) -> SetCoverInstance:
    tok = _Tokens(path, text.splitlines())
    if len(tok) < 2:
        raise tok.error(len(tok), "the header 'rows columns' is incomplete", _SCP_FIX)
    values = tok.integers(0, len(tok), what="set covering data", fix=_SCP_FIX)
    rows, cols = int(values[0]), int(values[1])
    if rows < 1 or cols < 1:
        raise tok.error(0, f"header gives {rows} rows and {cols} columns", "need both >= 1")
    if values.size < 2 + cols:
        raise tok.error(values.size, f"the file ends before the {cols} column costs", _SCP_FIX)
    costs = values[2 : 2 + cols].astype(np.float64)
    negative = np.flatnonzero(costs < 0)
    if negative.size:
        k = 2 + int(negative[0])
        raise tok.error(k, f"column cost {tok.words[k]} is negative", "costs must be >= 0")
    counts, starts = _row_blocks(tok, values, 2 + cols, rows)
    data = np.ones(values.size, dtype=bool)
    data[: 2 + cols] = False
    data[starts - 1] = False  # the per-row counts
    positions = np.flatnonzero(data)
    indices = values[positions] - 1
    outside = np.flatnonzero((indices < 0) | (indices >= cols))
    if outside.size:
        k = int(positions[outside[0]])
        msg = f"column index {tok.words[k]} is outside 1..{cols}"
        raise tok.error(k, msg, _SCP_FIX)
    indptr = np.concatenate([[0], np.cumsum(counts)])
    cover = sp.csr_array(
        (np.ones(indices.size, dtype=bool), indices, indptr), shape=(rows, cols)
    )
    cover.sum_duplicates()
    return SetCoverInstance(path.stem, "scp", cover, costs)


def _walk_rows(values: IntArray, start: int, rows: int) -> tuple[IntArray, IntArray, int]:
    """Per row, the number of covering columns and the position of the first one.

    Each row's position depends on every earlier count, so this walks the rows (not the
    tokens). It stops early at the end of ``values`` or at a negative count, returning the rows
    read so far and the position after the last one.
    """
    counts = np.empty(rows, dtype=np.int64)
    starts = np.empty(rows, dtype=np.int64)
    pos, done = start, 0
    while done < rows and pos < values.size and values[pos] >= 0:
        counts[done] = values[pos]
        starts[done] = pos + 1
        pos += 1 + int(values[pos])
        done += 1
    return counts[:done], starts[:done], pos


def _row_blocks(
    tok: _Tokens, values: IntArray, start: int, rows: int
) -> tuple[IntArray, IntArray]:
    """:func:`_walk_rows`, raising with the line where the row blocks go wrong."""
    counts, starts, pos = _walk_rows(values, start, rows)
    if counts.size < rows and pos < values.size:
        msg = f"row {counts.size + 1} has a negative column count {values[pos]}"
        raise tok.error(pos, msg, _SCP_FIX)
    if counts.size < rows:
        raise tok.error(pos, f"the file ends at row {counts.size + 1} of {rows}", _SCP_FIX)
    if pos > values.size:
        msg = f"the file ends inside row {rows}, which announces {counts[-1]} columns"
        raise tok.error(pos, msg, _SCP_FIX)
    if pos < values.size:
        msg = f"unexpected data {tok.words[pos]!r} after the last of the {rows} rows"
        raise tok.error(pos, msg, _SCP_FIX)
    return counts, starts


def _parse_tsp(path: Path, text: str, p: int | None) -> PMedianInstance:
    lines = text.splitlines()
    spec: dict[str, tuple[str, int | None]] = {}
    section: int | None = None
    for k, line in enumerate(lines):
        stripped = line.strip()
        if not stripped:
            continue
        if stripped.upper().startswith("NODE_COORD_SECTION"):
            section = k + 1
            break
        key, colon, value = stripped.partition(":")
        if not colon:
            msg = f"expected 'KEYWORD : value' or NODE_COORD_SECTION, found {stripped[:40]!r}"
            raise InputFileError(path, msg, line=k + 1, fix=_TSP_FIX)
        spec[key.strip().upper()] = (value.strip(), k + 1)
    weight_type, weight_line = spec.get("EDGE_WEIGHT_TYPE", ("", None))
    if weight_type.upper() != "EUC_2D":
        msg = f"EDGE_WEIGHT_TYPE is {weight_type or 'missing'}; only EUC_2D is supported"
        fix = "give a TSPLIB file with 'EDGE_WEIGHT_TYPE : EUC_2D' and node coordinates"
        raise InputFileError(path, msg, line=weight_line, field="EDGE_WEIGHT_TYPE", fix=fix)
    dimension, dim_line = spec.get("DIMENSION", ("", None))
    if not dimension.isdigit() or int(dimension) < 1:
        msg = f"DIMENSION is {dimension or 'missing'}; expected the number of nodes"
        raise InputFileError(path, msg, line=dim_line, field="DIMENSION", fix=_TSP_FIX)
    if section is None:
        raise InputFileError(path, "NODE_COORD_SECTION is missing", fix=_TSP_FIX)
    n = int(dimension)
    body = lines[section:]
    while body and body[-1].strip() in ("", "EOF"):
        body = body[:-1]
    tok = _Tokens(path, body, first_line=section + 1)
    tok.expect_count(3 * n, what=f"{n} coordinate lines 'id x y' (DIMENSION)", fix=_TSP_FIX)
    nodes = tok.numbers(0, 3 * n, what="coordinate lines 'id x y'", fix=_TSP_FIX).reshape(n, 3)
    misplaced = np.flatnonzero(nodes[:, 0] != np.arange(1, n + 1))
    if misplaced.size:
        k = 3 * int(misplaced[0])
        msg = f"node id {tok.words[k]} where {misplaced[0] + 1} was expected"
        raise tok.error(k, msg, "nodes must be numbered 1..DIMENSION in order")
    cost = np.floor(cdist(nodes[:, 1:], nodes[:, 1:]))
    name = spec.get("NAME", ("", None))[0] or path.stem
    return PMedianInstance(name, "tsp", cost, _check_p(path, p, n))


def solve_instance(
    instance: Instance,
    *,
    method: Method = "exact",
    time_limit: float | None = None,
) -> Solution:
    """Solve a standard instance with the project's models.

    p-median instances go to :func:`siting.models.pmedian.pmedian` (unit demand, every point a
    candidate); set covering instances to :func:`siting.models.coverage.set_cover` with the
    column costs as site costs (``method`` does not apply to them: they are always solved
    exactly, within ``time_limit``).

    Parameters
    ----------
    method
        p-median algorithm: ``"exact"`` (proven optimum unless the time limit stops it),
        ``"heuristic"`` (with a proven bound) or ``"auto"``.
    time_limit
        Seconds for the solve; None for no limit.
    """
    if isinstance(instance, SetCoverInstance):
        return set_cover(instance.cover, site_costs=instance.site_costs, time_limit=time_limit)
    return pmedian(instance.cost, instance.p, method=method, time_limit=time_limit)
