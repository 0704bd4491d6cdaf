"""Backends execute a rendered request and return the API-shaped response."""
