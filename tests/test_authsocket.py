# -*- test-case-name: tests.test_authsocket -*-
# Copyright (c) twisted_mysqlauth developers.
# See LICENSE for details.
"""
Tests for L{twisted_mysqlauth.auth.authsocket}: the C{auth_socket} method
(MariaDB's C{unix_socket}), its checker with a faked password database,
whole logins on L{twisted.test.iosim} with chosen peer credentials, and
the account SQL of the MySQL manual's socket-authentication example run
through the executor.
"""

from __future__ import annotations

from typing import Any, List, Optional

from zope.interface.verify import verifyObject

from twisted.cred.checkers import ICredentialsChecker
from twisted.cred.error import UnauthorizedLogin
from twisted.internet import defer
from twisted.internet.address import IPv4Address, UNIXAddress
from twisted.internet.task import Clock
from twisted.internet.testing import StringTransport
from twisted.python.fakepwd import UserDatabase
from twisted.trial.unittest import SynchronousTestCase

from twisted_mysqlauth import errors
from twisted_mysqlauth.accounts.directory import AccountManager
from twisted_mysqlauth.accounts.memory import InMemoryAccountStore
from twisted_mysqlauth.accounts.model import Account, AccountName, ClientAddress
from twisted_mysqlauth.auth.authsocket import (
    AuthSocketChecker,
    AuthSocketMethod,
    ISocketPeerCredentials,
    SocketPeerCredentials,
    theAuthSocketMethod,
)
from twisted_mysqlauth.auth.base import LoginAttempt, TryLogin
from twisted_mysqlauth.auth.registry import MethodRegistry, discoverMethods
from twisted_mysqlauth.bootstrap import BootstrapSession
from twisted_mysqlauth.interfaces import IAuthMethod
from twisted_mysqlauth.peercred import PeerCredentials, inlineLookups
from twisted_mysqlauth.server import MySQLServerFactory
from twisted_mysqlauth.sql.executor import Executor
from twisted_mysqlauth.testing import (
    CLIENT_CAPABILITIES,
    FakeTLSOptions,
    MySQLTestClient,
    ServerError,
    connectedServerAndClient,
)
from twisted_mysqlauth.wire import constants as C
from twisted_mysqlauth.wire.codec import PacketDecoder, encodePacket
from twisted_mysqlauth.wire.packets import ERRPacket, HandshakeResponse41, HandshakeV10

#: OS users of the fake password database.
VALERIE_UID = 1001
STEPHANIE_UID = 1002
#: A uid the fake database does not know.
UNKNOWN_UID = 4242

#: A client on the UNIX socket, and one on the loopback over TCP.
SOCKET = UNIXAddress(None)
LOOPBACK = IPv4Address("TCP", "127.0.0.1", 40000)

#: The manual's statements, verbatim.
CREATE_VALERIE = "CREATE USER 'valerie'@'localhost' IDENTIFIED WITH auth_socket;"
ALTER_STEPHANIE = "ALTER USER 'valerie'@'localhost' IDENTIFIED WITH auth_socket AS 'stephanie';"
CREATE_WITH_STEPHANIE = (
    "CREATE USER 'valerie'@'localhost' IDENTIFIED WITH auth_socket AS 'stephanie';"
)

#: MySQL's text for error 1698 (no "using password" part).
DENIED_VALERIE = "Access denied for user 'valerie'@'localhost'"

#: What SHOW CREATE USER prints after the authentication clause.
SHOW_CREATE_TAIL = (
    " REQUIRE NONE PASSWORD EXPIRE DEFAULT ACCOUNT UNLOCK PASSWORD HISTORY DEFAULT"
    " PASSWORD REUSE INTERVAL DEFAULT PASSWORD REQUIRE CURRENT DEFAULT"
)


def fakeUsers() -> UserDatabase:
    """
    A password database with the OS users valerie and stephanie.
    """
    database = UserDatabase()
    database.addUser("valerie", "x", VALERIE_UID, VALERIE_UID, "", "/home/valerie", "/bin/sh")
    database.addUser(
        "stephanie", "x", STEPHANIE_UID, STEPHANIE_UID, "", "/home/stephanie", "/bin/sh"
    )
    return database


def peerOf(uid: int) -> PeerCredentials:
    """
    Peer credentials of a process running as C{uid}.
    """
    return PeerCredentials(uid=uid, gid=uid, pid=31000 + uid, groups=(uid,))


def socketAccount(user: str = "valerie", authString: bytes = b"") -> Account:
    return Account(AccountName(user, "localhost"), "auth_socket", authString)


class AuthSocketMethodTests(SynchronousTestCase):
    """
    The method itself: names, and an exchange that reads nothing.
    """

    def attempt(self, peer: Optional[PeerCredentials]) -> LoginAttempt:
        attempt = LoginAttempt(
            connectionId=1,
            client=ClientAddress(hostName="localhost", ip=None, isUNIXSocket=True),
            handshakeNonce=b"n" * 20,
            secure=True,
            tls=False,
            server=None,
            username="valerie",
            account=socketAccount(),
            knownUser=True,
            peerCredentials=peer,
        )
        return attempt

    def test_interface(self) -> None:
        """
        The method provides L{IAuthMethod}: C{auth_socket}, no client
        plugin, no password used (refusals are 1698), no secure transport
        required.
        """
        method = AuthSocketMethod()
        verifyObject(IAuthMethod, method)
        self.assertEqual(method.pluginName, "auth_socket")
        self.assertIsNone(method.clientPluginName)
        self.assertFalse(method.passwordUsed)
        self.assertFalse(method.requiresSecureTransport)

    def test_names(self) -> None:
        """
        MariaDB's C{unix_socket} and MySQL's library name C{auth_socket.so}
        are names of the same loaded method.
        """
        registry = MethodRegistry(discoverMethods())
        method = registry.get("auth_socket")
        self.assertIsInstance(method, AuthSocketMethod)
        for name in ("unix_socket", "auth_socket.so", "UNIX_SOCKET"):
            self.assertIs(registry.get(name), method, name)
            self.assertEqual(registry.canonicalName(name), "auth_socket", name)

    def test_exchangeReadsNothing(self) -> None:
        """
        The exchange has no initial data, and whatever the client answered
        becomes the same credentials: the user name, the account and the
        peer credentials read at connect; the data is ignored.
        """
        peer = peerOf(VALERIE_UID)
        attempt = self.attempt(peer)
        exchange = theAuthSocketMethod.newExchange(attempt)
        self.assertEqual(exchange.initialData(), b"")
        for data in (b"", b"password\x00", b"\x01" * 20, b"\xff" * 300):
            step = exchange.responseReceived(data)
            self.assertIsInstance(step, TryLogin)
            credentials = step.credentials
            self.assertTrue(ISocketPeerCredentials.providedBy(credentials))
            self.assertEqual(credentials.username, b"valerie")
            self.assertIs(credentials.account, attempt.account)
            self.assertIs(credentials.peer, peer)
            self.assertIsNone(credentials.externalUser)
        self.assertIsNone(exchange.loginSucceeded())

    def test_exchangeWithoutPeer(self) -> None:
        """
        Without peer credentials (TCP) the exchange still hands credentials
        to the portal, with no peer: the checker refuses them.
        """
        step = theAuthSocketMethod.newExchange(self.attempt(None)).responseReceived(b"")
        self.assertIsNone(step.credentials.peer)

    def test_checkAuthString(self) -> None:
        """
        The authentication string is an OS user name: UTF-8 text of at most
        255 characters without NUL; anything else is error 1231.
        """
        method = theAuthSocketMethod
        self.assertEqual(method.checkAuthString(b"stephanie"), b"stephanie")
        self.assertEqual(method.checkAuthString(b""), b"")
        self.assertEqual(method.checkAuthString(b"x" * 255), b"x" * 255)
        for bad in (b"a\x00b", b"\xff\xfe", b"x" * 256):
            error = self.assertRaises(errors.MySQLError, method.checkAuthString, bad)
            self.assertEqual(error.errorCode, 1231, bad)


class AuthSocketCheckerTests(SynchronousTestCase):
    """
    L{AuthSocketChecker} with a fake password database and inline lookups.
    """

    def setUp(self) -> None:
        self.checker = AuthSocketChecker(pwd=fakeUsers(), runInThread=inlineLookups)

    def check(self, requested: str, account: Account, peer: Optional[PeerCredentials]):
        """
        @return: (the Deferred of the check, the credentials checked).
        """
        credentials = SocketPeerCredentials(requested.encode("utf-8"), account, peer)
        return defer.maybeDeferred(self.checker.requestAvatarId, credentials), credentials

    def test_interfaces(self) -> None:
        """
        The checker is an L{ICredentialsChecker} for
        L{ISocketPeerCredentials}, which L{SocketPeerCredentials} provides.
        """
        verifyObject(ICredentialsChecker, self.checker)
        self.assertEqual(tuple(self.checker.credentialInterfaces), (ISocketPeerCredentials,))
        verifyObject(
            ISocketPeerCredentials, SocketPeerCredentials(b"u", socketAccount(), peerOf(1))
        )

    def test_osUserIsRequestedUser(self) -> None:
        """
        The OS user valerie asking for the MySQL user valerie is in: the
        avatar id is the MySQL user name and the OS user is recorded as the
        external user.
        """
        d, credentials = self.check("valerie", socketAccount(), peerOf(VALERIE_UID))
        self.assertEqual(self.successResultOf(d), b"valerie")
        self.assertEqual(credentials.externalUser, "valerie")

    def test_osUserIsAuthString(self) -> None:
        """
        The OS user stephanie asking for valerie is in when the account says
        C{AS 'stephanie'}; the avatar id is still valerie and the external
        user is stephanie.
        """
        account = socketAccount(authString=b"stephanie")
        d, credentials = self.check("valerie", account, peerOf(STEPHANIE_UID))
        self.assertEqual(self.successResultOf(d), b"valerie")
        self.assertEqual(credentials.externalUser, "stephanie")
        # valerie herself is still in with that account.
        d, credentials = self.check("valerie", account, peerOf(VALERIE_UID))
        self.assertEqual(self.successResultOf(d), b"valerie")
        self.assertEqual(credentials.externalUser, "valerie")

    def test_neither(self) -> None:
        """
        An OS user that is neither the requested user nor the account's
        authentication string is refused, and no external user is recorded.
        """
        for account in (socketAccount(), socketAccount(authString=b"someone")):
            d, credentials = self.check("valerie", account, peerOf(STEPHANIE_UID))
            self.failureResultOf(d, UnauthorizedLogin)
            self.assertIsNone(credentials.externalUser)

    def test_exactComparison(self) -> None:
        """
        The names are compared exactly: case matters, and a name is not a
        prefix match or a list.
        """
        cases = [
            ("Valerie", socketAccount("Valerie"), VALERIE_UID),
            ("valerie", socketAccount(authString=b"STEPHANIE"), STEPHANIE_UID),
            ("valerie", socketAccount(authString=b"stephanie,valerie2"), STEPHANIE_UID),
            ("val", socketAccount("val"), VALERIE_UID),
        ]
        for requested, account, uid in cases:
            d, credentials = self.check(requested, account, peerOf(uid))
            self.failureResultOf(d, UnauthorizedLogin)

    def test_noPeerCredentials(self) -> None:
        """
        No peer credentials (TCP, or a platform without them) is refused,
        whoever is asked for.
        """
        for account in (socketAccount(), socketAccount(authString=b"stephanie")):
            d, credentials = self.check("valerie", account, None)
            self.failureResultOf(d, UnauthorizedLogin)
            self.assertIsNone(credentials.externalUser)

    def test_unknownUid(self) -> None:
        """
        A peer whose uid has no OS user is refused.
        """
        d, credentials = self.check("valerie", socketAccount(), peerOf(UNKNOWN_UID))
        self.failureResultOf(d, UnauthorizedLogin)

    def test_lookupRunsThroughRunInThread(self) -> None:
        """
        The uid is looked up with C{runInThread} (a thread by default: the
        name service may ask the network).
        """
        calls: List[Any] = []

        def runInThread(function, *args):
            calls.append(function)
            return defer.maybeDeferred(function, *args)

        checker = AuthSocketChecker(pwd=fakeUsers(), runInThread=runInThread)
        credentials = SocketPeerCredentials(b"valerie", socketAccount(), peerOf(VALERIE_UID))
        self.assertEqual(self.successResultOf(checker.requestAvatarId(credentials)), b"valerie")
        self.assertEqual(len(calls), 1)


class SocketServerMixin:
    """
    A server over an in-memory store, its accounts made with the executor,
    whose peer credentials come from C{self.peer} and whose auth_socket
    checker uses a fake password database with lookups run inline.
    """

    def setUp(self) -> None:
        self.clock = Clock()
        self.accounts = AccountManager(InMemoryAccountStore())
        self.successResultOf(self.accounts.start())
        self.factory = MySQLServerFactory.forAccounts(self.accounts, self.clock)
        self.executor = Executor(self.factory.config)
        self.factory.portal.registerChecker(
            AuthSocketChecker(pwd=fakeUsers(), runInThread=inlineLookups)
        )
        self.peer: Optional[PeerCredentials] = None
        self.credentialReads: List[Any] = []
        self.factory.config.peerCredentialsFor = self.peerCredentialsFor

    def peerCredentialsFor(self, transport: Any) -> Optional[PeerCredentials]:
        self.credentialReads.append(transport)
        return self.peer

    def sql(self, text: str) -> Any:
        """
        Run a statement with every privilege (as the init file does).
        """
        return self.successResultOf(
            defer.ensureDeferred(self.executor.run(text, BootstrapSession()))
        )

    def sqlFails(self, text: str) -> errors.MySQLError:
        return self.failureResultOf(
            defer.ensureDeferred(self.executor.run(text, BootstrapSession())), errors.MySQLError
        ).value

    def login(self, user: bytes, uid: Optional[int], address: Any = SOCKET, **kw: Any):
        """
        Log in as C{user} from a process of C{uid} (L{None}: no peer
        credentials) over C{address}.

        @return: (client, server, the loggedIn result or failure)
        """
        self.peer = None if uid is None else peerOf(uid)
        client = MySQLTestClient(user, **kw)
        client, server, pump = connectedServerAndClient(
            self.factory, client, peerAddress=address, clock=self.clock
        )
        pump.flush()
        self.pump = pump
        results: List[Any] = []
        client.loggedIn.addBoth(results.append)
        self.assertEqual(len(results), 1, "login did not finish")
        return client, server, results[0]

    def query(self, client: MySQLTestClient, sql: str) -> Any:
        d = client.query(sql)
        self.pump.flush()
        return self.successResultOf(d)

    def assertLoggedIn(self, result: Any) -> Any:
        if not hasattr(result, "greeting"):
            self.fail(f"login failed: {result}")
        return result

    def assertDenied(self, result: Any, user: str = "valerie") -> None:
        """
        Assert a refusal with MySQL's 1698, SQLSTATE 28000, and its exact
        text (no "using password" part).
        """
        self.assertIsInstance(getattr(result, "value", None), ServerError, result)
        error = result.value
        self.assertEqual(
            (error.errorCode, error.sqlState, error.message),
            (1698, "28000", f"Access denied for user '{user}'@'localhost'"),
        )

    def identity(self, client: MySQLTestClient) -> List[Optional[bytes]]:
        names, rows = self.query(client, "SELECT USER(), CURRENT_USER(), @@external_user")
        self.assertEqual(len(rows), 1)
        return rows[0]


class AuthSocketLoginTests(SocketServerMixin, SynchronousTestCase):
    """
    Whole logins of C{auth_socket} accounts on iosim.
    """

    def setUp(self) -> None:
        super().setUp()
        self.sql(CREATE_VALERIE)

    def test_rightUser(self) -> None:
        """
        The OS user valerie logs in as valerie over the socket: OK right
        after the handshake response (no AuthSwitchRequest, no
        AuthMoreData); USER(), CURRENT_USER() and @@external_user are
        valerie@localhost, valerie@localhost and valerie; the avatar's
        external user is the OS name.
        """
        client, server, result = self.login(b"valerie", VALERIE_UID)
        trace = self.assertLoggedIn(result)
        self.assertEqual(trace.switchedTo, [])
        self.assertEqual(trace.moreData, [])
        self.assertEqual(
            self.identity(client), [b"valerie@localhost", b"valerie@localhost", b"valerie"]
        )
        self.assertEqual(server.avatar.externalUser, "valerie")
        self.assertEqual(server.avatar.account.plugin, "auth_socket")

    def test_authDataIgnored(self) -> None:
        """
        Whatever the client sent as auth data with whatever client plugin is
        ignored: a password scrambled for caching_sha2_password or
        mysql_native_password, or an unknown plugin's bytes, all log in
        without a switch.
        """
        for plugin, password in (
            ("caching_sha2_password", b"whatever"),
            ("mysql_native_password", b"secret"),
            ("mysql_clear_password", b"cleartext"),
            ("dialog", b""),
        ):
            client, server, result = self.login(
                b"valerie", VALERIE_UID, password=password, plugin=plugin
            )
            trace = self.assertLoggedIn(result)
            self.assertEqual(trace.switchedTo, [], plugin)
            self.assertEqual(server.avatar.externalUser, "valerie")

    def test_wrongOSUser(self) -> None:
        """
        The OS user stephanie asking for valerie is refused: ERR 1698
        SQLSTATE 28000 "Access denied for user 'valerie'@'localhost'", right
        after the handshake response (no switch), and the server closes.
        """
        client, server, result = self.login(b"valerie", STEPHANIE_UID)
        self.assertDenied(result)
        self.assertEqual(client.trace.switchedTo, [])
        self.assertIsNone(server.avatar)
        self.assertTrue(server.transport.disconnecting)

    def test_wrongOSUserWithPassword(self) -> None:
        """
        A refusal is 1698 without "(using password: ...)" even when the
        client sent a password.
        """
        client, server, result = self.login(b"valerie", STEPHANIE_UID, password=b"pw")
        self.assertDenied(result)

    def test_unknownUid(self) -> None:
        """
        A peer whose uid has no OS user is refused with 1698.
        """
        client, server, result = self.login(b"valerie", UNKNOWN_UID)
        self.assertDenied(result)

    def test_tcpRefused(self) -> None:
        """
        Over TCP (on the loopback: a C{localhost} client, the account's
        host) there are no peer credentials: 1698, even for a client that
        is valerie.
        """
        client, server, result = self.login(b"valerie", None, address=LOOPBACK)
        self.assertDenied(result)
        self.assertEqual(client.trace.switchedTo, [])

    def test_tcpWithRealReader(self) -> None:
        """
        With the server's default reader (L{peerCredentialsOf}), an iosim TCP
        transport yields no credentials and the login is refused with 1698.
        """
        from twisted_mysqlauth.peercred import peerCredentialsOf

        self.factory.config.peerCredentialsFor = peerCredentialsOf
        client = MySQLTestClient(b"valerie")
        client, server, pump = connectedServerAndClient(
            self.factory, client, peerAddress=LOOPBACK, clock=self.clock
        )
        pump.flush()
        results: List[Any] = []
        client.loggedIn.addBoth(results.append)
        self.assertIsNone(server.attempt.peerCredentials)
        self.assertDenied(results[0])

    def test_credentialsReadOnceAtConnect(self) -> None:
        """
        The peer credentials are read once, when the connection is made,
        from the transport the connection was made with.
        """
        client, server, result = self.login(b"valerie", VALERIE_UID)
        self.assertLoggedIn(result)
        self.assertEqual(len(self.credentialReads), 1)
        self.assertIs(self.credentialReads[0], server.transport)
        self.assertEqual(server.attempt.peerCredentials, peerOf(VALERIE_UID))

    def test_tlsOverSocket(self) -> None:
        """
        A socket client that upgrades to TLS is still checked by the
        credentials read before TLS: valerie is in, stephanie refused.
        """
        self.factory.config.tlsOptions = FakeTLSOptions()
        client, server, result = self.login(b"valerie", VALERIE_UID, tlsOptions=FakeTLSOptions())
        self.assertLoggedIn(result)
        self.assertTrue(server.attempt.tls)
        self.assertEqual(len(self.credentialReads), 1)
        self.assertEqual(server.avatar.externalUser, "valerie")
        client, server, result = self.login(
            b"valerie", STEPHANIE_UID, tlsOptions=FakeTLSOptions()
        )
        self.assertDenied(result)

    def test_oldClient(self) -> None:
        """
        A client without CLIENT_PLUGIN_AUTH asking for an auth_socket account
        is refused with 1251 (SQLSTATE 08004), as MySQL's
        C{find_mpvio_user} does for any account not on
        mysql_native_password.
        """
        client, server, result = self.login(
            b"valerie",
            VALERIE_UID,
            capabilities=CLIENT_CAPABILITIES & ~C.CLIENT_PLUGIN_AUTH,
            plugin="mysql_native_password",
        )
        self.assertIsInstance(getattr(result, "value", None), ServerError, result)
        self.assertEqual((result.value.errorCode, result.value.sqlState), (1251, "08004"))

    def test_alterUserAddsStephanie(self) -> None:
        """
        The manual's sequence: stephanie as valerie is refused; after
        C{ALTER USER ... AS 'stephanie'} she is in, with @@external_user
        stephanie, and valerie still gets in as herself.
        """
        client, server, result = self.login(b"valerie", STEPHANIE_UID)
        self.assertDenied(result)
        self.sql(ALTER_STEPHANIE)
        client, server, result = self.login(b"valerie", STEPHANIE_UID)
        self.assertLoggedIn(result)
        self.assertEqual(
            self.identity(client), [b"valerie@localhost", b"valerie@localhost", b"stephanie"]
        )
        client, server, result = self.login(b"valerie", VALERIE_UID)
        self.assertLoggedIn(result)
        self.assertEqual(self.identity(client)[2], b"valerie")

    def test_rootBySocket(self) -> None:
        """
        The first-start account (C{root AS '<server OS user>'}) lets that OS
        user in as root over the socket, and nobody else.
        """
        self.sql("CREATE USER 'root'@'localhost' IDENTIFIED WITH auth_socket AS 'stephanie'")
        client, server, result = self.login(b"root", STEPHANIE_UID)
        self.assertLoggedIn(result)
        self.assertEqual(
            self.identity(client), [b"root@localhost", b"root@localhost", b"stephanie"]
        )
        client, server, result = self.login(b"root", VALERIE_UID)
        self.assertDenied(result, "root")

    def test_passwordAccountUnaffected(self) -> None:
        """
        Peer credentials do not log anybody into a password account: the
        OS user valerie asking for a caching_sha2_password account named
        valerie without its password is refused with 1045.
        """
        self.sql("CREATE USER 'valerie'@'%' IDENTIFIED BY 'pw'")
        self.sql("DROP USER 'valerie'@'localhost'")
        client, server, result = self.login(b"valerie", VALERIE_UID)
        self.assertIsInstance(getattr(result, "value", None), ServerError, result)
        self.assertEqual(result.value.errorCode, 1045)
        self.assertIsNone(server.avatar)


class AuthSocketWireTests(SocketServerMixin, SynchronousTestCase):
    """
    The bytes of an auth_socket login, on a L{StringTransport}.
    """

    def setUp(self) -> None:
        super().setUp()
        self.sql(CREATE_VALERIE)

    def loginBytes(self, uid: Optional[int], authResponse: bytes, plugin: bytes) -> List[Any]:
        """
        Connect, read the greeting, send one handshake response, and return
        every packet the server wrote after it.
        """
        self.peer = None if uid is None else peerOf(uid)
        transport = StringTransport(peerAddress=SOCKET)
        server = self.factory.buildProtocol(SOCKET)
        server.makeConnection(transport)
        greeting = HandshakeV10.fromWire(PacketDecoder(1 << 20).feed(transport.value())[0].payload)
        self.assertEqual(greeting.authPluginName, b"caching_sha2_password")
        transport.clear()
        response = HandshakeResponse41(
            capabilities=CLIENT_CAPABILITIES,
            maxPacketSize=1 << 24,
            characterSet=45,
            username=b"valerie",
            authResponse=authResponse,
            clientPluginName=plugin,
        )
        server.dataReceived(encodePacket(1, response.toWire())[0])
        self.transport = transport
        return PacketDecoder(1 << 20).feed(transport.value())

    def test_okRightAfterResponse(self) -> None:
        """
        No AuthSwitchRequest, whatever auth data was sent: the answer is OK
        at sequence id 2, except that a client which sent a caching_sha2
        scramble first gets fast-auth success (01 03) and then the OK, the
        answer every caching_sha2 client accepts (MariaDB Connector/C
        does not take a bare OK there and would send its password next).
        """
        for data, plugin, expected in (
            (b"", b"caching_sha2_password", [(2, b"\x00")]),
            (b"\x17" * 32, b"caching_sha2_password", [(2, b"\x01\x03"), (3, b"\x00")]),
            (b"\x01" * 20, b"mysql_native_password", [(2, b"\x00")]),
        ):
            packets = self.loginBytes(VALERIE_UID, data, plugin)
            self.assertEqual(
                [(p.sequenceId, p.payload[: len(e[1])]) for p, e in zip(packets, expected)], expected
            )
            self.assertEqual(len(packets), len(expected))

    def test_errRightAfterResponse(self) -> None:
        """
        A refusal is the only packet after the handshake response: ERR
        1698, sequence id 2; then the server closes.
        """
        packets = self.loginBytes(STEPHANIE_UID, b"x" * 32, b"caching_sha2_password")
        self.assertEqual(len(packets), 1)
        self.assertEqual(packets[0].sequenceId, 2)
        error = ERRPacket.fromWire(packets[0].payload)
        self.assertEqual(
            (error.errorCode, error.sqlState, error.message), (1698, "28000", DENIED_VALERIE)
        )
        self.assertTrue(self.transport.disconnecting)


class MariaDBNameTests(SocketServerMixin, SynchronousTestCase):
    """
    MariaDB's C{unix_socket}, in account SQL and at login.
    """

    def test_identifiedVia(self) -> None:
        """
        C{IDENTIFIED VIA unix_socket} creates an auth_socket account, which
        the OS user of that name logs in to.
        """
        self.sql("CREATE USER 'valerie'@'localhost' IDENTIFIED VIA unix_socket")
        account = self.accounts.directory.get(AccountName("valerie", "localhost"))
        self.assertEqual((account.plugin, account.authString), ("auth_socket", b""))
        client, server, result = self.login(b"valerie", VALERIE_UID)
        self.assertLoggedIn(result)
        self.assertEqual(self.identity(client)[2], b"valerie")
        client, server, result = self.login(b"valerie", STEPHANIE_UID)
        self.assertDenied(result)

    def test_identifiedWith(self) -> None:
        """
        C{IDENTIFIED WITH unix_socket} (and quoted, C{'unix_socket'}) does
        the same.
        """
        self.sql("CREATE USER x IDENTIFIED WITH unix_socket")
        self.sql("CREATE USER y IDENTIFIED WITH 'unix_socket'")
        for user in ("x", "y"):
            account = self.accounts.directory.get(AccountName(user, "%"))
            self.assertEqual(account.plugin, "auth_socket", user)

    def test_alterToUnixSocket(self) -> None:
        """
        C{ALTER USER ... IDENTIFIED VIA unix_socket} moves a password account
        to auth_socket and clears its password hash.
        """
        self.sql("CREATE USER 'valerie'@'localhost' IDENTIFIED BY 'pw'")
        self.sql("ALTER USER 'valerie'@'localhost' IDENTIFIED VIA unix_socket")
        account = self.accounts.directory.get(AccountName("valerie", "localhost"))
        self.assertEqual((account.plugin, account.authString), ("auth_socket", b""))
        client, server, result = self.login(b"valerie", VALERIE_UID)
        self.assertLoggedIn(result)


class ManualStatementsTests(SocketServerMixin, SynchronousTestCase):
    """
    The statements of the MySQL manual's socket-authentication section,
    verbatim, through the executor.
    """

    def account(self) -> Account:
        return self.accounts.directory.get(AccountName("valerie", "localhost"))

    def test_create(self) -> None:
        """
        C{CREATE USER 'valerie'@'localhost' IDENTIFIED WITH auth_socket;}
        stores an auth_socket account with an empty authentication string.
        """
        self.assertIsNone(self.sql(CREATE_VALERIE))
        account = self.account()
        self.assertEqual((account.plugin, account.authString), ("auth_socket", b""))
        self.assertFalse(account.locked)

    def test_alter(self) -> None:
        """
        C{ALTER USER ... IDENTIFIED WITH auth_socket AS 'stephanie';} stores
        C{stephanie} as the authentication string.
        """
        self.sql(CREATE_VALERIE)
        self.assertIsNone(self.sql(ALTER_STEPHANIE))
        account = self.account()
        self.assertEqual((account.plugin, account.authString), ("auth_socket", b"stephanie"))

    def test_createWithAs(self) -> None:
        """
        C{CREATE USER ... IDENTIFIED WITH auth_socket AS 'stephanie';}
        stores the same account at once.
        """
        self.sql(CREATE_WITH_STEPHANIE)
        account = self.account()
        self.assertEqual((account.plugin, account.authString), ("auth_socket", b"stephanie"))

    def test_createTwice(self) -> None:
        """
        Both of the manual's ways leave the same account.
        """
        self.sql(CREATE_WITH_STEPHANIE)
        first = self.account()
        self.sql("DROP USER 'valerie'@'localhost'")
        self.sql(CREATE_VALERIE)
        self.sql(ALTER_STEPHANIE)
        self.assertEqual(self.account(), first)

    def test_badAuthString(self) -> None:
        """
        An authentication string that cannot be an OS user name (a NUL) is
        refused with 1231 and changes nothing.
        """
        self.sql(CREATE_VALERIE)
        error = self.sqlFails(
            "ALTER USER 'valerie'@'localhost' IDENTIFIED WITH auth_socket AS 0x610062"
        )
        self.assertEqual(error.errorCode, 1231)
        self.assertEqual(self.account().authString, b"")

    def test_setPassword(self) -> None:
        """
        C{SET PASSWORD} for an auth_socket account fails with MySQL 8.0's
        1699 (HY000) and changes nothing.
        """
        self.sql(CREATE_WITH_STEPHANIE)
        for statement in (
            "SET PASSWORD FOR 'valerie'@'localhost' = 'x'",
            "SET PASSWORD FOR 'valerie'@'localhost' = ''",
        ):
            error = self.sqlFails(statement)
            self.assertEqual((error.errorCode, error.sqlState), (1699, "HY000"), statement)
            self.assertEqual(
                error.message,
                "SET PASSWORD has no significance for user 'valerie'@'localhost' as the "
                "authentication method used doesn't store authentication data in the MySQL "
                "server. Please consider using ALTER USER instead if you want to change "
                "authentication parameters.",
            )
        self.assertEqual(self.account().authString, b"stephanie")

    def test_alterToPassword(self) -> None:
        """
        C{ALTER USER ... IDENTIFIED WITH caching_sha2_password BY ...} gives
        an auth_socket account a password (the how-to's advice instead of
        SET PASSWORD).
        """
        self.sql(CREATE_WITH_STEPHANIE)
        self.sql(
            "ALTER USER 'valerie'@'localhost' IDENTIFIED WITH caching_sha2_password "
            "BY 'a-password';"
        )
        account = self.account()
        self.assertEqual(account.plugin, "caching_sha2_password")
        self.assertNotEqual(account.authString, b"stephanie")
        client, server, result = self.login(b"valerie", None, password=b"a-password", secure=True)
        self.assertLoggedIn(result)

    def test_showCreateUser(self) -> None:
        """
        C{SHOW CREATE USER} prints MySQL's text for auth_socket accounts,
        with and without C{AS}.
        """
        self.sql(CREATE_VALERIE)
        names, rows = self.sql("SHOW CREATE USER 'valerie'@'localhost'")
        self.assertEqual(names, ["CREATE USER for valerie@localhost"])
        self.assertEqual(
            rows,
            [
                [
                    b"CREATE USER `valerie`@`localhost` IDENTIFIED WITH 'auth_socket'"
                    + SHOW_CREATE_TAIL.encode("ascii")
                ]
            ],
        )
        self.sql(ALTER_STEPHANIE)
        names, rows = self.sql("SHOW CREATE USER 'valerie'@'localhost'")
        self.assertEqual(
            rows[0][0],
            b"CREATE USER `valerie`@`localhost` IDENTIFIED WITH 'auth_socket' AS 'stephanie'"
            + SHOW_CREATE_TAIL.encode("ascii"),
        )

    def test_showCreateUserRoundTrip(self) -> None:
        """
        The text of C{SHOW CREATE USER}, run after C{DROP USER}, recreates
        the same account (and the same login behaviour).
        """
        for create in (CREATE_VALERIE, CREATE_WITH_STEPHANIE):
            self.sql(create)
            before = self.account()
            names, rows = self.sql("SHOW CREATE USER 'valerie'@'localhost'")
            self.sql("DROP USER 'valerie'@'localhost'")
            self.sql(rows[0][0].decode("utf-8"))
            self.assertEqual(self.account(), before, create)
            self.sql("DROP USER 'valerie'@'localhost'")
        self.sql(CREATE_WITH_STEPHANIE)
        names, rows = self.sql("SHOW CREATE USER 'valerie'@'localhost'")
        self.sql("DROP USER 'valerie'@'localhost'")
        self.sql(rows[0][0].decode("utf-8"))
        client, server, result = self.login(b"valerie", STEPHANIE_UID)
        self.assertLoggedIn(result)
