"""Spec stage: YAML with positions, the v1 model, discovery, rendering, the JSON Schema."""
