# -*- test-case-name: tests.test_protocol -*-
# Copyright (c) twisted_mysqlauth developers.
# See LICENSE for details.
"""
Tests for L{twisted_mysqlauth.protocol}: the connection phase, driven in
memory on L{twisted.test.iosim} and L{StringTransport} with a L{Clock}.
"""

from __future__ import annotations

import gc
import os
import tempfile

from zope.interface import implementer
from zope.interface.verify import verifyObject

from twisted.internet.address import IPv4Address, UNIXAddress
from twisted.internet.defer import Deferred
from twisted.internet.interfaces import ITLSTransport
from twisted.internet.task import Clock
from twisted.internet.testing import StringTransport
from twisted.trial.unittest import SynchronousTestCase

from twisted_mysqlauth import keys, protocol as protocolModule
from twisted_mysqlauth.accounts.directory import AccountManager
from twisted_mysqlauth.accounts.memory import InMemoryAccountStore
from twisted_mysqlauth.accounts.model import (
    Account,
    AccountName,
    PutAccount,
)
from twisted_mysqlauth.auth import hashing
from twisted_mysqlauth.interfaces import IMySQLAvatar
from twisted_mysqlauth.server import MySQLServerFactory
from twisted_mysqlauth.session import IMySQLConnection
from twisted_mysqlauth.testing import (
    CLIENT_CAPABILITIES,
    FakeTLSOptions,
    MySQLTestClient,
    ServerError,
    connectedServerAndClient,
)
from twisted_mysqlauth.wire import constants as C
from twisted_mysqlauth.wire.codec import PacketDecoder, encodePacket
from twisted_mysqlauth.wire.packets import (
    ERRPacket,
    HandshakeResponse41,
    HandshakeV10,
    OKPacket,
    SSLRequest,
)

_keyPair = None


def rsaKeyPair():
    """
    One RSA key pair for the whole module (generating one takes a while).
    """
    global _keyPair
    if _keyPair is None:
        folder = tempfile.mkdtemp()
        _keyPair = keys.loadOrCreateRSAKeyPair(
            os.path.join(folder, "private.pem"), os.path.join(folder, "public.pem")
        )
    return _keyPair


LOCALHOST = IPv4Address("TCP", "127.0.0.1", 40000)
REMOTE = IPv4Address("TCP", "192.0.2.7", 40000)
SOCKET = UNIXAddress(None)


class RecordingSession:
    """
    A session that records its avatar and answers every command with OK.
    """

    instances: list = []

    def __init__(self, avatar, connection):
        self.avatar = avatar
        self.connection = connection
        self.commands = []
        self.lost = False
        RecordingSession.instances.append(self)

    def commandReceived(self, command, payload):
        self.commands.append((command, payload))
        if command == 0x7F:
            raise ValueError("boom")
        self.connection.sendOK()

    def connectionLost(self, reason):
        self.lost = True


def account(user, plugin, password=None, host="%", **kw):
    """
    An account row with C{password} hashed for C{plugin}.
    """
    hashers = {
        "caching_sha2_password": hashing.cachingSHA2Hash,
        "mysql_native_password": hashing.nativeHash,
        "sha256_password": hashing.sha256PasswordHash,
    }
    authString = hashers[plugin](password) if password else b""
    return Account(AccountName(user, host), plugin, authString, **kw)


class ServerMixin:
    """
    A server over an in-memory store with a few accounts.
    """

    defaultPlugin = "caching_sha2_password"
    tls = False

    def setUp(self):
        RecordingSession.instances = []
        self.clock = Clock()
        self.accounts = AccountManager(InMemoryAccountStore())
        self.successResultOf(self.accounts.start())
        self.successResultOf(
            self.accounts.apply(
                [
                    PutAccount(account("sha2", "caching_sha2_password", b"pw1")),
                    PutAccount(account("native", "mysql_native_password", b"pw2")),
                    PutAccount(account("sha256", "sha256_password", b"pw3")),
                    PutAccount(account("empty", "caching_sha2_password")),
                    PutAccount(account("locked", "mysql_native_password", b"pw4", locked=True)),
                    PutAccount(Account(AccountName("ghost", "%"), "no_such_plugin", b"")),
                ]
            )
        )
        self.factory = self.makeFactory()

    def makeFactory(self, **options):
        options.setdefault("defaultPlugin", self.defaultPlugin)
        options.setdefault("rsaKeyPair", rsaKeyPair())
        if self.tls:
            options.setdefault("tlsOptions", FakeTLSOptions())
        return MySQLServerFactory.forAccounts(
            self.accounts, self.clock, sessionFactory=RecordingSession, **options
        )

    def login(self, user, password=b"", peer=LOCALHOST, factory=None, **kw):
        """
        Log in with L{MySQLTestClient} on iosim.

        @return: (client, server, the loggedIn result or failure)
        """
        client = MySQLTestClient(user, password, **kw)
        c, server, pump = connectedServerAndClient(
            factory or self.factory, client, peerAddress=peer, clock=self.clock
        )
        pump.flush()
        self.pump = pump
        results = []
        client.loggedIn.addBoth(results.append)
        self.assertEqual(len(results), 1, "login did not finish")
        return client, server, results[0]

    def assertLoggedIn(self, result):
        if not hasattr(result, "greeting"):
            self.fail(f"login failed: {result}")
        return result

    def assertRefused(self, result, code, message=None, sqlState=None):
        self.assertIsInstance(getattr(result, "value", None), ServerError, result)
        error = result.value
        self.assertEqual(error.errorCode, code, error.message)
        if message is not None:
            self.assertEqual(error.message, message)
        if sqlState is not None:
            self.assertEqual(error.sqlState, sqlState)
        return error


class PasswordLoginTests(ServerMixin, SynchronousTestCase):
    """
    Logins with the password methods over plain TCP (RSA for full
    authentication).
    """

    def test_greeting(self):
        """
        The greeting names the default plugin's client plugin and carries 20
        nonce bytes in 0x01..0x7F without C{$}; without TLS options it does
        not offer CLIENT_SSL.
        """
        client, server, result = self.login(b"sha2", b"pw1")
        greeting = result.greeting
        self.assertEqual(greeting.authPluginName, b"caching_sha2_password")
        nonce = greeting.authPluginData
        self.assertEqual(len(nonce), 21)
        self.assertEqual(nonce[20:], b"\x00")
        self.assertTrue(all(0 < b < 0x80 and b != 0x24 for b in nonce[:20]))
        self.assertFalse(greeting.capabilities & C.CLIENT_SSL)
        self.assertTrue(greeting.capabilities & C.CLIENT_PLUGIN_AUTH)

    def test_cachingSHA2FullThenFast(self):
        """
        The first caching_sha2 login has no cached digest: the server asks
        for full authentication (01 04), sends its public key on request and
        accepts the RSA-encrypted password; the second login takes the fast
        path (01 03).
        """
        client, server, result = self.login(b"sha2", b"pw1")
        self.assertLoggedIn(result)
        self.assertEqual(result.moreData[0], b"\x04")
        self.assertTrue(result.moreData[1].startswith(b"-----BEGIN PUBLIC KEY-----"))
        client, server, result = self.login(b"sha2", b"pw1")
        self.assertLoggedIn(result)
        self.assertEqual(result.moreData, [b"\x03"])
        self.assertEqual(result.switchedTo, [])

    def test_cachingSHA2WrongPassword(self):
        """
        A wrong caching_sha2 password goes to full authentication and is
        refused with 1045 (using password: YES).
        """
        client, server, result = self.login(b"sha2", b"nope")
        self.assertRefused(
            result,
            1045,
            "Access denied for user 'sha2'@'localhost' (using password: YES)",
            "28000",
        )

    def test_cachingSHA2WrongAfterCached(self):
        """
        With the digest cached, a wrong scramble still goes to full
        authentication (not a quick refusal) and is refused.
        """
        self.assertLoggedIn(self.login(b"sha2", b"pw1")[2])
        client, server, result = self.login(b"sha2", b"bad")
        self.assertRefused(result, 1045)
        self.assertEqual(client.trace.moreData[0], b"\x04")

    def test_nativeSwitchReusesNonce(self):
        """
        A native account, with caching_sha2 greeting: the server switches to
        mysql_native_password with the greeting's own nonce.
        """
        client, server, result = self.login(b"native", b"pw2")
        self.assertLoggedIn(result)
        self.assertEqual(result.switchedTo, ["mysql_native_password"])
        self.assertEqual(client._nonce, result.greeting.authPluginData[:20])

    def test_nativeWithoutSwitch(self):
        """
        A client that answered the greeting with mysql_native_password (its
        own default plugin) logs in to a native account with no switch.
        """
        client, server, result = self.login(b"native", b"pw2", plugin="mysql_native_password")
        self.assertLoggedIn(result)
        self.assertEqual(result.switchedTo, [])

    def test_switchToSHA2UsesFreshNonce(self):
        """
        With mysql_native_password greeting, a caching_sha2 account gets a
        switch with a fresh nonce.
        """
        factory = self.makeFactory(defaultPlugin="mysql_native_password")
        client, server, result = self.login(b"sha2", b"pw1", factory=factory)
        self.assertLoggedIn(result)
        self.assertEqual(result.switchedTo, ["caching_sha2_password"])
        self.assertNotEqual(client._nonce, result.greeting.authPluginData[:20])

    def test_sha256RSA(self):
        """
        sha256_password over plain TCP: the client asks for the key with 01
        and sends the RSA-encrypted password.
        """
        client, server, result = self.login(b"sha256", b"pw3")
        self.assertLoggedIn(result)
        self.assertEqual(result.switchedTo, ["sha256_password"])
        self.assertRefused(self.login(b"sha256", b"pw9")[2], 1045)

    def test_noRSAKeysRefuses(self):
        """
        Without RSA keys, full authentication over plain TCP is refused.
        """
        factory = self.makeFactory(rsaKeyPair=None)
        self.assertRefused(self.login(b"sha2", b"pw1", factory=factory)[2], 1045)

    def test_unknownUserLikeWrongPassword(self):
        """
        An unknown user gets the same error as a wrong password (and runs a
        full exchange against a decoy account).
        """
        client, server, result = self.login(b"nobody", b"pw1")
        self.assertRefused(
            result, 1045, "Access denied for user 'nobody'@'localhost' (using password: YES)"
        )

    def test_decoyStablePerName(self):
        """
        The decoy method of an unknown name is the same on every attempt,
        so probing twice shows nothing new.
        """
        switches = set()
        for i in range(3):
            client, server, result = self.login(b"probe", b"x")
            switches.add(tuple(client.trace.switchedTo))
        self.assertEqual(len(switches), 1)

    def test_emptyPasswordRefused(self):
        """
        No password for an account that has one: 1045 (using password: NO).
        """
        self.assertRefused(
            self.login(b"native", b"")[2],
            1045,
            "Access denied for user 'native'@'localhost' (using password: NO)",
        )

    def test_emptyPasswordAccount(self):
        """
        An account with no password takes an empty response.
        """
        self.assertLoggedIn(self.login(b"empty", b"")[2])
        self.assertRefused(self.login(b"empty", b"x")[2], 1045)

    def test_lockedAfterCredentials(self):
        """
        ACCOUNT LOCK is checked after the credentials: the right password
        gets 3118, a wrong one 1045.
        """
        self.assertRefused(
            self.login(b"locked", b"pw4")[2],
            3118,
            "Access denied for user 'locked'@'localhost'. Account is locked.",
            "HY000",
        )
        self.assertRefused(self.login(b"locked", b"bad")[2], 1045)

    def test_pluginNotLoaded(self):
        """
        An account whose method is not loaded is refused with 1524; never a
        fallback to another method.
        """
        self.assertRefused(
            self.login(b"ghost", b"")[2], 1524, "Plugin 'no_such_plugin' is not loaded"
        )

    def test_noPluginAuthClient(self):
        """
        A client without CLIENT_PLUGIN_AUTH speaks native only: a
        caching_sha2 account gets 1251.
        """
        caps = CLIENT_CAPABILITIES & ~C.CLIENT_PLUGIN_AUTH
        result = self.login(b"sha2", b"pw1", capabilities=caps, plugin="mysql_native_password")[2]
        self.assertRefused(result, 1251)
        result = self.login(b"native", b"pw2", capabilities=caps, plugin="mysql_native_password")[2]
        self.assertLoggedIn(result)

    def test_requireSecureTransport(self):
        """
        With require_secure_transport, a plain TCP login gets 3159 and a
        UNIX-socket login succeeds.
        """
        factory = self.makeFactory(requireSecureTransport=True)
        self.assertRefused(self.login(b"native", b"pw2", factory=factory)[2], 3159)
        result = self.login(b"native", b"pw2", factory=factory, peer=SOCKET, secure=True)[2]
        self.assertLoggedIn(result)

    def test_socketIsSecureForSHA2(self):
        """
        Over a UNIX socket caching_sha2 full authentication takes the
        cleartext password (no RSA key is sent).
        """
        client, server, result = self.login(b"sha2", b"pw1", peer=SOCKET, secure=True)
        self.assertLoggedIn(result)
        self.assertEqual(result.moreData, [b"\x04"])

    def test_hostNotAllowed(self):
        """
        A client from a host no account may connect from gets 1130, without
        SQLSTATE, instead of a greeting.
        """
        self.successResultOf(
            self.accounts.run(
                lambda d: [
                    __import__("twisted_mysqlauth.accounts.model", fromlist=["x"]).DeleteAccount(
                        a.name
                    )
                    for a in d.accounts()
                ]
                + [PutAccount(account("local", "mysql_native_password", b"x", host="localhost"))]
            )
        )
        client, server, result = self.login(b"local", b"x", peer=REMOTE)
        error = self.assertRefused(
            result, 1130, "Host '192.0.2.7' is not allowed to connect to this MySQL server"
        )
        self.assertEqual(error.sqlState, "")

    def test_avatarHandedToSession(self):
        """
        After the OK the session factory gets the avatar: the user the
        client sent, its host, and the matched account.
        """
        self.assertLoggedIn(self.login(b"native", b"pw2")[2])
        session = RecordingSession.instances[-1]
        avatar = session.avatar
        verifyObject(IMySQLAvatar, avatar)
        self.assertEqual(avatar.user, "native")
        self.assertEqual(avatar.clientHost, "localhost")
        self.assertEqual(avatar.account.name, AccountName("native", "%"))
        self.assertIsNone(avatar.proxyUser)
        verifyObject(IMySQLConnection, session.connection)

    def test_commandPhase(self):
        """
        Commands after login reach the session with the sequence reset;
        COM_QUIT closes without reaching it.
        """
        client, server, result = self.login(b"native", b"pw2")
        answers = []
        client.command(C.COM_PING).addCallback(answers.append)
        self.pump.flush()
        self.assertEqual(answers, [[b"\x00\x00\x00\x02\x00\x00\x00"]])
        session = RecordingSession.instances[-1]
        self.assertEqual(session.commands, [(C.COM_PING, b"")])
        client.send(bytes([C.COM_QUIT]))
        self.pump.flush()
        self.assertTrue(session.lost)
        self.assertEqual(len(session.commands), 1)

    def test_commandSequenceStartsAtZero(self):
        """
        A command whose first packet does not have sequence id 0 is out of
        order: 1156 and the connection closes; the session never sees it.
        """
        client, server, result = self.login(b"native", b"pw2")
        session = RecordingSession.instances[-1]
        answers = []
        client._seq = 3
        client._pending = Deferred()
        client._pending.addBoth(answers.append)
        client._state = "result"
        client.send(bytes([C.COM_PING]))
        self.pump.flush()
        self.assertEqual(answers[0].value.errorCode, 1156)
        self.assertEqual(session.commands, [])
        self.assertTrue(session.lost)

    def test_sessionErrorAnswered(self):
        """
        A session that raises gets a generic ERR (and the failure logged),
        and the connection goes on.
        """
        client, server, result = self.login(b"native", b"pw2")
        failures = []
        client.command(0x7F).addErrback(failures.append)
        self.pump.flush()
        self.assertEqual(failures[0].value.errorCode, 1105)
        self.assertEqual(len(self.flushLoggedErrors(ValueError)), 1)
        answers = []
        client.command(C.COM_PING).addCallback(answers.append)
        self.pump.flush()
        self.assertEqual(len(answers), 1)


class TLSLoginTests(ServerMixin, SynchronousTestCase):
    """
    Logins after the (simulated) TLS upgrade.
    """

    tls = True

    def test_offersSSL(self):
        """
        With TLS options the greeting offers CLIENT_SSL.
        """
        client, server, result = self.login(b"native", b"pw2")
        self.assertTrue(result.greeting.capabilities & C.CLIENT_SSL)

    def test_cachingSHA2FullOverTLS(self):
        """
        Over TLS full authentication takes the cleartext password.
        """
        client, server, result = self.login(b"sha2", b"pw1", tlsOptions=FakeTLSOptions())
        self.assertLoggedIn(result)
        self.assertEqual(result.moreData, [b"\x04"])
        self.assertTrue(server.attempt.tls)

    def test_sha256OverTLS(self):
        """
        sha256_password over TLS: the cleartext password, no key request.
        """
        client, server, result = self.login(b"sha256", b"pw3", tlsOptions=FakeTLSOptions())
        self.assertLoggedIn(result)
        self.assertEqual(result.moreData, [])
        self.assertRefused(self.login(b"sha256", b"x", tlsOptions=FakeTLSOptions())[2], 1045)

    def test_sslRequestWithoutTLS(self):
        """
        An SSLRequest to a server without TLS gets 1043 Bad handshake.
        """
        self.factory = self.makeFactory(tlsOptions=None)
        transport, server = self.connect()
        transport.clear()
        server.dataReceived(encodePacket(1, SSLRequest(CLIENT_CAPABILITIES).toWire())[0])
        self.assertEqual(self.errorFrom(transport).errorCode, 1043)
        self.assertTrue(transport.disconnecting)

    def connect(self, peer=LOCALHOST):
        transport = TLSStringTransport(peerAddress=peer)
        server = self.factory.buildProtocol(peer)
        server.makeConnection(transport)
        return transport, server

    def errorFrom(self, transport):
        packets = PacketDecoder(1 << 20).feed(transport.value())
        return ERRPacket.fromWire(packets[-1].payload)

    def test_clientHelloInSameRead(self):
        """
        The bytes after an SSLRequest in the same read are handed to the TLS
        layer, never parsed as MySQL packets: here they look like a valid
        handshake response, and must not log anyone in.
        """
        transport, server = self.connect()
        greeting = HandshakeV10.fromWire(PacketDecoder(1 << 20).feed(transport.value())[0].payload)
        transport.clear()
        smuggled = encodePacket(
            2,
            HandshakeResponse41(
                capabilities=CLIENT_CAPABILITIES,
                maxPacketSize=1 << 24,
                characterSet=45,
                username=b"empty",
                clientPluginName=b"caching_sha2_password",
            ).toWire(),
        )[0]
        server.dataReceived(
            encodePacket(1, SSLRequest(CLIENT_CAPABILITIES).toWire())[0] + smuggled
        )
        self.assertEqual(transport.tlsStarted, [self.factory.config.tlsOptions])
        self.assertEqual(transport.tlsProtocol.received, [smuggled])
        self.assertEqual(transport.value(), b"")
        self.assertIsNone(server.avatar)
        self.assertTrue(greeting.capabilities & C.CLIENT_SSL)


class _RecordingTLSProtocol:
    def __init__(self):
        self.received = []

    def dataReceived(self, data):
        self.received.append(data)


@implementer(ITLSTransport)
class TLSStringTransport(StringTransport):
    """
    A L{StringTransport} whose C{startTLS} records the call and puts a
    recording protocol where Twisted's TLS wrapper would be.
    """

    def __init__(self, **kw):
        super().__init__(**kw)
        self.tlsStarted = []
        self.tlsProtocol = _RecordingTLSProtocol()
        self.aborted = False

    def startTLS(self, options):
        self.tlsStarted.append(options)
        self.protocol = self.tlsProtocol

    def abortConnection(self):
        self.aborted = True
        self.loseConnection()


class MalformedInputTests(ServerMixin, SynchronousTestCase):
    """
    Bad bytes get a clean ERR and a close; nothing is read afterwards.
    """

    def connect(self, peer=LOCALHOST):
        transport = TLSStringTransport(peerAddress=peer)
        server = self.factory.buildProtocol(peer)
        server.makeConnection(transport)
        self.greeting = HandshakeV10.fromWire(
            PacketDecoder(1 << 20).feed(transport.value())[0].payload
        )
        transport.clear()
        return transport, server

    def errorFrom(self, transport):
        packets = PacketDecoder(1 << 26).feed(transport.value())
        self.assertTrue(packets, "nothing was sent")
        return ERRPacket.fromWire(packets[-1].payload)

    def test_garbage(self):
        """
        A first packet that is not a handshake response: 1043.
        """
        transport, server = self.connect()
        server.dataReceived(encodePacket(1, b"\x01\x02garbage")[0])
        error = self.errorFrom(transport)
        self.assertEqual((error.errorCode, error.sqlState, error.message), (1043, "08S01", "Bad handshake"))
        self.assertTrue(transport.disconnecting)

    def test_wrongSequence(self):
        """
        A packet with the wrong sequence id: 1156, close.
        """
        transport, server = self.connect()
        server.dataReceived(encodePacket(5, b"x" * 40)[0])
        self.assertEqual(self.errorFrom(transport).errorCode, 1156)
        self.assertTrue(transport.disconnecting)

    def test_oversizedHeader(self):
        """
        A header announcing 16 MiB before authentication: 1153 at once.
        """
        transport, server = self.connect()
        server.dataReceived(b"\xff\xff\xff\x01")
        self.assertEqual(self.errorFrom(transport).errorCode, 1153)
        self.assertTrue(transport.disconnecting)

    def test_oversizedHeaderOutOfOrder(self):
        """
        An oversized header with the wrong sequence id is out of order
        (1156), as MySQL reads the sequence id first: an HTTP request.
        """
        transport, server = self.connect()
        server.dataReceived(b"GET / HTTP/1.0\r\n\r\n")
        self.assertEqual(self.errorFrom(transport).errorCode, 1156)
        self.assertTrue(transport.disconnecting)

    def test_nothingReadAfterFailure(self):
        """
        After the ERR of a failed login the server writes nothing more,
        whatever the client sends.
        """
        transport, server = self.connect()
        server.dataReceived(encodePacket(1, b"\x01\x02garbage")[0])
        transport.clear()
        server.dataReceived(encodePacket(0, b"\x03SELECT 1")[0] + encodePacket(2, b"x")[0])
        self.assertEqual(transport.value(), b"")

    def test_nativeResponseLength(self):
        """
        A native response that is neither 0 nor 20 bytes: 1043 (MySQL does
        the same).
        """
        transport, server = self.connect()
        response = HandshakeResponse41(
            capabilities=CLIENT_CAPABILITIES,
            maxPacketSize=1 << 24,
            characterSet=45,
            username=b"native",
            authResponse=b"12345",
            clientPluginName=b"mysql_native_password",
        )
        server.dataReceived(encodePacket(1, response.toWire())[0])
        self.assertEqual(self.errorFrom(transport).errorCode, 1043)

    def test_connectAttributesMalformedInside(self):
        """
        An attribute block of the right length but malformed inside does
        not stop the login (MySQL's handshake checks only the block's
        length); the attempt's C{connectAttributes}, parsed when first
        read, are the pairs before the malformed one.
        """
        transport, server = self.connect()
        nonce = self.greeting.authPluginData[:20]
        caps = CLIENT_CAPABILITIES | C.CLIENT_CONNECT_ATTRS
        head = HandshakeResponse41(
            capabilities=caps,
            maxPacketSize=1 << 24,
            characterSet=45,
            username=b"native",
            authResponse=hashing.nativeScramble(b"pw2", nonce),
            clientPluginName=b"mysql_native_password",
        ).toWire()
        block = b"\x03_os\x05Linux\x05_pid\x09short"
        payload = head[:-1] + bytes([len(block)]) + block
        server.dataReceived(encodePacket(1, payload)[0])
        self.assertIsNotNone(server.avatar)
        self.assertEqual(server.attempt.connectAttributesBlock, block)
        self.assertEqual(server.attempt.connectAttributes, ((b"_os", b"Linux"),))

    def test_noCycleAfterClose(self):
        """
        Once the connection is lost, the channel its attempt (the realm's
        mind, which an avatar may keep) holds no longer refers to it:
        nothing of a closed connection waits for the garbage collector.
        """
        client, server, result = self.login(b"native", b"pw2")
        self.assertLoggedIn(result)
        channel = server.attempt.channel
        self.assertIn(server, gc.get_referents(channel))
        server.connectionLost(None)
        self.assertIs(server.attempt.channel, channel)
        self.assertNotIn(server, gc.get_referents(channel))

    def test_noDelay(self):
        """
        Nagle's algorithm is turned off on TCP connections: every
        connection-phase packet waits for an answer.
        """
        calls = []
        transport = TLSStringTransport(peerAddress=LOCALHOST)
        transport.setTcpNoDelay = calls.append
        self.factory.buildProtocol(LOCALHOST).makeConnection(transport)
        self.assertEqual(calls, [True])

    def test_stalledClientTimesOut(self):
        """
        A client that stops mid-handshake is cut off at the login timeout;
        before it, nothing happens.
        """
        transport, server = self.connect()
        self.clock.advance(9.9)
        self.assertFalse(transport.aborted)
        self.clock.advance(0.2)
        self.assertTrue(transport.aborted)

    def test_noTimeoutAfterLogin(self):
        """
        The login timeout is cancelled once logged in.
        """
        client, server, result = self.login(b"native", b"pw2")
        self.assertLoggedIn(result)
        self.assertEqual(self.clock.getDelayedCalls(), [])

    def test_dataWhileChecking(self):
        """
        Bytes that arrive while the portal is still deciding wait their
        turn; a client that floods meanwhile is cut off.
        """
        pending = Deferred()
        self.factory.portal.login = lambda *a: pending
        transport, server = self.connect()
        response = HandshakeResponse41(
            capabilities=CLIENT_CAPABILITIES,
            maxPacketSize=1 << 24,
            characterSet=45,
            username=b"native",
            authResponse=b"",
            clientPluginName=b"mysql_native_password",
        )
        server.dataReceived(encodePacket(1, response.toWire())[0])
        server.dataReceived(b"\x00" * 1000)
        self.assertEqual(transport.value(), b"")
        server.dataReceived(b"\x00" * (300 * 1024))
        self.assertEqual(self.errorFrom(transport).errorCode, 1153)
        self.assertTrue(transport.disconnecting)


class LoginOKFramesTests(SynchronousTestCase):
    """
    The login's last packets, framed ahead of time: the same bytes and
    sequence ids as framing them at the time, across the wrap from 255 to 0.
    """

    def decode(self, data):
        return [
            (packet.sequenceId, packet.payload) for packet in PacketDecoder(1 << 30).feed(data)
        ]

    def test_loginOK(self):
        """
        Each framed OK is the OK with its own sequence id.
        """
        ok = OKPacket().toWire()
        for seq in (0, 1, 2, 254, 255):
            self.assertEqual(self.decode(protocolModule._LOGIN_OK_FRAMES[seq]), [(seq, ok)])

    def test_statusThenOK(self):
        """
        A status byte goes as AuthMoreData, then the OK, with consecutive
        sequence ids (wrapping at 256).
        """
        ok = OKPacket().toWire()
        for seq, after in ((2, 3), (254, 255), (255, 0)):
            self.assertEqual(
                self.decode(protocolModule._statusThenOK(3, seq)), [(seq, b"\x01\x03"), (after, ok)]
            )

    def test_longExtraThenOK(self):
        """
        Plugin data of 16 MiB or more is split over several packets: the
        sequence id after them counts every one.
        """
        extra = b"t" * (1 << 24)
        data, after = protocolModule._moreDataThenOK(extra, 250)
        # (Two chunks, 250 and 251, read as one packet; then the OK.)
        self.assertEqual(
            self.decode(data), [(250, b"\x01" + extra), (252, OKPacket().toWire())]
        )
        self.assertEqual(after, 253)
        data, after = protocolModule._moreDataThenOK(b"token", 255)
        self.assertEqual(self.decode(data), [(255, b"\x01token"), (0, OKPacket().toWire())])
        self.assertEqual(after, 1)


class LoginTimeoutsTests(SynchronousTestCase):
    """
    Tests for L{LoginTimeouts}: one timer for every connection's login
    deadline.
    """

    class Connection:
        def __init__(self, log, name):
            self.log = log
            self.name = name

        def _loginTimedOut(self):
            self.log.append(self.name)

    def setUp(self):
        from twisted_mysqlauth.protocol import LoginTimeouts

        self.clock = Clock()
        self.timeouts = LoginTimeouts(self.clock)
        self.log = []

    def connection(self, name):
        return self.Connection(self.log, name)

    def test_eachAtItsDeadline(self):
        """
        Each connection times out when its own deadline passes, with one
        timer pending at a time.
        """
        a, b, c = self.connection("a"), self.connection("b"), self.connection("c")
        self.timeouts.add(a, 10)
        self.clock.advance(3)
        self.timeouts.add(b, 10)
        self.clock.advance(1)
        self.timeouts.add(c, 10)
        self.assertEqual(len(self.clock.getDelayedCalls()), 1)
        self.clock.advance(5.9)
        self.assertEqual(self.log, [])
        self.clock.advance(0.1)
        self.assertEqual(self.log, ["a"])
        self.clock.advance(2.9)
        self.assertEqual(self.log, ["a"])
        self.clock.advance(0.1)
        self.assertEqual(self.log, ["a", "b"])
        self.clock.advance(1)
        self.assertEqual(self.log, ["a", "b", "c"])
        self.assertEqual(self.clock.getDelayedCalls(), [])

    def test_removed(self):
        """
        A removed connection does not time out; the timer goes once no
        connection is left.
        """
        a, b = self.connection("a"), self.connection("b")
        self.timeouts.add(a, 10)
        self.timeouts.add(b, 10)
        self.timeouts.remove(a)
        self.assertEqual(len(self.clock.getDelayedCalls()), 1)
        self.clock.advance(10)
        self.assertEqual(self.log, ["b"])
        self.timeouts.add(a, 10)
        self.timeouts.remove(a)
        self.assertEqual(self.clock.getDelayedCalls(), [])
        self.timeouts.remove(a)

    def test_timeoutLowered(self):
        """
        A connection whose deadline comes before an earlier connection's
        (the timeout was lowered) still times out at its own deadline.
        """
        a, b = self.connection("a"), self.connection("b")
        self.timeouts.add(a, 10)
        call = self.timeouts.add(b, 2)
        self.clock.advance(2)
        self.assertEqual(self.log, ["b"])
        self.clock.advance(8)
        self.assertEqual(self.log, ["b", "a"])
        self.assertFalse(call.active())


class LoginStepsTests(ServerMixin, SynchronousTestCase):
    """
    The portal's steps, taken without Deferreds when the checker and the
    realm answer at once, and through them otherwise.
    """

    def replaceChecker(self, requestAvatarId):
        """
        Make the portal check native responses with C{requestAvatarId}.
        """
        from twisted_mysqlauth.credentials import INativePasswordResponse

        original = self.factory.portal.checkers[INativePasswordResponse]

        class Checker:
            credentialInterfaces = (INativePasswordResponse,)

            def requestAvatarId(self, credentials):
                return requestAvatarId(original, credentials)

        self.factory.portal.checkers[INativePasswordResponse] = Checker()

    def test_checkerAnswersLater(self):
        """
        A checker whose answer is a L{Deferred} is waited for.
        """
        later = []

        def requestAvatarId(original, credentials):
            later.append((original.requestAvatarId(credentials), Deferred()))
            return later[-1][1]

        self.replaceChecker(requestAvatarId)
        self.assertLoggedInOnceFired(later)

    def assertLoggedInOnceFired(self, pending):
        """
        Log in as C{native}: the login waits until the Deferred that the
        replaced checker or realm appended to C{pending} (with the value it
        is to fire with) fires, then succeeds.
        """
        client = MySQLTestClient(b"native", b"pw2")
        c, server, pump = connectedServerAndClient(
            self.factory, client, peerAddress=LOCALHOST, clock=self.clock
        )
        pump.flush()
        self.assertNoResult(client.loggedIn)
        value, d = pending[0]
        d.callback(value)
        pump.flush()
        self.assertLoggedIn(self.successResultOf(client.loggedIn))

    def test_checkerRefusesLater(self):
        """
        A checker's L{Deferred} that fails refuses the login as a
        synchronous refusal would.
        """
        from twisted.cred.error import UnauthorizedLogin
        from twisted.internet.defer import fail

        self.replaceChecker(lambda original, credentials: fail(UnauthorizedLogin()))
        self.assertRefused(self.login(b"native", b"pw2")[2], 1045)

    def test_checkerReturnsFailure(self):
        """
        A checker may answer with a L{Failure}, as through C{maybeDeferred}.
        """
        from twisted.cred.error import UnauthorizedLogin
        from twisted.python.failure import Failure

        self.replaceChecker(lambda original, credentials: Failure(UnauthorizedLogin()))
        self.assertRefused(self.login(b"native", b"pw2")[2], 1045)

    def test_checkerBroken(self):
        """
        A checker that raises something else than a refusal refuses the
        login, and the error is logged.
        """

        def requestAvatarId(original, credentials):
            raise ZeroDivisionError()

        self.replaceChecker(requestAvatarId)
        self.assertRefused(self.login(b"native", b"pw2")[2], 1045)
        self.assertEqual(len(self.flushLoggedErrors(ZeroDivisionError)), 1)

    def test_realmAnswersLater(self):
        """
        A realm whose avatar comes in a L{Deferred} is waited for.
        """
        realm = self.factory.portal.realm
        pending = []

        class LateRealm:
            def requestAvatar(self, avatarId, mind, *interfaces):
                pending.append((realm.requestAvatar(avatarId, mind, *interfaces), Deferred()))
                return pending[-1][1]

        self.factory.portal.realm = LateRealm()
        self.assertLoggedInOnceFired(pending)
        self.assertEqual(RecordingSession.instances[-1].avatar.user, "native")

    def test_portalWithItsOwnLogin(self):
        """
        A portal subclass with a C{login} of its own is asked through it.
        """
        from twisted.cred.portal import Portal

        calls = []

        class CountingPortal(Portal):
            def login(self, credentials, mind, *interfaces):
                calls.append(credentials)
                return Portal.login(self, credentials, mind, *interfaces)

        old = self.factory.portal
        self.factory.portal = CountingPortal(old.realm)
        self.factory.portal.checkers = old.checkers
        self.assertLoggedIn(self.login(b"native", b"pw2")[2])
        self.assertRefused(self.login(b"native", b"nope")[2], 1045)
        self.assertEqual(len(calls), 2)


class LoginLogTests(ServerMixin, SynchronousTestCase):
    """
    What the factory logs about logins.
    """

    def events(self, **factoryAttributes):
        from twisted.logger import capturedLogs

        for name, value in factoryAttributes.items():
            setattr(self.factory, name, value)
        with capturedLogs() as events:
            self.assertLoggedIn(self.login(b"native", b"pw2")[2])
            self.assertRefused(self.login(b"native", b"nope")[2], 1045)
        return [e["log_format"] for e in events if e.get("log_namespace", "").startswith("twisted_mysqlauth")]

    def test_refusalsOnly(self):
        """
        By default only refusals are logged (as MySQL), never a password.
        """
        formats = self.events()
        self.assertEqual(len(formats), 1)
        self.assertTrue(formats[0].startswith("login refused"))

    def test_refusedBeforeAUserName(self):
        """
        A connection refused before its handshake response named a user
        (garbage: 1043) is logged as such, not as user C{None}.
        """
        from twisted.logger import capturedLogs, formatEvent

        transport = StringTransport(peerAddress=IPv4Address("TCP", "127.0.0.1", 40000))
        server = self.factory.buildProtocol(transport.getPeer())
        server.makeConnection(transport)
        with capturedLogs() as events:
            server.dataReceived(encodePacket(1, b"\x01\x02garbage")[0])
        texts = [formatEvent(e) for e in events]
        self.assertEqual(
            texts,
            [
                "login refused (1043) before a user name was sent: from localhost on "
                f"connection {server.connectionId}"
            ],
        )

    def test_successesOnRequest(self):
        """
        With C{logSuccessfulLogins}, successes are logged too.
        """
        formats = self.events(logSuccessfulLogins=True)
        self.assertEqual(len(formats), 2)
        self.assertTrue(formats[0].startswith("login:"))


class GarbageTests(ServerMixin, SynchronousTestCase):
    """
    A finished connection leaves no reference cycle behind: its objects are
    freed as soon as the transport lets go of the protocol, never by the
    garbage collector (whose runs cost a busy server a few per cent).
    """

    def handshake(self, user, password, plugin=b"mysql_native_password", quit=True):
        transport = TLSStringTransport(peerAddress=LOCALHOST)
        server = self.factory.buildProtocol(LOCALHOST)
        server.makeConnection(transport)
        greeting = HandshakeV10.fromWire(PacketDecoder(1 << 20).feed(transport.value())[0].payload)
        nonce = greeting.authPluginData[:20]
        if plugin == b"mysql_native_password":
            scramble = hashing.nativeScramble(password, nonce)
        else:
            scramble = hashing.cachingSHA2Scramble(password, nonce)
        response = HandshakeResponse41(
            capabilities=CLIENT_CAPABILITIES,
            maxPacketSize=1 << 24,
            characterSet=45,
            username=user,
            authResponse=scramble,
            clientPluginName=plugin,
        )
        server.dataReceived(encodePacket(1, response.toWire())[0])
        if quit:
            server.dataReceived(encodePacket(0, bytes([C.COM_QUIT]))[0])
        server.connectionLost(None)

    def assertNoCycles(self, run):
        gc.collect()
        flags = gc.get_debug()
        gc.disable()
        gc.set_debug(gc.DEBUG_SAVEALL)
        try:
            run()
            gc.collect()
            left = sorted(
                {
                    type(o).__qualname__
                    for o in gc.garbage
                    if type(o).__module__.startswith("twisted_mysqlauth")
                }
            )
        finally:
            gc.garbage.clear()
            gc.set_debug(flags)
            gc.enable()
        self.assertEqual(left, [])

    def test_loginsLeaveNoCycles(self):
        """
        Native logins, caching_sha2 logins (full authentication refused
        over plain TCP, then the fast path once cached), an unknown user,
        a wrong password and a locked account leave nothing for the
        collector.
        """

        def run():
            self.handshake(b"native", b"pw2")
            self.handshake(b"sha2", b"pw1", b"caching_sha2_password", quit=False)
            self.factory.config.sha2Cache.put(
                AccountName("sha2", "%"), hashing.cachingSHA2FastDigest(b"pw1")
            )
            self.handshake(b"sha2", b"pw1", b"caching_sha2_password")
            self.handshake(b"nobody", b"pw2")
            self.handshake(b"native", b"wrong")
            self.handshake(b"locked", b"pw4")

        self.assertNoCycles(run)
