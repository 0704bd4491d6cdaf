"""Datadog search syntax: the AST (nodes), its parser and its SQL compiler."""
