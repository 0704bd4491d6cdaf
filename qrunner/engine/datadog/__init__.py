"""The Datadog aggregate endpoints (tests, pipelines, spans) answered from the local store."""
