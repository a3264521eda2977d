# -*- test-case-name: tests.test_codec -*-
# Copyright (c) twisted_mysqlauth developers.
# See LICENSE for details.
"""
Sans-I/O framing of MySQL packets.

Every packet is a 3-byte little-endian payload length, a 1-byte sequence
id, then the payload. A payload of C{0xFFFFFF} bytes or more is split into
C{0xFFFFFF}-byte chunks and a shorter (possibly empty) final chunk, each
with the next sequence id. L{PacketDecoder} joins them again, and refuses a
logical packet larger than its cap as soon as the header announces it, so a
client can never make the server buffer more than the cap.
"""

from __future__ import annotations

from typing import List, Optional, Tuple

import attr

from twisted_mysqlauth.wire.constants import MAX_PAYLOAD


class PacketTooLarge(Exception):
    """
    A packet's length exceeds the decoder's cap.

    @ivar sequenceId: the sequence id in the header that announced it, if
        it is the first chunk of a packet (else L{None}).
    """

    def __init__(self, length: int, sequenceId: Optional[int] = None) -> None:
        super().__init__(length)
        self.sequenceId = sequenceId


@attr.s(frozen=True, slots=True, auto_attribs=True)
class Packet:
    """
    One logical packet.

    @ivar sequenceId: the sequence id of its first chunk.
    @ivar lastSequenceId: the sequence id of its last chunk (the same but for
        payloads of 16 MiB or more).
    @ivar payload: the joined payload.
    """

    sequenceId: int
    lastSequenceId: int
    payload: bytes


class PacketDecoder:
    """
    Turn a byte stream into L{Packet}s.

    @ivar maxPacketSize: the largest logical payload accepted; may be raised
        after authentication (MySQL's C{max_allowed_packet}).
    """

    def __init__(self, maxPacketSize: int) -> None:
        self.maxPacketSize = maxPacketSize
        self._buffer = bytearray()
        self._chunks: List[bytes] = []
        self._firstSeq = -1
        self._pendingLength = 0
        # Bytes received while nothing was buffered, not yet copied into
        # the buffer: usually exactly one whole packet, taken as it is.
        self._received: Optional[bytes] = None

    def receive(self, data: bytes) -> None:
        """
        Add bytes from the stream; take packets with L{nextPacket}.

        @param data: the bytes received.
        """
        if self._received is None and not self._buffer and type(data) is bytes:
            self._received = data
            return
        if self._received is not None:
            self._buffer += self._received
            self._received = None
        self._buffer += data

    def receiveFrame(self, data: bytes) -> Optional[Tuple[int, int, bytes]]:
        """
        L{receive} C{data}; when it is exactly one whole packet and nothing
        was buffered before it (the usual case while logging in), that
        packet at once, as L{nextFrame} would give it, and nothing is kept.

        @return: C{(sequenceId, lastSequenceId, payload)}, or L{None} when
            the bytes were kept: take packets with L{nextFrame}.
        """
        if (
            self._received is None
            and not self._buffer
            and not self._chunks
            and len(data) >= 4
            and data.__class__ is bytes
        ):
            length = data[0] | data[1] << 8 | data[2] << 16
            if length + 4 == len(data) and length != MAX_PAYLOAD and length <= self.maxPacketSize:
                return data[3], data[3], data[4:]
        self.receive(data)
        return None

    def nextPacket(self) -> Optional[Packet]:
        """
        Take the next complete logical packet, one at a time, so that a
        caller can stop at a packet after which the stream changes meaning
        (an SSLRequest).

        @return: the packet, or L{None} when more bytes are needed.
        @raise PacketTooLarge: a packet is larger than L{maxPacketSize}; the
            decoder must not be used afterwards.
        """
        frame = self.nextFrame()
        if frame is None:
            return None
        return Packet(*frame)

    def nextFrame(self) -> Optional[Tuple[int, int, bytes]]:
        """
        L{nextPacket} without the L{Packet}: the same packet as a tuple.

        @return: C{(sequenceId, lastSequenceId, payload)}, or L{None} when
            more bytes are needed.
        @raise PacketTooLarge: see L{nextPacket}.
        """
        data = self._received
        if data is not None:
            self._received = None
            if len(data) >= 4 and not self._chunks:
                length = data[0] | data[1] << 8 | data[2] << 16
                if length + 4 == len(data) and length != MAX_PAYLOAD and length <= self.maxPacketSize:
                    return data[3], data[3], data[4:]
            self._buffer += data
        buffer = self._buffer
        while len(buffer) >= 4:
            length = buffer[0] | buffer[1] << 8 | buffer[2] << 16
            if self._pendingLength + length > self.maxPacketSize:
                raise PacketTooLarge(
                    self._pendingLength + length, None if self._pendingLength else buffer[3]
                )
            if len(buffer) - 4 < length:
                return None
            seq = buffer[3]
            chunk = bytes(buffer[4 : 4 + length])
            del buffer[: 4 + length]
            if self._firstSeq < 0:
                self._firstSeq = seq
            if length == MAX_PAYLOAD:
                self._chunks.append(chunk)
                self._pendingLength += length
                continue
            if self._chunks:
                self._chunks.append(chunk)
                chunk = b"".join(self._chunks)
                self._chunks = []
            first = self._firstSeq
            self._firstSeq = -1
            self._pendingLength = 0
            return first, seq, chunk
        return None

    def feed(self, data: bytes) -> List[Packet]:
        """
        Add bytes and take every packet they complete.

        @param data: the bytes received.
        @return: the packets, in order.
        @raise PacketTooLarge: see L{nextPacket}.
        """
        self.receive(data)
        packets = []
        while True:
            packet = self.nextPacket()
            if packet is None:
                return packets
            packets.append(packet)

    def bufferedSize(self) -> int:
        """
        @return: how many received bytes are not yet taken as packets.
        """
        if self._received is not None:
            return len(self._received)
        return len(self._buffer)

    def takeBuffered(self) -> bytes:
        """
        Take the bytes received but not yet decoded (after an SSLRequest,
        they are the start of the TLS handshake, never MySQL packets).

        @return: those bytes; the decoder's buffer is then empty.
        """
        if self._received is not None:
            data, self._received = self._received, None
            return data
        data = bytes(self._buffer)
        self._buffer.clear()
        return data


def encodePacket(sequenceId: int, payload: bytes) -> Tuple[bytes, int]:
    """
    Frame one logical payload, splitting it when it is 16 MiB or more.

    @param sequenceId: the sequence id of the first chunk.
    @param payload: the payload.
    @return: the framed bytes and the sequence id that follows them.
    """
    if len(payload) < MAX_PAYLOAD:
        n = len(payload)
        return bytes((n & 0xFF, n >> 8 & 0xFF, n >> 16, sequenceId)) + payload, (
            sequenceId + 1
        ) & 0xFF
    parts = []
    offset = 0
    while True:
        chunk = payload[offset : offset + MAX_PAYLOAD]
        n = len(chunk)
        parts.append(bytes((n & 0xFF, n >> 8 & 0xFF, n >> 16, sequenceId)))
        parts.append(chunk)
        sequenceId = (sequenceId + 1) & 0xFF
        offset += n
        if n < MAX_PAYLOAD:
            break
    return b"".join(parts), sequenceId
