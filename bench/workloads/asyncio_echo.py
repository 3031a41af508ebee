"""Loopback echo: an asyncio server and client in one process; N requests over C
connections (each a line out, the same line back). Prints LOOP_NS: the request loop's
own wall time and this process's CPU time during it (start-up and tracer save do not
count; the CPU time leaves out the sampler, which runs in concurtrace's own process)."""

import asyncio
import sys
import time


async def echo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    while line := await reader.readline():
        writer.write(line)
        await writer.drain()
    writer.close()


async def client(port: int, requests: int) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    for n in range(requests):
        writer.write(b"ping %d\n" % n)
        await writer.drain()
        assert await reader.readline() == b"ping %d\n" % n
    writer.close()
    await writer.wait_closed()


async def main(requests: int, connections: int) -> None:
    server = await asyncio.start_server(echo, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    start, cpu = time.perf_counter_ns(), time.process_time_ns()
    await asyncio.gather(*(client(port, requests // connections) for _ in range(connections)))
    print("LOOP_NS", time.perf_counter_ns() - start, time.process_time_ns() - cpu, flush=True)
    server.close()
    await server.wait_closed()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 10_000,
                     int(sys.argv[2]) if len(sys.argv) > 2 else 50))
