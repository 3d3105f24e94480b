r"""Multi-type, budgeted, phased facility siting on coverage matrices.

A city adds facilities of several types (market, repair shop, canteen, elderly station, …) at
candidate sites, under one budget released in phases. A site pays its fixed charge (rent,
fit-out) once however many types it hosts, and a facility built in an early phase covers its
demand in every later phase too.

Formulation
-----------
Sets
    :math:`J` candidate sites; :math:`T` facility types; :math:`F = \{0, …, |F|-1\}` phases;
    :math:`R_t` demand rows of type :math:`t` not already covered by an existing outlet and
    reachable from at least one allowed site; :math:`S_{tr} \subseteq J` the allowed sites that
    cover row :math:`r` of type :math:`t`; :math:`K` coverage requirements.
Parameters
    :math:`w_{tr}` row weight (people × priority); :math:`b_j` site fixed charge (yuan);
    :math:`c_{jt}` cost of type :math:`t` at site :math:`j` (yuan); :math:`B_f` budget released in
    phase :math:`f` (yuan); :math:`\pi_f > 0` phase weight; :math:`e_j` first phase site
    :math:`j` is available; :math:`A_j` site floor area and :math:`a_{jt}` area of type
    :math:`t` (m²); :math:`M` most types per site; requirement :math:`k` asks that share
    :math:`s_k` of the weight of rows :math:`Q_k` of type :math:`t_k` be covered by phase
    :math:`p_k`.
Variables
    :math:`open_{jf} \in \{0,1\}` site :math:`j` first used in phase :math:`f`;
    :math:`build_{jtf} \in \{0,1\}` type :math:`t` added at :math:`j` in phase :math:`f`;
    :math:`covered_{trf} \in [0,1]` row :math:`r` of type :math:`t` covered at the end of
    phase :math:`f` (continuous: it is integral at every optimum because its bound is).
Objective
    :math:`\max \sum_f \pi_f \sum_t \sum_{r \in R_t} w_{tr}\, covered_{trf}`.
Constraints
    (1) :math:`covered_{trf} \le \sum_{j \in S_{tr}} \sum_{f' \le f} build_{jtf'}`;
    (2) :math:`build_{jtf} = 0` unless :math:`t` is allowed at :math:`j` and :math:`f \ge e_j`;
    (3) :math:`build_{jtf} \le \sum_{f' \le f} open_{jf'}`;
    (4) :math:`\sum_f open_{jf} \le 1`, :math:`\sum_f build_{jtf} \le 1`;
    (5) cumulative budget, unspent money carries over:
    :math:`\sum_{f' \le f} \big(\sum_j b_j\, open_{jf'} + \sum_{j,t} c_{jt}\, build_{jtf'}\big)
    \le \sum_{f' \le f} B_{f'}` for every :math:`f`;
    (6) area :math:`\sum_{t,f} a_{jt}\, build_{jtf} \le A_j`; (7) :math:`\sum_{t,f} build_{jtf}
    \le M`; (8) requirements :math:`\sum_{r \in Q_k} w_{t_k r}\, covered_{t_k r p_k} \ge
    s_k \sum_{r \in Q_k} w_{t_k r} - (\text{weight of } Q_k \text{ already covered})`.

The model is solved in the cumulative variables :math:`Y_{jtf} = \sum_{f' \le f} build_{jtf'}`
and :math:`U_{jf} = \sum_{f' \le f} open_{jf'}` (binary, non-decreasing in :math:`f`). This is a
unimodular change of variables, so the LP relaxation is the same, but (1) and (5) then read
:math:`covered_{trf} \le \sum_{j \in S_{tr}} Y_{jtf}` and
:math:`\sum_j b_j U_{jf} + \sum_{j,t} c_{jt} Y_{jtf} \le \sum_{f' \le f} B_{f'}`, which needs
:math:`|F|` times fewer non-zeros than summing over earlier phases in every row.

Rows already covered by existing outlets earn nothing and are left out of the model (they count
towards requirements). Rows of one group (below) with the same covering site set are merged,
summing their weights.

Diminishing returns
-------------------
Kaifeng's tier rules judge each community's covered *share* of residents per facility type, and
planners fill what is missing first (缺什么、补什么). A weight-linear objective does neither: it
spends the budget on the cheapest types and on already well-served communities. With ``returns``
each row :math:`r` of type :math:`t` lies in a group :math:`g(r)` (a community), and each
(type, group, phase) earns a concave function of its covered share instead of its covered weight,
so the first residents covered where coverage is low are worth more than the last ones where it
is high (the partial and gradual credit of generalized coverage [5]_ [6]_, applied to a group's
share as an equity device [7]_).

Parameters
    :math:`\varphi(x) = \min_k (a_k x + d_k)` on shares, concave and piecewise linear with
    :math:`\varphi(0) = 0`, slopes :math:`a_0 \ge … \ge a_K > 0` changing at breakpoints
    :math:`0 < b_1 < … < b_K < 1`; :math:`W_{tg}` the weight of *all* rows of group :math:`g`
    (covered, uncovered or out of reach); :math:`E_{tg}` the weight of those already covered by
    existing outlets; :math:`C_{tgf} = \sum_{r \in R_t,\, g(r) = g} w_{tr}\, covered_{trf}`.
Variables
    :math:`v_{tgf} \ge 0`, the credit of group :math:`g` of type :math:`t` at the end of phase
    :math:`f`.
Objective
    :math:`\max \sum_f \pi_f \sum_{t,g} v_{tgf}`.
Constraints
    (1)–(8) as above, and (9) the hypograph of the credit
    :math:`W\varphi((E + C)/W) - W\varphi(E/W)`: for every piece :math:`k`,
    :math:`v_{tgf} \le a_k C_{tgf} + a_k E_{tg} + d_k W_{tg} - W_{tg}\,\varphi(E_{tg}/W_{tg})`.
    Pieces wholly outside :math:`[E/W, (E + \text{reachable})/W]` never bind and are left out.

``returns=None`` is the weight-linear model above. The credit is a concave non-decreasing function
of a coverage function, so it stays monotone submodular (the greedy keeps its footing [2]_) and
subadditive (the knapsack bound stays valid); greedy, bound and :func:`coverage_utility` all use
this same credit.

References
----------
.. [1] Church, R. & ReVelle, C. (1974). The maximal covering location problem. *Papers of the
   Regional Science Association* 32, 101–118.
.. [2] Khuller, S., Moss, A. & Naor, J. (1999). The budgeted maximum coverage problem.
   *Information Processing Letters* 70(1), 39–45.
.. [3] Gunawardane, G. (1982). Dynamic versions of set covering type public facility location
   problems. *European Journal of Operational Research* 10(2), 190–195.
.. [4] Şahin, G. & Süral, H. (2007). A review of hierarchical facility location models.
   *Computers & Operations Research* 34(8), 2310–2331 (multi-type siting with shared sites).
.. [5] Church, R. L. & Roberts, K. L. (1983). Generalized coverage models and public facility
   location. *Papers of the Regional Science Association* 53, 117–135.
.. [6] Berman, O., Krass, D. & Drezner, Z. (2003). The gradual covering decay location problem
   on a network. *European Journal of Operational Research* 151(3), 474–480.
.. [7] Marsh, M. T. & Schilling, D. A. (1994). Equity measurement in facility location analysis:
   a review and framework. *European Journal of Operational Research* 74(1), 1–17.

Solving
-------
A lazy greedy (:mod:`.greedy`) gives the first plan. By default the model is then solved by its
Benders decomposition (:mod:`.benders`): the facility variables in a master problem and the
coverage, credit and requirements as supergradient cuts, so the master's size follows the
facilities, not demand rows × phases; its cuts are tightened for binary facilities, so its LP
rounds reach a bound below the LP relaxation's, and its integer rounds search from the best
plan. ``method="milp"`` solves the formulation above whole
(one column per merged row and phase). Every reported bound is proven: the smallest of the
master's LP value or MILP dual bound (or the whole MILP's), and a fractional-knapsack bound.

Layout
------
One job per module: :mod:`.inputs` (the input types), :mod:`.credit` (the diminishing-returns
credit), :mod:`.solution` (the result and its infeasibility records), :mod:`.prepare`
(validation and row merging), :mod:`.plans` (evaluating a plan), :mod:`.greedy`,
:mod:`.builder` (column and row blocks), :mod:`.milp` (the whole model and its facility
block), :mod:`.benders`, :mod:`.bounds`, :mod:`.diagnosis` (why no plan meets the
requirements) and :mod:`.solve` (:func:`plan_sites`).
"""

from .cheapest import (
    Blocker,
    CheapestPlan,
    CountDiagnosis,
    GoalCosts,
    Instance,
    cheapest_plan,
    goal_costs,
    prepare_instance,
)
from .credit import coverage_utility
from .goals import Clause, Goal, GoalCount, ShareCondition
from .inputs import CoverageRequirement, DiminishingReturns, TypeCoverage
from .lifts import GoalLevel
from .prepare import phase_spend
from .solution import (
    EXISTING_COVERED,
    NOT_COVERED,
    Infeasibility,
    MultiTypeSolution,
    describe_all,
)
from .solve import plan_sites

__all__ = [
    "EXISTING_COVERED",
    "NOT_COVERED",
    "Blocker",
    "CheapestPlan",
    "Clause",
    "CountDiagnosis",
    "CoverageRequirement",
    "DiminishingReturns",
    "Goal",
    "GoalCosts",
    "GoalCount",
    "GoalLevel",
    "Infeasibility",
    "Instance",
    "MultiTypeSolution",
    "ShareCondition",
    "TypeCoverage",
    "cheapest_plan",
    "coverage_utility",
    "describe_all",
    "goal_costs",
    "phase_spend",
    "plan_sites",
    "prepare_instance",
]
