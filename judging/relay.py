"""The audience's relay: a process of its own that holds the scoreboards' connections.

A hall's thousand screens cost the server a thousand socket writes for every paced update,
on the event loop and under the GIL that the judges' acknowledgements need too. With
``Limits.relay`` the server welcomes a scoreboard as before (hello, snapshot or resume), then
hands its socket over to this process (``SCM_RIGHTS`` on a Unix socket pair) and sends here,
once per paced update, the frames every scoreboard gets; this process writes them, each
viewer's seq kept contiguous as the server would (judging/audience.py), on another core.

The server's messages, one datagram each (``SOCK_SEQPACKET``):
- ``V`` + the viewer's seq in ASCII, with the socket's descriptor: a viewer to take over;
- ``F`` + first and last seq (8 bytes each) + the epoch's length (1 byte) and the epoch + the
  last event's framed update: the events from ``first`` to ``last`` for every viewer.
End of file (the server stopped, or died) ends this process, its viewers' connections aborted:
they reconnect to the next server. A viewer that asks anything (a snapshot) is sent to the
server to get it: its connection is closed with 1012 (service restart), and it reconnects.
"""

from __future__ import annotations

import asyncio
import signal
import socket
import struct
import sys

from judging import eventloop, fanout
from judging.protocol import MAX_FRAME
from judging.watchdog import set_name

SPAN = struct.Struct("!QQB")  # first, last, length of the epoch
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

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
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
        """Client frames (RFC 6455, masked): pings answered, a close returned, anything else
        (a request for a snapshot) sent back to the server."""
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
                self.write(_close_frame(1009))
                if self.transport is not None:
                    self.transport.close()
                self.buf.clear()
                return
            masked = self.buf[1] & 0x80
            end = head + (4 if masked else 0) + n
            if len(self.buf) < end:
                return
            key = self.buf[head : head + 4] if masked else b"\0\0\0\0"
            payload = bytes(b ^ key[i % 4] for i, b in enumerate(self.buf[end - n : end]))
            opcode = self.buf[0] & 0x0F
            del self.buf[:end]
            if opcode == 0x9:  # ping: pong, with its payload
                self.write(fanout.control_frame(0xA, payload))
            elif opcode == 0xA:
                continue
            else:  # a close, or a request only the server can answer
                self.write(_close_frame(1000 if opcode == 0x8 else 1012))
                if self.transport is not None:
                    self.transport.close()
                return

    def connection_lost(self, exc: Exception | None) -> None:
        self.relay.viewers.discard(self)


class Relay:
    def __init__(self, channel: socket.socket):
        self.channel = channel
        self.viewers: set[Viewer] = set()
        self.done = asyncio.get_running_loop().create_future()
        self.buf = bytearray(MAX_MESSAGE)  # read into, not allocated per message

    def on_channel(self) -> None:
        while True:
            try:
                n, ancillary, flags, _ = self.channel.recvmsg_into([self.buf], socket.CMSG_SPACE(4))
            except BlockingIOError:
                return
            except OSError:
                n, ancillary, flags = 0, [], 0
            fds = [int.from_bytes(data[i : i + 4], sys.byteorder) for _, _, data in ancillary for i in range(0, len(data) - 3, 4)]
            if not n or flags & socket.MSG_TRUNC:
                self.stop()  # the server is gone (or spoke past what this reads): viewers reconnect
                return
            msg = bytes(self.buf[:n])
            if msg[:1] == b"V":
                for fd in fds:
                    self.take(socket.socket(fileno=fd), int(msg[1:]))
            elif msg[:1] == b"F":
                first, last, n = SPAN.unpack_from(msg, 1)
                at = 1 + SPAN.size
                self.flush(first, last, msg[at : at + n].decode(), msg[at + n :])

    def take(self, sock: socket.socket, seq: int) -> None:
        viewer = Viewer(self, seq)
        self.viewers.add(viewer)  # now: the next flush must reach it, made or not
        made = asyncio.ensure_future(asyncio.get_running_loop().connect_accepted_socket(lambda: viewer, sock))
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

    def stop(self) -> None:
        for viewer in list(self.viewers):
            if viewer.transport is not None:
                viewer.transport.abort()
        if not self.done.done():
            self.done.set_result(None)


async def serve(fd: int) -> None:
    channel = socket.socket(fileno=fd)
    channel.setblocking(False)
    relay = Relay(channel)
    asyncio.get_running_loop().add_reader(channel, relay.on_channel)
    try:
        channel.send(b"R")  # ready: the server hands viewers over from now on
    except OSError:
        return  # the server (a standby, say) stopped while this process was starting
    await relay.done


if __name__ == "__main__":
    # Started in a session of its own (judging/relay_link.py), and deaf to Ctrl+C besides:
    # the server stops this process (its channel closes) once it has stopped itself.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    set_name(b"judging-relay")
    eventloop.run(serve(int(sys.argv[1])))
