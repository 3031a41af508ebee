"""A stream server's handler still waits when main() returns (asyncio.run cancels it): its
task is made by asyncio's own StreamReaderProtocol.connection_made, a loop callback. Its
finding said "created at asyncio_handler_pending.py:<the asyncio.run line>"."""

import asyncio


async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await asyncio.sleep(10)


async def main() -> None:
    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    _reader, writer = await asyncio.open_connection("127.0.0.1", port)
    await asyncio.sleep(0.05)
    print("main returns")
    writer.close()


asyncio.run(main())
