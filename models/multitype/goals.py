r"""Goals a plan can reach: all-or-nothing states of a group, such as a community reaching a tier.

A coverage objective rewards every resident covered, so a budget spent on it can lift no
community to the next tier: it covers a little of everything everywhere. A *goal* counts only
when it fully holds. Goal :math:`g` holds at the end of phase :math:`f` when each of its clauses
holds, and a clause holds when at least ``at_least`` of its share conditions hold; a share
condition asks that share :math:`s_i` of the amount :math:`a_i` (e.g. residents of one age group
in one community) over some rows of one type be within reach of an existing outlet or a new
facility. A goal may require another (a tier requires the tier below it).

Formulation
-----------
On top of the plan's variables (package docstring): :math:`z_{gf} \in \{0,1\}`, goal :math:`g`
holds at the end of phase :math:`f`; :math:`q_{if} \in \{0,1\}`, condition :math:`i` holds, only
for clauses that ask for fewer than all of their conditions. With :math:`n_i` the amount still
missing once existing outlets are counted and :math:`\bar a_{im} = \min(a_{im}, n_i)` the amount
of merged row :math:`m` capped at :math:`n_i` (a valid strengthening):

(G1) :math:`\sum_m (\bar a_{im}/n_i)\, covered_{t_i m f} \ge z_{gf}` for a condition of an
all-of clause of :math:`g`, and :math:`\ge q_{if}` otherwise;
(G2) :math:`\sum_{i \in k} q_{if} \ge (\text{at\_least}_k - \text{already held}_k)\, z_{gf}`;
(G3) :math:`z_{gf} \le z_{hf}` when :math:`g` requires :math:`h`; (G4) :math:`z_{gf} \le
z_{g,f+1}` (coverage never shrinks);
(G5) counts: :math:`\sum_{g \in G_k} z_{g p_k} \ge n_k`.

Goals that hold before any plan have :math:`z = 1`; goals that sites allowed and available by
phase :math:`f` cannot reach at any budget have :math:`z_{gf} = 0` (bounds, not rows).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from .._errors import ModelInputError
from .._milp import MilpProblem
from .._validate import check_index
from ..arrays import BoolArray, FloatArray, IntArray
from .inputs import TypeCoverage
from .milp import Model
from .prepare import TOL, Inputs, PreparedType, row_min
from .solution import EXISTING_COVERED


@dataclass(frozen=True)
class ShareCondition:
    """``share`` of ``amounts`` over ``rows`` of one type is within reach.

    Attributes
    ----------
    type_index
        Index of the type in the ``types`` sequence.
    rows
        Row indices of that type (no duplicates).
    amounts
        Amount of each listed row that the share counts (e.g. residents), ≥ 0. Independent of the
        rows' objective weights: tier rules count residents, the objective weighs them.
    share
        Fraction of the amounts' total to have within reach, in (0, 1].
    """

    type_index: int
    rows: npt.ArrayLike
    amounts: npt.ArrayLike
    share: float


@dataclass(frozen=True)
class Clause:
    """At least ``at_least`` of ``conditions`` hold (None: all of them)."""

    conditions: tuple[ShareCondition, ...]
    at_least: int | None = None


@dataclass(frozen=True)
class Goal:
    """A state reached when every clause holds, e.g. one community at one tier.

    Attributes
    ----------
    clauses
        The clauses; a goal without clauses holds when the goal it requires does.
    requires
        Index of an earlier goal that must hold too (the tier below), or None.
    value
        Worth of the goal holding, in the objective's goal level (≥ 0).
    """

    clauses: tuple[Clause, ...]
    requires: int | None = None
    value: float = 1.0


@dataclass(frozen=True)
class GoalCount:
    """At least ``count`` of ``goals`` hold by the end of phase ``by_phase``.

    "20 communities reach 提升型 by 2025-09" is a count over every community's 提升型 goal;
    "these ten pilots reach 品质型" a count of ten over the ten pilots' goals.
    """

    goals: npt.ArrayLike
    count: int
    by_phase: int


@dataclass(frozen=True)
class Condition:
    """A share condition over its type's merged rows."""

    type_index: int
    rows: IntArray  # merged rows of the type with an amount, ascending
    amount: FloatArray  # amount of each of ``rows``, capped at ``need``
    n_rows: int  # merged rows of the type
    need: float  # amount still missing once existing outlets count (≤ 0: holds already)
    reach: FloatArray  # (F,) amount coverable by sites allowed and available by each phase
    total: float  # amount of every listed row
    origin: tuple[int, int, int]  # (goal, clause, position in the clause) as given

    @property
    def holds(self) -> bool:
        return self.need <= TOL * max(self.total, 1.0)

    def met(self, covered: BoolArray) -> float:
        """Amount of the rows ``covered`` (a flag per merged row of the type)."""
        return float(self.amount @ covered[self.rows])


@dataclass(frozen=True)
class PreparedClause:
    conditions: IntArray  # indices into PreparedGoals.conditions that do not hold already
    missing: int  # how many of them must still come to hold


@dataclass(frozen=True)
class PreparedGoals:
    """Goals over the merged rows, with what holds before any plan and what can never hold."""

    conditions: tuple[Condition, ...]
    clauses: tuple[tuple[PreparedClause, ...], ...]  # per goal
    requires: IntArray  # (G,) -1 when none
    value: FloatArray  # (G,)
    before: BoolArray  # (G,) holds before any plan
    possible: BoolArray  # (G, F) some plan within any budget makes it hold by phase f
    counts: tuple[tuple[IntArray, int, int], ...]  # (goals, count, by_phase)

    @property
    def n_goals(self) -> int:
        return int(self.value.size)

    @cached_property
    def _tables(self) -> tuple[dict[int, tuple[IntArray, sp.csr_array, FloatArray]],
                               sp.csr_array, FloatArray, sp.csr_array, int]:
        """Sparse tables that evaluate every goal at once (:func:`goal_holds`): per type its
        conditions, their amounts per merged row and the amount each needs; clause × condition
        membership, what each clause still needs; goal × clause membership; the longest chain
        of requirements."""
        by_type: dict[int, list[int]] = {}
        for i, c in enumerate(self.conditions):
            by_type.setdefault(c.type_index, []).append(i)
        amounts = {t: (np.array(ids, dtype=np.int64), self._amounts(ids),
                       np.array([self.conditions[i].need for i in ids], dtype=np.float64))
                   for t, ids in by_type.items()}
        clause_rows: list[int] = []
        clause_cols: list[int] = []
        missing: list[int] = []
        goal_rows: list[int] = []
        goal_cols: list[int] = []
        for g, clauses in enumerate(self.clauses):
            for clause in clauses:
                if not clause.missing:
                    continue
                k = len(missing)
                clause_rows += [k] * clause.conditions.size
                clause_cols += clause.conditions.tolist()
                missing.append(clause.missing)
                goal_rows.append(g)
                goal_cols.append(k)
        membership = sp.csr_array((np.ones(len(clause_rows)), (clause_rows, clause_cols)),
                                  shape=(len(missing), len(self.conditions)))
        owner = sp.csr_array((np.ones(len(goal_rows)), (goal_rows, goal_cols)),
                             shape=(self.n_goals, len(missing)))
        depth = max((len(self.chain(g)) for g in range(self.n_goals)), default=1)
        return amounts, membership, np.array(missing, dtype=np.float64), owner, depth

    def _amounts(self, ids: list[int]) -> sp.csr_array:
        """Conditions ``ids`` (all of one type) × its merged rows: their amounts."""
        found = [self.conditions[i] for i in ids]
        return sp.csr_array(
            (np.concatenate([c.amount for c in found]), np.concatenate([c.rows for c in found]),
             np.cumsum([0, *(c.rows.size for c in found)])),
            shape=(len(found), found[0].n_rows))

    def chain(self, g: int) -> list[int]:
        """Goal ``g`` and every goal it requires, lowest first."""
        out = [g]
        while self.requires[out[-1]] >= 0:
            out.append(int(self.requires[out[-1]]))
        return out[::-1]


def _condition(origin: tuple[int, int, int], cond: ShareCondition,
               types: Sequence[TypeCoverage], prepared: Sequence[PreparedType],
               inp: Inputs, earliest: dict[int, IntArray]) -> Condition:
    k = "goals[{}].clauses[{}].conditions[{}]".format(*origin)
    t = check_index(cond.type_index, len(types), f"{k}.type_index", "a type index")
    n_rows = prepared[t].row_map.size
    rows = np.asarray(cond.rows)
    if rows.dtype == np.bool_ or (rows.size and not np.issubdtype(rows.dtype, np.integer)):
        msg = f"{k}.rows must be row indices of types[{t}]"
        raise ModelInputError(msg)
    rows = rows.astype(np.int64).ravel()
    if rows.size and (rows.min() < 0 or rows.max() >= n_rows):
        msg = f"{k}.rows must lie in 0..{n_rows - 1} (rows of types[{t}])"
        raise ModelInputError(msg)
    if np.unique(rows).size != rows.size:
        msg = f"{k}.rows must not repeat a row"
        raise ModelInputError(msg)
    amounts = np.asarray(cond.amounts, dtype=np.float64).ravel()
    if amounts.shape != rows.shape or not np.isfinite(amounts).all() or (amounts < 0).any():
        msg = f"{k}.amounts must give one finite amount ≥ 0 per row ({rows.size})"
        raise ModelInputError(msg)
    share = float(cond.share)
    if not 0 < share <= 1:
        msg = f"{k}.share must be in (0, 1], got {cond.share!r}"
        raise ModelInputError(msg)
    where = prepared[t].row_map[rows]
    live = where >= 0
    total = float(amounts.sum())
    need = share * total - float(amounts[where == EXISTING_COVERED].sum())
    # Amount per merged row (original rows merge), capped at what is needed.
    merged, inverse = np.unique(where[live], return_inverse=True)
    amount = np.minimum(np.bincount(inverse, weights=amounts[live], minlength=merged.size),
                        max(need, 0.0)).astype(np.float64)
    keep = amount > 0
    merged, amount = merged[keep].astype(np.int64), amount[keep]
    # Amount coverable by each phase: by the first phase an allowed site reaches each row.
    if t not in earliest:
        earliest[t] = row_min(prepared[t].cover, inp.first_phase, inp.shape[2])
    n_phases = inp.shape[2]
    reach = np.cumsum(np.bincount(earliest[t][merged], weights=amount, minlength=n_phases),
                      dtype=np.float64)[:n_phases]
    return Condition(t, merged, amount, int(prepared[t].weight.size), need, reach, total,
                     origin)


def prepare_goals(
    goals: Sequence[Goal], counts: Sequence[GoalCount], types: Sequence[TypeCoverage],
    prepared: Sequence[PreparedType], inp: Inputs,
) -> PreparedGoals:
    """Validate goals and counts and express them over the merged rows.

    Raises
    ------
    ModelInputError
        A condition naming an unknown type or row, amounts of the wrong length or negative, a
        share outside (0, 1], ``at_least`` outside 1..len(conditions), a goal requiring itself
        or a later goal, a negative value, or a count naming an unknown goal or phase.
    """
    n_phases = inp.shape[2]
    conditions: list[Condition] = []
    earliest: dict[int, IntArray] = {}  # per type, computed once
    clauses: list[tuple[PreparedClause, ...]] = []
    requires = np.full(len(goals), -1, dtype=np.int64)
    value = np.zeros(len(goals))
    for g, goal in enumerate(goals):
        if goal.requires is not None:
            requires[g] = check_index(goal.requires, g, f"goals[{g}].requires",
                                      "an earlier goal (goals are listed lowest first)")
        value[g] = float(goal.value)
        if not np.isfinite(value[g]) or value[g] < 0:
            msg = f"goals[{g}].value must be finite and ≥ 0, got {goal.value!r}"
            raise ModelInputError(msg)
        own = []
        for k, clause in enumerate(goal.clauses):
            n = len(clause.conditions)
            at_least = n if clause.at_least is None else int(clause.at_least)
            if n == 0 or not 1 <= at_least <= n:
                msg = (f"goals[{g}].clauses[{k}] must list conditions and at_least in 1..{n}, "
                       f"got {clause.at_least!r}")
                raise ModelInputError(msg)
            found = [_condition((g, k, i), c, types, prepared, inp, earliest)
                     for i, c in enumerate(clause.conditions)]
            held = sum(c.holds for c in found)
            ids = []
            for c in found:
                if not c.holds:
                    ids.append(len(conditions))
                    conditions.append(c)
            own.append(PreparedClause(np.array(ids, dtype=np.int64), max(0, at_least - held)))
        clauses.append(tuple(own))
    before = np.zeros(len(goals), dtype=bool)
    possible = np.zeros((len(goals), n_phases), dtype=bool)
    for g in range(len(goals)):
        own_before = all(part.missing == 0 for part in clauses[g])
        # A clause can hold by f when enough of its open conditions can each reach their need.
        own_possible = np.ones(n_phases, dtype=bool)
        for part in clauses[g]:
            if part.missing:
                able = np.array([conditions[i].reach >= conditions[i].need * (1 - TOL)
                                 for i in part.conditions]).reshape(-1, n_phases)
                own_possible &= able.sum(axis=0) >= part.missing
        before[g] = own_before and (requires[g] < 0 or before[requires[g]])
        possible[g] = own_possible & (possible[requires[g]] if requires[g] >= 0 else True)
        possible[g] |= before[g]
    prepared_counts = []
    for k, count in enumerate(counts):
        members = np.asarray(count.goals)
        if members.size == 0 or not np.issubdtype(members.dtype, np.integer):
            msg = f"counts[{k}].goals must be a non-empty sequence of goal indices"
            raise ModelInputError(msg)
        members = np.unique(members.astype(np.int64))
        if members[0] < 0 or members[-1] >= len(goals):
            msg = f"counts[{k}].goals must lie in 0..{len(goals) - 1}"
            raise ModelInputError(msg)
        need = int(count.count)
        if need < 1 or need != count.count:
            msg = f"counts[{k}].count must be a whole number ≥ 1, got {count.count!r}"
            raise ModelInputError(msg)
        phase = check_index(count.by_phase, n_phases, f"counts[{k}].by_phase", "a phase index")
        prepared_counts.append((members, need, phase))
    return PreparedGoals(tuple(conditions), tuple(clauses), requires, value, before, possible,
                         tuple(prepared_counts))


def goal_holds(pg: PreparedGoals, covered: Sequence[IntArray], n_phases: int) -> BoolArray:
    """``(G, F)``: goal g holds at the end of phase f, given each merged row's first covered
    phase (``n_phases`` when never)."""
    amounts, membership, missing, owner, depth = pg._tables
    phases = np.arange(n_phases)
    cond = np.zeros((len(pg.conditions), n_phases), dtype=bool)
    for t, (ids, table, need) in amounts.items():
        reached = (covered[t][:, None] <= phases[None, :]).astype(np.float64)
        got = table @ reached
        cond[ids] = got >= need[:, None] * (1 - TOL)
    clause_ok = (membership @ cond.astype(np.float64)) >= missing[:, None] - 0.5
    own = (owner @ (~clause_ok).astype(np.float64)) < 0.5
    out = own.copy()
    has = pg.requires >= 0
    for _ in range(depth):
        out = own & np.where(has[:, None], out[np.maximum(pg.requires, 0)], True)
    return np.asarray(out, dtype=bool)


def counts_met(pg: PreparedGoals, holds: BoolArray) -> BoolArray:
    """Per count, whether ``holds`` (from :func:`goal_holds`) meets it."""
    return np.array([int(holds[members, phase].sum()) >= need
                     for members, need, phase in pg.counts], dtype=bool)


def covered_starts(model: Model) -> list[int]:
    """Column of ``covered[t, m=0, f=0]`` of each type in the plan's MILP."""
    n_types = sum(name.startswith("covered[") for name in model.columns)
    return [model.columns[f"covered[{t}]"].start for t in range(n_types)]


@dataclass(frozen=True)
class GoalColumns:
    """Where :func:`add_goals` put its columns: ``z`` (G, F) and the condition columns."""

    z: IntArray
    q: dict[tuple[int, int], int]  # (condition, phase) → column, for at-least clauses
    count_rows: slice


def add_goals(
    problem: MilpProblem, covered_start: Sequence[int], pg: PreparedGoals, n_phases: int, *,
    goal_cost: FloatArray | None = None, count_rows: bool = True,
) -> tuple[MilpProblem, GoalColumns]:
    """``problem`` with the goal columns and rows (G1)–(G5) appended.

    Parameters
    ----------
    problem
        The plan's MILP; ``covered_start[t]`` is the column of ``covered[t, m=0, f=0]``, row
        ``m`` phase ``f`` at ``covered_start[t] + m * n_phases + f``.
    goal_cost
        ``(G, F)`` objective coefficients of the ``z`` columns (minimised; default 0).
    count_rows
        Add the counts (G5) as rows.
    """
    n_goals = pg.n_goals
    first = problem.num_col
    z = first + np.arange(n_goals * n_phases).reshape(n_goals, n_phases)
    rows: list[IntArray] = []
    cols: list[IntArray] = []
    vals: list[FloatArray] = []
    lower: list[float] = []
    upper: list[float] = []
    q: dict[tuple[int, int], int] = {}

    def add_row(c: npt.ArrayLike, v: npt.ArrayLike, lo: float, hi: float) -> None:
        c_arr = np.asarray(c, dtype=np.int64)
        rows.append(np.full(c_arr.size, len(lower), dtype=np.int64))
        cols.append(c_arr)
        vals.append(np.asarray(v, dtype=np.float64))
        lower.append(lo)
        upper.append(hi)

    def condition_row(i: int, f: int, indicator: int) -> None:
        c = pg.conditions[i]
        add_row(np.r_[covered_start[c.type_index] + c.rows * n_phases + f, indicator],
                np.r_[c.amount / c.need, -1.0], 0.0, np.inf)

    n_q = 0
    for g in range(n_goals):
        for f in range(n_phases):
            if pg.before[g] or not pg.possible[g, f]:
                continue  # fixed by bounds
            for clause in pg.clauses[g]:
                if not clause.missing:
                    continue
                if clause.missing == clause.conditions.size:
                    for i in clause.conditions:
                        condition_row(int(i), f, int(z[g, f]))
                    continue
                qs = []
                for i in clause.conditions:
                    if (int(i), f) not in q:
                        q[(int(i), f)] = first + z.size + n_q
                        n_q += 1
                        condition_row(int(i), f, q[(int(i), f)])
                    qs.append(q[(int(i), f)])
                add_row(np.r_[qs, z[g, f]], np.r_[np.ones(len(qs)), -float(clause.missing)],
                        0.0, np.inf)
            if pg.requires[g] >= 0:
                add_row([z[g, f], z[pg.requires[g], f]], [1.0, -1.0], -np.inf, 0.0)
            if f + 1 < n_phases:
                add_row([z[g, f], z[g, f + 1]], [1.0, -1.0], -np.inf, 0.0)
    start = len(lower)
    if count_rows:
        for members, need, phase in pg.counts:
            add_row(z[members, phase], np.ones(members.size), float(need), np.inf)
    n_new = z.size + n_q
    z_lower = np.repeat(pg.before[:, None], n_phases, axis=1).astype(np.float64)
    z_upper = (pg.possible | pg.before[:, None]).astype(np.float64)
    cost = np.zeros(n_new)
    if goal_cost is not None:
        cost[:z.size] = np.asarray(goal_cost, dtype=np.float64).ravel()
    n_rows = len(lower)
    block = sp.csr_array(
        (np.concatenate(vals) if vals else np.empty(0),
         (np.concatenate(rows) if rows else np.empty(0, dtype=np.int64),
          np.concatenate(cols) if cols else np.empty(0, dtype=np.int64))),
        shape=(n_rows, first + n_new))
    matrix = sp.csr_array(sp.vstack([
        sp.hstack([problem.A, sp.csr_array((problem.num_row, n_new))]), block], format="csr"))
    out = MilpProblem(
        np.r_[problem.c, cost], matrix, np.r_[problem.row_lower, lower],
        np.r_[problem.row_upper, upper], np.r_[problem.col_lower, z_lower.ravel(),
                                                np.zeros(n_q)],
        np.r_[problem.col_upper, z_upper.ravel(), np.ones(n_q)],
        np.r_[problem.integer, np.ones(n_new, dtype=bool)], problem.offset)
    return out, GoalColumns(z, q, slice(problem.num_row + start, problem.num_row + n_rows))


def goal_values(pg: PreparedGoals, covered: Sequence[IntArray], n_phases: int,
                columns: GoalColumns, n_cols: int) -> FloatArray:
    """Values of the goal columns of a plan (a warm start), ``n_cols`` long; other columns 0."""
    x = np.zeros(n_cols)
    holds = goal_holds(pg, covered, n_phases)
    x[columns.z.ravel()] = holds.ravel()
    for (i, f), col in columns.q.items():
        c = pg.conditions[i]
        x[col] = float(c.met(covered[c.type_index] <= f) >= c.need * (1 - TOL))
    return x
