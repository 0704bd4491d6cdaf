"""The embedded local engine: DuckDB over local CI events, JUnit XML and Tekton records."""
