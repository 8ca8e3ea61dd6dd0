"""Tablestore's PlainBuffer row format, written from its public description, for the loopback
Tablestore server (tests/tablestore_server.py): rows inside the protobuf messages are PlainBuffer.

A row: ``u32le 0x75`` header, ``0x01`` then the primary-key cells, optionally ``0x02`` then the
attribute cells, optionally ``0x08`` (delete marker), then ``0x09`` and the row checksum. A cell:
``0x03``, ``0x04 u32le len name``, optionally ``0x05 u32le len type value``, optionally ``0x06 op``
(update: delete one / all versions, increment), optionally ``0x07 i64le timestamp``, then ``0x0A``
and the cell checksum. Checksums are CRC-8 (polynomial 0x07) over the name, the value's type
byte and payload (lengths and integers little-endian), the timestamp, then the op; the row's
over each cell checksum and a final 0 (or 1 with a delete marker).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Any, Optional

HEADER = 0x75
T_PK, T_DATA, T_CELL, T_NAME, T_VALUE, T_TYPE, T_TS, T_DELETE, T_ROW_SUM, T_CELL_SUM = range(1, 11)
VT_INTEGER, VT_DOUBLE, VT_BOOLEAN, VT_STRING, VT_NULL, VT_BLOB = 0, 1, 2, 3, 6, 7
VT_INF_MIN, VT_INF_MAX, VT_AUTO_INCREMENT = 9, 10, 11
OP_DELETE_ALL, OP_DELETE_ONE, OP_INCREMENT = 1, 3, 4


def _table() -> list[int]:
    out = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = ((c << 1) ^ 0x07) & 0xFF if c & 0x80 else (c << 1) & 0xFF
        out.append(c)
    return out


CRC8 = _table()


def crc(c: int, data: bytes) -> int:
    for b in data:
        c = CRC8[(c ^ b) & 0xFF]
    return c


class PlainBufferError(ValueError):
    pass


@dataclass
class Cell:
    name: str
    value: Any = None  # int, float, bool, str, bytes, or None (no value)
    op: Optional[int] = None
    ts: Optional[int] = None


def value_bytes(value: Any) -> bytes:
    """The type byte and payload of a value (a Filter's column_value is exactly this)."""
    if isinstance(value, bool):
        return bytes([VT_BOOLEAN, 1 if value else 0])
    if isinstance(value, int):
        return bytes([VT_INTEGER]) + struct.pack("<q", value)
    if isinstance(value, float):
        return bytes([VT_DOUBLE]) + struct.pack("<d", value)
    if isinstance(value, str):
        raw = value.encode("utf-8")
        return bytes([VT_STRING]) + struct.pack("<I", len(raw)) + raw
    if isinstance(value, (bytes, bytearray)):
        return bytes([VT_BLOB]) + struct.pack("<I", len(value)) + bytes(value)
    raise PlainBufferError(f"unsupported value type {type(value).__name__}")


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data, self.pos = data, 0

    def take(self, n: int) -> bytes:
        if self.pos + n > len(self.data):
            raise PlainBufferError("truncated row")
        out = self.data[self.pos : self.pos + n]
        self.pos += n
        return out

    def u8(self) -> int:
        return self.take(1)[0]

    def u32(self) -> int:
        return int(struct.unpack("<I", self.take(4))[0])

    def peek(self) -> Optional[int]:
        return self.data[self.pos] if self.pos < len(self.data) else None

    def expect(self, tag: int) -> None:
        got = self.u8()
        if got != tag:
            raise PlainBufferError(f"expected tag {tag:#x} at {self.pos - 1}, got {got:#x}")


def read_value(r: _Reader) -> tuple[Any, bytes]:
    vt = r.u8()
    if vt == VT_INTEGER:
        raw = r.take(8)
        return struct.unpack("<q", raw)[0], bytes([vt]) + raw
    if vt == VT_DOUBLE:
        raw = r.take(8)
        return struct.unpack("<d", raw)[0], bytes([vt]) + raw
    if vt == VT_BOOLEAN:
        raw = r.take(1)
        return raw[0] != 0, bytes([vt]) + raw
    if vt in (VT_STRING, VT_BLOB):
        raw_len = r.take(4)
        raw = r.take(struct.unpack("<I", raw_len)[0])
        return (raw.decode("utf-8") if vt == VT_STRING else raw), bytes([vt]) + raw_len + raw
    if vt in (VT_NULL, VT_INF_MIN, VT_INF_MAX, VT_AUTO_INCREMENT):
        return None, bytes([vt])
    raise PlainBufferError(f"unknown value type {vt:#x}")


def _read_cell(r: _Reader) -> tuple[Cell, int]:
    r.expect(T_CELL)
    r.expect(T_NAME)
    name = r.take(r.u32())
    c = crc(0, name)
    cell = Cell(name.decode("utf-8"))
    if r.peek() == T_VALUE:
        r.u8()
        size = r.u32()
        start = r.pos
        cell.value, raw = read_value(r)
        if r.pos - start != size:
            raise PlainBufferError(f"cell {cell.name!r}: value length {size} does not match")
        c = crc(c, raw)
    if r.peek() == T_TYPE:
        r.u8()
        cell.op = r.u8()
    if r.peek() == T_TS:
        r.u8()
        raw = r.take(8)
        cell.ts = struct.unpack("<q", raw)[0]
        c = crc(c, raw)
    if cell.op is not None:
        c = crc(c, bytes([cell.op]))
    r.expect(T_CELL_SUM)
    if r.u8() != c:
        raise PlainBufferError(f"cell {cell.name!r}: checksum mismatch")
    return cell, c


def decode_row(data: bytes) -> tuple[list[Cell], list[Cell], bool]:
    """``(primary key cells, attribute cells, delete marker)``; checksums verified."""
    r = _Reader(bytes(data))
    if r.u32() != HEADER:
        raise PlainBufferError("bad PlainBuffer header")
    r.expect(T_PK)
    pk: list[Cell] = []
    cells: list[Cell] = []
    row_sum = 0
    while r.peek() == T_CELL:
        cell, c = _read_cell(r)
        pk.append(cell)
        row_sum = crc(row_sum, bytes([c]))
    if r.peek() == T_DATA:
        r.u8()
        while r.peek() == T_CELL:
            cell, c = _read_cell(r)
            cells.append(cell)
            row_sum = crc(row_sum, bytes([c]))
    deleted = r.peek() == T_DELETE
    if deleted:
        r.u8()
    row_sum = crc(row_sum, b"\x01" if deleted else b"\x00")
    r.expect(T_ROW_SUM)
    if r.u8() != row_sum:
        raise PlainBufferError("row checksum mismatch")
    if r.pos != len(r.data):
        raise PlainBufferError("bytes after the row checksum")
    return pk, cells, deleted


def _write_cell(out: bytearray, name: str, value: Any, ts: Optional[int]) -> int:
    raw_name = name.encode("utf-8")
    out += bytes([T_CELL, T_NAME]) + struct.pack("<I", len(raw_name)) + raw_name
    c = crc(0, raw_name)
    vb = value_bytes(value)
    out += bytes([T_VALUE]) + struct.pack("<I", len(vb)) + vb
    c = crc(c, vb)
    if ts is not None:
        raw_ts = struct.pack("<q", ts)
        out += bytes([T_TS]) + raw_ts
        c = crc(c, raw_ts)
    out += bytes([T_CELL_SUM, c])
    return c


def encode_row(pk: list[tuple[str, Any]], cells: list[tuple[str, Any, int]]) -> bytes:
    """A row as the service returns it: the key, then each cell with its timestamp."""
    out = bytearray(struct.pack("<I", HEADER))
    out.append(T_PK)
    row_sum = 0
    for name, value in pk:
        row_sum = crc(row_sum, bytes([_write_cell(out, name, value, None)]))
    if cells:
        out.append(T_DATA)
        for name, value, ts in cells:
            row_sum = crc(row_sum, bytes([_write_cell(out, name, value, ts)]))
    row_sum = crc(row_sum, b"\x00")
    out += bytes([T_ROW_SUM, row_sum])
    return bytes(out)
