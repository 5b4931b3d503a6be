"""Polling for an asynchronous outcome (a mail in the sink, a row sent, a consumer bound) in tests."""
from __future__ import annotations

import time


def wait_until(predicate, timeout: float = 20.0, what: str = "condition", interval: float = 0.1, on_timeout=None):
    """The first truthy value of `predicate()`, polled every `interval` s; AssertionError after `timeout` s."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    detail = on_timeout() if on_timeout else ""
    raise AssertionError(f"timed out after {timeout}s waiting for {what}\n{detail}".rstrip())
