# -*- test-case-name: tests.test_protocol -*-
# Copyright (c) twisted_mysqlauth developers.
# See LICENSE for details.
"""
The MySQL server protocol: the connection phase (greeting, TLS upgrade,
handshake response, method switch, AuthMoreData rounds, OK or ERR) and the
hand-off of the logged-in avatar to a session that serves the command
phase.

After a failed login the protocol sends one ERR and closes; it never reads
another packet from that connection.
"""

from __future__ import annotations

import functools
from typing import Any, Optional, Tuple

from zope.interface import implementer

from twisted.cred.error import LoginFailed, UnauthorizedLogin
from twisted.cred.portal import Portal
from twisted.internet import defer
from twisted.internet.address import IPv4Address, IPv6Address, UNIXAddress
from twisted.internet.error import ConnectionDone
from twisted.internet.interfaces import ISSLTransport, ITLSTransport
from twisted.internet.protocol import Protocol
from twisted.logger import Logger
from twisted.python.failure import Failure

from twisted_mysqlauth import errors
from twisted_mysqlauth.accounts.model import ClientAddress
from twisted_mysqlauth.auth.base import (
    LoginAttempt,
    LoginRefusedWith,
    MalformedResponse,
    ReadMore,
    SendMoreData,
    TryLogin,
)
from twisted_mysqlauth.interfaces import IAuthChannel, IMySQLAvatar
from twisted_mysqlauth.peercred import peerCredentialsOf
from twisted_mysqlauth.session import IMySQLConnection
from twisted_mysqlauth.wire import constants as C
from twisted_mysqlauth.wire.codec import PacketDecoder, PacketTooLarge, encodePacket
from twisted_mysqlauth.wire.packets import (
    AuthMoreData,
    AuthSwitchRequest,
    Column,
    ERRPacket,
    OKPacket,
    greetingPacket,
    isSSLRequest,
    parseHandshakeResponse,
    resultSet,
)
from twisted_mysqlauth.wire.types import Truncated

#: The largest packet read before authentication: a handshake response
#: with 64 KiB of connection attributes fits; nothing else is needed.
PRE_AUTH_MAX_PACKET = 96 * 1024


def clientAddressFor(peer: Any) -> ClientAddress:
    """
    Where a transport's peer is, for account matching: a UNIX socket and
    loopback TCP are C{localhost}, as in MySQL.

    @param peer: C{transport.getPeer()}.
    @return: the L{ClientAddress}.
    """
    if isinstance(peer, UNIXAddress):
        return _UNIX_CLIENT
    if isinstance(peer, (IPv4Address, IPv6Address)):
        return _ipClientAddress(peer.host)
    return _UNKNOWN_CLIENT


_UNIX_CLIENT = ClientAddress(hostName="localhost", ip=None, isUNIXSocket=True)
_UNKNOWN_CLIENT = ClientAddress(hostName=None, ip=None)


@functools.lru_cache(maxsize=4096)
def _ipClientAddress(ip: str) -> ClientAddress:
    """
    The L{ClientAddress} of an IP address text (made once per address: it
    is immutable).
    """
    if ip.startswith("::ffff:") and "." in ip:
        ip = ip[len("::ffff:") :]
    if ip.startswith("127.") or ip == "::1":
        return ClientAddress(hostName="localhost", ip=ip)
    return ClientAddress(hostName=None, ip=ip)


#: The OK that ends a login.
_LOGIN_OK = OKPacket().toWire()

#: That OK framed, by sequence id.
_LOGIN_OK_FRAMES = tuple(encodePacket(seq, _LOGIN_OK)[0] for seq in range(256))


def _moreDataThenOK(extra: bytes, seq: int) -> Tuple[bytes, int]:
    """
    An AuthMoreData carrying C{extra} (sequence id C{seq}), then the login's
    OK.

    @return: their bytes, and the sequence id after them.
    """
    first, seq = encodePacket(seq, b"\x01" + extra)
    second, seq = encodePacket(seq, _LOGIN_OK)
    return first + second, seq


@functools.lru_cache(maxsize=None)
def _statusThenOK(status: int, seq: int) -> bytes:
    """
    The bytes of L{_moreDataThenOK} for one status byte (two packets),
    framed once for each status and sequence id (at most 65,536 of them).
    """
    return _moreDataThenOK(bytes((status,)), seq)[0]


#: First bytes a client would take for something else than plugin data:
#: OK, the AuthMoreData prefix itself, an AuthSwitchRequest, ERR.
_AMBIGUOUS_FIRST_BYTES = frozenset((0x00, 0x01, 0xFE, 0xFF))


def authDataPayload(data: bytes, alwaysWrap: bool = True) -> bytes:
    """
    The payload carrying plugin data to the client.

    @param data: the plugin's bytes.
    @param alwaysWrap: prefix C{0x01} whatever the data (MySQL); else only
        when the first byte is ambiguous (MariaDB).
    """
    if alwaysWrap or not data or data[0] in _AMBIGUOUS_FIRST_BYTES:
        return AuthMoreData(data).toWire()
    return data


@implementer(IAuthChannel)
class _AuthChannel:
    """
    The L{IAuthChannel} a connection gives its exchanges and checkers (as
    C{attempt.channel}): the connection's own, until the connection is lost.
    Then it is cut: it sends nothing, a read fails as on a closed
    connection, and it no longer refers to the connection, so credentials
    or an avatar that keep it keep no reference cycle alive.
    """

    __slots__ = ("_connection",)

    def __init__(self, connection: "MySQLServerProtocol") -> None:
        self._connection: Optional[MySQLServerProtocol] = connection

    def sendAuthData(self, data: bytes, alwaysWrap: bool = True) -> None:
        if self._connection is not None:
            self._connection.sendAuthData(data, alwaysWrap)

    def receiveAuthData(self) -> defer.Deferred:
        if self._connection is None:
            return defer.fail(ConnectionDone("the client is gone"))
        return self._connection.receiveAuthData()

    def cut(self) -> None:
        """
        The connection is lost.
        """
        self._connection = None


#: The steps an exchange gives at once (any other may be a Deferred).
_READY_STEPS = frozenset((SendMoreData, ReadMore, TryLogin))


class LoginTimeouts:
    """
    The login deadlines of a server's connections, kept by one timer
    rather than a L{DelayedCall} per connection (making and cancelling one
    per login, and the reactor's upkeep of cancelled calls, were a few per
    cent of a login).

    Connections are kept in the order of their deadlines, which is the order
    they came in while the timeout stays the same; the timer is set for the
    first. A connection whose deadline would come before the last one's (the
    timeout was lowered) gets a L{DelayedCall} of its own, so that every
    connection times out exactly when its own deadline passes.
    """

    def __init__(self, reactor: Any) -> None:
        self._reactor = reactor
        self._pending: dict = {}
        self._timer: Any = None
        self._last = float("-inf")

    def add(self, protocol: Any, timeout: float) -> Any:
        """
        Call C{protocol._loginTimedOut()} in C{timeout} seconds unless
        L{remove}d first.

        @return: this object, or the L{DelayedCall} that does it.
        """
        deadline = self._reactor.seconds() + timeout
        if deadline < self._last:
            return self._reactor.callLater(timeout, protocol._loginTimedOut)
        self._last = deadline
        self._pending[protocol] = deadline
        if self._timer is None:
            self._timer = self._reactor.callLater(timeout, self._expire)
        return self

    def remove(self, protocol: Any) -> None:
        """
        Forget C{protocol}'s deadline (its login ended).
        """
        pending = self._pending
        if pending.pop(protocol, None) is not None and not pending and self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _expire(self) -> None:
        self._timer = None
        pending = self._pending
        now = self._reactor.seconds()
        while pending:
            protocol = next(iter(pending))
            deadline = pending[protocol]
            if deadline > now:
                self._timer = self._reactor.callLater(deadline - now, self._expire)
                return
            del pending[protocol]
            try:
                protocol._loginTimedOut()
            except Exception:
                MySQLServerProtocol._log.failure("login timeout failed")


class _NoMoreData:
    """
    The exchange of a login that needs none (C{--skip-grant-tables}).
    """

    def loginSucceeded(self) -> None:
        return None


@implementer(IMySQLConnection, IAuthChannel)
class MySQLServerProtocol(Protocol):
    """
    One client connection.

    @ivar factory: the L{twisted_mysqlauth.server.MySQLServerFactory}.
    @ivar attempt: the L{LoginAttempt} (the realm's mind).
    @ivar avatar: the logged-in L{IMySQLAvatar}, once there is one.
    @ivar session: the command-phase session, once logged in.
    @ivar clientCapabilities: the client's capability flags.
    """

    _log = Logger()

    attempt: LoginAttempt
    avatar: Any = None
    session: Any = None
    clientCapabilities = 0
    _state = "new"
    _seq = 0
    _timeoutCall: Any = None
    _answerPendingScramble = False
    _login: Any = None
    _reader: Any = None
    _switchPending = False
    _busy = False
    _sslHeader: Optional[bytes] = None
    _logout: Any = None
    _channel: Optional[_AuthChannel] = None

    # -- connection lifecycle ------------------------------------------------

    def connectionMade(self) -> None:
        factory = self.factory
        config = factory.config
        transport = self.transport
        self.connectionId = connectionId = factory.nextConnectionId()
        # The connection phase is small packets each waiting for an answer:
        # Nagle's algorithm would hold some back (about 40 ms a TLS login).
        setTcpNoDelay = getattr(transport, "setTcpNoDelay", None)
        if setTcpNoDelay is not None:
            try:
                setTcpNoDelay(True)
            except OSError:
                pass
        self._decoder = PacketDecoder(PRE_AUTH_MAX_PACKET)
        peer = transport.getPeer()
        client = clientAddressFor(peer)
        isTLS = ISSLTransport.providedBy(transport)
        if client.ip is not None and config.peerCredentialsFor is peerCredentialsOf:
            # (An IP peer: what peerCredentialsOf answers for TCP, without
            # asking the socket its family.)
            peerCredentials = None
        else:
            peerCredentials = config.peerCredentialsFor(transport)
        self.attempt = attempt = LoginAttempt(
            connectionId=connectionId,
            client=client,
            handshakeNonce=config.makeNonce(),
            secure=isTLS or client.isUNIXSocket,
            tls=isTLS,
            server=config,
            peerCredentials=peerCredentials,
        )
        attempt.channel = self._channel = _AuthChannel(self)
        timeouts = getattr(config, "loginTimeouts", None)
        if timeouts is None:
            self._timeoutCall = config.reactor.callLater(config.connectTimeout, self._loginTimedOut)
        else:
            self._timeoutCall = timeouts.add(self, config.connectTimeout)
        if not config.accounts.directory.hostAllowed(client):
            self._state = "closed"
            self._sendError(
                errors.HostNotPrivileged(host=client.displayHost), protocol41=False
            )
            self.transport.loseConnection()
            return
        capabilities = C.SERVER_CAPABILITIES
        if config.tlsOptions is not None and not isTLS and ITLSTransport.providedBy(transport):
            capabilities |= C.CLIENT_SSL
        self._capabilities = capabilities
        self._defaultMethod = self._method = method = config.defaultMethod()
        self._exchange = exchange = method.newExchange(attempt)
        self._handshakeData = data = exchange.initialData()
        self._state = "greeted"
        # (A HandshakeV10's bytes, made from parts made once per server.)
        transport.write(
            greetingPacket(
                config.serverVersion, connectionId, data, capabilities, method.clientPluginName
            )
        )
        self._seq = 1

    def connectionLost(self, reason=None) -> None:
        previous, self._state = self._state, "closed"
        self._cancelTimeout()
        if self._channel is not None:
            # Whoever keeps the channel (the attempt, credentials) no longer
            # reaches this connection: nothing for the garbage collector.
            self._channel.cut()
        if self._reader is not None:
            reader, self._reader = self._reader, None
            reader.errback(reason if reason is not None else Failure(ConnectionDone()))
        if self._login is not None:
            # A checker still at work (a PAM stack) is told to give up.
            login, self._login = self._login, None
            login.cancel()
        if self.session is not None:
            session, self.session = self.session, None
            try:
                session.connectionLost(reason)
            except Exception:
                self._log.failure("session.connectionLost failed")
        if self._logout is not None:
            logout, self._logout = self._logout, None
            logout()
        if previous not in ("command", "closed"):
            self.factory.loginAborted(self)

    def _cancelTimeout(self) -> None:
        call = self._timeoutCall
        if call is not None:
            self._timeoutCall = None
            if call.__class__ is LoginTimeouts:
                call.remove(self)
            elif call.active():
                call.cancel()

    def _loginTimedOut(self) -> None:
        self._timeoutCall = None
        if self._state in ("command", "closed"):
            return
        self._log.info(
            "login timed out for connection {connectionId}", connectionId=self.connectionId
        )
        self._state = "closed"
        self.transport.abortConnection()

    # -- writing ---------------------------------------------------------------

    def _send(self, payload: bytes) -> None:
        data, self._seq = encodePacket(self._seq, payload)
        self.transport.write(data)

    def _sendError(self, error: errors.MySQLError, protocol41: Optional[bool] = None) -> None:
        if protocol41 is None:
            protocol41 = bool(self.clientCapabilities & C.CLIENT_PROTOCOL_41) or (
                self._state == "command"
            )
        self._send(ERRPacket.fromError(error, protocol41).toWire())

    def _fail(self, error: errors.MySQLError) -> None:
        """
        Refuse the login with C{error} and close: nothing more is read.
        """
        if self._state == "closed":
            return
        self._state = "closed"
        self._cancelTimeout()
        self._sendError(error)
        self.transport.loseConnection()
        self.factory.loginFailed(self, error)

    # -- reading ---------------------------------------------------------------

    def dataReceived(self, data: bytes) -> None:
        if self._state == "closed":
            return
        decoder = self._decoder
        if self._busy:
            decoder.receive(data)
            if decoder.bufferedSize() > 2 * decoder.maxPacketSize + 4:
                # A client that keeps sending while the server works: cut it
                # off rather than buffer without bound.
                self._protocolError(errors.NetPacketTooLarge())
            return
        frame = decoder.receiveFrame(data)
        if frame is None:
            self._pump()
        else:
            # Exactly one packet, and nothing else buffered.
            self._frameReceived(frame)

    def _pump(self) -> None:
        nextFrame = self._decoder.nextFrame
        while not self._busy and self._state != "closed":
            try:
                frame = nextFrame()
            except PacketTooLarge as e:
                expected = 0 if self._state == "command" else self._seq
                if e.sequenceId is not None and e.sequenceId != expected:
                    # MySQL reads the sequence id before the length: an
                    # HTTP request is "out of order", not "too large".
                    self._protocolError(errors.NetPacketsOutOfOrder())
                else:
                    self._protocolError(errors.NetPacketTooLarge())
                return
            if frame is None:
                return
            self._frameReceived(frame)

    def _frameReceived(self, frame: Tuple[int, int, bytes]) -> None:
        sequenceId, lastSequenceId, payload = frame
        state = self._state
        if state == "command":
            # Every command starts a new sequence at 0.
            self._seq = 0
        if sequenceId != self._seq:
            self._protocolError(errors.NetPacketsOutOfOrder())
            return
        self._seq = (lastSequenceId + 1) & 0xFF
        getattr(self, "_state_" + state)(payload)

    def _protocolError(self, error: errors.MySQLError) -> None:
        if self._state == "command":
            self._state = "closed"
            self._sendError(error)
            self.transport.loseConnection()
        else:
            self._fail(error)

    def _state_greeted(self, payload: bytes) -> None:
        if isSSLRequest(payload):
            self._startTLS(payload)
            return
        self._handshakeResponseReceived(payload, None)

    def _state_tls(self, payload: bytes) -> None:
        self._handshakeResponseReceived(payload, self._sslHeader)

    def _state_auth(self, payload: bytes) -> None:
        self._runStep(self._exchange.responseReceived, payload)

    def _state_checking(self, payload: bytes) -> None:
        if self._reader is not None:
            # A checker conversing with the client (IAuthChannel).
            reader, self._reader = self._reader, None
            self._busy = True
            reader.callback(payload)
            return
        # The client spoke while the server was deciding: a broken client.
        self._fail(errors.HandshakeError())

    def _state_command(self, payload: bytes) -> None:
        self._commandReceived(payload)

    # -- TLS -------------------------------------------------------------------

    def _startTLS(self, payload: bytes) -> None:
        config = self.factory.config
        if not self._capabilities & C.CLIENT_SSL:
            # No TLS here (or already TLS): MySQL answers "Bad handshake".
            self._fail(errors.HandshakeError())
            return
        self._sslHeader = payload.ljust(32, b"\x00")
        self.clientCapabilities = int.from_bytes(payload[:4], "little")
        leftover = self._decoder.takeBuffered()
        self._state = "tls"
        self.transport.startTLS(config.tlsOptions)
        self.attempt.tls = True
        self.attempt.secure = True
        if leftover:
            # The client's ClientHello came in the same read as the
            # SSLRequest: it belongs to the TLS layer, never to MySQL.
            tlsProtocol = getattr(self.transport, "protocol", None)
            if tlsProtocol is None or tlsProtocol is self:
                self._fail(errors.HandshakeError())
                return
            tlsProtocol.dataReceived(leftover)

    # -- the handshake response ------------------------------------------------

    def _handshakeResponseReceived(self, payload: bytes, header: Optional[bytes]) -> None:
        config = self.factory.config
        try:
            (
                capabilities,
                _,
                _,
                username,
                authResponse,
                database,
                clientPluginName,
                attributes,
            ) = parseHandshakeResponse(payload, self._capabilities, header)
        except Truncated:
            if header is None and len(payload) >= 4:
                # MySQL formats errors by the flags it has read so far.
                self.clientCapabilities = int.from_bytes(payload[:4], "little")
            self._fail(errors.HandshakeError())
            return
        self.clientCapabilities = capabilities
        attempt = self.attempt
        # (Bytes that are not UTF-8 become U+FFFD: they match no account.)
        attempt.username = username.decode("utf-8", "replace")
        if database:
            attempt.database = database.decode("utf-8", "replace")
        attempt.connectAttributesBlock = attributes
        canSwitch = bool(capabilities & self._capabilities & C.CLIENT_PLUGIN_AUTH)
        if canSwitch and clientPluginName is not None:
            clientPlugin = clientPluginName.decode("ascii", "replace")
        else:
            # A client that does no pluggable authentication speaks native.
            clientPlugin = "mysql_native_password"
        attempt.clientPluginName = clientPlugin

        if config.skipGrantTables:
            self._skipGrants(clientPlugin, authResponse)
            return
        account = config.accounts.directory.lookup(attempt.username, attempt.client)
        if account is None:
            attempt.knownUser = False
            account = config.decoyAccount(attempt.username, attempt.client, canSwitch)
        else:
            attempt.knownUser = True
        attempt.account = account

        method = config.methods.get(account.plugin)
        if method is None:
            self._fail(errors.PluginNotLoaded(plugin=account.plugin))
            return
        if not canSwitch and method.pluginName != "mysql_native_password":
            self._fail(errors.NotSupportedAuthMode())
            return
        if method.requiresSecureTransport and not attempt.secure:
            # Refused before the client sends a password it would send in
            # clear (or that needs TLS, as sha256_password's).
            self._log.info(
                "{plugin} needs TLS or a UNIX socket: refusing {user!r} over plain TCP "
                "on connection {connectionId}",
                plugin=method.pluginName,
                user=attempt.username,
                connectionId=self.connectionId,
            )
            self._refuse(method)
            return
        self._method = method
        self._state = "auth"
        if method is self._defaultMethod:
            exchange = self._exchange
        else:
            exchange = method.newExchange(attempt)
            self._exchange = exchange

        clientPluginName = getattr(exchange, "clientPluginName", method.clientPluginName)
        if clientPluginName is None:
            # auth_socket, mysql_no_login: no packets at all. A client still
            # running caching_sha2_password (it sent a scramble) may not take
            # an OK as the answer to it (MariaDB Connector/C sends its
            # password next): answer its way, fast-auth success, first.
            # (An empty password is sent as nothing or a lone NUL, and then
            # the client expects the OK at once.)
            self._answerPendingScramble = (
                clientPlugin == "caching_sha2_password" and len(authResponse) == 32
            )
            self._runStep(exchange.responseReceived, b"")
            return
        data = exchange.initialData()
        # (isinstance of Deferred, an ABC, is slow: bytes are checked first.)
        if data.__class__ is not bytes and isinstance(data, defer.Deferred):
            # The method's first packet is not known yet.
            self._busy = True
            data.addCallback(self._switchTo, exchange, clientPluginName, authResponse, True)
            data.addErrback(self._stepFailed)
            data.addErrback(self._unexpected)
            return
        self._switchTo(data, exchange, clientPluginName, authResponse)

    def _switchTo(
        self,
        data: bytes,
        exchange: Any,
        clientPluginName: str,
        authResponse: bytes,
        resume: bool = False,
    ) -> None:
        """
        Go on with C{exchange}, whose first packet is C{data}: on what the
        client already sent (C{authResponse}) if it chose the same client
        plugin over the same data, else through an AuthSwitchRequest.
        """
        if self._state == "closed":
            return
        sameData = data == self._handshakeData or not data
        if self.attempt.clientPluginName == clientPluginName and sameData:
            # The client already answered with the right plugin over the
            # same data: go on with what it sent (no switch).
            self._runStep(exchange.responseReceived, authResponse)
            return
        self._send(AuthSwitchRequest(clientPluginName.encode("ascii"), data).toWire())
        if resume:
            self._resume()

    def _skipGrants(self, clientPlugin: str, authResponse: bytes) -> None:
        """
        C{--skip-grant-tables}: no authentication; every client is the
        all-powerful C{'skip-grants user'@'skip-grants host'}, as in MySQL.
        """
        from twisted_mysqlauth.realm import SKIP_GRANTS_ACCOUNT, MySQLAvatar

        self._answerPendingScramble = (
            clientPlugin == "caching_sha2_password" and len(authResponse) == 32
        )
        self._exchange = _NoMoreData()
        avatar = MySQLAvatar(
            user=self.attempt.username or "",
            clientHost=self.attempt.client.displayHost,
            account=SKIP_GRANTS_ACCOUNT,
            secure=self.attempt.secure,
        )
        self._loggedIn((IMySQLAvatar, avatar, lambda: None))

    # -- steps -----------------------------------------------------------------

    def _runStep(self, produce, argument) -> None:
        # What maybeDeferred(produce, argument).addCallbacks(
        # self._stepReady, self._stepFailed).addErrback(self._unexpected)
        # does, without the Deferreds when the step is ready at once (the
        # built-in methods' steps always are).
        self._busy = True
        try:
            step = produce(argument)
        except BaseException:
            step = Failure()
        if step.__class__ not in _READY_STEPS and isinstance(step, defer.Deferred):
            step.addCallbacks(self._stepReady, self._stepFailed)
            step.addErrback(self._unexpected)
            return
        try:
            if isinstance(step, Failure):
                self._stepFailed(step)
            else:
                self._stepReady(step)
        except BaseException:
            self._unexpected(Failure())

    def _stepReady(self, step) -> None:
        if self._state == "closed":
            return
        # (The usual step first.)
        if isinstance(step, TryLogin):
            self._state = "checking"
            self.attempt.credentials = step.credentials
            login = self._checkCredentials(step.credentials)
            if login.__class__ is tuple:
                # The realm's (interface, avatar, logout), at once.
                self._loggedIn(login)
                return
            if isinstance(login, Failure):
                self._loginFailed(login)
                return
            if not isinstance(login, defer.Deferred):
                self._loggedIn(login)
                return
            self._login = login

            def done(result):
                self._login = None
                return result

            login.addBoth(done)
            login.addCallbacks(self._loggedIn, self._loginFailed)
            login.addErrback(self._unexpected)
        elif isinstance(step, SendMoreData):
            self._state = "auth"
            self._send(authDataPayload(step.data, step.alwaysWrap))
            self._resume()
        elif isinstance(step, ReadMore):
            self._state = "auth"
            self._resume()
        elif isinstance(step, Failure):
            self._stepFailed(step)
        else:
            raise TypeError(f"unknown step {step!r}")

    def _checkCredentials(self, credentials: Any) -> Any:
        """
        C{portal.login(credentials, self.attempt, IMySQLAvatar)}, with its
        result at once when the checker and the realm answer at once.

        A L{Portal} (whose C{login} is L{Portal.login}) is followed step
        by step, as its C{login} does: the first checker registered for an
        interface the credentials provide, then the realm; only a checker or
        realm that returns a L{Deferred} makes the result one.

        @return: the realm's C{(interface, avatar, logout)}; a L{Failure};
            or a L{Deferred} firing with one of them.
        """
        portal = self.factory.portal
        if getattr(portal.login, "__func__", None) is not Portal.login:
            # A portal with a login of its own.
            return portal.login(credentials, self.attempt, IMySQLAvatar)
        for interface in portal.checkers:
            if interface.providedBy(credentials):
                checker = portal.checkers[interface]
                break
        else:
            # No checker: the portal's own UnhandledCredentials failure.
            return portal.login(credentials, self.attempt, IMySQLAvatar)
        try:
            avatarId = checker.requestAvatarId(credentials)
        except BaseException:
            return Failure()
        if avatarId.__class__ is not bytes:
            if isinstance(avatarId, defer.Deferred):
                return avatarId.addCallback(
                    portal.realm.requestAvatar, self.attempt, IMySQLAvatar
                )
            if isinstance(avatarId, Failure):
                return avatarId
        try:
            return portal.realm.requestAvatar(avatarId, self.attempt, IMySQLAvatar)
        except BaseException:
            return Failure()

    def _stepFailed(self, reason: Failure) -> None:
        # A refusal is an exception caught a few frames down this stack:
        # its traceback holds those frames, one of which holds the Failure.
        # Drop it (the text stays for a log) so that a refused login is
        # freed at once, not left to the garbage collector.
        reason.cleanFailure()
        if self._state == "closed":
            return
        if reason.check(MalformedResponse) and reason.value.handshakeError:
            self._fail(errors.HandshakeError())
        elif reason.check(LoginRefusedWith):
            self._fail(reason.value.error)
        elif reason.check(LoginFailed):
            self._refuse(self._method)
        else:
            self._unexpected(reason)

    def _loginFailed(self, reason: Failure) -> None:
        reason.cleanFailure()  # (as in _stepFailed)
        if self._state == "closed":
            return
        self._reader = None
        if reason.check(LoginRefusedWith):
            self._fail(reason.value.error)
            return
        if not reason.check(UnauthorizedLogin):
            if not reason.check(LoginFailed):
                self._log.failure(
                    "login check failed unexpectedly for connection {connectionId}",
                    failure=reason,
                    connectionId=self.connectionId,
                )
            self._refuse(self._method)
            return
        self._runStep(self._exchange.loginFailed, reason)

    def _refuse(self, method) -> None:
        attempt = self.attempt
        if getattr(method, "passwordUsed", True):
            error: errors.MySQLError = errors.AccessDenied(
                user=attempt.username,
                host=attempt.client.displayHost,
                using="YES" if attempt.passwordUsed else "NO",
            )
        else:
            error = errors.AccessDeniedNoPassword(
                user=attempt.username, host=attempt.client.displayHost
            )
        self._fail(error)

    def _unexpected(self, reason: Failure) -> None:
        self._log.failure(
            "unexpected error during login on connection {connectionId}",
            failure=reason,
            connectionId=self.connectionId,
        )
        self._refuse(self._method)

    def _resume(self) -> None:
        self._busy = False
        self._pump()

    def _loggedIn(self, result) -> None:
        interface, avatar, logout = result
        if self._state == "closed":
            logout()
            return
        self._reader = None
        self._logout = logout
        config = self.factory.config
        if config.requireSecureTransport and not self.attempt.secure:
            self._fail(errors.SecureTransportRequired())
            return
        extra = self._exchange.loginSucceeded()
        if extra is None and self._answerPendingScramble:
            extra = bytes([C.SHA2_FAST_AUTH_SUCCESS])
        self._cancelTimeout()
        self.avatar = avatar
        self.database = self.attempt.database
        self._state = "command"
        self._decoder.maxPacketSize = config.maxAllowedPacket
        if extra is None:
            seq = self._seq
            self.transport.write(_LOGIN_OK_FRAMES[seq])
            self._seq = (seq + 1) & 0xFF
        else:
            # The AuthMoreData (0x01 + extra) and the OK in one write.
            seq = self._seq
            if len(extra) == 1:
                # (A status byte: caching_sha2's fast-auth success.)
                self.transport.write(_statusThenOK(extra[0], seq))
                self._seq = (seq + 2) & 0xFF
            else:
                data, self._seq = _moreDataThenOK(extra, seq)
                self.transport.write(data)
        self.factory.loginSucceeded(self, avatar)
        self.session = self.factory.sessionFactory(avatar, self)
        self._resume()

    # -- the command phase -----------------------------------------------------

    def _commandReceived(self, payload: bytes) -> None:
        if not payload:
            self._protocolError(errors.HandshakeError())
            return
        if payload[0] == C.COM_QUIT:
            self._state = "closed"
            self.transport.loseConnection()
            return
        self._busy = True
        d = defer.maybeDeferred(self.session.commandReceived, payload[0], payload[1:])
        d.addErrback(self._commandFailed)
        d.addBoth(lambda ignored: self._resume())

    def _commandFailed(self, reason: Failure) -> None:
        if self._state == "closed":
            return
        if reason.check(errors.MySQLError):
            self.sendError(reason.value)
            return
        self._log.failure(
            "command failed on connection {connectionId}",
            failure=reason,
            connectionId=self.connectionId,
        )
        self.sendError(errors.UnknownError())

    # -- IAuthChannel --------------------------------------------------------------

    def sendAuthData(self, data: bytes, alwaysWrap: bool = True) -> None:
        """
        Send plugin data while a checker converses with the client.
        """
        if self._state == "closed":
            return
        self._send(authDataPayload(data, alwaysWrap))

    def receiveAuthData(self) -> defer.Deferred:
        """
        @return: a L{Deferred} firing with the client's next packet.
        """
        if self._state == "closed":
            return defer.fail(ConnectionDone("the client is gone"))
        if self._state != "checking" or self._reader is not None:
            return defer.fail(RuntimeError("not conversing, or already reading"))
        reader = self._reader = defer.Deferred()
        self._resume()
        return reader

    # -- IMySQLConnection --------------------------------------------------------

    @property
    def deprecateEOF(self) -> bool:
        """
        Whether the client ends result sets with OK instead of EOF.
        """
        return bool(self.clientCapabilities & C.CLIENT_DEPRECATE_EOF)

    def sendOK(self, affectedRows: int = 0, info: bytes = b"", warnings: int = 0) -> None:
        if self._state == "closed":
            return
        self._send(OKPacket(affectedRows=affectedRows, info=info, warnings=warnings).toWire())

    def sendError(self, error: errors.MySQLError) -> None:
        if self._state == "closed":
            return
        self._sendError(error, protocol41=True)

    def sendResultSet(self, columns, rows) -> None:
        if self._state == "closed":
            return
        for payload in resultSet(
            [c if isinstance(c, Column) else Column(c) for c in columns],
            rows,
            self.deprecateEOF,
        ):
            self._send(payload)

    def sendRaw(self, payload: bytes) -> None:
        """
        Answer the current command with a bare payload (C{COM_STATISTICS}).
        """
        if self._state == "closed":
            return
        self._send(payload)

    def close(self) -> None:
        self._state = "closed"
        self.transport.loseConnection()
