"""A lean websocket client for load generation: asyncio Protocol, no library on the hot path.

The load generator must not be the bottleneck it measures: a thousand full client objects
would cost more CPU than the server they load. This one does the handshake, answers pings,
splits frames and hands each text payload (bytes) to a callback. Client frames use the
all-zero mask key (RFC 6455 allows any key; zero keeps the payload as is).
Run by hand, through bench_live.py; not a test.
"""

from __future__ import annotations

import asyncio
import base64
import os
import struct
from typing import Callable


def client_frame(payload: bytes, opcode: int = 1) -> bytes:
    n = len(payload)
    if n < 126:
        head = bytes((0x80 | opcode, 0x80 | n))
    elif n < 1 << 16:
        head = struct.pack("!BBH", 0x80 | opcode, 0x80 | 126, n)
    else:
        head = struct.pack("!BBQ", 0x80 | opcode, 0x80 | 127, n)
    return head + b"\0\0\0\0" + payload


class WS(asyncio.Protocol):
    def __init__(self, host: str, port: int, token: str | None, on_text: Callable[[bytes], None], skim: Callable[[bytes], None] | None = None):
        self.host, self.port, self.token = host, port, token
        self.on_text = on_text
        self.skim = skim  # when set, raw chunks go here unsplit (throughput runs: no per-frame cost)
        self.buf = bytearray()
        self.open = asyncio.get_running_loop().create_future()
        self.closed = asyncio.get_running_loop().create_future()
        self.handshaken = False
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport) -> None:  # type: ignore[override]
        self.transport = transport
        key = base64.b64encode(os.urandom(16)).decode()
        auth = f"Authorization: Bearer {self.token}\r\n" if self.token else ""
        transport.write(
            (
                f"GET / HTTP/1.1\r\nHost: {self.host}:{self.port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n{auth}\r\n"
            ).encode()
        )

    def connection_lost(self, exc) -> None:  # type: ignore[override]
        if not self.open.done():
            self.open.set_exception(ConnectionError("closed before the upgrade"))
        if not self.closed.done():
            self.closed.set_result(None)

    def send_text(self, text: str | bytes) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(client_frame(text.encode() if isinstance(text, str) else text))

    def data_received(self, data: bytes) -> None:  # type: ignore[override]
        if not self.handshaken:
            self.buf += data
            end = self.buf.find(b"\r\n\r\n")
            if end < 0:
                return
            if b" 101 " not in self.buf[: self.buf.find(b"\r\n")]:
                self.open.set_exception(ConnectionError(bytes(self.buf[:40]).decode(errors="replace")))
                self.transport.close()  # type: ignore[union-attr]
                return
            data = bytes(self.buf[end + 4 :])
            self.buf.clear()
            self.handshaken = True
            self.open.set_result(None)
            if not data:
                return
        if self.skim is not None:
            self.skim(data)
            return
        buf = self.buf
        buf += data
        pos, n = 0, len(buf)
        while n - pos >= 2:
            b0, b1 = buf[pos], buf[pos + 1] & 0x7F
            if b1 < 126:
                start, length = pos + 2, b1
            elif b1 == 126:
                if n - pos < 4:
                    break
                start, length = pos + 4, (buf[pos + 2] << 8) | buf[pos + 3]
            else:
                if n - pos < 10:
                    break
                start, length = pos + 10, int.from_bytes(buf[pos + 2 : pos + 10], "big")
            end = start + length
            if end > n:
                break
            opcode = b0 & 0x0F
            if opcode == 1:
                self.on_text(bytes(buf[start:end]))
            elif opcode == 9:  # ping: pong with the same payload
                self.transport.write(client_frame(bytes(buf[start:end]), 0xA))  # type: ignore[union-attr]
            elif opcode == 8:
                self.transport.close()  # type: ignore[union-attr]
            pos = end
        del buf[:pos]

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()


async def connect(host: str, port: int, token: str | None, on_text: Callable[[bytes], None], hello: bool = True, **kw) -> WS:
    loop = asyncio.get_running_loop()
    _, proto = await loop.create_connection(lambda: WS(host, port, token, on_text, **kw), host, port)
    async with asyncio.timeout(10):
        await proto.open
    if hello:
        proto.send_text(b'{"type":"hello","protocol":1,"client":"bench"}')
    return proto


def seq_of(payload: bytes) -> int:
    i = payload.find(b'"seq":') + 6
    j = i
    while 48 <= payload[j] <= 57:
        j += 1
    return int(payload[i:j])
