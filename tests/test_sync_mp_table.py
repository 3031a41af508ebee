"""The shared holder table (runner/hooks_sync_mp_table.py) read while another process
writes the same slot: a reader never takes another lock's holder for its own."""

from __future__ import annotations

from collections.abc import Callable

from concurtrace.runner.hooks_sync_mp_table import WORDS, HolderTable


class _Words(list[int]):
    """The slot's words; `between` runs (another process's stores) at the first read of
    the word `at`, i.e. between the reader's loads."""

    def __init__(self, at: int, between: Callable[[], None]) -> None:
        super().__init__([0] * (4 * WORDS))
        self.at, self.between = at, between

    def __getitem__(self, index: int) -> int:  # type: ignore[override]
        if index == self.at and self.between is not None:
            run, self.between = self.between, None  # type: ignore[assignment]
            run()
        return super().__getitem__(index)


def _table(at: int, between: Callable[[HolderTable], None]) -> HolderTable:
    table = HolderTable()
    table.words = _Words(at, lambda: between(table))  # type: ignore[assignment]
    return table


def test_a_holder_written_between_the_loads_is_not_taken() -> None:
    """Lock A (key 5) was held by 1/11; lock B (key 9, same slot) is taken by 2/22 while a
    waiter for A reads: A's waiter gets no holder, never B's."""
    table = _table(1, lambda t: t.took(9, 0, 2, 22, 2000))
    list.__setitem__(table.words, 0, 5)  # type: ignore[arg-type]
    list.__setitem__(table.words, 1, 1 << 32 | 11)  # type: ignore[arg-type]
    list.__setitem__(table.words, 2, 1000)  # type: ignore[arg-type]
    assert table.holder(5, 0) is None
    assert table.holder(9, 0) == (2, 22, 2000)


def test_a_consistent_holder_is_read() -> None:
    table = _table(-1, lambda t: None)
    table.took(5, 0, 1, 11, 1000)
    assert table.holder(5, 0) == (1, 11, 1000)
    assert table.holder(6, 0) is None


def test_a_waiter_does_not_take_over_a_slot_being_written() -> None:
    """A holder's store of its key with the busy bit is its own slot still: a waiter
    arriving then keeps the other waiters' counts."""
    table = HolderTable()
    shared = bytearray(4 * WORDS * 8)  # as the mapped file: bytes and words alike
    table.bytes, table.words = memoryview(shared), memoryview(shared).cast("Q")
    table.took(5, 0, 1, 11, 1000)
    table.words[0] = 5 | 1 << 63  # a holder in the middle of its stores
    shared[3 * 8] = 2  # two waiters counted in the first byte
    table.add_waiter(5, 0, 1)
    assert sum(shared[3 * 8:5 * 8]) == 3 and table.words[1] == 1 << 32 | 11
    assert table.waiting(5, 0)[0]
