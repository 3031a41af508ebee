"""uvicorn's way to stop: its own handler captures SIGINT, it shuts down gracefully, puts
back the handler it found (asyncio.Runner's, here a flag) and raises the captured signal at
itself; then it exits 0."""
import signal
import time

stopping: list[int] = []
signal.signal(signal.SIGINT, lambda signum, frame: stopping.append(signum))
captured: list[int] = []
runner_handler = signal.signal(signal.SIGINT, lambda signum, frame: captured.append(signum))
print("ready", flush=True)
deadline = time.monotonic() + 20
while not captured and time.monotonic() < deadline:
    time.sleep(0.01)
time.sleep(0.2)  # the graceful shutdown
signal.signal(signal.SIGINT, runner_handler)
for signum in captured:
    signal.raise_signal(signum)
print("captured", len(captured), "stopping", len(stopping), flush=True)
