# -*- test-case-name: tests.test_codec -*-
# Copyright (c) twisted_mysqlauth developers.
# See LICENSE for details.
"""
Tests for L{twisted_mysqlauth.wire.codec}.
"""

from twisted.trial.unittest import SynchronousTestCase

from twisted_mysqlauth.wire.codec import (
    Packet,
    PacketDecoder,
    PacketTooLarge,
    encodePacket,
)
from twisted_mysqlauth.wire.constants import MAX_PAYLOAD


class EncodePacketTests(SynchronousTestCase):
    """
    Tests for L{encodePacket}.
    """

    def test_small(self):
        """
        A short payload gets a 3-byte little-endian length and the sequence
        id, and the next id is one more.
        """
        self.assertEqual(encodePacket(7, b"abc"), (b"\x03\x00\x00\x07abc", 8))

    def test_sequenceWraps(self):
        """
        Sequence ids wrap from 255 to 0.
        """
        self.assertEqual(encodePacket(255, b"")[1], 0)

    def test_exactlyMaxPayload(self):
        """
        A payload of exactly 0xFFFFFF bytes is followed by an empty packet
        that ends it.
        """
        data, nextSeq = encodePacket(0, b"a" * MAX_PAYLOAD)
        self.assertEqual(data[:4], b"\xff\xff\xff\x00")
        self.assertEqual(data[-4:], b"\x00\x00\x00\x01")
        self.assertEqual(len(data), MAX_PAYLOAD + 8)
        self.assertEqual(nextSeq, 2)

    def test_largeSplit(self):
        """
        A payload over 0xFFFFFF bytes is split into a full chunk and the
        rest, with consecutive sequence ids.
        """
        data, nextSeq = encodePacket(3, b"b" * (MAX_PAYLOAD + 2))
        self.assertEqual(data[:4], b"\xff\xff\xff\x03")
        self.assertEqual(data[4 + MAX_PAYLOAD : 8 + MAX_PAYLOAD], b"\x02\x00\x00\x04")
        self.assertEqual(nextSeq, 5)


class PacketDecoderTests(SynchronousTestCase):
    """
    Tests for L{PacketDecoder}.
    """

    def test_byteAtATime(self):
        """
        Packets delivered one byte at a time are decoded once complete.
        """
        decoder = PacketDecoder(1024)
        wire = b"\x02\x00\x00\x00hi\x00\x00\x00\x01"
        packets = []
        for i in range(len(wire)):
            packets.extend(decoder.feed(wire[i : i + 1]))
        self.assertEqual(packets, [Packet(0, 0, b"hi"), Packet(1, 1, b"")])

    def test_continuationJoined(self):
        """
        Chunks of 0xFFFFFF bytes are joined with the chunk that ends them;
        the packet records its first and last sequence ids.
        """
        payload = bytes(range(256)) * (MAX_PAYLOAD // 256 + 1)
        wire, _ = encodePacket(9, payload)
        decoder = PacketDecoder(len(payload))
        packets = decoder.feed(wire[:1000]) + decoder.feed(wire[1000:])
        self.assertEqual(len(packets), 1)
        self.assertEqual(packets[0].sequenceId, 9)
        self.assertEqual(packets[0].lastSequenceId, 10)
        self.assertEqual(packets[0].payload, payload)

    def test_capRefusedFromHeader(self):
        """
        A packet whose header announces more than the cap is refused at
        once, before its payload has arrived.
        """
        decoder = PacketDecoder(100)
        self.assertRaises(PacketTooLarge, decoder.feed, b"\x65\x00\x00\x00")

    def test_capCountsContinuations(self):
        """
        The cap applies to the joined payload, not to each chunk.
        """
        decoder = PacketDecoder(MAX_PAYLOAD + 10)
        decoder.receive(b"\xff\xff\xff\x00" + b"a" * MAX_PAYLOAD)
        decoder.receive(b"\x0b\x00\x00\x01")
        self.assertRaises(PacketTooLarge, decoder.nextPacket)

    def test_nextPacketStopsBetweenPackets(self):
        """
        L{PacketDecoder.nextPacket} takes one packet and leaves the rest
        buffered, so that L{PacketDecoder.takeBuffered} returns exactly the
        bytes after it (the TLS ClientHello after an SSLRequest).
        """
        decoder = PacketDecoder(1024)
        decoder.receive(b"\x01\x00\x00\x01X" + b"\x16\x03\x01garbage")
        self.assertEqual(decoder.nextPacket(), Packet(1, 1, b"X"))
        self.assertEqual(decoder.bufferedSize(), 10)
        self.assertEqual(decoder.takeBuffered(), b"\x16\x03\x01garbage")
        self.assertIsNone(decoder.nextPacket())

    def test_nextFrame(self):
        """
        L{PacketDecoder.nextFrame} gives the packets of L{nextPacket} as
        C{(sequenceId, lastSequenceId, payload)} tuples: a lone whole
        packet, packets that share a read, and a packet split over reads.
        """
        decoder = PacketDecoder(1024)
        decoder.receive(b"\x02\x00\x00\x05hi")
        self.assertEqual(decoder.nextFrame(), (5, 5, b"hi"))
        self.assertEqual(decoder.bufferedSize(), 0)
        self.assertIsNone(decoder.nextFrame())
        decoder.receive(b"\x01\x00\x00\x06a\x00\x00\x00\x07\x03\x00")
        self.assertEqual(decoder.nextFrame(), (6, 6, b"a"))
        self.assertEqual(decoder.nextFrame(), (7, 7, b""))
        self.assertIsNone(decoder.nextFrame())
        decoder.receive(b"\x00\x00b")
        self.assertIsNone(decoder.nextFrame())
        decoder.receive(b"cd")
        self.assertEqual(decoder.nextFrame(), (0, 0, b"bcd"))

    def test_nextFrameContinuation(self):
        """
        A payload of 16 MiB or more comes out of L{PacketDecoder.nextFrame}
        joined, with the first and the last sequence ids.
        """
        payload = b"z" * (MAX_PAYLOAD + 3)
        wire, _ = encodePacket(4, payload)
        decoder = PacketDecoder(len(payload))
        decoder.receive(wire)
        self.assertEqual(decoder.nextFrame(), (4, 5, payload))
        self.assertIsNone(decoder.nextFrame())

    def test_receiveFrame(self):
        """
        L{PacketDecoder.receiveFrame} gives a read that is exactly one whole
        packet at once, keeping nothing; any other read (part of a packet,
        several packets, a read after buffered bytes, a packet over the cap,
        a 16 MiB chunk) is kept for L{PacketDecoder.nextFrame}, in order.
        """
        decoder = PacketDecoder(1024)
        self.assertEqual(decoder.receiveFrame(b"\x02\x00\x00\x05hi"), (5, 5, b"hi"))
        self.assertEqual(decoder.bufferedSize(), 0)
        self.assertIsNone(decoder.nextFrame())
        # Two packets: kept, taken one by one.
        self.assertIsNone(decoder.receiveFrame(b"\x01\x00\x00\x06a\x00\x00\x00\x07"))
        self.assertEqual(decoder.nextFrame(), (6, 6, b"a"))
        self.assertEqual(decoder.nextFrame(), (7, 7, b""))
        # Part of a packet, then its end: the end is not taken as a packet.
        self.assertIsNone(decoder.receiveFrame(b"\x03\x00"))
        self.assertIsNone(decoder.receiveFrame(b"\x00\x08bcd"))
        self.assertEqual(decoder.nextFrame(), (8, 8, b"bcd"))
        # A whole packet after bytes still buffered waits behind them.
        self.assertIsNone(decoder.receiveFrame(b"\x01\x00"))
        self.assertIsNone(decoder.receiveFrame(b"\x00\x09x"))
        self.assertEqual(decoder.nextFrame(), (9, 9, b"x"))
        # Over the cap: refused by nextFrame, as before.
        small = PacketDecoder(4)
        self.assertIsNone(small.receiveFrame(b"\x05\x00\x00\x00hello"))
        self.assertRaises(PacketTooLarge, small.nextFrame)
        # A first 16 MiB chunk is never a whole packet.
        big = PacketDecoder(MAX_PAYLOAD + 10)
        self.assertIsNone(big.receiveFrame(b"\xff\xff\xff\x00" + b"a" * MAX_PAYLOAD))
        self.assertIsNone(big.receiveFrame(b"\x01\x00\x00\x01b"))
        self.assertEqual(big.nextFrame(), (0, 1, b"a" * MAX_PAYLOAD + b"b"))
