"""The history store: every check result of every run, as Parquet files partitioned by date.

``rows.py`` turns a run (its JSON report data) into rows; ``store.py`` appends and reads
them; ``importer.py`` backfills from archived JSON reports; ``trend.py`` draws the HTML
trend report. The layout is in :mod:`qrunner.history.store`.
"""
