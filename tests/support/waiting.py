"""Waiting for something another thread or process does (a listener hearing a change, a worker delivering)."""

import time


def eventually(condition, seconds=5, interval=0.02):
    """True as soon as `condition()` is, False if it is not within `seconds`."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(interval)
    return bool(condition())
