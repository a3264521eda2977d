# -*- test-case-name: tests.test_protocol -*-
# Copyright (c) twisted_mysqlauth developers.
# See LICENSE for details.
"""
Putting a server together: L{ServerConfiguration} (what every connection
shares) and L{MySQLServerFactory} (the protocol factory an endpoint
listens with).

A Twisted application composes its own MySQL-protocol service like this::

    accounts = AccountManager(SQLiteAccountStore(path, reactor))
    yield accounts.start()
    factory = MySQLServerFactory.forAccounts(
        accounts, reactor, sessionFactory=MySession
    )
    endpoint.listen(factory)

where C{MySession(avatar, connection)} provides
L{twisted_mysqlauth.session.IMySQLSession} and serves the command phase
for the logged-in L{twisted_mysqlauth.interfaces.IMySQLAvatar}.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import os
import socket
import sys
from errno import EWOULDBLOCK
from typing import Any, Callable, Optional

from twisted.cred.portal import Portal
from twisted.internet import abstract, error as _error, main as _main, tcp
from twisted.internet.address import IPv6Address
from twisted.internet.endpoints import serverFromString
from twisted.internet.protocol import ServerFactory
from twisted.logger import Logger
from twisted.python import failure as _failure
from zope.interface import directlyProvides, providedBy

from twisted_mysqlauth import __version__
from twisted_mysqlauth.accounts.model import Account, AccountName, ClientAddress
from twisted_mysqlauth.auth import hashing
from twisted_mysqlauth.auth.cachingsha2 import FastDigestCache
from twisted_mysqlauth.auth.registry import MethodRegistry, discoverMethods
from twisted_mysqlauth.checkers import AccountPasswordChecker
from twisted_mysqlauth.interfaces import IPasswordMethod
from twisted_mysqlauth.peercred import peerCredentialsOf
from twisted_mysqlauth.protocol import LoginTimeouts, MySQLServerProtocol
from twisted_mysqlauth.realm import MySQLRealm

#: The version this server announces: a MySQL 8.0 version (clients pick
#: features by it) followed by this project's name and version.
SERVER_VERSION = f"8.0.36-twisted_mysqlauth-{__version__}"

#: The password methods a decoy account for an unknown user may pretend
#: to use, as MySQL's decoy does.
DECOY_METHODS = ("caching_sha2_password", "mysql_native_password", "sha256_password")


def checkGreetingMethod(name: str, method: Any) -> Any:
    """
    Check that C{method}, found for the name C{name}, can be a server's
    default authentication plugin: one that greets, with a client plugin.

    @return: C{method}.
    @raise ValueError: it is L{None} or cannot greet.
    """
    if method is None or method.clientPluginName is None or not getattr(method, "canGreet", True):
        raise ValueError(
            f"default authentication plugin {name!r} is not an available method that "
            "talks to a client plugin"
        )
    return method


class ServerConfiguration:
    """
    What every connection of a server shares.

    @ivar accounts: the L{twisted_mysqlauth.accounts.directory.AccountManager}.
    @ivar methods: the loaded auth methods (L{MethodRegistry}).
    @ivar reactor: the reactor (for the login timeout).
    @ivar defaultPlugin: the method that greets (MySQL's
        C{default_authentication_plugin}).
    @ivar tlsOptions: the TLS context factory for C{startTLS}, or L{None}.
    @ivar rsaKeyPair: the L{twisted_mysqlauth.keys.RSAKeyPair} for
        password exchange over plain TCP, or L{None}.
    @ivar requireSecureTransport: refuse logins that are neither TLS nor a
        UNIX socket (error 3159).
    @ivar connectTimeout: seconds a client has to log in.
    @ivar maxAllowedPacket: the largest packet read after login.
    @ivar sha2Cache: the caching_sha2_password L{FastDigestCache}.
    @ivar peerCredentialsFor: C{transport -> PeerCredentials or None}, called
        when a connection is made (L{peerCredentialsOf} by default).
    @ivar serverVersion: the version text of the greeting.
    @ivar checkProxyUsers: MySQL's C{check_proxy_users}: let the password
        methods below proxy through PROXY grants.
    @ivar nativePasswordProxyUsers: C{mysql_native_password_proxy_users}.
    @ivar sha256PasswordProxyUsers: C{sha256_password_proxy_users}.
    @ivar plugins: the L{twisted_mysqlauth.auth.registry.PluginCatalog}
        behind C{INSTALL PLUGIN} and C{SHOW PLUGINS}, or L{None} (then
        C{methods} is fixed; by default every dropin found is loaded).
    @ivar skipGrantTables: C{--skip-grant-tables}: no authentication at all
        until C{FLUSH PRIVILEGES}.
    """

    _log = Logger()

    def __init__(
        self,
        accounts: Any,
        reactor: Any,
        methods: Optional[MethodRegistry] = None,
        defaultPlugin: str = "caching_sha2_password",
        tlsOptions: Any = None,
        rsaKeyPair: Any = None,
        requireSecureTransport: bool = False,
        connectTimeout: float = 10.0,
        maxAllowedPacket: int = 64 * 1024 * 1024,
        peerCredentialsFor: Callable[[Any], Any] = peerCredentialsOf,
        serverVersion: str = SERVER_VERSION,
        checkProxyUsers: bool = False,
        nativePasswordProxyUsers: bool = False,
        sha256PasswordProxyUsers: bool = False,
        plugins: Any = None,
        skipGrantTables: bool = False,
    ) -> None:
        self.accounts = accounts
        self.reactor = reactor
        if methods is None:
            methods = plugins.loaded if plugins is not None else MethodRegistry(discoverMethods())
        self.methods = methods
        self.plugins = plugins
        self.skipGrantTables = skipGrantTables
        #: What the server was started with (twistd's ServerSettings), for
        #: the initialize() of plugins installed later; None when embedded.
        self.settings: Any = None
        #: The TCP port it listens on, for C{@@port} (0: not known).
        self.tcpPort = 0
        method = checkGreetingMethod(defaultPlugin, self.methods.get(defaultPlugin))
        self.defaultPlugin = method.pluginName
        self.tlsOptions = tlsOptions
        self.rsaKeyPair = rsaKeyPair
        self.requireSecureTransport = requireSecureTransport
        self.connectTimeout = connectTimeout
        #: The login deadlines of the connections (one timer for all).
        self.loginTimeouts = LoginTimeouts(reactor)
        self.maxAllowedPacket = maxAllowedPacket
        self.peerCredentialsFor = peerCredentialsFor
        self.serverVersion = serverVersion
        self.checkProxyUsers = checkProxyUsers
        self.nativePasswordProxyUsers = nativePasswordProxyUsers
        self.sha256PasswordProxyUsers = sha256PasswordProxyUsers
        self.sha2Cache = FastDigestCache()
        accounts.addObserver(self.sha2Cache.accountsChanged)
        self._decoySecret = os.urandom(32)
        # Made now, not on the first unknown user: that login must not do
        # more work than a wrong password does.
        self._decoyStrings = {
            name: self.methods.get(name).hashPassword(os.urandom(24).hex().encode("ascii"))
            for name in DECOY_METHODS
            if IPasswordMethod.providedBy(self.methods.get(name))
        }

    def defaultMethod(self) -> Any:
        """
        @return: the method that greets.
        """
        return self.methods.get(self.defaultPlugin)

    def makeNonce(self) -> bytes:
        """
        @return: a fresh 20-byte greeting nonce.
        """
        return hashing.makeNonce()

    def decoyAccount(self, username: str, client: ClientAddress, canSwitch: bool) -> Account:
        """
        An account for a user name that matched none, so that its login runs
        the same exchange and the same work as a wrong password, and fails.
        Which password method it pretends to use is fixed per user name (a
        keyed hash), so repeated probes see the same behaviour.

        @param username: the name the client sent.
        @param client: where it connects from.
        @param canSwitch: whether the client can switch methods (not used
            for the choice, so that it reveals nothing).
        @return: an L{Account} that never verifies (its hash is of a random
            secret nobody knows).
        """
        # Chosen by name alone, whatever the client can do: a client that
        # cannot switch methods then gets 1251 for unknown names just as
        # often as for real accounts of the other methods.
        candidates = list(self._decoyStrings)
        digest = hmac.new(self._decoySecret, username.encode("utf-8"), hashlib.sha256).digest()
        plugin = candidates[digest[0] % len(candidates)]
        authString = self._decoyStrings[plugin]
        return Account(AccountName(username, client.displayHost), plugin, authString)


class MySQLServerFactory(ServerFactory):
    """
    Build L{MySQLServerProtocol}s.

    @ivar config: the L{ServerConfiguration}.
    @ivar portal: the L{Portal} that checks credentials and builds avatars.
    @ivar sessionFactory: C{(avatar, connection) -> IMySQLSession}: what
        serves a connection after its login.
    """

    protocol = MySQLServerProtocol
    _log = Logger()

    #: Whether successful logins are logged (C{twistd mysqlauth --log-logins}).
    logSuccessfulLogins = False

    def __init__(self, config: ServerConfiguration, portal: Portal, sessionFactory: Callable) -> None:
        self.config = config
        self.portal = portal
        self.sessionFactory = sessionFactory
        self._ids = itertools.count(1)

    @classmethod
    def forAccounts(
        cls,
        accounts: Any,
        reactor: Any,
        sessionFactory: Optional[Callable] = None,
        **options: Any,
    ) -> "MySQLServerFactory":
        """
        The usual assembly: a L{ServerConfiguration} over C{accounts}, a
        portal with L{MySQLRealm} and the L{AccountPasswordChecker}.

        @param accounts: a started
            L{twisted_mysqlauth.accounts.directory.AccountManager}.
        @param reactor: the reactor.
        @param sessionFactory: what serves the command phase; by default
            L{twisted_mysqlauth.session.AccountSQLSession}.
        @param options: keyword arguments of L{ServerConfiguration}.
        """
        config = ServerConfiguration(accounts, reactor, **options)
        portal = Portal(MySQLRealm(accounts))
        portal.registerChecker(AccountPasswordChecker(config.methods, config.sha2Cache))
        # Methods that make credentials of their own bring their checkers;
        # those of every method that may be loaded later are registered now
        # (a checker gets nothing until its method is loaded).
        candidates = config.plugins.available if config.plugins is not None else config.methods
        for method in candidates:
            for checker in getattr(method, "credentialsCheckers", lambda: ())():
                portal.registerChecker(checker)
        if sessionFactory is None:
            from twisted_mysqlauth.session import AccountSQLSession

            def sessionFactory(avatar: Any, connection: Any) -> Any:
                return AccountSQLSession(avatar, connection, config)

        return cls(config, portal, sessionFactory)

    def nextConnectionId(self) -> int:
        """
        @return: the id of a new connection.
        """
        return next(self._ids)

    def loginSucceeded(self, protocol: MySQLServerProtocol, avatar: Any) -> None:
        """
        A login succeeded (a hook for audit and metrics; logged when
        L{logSuccessfulLogins} is set: as in MySQL, refusals are always
        logged and successes only on request, because formatting and writing
        a log line costs about as much CPU time as the login itself).
        """
        if not self.logSuccessfulLogins:
            return
        self._log.info(
            "login: {user}@{host} as {account} on connection {connectionId}",
            user=avatar.user,
            host=avatar.clientHost,
            account=str(avatar.account.name),
            connectionId=protocol.connectionId,
        )

    def loginFailed(self, protocol: MySQLServerProtocol, error: Any) -> None:
        """
        A login was refused with C{error} (a hook; logs the code, never a
        secret).
        """
        attempt = protocol.attempt
        if attempt.username is None:
            # Refused before the handshake response named anyone (1043 for
            # garbage, 1130 for a host no account matches).
            self._log.info(
                "login refused ({code}) before a user name was sent: from {host} on "
                "connection {connectionId}",
                code=error.errorCode,
                host=attempt.client.displayHost,
                connectionId=protocol.connectionId,
            )
            return
        self._log.info(
            "login refused ({code}): {user!r} from {host} on connection {connectionId}",
            code=error.errorCode,
            user=attempt.username,
            host=attempt.client.displayHost,
            connectionId=protocol.connectionId,
        )

    def loginAborted(self, protocol: MySQLServerProtocol) -> None:
        """
        A connection closed before its login ended.
        """


# -- listening ports whose connections send once the reactor's poll is handled


_log = Logger()

#: The failures a transport lost while writing is given (as the reactor's
#: own _disconnectSelectable gives them).
_LOST_WHILE_WRITING = {
    _error.ConnectionDone: _failure.Failure(_error.ConnectionDone()),
    _error.ConnectionLost: _failure.Failure(_error.ConnectionLost()),
}


class _PromptWrites:
    """
    A mixin for L{twisted.internet.tcp.Server} (and its UNIX subclass)
    that sends what the protocol wrote once the reactor has handled the
    events of its current poll, instead of asking the reactor to wait for
    the socket to be writable.

    A stock transport's C{write} registers the socket for writability
    (C{epoll_ctl}) and returns; the next poll reports it writable, the
    reactor calls C{doWrite} (inside its per-event log context), which
    sends and unregisters (C{epoll_ctl} again). A connection phase is a
    few small writes, each answering the client and each fitting the
    kernel's socket buffer: the registration and the extra reactor event
    were 10 to 20 % of a login's CPU time. Here, writes asked for while the
    protocol handles an event of this connection (C{dataReceived}, or
    C{connectionMade} when accepted) are sent by the same C{doWrite} (or,
    for the usual small reply, a shortened copy of it: see
    L{_pollHandled}) right after the poll's events, with those of every
    other connection of the port that wrote in that poll (see
    L{_SendsAfterPoll}); only what the kernel does not take at once waits
    for writability, as before. C{loseConnection} with nothing left to
    send closes then, as C{doWrite} would on the next poll.

    Writes made outside such an event (by a timer, by another connection)
    take the stock path. Nothing is sent while the protocol runs, every
    byte goes through the transport's buffer, and a C{loseConnection} of
    its event ends in C{connectionLost} after the poll. One difference: a
    stock transport closes at its next writable event, later than this
    one, so a write made after C{loseConnection} by a timer or another
    connection may still be sent there and is dropped here (Twisted
    promises neither: C{loseConnection} closes after the data written
    before it).
    """

    _inEvent = False
    _writesPending = False
    _writeRegistered = False
    _noDelay = False
    _peerAddress = None
    #: The port's L{_SendsAfterPoll} (L{None}: made by something else than
    #: a prompt port, the writes of an event are sent when it ends).
    _sends = None
    #: In the port's L{_SendsAfterPoll}, not yet handled.
    _queued = False
    #: Whether the send after the poll may close with close() alone: the
    #: read of the event that queued it left nothing unread (see
    #: PromptTCPServer._readSome).
    _bareCloseAtSend = False

    def __init__(self, sock, protocol, client, server, sessionno, reactor):
        super().__init__(sock, protocol, client, server, sessionno, reactor)
        self._joinAcceptEvent(server, sock)

    def _joinAcceptEvent(self, server, sock) -> None:
        """
        Made by C{server}: join the accept event it is in, if any.
        """
        accepted = getattr(server, "_accepted", None)
        if accepted is not None:
            # Made in a port's accept event: what connectionMade writes is
            # sent after the poll (see _PromptAccepts), to the peer
            # whose address the port has just made.
            self._inEvent = True
            accepted.append(self)
            self._sends = server._sendsAfterPoll
            self._peerAddress = server._peerAddress
            if server._noDelay and not server._noDelayChecked:
                # Once per port: do accepted sockets have the listening
                # socket's TCP_NODELAY? (If not, setTcpNoDelay sets it.)
                server._noDelayChecked = True
                server._noDelay = bool(sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
            self._noDelay = server._noDelay

    def startWriting(self) -> None:
        if self._inEvent:
            self._writesPending = True
        elif not self._writeRegistered:
            self._writeRegistered = True
            self.reactor.addWriter(self)

    def write(self, data: bytes) -> None:
        if data.__class__ is not bytes or self.TLS or self.producer is not None:
            # TLS, flow control, type errors: the stock write.
            return super().write(data)
        # FileDescriptor.write, shortened.
        if not self.connected or self._writeDisconnected or not data:
            return
        self._tempDataBuffer.append(data)
        self._tempDataLen += len(data)
        if self._inEvent:
            self._writesPending = True
        else:
            self.startWriting()

    def stopWriting(self) -> None:
        if self._writeRegistered:
            self._writeRegistered = False
            self.reactor.removeWriter(self)

    def doRead(self):
        if self._queued:
            # Read again before the send after the poll (a reactor that runs
            # its timed calls after the next poll's events, as asyncio's
            # does): what the last event wrote goes first, and a close it
            # asked for calls shutdown() first (this event may be input).
            self._bareCloseAtSend = False
            self._pollHandled()
            if self.disconnected:
                # (It closed, as that event asked.)
                return None
        if self._writeRegistered:
            # Already waiting for writability: the stock path.
            return super().doRead()
        self._inEvent = True
        try:
            why = self._readSome()
        finally:
            self._inEvent = False
        if self._writesPending:
            if why:
                # Lost while reading: let the reactor deal with both.
                self._writesPending = False
                self.startWriting()
            else:
                self._bareCloseAtSend = not self._shouldShutdown
                if self._sends is not None:
                    self._sends.add(self)
                else:
                    # (Not made by a prompt port: send now.)
                    self._queued = True
                    self._pollHandled()
        if why is None:
            # (See PromptTCPServer._readSome: a close from now on may find
            # input unread.)
            self._shouldShutdown = True
        return why

    def _readSome(self):
        """
        Read once, as the transport's own C{doRead} does.
        """
        return super().doRead()

    def _sendSome(self, data: bytes):
        """
        Send as much of C{data} as the kernel takes, as the transport's own
        C{writeSomeData} does.
        """
        return self.writeSomeData(data)

    def _acceptedEventEnded(self) -> None:
        """
        The port's accept event that made this connection ended: what
        C{connectionMade} wrote is sent after the poll.
        """
        self._inEvent = False
        if self._writesPending:
            self._sends.add(self)

    def _pollHandled(self) -> None:
        """
        The reactor handled the events of the poll in which this connection
        wrote: send what it wrote (or close), once, by C{doWrite} or for the
        usual small reply a shortened copy of it; only what the kernel does
        not take at once waits for writability.
        """
        if not self._queued:
            return
        self._queued = self._writesPending = False
        if self.disconnected or self._aborting or self._writeRegistered:
            return
        # A close here is the one the event asked for: after a read that
        # left nothing unread, close() alone (PromptTCPServer._readSome).
        # Any other close calls shutdown() first.
        self._shouldShutdown = not self._bareCloseAtSend
        try:
            if self.producer is not None or self._writeDisconnecting or self.dataBuffer:
                why = self.doWrite()
            elif self._tempDataLen:
                # What doWrite does with a buffer of its own that is empty,
                # shortened: send the joined writes; keep what the kernel did
                # not take, and wait for writability.
                chunks = self._tempDataBuffer
                data = chunks[0] if len(chunks) == 1 else b"".join(chunks)
                self._tempDataBuffer = []
                self._tempDataLen = 0
                why = self._sendSome(data)
                if why.__class__ is int:
                    if why < len(data):
                        self.dataBuffer = data
                        self.offset = why
                        self.startWriting()
                        return
                    if not self.disconnecting:
                        # All sent, nothing else to do (the usual case).
                        return
                    why = self._postLoseConnection()
            elif self.disconnecting:
                # loseConnection() with nothing to send: what doWrite would
                # answer, without sending zero bytes.
                why = self._postLoseConnection()
            else:
                return
            if why:
                # As the reactor disconnects a selectable whose doWrite failed
                # (connectionLost stops reading and writing).
                reason = _LOST_WHILE_WRITING.get(why.__class__)
                self.connectionLost(reason if reason is not None else _failure.Failure(why))
            elif self.connected and (self._tempDataLen or self.offset < len(self.dataBuffer)):
                # The kernel took part of it: wait for writability.
                self.startWriting()
        finally:
            self._shouldShutdown = True

    def getPeer(self):
        if self._peerAddress is not None:
            # The address the port made for the factory.
            return self._peerAddress
        return super().getPeer()

    def setTcpNoDelay(self, enabled: bool) -> None:
        if enabled and self._noDelay:
            return
        self._noDelay = False
        super().setTcpNoDelay(enabled)


class _ListeningSocket(socket.socket):
    """
    A listening socket whose C{accept} skips what C{socket.accept} looks up
    again for every connection (the family and type as enums, the default
    timeout): a listening socket of a Twisted port is non-blocking, so a
    new socket needs no blocking mode set.
    """

    __slots__ = ("_acceptFamily",)

    def accept(self):
        fd, address = self._accept()
        return (
            socket.socket(self._acceptFamily, socket.SOCK_STREAM, self.proto, fileno=fd),
            address,
        )


class _SendsAfterPoll:
    """
    The connections of a prompt port (L{_PromptAccepts}) that wrote while
    the reactor handled the events of its current poll: each sends (or
    closes) once they are all handled, in the order their events ended.

    On loopback, the sender's kernel delivers each send to the peer and
    wakes the peer's process if it sleeps, the costliest part of a small
    send. Sent one after another, the writes of a poll wake a client
    process once: the first send wakes it, the rest find it awake. Sent
    at the end of each connection's event, with the next connection's
    handling between them, nearly every send woke a sleeping client: 9 to
    17 % of a login's CPU time more, at 32 logins at a time (paired
    measurements; see bench/profile_findings.md).

    Sending is a timed call (C{callLater(0)}). The epoll, poll and select
    reactors run it right after the poll's events (and the thread calls
    and timers already due). A reactor that runs it later, after the next
    poll's events (asyncio's), still sends in order: a queued connection
    that reads again sends what it wrote first.
    """

    def __init__(self, reactor: Any) -> None:
        self._reactor = reactor
        self._waiting: list = []
        self._call: Any = None

    def add(self, transport: Any) -> None:
        """
        C{transport} has something to send (or will close) after the poll.
        """
        transport._queued = True
        self._waiting.append(transport)
        call = self._call
        if call is None or call.cancelled:
            # (Also if someone cancelled it: what waits is not left behind.)
            self._call = self._reactor.callLater(0, self._send)

    def _send(self) -> None:
        self._call = None
        waiting = self._waiting
        self._waiting = []
        for transport in waiting:
            try:
                transport._pollHandled()
            except BaseException:
                # One connection's error neither stops the others' sends nor
                # reaches the reactor: close that connection.
                _log.failure("error sending to {transport!r}", transport=transport)
                try:
                    if not transport.disconnected:
                        transport.stopReading()
                        transport.stopWriting()
                        transport.connectionLost(_failure.Failure())
                except BaseException:
                    _log.failure("error closing {transport!r}", transport=transport)


class _PromptAccepts:
    """
    A mixin for L{twisted.internet.tcp.Port} (and its UNIX subclass) whose
    C{transport} is a L{_PromptWrites} transport: what the connections it
    accepts write in C{connectionMade} is sent once the reactor has handled
    the events of its poll, by the port's L{_SendsAfterPoll}.
    """

    _accepted = None
    _noDelay = False
    _noDelayChecked = False
    _peerAddress = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._sendsAfterPoll = _SendsAfterPoll(self.reactor)

    def createInternetSocket(self):
        skt = super().createInternetSocket()
        family = int(skt.family)
        listening = _ListeningSocket(family, skt.type, skt.proto, fileno=skt.detach())
        listening.setblocking(False)
        listening._acceptFamily = family
        return listening

    def doRead(self):
        self._accepted = accepted = []
        try:
            return super().doRead()
        finally:
            self._accepted = None
            for transport in accepted:
                transport._acceptedEventEnded()


class PromptTCPServer(_PromptWrites, tcp.Server):
    """
    A TCP server transport that sends what an event wrote once the
    reactor's poll is handled (see L{_PromptWrites}). Made by
    L{PromptTCPPort}, whose listening socket has C{TCP_NODELAY} set on
    Linux, where accepted sockets inherit it: C{setTcpNoDelay(True)} then
    costs no system call.
    """

    def __init__(self, sock, protocol, client, server, sessionno, reactor):
        # tcp.Server.__init__, with tcp.Connection's and FileDescriptor's,
        # in one frame; the text of repr() is made only when asked for. (A
        # port always gives its reactor: no default reactor here.)
        self.reactor = reactor
        self._tempDataBuffer = []
        self._tempDataLen = 0
        self.socket = sock
        sock.setblocking(False)
        self.fileno = sock.fileno
        self.protocol = protocol
        if len(client) != 2:
            self._addressType = IPv6Address
        self.server = server
        self.client = client
        self.sessionno = sessionno
        self.hostname = hostname = client[0]
        self.logstr = f"{self._getLogPrefix(protocol)},{sessionno},{hostname}"
        self._repr = (protocol.__class__.__name__, sessionno, server._realPortNumber)
        self.startReading()
        self.connected = 1
        self._joinAcceptEvent(server, sock)

    @property
    def repstr(self) -> str:
        parts = self._repr
        if parts.__class__ is str:
            return parts
        return "<{} #{} on {}>".format(*parts)

    @repstr.setter
    def repstr(self, text: str) -> None:
        self._repr = text

    def _readSome(self):
        # tcp.Connection.doRead and _dataReceived in one frame.
        try:
            data = self.socket.recv(self.bufferSize)
        except OSError as e:
            return None if e.args[0] == EWOULDBLOCK else _main.CONNECTION_LOST
        # A clean close asked for in this event, while nothing is left
        # unread (this read did not fill the buffer, or found the end), is
        # close() alone (at the send after the poll: see _pollHandled):
        # a stock transport calls shutdown() first, which Twisted's own
        # _closeSocket says is not needed for a socket this process alone
        # holds (accepted sockets are close-on-exec), and which costs a
        # system call per connection. With input left unread, close() alone
        # would send a reset instead of the end of the stream: then
        # shutdown() comes first, as on a stock transport.
        size = len(data)
        self._shouldShutdown = size >= self.bufferSize
        if not size:
            return _main.CONNECTION_DONE
        self.protocol.dataReceived(data)
        return None

    def _sendSome(self, data: bytes):
        # The usual case of tcp.Connection.writeSomeData: a small write the
        # kernel takes at once. Any error is left to writeSomeData, which
        # sends again and classifies it (EINTR, EWOULDBLOCK, a lost
        # connection).
        if len(data) <= self.SEND_LIMIT:
            try:
                return self.socket.send(data)
            except OSError:
                pass
        return self.writeSomeData(data)


class PromptTCPPort(_PromptAccepts, tcp.Port):
    """
    A TCP port whose connections are L{PromptTCPServer}s: they start with
    C{TCP_NODELAY} (as MySQL's do; on Linux, through the listening socket).
    """

    transport = PromptTCPServer

    def _buildAddr(self, address):
        # Kept for the transport's getPeer (the same address).
        self._peerAddress = peer = super()._buildAddr(address)
        return peer

    def createInternetSocket(self):
        skt = super().createInternetSocket()
        # (Checked again at the first connection of each listening socket.)
        self._noDelay = self._noDelayChecked = False
        if sys.platform.startswith("linux"):
            try:
                skt.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            except OSError:
                pass
            else:
                self._noDelay = True
        return skt


try:
    from twisted.internet import unix as _unix
except ImportError:  # pragma: no cover (no UNIX sockets)
    PromptUNIXServer = PromptUNIXPort = None
else:

    class PromptUNIXServer(_PromptWrites, _unix.Server):  # type: ignore[no-redef]
        """
        A UNIX-socket server transport that sends what an event wrote once
        the reactor's poll is handled (see L{_PromptWrites}).
        """

    class PromptUNIXPort(_PromptAccepts, _unix.Port):  # type: ignore[no-redef]
        """
        A UNIX-socket port whose connections are L{PromptUNIXServer}s.
        """

        transport = PromptUNIXServer


class _PromptListeningReactor:
    """
    A reactor whose C{listenTCP} and C{listenUNIX} make L{PromptTCPPort}s
    and L{PromptUNIXPort}s; everything else is the reactor's.
    """

    def __init__(self, reactor: Any) -> None:
        self._reactor = reactor
        directlyProvides(self, providedBy(reactor))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._reactor, name)

    def listenTCP(self, port: int, factory: Any, backlog: int = 50, interface: str = "") -> Any:
        listening = PromptTCPPort(port, factory, backlog, interface, self._reactor)
        listening.startListening()
        return listening

    def listenUNIX(
        self, address: str, factory: Any, backlog: int = 50, mode: int = 0o666, wantPID: int = 0
    ) -> Any:
        if PromptUNIXPort is None:  # pragma: no cover
            return self._reactor.listenUNIX(address, factory, backlog, mode, wantPID)
        listening = PromptUNIXPort(address, factory, backlog, mode, self._reactor, wantPID)
        listening.startListening()
        return listening


def serverEndpoint(reactor: Any, description: str) -> Any:
    """
    L{serverFromString}, but the C{tcp:}/C{tcp6:} and C{unix:} listeners of
    a POSIX reactor accept with L{PromptTCPPort} and L{PromptUNIXPort}:
    normal Twisted ports and transports that send what a protocol writes as
    soon as the reactor has handled the events of its current poll,
    without waiting for writability (see L{_PromptWrites}), which takes
    a fifth or more off the CPU time of a MySQL login. Other endpoint
    types, and every endpoint where L{whyNoPromptPorts} gives a reason (not
    a POSIX reactor, a Twisted they were not checked with), are
    L{serverFromString}'s.

    @param reactor: the reactor.
    @param description: a Twisted server endpoint string.
    @return: an L{IStreamServerEndpoint}.
    """
    if whyNoPromptPorts(reactor) is None:
        return serverFromString(_PromptListeningReactor(reactor), description)
    return serverFromString(reactor, description)


#: The last Twisted release (year, month) whose transports the prompt ports
#: were checked with: their tests and the prompt-port integration tests
#: passed on every release from 23.10 (the oldest the project supports) to
#: this one, and the Twisted code they rely on was compared between them.
#: A later release gets the stock ports until it has been checked too: run
#: the suite on it, then raise this.
PROMPT_PORTS_CHECKED_UP_TO = (26, 10)


def whyNoPromptPorts(reactor: Any) -> Optional[str]:
    """
    @return: why L{serverEndpoint} would give C{reactor} the stock ports,
        or L{None} if it gives the prompt ports.
    """
    from twisted import version
    from twisted.internet.posixbase import PosixReactorBase

    if not isinstance(reactor, PosixReactorBase):
        return f"the reactor {type(reactor).__name__} is not a POSIX one"
    if (version.major, version.minor) > PROMPT_PORTS_CHECKED_UP_TO:
        return (
            f"Twisted {version.short()} is newer than the releases they were checked with "
            f"(up to {PROMPT_PORTS_CHECKED_UP_TO[0]}.{PROMPT_PORTS_CHECKED_UP_TO[1]})"
        )
    if not _promptWritesSupported():
        return f"Twisted {version.short()}'s transports lack what they use"
    return None


#: The parts of Twisted's POSIX transports that L{_PromptWrites} relies on
#: (see L{PROMPT_PORTS_CHECKED_UP_TO}); without any of them the stock ports
#: are used.
_TRANSPORT_INTERNALS = (
    "_tempDataBuffer",
    "_tempDataLen",
    "_writeDisconnected",
    "_writeDisconnecting",
    "_postLoseConnection",
    "_aborting",
    "_shouldShutdown",
    "_getLogPrefix",
    "_addressType",
    "writeSomeData",
    "doWrite",
    "dataBuffer",
    "offset",
    "bufferSize",
    "SEND_LIMIT",
)

#: The same for Twisted's TCP port (L{_PromptAccepts}, L{PromptTCPPort}).
_PORT_INTERNALS = ("_buildAddr", "_realPortNumber")


class _ProbeReactor:
    """
    The reactor of the transport L{_promptWritesSupported} looks at.
    """


def _promptWritesSupported() -> bool:
    """
    @return: whether this Twisted's transports have what the prompt ports
        use (they reach below Twisted's public API).
    """
    probe = tcp.Server.__new__(tcp.Server)
    try:
        # (A reactor of its own: FileDescriptor would otherwise import, and
        # so install, the default reactor.)
        abstract.FileDescriptor.__init__(probe, reactor=_ProbeReactor())
    except Exception:
        return False
    return all(hasattr(probe, name) for name in _TRANSPORT_INTERNALS) and all(
        hasattr(tcp.Port, name) for name in _PORT_INTERNALS
    )
