"""The command line: click commands that translate options into calls of the core."""
