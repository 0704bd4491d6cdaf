"""The run tests' fixtures: a sample dataset generated once, and an isolated cache directory."""

from tests.run.conftest import AT, QUERIES, ROOT, _isolated_cache, sample_dir

__all__ = ["AT", "QUERIES", "ROOT", "_isolated_cache", "sample_dir"]
