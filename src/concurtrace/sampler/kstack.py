"""Kernel stacks of runnable threads: was a thread preempted on its way out of a syscall?

/proc/P/task/T/syscall says "running" both for a thread on a CPU and for one queued
for it, and cannot say where a queued thread stopped. /proc/P/task/T/stack can, for
root (it needs CAP_SYS_ADMIN) on a kernel with CONFIG_STACKTRACE:
- empty: the thread is on a CPU (the kernel does not unwind a running task);
- the blocking function on top (futex_do_wait, hrtimer_nanosleep...): woken, not yet run;
- an exit-to-user function over the syscall entry: preempted as it returned from a
  syscall. A Python thread that holds the GIL makes almost no syscalls but the futex
  wakes of drop_gil/take_gil, so this is, measured against uprobes, ~95 % of the time
  a thread inside take_gil/drop_gil (bench/README.md);
- an exit-to-user function over an interrupt entry: preempted in user code.
Frame names differ between kernels and architectures, so the test is by name parts;
a stack it does not recognise says nothing.
"""

from __future__ import annotations

import os
import threading

# Set to "0" to sample without kernel stacks (the bench compares both ways).
ENV_SWITCH = "CONCURTRACE_KERNEL_STACKS"

_EXIT_TO_USER = (b"exit_to_user", b"exit_to_usermode", b"do_notify_resume")
_SYSCALL_ENTRY = (b"do_syscall", b"entry_SYSCALL", b"el0_svc", b"syscall_exit")
_INTERRUPT = (b"irqentry", b"sysvec", b"interrupt", b"el0_irq", b"retint", b"apic")


def frame_names(stack: bytes) -> list[bytes]:
    """Function names of a /proc/P/task/T/stack text, innermost first.

    Lines look like "[<0>] exit_to_user_mode_loop+0x1c5/0x2a0"."""
    names = []
    for line in stack.splitlines():
        parts = line.split()
        if len(parts) >= 2:
            names.append(parts[1].split(b"+", 1)[0])
    return names


def preempted_at_syscall_exit(stack: bytes) -> bool:
    """True when the stack shows a thread preempted while returning from a syscall."""
    if not stack:
        return False  # on a CPU
    names = frame_names(stack)
    if not names or not any(part in names[0] for part in _EXIT_TO_USER):
        return False
    if any(part in name for name in names for part in _INTERRUPT):
        return False
    return any(part in name for name in names for part in _SYSCALL_ENTRY)


def stacks_readable() -> bool:
    """Whether this process can read kernel stacks (root) and CONCURTRACE_KERNEL_STACKS
    does not turn them off."""
    if os.environ.get(ENV_SWITCH, "1") == "0":
        return False
    try:
        with open(f"/proc/self/task/{threading.get_native_id()}/stack", "rb") as f:
            f.read(4096)
    except OSError:
        return False
    return True
