"""greenfin: the software backbone of a regional green-finance reform zone."""

__version__ = "0.1.0"
