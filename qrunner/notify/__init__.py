"""Notifications: a failing gate reaches its owner once, stays visible until it recovers,
and says when it did."""
