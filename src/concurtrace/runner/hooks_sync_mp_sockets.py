"""Connections of multiprocessing.connection Listeners and Clients: an identity both
ends compute alike, as a Pipe's ends have (hooks_sync_mp_pipe: its recv, poll and send
hooks then see them). For a TCP address it is the client's own address; for a Unix
socket the client's pid (the accepting side reads it with SO_PEERCRED) and how many
connections that pid made to the address before (two threads of one process connecting
at once may be paired crosswise: their waits then name the other's peer).
"""

from __future__ import annotations

import select
import socket
import struct

from concurtrace.runner.hooks_sync_mp_pipe import ATTR
from concurtrace.runner.hooks_sync_mp_table import table
from concurtrace.runner.hookset import Sink

TYPE_CHECKING = False  # not typing's: importing typing costs every process that uses mp
if TYPE_CHECKING:
    from typing import Any

_made: dict[tuple[str, int, int], int] = {}  # (address, client pid, side) -> connections


def peer_of(conn: Any, family: str) -> str | None:
    """The accepting side's word on the client: its address (TCP) or pid (Unix)."""
    try:
        with socket.fromfd(conn.fileno(), getattr(socket, family), socket.SOCK_STREAM) as s:
            if family != "AF_UNIX":
                return str(s.getpeername())
            raw = s.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
            return str(struct.unpack("3i", raw)[0])
    except (OSError, AttributeError, ValueError):
        return None


def shown(address: Any) -> str:
    """An address as a label shows it: '/tmp/x' for a Unix socket, 127.0.0.1:5000."""
    if isinstance(address, tuple) and len(address) >= 2:
        return f"{address[0]}:{address[1]}"
    return repr(address)


def address_key(address: Any, family: str) -> str:
    """An address alike on both sides: a Unix socket's path, a TCP port (a listener bound
    to 0.0.0.0 is reached at 127.0.0.1)."""
    if family == "AF_UNIX" or not isinstance(address, tuple) or len(address) < 2:
        return str(address)
    return f"tcp:{address[1]}"


def tag_end(sink: Sink, conn: Any, address: str, client: str, index: int, label: str) -> str:
    """conn's End (index 0: the accepted side, 1: the client's); its identity."""
    key = (address, int(client), index) if client.isdigit() else None
    serial = 0
    if key is not None:  # a Unix socket: the n-th connection of that pid to the address
        serial = _made[key] = _made.get(key, 0) + 1
    identity = f"conn:{address}:{client}" + (f":{serial}" if key is not None else "")
    mine, peer = f"{identity}/{index}", f"{identity}/{1 - index}"
    conn.__dict__[ATTR] = (mine, peer, label, *table.key(mine), *table.key(peer))
    table.opened()
    return identity


def readable(fd: int, timeout: float) -> bool:
    """fd has something to read within timeout; True for a closed one (-1): the
    original then raises its own error, with no wait of ours begun."""
    try:
        poller = select.poll()
        poller.register(fd, select.POLLIN)
        return bool(poller.poll(timeout * 1000))
    except (OSError, ValueError, TypeError):
        return True


def own_address(conn: Any, family: str) -> str | None:
    try:
        with socket.fromfd(conn.fileno(), getattr(socket, family), socket.SOCK_STREAM) as s:
            return str(s.getsockname())
    except (OSError, AttributeError, ValueError):
        return None
