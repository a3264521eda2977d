# Copyright (c) twisted_mysqlauth developers.
# See LICENSE for details.
"""
Tests for L{twisted_mysqlauth.checkers} and L{twisted_mysqlauth.credentials}:
the L{AccountPasswordChecker} over every kind of credentials, on its own
and behind a real L{twisted.cred.portal.Portal}.
"""

from __future__ import annotations

import hmac

from zope.interface import implementer
from zope.interface.verify import verifyObject

from twisted.cred.checkers import ICredentialsChecker
from twisted.cred.credentials import ICredentials, IUsernamePassword
from twisted.cred.error import UnauthorizedLogin
from twisted.cred.portal import IRealm, Portal
from twisted.internet import defer
from twisted.trial.unittest import SynchronousTestCase

from twisted_mysqlauth.accounts.model import Account, AccountName, ClientAddress
from twisted_mysqlauth.auth import hashing
from twisted_mysqlauth.auth.base import LoginAttempt
from twisted_mysqlauth.auth.cachingsha2 import (
    FastDigestCache,
    theCachingSHA2PasswordMethod,
)
from twisted_mysqlauth.auth.native import theNativePasswordMethod
from twisted_mysqlauth.auth.registry import MethodRegistry
from twisted_mysqlauth.auth.sha256 import theSHA256PasswordMethod
from twisted_mysqlauth.checkers import AccountPasswordChecker
from twisted_mysqlauth.credentials import (
    AccountPassword,
    CachingSHA2Scramble,
    IAccountCredentials,
    IAccountPassword,
    ICachingSHA2Scramble,
    INativePasswordResponse,
    NativePasswordResponse,
)
from twisted_mysqlauth.interfaces import IAuthMethod, IMySQLAvatar
from twisted_mysqlauth.realm import MySQLRealm

NONCE = bytes(range(1, 21))
OTHER_NONCE = bytes(range(21, 41))

# Stored strings are computed once: SHA-crypt takes a few milliseconds.
NATIVE_PW = b"native secret"
SHA2_PW = b"sha2 secret"
SHA256_PW = b"sha256 secret"
NATIVE_HASH = hashing.nativeHash(NATIVE_PW)
SHA2_HASH = hashing.cachingSHA2Hash(SHA2_PW)
SHA256_HASH = hashing.sha256PasswordHash(SHA256_PW)


def makeAccount(user, plugin, authString=b"", host="%", **kw):
    """
    An account row.
    """
    return Account(AccountName(user, host), plugin, authString, **kw)


NATIVE = makeAccount("nat", "mysql_native_password", NATIVE_HASH)
NATIVE_LOWER = makeAccount(
    "natlower", "mysql_native_password", b"*" + NATIVE_HASH[1:].lower()
)
NATIVE_EMPTY = makeAccount("natempty", "mysql_native_password", b"")
NATIVE_MALFORMED = makeAccount("natbad", "mysql_native_password", b"*" + b"G" * 40)
NATIVE_SHORT = makeAccount("natshort", "mysql_native_password", NATIVE_HASH[:-1])
# A caching_sha2 account whose string happens to be a native hash of the
# password: a native scramble must still not log it in.
NOT_NATIVE = makeAccount("notnative", "caching_sha2_password", NATIVE_HASH)
SHA2 = makeAccount("sha2", "caching_sha2_password", SHA2_HASH)
SHA2_LOCAL = makeAccount("sha2", "caching_sha2_password", SHA2_HASH, host="localhost")
SHA2_EMPTY = makeAccount("sha2empty", "caching_sha2_password", b"")
SHA256 = makeAccount("sha256", "sha256_password", SHA256_HASH)
SHA256_EMPTY = makeAccount("sha256empty", "sha256_password", b"")
# A method that is not loaded, with a string that a loaded method would
# accept: never fall back to another method.
GHOST = makeAccount("ghost", "no_such_plugin", NATIVE_HASH)


def userOf(account):
    """
    The user name bytes a client sends for C{account}.
    """
    return account.user.encode("utf-8")


def native(account, password, nonce=NONCE):
    """
    Native credentials for C{account} made by a client that knows
    C{password}.
    """
    return NativePasswordResponse(
        userOf(account), account, nonce, hashing.nativeScramble(password, nonce)
    )


def nativeRaw(account, response, nonce=NONCE):
    """
    Native credentials carrying exactly C{response}.
    """
    return NativePasswordResponse(userOf(account), account, nonce, response)


def scramble(account, password, nonce=NONCE):
    """
    caching_sha2 fast-path credentials for C{account} from C{password}.
    """
    return CachingSHA2Scramble(
        userOf(account), account, nonce, hashing.cachingSHA2Scramble(password, nonce)
    )


def cleartext(account, password):
    """
    Cleartext password credentials for C{account}.
    """
    return AccountPassword(userOf(account), account, password)


def allMethods():
    """
    A registry with the three built-in password methods.
    """
    return MethodRegistry(
        [theNativePasswordMethod, theCachingSHA2PasswordMethod, theSHA256PasswordMethod]
    )


class CheckersMixin:
    """
    Check that every good credential gives the expected avatar id and every
    bad one L{UnauthorizedLogin} (in the style of
    L{twisted.cred.test.test_cred.CheckersMixin}).

    Subclasses define L{getCheckers}, L{getGoodCredentials} and
    L{getBadCredentials}.
    """

    def getCheckers(self):
        """
        @return: the checkers to try.
        """
        raise NotImplementedError()

    def getGoodCredentials(self):
        """
        @return: C{(description, credentials, avatarId)} triples.
        """
        raise NotImplementedError()

    def getBadCredentials(self):
        """
        @return: C{(description, credentials)} pairs.
        """
        raise NotImplementedError()

    def test_positive(self):
        """
        Every good credential is accepted with its avatar id.
        """
        for checker in self.getCheckers():
            for description, credentials, avatarId in self.getGoodCredentials():
                d = defer.maybeDeferred(checker.requestAvatarId, credentials)
                result = self.successResultOf(d)
                self.assertEqual(result, avatarId, description)
                self.assertIsInstance(result, bytes, description)

    def test_negative(self):
        """
        Every bad credential is refused with L{UnauthorizedLogin}.
        """
        for checker in self.getCheckers():
            for description, credentials in self.getBadCredentials():
                d = defer.maybeDeferred(checker.requestAvatarId, credentials)
                results = []
                d.addBoth(results.append)
                self.assertEqual(len(results), 1, description)
                if not (
                    hasattr(results[0], "check") and results[0].check(UnauthorizedLogin)
                ):
                    self.fail(f"{description}: not refused: {results[0]!r}")


class AccountPasswordCheckerTests(CheckersMixin, SynchronousTestCase):
    """
    L{AccountPasswordChecker} over native scrambles, caching_sha2 scrambles
    and cleartext passwords for each password method.
    """

    def setUp(self):
        self.cache = FastDigestCache()
        self.cache.put(SHA2.name, hashing.cachingSHA2FastDigest(SHA2_PW))
        self.checker = AccountPasswordChecker(allMethods(), self.cache)

    def getCheckers(self):
        return [self.checker]

    def getGoodCredentials(self):
        return [
            ("native, right scramble", native(NATIVE, NATIVE_PW), b"nat"),
            (
                "native, right scramble over another nonce",
                native(NATIVE, NATIVE_PW, OTHER_NONCE),
                b"nat",
            ),
            (
                "native, lower-case hex in the stored hash",
                native(NATIVE_LOWER, NATIVE_PW),
                b"natlower",
            ),
            ("native, empty response, empty string", nativeRaw(NATIVE_EMPTY, b""), b"natempty"),
            ("caching_sha2 scramble, cached", scramble(SHA2, SHA2_PW), b"sha2"),
            (
                "caching_sha2 scramble, cached, other nonce",
                scramble(SHA2, SHA2_PW, OTHER_NONCE),
                b"sha2",
            ),
            ("native cleartext", cleartext(NATIVE, NATIVE_PW), b"nat"),
            ("native empty cleartext, empty string", cleartext(NATIVE_EMPTY, b""), b"natempty"),
            ("caching_sha2 cleartext", cleartext(SHA2, SHA2_PW), b"sha2"),
            ("caching_sha2 empty cleartext, empty string", cleartext(SHA2_EMPTY, b""), b"sha2empty"),
            ("sha256 cleartext", cleartext(SHA256, SHA256_PW), b"sha256"),
            ("sha256 empty cleartext, empty string", cleartext(SHA256_EMPTY, b""), b"sha256empty"),
        ]

    def getBadCredentials(self):
        return [
            ("native, wrong password", native(NATIVE, b"wrong")),
            ("native, right password, other nonce", nativeRaw(
                NATIVE, hashing.nativeScramble(NATIVE_PW, OTHER_NONCE), NONCE
            )),
            ("native, empty response, account has a password", nativeRaw(NATIVE, b"")),
            ("native, 20 zero bytes", nativeRaw(NATIVE, b"\x00" * 20)),
            ("native, short response", nativeRaw(NATIVE, hashing.nativeScramble(NATIVE_PW, NONCE)[:19])),
            ("native, response for an empty string account", native(NATIVE_EMPTY, b"x")),
            ("native, 20 zero bytes for an empty string account", nativeRaw(NATIVE_EMPTY, b"\x00" * 20)),
            ("native, malformed stored hash", native(NATIVE_MALFORMED, NATIVE_PW)),
            ("native, malformed stored hash, empty response", nativeRaw(NATIVE_MALFORMED, b"")),
            ("native, truncated stored hash", native(NATIVE_SHORT, NATIVE_PW)),
            ("native scramble for a caching_sha2 account", native(NOT_NATIVE, NATIVE_PW)),
            (
                "native empty response for a caching_sha2 account without password",
                nativeRaw(SHA2_EMPTY, b""),
            ),
            ("native scramble for an unloaded method", native(GHOST, NATIVE_PW)),
            ("caching_sha2 scramble, cached, wrong password", scramble(SHA2, b"wrong")),
            ("caching_sha2 scramble, not cached", scramble(SHA256, SHA256_PW)),
            (
                "caching_sha2 scramble, cached under another account",
                scramble(SHA2_LOCAL, SHA2_PW),
            ),
            (
                "caching_sha2 scramble, truncated",
                CachingSHA2Scramble(
                    b"sha2", SHA2, NONCE, hashing.cachingSHA2Scramble(SHA2_PW, NONCE)[:31]
                ),
            ),
            ("native cleartext, wrong", cleartext(NATIVE, b"wrong")),
            ("native cleartext, empty, account has a password", cleartext(NATIVE, b"")),
            ("native cleartext, non-empty, empty string", cleartext(NATIVE_EMPTY, b"x")),
            ("native cleartext, malformed stored hash", cleartext(NATIVE_MALFORMED, NATIVE_PW)),
            ("caching_sha2 cleartext, wrong", cleartext(SHA2, b"wrong")),
            ("caching_sha2 cleartext, prefix", cleartext(SHA2, SHA2_PW[:-1])),
            ("caching_sha2 cleartext, empty, account has a password", cleartext(SHA2, b"")),
            ("caching_sha2 cleartext, non-empty, empty string", cleartext(SHA2_EMPTY, b"x")),
            ("sha256 cleartext, wrong", cleartext(SHA256, b"wrong")),
            ("sha256 cleartext, empty, account has a password", cleartext(SHA256, b"")),
            ("sha256 cleartext, non-empty, empty string", cleartext(SHA256_EMPTY, b"x")),
            ("cleartext for an unloaded method", cleartext(GHOST, NATIVE_PW)),
            (
                "cleartext for an unloaded method, empty string",
                cleartext(makeAccount("ghost2", "no_such_plugin", b""), b""),
            ),
        ]

    def test_verifyObject(self):
        """
        L{AccountPasswordChecker} provides L{ICredentialsChecker} and lists
        the three credential interfaces it checks.
        """
        self.assertTrue(verifyObject(ICredentialsChecker, self.checker))
        self.assertEqual(
            set(self.checker.credentialInterfaces),
            {INativePasswordResponse, ICachingSHA2Scramble, IAccountPassword},
        )

    def test_otherCredentialsRefused(self):
        """
        Credentials of a kind the checker does not know are refused, even
        if they carry a matching password and account.
        """

        @implementer(IUsernamePassword)
        class Other:
            username = b"nat"
            password = NATIVE_PW
            account = NATIVE

            def checkPassword(self, password):
                return True

        self.failureResultOf(
            defer.maybeDeferred(self.checker.requestAvatarId, Other()), UnauthorizedLogin
        )

    def test_unloadedMethodRefused(self):
        """
        A cleartext password for an account whose method is not in the
        registry is refused, though the method exists and the password is
        right.
        """
        checker = AccountPasswordChecker(
            MethodRegistry([theNativePasswordMethod, theCachingSHA2PasswordMethod]),
            FastDigestCache(),
        )
        self.failureResultOf(
            defer.maybeDeferred(checker.requestAvatarId, cleartext(SHA256, SHA256_PW)),
            UnauthorizedLogin,
        )
        self.assertEqual(
            self.successResultOf(
                defer.maybeDeferred(checker.requestAvatarId, cleartext(NATIVE, NATIVE_PW))
            ),
            b"nat",
        )

    def test_notAPasswordMethodRefused(self):
        """
        A loaded method that is not an L{IPasswordMethod} cannot verify a
        cleartext password, even one whose C{verifyPassword} would say yes.
        """

        @implementer(IAuthMethod)
        class Permissive:
            pluginName = "permissive"
            clientPluginName = None
            aliases = ()
            requiresSecureTransport = False
            passwordUsed = False

            def newExchange(self, context):
                raise NotImplementedError()

            def hashPassword(self, password):
                return b""

            def checkAuthString(self, authString):
                return authString

            def verifyPassword(self, authString, password):
                return True

        checker = AccountPasswordChecker(MethodRegistry([Permissive()]), FastDigestCache())
        credentials = cleartext(makeAccount("p", "permissive", b"x"), b"anything")
        self.failureResultOf(
            defer.maybeDeferred(checker.requestAvatarId, credentials), UnauthorizedLogin
        )

    def test_avatarIdIsTheUserName(self):
        """
        The avatar id is the user name the client sent, as bytes, exactly
        (here not ASCII), not the account name.
        """
        account = makeAccount("j\u00fcrgen", "mysql_native_password", NATIVE_HASH)
        credentials = NativePasswordResponse(
            "j\u00fcrgen".encode("utf-8"),
            account,
            NONCE,
            hashing.nativeScramble(NATIVE_PW, NONCE),
        )
        result = self.successResultOf(
            defer.maybeDeferred(self.checker.requestAvatarId, credentials)
        )
        self.assertEqual(result, b"j\xc3\xbcrgen")


class CacheFillTests(SynchronousTestCase):
    """
    The fast-digest cache is filled after a successful cleartext check of a
    caching_sha2 account, and only then.
    """

    def setUp(self):
        self.cache = FastDigestCache()
        self.checker = AccountPasswordChecker(allMethods(), self.cache)

    def check(self, credentials):
        return defer.maybeDeferred(self.checker.requestAvatarId, credentials)

    def test_filledOnSuccess(self):
        """
        A right cleartext password for a caching_sha2 account caches
        C{SHA256(SHA256(password))} under the account name, and a scramble
        of the password then passes the fast path.
        """
        self.assertEqual(self.successResultOf(self.check(cleartext(SHA2, SHA2_PW))), b"sha2")
        self.assertEqual(self.cache.get(SHA2.name), hashing.cachingSHA2FastDigest(SHA2_PW))
        self.assertEqual(len(self.cache), 1)
        self.assertEqual(self.successResultOf(self.check(scramble(SHA2, SHA2_PW))), b"sha2")

    def test_notFilledOnFailure(self):
        """
        A wrong cleartext password leaves the cache as it was: empty, or
        with the digest of the right password.
        """
        self.failureResultOf(self.check(cleartext(SHA2, b"wrong")), UnauthorizedLogin)
        self.assertEqual(len(self.cache), 0)
        self.assertIsNone(self.cache.get(SHA2.name))
        self.successResultOf(self.check(cleartext(SHA2, SHA2_PW)))
        self.failureResultOf(self.check(cleartext(SHA2, b"wrong")), UnauthorizedLogin)
        self.assertEqual(self.cache.get(SHA2.name), hashing.cachingSHA2FastDigest(SHA2_PW))

    def test_notFilledForOtherMethods(self):
        """
        Right passwords for native and sha256 accounts do not touch the
        cache.
        """
        self.successResultOf(self.check(cleartext(NATIVE, NATIVE_PW)))
        self.successResultOf(self.check(cleartext(SHA256, SHA256_PW)))
        self.successResultOf(self.check(native(NATIVE, NATIVE_PW)))
        self.assertEqual(len(self.cache), 0)

    def test_scrambleWithoutCacheEntry(self):
        """
        A right scramble for an account without a cache entry is refused
        (the exchange then asks for full authentication), and fills nothing.
        """
        self.failureResultOf(self.check(scramble(SHA2, SHA2_PW)), UnauthorizedLogin)
        self.assertEqual(len(self.cache), 0)


class CompareDigestTests(SynchronousTestCase):
    """
    Secrets are compared with L{hmac.compare_digest}: replacing it decides
    every outcome.
    """

    def setUp(self):
        self.cache = FastDigestCache()
        self.cache.put(SHA2.name, hashing.cachingSHA2FastDigest(SHA2_PW))
        self.checker = AccountPasswordChecker(allMethods(), self.cache)
        self.calls = []

    def patchCompare(self, answer):
        """
        Replace L{hmac.compare_digest} by a recorder answering C{answer}.
        """

        def compare(a, b):
            self.calls.append((a, b))
            return answer

        self.patch(hmac, "compare_digest", compare)

    def goodCredentials(self):
        return [
            native(NATIVE, NATIVE_PW),
            nativeRaw(NATIVE_EMPTY, b""),
            scramble(SHA2, SHA2_PW),
            cleartext(NATIVE, NATIVE_PW),
            cleartext(SHA2, SHA2_PW),
            cleartext(SHA256, SHA256_PW),
        ]

    def test_refusingCompareRefusesAll(self):
        """
        When L{hmac.compare_digest} says the values differ, every right
        credential is refused, and each check called it.
        """
        self.patchCompare(False)
        for credentials in self.goodCredentials():
            del self.calls[:]
            self.failureResultOf(
                defer.maybeDeferred(self.checker.requestAvatarId, credentials),
                UnauthorizedLogin,
            )
            self.assertTrue(self.calls, repr(credentials))

    def test_compareDecides(self):
        """
        When L{hmac.compare_digest} says the values are equal, wrong
        credentials get in: nothing else compares the secrets.
        """
        self.patchCompare(True)
        for credentials in [
            native(NATIVE, b"wrong"),
            scramble(SHA2, b"wrong"),
            cleartext(NATIVE, b"wrong"),
            cleartext(SHA2, b"wrong"),
            cleartext(SHA256, b"wrong"),
        ]:
            del self.calls[:]
            self.successResultOf(defer.maybeDeferred(self.checker.requestAvatarId, credentials))
            self.assertTrue(self.calls, repr(credentials))

    def test_emptyNativeCompared(self):
        """
        An empty native response for an account without a password is
        compared with L{hmac.compare_digest} against C{b""}.
        """
        self.patchCompare(True)
        self.successResultOf(
            defer.maybeDeferred(self.checker.requestAvatarId, nativeRaw(NATIVE_EMPTY, b""))
        )
        self.assertEqual(self.calls, [(b"", b"")])

    def test_accountPasswordCheckPassword(self):
        """
        L{AccountPassword.checkPassword} compares with
        L{hmac.compare_digest}.
        """
        credentials = cleartext(SHA2, SHA2_PW)
        self.assertTrue(credentials.checkPassword(SHA2_PW))
        self.assertFalse(credentials.checkPassword(b"wrong"))
        self.patchCompare(False)
        self.assertFalse(credentials.checkPassword(SHA2_PW))
        self.assertEqual(self.calls, [(SHA2_PW, SHA2_PW)])


@implementer(IRealm)
class RecordingRealm:
    """
    A realm that records the avatar ids it is asked for.
    """

    def __init__(self):
        self.avatarIds = []

    def requestAvatar(self, avatarId, mind, *interfaces):
        self.avatarIds.append(avatarId)
        return interfaces[0], object(), lambda: None


class PortalTests(SynchronousTestCase):
    """
    The checker behind a real L{Portal}.
    """

    def setUp(self):
        self.cache = FastDigestCache()
        self.checker = AccountPasswordChecker(allMethods(), self.cache)

    def attemptFor(self, account):
        return LoginAttempt(
            connectionId=1,
            client=ClientAddress("localhost", "127.0.0.1"),
            handshakeNonce=NONCE,
            secure=False,
            tls=False,
            server=None,
            username=account.user,
            account=account,
            knownUser=True,
        )

    def test_portalRegistersEveryInterface(self):
        """
        Registering the checker makes the portal accept the three kinds of
        credentials.
        """
        portal = Portal(RecordingRealm(), [self.checker])
        self.assertEqual(
            set(portal.listCredentialsInterfaces()),
            {INativePasswordResponse, ICachingSHA2Scramble, IAccountPassword},
        )

    def test_avatarIdThroughPortal(self):
        """
        For each kind of credentials, the portal hands the realm the user
        name bytes the checker answered.
        """
        realm = RecordingRealm()
        portal = Portal(realm, [self.checker])
        self.cache.put(SHA2.name, hashing.cachingSHA2FastDigest(SHA2_PW))
        for credentials in [
            native(NATIVE, NATIVE_PW),
            scramble(SHA2, SHA2_PW),
            cleartext(SHA256, SHA256_PW),
        ]:
            self.successResultOf(
                portal.login(credentials, self.attemptFor(credentials.account), IMySQLAvatar)
            )
        self.assertEqual(realm.avatarIds, [b"nat", b"sha2", b"sha256"])

    def test_refusedThroughPortal(self):
        """
        Wrong credentials fail the portal login with L{UnauthorizedLogin}
        and never reach the realm.
        """
        realm = RecordingRealm()
        portal = Portal(realm, [self.checker])
        for credentials in [
            native(NATIVE, b"wrong"),
            scramble(SHA2, SHA2_PW),
            cleartext(SHA256, b"wrong"),
        ]:
            self.failureResultOf(
                portal.login(credentials, self.attemptFor(credentials.account), IMySQLAvatar),
                UnauthorizedLogin,
            )
        self.assertEqual(realm.avatarIds, [])

    def test_withMySQLRealm(self):
        """
        With L{MySQLRealm}, a right password gives the avatar of the
        account.
        """
        portal = Portal(MySQLRealm(), [self.checker])
        interface, avatar, logout = self.successResultOf(
            portal.login(cleartext(NATIVE, NATIVE_PW), self.attemptFor(NATIVE), IMySQLAvatar)
        )
        self.assertIs(interface, IMySQLAvatar)
        self.assertEqual(avatar.user, "nat")
        self.assertIs(avatar.account, NATIVE)


class CredentialsTests(SynchronousTestCase):
    """
    The credential classes provide their interfaces and never show a
    secret in their C{repr}.
    """

    def test_nativeInterfaces(self):
        """
        L{NativePasswordResponse} provides L{INativePasswordResponse} (and
        so L{IAccountCredentials} and L{ICredentials}).
        """
        credentials = native(NATIVE, NATIVE_PW)
        for interface in (INativePasswordResponse, IAccountCredentials, ICredentials):
            self.assertTrue(verifyObject(interface, credentials))
        self.assertFalse(ICachingSHA2Scramble.providedBy(credentials))
        self.assertFalse(IAccountPassword.providedBy(credentials))

    def test_nativeCheckStage2(self):
        """
        L{NativePasswordResponse.checkStage2} accepts the stage-2 digest of
        the password the scramble was made from, and no other.
        """
        credentials = native(NATIVE, NATIVE_PW)
        self.assertTrue(credentials.checkStage2(hashing.nativeStage2(NATIVE_HASH)))
        self.assertFalse(
            credentials.checkStage2(hashing.nativeStage2(hashing.nativeHash(b"other")))
        )

    def test_scrambleInterfaces(self):
        """
        L{CachingSHA2Scramble} provides L{ICachingSHA2Scramble}.
        """
        credentials = scramble(SHA2, SHA2_PW)
        for interface in (ICachingSHA2Scramble, IAccountCredentials, ICredentials):
            self.assertTrue(verifyObject(interface, credentials))
        self.assertFalse(INativePasswordResponse.providedBy(credentials))
        self.assertFalse(IAccountPassword.providedBy(credentials))

    def test_scrambleCheckFastDigest(self):
        """
        L{CachingSHA2Scramble.checkFastDigest} accepts the digest of the
        password the scramble was made from, and no other.
        """
        credentials = scramble(SHA2, SHA2_PW)
        self.assertTrue(credentials.checkFastDigest(hashing.cachingSHA2FastDigest(SHA2_PW)))
        self.assertFalse(credentials.checkFastDigest(hashing.cachingSHA2FastDigest(b"x")))

    def test_accountPasswordInterfaces(self):
        """
        L{AccountPassword} provides L{IAccountPassword} and
        L{IUsernamePassword}.
        """
        credentials = cleartext(SHA2, SHA2_PW)
        for interface in (IAccountPassword, IUsernamePassword, IAccountCredentials, ICredentials):
            self.assertTrue(verifyObject(interface, credentials))
        self.assertFalse(INativePasswordResponse.providedBy(credentials))
        self.assertFalse(ICachingSHA2Scramble.providedBy(credentials))

    def test_accountPasswordRepr(self):
        """
        The C{repr} and C{str} of L{AccountPassword} name the account but
        never show the password.
        """
        credentials = AccountPassword(b"sha2", SHA2, b"Tr0ub4dor&3")
        for text in (repr(credentials), str(credentials)):
            self.assertNotIn("Tr0ub4dor", text)
            self.assertNotIn("b'Tr0ub4dor&3'", text)
            self.assertIn("sha2", text)

    def test_scrambleReprs(self):
        """
        The C{repr} of the scramble credentials shows neither the response
        nor the nonce, in any spelling.
        """
        for credentials in (native(NATIVE, NATIVE_PW), scramble(SHA2, SHA2_PW)):
            secret = getattr(credentials, "response", None) or credentials.scramble
            for text in (repr(credentials), str(credentials)):
                self.assertNotIn(repr(secret), text)
                self.assertNotIn(secret.hex(), text)
                self.assertNotIn(secret.hex().upper(), text)
                self.assertNotIn(repr(NONCE), text)
