"""Every kind of wait a task can be in, one task each, named (issue 17): asyncio's
Lock/Event/Queue/Semaphore/Condition, a subprocess (communicate and wait), streams, a
socket, a plain future, to_thread/run_in_executor, another task; and tasks made by plain
callbacks (call_soon, call_later), outside any task."""

import asyncio
import concurrent.futures
import socket
import sys
import time
from typing import Any

SLEEP = 0.05
CHILD = "import time; time.sleep(0.1); print(1)"


def later(callback: Any, *args: Any) -> None:
    asyncio.get_running_loop().call_later(SLEEP, callback, *args)


def made_by(name: str, coro: Any) -> "asyncio.Task[Any]":
    return asyncio.create_task(coro, name=name)


# Each waiter surely waits: whatever frees it is set up by its side before it waits.
async def holder(lock: asyncio.Lock) -> None:
    async with lock:
        waiters = [made_by("lock_waiter", lock_waiter(lock)),
                   made_by("lock_acquirer", lock_acquirer(lock))]
        await asyncio.sleep(SLEEP)
    await asyncio.gather(*waiters)


async def lock_waiter(lock: asyncio.Lock) -> None:
    async with lock:
        pass


async def lock_acquirer(lock: asyncio.Lock) -> None:
    await lock.acquire()
    lock.release()


async def event_waiter(event: asyncio.Event) -> None:
    later(event.set)
    await event.wait()


async def queue_getter(queue: "asyncio.Queue[int]") -> int:
    later(queue.put_nowait, 1)
    return await queue.get()


async def sem_waiter(sem: asyncio.Semaphore) -> None:
    await sem.acquire()
    later(sem.release)
    async with sem:
        pass


async def cond_waiter(cond: asyncio.Condition) -> None:
    async with cond:
        notifier = made_by("cond_notifier", cond_notifier(cond))
        await cond.wait()
    await notifier


async def cond_notifier(cond: asyncio.Condition) -> None:
    async with cond:  # free: the waiter's wait() released it
        cond.notify_all()


async def cond_holder(cond: asyncio.Condition) -> None:
    async with cond:
        locker = made_by("cond_locker", cond_locker(cond))
        await asyncio.sleep(SLEEP)
    await locker


async def cond_locker(cond: asyncio.Condition) -> None:
    async with cond:
        pass


async def sub_communicate() -> bytes:
    proc = await asyncio.create_subprocess_exec(sys.executable, "-c", CHILD,
                                                stdout=asyncio.subprocess.PIPE)
    out, _ = await proc.communicate()
    return out


async def sub_wait() -> int:
    proc = await asyncio.create_subprocess_exec(sys.executable, "-c", CHILD,
                                                stdout=asyncio.subprocess.DEVNULL)
    return await proc.wait()


async def stream_reader(port: int) -> bytes:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"x" * 10)
    await writer.drain()
    line = await reader.readline()
    writer.close()
    await writer.wait_closed()
    return line


async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await reader.read(10)
    await asyncio.sleep(SLEEP)
    writer.write(b"hello\n")
    await writer.drain()
    writer.close()


async def sock_reader(sock: socket.socket, other: socket.socket) -> bytes:
    later(other.send, b"data")
    return await asyncio.get_running_loop().sock_recv(sock, 10)


async def future_waiter() -> int:
    loop = asyncio.get_running_loop()
    future = loop.create_future()
    loop.call_later(SLEEP, future.set_result, 1)
    return await future


def blocking() -> None:
    time.sleep(SLEEP)


async def offload() -> None:
    await asyncio.to_thread(blocking)
    await asyncio.get_running_loop().run_in_executor(None, blocking)


async def cancelled_offload() -> None:
    """Its second call is cancelled while the only worker runs the first: never run."""
    loop = asyncio.get_running_loop()
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        first = loop.run_in_executor(pool, blocking)
        loop.run_in_executor(pool, blocking).cancel()
        await first


async def group_owner() -> None:  # 3.11+
    async with asyncio.TaskGroup() as group:
        group.create_task(asyncio.sleep(SLEEP))


async def task_awaiter(task: "asyncio.Task[None]") -> None:
    await task


async def fails() -> None:
    await asyncio.sleep(0)
    raise KeyError("retrieved by main")


async def spawned() -> None:
    await asyncio.sleep(0)


def spawn(made: "list[asyncio.Future[None]]") -> None:  # a plain callback makes a task
    made.append(asyncio.ensure_future(spawned()))


async def main() -> None:
    made: list[asyncio.Future[None]] = []
    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    left, right = socket.socketpair()
    left.setblocking(False)
    loop = asyncio.get_running_loop()
    loop.call_soon(spawn, made)
    loop.call_later(0.001, spawn, made)
    sleeper = made_by("sleeper", asyncio.sleep(SLEEP))
    queue: asyncio.Queue[int] = asyncio.Queue()
    tasks = [made_by(coro.__name__, coro) for coro in (
        holder(asyncio.Lock()), event_waiter(asyncio.Event()), queue_getter(queue),
        sem_waiter(asyncio.Semaphore(1)), cond_waiter(asyncio.Condition()),
        cond_holder(asyncio.Condition()), sub_communicate(), sub_wait(),
        stream_reader(port), sock_reader(left, right), future_waiter(), offload(),
        cancelled_offload(),
        task_awaiter(sleeper))]
    if sys.version_info >= (3, 11):
        tasks.append(made_by("group_owner", group_owner()))
    await asyncio.gather(*tasks)
    await asyncio.gather(*made)
    try:
        await made_by("fails", fails())
    except KeyError:
        pass
    server.close()
    await server.wait_closed()
    left.close()
    right.close()
    print("done", len(made))


asyncio.run(main())
