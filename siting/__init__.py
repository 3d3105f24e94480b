"""siting: facility-siting optimization for 15-minute convenient living circles.

Planners run scenario files from the command line (``siting run``); other systems call::

    import siting
    scenario = siting.load_scenario("scenarios/kaifeng-demo/scenario.yaml")
    plan = siting.plan(scenario)          # a pydantic model; plan.model_dump_json() round-trips

The public API is `siting.api`, re-exported here. The optimization models on matrices live in
:mod:`siting.models`; the layers of the package are described in ARCHITECTURE.md.
"""

from .api import *  # noqa: F403  (the public API is siting.api's __all__)
from .api import __all__ as _api

__version__ = "0.1.0"

__all__ = [*_api, "__version__"]
