# Copyright (c) twisted_mysqlauth developers.
# See LICENSE for details.
"""
Tests for the decoy account of unknown users
(L{twisted_mysqlauth.server.ServerConfiguration.decoyAccount}): an unknown
user name must do the same work, see the same packets and get the same
error as a real account with a wrong password.
"""

from __future__ import annotations

from cryptography.hazmat.primitives.asymmetric import rsa

from twisted.internet.address import IPv4Address
from twisted.internet.task import Clock
from twisted.trial.unittest import SynchronousTestCase

from twisted_mysqlauth import keys
from twisted_mysqlauth.accounts.directory import AccountManager
from twisted_mysqlauth.accounts.memory import InMemoryAccountStore
from twisted_mysqlauth.accounts.model import Account, AccountName, ClientAddress, PutAccount
from twisted_mysqlauth.auth import hashing
from twisted_mysqlauth.auth.registry import MethodRegistry
from twisted_mysqlauth.auth.cachingsha2 import theCachingSHA2PasswordMethod
from twisted_mysqlauth.auth.native import theNativePasswordMethod
from twisted_mysqlauth.auth.sha256 import theSHA256PasswordMethod
from twisted_mysqlauth.server import DECOY_METHODS, MySQLServerFactory
from twisted_mysqlauth.testing import (
    CLIENT_CAPABILITIES,
    MySQLTestClient,
    ServerError,
    connectedServerAndClient,
)
from twisted_mysqlauth.wire import constants as C
from twisted_mysqlauth.wire.codec import PacketDecoder
from twisted_mysqlauth.wire.types import PayloadReader

_keyPair = None


def rsaKeyPair():
    """
    One in-memory RSA key pair for the module (generating one is slow).
    """
    global _keyPair
    if _keyPair is None:
        _keyPair = keys.RSAKeyPair(rsa.generate_private_key(public_exponent=65537, key_size=2048))
    return _keyPair


LOCALHOST = IPv4Address("TCP", "127.0.0.1", 40000)
CLIENT = ClientAddress("localhost", "127.0.0.1")
WRONG = b"not the password"

#: A real account per password method.
REAL_USERS = {
    "caching_sha2_password": "realsha2",
    "mysql_native_password": "realnative",
    "sha256_password": "realsha256",
}

HASHERS = {
    "caching_sha2_password": hashing.cachingSHA2Hash,
    "mysql_native_password": hashing.nativeHash,
    "sha256_password": hashing.sha256PasswordHash,
}

#: The functions whose calls are the work of a login.
COUNTED = [
    "shaCrypt256",
    "checkNativeScramble",
    "nativeStage2",
    "verifySHA256Password",
    "verifyCachingSHA2",
    "checkCachingSHA2Scramble",
    "nativeHash",
    "cachingSHA2Hash",
    "sha256PasswordHash",
]


class NullSession:
    """
    A session that does nothing (no login should succeed here).
    """

    def __init__(self, avatar, connection):
        pass

    def commandReceived(self, command, payload):
        pass

    def connectionLost(self, reason):
        pass


class RecordingClient(MySQLTestClient):
    """
    A L{MySQLTestClient} that also keeps every packet the server sent, with
    its sequence id.
    """

    def __init__(self, *a, **kw):
        super().__init__(*a, **kw)
        self.received = []
        self._recorder = PacketDecoder(1 << 30)

    def dataReceived(self, data):
        for packet in self._recorder.feed(data):
            self.received.append((packet.sequenceId, packet.payload))
        super().dataReceived(data)


def packetKinds(received, user):
    """
    What the server sent during a login, without what differs between two
    logins by nature: the greeting (connection id and nonce) and the
    nonces of switches (only their length). The user name in an error is
    replaced by C{USER}.

    @return: a list of C{(sequenceId, kind, detail)}.
    """
    kinds = []
    for sequenceId, payload in received[1:]:
        marker = payload[:1]
        if marker == b"\xfe":
            reader = PayloadReader(payload, 1)
            plugin = reader.nulTerminated()
            kinds.append((sequenceId, "AuthSwitch", (plugin, len(reader.rest()))))
        elif marker == b"\x01":
            data = payload[1:]
            if data.startswith(b"-----BEGIN PUBLIC KEY-----"):
                data = "public key"
            kinds.append((sequenceId, "AuthMoreData", data))
        elif marker == b"\xff":
            kinds.append(
                (sequenceId, "ERR", payload.replace(b"'" + user + b"'@", b"'USER'@"))
            )
        else:
            kinds.append((sequenceId, "other", payload))
    return kinds


class DecoyMixin:
    """
    A server over an in-memory store with one account per password method,
    and counters on the expensive calls of a login.
    """

    def setUp(self):
        self.clock = Clock()
        self.accounts = AccountManager(InMemoryAccountStore())
        self.successResultOf(self.accounts.start())
        self.successResultOf(
            self.accounts.apply(
                [
                    PutAccount(
                        Account(
                            AccountName(user, "%"),
                            plugin,
                            HASHERS[plugin](b"pw-" + user.encode("ascii")),
                        )
                    )
                    for plugin, user in REAL_USERS.items()
                ]
            )
        )
        self.factory = self.makeFactory()
        self.counts = {}
        for name in COUNTED:
            self.patch(hashing, name, self.counting(name, getattr(hashing, name)))
        decrypt = keys.RSAKeyPair.decryptPassword

        def countingDecrypt(keyPair, *a, **kw):
            self.counts["decryptPassword"] = self.counts.get("decryptPassword", 0) + 1
            return decrypt(keyPair, *a, **kw)

        self.patch(keys.RSAKeyPair, "decryptPassword", countingDecrypt)

    def counting(self, name, function):
        """
        Wrap C{function} to count its calls under C{name}.
        """

        def wrapper(*a, **kw):
            self.counts[name] = self.counts.get(name, 0) + 1
            return function(*a, **kw)

        return wrapper

    def makeFactory(self, **options):
        options.setdefault("defaultPlugin", "caching_sha2_password")
        options.setdefault("rsaKeyPair", rsaKeyPair())
        return MySQLServerFactory.forAccounts(
            self.accounts, self.clock, sessionFactory=NullSession, **options
        )

    def login(self, user, password=WRONG, factory=None, **kw):
        """
        Log in on iosim, counting the work done.

        @return: C{(client, server, result, counts)}.
        """
        self.counts = {}
        client = RecordingClient(user, password, **kw)
        c, server, pump = connectedServerAndClient(
            factory or self.factory, client, peerAddress=LOCALHOST, clock=self.clock
        )
        pump.flush()
        results = []
        client.loggedIn.addBoth(results.append)
        self.assertEqual(len(results), 1, "login did not finish")
        return client, server, results[0], dict(self.counts)

    def decoyName(self, plugin, factory=None, canSwitch=True):
        """
        A user name that matches no account and whose decoy uses
        C{plugin}.
        """
        config = (factory or self.factory).config
        for index in range(500):
            name = f"nobody{index}"
            if config.decoyAccount(name, CLIENT, canSwitch).plugin == plugin:
                return name
        self.fail(f"no decoy name for {plugin}")

    def assertSameLogin(self, unknown, real, unknownUser, realUser):
        """
        Two logins did the same work, saw the same packets, and got the
        same error but for the user name.
        """
        uClient, uServer, uResult, uCounts = unknown
        rClient, rServer, rResult, rCounts = real
        self.assertIsInstance(getattr(uResult, "value", None), ServerError, uResult)
        self.assertIsInstance(getattr(rResult, "value", None), ServerError, rResult)
        self.assertFalse(uServer.attempt.knownUser)
        self.assertTrue(rServer.attempt.knownUser)
        self.assertEqual(uServer.attempt.account.plugin, rServer.attempt.account.plugin)
        self.assertEqual(uCounts, rCounts)
        self.assertEqual(
            packetKinds(uClient.received, unknownUser.encode("ascii")),
            packetKinds(rClient.received, realUser.encode("ascii")),
        )
        self.assertEqual(uClient.trace.switchedTo, rClient.trace.switchedTo)
        uError, rError = uResult.value, rResult.value
        self.assertEqual((uError.errorCode, uError.sqlState), (1045, "28000"))
        self.assertEqual(
            uError.message.replace(f"'{unknownUser}'@", "'USER'@"),
            rError.message.replace(f"'{realUser}'@", "'USER'@"),
        )
        self.assertIn(f"'{unknownUser}'@'localhost'", uError.message)


class DecoyWorkTests(DecoyMixin, SynchronousTestCase):
    """
    For each method a decoy can use, an unknown user name logs in exactly
    like a real account of that method with a wrong password.
    """

    def compare(self, plugin, password=WRONG, **kw):
        name = self.decoyName(plugin)
        realUser = REAL_USERS[plugin]
        unknown = self.login(name.encode("ascii"), password, **kw)
        real = self.login(realUser.encode("ascii"), password, **kw)
        self.assertSameLogin(unknown, real, name, realUser)
        return unknown, real

    def test_cachingSHA2(self):
        """
        caching_sha2_password: the fast path misses, full authentication
        with the RSA key, one SHA-crypt, the same 1045.
        """
        unknown, real = self.compare("caching_sha2_password")
        counts = unknown[3]
        self.assertEqual(counts.get("shaCrypt256"), 1)
        self.assertEqual(counts.get("decryptPassword"), 1)
        self.assertEqual(unknown[0].trace.moreData[0], b"\x04")

    def test_native(self):
        """
        mysql_native_password: a switch with the greeting's nonce, one
        scramble check, the same 1045.
        """
        unknown, real = self.compare("mysql_native_password")
        counts = unknown[3]
        self.assertEqual(counts.get("checkNativeScramble"), 1)
        self.assertNotIn("shaCrypt256", counts)
        self.assertEqual(unknown[0].trace.switchedTo, ["mysql_native_password"])

    def test_sha256(self):
        """
        sha256_password: a switch, the key request, one RSA decryption and
        one SHA-crypt, the same 1045.
        """
        unknown, real = self.compare("sha256_password")
        counts = unknown[3]
        self.assertEqual(counts.get("shaCrypt256"), 1)
        self.assertEqual(counts.get("verifySHA256Password"), 1)
        self.assertEqual(counts.get("decryptPassword"), 1)
        self.assertEqual(unknown[0].trace.switchedTo, ["sha256_password"])

    def test_emptyPassword(self):
        """
        With no password, the unknown user and the real account also do
        the same (and get "using password: NO").
        """
        for plugin in DECOY_METHODS:
            unknown, real = self.compare(plugin, b"")
            self.assertIn("(using password: NO)", unknown[2].value.message)

    def test_nativeGreeting(self):
        """
        With mysql_native_password greeting, each decoy method still
        behaves as the real account.
        """
        self.factory = self.makeFactory(defaultPlugin="mysql_native_password")
        for plugin in DECOY_METHODS:
            self.compare(plugin)

    def test_cachedRealAccount(self):
        """
        A caching_sha2 account whose digest is cached (someone logged in
        before) and a decoy both end in full authentication with one
        SHA-crypt and one RSA decryption.
        """
        realUser = REAL_USERS["caching_sha2_password"]
        client, server, result, counts = self.login(
            realUser.encode("ascii"), b"pw-" + realUser.encode("ascii")
        )
        self.assertFalse(isinstance(getattr(result, "value", None), Exception), result)
        name = self.decoyName("caching_sha2_password")
        unknown = self.login(name.encode("ascii"))
        real = self.login(realUser.encode("ascii"))
        for login in (unknown, real):
            self.assertEqual(login[3].get("shaCrypt256"), 1)
            self.assertEqual(login[3].get("decryptPassword"), 1)
            self.assertEqual(login[0].trace.moreData[0], b"\x04")


class FirstDecoyTests(DecoyMixin, SynchronousTestCase):
    """
    The very first unknown user of a fresh server costs no more than a
    wrong password: the decoy's secret hash is not made during that login.
    """

    def freshServer(self, plugin):
        """
        A new server whose only decoy method is C{plugin}, so its first
        unknown user gets that method without asking it beforehand.
        """
        method = {
            "caching_sha2_password": theCachingSHA2PasswordMethod,
            "mysql_native_password": theNativePasswordMethod,
            "sha256_password": theSHA256PasswordMethod,
        }[plugin]
        return self.makeFactory(methods=MethodRegistry([method]), defaultPlugin=plugin)

    def firstDecoy(self, plugin):
        factory = self.freshServer(plugin)
        unknown = self.login(b"firstprobe", factory=factory)
        self.assertEqual(unknown[1].attempt.account.plugin, plugin)
        real = self.login(REAL_USERS[plugin].encode("ascii"), factory=factory)
        self.assertSameLogin(unknown, real, "firstprobe", REAL_USERS[plugin])

    def test_cachingSHA2(self):
        """
        caching_sha2_password: the first decoy login does one SHA-crypt, as
        a wrong password does.
        """
        self.firstDecoy("caching_sha2_password")

    def test_native(self):
        """
        mysql_native_password: the first decoy login hashes nothing more
        than a wrong password.
        """
        self.firstDecoy("mysql_native_password")

    def test_sha256(self):
        """
        sha256_password: the first decoy login does one SHA-crypt, as a
        wrong password does.
        """
        self.firstDecoy("sha256_password")


class DecoyChoiceTests(SynchronousTestCase):
    """
    Which method the decoy of a user name uses.
    """

    def setUp(self):
        self.clock = Clock()
        self.accounts = AccountManager(InMemoryAccountStore())
        self.successResultOf(self.accounts.start())
        # One account, so that clients from localhost may connect at all.
        self.successResultOf(
            self.accounts.apply(
                [PutAccount(Account(AccountName("someone", "%"), "mysql_native_password", b""))]
            )
        )

    def makeFactory(self, **options):
        options.setdefault("rsaKeyPair", rsaKeyPair())
        return MySQLServerFactory.forAccounts(
            self.accounts, self.clock, sessionFactory=NullSession, **options
        )

    def test_stablePerName(self):
        """
        A name gets the same decoy method every time on one server, from
        any client address.
        """
        config = self.makeFactory().config
        other = ClientAddress(None, "192.0.2.7")
        for index in range(50):
            name = f"user{index}"
            first = config.decoyAccount(name, CLIENT, True).plugin
            self.assertEqual(config.decoyAccount(name, CLIENT, True).plugin, first)
            self.assertEqual(config.decoyAccount(name, other, True).plugin, first)

    def test_allMethodsAppear(self):
        """
        Over many names every decoy method appears, and nothing else.
        """
        config = self.makeFactory().config
        plugins = {config.decoyAccount(f"user{i}", CLIENT, True).plugin for i in range(300)}
        self.assertEqual(plugins, set(DECOY_METHODS))

    def test_differsBetweenServers(self):
        """
        The choice is keyed per server: two servers do not map every name
        alike (it cannot be computed from the name alone).
        """
        first = self.makeFactory().config
        second = self.makeFactory().config
        names = [f"user{i}" for i in range(100)]
        self.assertNotEqual(
            [first.decoyAccount(n, CLIENT, True).plugin for n in names],
            [second.decoyAccount(n, CLIENT, True).plugin for n in names],
        )

    def test_decoyAccount(self):
        """
        The decoy is named after the user name and the client's host, is
        not locked, and its string is a valid hash of its method that
        verifies neither an empty nor a guessed password.
        """
        config = self.makeFactory().config
        for index in range(30):
            account = config.decoyAccount(f"user{index}", CLIENT, True)
            self.assertEqual(account.name, AccountName(f"user{index}", "localhost"))
            self.assertFalse(account.locked)
            method = config.methods.get(account.plugin)
            self.assertTrue(account.authString)
            self.assertEqual(method.checkAuthString(account.authString), account.authString)
            for guess in (b"", b"password", f"user{index}".encode("ascii")):
                self.assertFalse(method.verifyPassword(account.authString, guess))

    def test_noSwitchSameChoice(self):
        """
        Whether the client can switch methods does not change the decoy's
        method: the choice reveals nothing about the client or the name.
        """
        config = self.makeFactory().config
        for index in range(100):
            name = f"user{index}"
            self.assertEqual(
                config.decoyAccount(name, CLIENT, False).plugin,
                config.decoyAccount(name, CLIENT, True).plugin,
            )

    def test_noSwitchOnTheWire(self):
        """
        On a client without CLIENT_PLUGIN_AUTH an unknown user gets what a
        real account of its decoy's method gets: 1251 for caching_sha2 and
        sha256 decoys, 1045 after a native check for native ones.
        """
        factory = self.makeFactory()
        config = factory.config
        names = {}
        for index in range(300):
            name = f"user{index}"
            names.setdefault(config.decoyAccount(name, CLIENT, True).plugin, name)
        self.assertEqual(set(names), set(DECOY_METHODS))
        caps = CLIENT_CAPABILITIES & ~C.CLIENT_PLUGIN_AUTH
        for plugin, name in names.items():
            client = MySQLTestClient(
                name.encode("ascii"), WRONG, capabilities=caps, plugin="mysql_native_password"
            )
            c, server, pump = connectedServerAndClient(
                factory, client, peerAddress=LOCALHOST, clock=self.clock
            )
            pump.flush()
            results = []
            client.loggedIn.addBoth(results.append)
            error = results[0].value
            self.assertIsInstance(error, ServerError)
            if plugin == "mysql_native_password":
                self.assertEqual(
                    (error.errorCode, error.message),
                    (1045, f"Access denied for user '{name}'@'localhost' (using password: YES)"),
                )
            else:
                self.assertEqual(error.errorCode, 1251)
            self.assertEqual(client.trace.switchedTo, [])
