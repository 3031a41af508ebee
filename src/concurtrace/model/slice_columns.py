"""A thread's function slices as columns: ~20 bytes a call instead of a ~140-byte object.

A million calls held as `Slice` objects cost ~140 MB; as three arrays (start, duration,
name id) they cost 20 MB, and the merge and the exporter walk the arrays without building
an object per call. The few slices that carry arguments or flows (an unfinished call, a
call linked to a lifecycle instant) are kept as `Slice` objects beside the columns.

As a sequence it reads like the `list[Slice]` it replaces. Indexing with an int returns
the same `Slice` object every time (it is kept from then on), so flows or arguments
added to it are exported. Iteration and slicing return the kept objects where there are
some and fresh copies elsewhere. A slice's ts, dur and name are read from the columns:
change them with `set_dur`, not on an object. Standard library only.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, overload

from concurtrace.model.plain import Plain


class Slice(Plain):
    """A complete duration event on a thread (a function call, or a state run)."""

    ts: int
    dur: int
    name: str
    args: dict[str, Any] | None
    flows_out: list[int] | None
    flows_in: list[int] | None

    __slots__ = ("ts", "dur", "name", "args", "flows_out", "flows_in")

    def __init__(self, ts: int, dur: int, name: str, args: dict[str, Any] | None = None,
                 flows_out: list[int] | None = None, flows_in: list[int] | None = None) -> None:
        self.ts = ts
        self.dur = dur
        self.name = name
        self.args = args
        self.flows_out = flows_out
        self.flows_in = flows_in

    @property
    def end(self) -> int:
        return self.ts + self.dur


class SliceColumns(Sequence[Slice]):
    """Slices of one track, in the order they are exported (by start, parent first)."""

    __slots__ = ("ts", "dur", "name_ids", "names", "objects")

    def __init__(self, names: list[str] | None = None) -> None:
        self.ts = array("q")
        self.dur = array("q")
        self.name_ids = array("I")
        self.names: list[str] = names if names is not None else []  # may be shared
        self.objects: dict[int, Slice] = {}  # index -> the object handed out or kept

    @classmethod
    def of(cls, slices: Iterable[Slice]) -> SliceColumns:
        columns = cls()
        ids: dict[str, int] = {}
        for piece in slices:
            columns.append(piece, ids)
        return columns

    def append(self, piece: Slice, ids: dict[str, int] | None = None) -> None:
        """Adds piece; one that carries arguments or flows is kept as this object.
        ids: name -> id in self.names, for a caller appending many (else searched)."""
        if ids is None:
            ids = {name: i for i, name in enumerate(self.names)}
        name_id = ids.get(piece.name)
        if name_id is None:
            name_id = ids[piece.name] = len(self.names)
            self.names.append(piece.name)
        if piece.args or piece.flows_out or piece.flows_in:
            self.objects[len(self.ts)] = piece
        self.ts.append(piece.ts)
        self.dur.append(piece.dur)
        self.name_ids.append(name_id)

    def name(self, index: int) -> str:
        return self.names[self.name_ids[index]]

    def set_dur(self, index: int, dur: int) -> None:
        self.dur[index] = dur
        kept = self.objects.get(index)
        if kept is not None:
            kept.dur = dur

    def carrying(self) -> list[int]:
        """Indices of the slices with arguments or flows, in order."""
        return sorted(i for i, piece in self.objects.items()
                      if piece.args or piece.flows_out or piece.flows_in)

    def take(self, indices: Iterable[int]) -> SliceColumns:
        """A new SliceColumns of these slices, in this order (names shared)."""
        taken = SliceColumns(self.names)
        ts, dur, name_ids = self.ts, self.dur, self.name_ids
        order = indices if isinstance(indices, Sequence) else list(indices)
        taken.ts = array("q", map(ts.__getitem__, order))
        taken.dur = array("q", map(dur.__getitem__, order))
        taken.name_ids = array("I", map(name_ids.__getitem__, order))
        taken.objects = self.moved_objects(order)
        return taken

    def moved_objects(self, order: Sequence[int]) -> dict[int, Slice]:
        """The kept objects by their index in take(order)."""
        objects = self.objects
        if not objects:
            return {}
        if len(objects) <= 64:  # a few: find each (a C scan of the order)
            moved = {}
            positions = order if isinstance(order, array) else array("q", order)
            for old, piece in objects.items():
                try:
                    moved[positions.index(old)] = piece
                except ValueError:  # not taken
                    pass
            return moved
        return {new: objects[old] for new, old in enumerate(order) if old in objects}

    def extend(self, other: SliceColumns) -> None:
        """Appends other's slices (other's names become this one's too)."""
        if other.names is self.names:
            offset = len(self.ts)
            self.ts.extend(other.ts)
            self.dur.extend(other.dur)
            self.name_ids.extend(other.name_ids)
            self.objects.update({offset + i: piece for i, piece in other.objects.items()})
            return
        ids = {name: i for i, name in enumerate(self.names)}
        for index in range(len(other)):
            self.append(other._copy(index), ids)

    def __len__(self) -> int:
        return len(self.ts)

    @overload
    def __getitem__(self, index: int) -> Slice: ...
    @overload
    def __getitem__(self, index: slice) -> list[Slice]: ...

    def __getitem__(self, index: int | slice) -> Slice | list[Slice]:
        if isinstance(index, slice):
            return [self._copy(i) for i in range(*index.indices(len(self.ts)))]
        if index < 0:
            index += len(self.ts)
        kept = self.objects.get(index)
        if kept is None:
            kept = self.objects[index] = self._copy(index)  # IndexError past the end
        return kept

    def __iter__(self) -> Iterator[Slice]:
        return map(self._copy, range(len(self.ts)))

    def _copy(self, index: int) -> Slice:
        kept = self.objects.get(index)
        if kept is not None:
            return kept
        return Slice(self.ts[index], self.dur[index], self.names[self.name_ids[index]])

    def __repr__(self) -> str:
        return f"SliceColumns({len(self)} slices)"
