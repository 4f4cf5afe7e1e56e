"""studio: a terminal writing studio built on Claude."""

__version__ = "0.1.0"
