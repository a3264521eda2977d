# -*- test-case-name: tests.test_integration -*-
# Copyright (c) twisted_mysqlauth developers.
# See LICENSE for details.
"""
Integration tests with real MySQL clients over real sockets.

Each test starts a server on the real reactor: an SQLite account store in
a temporary directory, an RSA key pair and a TLS certificate, a TCP port on
127.0.0.1 (port 0) and a UNIX socket. The clients are the C{mariadb}
command-line client, PyMySQL, and mysql-connector-python pure and with its C
extension; the Python clients run in subprocesses (L{tests.realclients}),
never on the reactor thread. Raw-socket tests run a small blocking client
in a thread.

Every login checks C{SELECT CURRENT_USER()}; what the server did (which
credentials it checked, over which transport, with what outcome) is
recorded by wrapping the factory's portal, so that a test can tell the
caching_sha2_password fast path from full authentication, and TLS from RSA.
"""

from __future__ import annotations

import os
import shutil
import struct
import tempfile
import time
from typing import Any, Dict, List, Optional

import attr

from twisted.internet import defer, reactor
from twisted.internet.threads import deferToThread
from twisted.trial.unittest import SkipTest, TestCase

from tests import realclients
from twisted_mysqlauth.accounts.directory import AccountManager
from twisted_mysqlauth.accounts.model import (
    ALL_PRIVILEGES,
    Account,
    AccountName,
    PutAccount,
)
from twisted_mysqlauth.accounts.sqlite import SQLiteAccountStore
from twisted_mysqlauth.auth.hashing import (
    cachingSHA2Hash,
    nativeHash,
    sha256PasswordHash,
)
from twisted_mysqlauth.keys import (
    loadOrCreateRSAKeyPair,
    loadOrCreateTLSCertificate,
    serverTLSOptions,
)
from twisted_mysqlauth.protocol import MySQLServerProtocol
from twisted_mysqlauth.server import (
    SERVER_VERSION,
    MySQLServerFactory,
    PromptTCPPort,
    PromptUNIXPort,
)

# -- accounts ------------------------------------------------------------------


@attr.s(frozen=True, auto_attribs=True)
class User:
    """
    An account of the test server and its password.
    """

    name: str
    plugin: str
    password: str
    locked: bool = False
    admin: bool = False

    @property
    def accountName(self) -> AccountName:
        return AccountName(self.name, "%")

    @property
    def currentUser(self) -> str:
        """
        What C{CURRENT_USER()} answers for this account.
        """
        return f"{self.name}@%"

    def account(self) -> Account:
        hashers = {
            "mysql_native_password": nativeHash,
            "caching_sha2_password": cachingSHA2Hash,
            "sha256_password": sha256PasswordHash,
        }
        return Account(
            self.accountName,
            self.plugin,
            hashers[self.plugin](self.password.encode("utf-8")),
            locked=self.locked,
            privileges=ALL_PRIVILEGES if self.admin else frozenset(),
            grantOption=self.admin,
        )


NATIVE = User("nat", "mysql_native_password", "nat-Secret.1")
SHA2 = User("sha2", "caching_sha2_password", "sha2-Secret.2")
SHA256 = User("s256", "sha256_password", "s256-Secret.3")
LOCKED = User("locked", "caching_sha2_password", "locked-Secret.4", locked=True)
ROOT = User("root", "caching_sha2_password", "root-Secret.5", admin=True)

ALL_USERS = (NATIVE, SHA2, SHA256, LOCKED, ROOT)

#: A password none of the accounts has.
WRONG_PASSWORD = "not-the-password"


def denied(user: str) -> str:
    """
    The text of error 1045 for a client on the loopback or the socket.
    """
    return f"Access denied for user '{user}'@'localhost' (using password: YES)"


# -- key material ----------------------------------------------------------------

#: File name -> bytes of the key material made by the first test, so that
#: the later ones load it instead of generating two 2048-bit RSA keys each.
_keyFiles: Dict[str, bytes] = {}

RSA_PRIVATE = "private_key.pem"
RSA_PUBLIC = "public_key.pem"
TLS_CERT = "server-cert.pem"
TLS_KEY = "server-key.pem"


def makeKeyMaterial(directory: str):
    """
    Create (or, after the first call, copy) an RSA key pair and a
    self-signed TLS certificate in C{directory} and load them.

    @return: C{(rsaKeyPair, tlsOptions, certificatePath)}.
    """
    for name, data in _keyFiles.items():
        fd = os.open(
            os.path.join(directory, name), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600
        )
        with os.fdopen(fd, "wb") as f:
            f.write(data)
    path = lambda name: os.path.join(directory, name)  # noqa: E731
    rsaKeyPair = loadOrCreateRSAKeyPair(path(RSA_PRIVATE), path(RSA_PUBLIC))
    certificate = loadOrCreateTLSCertificate(path(TLS_CERT), path(TLS_KEY))
    if not _keyFiles:
        for name in (RSA_PRIVATE, RSA_PUBLIC, TLS_CERT, TLS_KEY):
            with open(path(name), "rb") as f:
                _keyFiles[name] = f.read()
    return rsaKeyPair, serverTLSOptions(certificate), path(TLS_CERT)


# -- server instrumentation ------------------------------------------------------


@attr.s(auto_attribs=True)
class LoginRecord:
    """
    One credentials check the server made.

    @ivar connectionId: the connection's id.
    @ivar user: the user name the client sent.
    @ivar credentials: the class name of the credentials checked
        (C{NativePasswordResponse}, C{CachingSHA2Scramble} for the fast
        path, C{AccountPassword} for a cleartext or RSA-decrypted password).
    @ivar clientPlugin: the plugin of the client's handshake response.
    @ivar tls: whether the connection was TLS.
    @ivar secure: whether it was TLS or a UNIX socket.
    @ivar unixSocket: whether it came over the UNIX socket.
    @ivar outcome: C{"ok"}, the failure's class name, or L{None} while
        pending.
    """

    connectionId: int
    user: Optional[str]
    credentials: str
    clientPlugin: Optional[str]
    tls: bool
    secure: bool
    unixSocket: bool
    outcome: Optional[str] = None

    @property
    def step(self):
        return (self.credentials, self.outcome)


class RecordingPortal:
    """
    Wrap the factory's portal and record every credentials check.
    """

    def __init__(self, portal: Any) -> None:
        self.portal = portal
        self.records: List[LoginRecord] = []

    def login(self, credentials, mind, *interfaces):
        record = LoginRecord(
            connectionId=mind.connectionId,
            user=mind.username,
            credentials=type(credentials).__name__,
            clientPlugin=mind.clientPluginName,
            tls=mind.tls,
            secure=mind.secure,
            unixSocket=mind.client.isUNIXSocket,
        )
        self.records.append(record)

        def succeeded(result):
            record.outcome = "ok"
            return result

        def failed(reason):
            record.outcome = reason.type.__name__
            return reason

        return self.portal.login(credentials, mind, *interfaces).addCallbacks(
            succeeded, failed
        )

    def connectionsOf(self, user: str) -> List[List[LoginRecord]]:
        """
        @return: the records of C{user}'s connections, one list per
            connection, in connection order.
        """
        byConnection: Dict[int, List[LoginRecord]] = {}
        for record in self.records:
            if record.user == user:
                byConnection.setdefault(record.connectionId, []).append(record)
        return [byConnection[key] for key in sorted(byConnection)]


class TrackedServerProtocol(MySQLServerProtocol):
    """
    The server protocol, with what the tests need to know about each
    connection: the size of its first read (to see an SSLRequest and a
    ClientHello arrive together) and when it closed.
    """

    firstRead: Optional[int] = None
    closed = False

    def connectionMade(self) -> None:
        self._closeWaiters: List[defer.Deferred] = []
        self.factory.connections.append(self)
        super().connectionMade()

    def dataReceived(self, data: bytes) -> None:
        if self.firstRead is None:
            self.firstRead = len(data)
        super().dataReceived(data)

    def connectionLost(self, reason=None) -> None:
        try:
            super().connectionLost(reason)
        finally:
            self.closed = True
            waiters, self._closeWaiters = self._closeWaiters, []
            for waiter in waiters:
                waiter.callback(None)

    def whenClosed(self) -> defer.Deferred:
        if self.closed:
            return defer.succeed(None)
        d: defer.Deferred = defer.Deferred()
        self._closeWaiters.append(d)
        return d


#: The length of a framed SSLRequest (header and 32-byte payload).
SSL_REQUEST_PACKET_LENGTH = 36


class ServerTestCase(TestCase):
    """
    Start a server for each test: accounts in SQLite, RSA keys and a TLS
    certificate, a TCP port on 127.0.0.1 and a UNIX socket.

    @ivar factory: the L{MySQLServerFactory}.
    @ivar portal: its L{RecordingPortal}.
    @ivar accounts: the L{AccountManager}.
    @ivar caPath: the server's certificate (a client's CA file).
    @ivar port: the TCP port number.
    @ivar socketPath: the UNIX socket.
    """

    #: The factory's login timeout.
    connectTimeout = 10.0

    #: The accounts of the server.
    users = ALL_USERS

    #: More L{Account}s.
    extraAccounts: tuple = ()

    #: More keyword arguments of the server's configuration.
    serverOptions: Dict[str, Any] = {}

    #: Listen with the ports of L{twisted_mysqlauth.server.serverEndpoint}
    #: rather than the reactor's stock ones.
    promptPorts = False

    @defer.inlineCallbacks
    def setUp(self):
        directory = os.path.abspath(self.mktemp())
        os.makedirs(directory)
        rsaKeyPair, tlsOptions, self.caPath = makeKeyMaterial(directory)

        store = SQLiteAccountStore(os.path.join(directory, "accounts.sqlite"), reactor)
        self.addCleanup(store.close)
        self.accounts = AccountManager(store)
        yield self.accounts.start()
        yield self.accounts.apply(
            [PutAccount(user.account()) for user in self.users]
            + [PutAccount(account) for account in self.extraAccounts]
        )

        self.factory = MySQLServerFactory.forAccounts(
            self.accounts,
            reactor,
            tlsOptions=tlsOptions,
            rsaKeyPair=rsaKeyPair,
            connectTimeout=self.connectTimeout,
            **self.serverOptions,
        )
        self.factory.protocol = TrackedServerProtocol
        self.factory.connections = []
        self.portal = RecordingPortal(self.factory.portal)
        self.factory.portal = self.portal

        if self.promptPorts:
            tcpPort = PromptTCPPort(0, self.factory, interface="127.0.0.1", reactor=reactor)
            tcpPort.startListening()
        else:
            tcpPort = reactor.listenTCP(0, self.factory, interface="127.0.0.1")
        self.addCleanup(tcpPort.stopListening)
        self.port = tcpPort.getHost().port
        # A short directory: a UNIX socket path must fit in 108 bytes,
        # which the trial temporary directory may not.
        socketDirectory = tempfile.mkdtemp(prefix="tma-")
        self.addCleanup(shutil.rmtree, socketDirectory, True)
        self.socketPath = os.path.join(socketDirectory, "mysqld.sock")
        if self.promptPorts:
            unixPort = PromptUNIXPort(self.socketPath, self.factory, reactor=reactor)
            unixPort.startListening()
        else:
            unixPort = reactor.listenUNIX(self.socketPath, self.factory)
        self.addCleanup(unixPort.stopListening)
        self.addCleanup(self._closeConnections)

    def _closeConnections(self) -> defer.Deferred:
        """
        Wait for the server side of every connection to close (a client
        process has exited by now, but the reactor may not have seen its
        connection end yet); abort those still open after 5 seconds.
        """
        live = [c for c in self.factory.connections if not c.closed]
        if not live:
            return defer.succeed(None)

        def abort():
            for connection in live:
                if not connection.closed:
                    connection.transport.abortConnection()

        timer = reactor.callLater(5, abort)
        d = defer.DeferredList([c.whenClosed() for c in live])

        def done(result):
            if timer.active():
                timer.cancel()
            return result

        return d.addBoth(done)

    @defer.inlineCallbacks
    def runClient(self, spec: Dict[str, Any]):
        """
        Run a Python client (see L{realclients}) in a subprocess.

        @return: a L{Deferred} firing with its output.
        @raise SkipTest: if the client library cannot run here.
        """
        output = yield realclients.runPythonClient(spec)
        if "unavailable" in output:
            raise SkipTest(output["unavailable"])
        return output

    # assertions

    def assertLoggedInAs(self, result: Dict[str, Any], user: User) -> None:
        """
        Assert that a client logged in and C{CURRENT_USER()} named C{user}'s
        account.
        """
        if not result.get("ok"):
            self.fail(f"login as {user.name!r} failed: {result}")
        self.assertEqual(result["rows"], [[user.currentUser]], result)

    def assertRefused(
        self, result: Dict[str, Any], errno: int, sqlstate: str, msg: str
    ) -> None:
        """
        Assert that the server refused a login with this error.
        """
        self.assertFalse(result.get("ok"), result)
        self.assertEqual(
            (result.get("errno"), result.get("sqlstate"), result.get("msg")),
            (errno, sqlstate, msg),
            result,
        )

    def stepsOf(self, user: User) -> List[List[tuple]]:
        """
        @return: for each of C{user}'s connections, the C{(credentials,
            outcome)} the server went through.
        """
        return [[r.step for r in c] for c in self.portal.connectionsOf(user.name)]

    def onlyConnectionOf(self, user: User) -> List[LoginRecord]:
        """
        @return: the records of C{user}'s only connection.
        """
        connections = self.portal.connectionsOf(user.name)
        self.assertEqual(len(connections), 1, connections)
        return connections[0]


# The steps the server goes through.
NATIVE_OK = [("NativePasswordResponse", "ok")]
FAST_PATH = [("CachingSHA2Scramble", "ok")]
FULL_AUTHENTICATION = [
    ("CachingSHA2Scramble", "UnauthorizedLogin"),
    ("AccountPassword", "ok"),
]
FAST_PATH_MISSED = [("CachingSHA2Scramble", "UnauthorizedLogin")]
CLEARTEXT_OK = [("AccountPassword", "ok")]


# -- the client matrix -----------------------------------------------------------


class ClientMatrixMixin:
    """
    The logins every client is tried with. A concrete class sets
    L{client} and mixes this into a L{ServerTestCase}.
    """

    #: C{"mariadb"} or one of L{realclients.PYTHON_CLIENTS}.
    client: str

    def attempt(
        self, user, password: Optional[str] = None, via: str = "tcp", tls: bool = False
    ):
        """
        Describe one login.

        @param user: a L{User}, or a user name.
        @param password: the password, by default the user's.
        @param via: C{"tcp"} or C{"unix"}.
        @param tls: whether to require TLS (else TLS is disabled).
        """
        name = user if isinstance(user, str) else user.name
        if password is None:
            password = user.password
        spec = {
            "user": name,
            "password": password,
            "tls": tls,
            "ca": self.caPath,
            "query": "SELECT CURRENT_USER()",
        }
        if via == "unix":
            spec["unixSocket"] = self.socketPath
        else:
            spec["host"] = "127.0.0.1"
            spec["port"] = self.port
        return spec

    @defer.inlineCallbacks
    def logins(self, *attempts):
        """
        Log in with the client, once per attempt, one after the other.

        @return: a L{Deferred} firing with the list of results.
        @raise SkipTest: if the client library cannot run here.
        """
        if self.client == "mariadb":
            results = []
            for attempt in attempts:
                results.append((yield self._mariadbLogin(attempt)))
            return results
        output = yield self.runClient(
            {"client": self.client, "attempts": list(attempts)}
        )
        return output["results"]

    @defer.inlineCallbacks
    def login(self, user, password=None, via="tcp", tls=False):
        """
        Log in once.

        @return: a L{Deferred} firing with the result.
        """
        results = yield self.logins(self.attempt(user, password, via, tls))
        return results[0]

    @defer.inlineCallbacks
    def _mariadbLogin(self, attempt):
        if attempt.get("unixSocket"):
            args = ["--protocol=socket", "--socket=" + attempt["unixSocket"]]
        else:
            args = [
                "--protocol=tcp",
                "--host=" + attempt["host"],
                f"--port={attempt['port']}",
            ]
        if attempt["tls"]:
            args += ["--ssl", "--ssl-ca=" + attempt["ca"]]
        else:
            args += ["--skip-ssl"]
        args += ["--user=" + attempt["user"], "--execute=" + attempt["query"]]
        out, err, code = yield realclients.runMariaDB(args, attempt["password"])
        return realclients.parseMariaDBOutput(out, err, code)

    # 1. mysql_native_password

    @defer.inlineCallbacks
    def test_nativePasswordOverTCP(self):
        """
        A mysql_native_password account logs in over TCP: the server greets
        with caching_sha2_password, the client answers with it, and the
        server switches to mysql_native_password.
        """
        result = yield self.login(NATIVE)
        self.assertLoggedInAs(result, NATIVE)
        [record] = self.onlyConnectionOf(NATIVE)
        self.assertEqual(record.step, NATIVE_OK[0])
        self.assertEqual(record.clientPlugin, "caching_sha2_password")
        self.assertFalse(record.tls)
        self.assertFalse(record.unixSocket)

    @defer.inlineCallbacks
    def test_nativePasswordOverUNIXSocket(self):
        """
        A mysql_native_password account logs in over the UNIX socket.
        """
        result = yield self.login(NATIVE, via="unix")
        self.assertLoggedInAs(result, NATIVE)
        [record] = self.onlyConnectionOf(NATIVE)
        self.assertEqual(record.step, NATIVE_OK[0])
        self.assertTrue(record.unixSocket)
        self.assertFalse(record.tls)

    @defer.inlineCallbacks
    def test_identity(self):
        """
        After a login, C{USER()} is the name sent at 'localhost',
        C{CURRENT_USER()} the account, and C{@@version} the server's.
        """
        attempt = self.attempt(NATIVE)
        attempt["query"] = "SELECT USER(), CURRENT_USER(), @@version"
        [result] = yield self.logins(attempt)
        self.assertTrue(result["ok"], result)
        self.assertEqual(
            result["rows"], [["nat@localhost", NATIVE.currentUser, SERVER_VERSION]]
        )

    # 2. caching_sha2_password fast path

    @defer.inlineCallbacks
    def test_cachingSHA2FastPath(self):
        """
        The first caching_sha2_password login (over TLS) does full
        authentication and fills the cache; the second, over plain TCP,
        takes the fast path: one scramble checked against the cache, and no
        password sent.
        """
        cache = self.factory.config.sha2Cache
        self.assertIsNone(cache.get(SHA2.accountName))
        first = yield self.login(SHA2, tls=True)
        self.assertLoggedInAs(first, SHA2)
        self.assertIsNotNone(cache.get(SHA2.accountName))
        second = yield self.login(SHA2, tls=False)
        self.assertLoggedInAs(second, SHA2)
        self.assertEqual(self.stepsOf(SHA2), [FULL_AUTHENTICATION, FAST_PATH])
        fast = self.portal.connectionsOf(SHA2.name)[1][0]
        self.assertFalse(fast.secure)

    # 3. caching_sha2_password full authentication

    @defer.inlineCallbacks
    def test_cachingSHA2FullAuthenticationOverTLS(self):
        """
        With an empty cache, a caching_sha2_password login over TLS does full
        authentication: the server asks for the password (01 04) and checks
        the cleartext sent inside TLS; the cache is filled.
        """
        result = yield self.login(SHA2, tls=True)
        self.assertLoggedInAs(result, SHA2)
        records = self.onlyConnectionOf(SHA2)
        self.assertEqual([r.step for r in records], FULL_AUTHENTICATION)
        self.assertTrue(records[-1].tls)
        self.assertIsNotNone(self.factory.config.sha2Cache.get(SHA2.accountName))

    @defer.inlineCallbacks
    def test_cachingSHA2FullAuthenticationOverUNIXSocket(self):
        """
        With an empty cache, a caching_sha2_password login over the UNIX
        socket (secure for this method) does full authentication with the
        cleartext password, without TLS.
        """
        result = yield self.login(SHA2, via="unix")
        self.assertLoggedInAs(result, SHA2)
        records = self.onlyConnectionOf(SHA2)
        self.assertEqual([r.step for r in records], FULL_AUTHENTICATION)
        self.assertTrue(records[-1].unixSocket)
        self.assertFalse(records[-1].tls)

    @defer.inlineCallbacks
    def test_cachingSHA2FullAuthenticationWithRSA(self):
        """
        With an empty cache, a caching_sha2_password login over plain TCP
        does full authentication with the password RSA-encrypted to the
        server's public key, which the client fetches (02).
        """
        result = yield self.login(SHA2, tls=False)
        self.assertLoggedInAs(result, SHA2)
        records = self.onlyConnectionOf(SHA2)
        self.assertEqual([r.step for r in records], FULL_AUTHENTICATION)
        self.assertFalse(records[-1].secure)

    # 4. sha256_password

    @defer.inlineCallbacks
    def test_sha256PasswordOverTLS(self):
        """
        A sha256_password account logs in over TLS with the cleartext
        password.
        """
        result = yield self.login(SHA256, tls=True)
        self.assertLoggedInAs(result, SHA256)
        records = self.onlyConnectionOf(SHA256)
        self.assertEqual([r.step for r in records], CLEARTEXT_OK)
        self.assertTrue(records[-1].tls)

    @defer.inlineCallbacks
    def test_sha256PasswordWithRSA(self):
        """
        A sha256_password account logs in over plain TCP with the password
        RSA-encrypted to the server's public key, which the client asks for
        (01).
        """
        result = yield self.login(SHA256, tls=False)
        self.assertLoggedInAs(result, SHA256)
        records = self.onlyConnectionOf(SHA256)
        self.assertEqual([r.step for r in records], CLEARTEXT_OK)
        self.assertFalse(records[-1].tls)

    # 5. refusals

    @defer.inlineCallbacks
    def test_wrongPasswordNative(self):
        """
        A wrong password for a mysql_native_password account over TCP gets
        1045 (28000) naming the user at 'localhost'.
        """
        result = yield self.login(NATIVE, WRONG_PASSWORD)
        self.assertRefused(result, 1045, "28000", denied(NATIVE.name))

    @defer.inlineCallbacks
    def test_wrongPasswordNativeOverUNIXSocket(self):
        """
        Over the UNIX socket the client's host is also 'localhost'.
        """
        result = yield self.login(NATIVE, WRONG_PASSWORD, via="unix")
        self.assertRefused(result, 1045, "28000", denied(NATIVE.name))

    @defer.inlineCallbacks
    def test_wrongPasswordCachingSHA2(self):
        """
        A wrong password for a caching_sha2_password account (over TLS, so
        that every client does full authentication) gets 1045 (28000), and
        the cache stays empty.
        """
        result = yield self.login(SHA2, WRONG_PASSWORD, tls=True)
        self.assertRefused(result, 1045, "28000", denied(SHA2.name))
        self.assertEqual(
            self.stepsOf(SHA2),
            [
                [
                    ("CachingSHA2Scramble", "UnauthorizedLogin"),
                    ("AccountPassword", "UnauthorizedLogin"),
                ]
            ],
        )
        self.assertIsNone(self.factory.config.sha2Cache.get(SHA2.accountName))

    @defer.inlineCallbacks
    def test_wrongPasswordCachingSHA2OverUNIXSocket(self):
        """
        A wrong caching_sha2_password password over the UNIX socket gets
        1045 (28000) at 'localhost'.
        """
        result = yield self.login(SHA2, WRONG_PASSWORD, via="unix")
        self.assertRefused(result, 1045, "28000", denied(SHA2.name))

    @defer.inlineCallbacks
    def test_wrongPasswordSHA256(self):
        """
        A wrong password for a sha256_password account over TLS gets 1045
        (28000).
        """
        result = yield self.login(SHA256, WRONG_PASSWORD, tls=True)
        self.assertRefused(result, 1045, "28000", denied(SHA256.name))

    @defer.inlineCallbacks
    def test_unknownUser(self):
        """
        Unknown users get the same 1045 as a wrong password, with their own
        names (over TLS, so that whichever method the decoy account picks
        the client can complete it).
        """
        names = ["ghost", "nobody", "intruder"]
        results = yield self.logins(
            *[self.attempt(n, WRONG_PASSWORD, tls=True) for n in names]
        )
        for name, result in zip(names, results):
            self.assertRefused(result, 1045, "28000", denied(name))
        for name in names:
            for connection in self.portal.connectionsOf(name):
                self.assertNotIn("ok", [r.outcome for r in connection])

    @defer.inlineCallbacks
    def test_unknownUserOverPlainTCP(self):
        """
        Unknown users over plain TCP also get 1045 with their names,
        whichever method their decoy account uses (native, or caching_sha2
        and sha256 with RSA).
        """
        names = ["ghost", "nobody", "intruder", "mallory", "eve"]
        results = yield self.logins(*[self.attempt(n, WRONG_PASSWORD) for n in names])
        for name, result in zip(names, results):
            self.assertRefused(result, 1045, "28000", denied(name))

    @defer.inlineCallbacks
    def test_noPasswordGiven(self):
        """
        A login without a password to an account that has one (or to an
        unknown user) gets 1045 "(using password: NO)" (over TLS, so that
        every client can complete every method).
        """
        names = [NATIVE.name, SHA2.name, SHA256.name, "ghost"]
        results = yield self.logins(*[self.attempt(n, "", tls=True) for n in names])
        for name, result in zip(names, results):
            self.assertRefused(
                result,
                1045,
                "28000",
                f"Access denied for user '{name}'@'localhost' (using password: NO)",
            )

    # 6. ACCOUNT LOCK

    @defer.inlineCallbacks
    def test_lockedAccountRightPassword(self):
        """
        A locked account with the right password gets 3118 (HY000): the
        credentials were checked first.
        """
        result = yield self.login(LOCKED, via="unix")
        self.assertRefused(
            result,
            3118,
            "HY000",
            f"Access denied for user '{LOCKED.name}'@'localhost'. Account is locked.",
        )
        self.assertEqual(
            self.stepsOf(LOCKED),
            [
                [
                    ("CachingSHA2Scramble", "UnauthorizedLogin"),
                    ("AccountPassword", "LoginRefusedWith"),
                ]
            ],
        )

    @defer.inlineCallbacks
    def test_lockedAccountWrongPassword(self):
        """
        A locked account with a wrong password gets 1045, not 3118: nothing
        tells a guesser that the account exists.
        """
        result = yield self.login(LOCKED, WRONG_PASSWORD, via="unix")
        self.assertRefused(result, 1045, "28000", denied(LOCKED.name))


class MariaDBCLITests(ClientMatrixMixin, ServerTestCase):
    """
    The C{mariadb} command-line client (MariaDB Connector/C).
    """

    client = "mariadb"

    if not os.access(realclients.MARIADB, os.X_OK):
        skip = f"the mariadb client ({realclients.MARIADB}) is not installed"


class PyMySQLTests(ClientMatrixMixin, ServerTestCase):
    """
    PyMySQL (with C{cryptography} for RSA).
    """

    client = "pymysql"

    @defer.inlineCallbacks
    def test_sha256PasswordOverUNIXSocket(self):
        """
        PyMySQL sends a sha256_password password in cleartext over a UNIX
        socket, but for sha256_password only TLS is secure (as in MySQL,
        protocol.md section 9): the server expects RSA ciphertext, so the
        login is refused with 1045.
        """
        result = yield self.login(SHA256, via="unix")
        self.assertRefused(result, 1045, "28000", denied(SHA256.name))


class ConnectorPureTests(ClientMatrixMixin, ServerTestCase):
    """
    mysql-connector-python, pure Python.
    """

    client = "connector-pure"

    @defer.inlineCallbacks
    def test_cachingSHA2FullAuthenticationWithRSA(self):
        """
        Connector/Python (pure) answers perform_full_authentication (01 04)
        with the cleartext password whatever the transport (protocol.md
        sections 8.1 and 22). Over plain TCP the server must not take it:
        it expects RSA ciphertext of the key's size, refuses with 1045, and
        never checks the password (nor fills the cache).
        """
        result = yield self.login(SHA2, tls=False)
        self.assertRefused(result, 1045, "28000", denied(SHA2.name))
        self.assertEqual(self.stepsOf(SHA2), [FAST_PATH_MISSED])
        self.assertIsNone(self.factory.config.sha2Cache.get(SHA2.accountName))

    @defer.inlineCallbacks
    def test_sha256PasswordWithRSA(self):
        """
        Connector/Python (pure) has no RSA for sha256_password: it refuses
        to answer the switch without TLS ("sha256_password requires SSL"),
        so no password reaches the server.
        """
        result = yield self.login(SHA256, tls=False)
        self.assertFalse(result["ok"], result)
        self.assertEqual(result["msg"], "sha256_password requires SSL", result)
        self.assertEqual(self.stepsOf(SHA256), [])

    def test_unknownUserOverPlainTCP(self):
        """
        Not run for this client: the decoy method is picked per server by a
        keyed hash, and over plain TCP this client cannot complete the
        caching_sha2_password or sha256_password exchanges (see
        test_cachingSHA2FullAuthenticationWithRSA and
        test_sha256PasswordWithRSA), so the outcome would depend on the key.
        """
        raise SkipTest(
            "Connector/Python (pure) cannot do caching_sha2/sha256 over plain TCP; "
            "test_unknownUser covers unknown users over TLS"
        )


class ConnectorCExtensionTests(ClientMatrixMixin, ServerTestCase):
    """
    mysql-connector-python with its C extension (libmysqlclient), run with
    C{LD_LIBRARY_PATH} at the wheel's vendored OpenSSL.
    """

    client = "connector-c"

    @defer.inlineCallbacks
    def test_cachingSHA2FullAuthenticationWithRSA(self):
        """
        The C extension cannot set libmysqlclient's
        MYSQL_OPT_GET_SERVER_PUBLIC_KEY, so over plain TCP with no cached
        digest it refuses full authentication itself (2061 "Authentication
        requires secure connection.") and sends no password.
        """
        result = yield self.login(SHA2, tls=False)
        self.assertFalse(result["ok"], result)
        self.assertEqual(result["errno"], 2061, result)
        self.assertIn("Authentication requires secure connection", result["msg"])
        self.assertEqual(self.stepsOf(SHA2), [FAST_PATH_MISSED])

    def test_unknownUserOverPlainTCP(self):
        """
        Not run for this client: the decoy method is picked per server by a
        keyed hash, and over plain TCP this client cannot complete
        caching_sha2_password full authentication (see
        test_cachingSHA2FullAuthenticationWithRSA), so the outcome would
        depend on the key.
        """
        raise SkipTest(
            "libmysqlclient through the C extension cannot fetch the RSA key for "
            "caching_sha2 over plain TCP; test_unknownUser covers unknown users "
            "over TLS"
        )


# -- TLS ---------------------------------------------------------------------------


class TLSUnderLoadTests(ServerTestCase):
    """
    Regression tests for the TLS upgrade race of mysql-mimic
    (anchors.md sections 1 and 7): a client's ClientHello that arrives in
    the same read as its SSLRequest belongs to the TLS layer.
    """

    @defer.inlineCallbacks
    def test_manyConcurrentTLSLogins(self):
        """
        200 TLS logins from 16 PyMySQL threads at once all succeed.
        """
        attempt = {
            "user": SHA2.name,
            "password": SHA2.password,
            "host": "127.0.0.1",
            "port": self.port,
            "tls": True,
            "ca": self.caPath,
            "query": "SELECT CURRENT_USER()",
            "expect": [[SHA2.currentUser]],
        }
        output = yield self.runClient(
            {
                "client": "pymysql",
                "load": {"logins": 200, "threads": 16},
                "attempts": [attempt],
            }
        )
        self.assertEqual(output["load"]["failed"], 0, output)
        self.assertEqual(output["load"]["ok"], 200, output)
        connections = self.portal.connectionsOf(SHA2.name)
        self.assertEqual(len(connections), 200)
        for records in connections:
            self.assertTrue(records[-1].tls)
            self.assertEqual(records[-1].outcome, "ok")

    def _rawTLSLogin(self, address):
        connection = realclients.RawConnection(address)
        try:
            connection.login(SHA2.name, SHA2.password, cafile=self.caPath, useTLS=True)
            return connection.query("SELECT CURRENT_USER()")
        finally:
            connection.close()

    @defer.inlineCallbacks
    def _sslRequestAndClientHelloTogether(self, address):
        rows = yield deferToThread(self._rawTLSLogin, address)
        self.assertEqual(rows, [[SHA2.currentUser]])
        [connection] = self.factory.connections
        if connection.firstRead == SSL_REQUEST_PACKET_LENGTH:
            raise SkipTest(
                "the kernel split the write: the server read the SSLRequest alone"
            )
        self.assertGreater(connection.firstRead, SSL_REQUEST_PACKET_LENGTH)
        records = self.onlyConnectionOf(SHA2)
        self.assertEqual([r.step for r in records], FULL_AUTHENTICATION)
        self.assertTrue(records[-1].tls)

    def test_sslRequestAndClientHelloInOneWrite(self):
        """
        A client that sends its SSLRequest and its TLS ClientHello in one
        write over TCP completes the TLS handshake and logs in (full
        authentication inside TLS).
        """
        return self._sslRequestAndClientHelloTogether(("127.0.0.1", self.port))

    def test_sslRequestAndClientHelloInOneWriteOverUNIXSocket(self):
        """
        The same over the UNIX socket, where the server also offers TLS.
        """
        return self._sslRequestAndClientHelloTogether(self.socketPath)


# -- bad input -----------------------------------------------------------------------


def _handshakeResponse(user: str, seq: int = 1) -> bytes:
    """
    A well-formed framed handshake response with a made-up scramble.
    """
    payload = (
        struct.pack(
            "<IIB23x", realclients.RAW_CAPABILITIES, 1 << 24, realclients.RAW_CHARSET
        )
        + user.encode("utf-8")
        + b"\x00"
        + realclients.lenenc(b"x" * 32)
        + b"caching_sha2_password\x00"
    )
    return realclients.packet(seq, payload)


def _sendBadInput(address, data: Optional[bytes]):
    """
    Connect, read the greeting, send C{data} (if any) and read until the
    server closes.

    @return: C{(errors, seconds)}: the ERR packets received after the
        greeting as L{realclients.RawServerError}s (other packets as
        bytes), and the time from the send to the close.
    """
    connection = realclients.RawConnection(address, timeout=15)
    try:
        connection.readPacket()
        start = time.monotonic()
        if data:
            connection.sock.sendall(data)
        packets = connection.readUntilClosed()
        elapsed = time.monotonic() - start
    finally:
        connection.close()
    answers = [
        realclients.parseERR(payload) if payload[:1] == b"\xff" else payload
        for seq, payload in packets
    ]
    return answers, elapsed


def _silentAfterTLS(address, cafile):
    """
    Connect, upgrade to TLS, then send nothing and read until the server
    closes.

    @return: C{(packets, seconds)} from the end of the TLS handshake.
    """
    connection = realclients.RawConnection(address, timeout=15)
    try:
        connection.readPacket()
        head = struct.pack(
            "<IIB23x",
            realclients.RAW_CAPABILITIES | realclients.CLIENT_SSL,
            1 << 24,
            realclients.RAW_CHARSET,
        )
        connection.startTLS(realclients.packet(1, head), cafile)
        start = time.monotonic()
        packets = connection.readUntilClosed()
        return packets, time.monotonic() - start
    finally:
        connection.close()


def _loginIdleQuery(address, idle: float):
    """
    Log in, wait C{idle} seconds, then query.
    """
    connection = realclients.RawConnection(address, timeout=15)
    try:
        connection.login(NATIVE.name, NATIVE.password)
        time.sleep(idle)
        return connection.query("SELECT CURRENT_USER()")
    finally:
        connection.close()


def _pipelinedLogin(address, user: str, password: str):
    """
    Answer the greeting with a mysql_native_password response and, in the
    same write, a C{COM_QUERY}; read everything until the server closes
    (or, after an OK, until the query's result set ends).

    @return: the payloads received after the greeting.
    """
    connection = realclients.RawConnection(address, timeout=15)
    try:
        greeting = realclients.Greeting(connection.readPacket()[1])
        response = realclients.packet(
            1,
            struct.pack(
                "<IIB23x",
                realclients.RAW_CAPABILITIES,
                1 << 24,
                realclients.RAW_CHARSET,
            )
            + user.encode("utf-8")
            + b"\x00"
            + realclients.lenenc(
                realclients.nativeScramble(password.encode("utf-8"), greeting.nonce)
            )
            + b"mysql_native_password\x00",
        )
        query = realclients.packet(0, b"\x03SELECT CURRENT_USER()")
        connection.sock.sendall(response + query)
        payloads = []
        eofs = 0
        while True:
            try:
                seq, payload = connection.readPacket()
            except (EOFError, ConnectionResetError):
                return payloads
            payloads.append(payload)
            if payload[:1] == b"\xfe" and len(payload) < 9:
                eofs += 1
                if eofs == 2:
                    return payloads
    finally:
        connection.close()


def _rawNativeLogin(address):
    connection = realclients.RawConnection(address)
    try:
        connection.login(NATIVE.name, NATIVE.password)
        return connection.query("SELECT CURRENT_USER()")
    finally:
        connection.close()


class BadInputTests(ServerTestCase):
    """
    Malformed input over real sockets gets an ERR (or a close, for a silent
    client) within the login timeout, and the server goes on serving.
    """

    connectTimeout = 2.0

    @defer.inlineCallbacks
    def assertAnsweredWith(self, data: Optional[bytes], codes) -> Any:
        """
        Send C{data} after the greeting; assert the server answers with one
        ERR whose code is in C{codes} and closes, then that a normal login
        still works.
        """
        answers, elapsed = yield deferToThread(
            _sendBadInput, ("127.0.0.1", self.port), data
        )
        self.assertEqual(len(answers), 1, answers)
        [error] = answers
        self.assertIsInstance(error, realclients.RawServerError)
        self.assertIn(error.errno, codes, error)
        self.assertLess(elapsed, self.connectTimeout)
        yield self.assertStillServing()
        return error

    @defer.inlineCallbacks
    def assertStillServing(self):
        """
        A normal login works.
        """
        rows = yield deferToThread(_rawNativeLogin, ("127.0.0.1", self.port))
        self.assertEqual(rows, [[NATIVE.currentUser]])

    @defer.inlineCallbacks
    def test_httpRequest(self):
        """
        An HTTP request instead of a handshake response: its first bytes
        read as a header whose sequence id (C{" "}, 32) is not the expected
        1, so 1156 "Got packets out of order", what MySQL answers to curl
        (it reads the sequence id before the length, here far over the
        pre-login cap).
        """
        error = yield self.assertAnsweredWith(
            b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n", (1043, 1153, 1156)
        )
        self.assertEqual(error.errno, 1156)

    @defer.inlineCallbacks
    def test_framedGarbage(self):
        """
        A well-framed packet of garbage gets 1043 Bad handshake.
        """
        error = yield self.assertAnsweredWith(
            realclients.packet(1, bytes(range(200, 256)) * 2), (1043,)
        )
        self.assertEqual(error.msg, "Bad handshake")

    @defer.inlineCallbacks
    def test_truncatedHandshakeResponse(self):
        """
        A handshake response cut short after its user name (no auth data,
        no plugin) gets 1043 Bad handshake.
        """
        payload = _handshakeResponse(NATIVE.name)[4:]
        cut = 32 + len(NATIVE.name) + 1
        error = yield self.assertAnsweredWith(
            realclients.packet(1, payload[:cut]), (1043,)
        )
        self.assertEqual((error.sqlstate, error.msg), ("08S01", "Bad handshake"))

    @defer.inlineCallbacks
    def test_shortHandshakeResponse(self):
        """
        A handshake response shorter than its fixed 32-byte head gets 1043.
        """
        payload = _handshakeResponse(NATIVE.name)[4:]
        yield self.assertAnsweredWith(realclients.packet(1, payload[:20]), (1043,))

    @defer.inlineCallbacks
    def test_oversizedPacketHeader(self):
        """
        A header announcing a 16 MiB packet before login gets 1153 at once:
        the server does not wait for (or buffer) the payload.
        """
        yield self.assertAnsweredWith(b"\xff\xff\xff\x01" + b"x" * 1000, (1153,))

    @defer.inlineCallbacks
    def test_wrongSequenceId(self):
        """
        A handshake response with sequence id 3 instead of 1 gets 1156 Got
        packets out of order.
        """
        error = yield self.assertAnsweredWith(
            _handshakeResponse(NATIVE.name, seq=3), (1156,)
        )
        self.assertEqual(error.msg, "Got packets out of order")

    @defer.inlineCallbacks
    def test_silentClient(self):
        """
        A client that connects and sends nothing is disconnected when the
        login timeout (2 s here) expires.
        """
        answers, elapsed = yield deferToThread(
            _sendBadInput, ("127.0.0.1", self.port), None
        )
        for answer in answers:
            self.assertIsInstance(answer, realclients.RawServerError)
        self.assertGreaterEqual(elapsed, self.connectTimeout - 0.5)
        self.assertLess(elapsed, self.connectTimeout + 3)
        yield self.assertStillServing()

    @defer.inlineCallbacks
    def test_silentAfterTLSHandshake(self):
        """
        A client that completes the TLS upgrade and then sends nothing is
        disconnected when the login timeout expires.
        """
        packets, elapsed = yield deferToThread(
            _silentAfterTLS, ("127.0.0.1", self.port), self.caPath
        )
        self.assertLess(elapsed, self.connectTimeout + 3)
        yield self.assertStillServing()

    @defer.inlineCallbacks
    def test_loggedInClientOutlivesLoginTimeout(self):
        """
        The login timeout ends with the login: a logged-in client that stays
        idle for longer than it is still served.
        """
        rows = yield deferToThread(
            _loginIdleQuery, ("127.0.0.1", self.port), self.connectTimeout + 1
        )
        self.assertEqual(rows, [[NATIVE.currentUser]])

    @defer.inlineCallbacks
    def test_garbageInsteadOfClientHello(self):
        """
        A client that asks for TLS and then sends garbage instead of a TLS
        ClientHello is disconnected (by the TLS layer or the login
        timeout), and the server goes on serving.
        """
        head = struct.pack(
            "<IIB23x",
            realclients.RAW_CAPABILITIES | realclients.CLIENT_SSL,
            1 << 24,
            realclients.RAW_CHARSET,
        )
        answers, elapsed = yield deferToThread(
            _sendBadInput,
            ("127.0.0.1", self.port),
            realclients.packet(1, head) + b"this is not TLS\r\n" * 8,
        )
        self.assertLess(elapsed, self.connectTimeout + 3)
        yield self.assertStillServing()


# -- fail-closed behaviour ------------------------------------------------------------


class FailClosedTests(ServerTestCase):
    """
    Regression tests for the fail-open behaviours of mysql-mimic
    (anchors.md section 1 and "What none of them has", 8): after a refused
    login nothing more is read; an account whose method is not loaded is
    refused, never logged in with another method.
    """

    extraAccounts = (
        Account(AccountName("ldap", "%"), "authentication_ldap_simple", b""),
    )

    @defer.inlineCallbacks
    def test_noQueryAfterWrongPassword(self):
        """
        A client that sends a wrong password and, in the same write, a
        query gets one ERR 1045 and a close: the query is never run.
        """
        payloads = yield deferToThread(
            _pipelinedLogin, ("127.0.0.1", self.port), NATIVE.name, WRONG_PASSWORD
        )
        self.assertEqual(len(payloads), 1, payloads)
        error = realclients.parseERR(payloads[0])
        self.assertEqual((error.errno, error.msg), (1045, denied(NATIVE.name)))

    @defer.inlineCallbacks
    def test_noQueryAfterUnknownUser(self):
        """
        The same for an unknown user: whatever the decoy account's method
        does with the pipelined query, the client gets no OK and no result
        set, and the connection ends with an ERR.
        """
        payloads = yield deferToThread(
            _pipelinedLogin, ("127.0.0.1", self.port), "ghost", WRONG_PASSWORD
        )
        self.assertTrue(payloads, payloads)
        self.assertEqual(payloads[-1][:1], b"\xff", payloads)
        for payload in payloads[:-1]:
            # Only an auth switch may come before the ERR.
            self.assertEqual(payload[:1], b"\xfe", payloads)
            self.assertGreater(len(payload), 9, payloads)

    @defer.inlineCallbacks
    def test_pipelinedQueryAfterLoginIsAnswered(self):
        """
        A query sent in the same write as a correct handshake response is
        answered after the OK (the server reads it only once logged in).
        """
        payloads = yield deferToThread(
            _pipelinedLogin, ("127.0.0.1", self.port), NATIVE.name, NATIVE.password
        )
        self.assertEqual(payloads[0][:1], b"\x00", payloads)
        self.assertIn(b"\x05nat@%", payloads, payloads)

    @defer.inlineCallbacks
    def test_accountWithUnloadedPlugin(self):
        """
        An account whose authentication plugin is not loaded is refused with
        1524 "Plugin '...' is not loaded", with or without a password: the
        server never falls back to another method.
        """
        attempts = [
            {
                "user": "ldap",
                "password": password,
                "host": "127.0.0.1",
                "port": self.port,
            }
            for password in ("", "anything")
        ]
        output = yield self.runClient({"client": "pymysql", "attempts": attempts})
        for result in output["results"]:
            self.assertRefused(
                result,
                1524,
                "HY000",
                "Plugin 'authentication_ldap_simple' is not loaded",
            )
        self.assertEqual(self.portal.connectionsOf("ldap"), [])


class SecureTransportTests(ServerTestCase):
    """
    C{requireSecureTransport}: logins over plain TCP are refused with 3159
    after their credentials are checked; TLS and the UNIX socket are
    accepted (PyMySQL).
    """

    serverOptions = {"requireSecureTransport": True}

    def login(self, password: str, **attempt: Any) -> defer.Deferred:
        spec = {"user": NATIVE.name, "password": password, "ca": self.caPath}
        spec.update(attempt)
        d = self.runClient({"client": "pymysql", "attempts": [spec]})
        return d.addCallback(lambda output: output["results"][0])

    @defer.inlineCallbacks
    def test_plainTCPRefused(self):
        """
        The right password over plain TCP gets 3159.
        """
        result = yield self.login(NATIVE.password, host="127.0.0.1", port=self.port)
        self.assertRefused(
            result,
            3159,
            "HY000",
            "Connections using insecure transport are prohibited while "
            "--require_secure_transport=ON.",
        )

    @defer.inlineCallbacks
    def test_wrongPasswordOverPlainTCP(self):
        """
        A wrong password over plain TCP gets 1045: credentials come first.
        """
        result = yield self.login(WRONG_PASSWORD, host="127.0.0.1", port=self.port)
        self.assertRefused(result, 1045, "28000", denied(NATIVE.name))

    @defer.inlineCallbacks
    def test_TLSAccepted(self):
        """
        The same login over TLS is accepted.
        """
        result = yield self.login(
            NATIVE.password, host="127.0.0.1", port=self.port, tls=True
        )
        self.assertLoggedInAs(result, NATIVE)

    @defer.inlineCallbacks
    def test_UNIXSocketAccepted(self):
        """
        The same login over the UNIX socket is accepted.
        """
        result = yield self.login(NATIVE.password, unixSocket=self.socketPath)
        self.assertLoggedInAs(result, NATIVE)


class DefaultNativePluginTests(ServerTestCase):
    """
    A server that greets with mysql_native_password (MySQL's
    C{default_authentication_plugin=mysql_native_password}): accounts of
    the other methods log in through a switch, which brings a fresh nonce
    (PyMySQL).
    """

    serverOptions = {"defaultPlugin": "mysql_native_password"}

    @defer.inlineCallbacks
    def test_switchToEachMethod(self):
        """
        mysql_native_password logs in without a switch; caching_sha2_password
        logs in through a switch, with full authentication over TLS and then
        the fast path over plain TCP; sha256_password through a switch over
        TLS; a wrong password still gets 1045.
        """

        def attempt(user, password=None, tls=False):
            return {
                "user": user.name,
                "password": user.password if password is None else password,
                "host": "127.0.0.1",
                "port": self.port,
                "tls": tls,
                "ca": self.caPath,
            }

        output = yield self.runClient(
            {
                "client": "pymysql",
                "attempts": [
                    attempt(NATIVE),
                    attempt(SHA2, tls=True),
                    attempt(SHA2),
                    attempt(SHA256, tls=True),
                    attempt(SHA2, WRONG_PASSWORD, tls=True),
                ],
            }
        )
        native, sha2Full, sha2Fast, sha256, wrong = output["results"]
        self.assertLoggedInAs(native, NATIVE)
        self.assertLoggedInAs(sha2Full, SHA2)
        self.assertLoggedInAs(sha2Fast, SHA2)
        self.assertLoggedInAs(sha256, SHA256)
        self.assertRefused(wrong, 1045, "28000", denied(SHA2.name))
        [nativeRecord] = self.onlyConnectionOf(NATIVE)
        self.assertEqual(nativeRecord.clientPlugin, "mysql_native_password")
        self.assertEqual(
            self.stepsOf(SHA2),
            [
                FULL_AUTHENTICATION,
                FAST_PATH,
                [
                    ("CachingSHA2Scramble", "UnauthorizedLogin"),
                    ("AccountPassword", "UnauthorizedLogin"),
                ],
            ],
        )
        self.assertEqual(self.stepsOf(SHA256), [CLEARTEXT_OK])


# -- account SQL with the mariadb client -------------------------------------------


class MariaDBAccountSQLTests(ServerTestCase):
    """
    Account SQL through the C{mariadb} client: C{CREATE USER}, C{SHOW
    CREATE USER}, C{DROP USER} and the shown statement again (the hash
    survives, and the same password logs in); and account changes that
    must empty the caching_sha2_password cache.
    """

    users = (ROOT,)

    if not os.access(realclients.MARIADB, os.X_OK):
        skip = f"the mariadb client ({realclients.MARIADB}) is not installed"

    def mariadb(self, user: User, *statements: str) -> defer.Deferred:
        """
        Run statements as C{user} over the UNIX socket, without TLS, with
        raw (unescaped) output.
        """
        args = [
            "--protocol=socket",
            "--socket=" + self.socketPath,
            "--skip-ssl",
            "--raw",
            "--user=" + user.name,
            "--execute=" + "; ".join(statements),
        ]
        return realclients.runMariaDB(args, user.password)

    @defer.inlineCallbacks
    def roundTrip(self, plugin: str):
        user = User("rt", plugin, "rt-Secret'6\\")
        quotedPassword = user.password.replace("\\", "\\\\").replace("'", "\\'")
        out, err, code = yield self.mariadb(
            ROOT,
            f"CREATE USER 'rt'@'%' IDENTIFIED WITH {plugin} BY '{quotedPassword}'",
            "SHOW CREATE USER 'rt'@'%'",
        )
        self.assertEqual(code, 0, err)
        statement = out.rstrip("\n")
        self.assertNotIn("\n", statement)
        self.assertTrue(
            statement.startswith(
                f"CREATE USER `rt`@`%` IDENTIFIED WITH '{plugin}' AS "
            ),
            statement,
        )
        before = self.accounts.directory.get(user.accountName)
        self.assertIsNotNone(before)

        out, err, code = yield self.mariadb(ROOT, "DROP USER 'rt'@'%'", statement)
        self.assertEqual(code, 0, err)
        after = self.accounts.directory.get(user.accountName)
        self.assertIsNotNone(after)
        self.assertEqual(
            (after.plugin, after.authString), (before.plugin, before.authString)
        )

        out, err, code = yield self.mariadb(user, "SELECT CURRENT_USER()")
        self.assertEqual(
            realclients.parseMariaDBOutput(out, err, code),
            {"ok": True, "rows": [[user.currentUser]]},
        )

    def test_cachingSHA2Password(self):
        """
        A caching_sha2_password account (its hash holds a raw 20-byte salt,
        shown as a hex literal) survives the round trip.
        """
        return self.roundTrip("caching_sha2_password")

    def test_nativePassword(self):
        """
        A mysql_native_password account (a printable hash, shown as a
        quoted string) survives the round trip.
        """
        return self.roundTrip("mysql_native_password")

    def test_sha256Password(self):
        """
        A sha256_password account survives the round trip.
        """
        return self.roundTrip("sha256_password")

    def mariadbLogin(self, name: str, password: str) -> defer.Deferred:
        """
        Log in over plain TCP (no TLS: caching_sha2_password full
        authentication uses RSA) and read C{CURRENT_USER()}.
        """
        args = [
            "--protocol=tcp",
            "--host=127.0.0.1",
            f"--port={self.port}",
            "--skip-ssl",
            "--user=" + name,
            "--execute=SELECT CURRENT_USER()",
        ]
        d = realclients.runMariaDB(args, password)
        return d.addCallback(lambda r: realclients.parseMariaDBOutput(*r))

    @defer.inlineCallbacks
    def test_passwordChangeEmptiesCache(self):
        """
        After C{ALTER USER ... IDENTIFIED BY}, the old password no longer
        logs in, not even through the cached digest of the fast path; the
        new one does. C{DROP USER} then refuses both.
        """
        user = User("cc", "caching_sha2_password", "old-Secret")
        out, err, code = yield self.mariadb(
            ROOT,
            "CREATE USER 'cc'@'%' IDENTIFIED WITH caching_sha2_password"
            " BY 'old-Secret'",
        )
        self.assertEqual(code, 0, err)
        for i in range(2):
            result = yield self.mariadbLogin("cc", "old-Secret")
            self.assertLoggedInAs(result, user)
        self.assertEqual(self.stepsOf(user), [FULL_AUTHENTICATION, FAST_PATH])

        out, err, code = yield self.mariadb(
            ROOT, "ALTER USER 'cc'@'%' IDENTIFIED BY 'new-Secret'"
        )
        self.assertEqual(code, 0, err)
        self.assertIsNone(self.factory.config.sha2Cache.get(user.accountName))
        result = yield self.mariadbLogin("cc", "old-Secret")
        self.assertRefused(result, 1045, "28000", denied("cc"))
        result = yield self.mariadbLogin("cc", "new-Secret")
        self.assertLoggedInAs(result, user)
        self.assertIsNotNone(self.factory.config.sha2Cache.get(user.accountName))

        out, err, code = yield self.mariadb(ROOT, "DROP USER 'cc'@'%'")
        self.assertEqual(code, 0, err)
        self.assertIsNone(self.factory.config.sha2Cache.get(user.accountName))
        for password in ("old-Secret", "new-Secret"):
            result = yield self.mariadbLogin("cc", password)
            self.assertRefused(result, 1045, "28000", denied("cc"))

    @defer.inlineCallbacks
    def test_flushPrivilegesEmptiesCache(self):
        """
        C{FLUSH PRIVILEGES} empties the cache: the next login does full
        authentication again.
        """
        result = yield self.mariadbLogin(ROOT.name, ROOT.password)
        self.assertLoggedInAs(result, ROOT)
        self.assertIsNotNone(self.factory.config.sha2Cache.get(ROOT.accountName))
        out, err, code = yield self.mariadb(ROOT, "FLUSH PRIVILEGES")
        self.assertEqual(code, 0, err)
        self.assertIsNone(self.factory.config.sha2Cache.get(ROOT.accountName))
        result = yield self.mariadbLogin(ROOT.name, ROOT.password)
        self.assertLoggedInAs(result, ROOT)
        steps = self.stepsOf(ROOT)
        self.assertEqual(steps[0], FULL_AUTHENTICATION)
        self.assertEqual(steps[-1], FULL_AUTHENTICATION)


# -- the same tests on the ports of serverEndpoint ------------------------------


class PromptPortsMariaDBCLITests(MariaDBCLITests):
    """
    L{MariaDBCLITests} on L{PromptTCPPort} and L{PromptUNIXPort}.
    """

    promptPorts = True


class PromptPortsPyMySQLTests(PyMySQLTests):
    """
    L{PyMySQLTests} on L{PromptTCPPort} and L{PromptUNIXPort}.
    """

    promptPorts = True


class PromptPortsTLSUnderLoadTests(TLSUnderLoadTests):
    """
    L{TLSUnderLoadTests} on L{PromptTCPPort}.
    """

    promptPorts = True


class PromptPortsBadInputTests(BadInputTests):
    """
    L{BadInputTests} on L{PromptTCPPort} and L{PromptUNIXPort}.
    """

    promptPorts = True


class PromptPortsSecureTransportTests(SecureTransportTests):
    """
    L{SecureTransportTests} on L{PromptTCPPort} and L{PromptUNIXPort}.
    """

    promptPorts = True
