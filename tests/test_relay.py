"""The relay process (judging/relay.py) on its own, spoken to as a server speaks to it: what
it tells a server that joins it, and what its viewers receive when one server dies and the
next takes them over."""

from __future__ import annotations

import json
import socket
import struct
import subprocess
import sys
import time

import pytest

from judging import fanout, relay
from judging.relay_link import _listener, _spawn

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the relay is Linux's")
WAIT = 10.0


def frames(sock: socket.socket, count: int) -> list[dict]:
    """The next ``count`` text frames on a viewer's end, decoded (the relay writes server
    frames: unmasked, each under 64 KiB here)."""
    buf, out = b"", []
    sock.settimeout(WAIT)
    while len(out) < count:
        chunk = sock.recv(65536)
        assert chunk, f"closed after {out}"
        buf += chunk
        while len(buf) >= 2:
            n, head = buf[1] & 0x7F, 2
            if n == 126:
                if len(buf) < 4:
                    break
                n, head = struct.unpack("!H", buf[2:4])[0], 4
            if len(buf) < head + n:
                break
            out.append(json.loads(buf[head : head + n]))
            buf = buf[head + n :]
    assert not buf
    return out


def closed(sock: socket.socket) -> bool:
    sock.settimeout(WAIT)
    return sock.recv(65536) == b""


class Server:
    """A server's end of the relay's channel."""

    def __init__(self, address: bytes):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.sock.settimeout(WAIT)
        self.sock.connect(address)
        ready = self.sock.recv(4096)
        assert ready[:1] == b"R"
        low, high, count = relay.HELD.unpack_from(ready, 1)
        self.held = (low, high, count, ready[1 + relay.HELD.size :].decode())

    def hand(self, seq: int) -> socket.socket:
        """A viewer handed over at ``seq``: its end, as its client would read it."""
        mine, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        socket.send_fds(self.sock, [b"V%d" % seq], [theirs.fileno()])
        theirs.close()
        return mine

    def update(self, first: int, last: int, epoch: str) -> None:
        self.sock.send(relay.flush_message(first, last, epoch, fanout.update_frame(epoch, last, {"status": last})))


def start(*extra: str) -> tuple[subprocess.Popen, bytes]:
    listener = _listener()
    try:
        return _spawn(listener, *extra), listener.getsockname()
    finally:
        listener.close()


def test_a_lingering_relay_keeps_its_viewers_for_the_next_server():
    proc, address = start("--linger", "5")
    try:
        first = Server(address)
        assert first.held == (0, 0, 0, "")
        a, b = first.hand(7), first.hand(8)
        first.sock.send(b"Lthe-lineage")
        first.update(8, 9, "e1")
        assert [(f["epoch"], f["seq"], f["patch"]) for f in frames(a, 2)] == [("e1", 8, {}), ("e1", 9, {"status": 9})]
        assert [(f["seq"], f["patch"]) for f in frames(b, 1)] == [(9, {"status": 9})]
        c = first.hand(9)
        first.sock.close()  # killed: no Q

        then = Server(address)
        assert then.held == (9, 9, 3, "the-lineage")
        welcome = {"type": "welcome", "epoch": "e2", "resumed": True}
        then.sock.send(b"W" + fanout.frame(json.dumps(welcome)))
        then.update(10, 11, "e2")
        for viewer in (a, b, c):
            assert frames(viewer, 3) == [welcome, {"type": "update", "epoch": "e2", "seq": 10, "patch": {}}, {"type": "update", "epoch": "e2", "seq": 11, "patch": {"status": 11}}]
        then.sock.send(b"D")  # cannot bring them up to date: they reconnect
        assert all(closed(v) for v in (a, b, c))
        then.sock.send(b"Q")
        assert proc.wait(WAIT) == 0
    finally:
        proc.kill()
        proc.wait()


def test_with_no_server_for_its_linger_the_relay_lets_its_viewers_go_and_waits_on():
    proc, address = start("--linger", "0.2")
    try:
        first = Server(address)
        viewer = first.hand(3)
        first.sock.send(b"Lthe-lineage")
        first.sock.close()
        began = time.monotonic()
        assert closed(viewer) and time.monotonic() - began >= 0.15
        assert Server(address).held == (0, 0, 0, "")  # still there for the next server
    finally:
        proc.kill()
        proc.wait()


def test_one_servers_relay_ends_with_it():
    proc, address = start()
    first = Server(address)
    viewer = first.hand(1)
    first.sock.close()
    assert closed(viewer) and proc.wait(WAIT) == 0


def test_a_relay_whose_server_is_gone_as_it_starts_ends_quietly():
    # A server connects, then starts its relay; it may be stopped before the relay is up.
    listener = _listener()
    gone = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    gone.connect(listener.getsockname())
    gone.close()
    with listener:
        done = subprocess.run([sys.executable, "-m", "judging.relay", str(listener.fileno())], pass_fds=[listener.fileno()], capture_output=True, timeout=30)
    assert done.returncode == 0 and done.stderr == b"", done.stderr
