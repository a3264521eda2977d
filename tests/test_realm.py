# Copyright (c) twisted_mysqlauth developers.
# See LICENSE for details.
"""
Tests for L{twisted_mysqlauth.realm}: L{MySQLRealm} builds the avatar of a
login from the checker's identity and the L{LoginAttempt} (the mind).
"""

from __future__ import annotations

from zope.interface import Interface, implementer
from zope.interface.verify import verifyObject

from twisted.cred.checkers import ICredentialsChecker
from twisted.cred.error import LoginDenied, LoginFailed, UnauthorizedLogin
from twisted.cred.portal import IRealm, Portal
from twisted.internet import defer
from twisted.trial.unittest import SynchronousTestCase

from twisted_mysqlauth import errors
from twisted_mysqlauth.accounts.directory import AccountManager
from twisted_mysqlauth.accounts.memory import InMemoryAccountStore
from twisted_mysqlauth.accounts.model import (
    Account,
    AccountName,
    ClientAddress,
    ProxyGrant,
    PutAccount,
    PutProxyGrant,
)
from twisted_mysqlauth.auth.base import LoginAttempt, LoginRefusedWith
from twisted_mysqlauth.credentials import IAccountPassword
from twisted_mysqlauth.interfaces import IMySQLAvatar
from twisted_mysqlauth.realm import MySQLAvatar, MySQLRealm

LOCALHOST = ClientAddress("localhost", "127.0.0.1")
REMOTE = ClientAddress(None, "192.0.2.7")


def makeAttempt(
    username="alice",
    account=None,
    knownUser=True,
    client=LOCALHOST,
    secure=False,
    tls=False,
):
    """
    A login attempt after the handshake response, for C{account} (by
    default C{'alice'@'%'}).
    """
    if account is None:
        account = Account(AccountName("alice", "%"), "mysql_native_password", b"")
    return LoginAttempt(
        connectionId=7,
        client=client,
        handshakeNonce=b"n" * 20,
        secure=secure,
        tls=tls,
        server=None,
        username=username,
        account=account,
        knownUser=knownUser,
    )


class IOther(Interface):
    """
    An interface the realm does not provide.
    """


class MySQLRealmTests(SynchronousTestCase):
    """
    L{MySQLRealm.requestAvatar}.
    """

    def setUp(self):
        self.realm = MySQLRealm()

    def test_verifyObject(self):
        """
        L{MySQLRealm} provides L{IRealm}.
        """
        self.assertTrue(verifyObject(IRealm, self.realm))

    def test_avatar(self):
        """
        The realm answers C{(IMySQLAvatar, avatar, logout)}; the avatar has
        the user name the client sent, its host, the matched account and the
        transport's security; no proxy or external user.
        """
        attempt = makeAttempt()
        interface, avatar, logout = self.realm.requestAvatar(b"alice", attempt, IMySQLAvatar)
        self.assertIs(interface, IMySQLAvatar)
        self.assertTrue(verifyObject(IMySQLAvatar, avatar))
        self.assertIsInstance(avatar, MySQLAvatar)
        self.assertEqual(avatar.user, "alice")
        self.assertEqual(avatar.clientHost, "localhost")
        self.assertIs(avatar.account, attempt.account)
        self.assertFalse(avatar.secure)
        self.assertIsNone(avatar.proxyUser)
        self.assertIsNone(avatar.externalUser)
        self.assertIsNone(logout())

    def test_secure(self):
        """
        The avatar's C{secure} is the attempt's.
        """
        avatar = self.realm.requestAvatar(
            b"alice", makeAttempt(secure=True, tls=True), IMySQLAvatar
        )[1]
        self.assertTrue(avatar.secure)

    def test_passwordUsed(self):
        """
        The avatar's C{passwordUsed} is the attempt's (for the "using
        password" of a refused statement).
        """
        attempt = makeAttempt()
        self.assertFalse(self.realm.requestAvatar(b"alice", attempt, IMySQLAvatar)[1].passwordUsed)
        attempt.passwordUsed = True
        self.assertTrue(self.realm.requestAvatar(b"alice", attempt, IMySQLAvatar)[1].passwordUsed)

    def test_clientHostIsIP(self):
        """
        A client without a host name is shown by its IP address.
        """
        avatar = self.realm.requestAvatar(b"alice", makeAttempt(client=REMOTE), IMySQLAvatar)[1]
        self.assertEqual(avatar.clientHost, "192.0.2.7")
        self.assertEqual(avatar.userAtHost, "alice@192.0.2.7")

    def test_anonymousAccount(self):
        """
        A user name matched by the anonymous account: the checker answers
        the account's user name (empty, MySQL's initial authenticated_as),
        the avatar's user is the name the client sent, its account the
        anonymous one.
        """
        anonymous = Account(AccountName("", "%"), "mysql_native_password", b"")
        avatar = self.realm.requestAvatar(
            b"", makeAttempt(username="bob", account=anonymous), IMySQLAvatar
        )[1]
        self.assertEqual(avatar.user, "bob")
        self.assertEqual(avatar.userAtHost, "bob@localhost")
        self.assertEqual(avatar.currentUser, "@%")

    def test_nonASCIIUser(self):
        """
        The avatar id is compared with the UTF-8 bytes of the user name.
        """
        account = Account(AccountName("j\u00fcrgen", "%"), "mysql_native_password", b"")
        avatar = self.realm.requestAvatar(
            "j\u00fcrgen".encode("utf-8"),
            makeAttempt(username="j\u00fcrgen", account=account),
            IMySQLAvatar,
        )[1]
        self.assertEqual(avatar.user, "j\u00fcrgen")

    def test_otherInterfacesFirst(self):
        """
        When L{IMySQLAvatar} is among several interfaces asked for, the
        avatar is given for it.
        """
        interface, avatar, logout = self.realm.requestAvatar(
            b"alice", makeAttempt(), IOther, IMySQLAvatar
        )
        self.assertIs(interface, IMySQLAvatar)
        self.assertTrue(verifyObject(IMySQLAvatar, avatar))

    def test_otherInterface(self):
        """
        Any other interface alone: L{NotImplementedError}.
        """
        self.assertRaises(
            NotImplementedError, self.realm.requestAvatar, b"alice", makeAttempt(), IOther
        )
        self.assertRaises(NotImplementedError, self.realm.requestAvatar, b"alice", makeAttempt())

    def test_decoyFailsClosed(self):
        """
        A decoy account (unknown user) is refused even when a checker said
        yes.
        """
        attempt = makeAttempt(knownUser=False)
        self.assertRaises(LoginDenied, self.realm.requestAvatar, b"alice", attempt, IMySQLAvatar)

    def test_lockedDecoyNotLocked(self):
        """
        A decoy is refused as a decoy, never with the account-locked error
        (that would tell that the account exists).
        """
        locked = Account(AccountName("alice", "%"), "mysql_native_password", b"", locked=True)
        attempt = makeAttempt(account=locked, knownUser=False)
        error = self.assertRaises(
            LoginFailed, self.realm.requestAvatar, b"alice", attempt, IMySQLAvatar
        )
        self.assertNotIsInstance(error, LoginRefusedWith)

    def test_noAccount(self):
        """
        An attempt without an account (the handshake response never came)
        is refused.
        """
        attempt = makeAttempt()
        attempt.account = None
        self.assertRaises(LoginDenied, self.realm.requestAvatar, b"alice", attempt, IMySQLAvatar)

    def test_otherAvatarId(self):
        """
        An identity other than the user name the client sent is a proxy
        request, refused here; a different case is a different name.
        """
        for avatarId in (b"root", b"Alice", b"alice ", b""):
            self.assertRaises(
                LoginDenied, self.realm.requestAvatar, avatarId, makeAttempt(), IMySQLAvatar
            )

    def test_noGrantLogged(self):
        """
        Right credentials refused for want of a PROXY grant: the log says so
        (the client only sees 1045).
        """
        from twisted.logger import formatEvent, globalLogPublisher

        events: list = []
        globalLogPublisher.addObserver(events.append)
        self.addCleanup(globalLogPublisher.removeObserver, events.append)
        from types import SimpleNamespace

        directory = SimpleNamespace(proxyGrantsFor=lambda name: [], get=lambda name: None)
        realm = MySQLRealm(SimpleNamespace(directory=directory))
        self.assertRaises(LoginDenied, realm.requestAvatar, b"root", makeAttempt(), IMySQLAvatar)
        texts = [formatEvent(e) for e in events]
        self.assertTrue(any("authenticated as 'root'" in t and "no PROXY grant" in t for t in texts), texts)

    def test_locked(self):
        """
        A locked account is refused after the credentials with MySQL's
        3118 error, naming the user the client sent and its host.
        """
        account = Account(
            AccountName("alice", "%"), "mysql_native_password", b"", locked=True
        )
        failure = self.assertRaises(
            LoginRefusedWith,
            self.realm.requestAvatar,
            b"alice",
            makeAttempt(account=account, client=REMOTE),
            IMySQLAvatar,
        )
        self.assertIsInstance(failure, LoginFailed)
        self.assertNotIsInstance(failure, UnauthorizedLogin)
        error = failure.error
        self.assertIsInstance(error, errors.AccountLocked)
        self.assertEqual(error.errorCode, 3118)
        self.assertEqual(error.sqlState, "HY000")
        self.assertEqual(
            error.message, "Access denied for user 'alice'@'192.0.2.7'. Account is locked."
        )


class MySQLAvatarTests(SynchronousTestCase):
    """
    L{MySQLAvatar}'s C{USER()} and C{CURRENT_USER()}.
    """

    def test_userAtHost(self):
        """
        C{userAtHost} is the name the client sent at the client's host.
        """
        account = Account(AccountName("alice", "%.example.com"), "mysql_native_password")
        avatar = MySQLAvatar(user="alice", clientHost="db.example.com", account=account)
        self.assertEqual(avatar.userAtHost, "alice@db.example.com")

    def test_currentUser(self):
        """
        C{currentUser} is the account's user and host pattern.
        """
        account = Account(AccountName("alice", "%.example.com"), "mysql_native_password")
        avatar = MySQLAvatar(user="alice", clientHost="db.example.com", account=account)
        self.assertEqual(avatar.currentUser, "alice@%.example.com")

    def test_verifyObject(self):
        """
        L{MySQLAvatar} provides L{IMySQLAvatar}; its defaults are no proxy,
        no external user, not secure.
        """
        account = Account(AccountName("alice", "%"), "mysql_native_password")
        avatar = MySQLAvatar(user="alice", clientHost="localhost", account=account)
        self.assertTrue(verifyObject(IMySQLAvatar, avatar))
        self.assertIsNone(avatar.proxyUser)
        self.assertIsNone(avatar.externalUser)
        self.assertFalse(avatar.secure)


@implementer(ICredentialsChecker)
class YesChecker:
    """
    A checker that accepts anything, answering a fixed avatar id.
    """

    credentialInterfaces = (IAccountPassword,)

    def __init__(self, avatarId):
        self.avatarId = avatarId

    def requestAvatarId(self, credentials):
        return defer.succeed(self.avatarId)


@implementer(IAccountPassword)
class FakePassword:
    """
    Minimal password credentials.
    """

    username = b"alice"
    password = b"pw"
    account = None

    def checkPassword(self, password):
        return password == self.password


class RealmPortalTests(SynchronousTestCase):
    """
    The realm's refusals reach the caller of L{Portal.login}.
    """

    def login(self, avatarId, attempt):
        portal = Portal(MySQLRealm(), [YesChecker(avatarId)])
        return portal.login(FakePassword(), attempt, IMySQLAvatar)

    def test_decoyThroughPortal(self):
        """
        A checker that wrongly accepts a decoy does not log anybody in.
        """
        self.failureResultOf(self.login(b"alice", makeAttempt(knownUser=False)), LoginDenied)

    def test_lockedThroughPortal(self):
        """
        The locked-account refusal reaches the caller with its error.
        """
        account = Account(AccountName("alice", "%"), "mysql_native_password", locked=True)
        failure = self.failureResultOf(
            self.login(b"alice", makeAttempt(account=account)), LoginRefusedWith
        )
        self.assertEqual(failure.value.error.errorCode, 3118)

    def test_proxyThroughPortal(self):
        """
        Another identity than the user name is refused.
        """
        self.failureResultOf(self.login(b"root", makeAttempt()), LoginDenied)

    def test_successThroughPortal(self):
        """
        The matching identity gives the avatar.
        """
        interface, avatar, logout = self.successResultOf(self.login(b"alice", makeAttempt()))
        self.assertEqual(avatar.userAtHost, "alice@localhost")


class LockAndProxyOrderTests(SynchronousTestCase):
    """
    MySQL resolves a proxy request before it checks ACCOUNT LOCK (reference
    section 19: proxy resolution is step 5, the lock step 9), and checks the
    lock on the proxy account.
    """

    def setUp(self):
        self.accounts = AccountManager(InMemoryAccountStore())
        self.successResultOf(self.accounts.start())
        self.locked = Account(
            AccountName("alice", "%"), "mysql_native_password", b"", locked=True
        )
        self.target = Account(AccountName("target", "%"), "mysql_native_password", b"")
        self.successResultOf(
            self.accounts.apply(
                [
                    PutAccount(self.locked),
                    PutAccount(self.target),
                    PutProxyGrant(ProxyGrant(self.locked.name, self.target.name)),
                ]
            )
        )
        self.realm = MySQLRealm(self.accounts)

    def test_refusedProxyBeforeLock(self):
        """
        A locked account that asks to proxy to an identity it has no PROXY
        grant for is refused as a failed proxy (1045 in MySQL), not as a
        locked account (3118).
        """
        attempt = makeAttempt(account=self.locked)
        error = self.assertRaises(
            LoginFailed, self.realm.requestAvatar, b"root", attempt, IMySQLAvatar
        )
        self.assertNotIsInstance(error, LoginRefusedWith)

    def test_grantedProxyLockedProxyAccount(self):
        """
        A locked proxy account with a PROXY grant is refused with 3118: the
        lock applies to the account that authenticated.
        """
        attempt = makeAttempt(account=self.locked)
        failure = self.assertRaises(
            LoginRefusedWith, self.realm.requestAvatar, b"target", attempt, IMySQLAvatar
        )
        self.assertEqual(failure.error.errorCode, 3118)
