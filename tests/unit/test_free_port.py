"""Ports for servers started by tests and ``onething up --free-ports``: never from the ephemeral range."""

from __future__ import annotations

import socket

from exchange.broker import _ephemeral_ports, free_port


def test_free_ports_lie_below_the_range_outgoing_connections_use() -> None:
    low, _ = _ephemeral_ports()
    ports = [free_port() for _ in range(50)]
    assert all(20000 <= p < low for p in ports)
    assert len(set(ports)) == 50, "a port is handed out once per process"


def test_a_free_port_can_be_bound() -> None:
    port = free_port()
    with socket.socket() as s:
        s.bind(("127.0.0.1", port))
