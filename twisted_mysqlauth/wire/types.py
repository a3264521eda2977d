# -*- test-case-name: tests.test_packets -*-
# Copyright (c) twisted_mysqlauth developers.
# See LICENSE for details.
"""
The protocol's basic types: fixed-length and length-encoded integers and
strings, read from a L{PayloadReader} and written with plain functions.
"""

from __future__ import annotations

import struct


class Truncated(ValueError):
    """
    A payload ended before a field did, or a field is malformed.
    """


def lenencInt(value: int) -> bytes:
    """
    Encode a length-encoded integer.

    @param value: 0 <= value < 2 ** 64.
    @return: its encoding.
    """
    if value < 0xFB:
        return bytes([value])
    if value < 1 << 16:
        return b"\xfc" + struct.pack("<H", value)
    if value < 1 << 24:
        return b"\xfd" + struct.pack("<I", value)[:3]
    return b"\xfe" + struct.pack("<Q", value)


def lenencBytes(value: bytes) -> bytes:
    """
    Encode a length-encoded string.

    @param value: the bytes.
    @return: the length, length-encoded, then the bytes.
    """
    return lenencInt(len(value)) + value


class PayloadReader:
    """
    Read fields from one packet payload, front to back.

    Every read raises L{Truncated} when the payload is too short, so a
    malformed packet can never be read past its end.

    @ivar payload: the bytes being read.
    @ivar offset: the position of the next read.
    """

    def __init__(self, payload: bytes, offset: int = 0) -> None:
        self.payload = payload
        self.offset = offset

    def remaining(self) -> int:
        """
        @return: how many bytes are left.
        """
        return len(self.payload) - self.offset

    def atEnd(self) -> bool:
        """
        @return: whether every byte has been read.
        """
        return self.offset >= len(self.payload)

    def fixed(self, length: int) -> bytes:
        """
        @param length: how many bytes to read.
        @return: exactly C{length} bytes.
        """
        end = self.offset + length
        if length < 0 or end > len(self.payload):
            raise Truncated(f"wanted {length} bytes at {self.offset}")
        value = self.payload[self.offset : end]
        self.offset = end
        return value

    def int1(self) -> int:
        """
        @return: a 1-byte integer.
        """
        return self.fixed(1)[0]

    def int2(self) -> int:
        """
        @return: a little-endian 2-byte integer.
        """
        return int(struct.unpack("<H", self.fixed(2))[0])

    def int4(self) -> int:
        """
        @return: a little-endian 4-byte integer.
        """
        return int(struct.unpack("<I", self.fixed(4))[0])

    def lenencInt(self) -> int:
        """
        @return: a length-encoded integer.
        """
        first = self.int1()
        if first < 0xFB:
            return first
        if first == 0xFC:
            return int.from_bytes(self.fixed(2), "little")
        if first == 0xFD:
            return int.from_bytes(self.fixed(3), "little")
        if first == 0xFE:
            return int.from_bytes(self.fixed(8), "little")
        raise Truncated(f"invalid length-encoded integer marker {first:#x}")

    def lenencBytes(self) -> bytes:
        """
        @return: a length-encoded string.
        """
        return self.fixed(self.lenencInt())

    def nulTerminated(self) -> bytes:
        """
        @return: the bytes up to the next NUL, which is consumed.
        """
        end = self.payload.find(b"\x00", self.offset)
        if end < 0:
            raise Truncated("missing NUL terminator")
        value = self.payload[self.offset : end]
        self.offset = end + 1
        return value

    def nulTerminatedOrRest(self) -> bytes:
        """
        @return: the bytes up to the next NUL (consumed) or, if there is
            none, all the rest (some clients omit a final NUL).
        """
        end = self.payload.find(b"\x00", self.offset)
        if end < 0:
            return self.rest()
        value = self.payload[self.offset : end]
        self.offset = end + 1
        return value

    def rest(self) -> bytes:
        """
        @return: all remaining bytes.
        """
        value = self.payload[self.offset :]
        self.offset = len(self.payload)
        return value
