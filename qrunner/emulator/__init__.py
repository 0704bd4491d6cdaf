"""Fake Datadog and Tekton HTTP servers on 127.0.0.1, answered by the local engine."""
