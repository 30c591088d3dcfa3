"""Many /console Socket.IO clients in one asyncio process, for benchmarks/push.py.

A client speaks just enough of the protocols to be a console: the websocket handshake with the
session cookie, frames (masked out, unmasked in), Engine.IO 4 (open, ping/pong) and Socket.IO 5
(connect to /console, events), and sends console.js's heartbeat every 20 s. It stamps each
event with time.time() as soon as its frame is read; nothing else runs in the process, so the
clients cost little beside the servers they measure (python-socketio's AsyncClient needs
aiohttp, which is not installed; its threaded Client needs two threads per connection).

    python benchmarks/_push_clients.py HOST PORT COUNT < cookies-and-commands

stdin: first line a JSON list of cookies (client i uses cookies[i % len]); then commands, one a
line: "dump" (print the events heard since the last dump as one JSON line), "quit".
stdout: "ready <connected> <failed>" once every client has connected or failed, then a JSON
line per dump: {"events": [[client, name, key, seq, t], ...], "closed": [client, ...]}.
"""
from __future__ import annotations

import asyncio
import base64
import json
import os
import random
import struct
import sys
import time

NAMESPACE = "/console"
PREFIX = f"42{NAMESPACE},"
HEARTBEAT_SECONDS = float(os.environ.get("PUSH_HEARTBEAT", "20"))  # console.js; 0: none
CONNECT_AT_ONCE = 25


def _frame(op: int, payload: bytes) -> bytes:
    """A masked client frame (RFC 6455: a client masks everything it sends)."""
    n = len(payload)
    if n < 126:
        head = struct.pack("!BB", 0x80 | op, 0x80 | n)
    elif n < 65536:
        head = struct.pack("!BBH", 0x80 | op, 0x80 | 126, n)
    else:
        head = struct.pack("!BBQ", 0x80 | op, 0x80 | 127, n)
    mask = os.urandom(4)
    if n:
        repeated = (mask * (n // 4 + 1))[:n]
        payload = (int.from_bytes(payload, "big") ^ int.from_bytes(repeated, "big")).to_bytes(n, "big")
    return head + mask + payload


async def _read_frame(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    data, first_op = b"", None
    while True:
        b0, b1 = await reader.readexactly(2)
        op, n = b0 & 0x0F, b1 & 0x7F
        if n == 126:
            (n,) = struct.unpack("!H", await reader.readexactly(2))
        elif n == 127:
            (n,) = struct.unpack("!Q", await reader.readexactly(8))
        if b1 & 0x80:  # a server must not mask; unmask anyway
            mask = await reader.readexactly(4)
            raw = await reader.readexactly(n)
            chunk = bytes(c ^ mask[i % 4] for i, c in enumerate(raw))
        else:
            chunk = await reader.readexactly(n)
        if op >= 8:  # control frames may come between the fragments of a message
            return op, chunk
        first_op = op if first_op is None else first_op
        data += chunk
        if b0 & 0x80:
            return first_op, data


class Clients:
    def __init__(self, host: str, port: int, count: int, cookies: list[str]):
        self.host, self.port, self.count, self.cookies = host, port, count, cookies
        self.events: list = []
        self.closed: list[int] = []
        self.connected = 0
        self.failed = 0
        self.writers: list[asyncio.StreamWriter] = []

    async def run_one(self, i: int, gate: asyncio.Semaphore, done: asyncio.Event) -> None:
        hello = asyncio.get_running_loop().create_future()
        try:
            async with gate:
                reader, writer = await asyncio.open_connection(self.host, self.port, limit=2 ** 20)
                self.writers.append(writer)
                key = base64.b64encode(os.urandom(16)).decode()
                writer.write((f"GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\n"
                              f"Host: {self.host}:{self.port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                              f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
                              f"Cookie: {self.cookies[i % len(self.cookies)]}\r\n\r\n").encode())
                head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 30)
                if b" 101 " not in head.split(b"\r\n", 1)[0]:
                    raise ConnectionError(head.split(b"\r\n", 1)[0].decode())
                listening = asyncio.create_task(self.listen(i, reader, writer, hello))
                await asyncio.wait_for(asyncio.shield(hello), 30)
        except Exception as exc:  # noqa: BLE001 - counted and reported
            self.failed += 1
            print(f"client {i}: {type(exc).__name__}: {exc}", file=sys.stderr)
            if self.connected + self.failed == self.count:
                done.set()
            return
        self.connected += 1
        if self.connected + self.failed == self.count:
            done.set()
        if not HEARTBEAT_SECONDS:
            return
        await asyncio.sleep(random.uniform(0, HEARTBEAT_SECONDS))
        while not listening.done():
            try:
                writer.write(_frame(1, f'{PREFIX}["console_alive"]'.encode()))
            except Exception:  # noqa: BLE001 - the listener reports the close
                return
            await asyncio.sleep(HEARTBEAT_SECONDS)

    async def listen(self, i: int, reader, writer, hello: asyncio.Future) -> None:
        events = self.events
        try:
            while True:
                op, data = await _read_frame(reader)
                t = time.time()
                if op == 1:
                    if data.startswith(b"42"):
                        name, body = json.loads(data[len(PREFIX):])
                        if name == "hello":
                            if not hello.done():
                                hello.set_result(True)
                            continue
                        key = body.get("marker", body.get("ticket_id")) if isinstance(body, dict) else None
                        seq = body.get("seq") if isinstance(body, dict) else None
                        events.append((i, name, key, seq, t, body.get("subject") or body.get("reference")))
                    elif data == b"2":  # Engine.IO ping
                        writer.write(_frame(1, b"3"))
                    elif data.startswith(b"0"):  # Engine.IO open: join the namespace
                        writer.write(_frame(1, f"40{NAMESPACE},".encode()))
                    elif data.startswith(b"44"):
                        raise ConnectionRefusedError(data.decode())
                elif op == 9:
                    writer.write(_frame(10, data))
                elif op == 8:
                    raise ConnectionResetError("closed by the server")
        except Exception as exc:  # noqa: BLE001
            if not hello.done():
                hello.set_exception(exc)
            elif not getattr(self, "quitting", False):
                self.closed.append(i)
                print(f"client {i} lost: {type(exc).__name__}: {exc}", file=sys.stderr)

    async def main(self) -> None:
        gate, done = asyncio.Semaphore(CONNECT_AT_ONCE), asyncio.Event()
        tasks = [asyncio.create_task(self.run_one(i, gate, done)) for i in range(self.count)]
        await done.wait()
        print(f"ready {self.connected} {self.failed}", flush=True)
        loop = asyncio.get_running_loop()
        while True:
            line = (await loop.run_in_executor(None, sys.stdin.readline)).strip()
            if line == "dump":
                events, self.events = self.events, []
                print(json.dumps({"events": events, "closed": self.closed}), flush=True)
            elif line in ("quit", ""):
                self.quitting = True
                for w in self.writers:
                    w.close()
                for t in tasks:
                    t.cancel()
                return


if __name__ == "__main__":
    host, port, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    cookies = json.loads(sys.stdin.readline())
    asyncio.run(Clients(host, port, count, cookies).main())
