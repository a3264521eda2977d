# -*- test-case-name: tests.test_packets -*-
# Copyright (c) twisted_mysqlauth developers.
# See LICENSE for details.
"""
Golden-byte tests for L{twisted_mysqlauth.wire.packets} and
L{twisted_mysqlauth.wire.types}.
"""

from twisted.trial.unittest import SynchronousTestCase

from twisted_mysqlauth import errors
from twisted_mysqlauth.wire import constants as C
from twisted_mysqlauth.wire.codec import encodePacket
from twisted_mysqlauth.wire.packets import (
    AuthMoreData,
    AuthSwitchRequest,
    Column,
    EOFPacket,
    ERRPacket,
    HandshakeResponse41,
    HandshakeV10,
    OKPacket,
    SSLRequest,
    greetingPacket,
    greetingPayload,
    isSSLRequest,
    parseConnectAttributes,
    parseHandshakeResponse,
    resultSet,
    textRow,
)
from twisted_mysqlauth.wire.types import PayloadReader, Truncated, lenencBytes, lenencInt

NONCE = bytes(range(0x41, 0x41 + 20))


def readHandshakeResponse(payload, serverCapabilities, header=None):
    """
    A handshake response read field by field with a L{PayloadReader}: the
    reference L{parseHandshakeResponse} is checked against.
    """
    if len(payload) < 32:
        raise Truncated("short")
    reader = PayloadReader(payload)
    clientCaps = reader.int4()
    maxPacket = reader.int4()
    charset = reader.int1()
    reader.fixed(23)
    if header is not None:
        head = PayloadReader(header)
        clientCaps, maxPacket, charset = head.int4(), head.int4(), head.int1()
    if not clientCaps & C.CLIENT_PROTOCOL_41:
        raise Truncated("pre-4.1")
    caps = clientCaps & serverCapabilities
    username = reader.nulTerminated()
    if caps & C.CLIENT_PLUGIN_AUTH_LENENC_CLIENT_DATA:
        authResponse = reader.lenencBytes()
    elif caps & C.CLIENT_SECURE_CONNECTION:
        authResponse = reader.fixed(reader.int1())
    else:
        authResponse = reader.nulTerminatedOrRest()
    database = reader.nulTerminatedOrRest() if caps & C.CLIENT_CONNECT_WITH_DB else None
    pluginName = None
    if caps & C.CLIENT_PLUGIN_AUTH and not reader.atEnd():
        pluginName = reader.nulTerminatedOrRest()
    block = b""
    if caps & C.CLIENT_CONNECT_ATTRS and not reader.atEnd():
        block = reader.lenencBytes()
    if len(username) >= 2 and username.startswith(b"'") and username.endswith(b"'"):
        username = username[1:-1]
    return clientCaps, maxPacket, charset, username, authResponse, database, pluginName, block


class LengthEncodedTests(SynchronousTestCase):
    """
    Tests for length-encoded integers and strings.
    """

    def test_boundaries(self):
        """
        Each size class uses its marker: <0xFB one byte, 0xFC two, 0xFD
        three, 0xFE eight.
        """
        self.assertEqual(lenencInt(0xFA), b"\xfa")
        self.assertEqual(lenencInt(0xFB), b"\xfc\xfb\x00")
        self.assertEqual(lenencInt(0xFFFF), b"\xfc\xff\xff")
        self.assertEqual(lenencInt(0x10000), b"\xfd\x00\x00\x01")
        self.assertEqual(lenencInt(1 << 24), b"\xfe\x00\x00\x00\x01\x00\x00\x00\x00")

    def test_roundTrip(self):
        """
        What L{lenencInt} writes, L{PayloadReader.lenencInt} reads.
        """
        for value in (0, 250, 251, 65535, 65536, 1 << 24, (1 << 64) - 1):
            self.assertEqual(PayloadReader(lenencInt(value)).lenencInt(), value)

    def test_invalidMarker(self):
        """
        0xFF is never a length.
        """
        self.assertRaises(Truncated, PayloadReader(b"\xff").lenencInt)

    def test_truncatedString(self):
        """
        A string whose length runs past the payload is refused.
        """
        self.assertRaises(Truncated, PayloadReader(b"\x05abc").lenencBytes)
        self.assertEqual(PayloadReader(lenencBytes(b"abc")).lenencBytes(), b"abc")


class HandshakeV10Tests(SynchronousTestCase):
    """
    Tests for L{HandshakeV10}.
    """

    def test_golden(self):
        """
        The greeting is laid out as MySQL's send_server_handshake_packet:
        version, id, 8 nonce bytes, filler, low caps, charset, status, high
        caps, data length 21, 10 zeros, the other 12 bytes and a NUL, the
        plugin name and a NUL.
        """
        greeting = HandshakeV10(
            serverVersion=b"8.0.36",
            connectionId=0x01020304,
            authPluginData=NONCE + b"\x00",
            capabilities=0xABCD1234,
            characterSet=45,
            statusFlags=2,
            authPluginName=b"caching_sha2_password",
        )
        expected = (
            b"\x0a8.0.36\x00"
            + b"\x04\x03\x02\x01"
            + NONCE[:8]
            + b"\x00"
            + b"\x34\x12"
            + b"\x2d"
            + b"\x02\x00"
            + b"\xcd\xab"
            + b"\x15"
            + b"\x00" * 10
            + NONCE[8:]
            + b"\x00"
            + b"caching_sha2_password\x00"
        )
        self.assertEqual(greeting.toWire(), expected)
        self.assertEqual(HandshakeV10.fromWire(expected), greeting)

    def test_greetingPayload(self):
        """
        L{greetingPayload} makes the bytes of L{HandshakeV10.toWire}, for
        other connection ids, data of other lengths and other flags too.
        """
        for connectionId, data, caps in [
            (1, NONCE + b"\x00", C.SERVER_CAPABILITIES),
            (0xFFFFFFFF, NONCE, C.SERVER_CAPABILITIES | C.CLIENT_SSL),
            (7, b"short", 0),
            (8, bytes(range(1, 40)), 0xFFFFFFFF),
        ]:
            greeting = HandshakeV10(
                serverVersion=b"8.0.36-x",
                connectionId=connectionId,
                authPluginData=data,
                capabilities=caps,
                authPluginName=b"mysql_native_password",
            )
            self.assertEqual(
                greetingPayload(b"8.0.36-x", connectionId, data, caps, b"mysql_native_password"),
                greeting.toWire(),
            )
            self.assertEqual(HandshakeV10.fromWire(greeting.toWire()).connectionId, connectionId)

    def test_greetingPacket(self):
        """
        L{greetingPacket} makes the whole packet of L{HandshakeV10.toWire}
        (header, sequence 0), for 20 bytes of data (the cached parts) and
        other lengths, with any bytes in the data.
        """
        for connectionId, data, caps in [
            (1, NONCE, C.SERVER_CAPABILITIES),
            (2, NONCE + b"\x00", C.SERVER_CAPABILITIES),
            (3, NONCE + b"\x01", C.SERVER_CAPABILITIES),
            (0xFFFFFFFF, bytes(range(20)), C.SERVER_CAPABILITIES | C.CLIENT_SSL),
            (9, b"\x00" * 20, 0),
            (7, b"short", 0),
            (8, bytes(range(1, 40)), 0xFFFFFFFF),
        ]:
            greeting = HandshakeV10(
                serverVersion="8.0.36-é".encode("utf-8"),
                connectionId=connectionId,
                authPluginData=data,
                capabilities=caps,
                authPluginName=b"mysql_native_password",
            )
            self.assertEqual(
                greetingPacket("8.0.36-é", connectionId, data, caps, "mysql_native_password"),
                encodePacket(0, greeting.toWire())[0],
            )


class HandshakeResponseTests(SynchronousTestCase):
    """
    Tests for L{HandshakeResponse41}.
    """

    caps = (
        C.CLIENT_PROTOCOL_41
        | C.CLIENT_SECURE_CONNECTION
        | C.CLIENT_PLUGIN_AUTH
        | C.CLIENT_PLUGIN_AUTH_LENENC_CLIENT_DATA
        | C.CLIENT_CONNECT_WITH_DB
        | C.CLIENT_CONNECT_ATTRS
    )

    def golden(self):
        return (
            (self.caps).to_bytes(4, "little")
            + b"\x00\x00\x00\x01"
            + b"\x2d"
            + b"\x00" * 23
            + b"alice\x00"
            + b"\x03xyz"
            + b"db1\x00"
            + b"mysql_native_password\x00"
            + b"\x0b"
            + b"\x04_pid\x0512345"
        )

    def test_parseGolden(self):
        """
        Every field is read: flags, max packet, charset, user, lenenc auth
        data, database, plugin name, attributes.
        """
        response = HandshakeResponse41.fromWire(self.golden(), C.SERVER_CAPABILITIES)
        self.assertEqual(
            response,
            HandshakeResponse41(
                capabilities=self.caps,
                maxPacketSize=1 << 24,
                characterSet=45,
                username=b"alice",
                authResponse=b"xyz",
                database=b"db1",
                clientPluginName=b"mysql_native_password",
                connectAttributes=((b"_pid", b"12345"),),
            ),
        )

    def test_writeGolden(self):
        """
        L{HandshakeResponse41.toWire} writes the same bytes.
        """
        response = HandshakeResponse41.fromWire(self.golden(), C.SERVER_CAPABILITIES)
        self.assertEqual(response.toWire(), self.golden())

    def test_serverFlagsGateFields(self):
        """
        A field is read only when both sides set its flag: with a server
        that offered no CONNECT_ATTRS, the attribute bytes are ignored.
        """
        response = HandshakeResponse41.fromWire(
            self.golden(), C.SERVER_CAPABILITIES & ~C.CLIENT_CONNECT_ATTRS
        )
        self.assertEqual(response.connectAttributes, ())

    def test_oneByteAuthLength(self):
        """
        Without the lenenc flag the auth data has a 1-byte length.
        """
        caps = C.CLIENT_PROTOCOL_41 | C.CLIENT_SECURE_CONNECTION
        payload = caps.to_bytes(4, "little") + b"\x00" * 28 + b"bob\x00\x02hi"
        response = HandshakeResponse41.fromWire(payload, C.SERVER_CAPABILITIES)
        self.assertEqual((response.username, response.authResponse), (b"bob", b"hi"))
        self.assertIsNone(response.clientPluginName)

    def test_quotedUserName(self):
        """
        A user name sent in single quotes loses them, as in MySQL.
        """
        caps = C.CLIENT_PROTOCOL_41 | C.CLIENT_SECURE_CONNECTION
        payload = caps.to_bytes(4, "little") + b"\x00" * 28 + b"'bob'\x00\x00"
        response = HandshakeResponse41.fromWire(payload, C.SERVER_CAPABILITIES)
        self.assertEqual(response.username, b"bob")

    def test_truncated(self):
        """
        Every truncation of a valid response that cuts a mandatory field is
        refused with L{Truncated}, never an index error.
        """
        golden = self.golden()
        for cut in range(0, 40):
            self.assertRaises(
                Truncated, HandshakeResponse41.fromWire, golden[:cut], C.SERVER_CAPABILITIES
            )

    def test_noProtocol41(self):
        """
        A pre-4.1 client is refused.
        """
        payload = b"\x00" * 32 + b"bob\x00\x00"
        self.assertRaises(Truncated, HandshakeResponse41.fromWire, payload, C.SERVER_CAPABILITIES)

    def test_attributesTooLong(self):
        """
        A connection-attribute block over 65535 bytes is refused.
        """
        caps = self.caps
        payload = (
            caps.to_bytes(4, "little")
            + b"\x00" * 28
            + b"u\x00\x00db\x00p\x00"
            + lenencInt(70000)
            + b"\x00" * 70000
        )
        self.assertRaises(Truncated, HandshakeResponse41.fromWire, payload, C.SERVER_CAPABILITIES)

    def test_afterTLSUsesSSLRequestFlags(self):
        """
        After TLS, the flags of the SSLRequest are kept (MySQL does not
        re-read them).
        """
        header = SSLRequest(self.caps).toWire()
        body = self.golden()
        tampered = (0).to_bytes(4, "little") + body[4:]
        response = HandshakeResponse41.fromWire(tampered, C.SERVER_CAPABILITIES, header)
        self.assertEqual(response.capabilities, self.caps | C.CLIENT_SSL)
        self.assertEqual(response.username, b"alice")

    def test_attributesRead(self):
        """
        Keys and values of any length-encoded size are read, in order.
        """
        block = lenencBytes(b"k" * 300) + lenencBytes(b"") + lenencBytes(b"a") + lenencBytes(b"v" * 251)
        self.assertEqual(
            parseConnectAttributes(block), ((b"k" * 300, b""), (b"a", b"v" * 251))
        )
        self.assertEqual(parseConnectAttributes(b""), ())

    def test_attributesMalformed(self):
        """
        An attribute block whose key or value runs past its end, whose key
        has no value, or whose length is malformed is refused with
        L{Truncated}.
        """
        for block in [
            b"\x05ab",
            b"\x01a",
            b"\x01a\x03bc",
            b"\xfb",
            b"\x01a\xff",
            b"\xfc\x01",
            b"\xfc\x05\x00abc",
            b"\x01a\xfd\x01\x00",
        ]:
            self.assertRaises(Truncated, parseConnectAttributes, block)

    def test_attributesLenient(self):
        """
        Not strict, a malformed attribute block gives the pairs before the
        first malformed one (what MySQL's performance schema keeps).
        """
        good = lenencBytes(b"_os") + lenencBytes(b"Linux")
        for tail, expected in [
            (b"", ((b"_os", b"Linux"),)),
            (b"\x05ab", ((b"_os", b"Linux"),)),
            (b"\x01a", ((b"_os", b"Linux"),)),
            (b"\x01a\x03bc", ((b"_os", b"Linux"),)),
            (b"\xfb", ((b"_os", b"Linux"),)),
            (b"\x01a\xff", ((b"_os", b"Linux"),)),
            (b"\xfc\x01", ((b"_os", b"Linux"),)),
            (b"\x01a\x01b", ((b"_os", b"Linux"), (b"a", b"b"))),
        ]:
            self.assertEqual(parseConnectAttributes(good + tail, strict=False), expected, tail)
        self.assertEqual(parseConnectAttributes(b"\x09_os", strict=False), ())

    def test_attributesKeptUnparsed(self):
        """
        L{parseHandshakeResponse} (the server's login path) keeps the
        attribute block as sent, even malformed inside, since MySQL's
        handshake only checks the block's length; L{fromWire} parses it and
        refuses a malformed one.
        """
        caps = self.caps
        block = b"\x04_pid\x0512345\x09broken"
        payload = (
            caps.to_bytes(4, "little")
            + b"\x00" * 28
            + b"u\x00\x00db\x00p\x00"
            + lenencInt(len(block))
            + block
        )
        self.assertEqual(parseHandshakeResponse(payload, C.SERVER_CAPABILITIES)[-1], block)
        self.assertRaises(Truncated, HandshakeResponse41.fromWire, payload, C.SERVER_CAPABILITIES)

    def test_agreesWithReader(self):
        """
        L{parseHandshakeResponse}, written for speed, reads every field as
        a plain L{PayloadReader} does, and refuses (L{Truncated}) exactly
        what it refuses: one- and three-byte lengths, a plugin name with or
        without its NUL, each combination of optional fields, and every
        truncation of each.
        """
        L = C.CLIENT_PLUGIN_AUTH_LENENC_CLIENT_DATA
        S = C.CLIENT_SECURE_CONNECTION
        base = C.CLIENT_PROTOCOL_41
        checked = 0
        for authFlags in (L | S, S, 0):
            for extra in (0, C.CLIENT_CONNECT_WITH_DB, C.CLIENT_PLUGIN_AUTH,
                          C.CLIENT_CONNECT_WITH_DB | C.CLIENT_PLUGIN_AUTH | C.CLIENT_CONNECT_ATTRS,
                          C.CLIENT_PLUGIN_AUTH | C.CLIENT_CONNECT_ATTRS):
                caps = base | authFlags | extra
                for auth in (b"", b"x" * 20, b"y" * 250, b"z" * 251, b"w" * 300):
                    if not authFlags & L and len(auth) > 255:
                        continue
                    if not authFlags and b"\x00" in auth:
                        continue
                    for block, pluginEnd in ((b"", b"\x00"), (b"\x01a\x01b", b"\x00"),
                                             (b"\x03key" + b"\xfc\x2c\x01" + b"v" * 300, b"\x00"),
                                             (b"", b"")):
                        payload = caps.to_bytes(4, "little") + b"\x00" * 28 + b"'u'\x00"
                        if authFlags & L:
                            payload += lenencBytes(auth)
                        elif authFlags & S:
                            payload += bytes([len(auth)]) + auth
                        else:
                            payload += auth + b"\x00"
                        if extra & C.CLIENT_CONNECT_WITH_DB:
                            payload += b"db\x00"
                        if extra & C.CLIENT_PLUGIN_AUTH:
                            payload += b"caching_sha2_password" + pluginEnd
                        if extra & C.CLIENT_CONNECT_ATTRS:
                            payload += lenencBytes(block)
                        for cut in range(len(payload) + 1):
                            self.assertSameReading(payload[:cut])
                            checked += 1
        self.assertGreater(checked, 10000)
        # The length markers that are not lengths, and the longer forms.
        head = (base | L | S | C.CLIENT_PLUGIN_AUTH | C.CLIENT_CONNECT_ATTRS).to_bytes(4, "little")
        head += b"\x00" * 28 + b"u\x00"
        for authLength in (b"\xfb", b"\xff", b"\xfd\x03\x00\x00", b"\xfe" + bytes(8)):
            self.assertSameReading(head + authLength + b"abc" + b"p\x00\x00")
        for attributesLength in (b"\xfb", b"\xff", b"\xfd\x02\x00\x00", b"\xfe" + bytes(8)):
            self.assertSameReading(head + b"\x00p\x00" + attributesLength + b"\x01a\x01b")
        # After TLS, the flags come from the SSLRequest's head.
        ssl = SSLRequest(base | L | S | C.CLIENT_PLUGIN_AUTH).toWire()
        self.assertSameReading(head + b"\x02ab" + b"p\x00", ssl)
        self.assertSameReading(head + b"\x02ab" + b"p\x00", ssl[:8])

    def assertSameReading(self, payload, header=None):
        """
        Assert that L{parseHandshakeResponse} and a L{PayloadReader} read
        C{payload} (after an SSLRequest whose head is C{header}) alike.
        """
        caps = C.SERVER_CAPABILITIES
        try:
            expected = readHandshakeResponse(payload, caps, header)
        except Truncated:
            self.assertRaises(Truncated, parseHandshakeResponse, payload, caps, header)
        else:
            self.assertEqual(parseHandshakeResponse(payload, caps, header), expected, payload)

    def test_attributesPastPayload(self):
        """
        An attribute block longer than the rest of the payload is refused.
        """
        payload = self.golden()[:-1]
        self.assertRaises(Truncated, HandshakeResponse41.fromWire, payload, C.SERVER_CAPABILITIES)

    def test_shortSSLRequestHead(self):
        """
        After TLS, an SSLRequest head too short for the flags, the maximum
        packet size and the character set is refused.
        """
        self.assertRaises(
            Truncated,
            HandshakeResponse41.fromWire,
            self.golden(),
            C.SERVER_CAPABILITIES,
            self.golden()[:8],
        )


class SSLRequestTests(SynchronousTestCase):
    """
    Tests for L{SSLRequest} and L{isSSLRequest}.
    """

    def test_golden(self):
        """
        An SSLRequest is the 32-byte head of a response with CLIENT_SSL.
        """
        wire = SSLRequest(C.CLIENT_PROTOCOL_41, 16, 45).toWire()
        self.assertEqual(
            wire, b"\x00\x0a\x00\x00" + b"\x10\x00\x00\x00" + b"\x2d" + b"\x00" * 23
        )
        self.assertTrue(isSSLRequest(wire))

    def test_notSSL(self):
        """
        A 32-byte head without CLIENT_SSL, or a longer packet, is not one.
        """
        self.assertFalse(isSSLRequest(b"\x00" * 32))
        self.assertFalse(isSSLRequest(SSLRequest(0).toWire() + b"x"))
        self.assertTrue(isSSLRequest(SSLRequest(0).toWire()[:4]))


class SmallPacketTests(SynchronousTestCase):
    """
    Golden bytes of the small packets.
    """

    def test_authSwitch(self):
        """
        AuthSwitchRequest: 0xFE, plugin name, NUL, data.
        """
        self.assertEqual(
            AuthSwitchRequest(b"mysql_native_password", NONCE + b"\x00").toWire(),
            b"\xfemysql_native_password\x00" + NONCE + b"\x00",
        )

    def test_authMoreData(self):
        """
        AuthMoreData: 0x01 then the data (fast auth success is 01 03).
        """
        self.assertEqual(AuthMoreData(b"\x03").toWire(), b"\x01\x03")

    def test_ok(self):
        """
        OK after login: 0x00, no rows, no id, autocommit status, no
        warnings.
        """
        self.assertEqual(OKPacket().toWire(), b"\x00\x00\x00\x02\x00\x00\x00")

    def test_err(self):
        """
        ERR: 0xFF, code, '#', SQLSTATE, message; without protocol 4.1 no
        SQLSTATE.
        """
        error = errors.AccessDenied(user="u", host="localhost", using="YES")
        self.assertEqual(
            ERRPacket.fromError(error).toWire(),
            b"\xff\x15\x04#28000Access denied for user 'u'@'localhost' (using password: YES)",
        )
        self.assertEqual(
            ERRPacket.fromError(errors.HostNotPrivileged(host="10.0.0.9"), False).toWire(),
            b"\xff\x6a\x04Host '10.0.0.9' is not allowed to connect to this MySQL server",
        )

    def test_errRoundTrip(self):
        """
        L{ERRPacket.fromWire} reads what L{ERRPacket.toWire} writes.
        """
        packet = ERRPacket(1698, "28000", "Access denied for user 'x'@'localhost'")
        self.assertEqual(ERRPacket.fromWire(packet.toWire()), packet)

    def test_eof(self):
        """
        EOF: 0xFE, warnings, status.
        """
        self.assertEqual(EOFPacket().toWire(), b"\xfe\x00\x00\x02\x00")


class ResultSetTests(SynchronousTestCase):
    """
    Tests for result-set packets.
    """

    def test_column(self):
        """
        A column definition: catalog def, schema, table, org table, name,
        org name, 0x0c, charset, length, type, flags, decimals, filler.
        """
        self.assertEqual(
            Column("USER()", length=288).toWire(),
            b"\x03def\x00\x00\x00\x06USER()\x06USER()\x0c"
            b"\x2d\x00\x20\x01\x00\x00\xfd\x00\x00\x1f\x00\x00",
        )

    def test_row(self):
        """
        A text row: lenenc strings, 0xFB for NULL.
        """
        self.assertEqual(textRow([b"a", None, b""]), b"\x01a\xfb\x00")

    def test_eofStyle(self):
        """
        Without CLIENT_DEPRECATE_EOF: count, columns, EOF, rows, EOF.
        """
        payloads = resultSet([Column("x")], [[b"1"]], deprecateEOF=False)
        self.assertEqual(payloads[0], b"\x01")
        self.assertEqual(payloads[2], EOFPacket().toWire())
        self.assertEqual(payloads[3], b"\x011")
        self.assertEqual(payloads[4], EOFPacket().toWire())
        self.assertEqual(len(payloads), 5)

    def test_okStyle(self):
        """
        With CLIENT_DEPRECATE_EOF: count, columns, rows, OK with 0xFE.
        """
        payloads = resultSet([Column("x")], [[b"1"]], deprecateEOF=True)
        self.assertEqual(len(payloads), 4)
        self.assertEqual(payloads[-1], b"\xfe\x00\x00\x02\x00\x00\x00")
