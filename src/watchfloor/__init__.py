"""Watchfloor: decision support for a cyber-and-space attribution-and-response cell."""

__version__ = "0.1.0"
__all__ = ["__version__"]
