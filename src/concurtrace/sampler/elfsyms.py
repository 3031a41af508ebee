"""A tiny ELF64 reader: find a symbol's st_value/st_size in .dynsym (or .symtab),
and map it to a live process's address range through /proc/P/maps."""

from __future__ import annotations

import os
import re
import struct
from typing import BinaryIO, NamedTuple

from concurtrace.model.naming import is_python

ET_EXEC, ET_DYN = 2, 3
PT_LOAD = 1
SHT_SYMTAB, SHT_DYNSYM = 2, 11
PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096
_LIBPYTHON = re.compile(r"libpython\d+\.\d+[a-z]*\.so")


class ElfSymbol(NamedTuple):  # not dataclasses: the sampler is imported at every start
    etype: int
    value: int
    size: int
    loads: tuple[tuple[int, int, int], ...]  # PT_LOAD (p_vaddr, p_memsz, p_offset)


class Mapping(NamedTuple):
    start: int
    end: int
    offset: int
    inode: int
    path: str


def read_symbol(path: str, name: str) -> ElfSymbol | None:
    """The defined symbol `name` of the ELF64 file at `path`, or None."""
    try:
        with open(path, "rb") as f:
            return _read_symbol(f, name.encode())
    except (OSError, struct.error, ValueError, IndexError):
        return None


def _read_symbol(f: BinaryIO, name: bytes) -> ElfSymbol | None:
    def chunk(offset: int, size: int) -> bytes:
        f.seek(offset)
        return f.read(size)

    ident = chunk(0, 64)
    if ident[:4] != b"\x7fELF" or ident[4] != 2:  # ELFCLASS64 only
        return None
    end = "<" if ident[5] == 1 else ">"
    etype, _m, _v, _e, phoff, shoff, _f, _eh, phentsize, phnum, shentsize, shnum, _sx = (
        struct.unpack(end + "HHIQQQIHHHHHH", ident[16:64])
    )
    loads = []
    phdrs = chunk(phoff, phentsize * phnum)
    for i in range(phnum):
        p_type, _fl, p_offset, p_vaddr, _pa, _fs, p_memsz, _al = struct.unpack_from(
            end + "IIQQQQQQ", phdrs, i * phentsize
        )
        if p_type == PT_LOAD:
            loads.append((p_vaddr, p_memsz, p_offset))
    shdrs = chunk(shoff, shentsize * shnum)
    sections = [struct.unpack_from(end + "IIQQQQIIQQ", shdrs, i * shentsize) for i in range(shnum)]
    for wanted in (SHT_DYNSYM, SHT_SYMTAB):
        for sec in sections:
            if sec[1] != wanted or sec[9] == 0:
                continue
            link = sections[sec[6]]
            strtab = chunk(link[4], link[5])
            pos = strtab.find(b"\0" + name + b"\0")
            if pos < 0:
                continue
            symtab = chunk(sec[4], sec[5])
            for st_name, _info, _other, shndx, value, size in struct.iter_unpack(
                end + "IBBHQQ", symtab[: len(symtab) - len(symtab) % 24]
            ):
                if st_name == pos + 1 and shndx != 0:
                    return ElfSymbol(etype, value, size, tuple(loads))
    return None


def parse_maps(text: str) -> list[Mapping]:
    """File-backed mappings of a /proc/P/maps text."""
    out: list[Mapping] = []
    for line in text.splitlines():
        parts = line.split(None, 5)
        if len(parts) < 6 or not parts[5].startswith("/"):
            continue
        lo, _, hi = parts[0].partition("-")
        out.append(Mapping(int(lo, 16), int(hi, 16), int(parts[2], 16), int(parts[4]), parts[5]))
    return out


def load_bias(sym: ElfSymbol, maps: list[Mapping]) -> int | None:
    """Where the file of `maps` (all one file) is loaded: runtime = bias + st_value."""
    if sym.etype == ET_EXEC:
        return 0
    mask = ~(PAGE - 1)
    ordered = sorted(sym.loads, key=lambda ld: not (ld[0] <= sym.value < ld[0] + ld[1]))
    for vaddr, _memsz, offset in ordered:  # the symbol's own segment first
        for m in maps:
            if m.offset == offset & mask:
                return m.start - (vaddr & mask)
    return None


_CACHE: dict[tuple[str, int], ElfSymbol | None] = {}


def _open_path(pid: int, m: Mapping) -> str | None:
    path = m.path.removesuffix(" (deleted)")
    for cand in (path, f"/proc/{pid}/root{path}", f"/proc/{pid}/map_files/{m.start:x}-{m.end:x}"):
        try:
            if os.stat(cand).st_ino == m.inode:
                return cand
        except OSError:
            continue
    return None


def find_symbol_range(
    pid: int, name: str = "_PyRuntime", maps_text: str | None = None
) -> tuple[tuple[int, int] | None, bool, str]:
    """(address range of `name` in process pid or None, python-ness, detail).

    Looks in libpython*.so mappings, then in the executable. Cached per (path, inode).
    """
    if maps_text is None:
        try:
            with open(f"/proc/{pid}/maps", encoding="utf-8", errors="replace") as f:
                maps_text = f.read()
        except OSError as exc:
            return None, False, f"cannot read /proc/{pid}/maps: {exc.strerror}"
    maps = parse_maps(maps_text)
    try:
        exe = os.readlink(f"/proc/{pid}/exe").removesuffix(" (deleted)")
    except OSError:
        exe = ""
    by_file: dict[tuple[str, int], list[Mapping]] = {}
    for m in maps:
        by_file.setdefault((m.path, m.inode), []).append(m)
    libs = [k for k in by_file if _LIBPYTHON.search(os.path.basename(k[0]))]
    exes = [k for k in by_file if k[0].removesuffix(" (deleted)") == exe]
    python = bool(libs) or is_python(exe)
    for key in libs + exes:
        if key not in _CACHE:
            path = _open_path(pid, by_file[key][0])
            _CACHE[key] = read_symbol(path, name) if path else None
        sym = _CACHE[key]
        if sym is None:
            continue
        bias = load_bias(sym, by_file[key])
        if bias is not None:
            start = bias + sym.value
            return (start, start + max(sym.size, 1)), True, key[0]
    where = ", ".join(k[0] for k in libs + exes) or exe or "no python mapping"
    return None, python, f"{name} not found in {where}"
