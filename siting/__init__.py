"""siting: facility-siting optimization for 15-minute convenient living circles."""

__version__ = "0.1.0"
