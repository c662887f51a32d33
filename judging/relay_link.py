"""The server's end of the audience's relay (judging/relay.py): the process started, the
scoreboards handed over, the paced updates queued to it.

A relay that is gone, or stuck with a backlog, is let go: its viewers, cut off by its end,
reconnect to the server, which then serves them itself.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import subprocess
import sys
from collections import deque

from judging import relay

log = logging.getLogger("judging.server")

# Handing a socket to another process (SCM_RIGHTS on a SOCK_SEQPACKET pair) is Linux's.
AVAILABLE = sys.platform.startswith("linux") and hasattr(socket, "send_fds")
START = 10.0  # seconds the relay process may take to start, and to stop
BACKLOG = 1000  # flushes queued for a relay that takes none before it is let go


class RelayLink:
    def __init__(self) -> None:
        self.process: subprocess.Popen | None = None
        self.sock: socket.socket | None = None  # None: no relay (not started, or let go)
        self.queue: deque[bytes] = deque()  # flushes the relay has not taken yet
        self.waiting = False  # for the channel to take more
        self._starting: socket.socket | None = None  # the channel, until the relay says it is ready

    @property
    def up(self) -> bool:
        return self.sock is not None

    def spawn(self) -> None:
        """Start the relay process, not waiting for it: the watchdog's standby has its relay
        ready by the time it serves, rather than waiting a fresh interpreter's start then."""
        if self.process is not None:
            return
        mine, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        # A session of its own: a terminal's Ctrl+C, meant for `judging serve`, would kill an
        # interpreter still starting; the relay ends when the server closes the channel.
        self.process = subprocess.Popen([sys.executable, "-m", "judging.relay", str(theirs.fileno())], pass_fds=[theirs.fileno()], start_new_session=True)
        theirs.close()
        mine.setblocking(False)
        self._starting = mine

    async def start(self) -> None:
        """Start the relay (if ``spawn`` did not) and wait until it takes viewers."""
        self.spawn()
        mine, self._starting = self._starting, None
        assert self.process is not None and mine is not None
        try:
            async with asyncio.timeout(START):
                ready = await asyncio.get_running_loop().sock_recv(mine, 1)
        except (TimeoutError, OSError):
            ready = b""
        if ready != b"R":
            log.warning("the audience's relay did not start; the scoreboards are served here")
            mine.close()
            self.process.kill()
            return
        self.sock = mine

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
        self.queue.append(relay.flush_message(first, last, epoch, tail))
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
        self._let_go()
        if self.process is not None:
            try:
                await asyncio.get_running_loop().run_in_executor(None, self.process.wait, START)
            except subprocess.TimeoutExpired:
                self.process.kill()
