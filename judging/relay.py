"""The audience's relay: a process of its own that holds the scoreboards' connections.

A hall's thousand screens cost the server a thousand socket writes for every paced update,
on the event loop and under the GIL that the judges' acknowledgements need too. With
``Limits.relay`` the server welcomes a scoreboard as before (hello, snapshot or resume), then
hands its socket over to this process (``SCM_RIGHTS`` on a Unix socket) and sends here,
once per paced update, the frames every scoreboard gets; this process writes them, each
viewer's seq kept contiguous as the server would (judging/audience.py), on another core.

A server connects to the relay's listening socket (``SOCK_SEQPACKET``, abstract, only for
processes of the relay's own user) and is told what the relay holds: ``R`` + the lowest and
highest seq its viewers hold and how many there are (8 bytes each) + the lineage they follow.
Then its messages, one datagram each:
- ``V`` + the viewer's seq in ASCII, with the socket's descriptor: a viewer to take over;
- ``F`` + first and last seq (8 bytes each) + the epoch's length (1 byte) and the epoch + the
  last event's framed update: the events from ``first`` to ``last`` for every viewer;
- ``D``: drop every viewer (they reconnect, and are sent a snapshot);
- ``L`` + a lineage: the viewers follow it from now on;
- ``W`` + frames: written to every viewer as they are (the welcome of a new server);
- ``Q``: the server stops; so does this process, its viewers' connections aborted.

Started by one server (``judging serve`` without the watchdog), the relay ends with that
server's connection. Started by the watchdog (``--linger``), it outlives a server that dies: its
viewers stay connected, and the server that takes over (the standby) is told what they hold,
welcomes them again and sends them what they missed; they never reconnect. If none does
within ``--linger`` seconds, it lets its viewers go to reconnect, and goes on waiting.

A viewer's messages are answered as the server answers them: with an error, as a scoreboard
may send nothing but a request for a snapshot. That one only the server can answer: the
connection is closed with 1012 (service restart), and the viewer reconnects and resumes.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import socket
import struct
import sys

from judging import eventloop, fanout, protocol
from judging.protocol import MAX_FRAME
from judging.watchdog import die_with, set_name

SPAN = struct.Struct("!QQB")  # first, last, length of the epoch
HELD = struct.Struct("!QQQ")  # the viewers' lowest seq, their highest, how many
PEERCRED = struct.Struct("3i")  # pid, uid, gid
MAX_MESSAGE = 1 << 22  # bytes of one message from the server at most (a flush's update)
BUDGET = 256 * 4096  # bytes a viewer may have unsent before it is cut off (Limits.queue's)


def flush_message(first: int, last: int, epoch: str, tail: bytes) -> bytes:
    e = epoch.encode()
    return b"F" + SPAN.pack(first, last, len(e)) + e + tail


def _close_frame(code: int) -> bytes:
    return bytes((0x88, 2)) + code.to_bytes(2, "big")


class Viewer(asyncio.Protocol):
    def __init__(self, relay: Relay, seq: int):
        self.relay, self.seq = relay, seq
        self.transport: asyncio.Transport | None = None
        self.pending: list[bytes] = []  # written before the transport is made
        self.buf = bytearray()
        self.dropped = False  # let go before its transport was made

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        if self.dropped:
            transport.abort()
            return
        for data in self.pending:
            self.write(data)
        self.pending.clear()

    def write(self, data: bytes) -> None:
        if self.transport is None:
            self.pending.append(data)
        elif self.transport.get_write_buffer_size() > BUDGET:
            self.transport.abort()  # too slow: it reconnects and resumes
        else:
            self.transport.write(data)

    def data_received(self, data: bytes) -> None:
        """Client frames (RFC 6455, masked): pings answered, a close returned, a message
        answered as the server would (``answer``)."""
        self.buf += data
        while len(self.buf) >= 2:
            n, head = self.buf[1] & 0x7F, 2
            if n == 126:
                if len(self.buf) < 4:
                    return
                n, head = int.from_bytes(self.buf[2:4], "big"), 4
            elif n == 127:
                if len(self.buf) < 10:
                    return
                n, head = int.from_bytes(self.buf[2:10], "big"), 10
            if n > MAX_FRAME:  # nothing a scoreboard says is this long: as the server would, close
                self.close(1009)
                self.buf.clear()
                return
            masked = self.buf[1] & 0x80
            end = head + (4 if masked else 0) + n
            if len(self.buf) < end:
                return
            key = self.buf[head : head + 4] if masked else b"\0\0\0\0"
            payload = bytes(b ^ key[i % 4] for i, b in enumerate(self.buf[end - n : end]))
            first = self.buf[0]
            del self.buf[:end]
            opcode = first & 0x0F
            if opcode == 0x9:  # ping: pong, with its payload
                self.write(fanout.control_frame(0xA, payload))
            elif opcode == 0xA:
                continue
            elif opcode in (0x1, 0x2) and first & 0x80:  # a whole message
                if not self.answer(opcode, payload):
                    return
            else:  # a close, or a fragment (nothing a scoreboard sends)
                self.close(1000 if opcode == 0x8 else 1012)
                return

    def answer(self, opcode: int, payload: bytes) -> bool:
        """A scoreboard's message, answered as the server answers it; False if its connection
        is closed for it (a request for a snapshot, which only the server can answer)."""
        if opcode == 0x1:
            try:
                frame: str | bytes = payload.decode()
            except UnicodeDecodeError:
                self.close(1007)  # not UTF-8: as the server's websockets would
                return False
        else:
            frame = payload
        try:
            msg = protocol.decode(frame)
        except protocol.ProtocolError as e:
            error = protocol.Error(e.code, e.message, e.ref)
        else:
            if isinstance(msg, protocol.SnapshotRequest):
                self.close(1012)
                return False
            error = protocol.refusal("viewer", msg)
        self.write(fanout.frame(protocol.encode(error)))
        return True

    def close(self, code: int) -> None:
        self.write(_close_frame(code))
        if self.transport is not None:
            self.transport.close()

    def connection_lost(self, exc: Exception | None) -> None:
        self.relay.viewers.discard(self)


class Relay:
    def __init__(self, listener: socket.socket, linger: float | None):
        """``linger``: seconds to hold the viewers for the next server once one is gone;
        None: the relay is one server's, and ends with it."""
        self.listener, self.linger = listener, linger
        self.channel: socket.socket | None = None  # the server's connection
        self.lineage = b""
        self.viewers: set[Viewer] = set()
        self.loop = asyncio.get_running_loop()
        self.done = self.loop.create_future()
        self.buf = bytearray(MAX_MESSAGE)  # read into, not allocated per message
        self.orphaned: asyncio.TimerHandle | None = None  # while no server holds the viewers

    def on_listener(self) -> None:
        try:
            conn, _ = self.listener.accept()
        except OSError:
            return
        _, uid, _ = PEERCRED.unpack(conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, PEERCRED.size))
        if uid != os.getuid():  # an abstract socket has no file mode: anyone could connect
            conn.close()
            return
        if self.linger is None:  # one server's: nobody else is to connect
            self.loop.remove_reader(self.listener)
            self.listener.close()
        conn.setblocking(False)
        if self.channel is not None:
            # The server before (killed): what it sent before it died still counts.
            old, self.channel = self.channel, None
            self.loop.remove_reader(old)
            self.read(old)
            old.close()
        if self.done.done():
            conn.close()
            return
        if self.orphaned is not None:
            self.orphaned.cancel()
            self.orphaned = None
        seqs = [v.seq for v in self.viewers]
        try:
            conn.send(b"R" + HELD.pack(min(seqs, default=0), max(seqs, default=0), len(seqs)) + self.lineage)
        except OSError:  # gone already (a standby stopped as it started)
            conn.close()
            self.server_gone()
            return
        self.channel = conn
        self.loop.add_reader(conn, self.on_channel)

    def on_channel(self) -> None:
        channel = self.channel
        if channel is not None and not self.read(channel):
            self.loop.remove_reader(channel)
            channel.close()
            self.channel = None
            self.server_gone()

    def read(self, channel: socket.socket) -> bool:
        """Do what the server has sent; False once it is gone (or asked this process to stop)."""
        while True:
            try:
                n, ancillary, flags, _ = channel.recvmsg_into([self.buf], socket.CMSG_SPACE(4))
            except BlockingIOError:
                return True
            except OSError:
                n, ancillary, flags = 0, [], 0
            fds = [int.from_bytes(data[i : i + 4], sys.byteorder) for _, _, data in ancillary for i in range(0, len(data) - 3, 4)]
            if not n or flags & socket.MSG_TRUNC:
                return False  # the server is gone (or spoke past what this reads)
            msg = bytes(self.buf[:n])
            kind = msg[:1]
            if kind == b"V":
                for fd in fds:
                    self.take(socket.socket(fileno=fd), int(msg[1:]))
            elif kind == b"F":
                first, last, n = SPAN.unpack_from(msg, 1)
                at = 1 + SPAN.size
                self.flush(first, last, msg[at : at + n].decode(), msg[at + n :])
            elif kind == b"W":
                for viewer in list(self.viewers):
                    viewer.write(msg[1:])
            elif kind == b"L":
                self.lineage = msg[1:]
            elif kind == b"D":
                self.drop()
            elif kind == b"Q":
                self.stop()
                return False

    def server_gone(self) -> None:
        if self.linger is None:
            self.stop()
        elif not self.done.done() and self.orphaned is None:
            self.orphaned = self.loop.call_later(self.linger, self.drop)

    def take(self, sock: socket.socket, seq: int) -> None:
        viewer = Viewer(self, seq)
        self.viewers.add(viewer)  # now: the next flush must reach it, made or not
        made = asyncio.ensure_future(self.loop.connect_accepted_socket(lambda: viewer, sock))
        made.add_done_callback(lambda f: f.cancelled() or f.exception() is None or self.viewers.discard(viewer))

    def flush(self, first: int, last: int, epoch: str, tail: bytes) -> None:
        """As AudienceLane.take does: an empty update for each event a viewer has not had
        but the last, then the last's."""
        shared = fanout.empty_updates(epoch, first, last) + tail
        for viewer in list(self.viewers):
            if viewer.seq >= last:
                continue
            viewer.write(shared if viewer.seq < first else fanout.empty_updates(epoch, viewer.seq + 1, last) + tail)
            viewer.seq = last

    def drop(self) -> None:
        """Let every viewer go: each reconnects to a server."""
        self.orphaned = None
        for viewer in list(self.viewers):
            viewer.dropped = True
            if viewer.transport is not None:
                viewer.transport.abort()
        self.viewers.clear()
        self.lineage = b""

    def stop(self) -> None:
        self.drop()
        if not self.done.done():
            self.done.set_result(None)


async def serve(listener: socket.socket, linger: float | None) -> None:
    listener.setblocking(False)
    relay = Relay(listener, linger)
    relay.loop.add_reader(listener, relay.on_listener)
    await relay.done


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m judging.relay")
    ap.add_argument("listener", type=int, help="descriptor of the listening socket")
    ap.add_argument("--linger", type=float, help="seconds to hold the viewers for the next server")
    ap.add_argument("--parent", type=int, help="the watchdog's pid: this process ends with it")
    args = ap.parse_args(argv)
    if args.parent is not None:
        die_with(args.parent)
    # Started in a session of its own, and deaf to Ctrl+C besides: the server stops this
    # process (``Q``, or its connection closes) once it has stopped itself.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    set_name(b"judging-relay")
    eventloop.run(serve(socket.socket(fileno=args.listener), args.linger))


if __name__ == "__main__":
    main()
