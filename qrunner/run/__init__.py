"""The run: select, render, validate, execute concurrently, judge, report and publish."""
