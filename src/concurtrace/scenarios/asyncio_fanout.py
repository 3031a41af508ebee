"""A fan-out of HTTP-like requests over loopback: a server and a client in one script,
standard library only.

What it demonstrates: asyncio.start_server on 127.0.0.1 answers each request after a
20 ms "database" await; the client sends 50 requests at once (asyncio.gather), each on
its own connection (asyncio.open_connection), and measures the latency.

What to look for:
- One track per task under MainThread: 50 "request" tasks (client) and 50
  "handle_client" tasks (server), each "awaiting stream read" while the other side works.
- The summary's asyncio section: ~100 tasks, peak concurrency, "stream read" awaits,
  and no loop block (nothing synchronous runs long).
"""

import asyncio
import time

EXPECT = {
    "exit_code": 0,
    "processes": [{"name": "MainProcess", "parent": None, "exit_code": 0}],
    "no_findings": ["event_loop_blocked", "task_exception_unretrieved"],
}

REQUESTS = 50


async def handle_client(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    line = await reader.readline()
    await asyncio.sleep(0.02)  # the "database"
    body = line.decode().split()[1].encode()
    writer.write(b"HTTP/1.0 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))
    await writer.drain()
    writer.close()
    await writer.wait_closed()


async def request(port: int, n: int) -> float:
    start = time.monotonic()
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(f"GET /item/{n} HTTP/1.0\r\n\r\n".encode())
    await writer.drain()
    response = await reader.read()
    writer.close()
    await writer.wait_closed()
    assert response.endswith(f"/item/{n}".encode()), response
    return time.monotonic() - start


async def main() -> None:
    server = await asyncio.start_server(handle_client, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with server:
        latencies = sorted(await asyncio.gather(*(request(port, n) for n in range(REQUESTS))))
    print(f"{REQUESTS} requests, p50 {latencies[REQUESTS // 2] * 1000:.0f} ms", flush=True)


if __name__ == "__main__":
    asyncio.run(main())
