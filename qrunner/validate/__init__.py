"""Validate stage: every problem of every rendered spec as located diagnostics."""
