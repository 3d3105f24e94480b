"""Capacitated covering and median models: each open site serves at most its capacity.

Capacities are in demand-weight units (childcare places, canteen meals per day). Demand is
splittable by default (a demand row is many households; :mod:`._flows`); with
``single_source=True`` each row is served whole by one site (a class, a group that stays
together; :mod:`.assignment`, solved by :mod:`._single_source`).
"""

from .solve import COST_PER, CostPer, capacitated_max_cover, capacitated_pmedian

__all__ = ["COST_PER", "CostPer", "capacitated_max_cover", "capacitated_pmedian"]
