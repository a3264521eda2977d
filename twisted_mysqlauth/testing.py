# -*- test-case-name: tests.test_protocol -*-
# Copyright (c) twisted_mysqlauth developers.
# See LICENSE for details.
"""
Public helpers for testing servers built with twisted_mysqlauth: a small
MySQL client protocol that logs in with the password methods (following
the server's switches, fast/full caching_sha2 authentication, RSA key
requests) and runs queries, and in-memory wiring on L{twisted.test.iosim}.
"""

from __future__ import annotations

from typing import Any, List, Optional, Sequence, Tuple

import attr

from twisted.internet import defer
from twisted.internet.protocol import Protocol
from twisted.python.failure import Failure

from twisted_mysqlauth.auth import hashing
from twisted_mysqlauth.wire import constants as C
from twisted_mysqlauth.wire.codec import PacketDecoder, encodePacket
from twisted_mysqlauth.wire.packets import (
    ERRPacket,
    HandshakeResponse41,
    HandshakeV10,
    SSLRequest,
)
from twisted_mysqlauth.wire.types import PayloadReader

#: The flags the test client sends.
CLIENT_CAPABILITIES = (
    C.CLIENT_LONG_PASSWORD
    | C.CLIENT_PROTOCOL_41
    | C.CLIENT_SECURE_CONNECTION
    | C.CLIENT_TRANSACTIONS
    | C.CLIENT_MULTI_RESULTS
    | C.CLIENT_PLUGIN_AUTH
    | C.CLIENT_PLUGIN_AUTH_LENENC_CLIENT_DATA
    | C.CLIENT_CONNECT_ATTRS
    | C.CLIENT_DEPRECATE_EOF
)


class ServerError(Exception):
    """
    The server answered with an ERR packet.

    @ivar errorCode: the code; @ivar sqlState: the SQLSTATE; @ivar message:
    the text.
    """

    def __init__(self, packet: ERRPacket) -> None:
        super().__init__(f"{packet.errorCode} ({packet.sqlState}): {packet.message}")
        self.errorCode = packet.errorCode
        self.sqlState = packet.sqlState
        self.message = packet.message


@attr.s(auto_attribs=True)
class LoginTrace:
    """
    What happened during a login, for assertions.

    @ivar greeting: the server's L{HandshakeV10}.
    @ivar switchedTo: the plugin names of AuthSwitchRequests, in order.
    @ivar moreData: the AuthMoreData payloads received (without the 0x01).
    """

    greeting: Optional[HandshakeV10] = None
    switchedTo: List[str] = attr.Factory(list)
    moreData: List[bytes] = attr.Factory(list)


def passwordResponse(plugin: str, password: bytes, nonce: bytes, secure: bool) -> bytes:
    """
    The first response of a client plugin to C{nonce}.

    @param plugin: the client plugin name.
    @param password: the password.
    @param nonce: the 20 nonce bytes.
    @param secure: whether the transport is TLS (sha256_password then sends
        the cleartext at once).
    """
    if plugin == "mysql_native_password":
        return hashing.nativeScramble(password, nonce) if password else b""
    if plugin == "caching_sha2_password":
        return hashing.cachingSHA2Scramble(password, nonce) if password else b""
    if plugin == "sha256_password":
        if not password:
            return b"\x00"
        return password + b"\x00" if secure else b"\x01"
    if plugin in ("mysql_clear_password", "auth_test_plugin", "dialog"):
        return password + b"\x00"
    return b""


class DialogAnswers:
    """
    A client side of MariaDB's C{dialog} plugin for L{MySQLTestClient}: the
    first password question gets the client's password, as the C{mariadb}
    command line does; every other question the next of C{answers}.

    Use as C{MySQLTestClient(..., authHandlers={"dialog": DialogAnswers(
    [b"123456"])})}.

    @ivar prompts: the (question type, text) pairs received, in order.
    """

    def __init__(self, answers: Sequence[bytes] = ()) -> None:
        self.answers = list(answers)
        self.prompts: List[Tuple[int, bytes]] = []

    def __call__(self, client: "MySQLTestClient") -> "DialogAnswers":
        self._client = client
        self._passwordSent = False
        return self

    def greet(self, data: bytes) -> List[bytes]:
        # The greeting's data is a nonce, not a question: send the password,
        # as Connector/C's dialog does when it is the first plugin.
        self._passwordSent = True
        return [self._client.password + b"\x00"]

    def start(self, data: bytes) -> List[bytes]:
        if not data:
            # No question yet: answer with the password (as Connector/C).
            self._passwordSent = True
            return [self._client.password + b"\x00"]
        return self.moreData(data)

    def moreData(self, payload: bytes) -> List[bytes]:
        if payload[:1] == b"\x01":
            payload = payload[1:]
        kind, text = payload[0], payload[1:]
        self.prompts.append((kind, text))
        if kind >> 1 == 2 and not self._passwordSent:
            self._passwordSent = True
            return [self._client.password + b"\x00"]
        if not self.answers:
            raise ValueError(f"no answer left for dialog question {text!r}")
        return [self.answers.pop(0) + b"\x00"]


class MySQLTestClient(Protocol):
    """
    Log in and run queries.

    @ivar loggedIn: fires with the L{LoginTrace} after the OK, or fails with
        L{ServerError}.
    """

    def __init__(
        self,
        user: bytes,
        password: bytes = b"",
        database: Optional[bytes] = None,
        plugin: Optional[str] = None,
        tlsOptions: Any = None,
        secure: bool = False,
        capabilities: int = CLIENT_CAPABILITIES,
        connectAttributes: Sequence[Tuple[bytes, bytes]] = (),
        authHandlers: Any = None,
    ) -> None:
        self.user = user
        self.password = password
        self.database = database
        self.plugin = plugin
        self.tlsOptions = tlsOptions
        self.secure = secure or tlsOptions is not None
        self.capabilities = capabilities
        self.connectAttributes = tuple(connectAttributes)
        #: client plugin name -> factory(client) of a handler with
        #: start(data) and moreData(payload), each returning the packets to
        #: send (see L{DialogAnswers}).
        self.authHandlers = dict(authHandlers or {})
        self._handler: Any = None
        self.loggedIn: defer.Deferred = defer.Deferred()
        self.trace = LoginTrace()
        self._decoder = PacketDecoder(1 << 30)
        self._seq = 0
        self._state = "greeting"
        self._nonce = b""
        self._currentPlugin = ""
        self._pending: Optional[defer.Deferred] = None
        self._resultPackets: List[bytes] = []
        self.closed: defer.Deferred = defer.Deferred()

    def send(self, payload: bytes) -> None:
        """
        Send a payload with the next sequence id.
        """
        data, self._seq = encodePacket(self._seq, payload)
        self.transport.write(data)

    def dataReceived(self, data: bytes) -> None:
        for packet in self._decoder.feed(data):
            self._seq = (packet.lastSequenceId + 1) & 0xFF
            getattr(self, "_packet_" + self._state)(packet.payload)

    def connectionLost(self, reason: Failure = None) -> None:
        if not self.loggedIn.called:
            self.loggedIn.errback(reason)
        if self._pending is not None and not self._pending.called:
            self._pending.errback(reason)
        self.closed.callback(None)

    def _packet_greeting(self, payload: bytes) -> None:
        if payload[:1] == b"\xff":
            self._state = "done"
            self.loggedIn.errback(ServerError(ERRPacket.fromWire(payload)))
            return
        greeting = HandshakeV10.fromWire(payload)
        self.trace.greeting = greeting
        self._nonce = greeting.authPluginData[:20]
        plugin = self.plugin or greeting.authPluginName.decode("ascii")
        self._currentPlugin = plugin
        later: List[bytes] = []
        if plugin in self.authHandlers:
            self._handler = self.authHandlers[plugin](self)
            # A handler may answer the greeting its own way (greet).
            start = getattr(self._handler, "greet", self._handler.start)
            first, *later = start(greeting.authPluginData) or [b""]
        else:
            first = passwordResponse(plugin, self.password, self._nonce, self.secure)
        caps = self.capabilities
        if self.database is not None:
            caps |= C.CLIENT_CONNECT_WITH_DB
        if self.tlsOptions is not None:
            caps |= C.CLIENT_SSL
            self.send(SSLRequest(caps).toWire())
            self.transport.startTLS(self.tlsOptions)
        response = HandshakeResponse41(
            capabilities=caps,
            maxPacketSize=1 << 24,
            characterSet=C.UTF8MB4_GENERAL_CI,
            username=self.user,
            authResponse=first,
            database=self.database,
            clientPluginName=plugin.encode("ascii"),
            connectAttributes=self.connectAttributes,
        )
        self._state = "auth"
        self.send(response.toWire())
        for payload in later:
            self.send(payload)

    def _packet_auth(self, payload: bytes) -> None:
        marker = payload[:1]
        if marker == b"\x00":
            self._state = "command"
            self.loggedIn.callback(self.trace)
        elif marker == b"\xff":
            self._state = "done"
            self.loggedIn.errback(ServerError(ERRPacket.fromWire(payload)))
        elif marker == b"\xfe":
            reader = PayloadReader(payload, 1)
            plugin = reader.nulTerminated().decode("ascii")
            data = reader.rest()
            self.trace.switchedTo.append(plugin)
            self._currentPlugin = plugin
            self._nonce = data[:20]
            if plugin in self.authHandlers:
                self._handler = self.authHandlers[plugin](self)
                self._sendAll(self._handler.start, data)
            else:
                self._handler = None
                self.send(passwordResponse(plugin, self.password, self._nonce, self.secure))
        elif self._handler is not None:
            self._sendAll(self._handler.moreData, payload)
        elif marker == b"\x01":
            self._moreData(payload[1:])
        else:
            self._state = "done"
            self.loggedIn.errback(ValueError(f"unexpected packet {payload!r}"))

    def _sendAll(self, produce: Any, data: bytes) -> None:
        try:
            packets = produce(data)
        except Exception:
            self._state = "done"
            self.loggedIn.errback()
            self.transport.loseConnection()
            return
        for payload in packets:
            self.send(payload)

    def _moreData(self, data: bytes) -> None:
        from twisted_mysqlauth import keys

        self.trace.moreData.append(data)
        plugin = self._currentPlugin
        if plugin == "caching_sha2_password" and data == b"\x03":
            return
        if plugin == "caching_sha2_password" and data == b"\x04":
            if self.secure:
                self.send(self.password + b"\x00")
            else:
                self.send(b"\x02")
            return
        if data.startswith(b"-----BEGIN PUBLIC KEY-----"):
            self.send(keys.encryptPassword(data, self.password, self._nonce))
            return
        self._state = "done"
        self.loggedIn.errback(ValueError(f"unexpected AuthMoreData {data!r}"))

    # -- commands ---------------------------------------------------------------

    def command(self, command: int, payload: bytes = b"") -> defer.Deferred:
        """
        Send one command.

        @return: a L{Deferred} firing with the list of payloads of the answer
            (one for OK, all of a result set), or failing with L{ServerError}.
        """
        self._seq = 0
        self._pending = defer.Deferred()
        self._resultPackets = []
        self._state = "result"
        self.send(bytes([command]) + payload)
        return self._pending

    def query(self, sql: str) -> defer.Deferred:
        """
        Run a query.

        @return: a L{Deferred} firing with (column names, rows of bytes or
            None) for a result set, or the affected-row count for an OK.
        """
        d = self.command(C.COM_QUERY, sql.encode("utf-8"))
        d.addCallback(decodeResult)
        return d

    def _packet_result(self, payload: bytes) -> None:
        # This client sets CLIENT_DEPRECATE_EOF: a result set is a count,
        # the columns, the rows, and an OK marked 0xFE.
        packets = self._resultPackets
        packets.append(payload)
        if len(packets) == 1:
            if payload[:1] in (b"\x00", b"\xff"):
                self._finish()
            return
        count = PayloadReader(packets[0]).lenencInt()
        ended = payload[:1] == b"\xfe" and len(payload) < 9
        if payload[:1] == b"\xff" or (len(packets) > count + 1 and ended):
            self._finish()

    def _finish(self) -> None:
        d, self._pending = self._pending, None
        packets, self._resultPackets = self._resultPackets, []
        self._state = "command"
        if packets[-1][:1] == b"\xff":
            d.errback(ServerError(ERRPacket.fromWire(packets[-1])))
        else:
            d.callback(packets)

    def _packet_done(self, payload: bytes) -> None:
        pass

    _packet_command = _packet_done


def decodeResult(packets: List[bytes]) -> Any:
    """
    @param packets: the payloads of an answer (CLIENT_DEPRECATE_EOF style).
    @return: the affected-row count of an OK, or (column names, rows).
    """
    first = packets[0]
    if first[:1] == b"\x00" and len(packets) == 1:
        reader = PayloadReader(first, 1)
        return reader.lenencInt()
    count = PayloadReader(first).lenencInt()
    names = []
    for payload in packets[1 : 1 + count]:
        reader = PayloadReader(payload)
        for _ in range(4):
            reader.lenencBytes()
        names.append(reader.lenencBytes().decode("utf-8"))
    rows = []
    for payload in packets[1 + count : -1]:
        reader = PayloadReader(payload)
        row: List[Optional[bytes]] = []
        while not reader.atEnd():
            if reader.payload[reader.offset] == 0xFB:
                reader.offset += 1
                row.append(None)
            else:
                row.append(reader.lenencBytes())
        rows.append(row)
    return names, rows


class FakeTLSOptions:
    """
    A stand-in for TLS context options on L{twisted.test.iosim}: both sides
    call C{startTLS} with one and the simulated handshake succeeds.
    """

    def iosimVerify(self, other: Any) -> bool:
        return isinstance(other, FakeTLSOptions)


def connectedServerAndClient(
    factory: Any,
    client: Protocol,
    peerAddress: Any = None,
    clock: Any = None,
) -> Tuple[Protocol, Protocol, Any]:
    """
    Connect a server protocol from C{factory} and C{client} in memory.

    @param factory: a L{twisted_mysqlauth.server.MySQLServerFactory}.
    @param client: a client protocol (for example L{MySQLTestClient}).
    @param peerAddress: what the server's transport says the client is: an
        L{IPv4Address} (default C{127.0.0.1}, so C{localhost}) or a
        L{UNIXAddress} for a UNIX-socket client.
    @param clock: the L{twisted.internet.task.Clock} that the pump advances.
    @return: (client, server, pump); call C{pump.flush()} to move bytes.
    """
    from twisted.internet.address import IPv4Address
    from twisted.test import iosim

    if peerAddress is None:
        peerAddress = IPv4Address("TCP", "127.0.0.1", 40000)
    server = factory.buildProtocol(peerAddress)
    return iosim.connectedServerAndClient(
        lambda: server,
        lambda: client,
        serverTransportFactory=lambda p: iosim.FakeTransport(p, True, peerAddress=peerAddress),
        greet=False,
        clock=clock,
    )
