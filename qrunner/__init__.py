"""qrunner: declarative query-as-code runner."""

__version__ = "0.1.0"
