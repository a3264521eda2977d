# -*- test-case-name: tests.test_packets -*-
# Copyright (c) twisted_mysqlauth developers.
# See LICENSE for details.
"""
The packets of the connection phase and the few of the command phase this
server sends, as values with C{toWire()} (and C{fromWire()} where the
server or our test client reads them).

Layouts follow MySQL's C{sql/auth/sql_authentication.cc} as described in
the protocol reference; every field a client sends is read through
L{PayloadReader}, so a short or malformed packet raises
L{twisted_mysqlauth.wire.types.Truncated} rather than reading garbage.
"""

from __future__ import annotations

import functools
import struct
from typing import Iterable, List, Optional, Sequence, Tuple

import attr

from twisted_mysqlauth.wire import constants as C
from twisted_mysqlauth.wire.types import (
    PayloadReader,
    Truncated,
    lenencBytes,
    lenencInt,
)

#: The size of an SSLRequest and of the fixed head of a HandshakeResponse41.
RESPONSE_HEADER_LENGTH = 32

#: The largest connection-attribute block MySQL accepts.
MAX_CONNECT_ATTRS_LENGTH = 65535

_UINT32 = struct.Struct("<I")
_RESPONSE_HEAD = struct.Struct("<IIB")


@attr.s(frozen=True, slots=True, auto_attribs=True)
class HandshakeV10:
    """
    The server's greeting (sequence id 0).

    @ivar serverVersion: e.g. C{b"8.0.36-twisted_mysqlauth"}.
    @ivar connectionId: the connection's id (C{CONNECTION_ID()}).
    @ivar authPluginData: the default method's initial data: 20 nonce bytes
        and a NUL for the password methods.
    @ivar capabilities: the server's capability flags.
    @ivar characterSet: the server's default collation id.
    @ivar statusFlags: C{SERVER_STATUS_*} flags.
    @ivar authPluginName: the client plugin name of the default method.
    """

    serverVersion: bytes
    connectionId: int
    authPluginData: bytes
    capabilities: int
    characterSet: int = C.UTF8MB4_GENERAL_CI
    statusFlags: int = C.SERVER_STATUS_AUTOCOMMIT
    authPluginName: bytes = b"caching_sha2_password"

    def toWire(self) -> bytes:
        """
        @return: the payload.
        """
        return greetingPayload(
            self.serverVersion,
            self.connectionId,
            self.authPluginData,
            self.capabilities,
            self.authPluginName,
            self.characterSet,
            self.statusFlags,
        )

    @classmethod
    def fromWire(cls, payload: bytes) -> "HandshakeV10":
        """
        Read a greeting (the client side; used by L{twisted_mysqlauth.testing}).

        @param payload: the payload.
        @return: the greeting.
        @raise Truncated: when malformed.
        """
        reader = PayloadReader(payload)
        if reader.int1() != 10:
            raise Truncated("not protocol 10")
        version = reader.nulTerminated()
        connectionId = reader.int4()
        part1 = reader.fixed(8)
        reader.fixed(1)
        capsLow = reader.int2()
        charset = reader.int1()
        status = reader.int2()
        capsHigh = reader.int2()
        dataLength = reader.int1()
        reader.fixed(10)
        part2 = reader.fixed(max(13, dataLength - 8))
        name = reader.nulTerminatedOrRest()
        return cls(
            serverVersion=version,
            connectionId=connectionId,
            authPluginData=part1 + part2,
            capabilities=capsLow | capsHigh << 16,
            characterSet=charset,
            statusFlags=status,
            authPluginName=name,
        )


@functools.lru_cache(maxsize=64)
def _greetingParts(
    serverVersion: bytes,
    capabilities: int,
    characterSet: int,
    statusFlags: int,
    authPluginName: bytes,
    dataLength: int,
) -> Tuple[bytes, bytes, bytes]:
    """
    The constant runs of a greeting: before the connection id, between the
    first 8 bytes of plugin data and the rest, and after the data.
    """
    return (
        b"\x0a" + serverVersion + b"\x00",
        b"\x00"
        + struct.pack(
            "<HBHHB",
            capabilities & 0xFFFF,
            characterSet & 0xFF,
            statusFlags,
            capabilities >> 16 & 0xFFFF,
            dataLength,
        )
        + b"\x00" * 10,
        authPluginName + b"\x00",
    )


def greetingPayload(
    serverVersion: bytes,
    connectionId: int,
    authPluginData: bytes,
    capabilities: int,
    authPluginName: bytes = b"caching_sha2_password",
    characterSet: int = C.UTF8MB4_GENERAL_CI,
    statusFlags: int = C.SERVER_STATUS_AUTOCOMMIT,
) -> bytes:
    """
    The payload of a L{HandshakeV10} greeting, without building one: only
    the connection id and the plugin data change from one connection to
    the next, the rest is made once.

    @return: the payload (see L{HandshakeV10.toWire}).
    """
    data = authPluginData
    if len(data) < 21:
        # Clients read at least 8 + 12 bytes and a NUL.
        data = data.rstrip(b"\x00").ljust(20, b"\x00") + b"\x00"
    head, middle, tail = _greetingParts(
        serverVersion, capabilities, characterSet, statusFlags, authPluginName, len(data)
    )
    return b"".join(
        (head, _UINT32.pack(connectionId), data[:8], middle, data[8:], tail)
    )


@functools.lru_cache(maxsize=64)
def _greetingFrame(
    serverVersion: str, capabilities: int, authPluginName: str
) -> Tuple[bytes, bytes, bytes]:
    """
    L{_greetingParts} for 20 bytes of plugin data (21 with their NUL),
    the first with the packet header (length, sequence 0) before it.
    """
    head, middle, tail = _greetingParts(
        serverVersion.encode("utf-8"),
        capabilities,
        C.UTF8MB4_GENERAL_CI,
        C.SERVER_STATUS_AUTOCOMMIT,
        authPluginName.encode("ascii"),
        21,
    )
    length = len(head) + 4 + 21 + len(middle) + len(tail)
    return length.to_bytes(3, "little") + b"\x00" + head, middle, tail


def greetingPacket(
    serverVersion: str,
    connectionId: int,
    authPluginData: bytes,
    capabilities: int,
    authPluginName: str,
) -> bytes:
    """
    A whole greeting packet (header and L{greetingPayload}, sequence 0),
    with the default character set and status flags; the parts that do not
    change between connections are made once.

    @param serverVersion: the version text.
    @param authPluginName: the client plugin named, text.
    @return: the packet's bytes.
    """
    size = len(authPluginData)
    if size == 21 and authPluginData[20] == 0:
        # The usual nonce: 20 bytes and their NUL.
        end = b""
    elif size == 20:
        end = b"\x00"
    else:
        payload = greetingPayload(
            serverVersion.encode("utf-8"),
            connectionId,
            authPluginData,
            capabilities,
            authPluginName.encode("ascii"),
        )
        return len(payload).to_bytes(3, "little") + b"\x00" + payload
    first, middle, tail = _greetingFrame(serverVersion, capabilities, authPluginName)
    return b"".join(
        (
            first,
            _UINT32.pack(connectionId),
            authPluginData[:8],
            middle,
            authPluginData[8:],
            end,
            tail,
        )
    )


def isSSLRequest(payload: bytes) -> bool:
    """
    @param payload: the first payload from a client.
    @return: whether it is an SSLRequest: the 32-byte head of a handshake
        response (or the legacy 4-byte flags) with C{CLIENT_SSL} set, and
        nothing more.
    """
    if len(payload) not in (4, RESPONSE_HEADER_LENGTH):
        return False
    return bool(struct.unpack("<I", payload[:4])[0] & C.CLIENT_SSL)


@attr.s(frozen=True, slots=True, auto_attribs=True)
class SSLRequest:
    """
    A client's request to upgrade to TLS.
    """

    capabilities: int
    maxPacketSize: int = 1 << 24
    characterSet: int = C.UTF8MB4_GENERAL_CI

    def toWire(self) -> bytes:
        """
        @return: the payload.
        """
        return (
            struct.pack("<IIB", self.capabilities | C.CLIENT_SSL, self.maxPacketSize, self.characterSet)
            + b"\x00" * 23
        )


def _lenencIntAt(payload: bytes, offset: int) -> Tuple[int, int]:
    """
    Read a length-encoded integer at C{offset} (the rules of
    L{PayloadReader.lenencInt}).

    @return: the value and the offset after it.
    @raise Truncated: when the payload ends first or the marker is invalid.
    """
    if offset >= len(payload):
        raise Truncated(f"wanted 1 bytes at {offset}")
    first = payload[offset]
    if first < 0xFB:
        return first, offset + 1
    if first == 0xFC:
        size = 2
    elif first == 0xFD:
        size = 3
    elif first == 0xFE:
        size = 8
    else:
        raise Truncated(f"invalid length-encoded integer marker {first:#x}")
    end = offset + 1 + size
    if end > len(payload):
        raise Truncated(f"wanted {size} bytes at {offset + 1}")
    return int.from_bytes(payload[offset + 1 : end], "little"), end


def _nulTerminatedOrRestAt(payload: bytes, offset: int) -> Tuple[bytes, int]:
    """
    The bytes from C{offset} up to the next NUL (consumed), or all the
    rest when there is none.

    @return: the bytes and the offset after them.
    """
    end = payload.find(b"\x00", offset)
    if end < 0:
        return payload[offset:], len(payload)
    return payload[offset:end], end + 1


def parseConnectAttributes(block: bytes, strict: bool = True) -> Tuple[Tuple[bytes, bytes], ...]:
    """
    Parse a block of connection attributes: length-encoded keys and
    values, one after the other.

    @param block: the block (without its own length).
    @param strict: when false, a malformed block gives the pairs before
        the first malformed one (what MySQL's performance schema keeps)
        instead of an error.
    @return: the (key, value) pairs, in order.
    @raise Truncated: when C{strict} and a key or value runs past the
        block, a key has no value, or a length is malformed.
    """
    # Every string is cut out in one pass (a slice past the end is only
    # shorter; that is checked once, after the pass) and paired at the end.
    strings = []
    append = strings.append
    offset = 0
    length = len(block)
    while offset < length:
        size = block[offset]
        if size < 0xFB:
            offset += 1
        else:
            try:
                size, offset = _lenencIntAt(block, offset)
            except Truncated:
                if strict:
                    raise
                break
        end = offset + size
        append(block[offset:end])
        offset = end
    if offset > length:
        if strict:
            raise Truncated("a connection attribute runs past the block")
        # The last string was cut short: not kept.
        del strings[-1]
    if len(strings) % 2:
        if strict:
            raise Truncated("a connection attribute without a value")
        del strings[-1]
    return tuple(zip(strings[::2], strings[1::2]))


def parseHandshakeResponse(
    payload: bytes, serverCapabilities: int, header: Optional[bytes] = None
) -> Tuple[int, int, int, bytes, bytes, Optional[bytes], Optional[bytes], bytes]:
    """
    L{HandshakeResponse41.fromWire} without the object, for the server's
    login path: the fields as a tuple, the connection attributes as their
    block (only its length checked, as MySQL's handshake does).

    @return: C{(capabilities, maxPacketSize, characterSet, username,
        authResponse, database, clientPluginName, connectAttributesBlock)}.
    @raise Truncated: see L{HandshakeResponse41.fromWire}.
    """
    # Read with plain indexing rather than a PayloadReader: this runs
    # once per login, and the reader's method per field was a tenth of
    # a login's CPU. The rules (and each Truncated) are the reader's.
    length = len(payload)
    if length < RESPONSE_HEADER_LENGTH:
        raise Truncated("handshake response shorter than 32 bytes")
    if header is None:
        clientCaps, maxPacket, charset = _RESPONSE_HEAD.unpack_from(payload)
    elif len(header) < _RESPONSE_HEAD.size:
        raise Truncated("SSLRequest head shorter than 9 bytes")
    else:
        clientCaps, maxPacket, charset = _RESPONSE_HEAD.unpack_from(header)
    if not clientCaps & C.CLIENT_PROTOCOL_41:
        raise Truncated("pre-4.1 clients are not supported")
    caps = clientCaps & serverCapabilities
    end = payload.find(b"\x00", RESPONSE_HEADER_LENGTH)
    if end < 0:
        raise Truncated("missing NUL terminator")
    username = payload[RESPONSE_HEADER_LENGTH:end]
    offset = end + 1
    if caps & C.CLIENT_PLUGIN_AUTH_LENENC_CLIENT_DATA:
        size, offset = _lenencIntAt(payload, offset)
        end = offset + size
        if end > length:
            raise Truncated(f"wanted {size} bytes at {offset}")
        authResponse = payload[offset:end]
        offset = end
    elif caps & C.CLIENT_SECURE_CONNECTION:
        if offset >= length:
            raise Truncated(f"wanted 1 bytes at {offset}")
        end = offset + 1 + payload[offset]
        if end > length:
            raise Truncated(f"wanted {payload[offset]} bytes at {offset + 1}")
        authResponse = payload[offset + 1 : end]
        offset = end
    else:
        authResponse, offset = _nulTerminatedOrRestAt(payload, offset)
    database = None
    if caps & C.CLIENT_CONNECT_WITH_DB:
        database, offset = _nulTerminatedOrRestAt(payload, offset)
    pluginName = None
    if caps & C.CLIENT_PLUGIN_AUTH and offset < length:
        # (MariaDB: "some clients lie" - the flag without the field.)
        pluginName, offset = _nulTerminatedOrRestAt(payload, offset)
    block = b""
    if caps & C.CLIENT_CONNECT_ATTRS and offset < length:
        total, offset = _lenencIntAt(payload, offset)
        if total > MAX_CONNECT_ATTRS_LENGTH:
            raise Truncated("connection attributes too long")
        if offset + total > length:
            raise Truncated(f"wanted {total} bytes at {offset}")
        block = payload[offset : offset + total]
    if len(username) >= 2 and username[:1] == username[-1:] == b"'":
        username = username[1:-1]
    return clientCaps, maxPacket, charset, username, authResponse, database, pluginName, block


@attr.s(frozen=True, slots=True, auto_attribs=True)
class HandshakeResponse41:
    """
    The client's answer to the greeting.

    @ivar capabilities: the client's flags as sent.
    @ivar username: the user name, bytes (quotes around it removed, as MySQL
        does).
    @ivar authResponse: the client plugin's first data.
    @ivar database: the initial database, or L{None}.
    @ivar clientPluginName: the client plugin that produced C{authResponse},
        or L{None} when the client does not do pluggable authentication.
    @ivar connectAttributes: the connection attributes, as (key, value)
        pairs of bytes.
    """

    capabilities: int
    maxPacketSize: int
    characterSet: int
    username: bytes
    authResponse: bytes = b""
    database: Optional[bytes] = None
    clientPluginName: Optional[bytes] = None
    connectAttributes: Tuple[Tuple[bytes, bytes], ...] = ()

    @classmethod
    def fromWire(
        cls, payload: bytes, serverCapabilities: int, header: Optional[bytes] = None
    ) -> "HandshakeResponse41":
        """
        Parse a handshake response.

        Optional fields are read according to the flags both sides set
        (MariaDB's rule), because some clients set flags they then only
        honour when the server offered them.

        @param payload: the payload.
        @param serverCapabilities: the flags the server offered.
        @param header: after TLS, the 32-byte head of the SSLRequest: its
            flags are kept, as MySQL does, and only the rest of C{payload}
            is read.
        @raise Truncated: when malformed (MySQL's "Bad handshake").
        """
        (
            clientCaps,
            maxPacket,
            charset,
            username,
            authResponse,
            database,
            pluginName,
            block,
        ) = parseHandshakeResponse(payload, serverCapabilities, header)
        return cls(
            capabilities=clientCaps,
            maxPacketSize=maxPacket,
            characterSet=charset,
            username=username,
            authResponse=authResponse,
            database=database,
            clientPluginName=pluginName,
            connectAttributes=parseConnectAttributes(block),
        )

    def toWire(self) -> bytes:
        """
        @return: the payload (the client side; the lenenc auth response is
            used when the flags say so).
        """
        caps = self.capabilities
        parts = [
            struct.pack("<IIB", caps, self.maxPacketSize, self.characterSet),
            b"\x00" * 23,
            self.username,
            b"\x00",
        ]
        if caps & C.CLIENT_PLUGIN_AUTH_LENENC_CLIENT_DATA:
            parts.append(lenencBytes(self.authResponse))
        else:
            parts.append(bytes([len(self.authResponse)]) + self.authResponse)
        if caps & C.CLIENT_CONNECT_WITH_DB:
            parts.append((self.database or b"") + b"\x00")
        if caps & C.CLIENT_PLUGIN_AUTH:
            parts.append((self.clientPluginName or b"") + b"\x00")
        if caps & C.CLIENT_CONNECT_ATTRS:
            block = b"".join(lenencBytes(k) + lenencBytes(v) for k, v in self.connectAttributes)
            parts.append(lenencBytes(block))
        return b"".join(parts)


@attr.s(frozen=True, slots=True, auto_attribs=True)
class AuthSwitchRequest:
    """
    Ask the client to continue with another client plugin.
    """

    pluginName: bytes
    data: bytes = b""

    def toWire(self) -> bytes:
        """
        @return: the payload.
        """
        return b"\xfe" + self.pluginName + b"\x00" + self.data


@attr.s(frozen=True, slots=True, auto_attribs=True)
class AuthMoreData:
    """
    Plugin data for the client, prefixed with C{0x01}.
    """

    data: bytes

    def toWire(self) -> bytes:
        """
        @return: the payload.
        """
        return b"\x01" + self.data


@attr.s(frozen=True, slots=True, auto_attribs=True)
class OKPacket:
    """
    Success. With C{header=0xFE} it is the OK that ends a result set for a
    client that set C{CLIENT_DEPRECATE_EOF}.
    """

    affectedRows: int = 0
    lastInsertId: int = 0
    statusFlags: int = C.SERVER_STATUS_AUTOCOMMIT
    warnings: int = 0
    info: bytes = b""
    header: int = C.OK_MARKER

    def toWire(self) -> bytes:
        """
        @return: the payload.
        """
        return (
            bytes([self.header])
            + lenencInt(self.affectedRows)
            + lenencInt(self.lastInsertId)
            + struct.pack("<HH", self.statusFlags, self.warnings)
            + self.info
        )


@attr.s(frozen=True, slots=True, auto_attribs=True)
class ERRPacket:
    """
    An error.

    @ivar protocol41: whether the client announced C{CLIENT_PROTOCOL_41}
        (then the SQLSTATE is sent); errors sent before the client said
        anything carry none.
    """

    errorCode: int
    sqlState: str
    message: str
    protocol41: bool = True

    def toWire(self) -> bytes:
        """
        @return: the payload.
        """
        state = b""
        if self.protocol41:
            state = b"#" + self.sqlState.encode("ascii")[:5].ljust(5, b"0")
        return (
            b"\xff"
            + struct.pack("<H", self.errorCode)
            + state
            + self.message.encode("utf-8", "replace")
        )

    @classmethod
    def fromError(cls, error: "object", protocol41: bool = True) -> "ERRPacket":
        """
        @param error: a L{twisted_mysqlauth.errors.MySQLError}.
        @param protocol41: see L{ERRPacket.protocol41}.
        @return: the packet for it.
        """
        return cls(error.errorCode, error.sqlState, error.message, protocol41)  # type: ignore[attr-defined]

    @classmethod
    def fromWire(cls, payload: bytes) -> "ERRPacket":
        """
        @param payload: an ERR payload.
        @return: the packet.
        """
        reader = PayloadReader(payload)
        if reader.int1() != C.ERR_MARKER:
            raise Truncated("not an ERR packet")
        code = reader.int2()
        state = ""
        protocol41 = False
        if reader.payload[reader.offset : reader.offset + 1] == b"#":
            reader.fixed(1)
            state = reader.fixed(5).decode("ascii", "replace")
            protocol41 = True
        return cls(code, state, reader.rest().decode("utf-8", "replace"), protocol41)


@attr.s(frozen=True, slots=True, auto_attribs=True)
class EOFPacket:
    """
    The end of column definitions or rows, for clients without
    C{CLIENT_DEPRECATE_EOF}.
    """

    warnings: int = 0
    statusFlags: int = C.SERVER_STATUS_AUTOCOMMIT

    def toWire(self) -> bytes:
        """
        @return: the payload.
        """
        return b"\xfe" + struct.pack("<HH", self.warnings, self.statusFlags)


@attr.s(frozen=True, slots=True, auto_attribs=True)
class Column:
    """
    A result-set column (ColumnDefinition41).

    @ivar name: the column's name as the client shows it.
    @ivar columnType: C{MYSQL_TYPE_*}.
    @ivar length: the column's display length.
    """

    name: str
    columnType: int = C.MYSQL_TYPE_VAR_STRING
    length: int = 1024
    characterSet: int = C.UTF8MB4_GENERAL_CI
    flags: int = 0
    decimals: int = 0x1F
    table: str = ""
    schema: str = ""

    def toWire(self) -> bytes:
        """
        @return: the payload.
        """
        name = self.name.encode("utf-8")
        return b"".join(
            [
                lenencBytes(b"def"),
                lenencBytes(self.schema.encode("utf-8")),
                lenencBytes(self.table.encode("utf-8")),
                lenencBytes(self.table.encode("utf-8")),
                lenencBytes(name),
                lenencBytes(name),
                b"\x0c",
                struct.pack(
                    "<HIBHB",
                    self.characterSet,
                    self.length,
                    self.columnType,
                    self.flags,
                    self.decimals,
                ),
                b"\x00\x00",
            ]
        )


def textRow(values: Iterable[Optional[bytes]]) -> bytes:
    """
    @param values: one row's values, L{None} for SQL NULL.
    @return: the payload of a text-protocol row.
    """
    return b"".join(b"\xfb" if v is None else lenencBytes(v) for v in values)


def resultSet(
    columns: Sequence[Column],
    rows: Iterable[Sequence[Optional[bytes]]],
    deprecateEOF: bool,
    statusFlags: int = C.SERVER_STATUS_AUTOCOMMIT,
) -> List[bytes]:
    """
    Build the payloads of a text result set.

    @param columns: the columns.
    @param rows: the rows, each a sequence of bytes or L{None}.
    @param deprecateEOF: whether the client set C{CLIENT_DEPRECATE_EOF}.
    @param statusFlags: the status flags for the final packet.
    @return: the payloads, in order.
    """
    payloads = [lenencInt(len(columns))]
    payloads.extend(column.toWire() for column in columns)
    if not deprecateEOF:
        payloads.append(EOFPacket(statusFlags=statusFlags).toWire())
    payloads.extend(textRow(row) for row in rows)
    if deprecateEOF:
        payloads.append(OKPacket(statusFlags=statusFlags, header=C.EOF_MARKER).toWire())
    else:
        payloads.append(EOFPacket(statusFlags=statusFlags).toWire())
    return payloads
