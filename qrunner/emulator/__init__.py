"""Fake services on 127.0.0.1 for tests and trials: Datadog and Tekton answered by the local
engine (``server.py``), and the notification fakes — GitHub issues (``github.py``), a Slack
incoming webhook (``slack.py``), a signed webhook receiver (``webhook.py``) — on a shared
frame (``loopback.py``). All take scripted faults (``faults.py``)."""
