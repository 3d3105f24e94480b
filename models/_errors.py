"""Exception types raised by the optimization models."""


class ModelInputError(ValueError):
    """An argument given to a model is invalid; the message names it and the fix."""


class SolverError(RuntimeError):
    """A solver backend failed or is not installed."""
