"""A loop whose run_forever starts a helper task before it runs (uvloop's C loop creates
the tasks of protocol callbacks with no Python frame between them and asyncio.Runner.run:
a stream handler, each uvicorn request). The helper still sleeps when main() returns and
asyncio.run cancels it. (A task made a few frames under run_until_complete was taken for
asyncio.run's own main task: its pending end went unreported.)"""

import asyncio


async def helper() -> None:
    try:
        await asyncio.sleep(10)
    except asyncio.CancelledError:
        print("helper cancelled")
        raise


class Loop(asyncio.SelectorEventLoop):
    def run_forever(self) -> None:
        if not getattr(self, "helper", None):
            self.helper = self.create_task(helper(), name="helper")
        super().run_forever()


async def main() -> None:
    await asyncio.sleep(0.05)
    print("main returns")


class Policy(asyncio.DefaultEventLoopPolicy):
    def new_event_loop(self) -> asyncio.AbstractEventLoop:
        return Loop()


asyncio.set_event_loop_policy(Policy())  # asyncio.run's loop, 3.10-3.13
asyncio.run(main())
