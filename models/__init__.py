"""Optimization models on cost and coverage matrices (installed as ``siting.models``)."""
