"""Which signals that concurtrace receives were sent to its whole process group (or cgroup),
so the tree got them already: those are not passed on to the root again, and are recorded
as the outside's for every process of the tree in the group. The sentinel
(runner/group_signals.py) tells them apart from those sent to concurtrace's pid alone.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from concurtrace.runner.group_signals import GroupSentinel, tree_in_our_group

ECHO_WINDOW_NS = 150_000_000  # beyond the sentinel's wait (0.1 s): later ones are new stops
Record = Callable[[int, int, int], None]  # (pid, signum, ts): a send from outside


class GroupStops:
    def __init__(self, signums: Iterable[int]) -> None:
        self.sentinel = GroupSentinel.made(signums)
        self.record: Record | None = None  # set once the root runs
        self._last: dict[int, int] = {}  # signum -> when the group last got it

    def settle(self) -> None:
        if self.sentinel is not None:
            self.sentinel.settle()

    def stop(self) -> None:
        if self.sentinel is not None:
            self.sentinel.stop()

    def reached_the_group(self, root: int, signum: int, start: int) -> bool:
        """Whether signum, received at start, was sent to the group, so the root got it as
        well: once is enough. A second receipt of it just after (GNU timeout sends to us,
        then to its group) is the same stop. Signal handlers nest: a receipt that arrives
        while we wait for the sentinel's word may take that word; then ours is its echo
        (the re-check after the wait)."""
        if self.echo(signum, start):
            return True
        if self.heard(signum):
            self.took(root, signum, start)
            return True
        return self.echo(signum, start)

    def echo(self, signum: int, now: int) -> bool:
        """A receipt of signum just after one the group got (without concurtrace the two
        would have merged into one pending signal); negative: taken during ours."""
        last = self._last.get(signum)
        return last is not None and now - last < ECHO_WINDOW_NS

    def claimed_after(self, signum: int, start: int) -> bool:
        """A receipt that came while ours waited took the group's word."""
        return self._last.get(signum, 0) > start

    def heard(self, signum: int) -> bool:
        return self.sentinel is not None and self.sentinel.heard(signum)

    def took(self, root: int, signum: int, start: int) -> None:
        """The group got signum at start: each process of the tree still in it took it (the
        root, pool workers...), recorded as the outside's, as a forwarded one is (its own
        handler may hide it: uvloop's wakeup fd replaces the one the watchdog reads)."""
        self._last[signum] = start
        self.outside(root, signum, start)

    def outside(self, root: int, signum: int, start: int) -> None:
        if self.record is not None:
            for pid in tree_in_our_group(root):
                self.record(pid, signum, start)
