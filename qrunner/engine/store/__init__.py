"""The local store: JSON Lines, Parquet and JUnit XML loaded into a cached DuckDB database."""
