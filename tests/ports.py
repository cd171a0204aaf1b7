"""Loopback ports for tests that need one nobody listens on (yet)."""

import socket


def unused_port() -> int:
    """A port on 127.0.0.1 that was free a moment ago: for a server about to start, or to find nobody there."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
