"""Ardoise: the open data platform of the education ministry."""

__version__ = "0.1.0"
