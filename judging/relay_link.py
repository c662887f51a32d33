"""The server's end of the audience's relay (judging/relay.py): the process started (or,
under the watchdog, the watchdog's joined), the scoreboards handed over, the paced updates
queued to it.

A relay that is gone, or stuck with a backlog, is let go: its viewers, cut off by its end,
reconnect to the server, which then serves them itself.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import subprocess
import sys
from collections import deque

from judging import relay

log = logging.getLogger("judging.server")

# Handing a socket to another process (SCM_RIGHTS on a SOCK_SEQPACKET pair) is Linux's.
AVAILABLE = sys.platform.startswith("linux") and hasattr(socket, "send_fds")
START = 10.0  # seconds the relay process may take to start, and to stop
LINGER = 10.0  # seconds the watchdog's relay holds its viewers for the next server
BACKLOG = 1000  # flushes queued for a relay that takes none before it is let go


def _listener() -> socket.socket:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    sock.bind("")  # an abstract address of the kernel's choosing (Linux)
    sock.listen(8)
    return sock


def _spawn(listener: socket.socket, *extra: str) -> subprocess.Popen:
    # A session of its own: a terminal's Ctrl+C, meant for `judging serve`, would kill an
    # interpreter still starting; the relay ends when the server says so, or is gone.
    fd = listener.fileno()
    return subprocess.Popen([sys.executable, "-m", "judging.relay", str(fd), *extra], pass_fds=[fd], start_new_session=True)


def start_shared() -> tuple[subprocess.Popen, bytes]:
    """The watchdog's relay: it outlives a server that dies, for the next to take over its
    viewers (LINGER s at most), and ends with the watchdog. Its process and address."""
    listener = _listener()
    try:
        return _spawn(listener, "--linger", str(LINGER), "--parent", str(os.getpid())), listener.getsockname()
    finally:
        listener.close()


def stop_shared(process: subprocess.Popen) -> None:
    """The watchdog's relay, once the watchdog stops (its last server has told it to stop)."""
    process.terminate()
    process.wait()


class RelayLink:
    def __init__(self, address: bytes | None = None) -> None:
        """``address``: the watchdog's relay (``start_shared``); None: this server starts its own."""
        self.address = address
        self.process: subprocess.Popen | None = None  # its own relay's
        self.sock: socket.socket | None = None  # None: no relay (not started, or let go)
        self.queue: deque[bytes] = deque()  # messages the relay has not taken yet
        self.waiting = False  # for the channel to take more
        self.held = (0, 0, 0, "")  # the relay's viewers when joined: lowest seq, highest, count, lineage
        self._starting: socket.socket | None = None  # the channel, until the relay says it is ready

    @property
    def up(self) -> bool:
        return self.sock is not None

    def spawn(self) -> None:
        """Start this server's own relay, not waiting for it: its interpreter starts while the
        server recovers."""
        if self.process is not None or self.address is not None:
            return
        listener = _listener()
        mine = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        mine.connect(listener.getsockname())  # queued until the relay accepts it
        self.process = _spawn(listener)
        listener.close()
        mine.setblocking(False)
        self._starting = mine

    async def start(self) -> None:
        """Join the relay (started by ``spawn`` if it is this server's) and wait until it says
        what it holds (``held``)."""
        mine = None
        try:
            if self.address is not None:
                mine = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
                mine.settimeout(START)
                mine.connect(self.address)  # at once: the relay listens from before any server
                mine.setblocking(False)
            else:
                self.spawn()
                mine, self._starting = self._starting, None
            async with asyncio.timeout(START):
                ready = await asyncio.get_running_loop().sock_recv(mine, 4096)
        except (TimeoutError, OSError):
            ready = b""
        if ready[:1] != b"R" or len(ready) < 1 + relay.HELD.size:
            log.warning("the audience's relay did not start; the scoreboards are served here")
            if mine is not None:
                mine.close()
            if self.process is not None:
                self.process.kill()
            return
        self.held = (*relay.HELD.unpack_from(ready, 1), ready[1 + relay.HELD.size :].decode())
        self.sock = mine

    def adopt(self, lineage: str, welcome: bytes | None, catchup: tuple[int, int, str, bytes] | None = None) -> None:
        """The viewers the relay holds (``held``) follow this server: sent ``welcome``, then
        the events ``catchup`` (first, last, epoch, the last's update) if they missed any.
        With no welcome, they are let go, to reconnect."""
        if welcome is None:
            self._send(b"D")
        self._send(b"L" + lineage.encode())
        if welcome is not None:
            self._send(b"W" + welcome)
            if catchup is not None:
                self.flush(*catchup)

    def hand(self, seq: int, fd: int) -> bool:
        """Hand over a viewer's socket, holding the state at ``seq``: only if it can go at once
        (never behind queued flushes, which it must not miss)."""
        assert self.sock is not None
        if self.queue:
            return False
        try:
            socket.send_fds(self.sock, [b"V%d" % seq], [fd])
            return True
        except BlockingIOError:
            return False
        except OSError:
            self._gone()
            return False

    def flush(self, first: int, last: int, epoch: str, tail: bytes) -> None:
        """The events ``first`` to ``last`` for every viewer the relay holds, in turn."""
        self._send(relay.flush_message(first, last, epoch, tail))

    def _send(self, message: bytes) -> None:
        self.queue.append(message)
        self._drain()

    def _drain(self) -> None:
        loop = asyncio.get_running_loop()
        while self.sock is not None and self.queue:
            try:
                self.sock.send(self.queue[0])
            except BlockingIOError:
                if len(self.queue) > BACKLOG:
                    self._gone()
                elif not self.waiting:
                    loop.add_writer(self.sock, self._drain)
                    self.waiting = True
                return
            except OSError:
                self._gone()
                return
            self.queue.popleft()
        if self.sock is not None and self.waiting:
            loop.remove_writer(self.sock)
            self.waiting = False

    def _gone(self) -> None:
        log.warning("the audience's relay stopped taking updates; the scoreboards are served here")
        self._let_go()

    def _let_go(self) -> None:
        if self.sock is None:
            return
        if self.waiting:
            asyncio.get_running_loop().remove_writer(self.sock)
            self.waiting = False
        self.sock.close()  # the relay lets its viewers go and ends
        self.sock = None
        self.queue.clear()

    async def close(self) -> None:
        """This server stops: so does the relay, its viewers let go."""
        if self.sock is not None:
            self._send(b"Q")
        self._let_go()
        if self.process is not None:
            try:
                await asyncio.get_running_loop().run_in_executor(None, self.process.wait, START)
            except subprocess.TimeoutExpired:
                self.process.kill()
