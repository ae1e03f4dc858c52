"""The webhook receiver of W9: a minimal HTTP/1.1 server on asyncio streams (keep-alive, no framework),
run as its own process: `python -m bench.receiver --port P --out FILE`.

It answers every POST with 200 at once and appends one tab-separated line per request to FILE:
`delivery id, received at (Unix time), event, event created_at` (flushed every 50 ms), so the harness
can count deliveries, find duplicates and measure event -> first attempt latency from the same clock.
It prints `ready` once listening. Loopback only.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import signal
import time

RESPONSE = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nok"


class Receiver:
    def __init__(self, out: str) -> None:
        self.out = open(out, "a", buffering=1 << 16)  # noqa: SIM115
        self.pending: list[str] = []

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length, uid = 0, ""
                for line in head.split(b"\r\n")[1:]:
                    name, _, value = line.partition(b":")
                    name = name.strip().lower()
                    if name == b"content-length":
                        length = int(value.strip() or 0)
                    elif name == b"shopkeeper-delivery":
                        uid = value.strip().decode("ascii", "replace")
                body = await reader.readexactly(length) if length else b""
                received = time.time()
                writer.write(RESPONSE)
                try:
                    data = json.loads(body)
                    event, created = str(data.get("event", "")), str(data.get("created_at", ""))
                except ValueError:
                    event, created = "", ""
                self.pending.append(f"{uid}\t{received:.6f}\t{event}\t{created}\n")
                await writer.drain()
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError, ValueError):
            pass
        finally:
            writer.close()

    def flush(self) -> None:
        if self.pending:
            lines, self.pending = self.pending, []
            self.out.write("".join(lines))
            self.out.flush()

    async def flusher(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            self.flush()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), 0.05)
        self.flush()


async def main(port: int, out: str) -> None:
    receiver = Receiver(out)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    server = await asyncio.start_server(receiver.handle, "127.0.0.1", port, backlog=256)
    print("ready", flush=True)
    async with server:
        await receiver.flusher(stop)
    receiver.out.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m bench.receiver")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    asyncio.run(main(args.port, args.out))
