"""Reading a kernel stack: preempted at a syscall exit, or not."""

from __future__ import annotations

import pytest

from concurtrace.sampler.kstack import frame_names, preempted_at_syscall_exit


def _stack(*frames: str) -> bytes:
    return b"".join(f"[<0>] {f}+0x10/0x80\n".encode() for f in frames)


@pytest.mark.parametrize(
    "frames",
    [
        # Linux 6.x x86_64, as read on the development machine (6.18)
        ("exit_to_user_mode_loop", "do_syscall_64", "entry_SYSCALL_64_after_hwframe"),
        # 5.x x86_64
        ("exit_to_user_mode_prepare", "syscall_exit_to_user_mode", "do_syscall_64",
         "entry_SYSCALL_64_after_hwframe"),
        # 4.x x86_64
        ("exit_to_usermode_loop", "do_syscall_64", "entry_SYSCALL_64_after_hwframe"),
        # arm64
        ("do_notify_resume", "el0_svc", "el0t_64_sync_handler", "el0t_64_sync"),
    ],
)
def test_preempted_returning_from_a_syscall(frames: tuple[str, ...]) -> None:
    assert preempted_at_syscall_exit(_stack(*frames))


@pytest.mark.parametrize(
    "frames",
    [
        (),  # on a CPU: the kernel shows no stack for a running task
        # preempted in user code by a timer tick or a reschedule IPI
        ("irqentry_exit_to_user_mode", "asm_sysvec_apic_timer_interrupt"),
        ("irqentry_exit_to_user_mode", "asm_sysvec_reschedule_ipi"),
        ("do_notify_resume", "el0_interrupt", "el0t_64_irq_handler"),
        # woken from a futex wait or a sleep, not yet run: still in the syscall
        ("futex_do_wait", "__futex_wait", "futex_wait", "do_futex", "__x64_sys_futex",
         "do_syscall_64", "entry_SYSCALL_64_after_hwframe"),
        ("hrtimer_nanosleep", "common_nsleep", "__x64_sys_clock_nanosleep", "do_syscall_64"),
        # a kernel thread-like stack without a syscall entry
        ("exit_to_user_mode_loop", "ret_from_fork"),
    ],
)
def test_anything_else_says_nothing(frames: tuple[str, ...]) -> None:
    assert not preempted_at_syscall_exit(_stack(*frames))


def test_garbage_says_nothing() -> None:
    assert not preempted_at_syscall_exit(b"\x00\xff garbage\n\n[<0>]\n")
    assert frame_names(_stack("a", "b")) == [b"a", b"b"]
