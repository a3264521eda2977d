# Copyright (c) twisted_mysqlauth developers.
# See LICENSE for details.
"""
Tests for the password methods in L{twisted_mysqlauth.auth}: each exchange
is driven step by step with no transport, and the methods' hashing,
verification and validation of stored strings are checked.
"""

from __future__ import annotations

from cryptography.hazmat.primitives.asymmetric import rsa
from zope.interface.verify import verifyObject

from twisted.cred.error import LoginDenied, UnauthorizedLogin
from twisted.internet import defer
from twisted.plugin import IPlugin
from twisted.python.failure import Failure
from twisted.trial.unittest import SynchronousTestCase

from twisted_mysqlauth import errors, keys
from twisted_mysqlauth.accounts.directory import AccountManager
from twisted_mysqlauth.accounts.memory import InMemoryAccountStore
from twisted_mysqlauth.accounts.model import (
    Account,
    AccountName,
    ClientAddress,
    DeleteAccount,
    DeleteProxyGrant,
    ProxyGrant,
    PutAccount,
    PutProxyGrant,
)
from twisted_mysqlauth.auth import hashing
from twisted_mysqlauth.auth.base import (
    LoginAttempt,
    MalformedResponse,
    SendMoreData,
    TryLogin,
)
from twisted_mysqlauth.auth.cachingsha2 import (
    CachingSHA2Exchange,
    CachingSHA2PasswordMethod,
    FastDigestCache,
    theCachingSHA2PasswordMethod,
)
from twisted_mysqlauth.auth.native import (
    NativePasswordExchange,
    NativePasswordMethod,
    theNativePasswordMethod,
)
from twisted_mysqlauth.auth.sha256 import (
    SHA256PasswordExchange,
    SHA256PasswordMethod,
    theSHA256PasswordMethod,
)
from twisted_mysqlauth.credentials import (
    AccountPassword,
    CachingSHA2Scramble,
    NativePasswordResponse,
)
from twisted_mysqlauth.interfaces import IAuthExchange, IAuthMethod, IPasswordMethod

_keyPair = None


def rsaKeyPair():
    """
    One in-memory RSA key pair for the module (generating one is slow).
    """
    global _keyPair
    if _keyPair is None:
        _keyPair = keys.RSAKeyPair(rsa.generate_private_key(public_exponent=65537, key_size=2048))
    return _keyPair


class FakeServer:
    """
    The part of L{twisted_mysqlauth.server.ServerConfiguration} the
    exchanges read.
    """

    def __init__(self, rsaKeyPair=None):
        self.rsaKeyPair = rsaKeyPair


HANDSHAKE_NONCE = bytes(range(0x41, 0x55))
PASSWORD = b"correct horse"


def makeAttempt(account, secure=False, tls=False, keys=True, username=None):
    """
    A L{LoginAttempt} after the handshake response, for C{account}.
    """
    return LoginAttempt(
        connectionId=1,
        client=ClientAddress("localhost", "127.0.0.1"),
        handshakeNonce=HANDSHAKE_NONCE,
        secure=secure,
        tls=tls,
        server=FakeServer(rsaKeyPair() if keys else None),
        username=username if username is not None else account.user,
        account=account,
        knownUser=True,
    )


def greetingExchange(factory, account, **kw):
    """
    An exchange made at connect (no account yet), as for the method that
    greets, then given the account as the handshake response does.
    """
    attempt = makeAttempt(account, **kw)
    attempt.account = None
    attempt.username = None
    exchange = factory(attempt)
    attempt.username = account.user
    attempt.account = account
    return attempt, exchange


NATIVE = Account(AccountName("nat", "%"), "mysql_native_password", hashing.nativeHash(PASSWORD))
SHA2 = Account(AccountName("sha2", "%"), "caching_sha2_password", b"")
SHA256 = Account(AccountName("sha256", "%"), "sha256_password", b"")


def unauthorized():
    """
    The failure a checker's refusal gives.
    """
    return Failure(UnauthorizedLogin())


class NativeExchangeTests(SynchronousTestCase):
    """
    L{NativePasswordExchange}.
    """

    def setUp(self):
        self.attempt = makeAttempt(NATIVE)
        self.exchange = theNativePasswordMethod.newExchange(self.attempt)

    def test_verifyObject(self):
        """
        The exchange provides L{IAuthExchange}.
        """
        self.assertIsInstance(self.exchange, NativePasswordExchange)
        self.assertTrue(verifyObject(IAuthExchange, self.exchange))

    def test_initialData(self):
        """
        The data is the greeting's nonce and a NUL, at connect and after
        a switch alike.
        """
        self.assertEqual(self.exchange.initialData(), HANDSHAKE_NONCE + b"\x00")
        attempt, exchange = greetingExchange(NativePasswordExchange, NATIVE)
        self.assertEqual(exchange.initialData(), HANDSHAKE_NONCE + b"\x00")

    def test_scramble(self):
        """
        A 20-byte response gives native credentials over the greeting's
        nonce for the attempt's user and account, and marks the password as
        used.
        """
        response = hashing.nativeScramble(PASSWORD, HANDSHAKE_NONCE)
        step = self.exchange.responseReceived(response)
        self.assertIsInstance(step, TryLogin)
        credentials = step.credentials
        self.assertIsInstance(credentials, NativePasswordResponse)
        self.assertEqual(credentials.username, b"nat")
        self.assertIs(credentials.account, NATIVE)
        self.assertEqual(credentials.nonce, HANDSHAKE_NONCE)
        self.assertEqual(credentials.response, response)
        self.assertTrue(credentials.checkStage2(hashing.nativeStage2(NATIVE.authString)))
        self.assertTrue(self.attempt.passwordUsed)

    def test_empty(self):
        """
        An empty response gives credentials with an empty response, and the
        password is not marked as used.
        """
        step = self.exchange.responseReceived(b"")
        self.assertIsInstance(step, TryLogin)
        self.assertEqual(step.credentials.response, b"")
        self.assertFalse(self.attempt.passwordUsed)

    def test_otherLengths(self):
        """
        Any other length is a malformed response that MySQL answers with
        1043 Bad handshake.
        """
        for length in (1, 19, 21, 32, 255):
            exchange = theNativePasswordMethod.newExchange(makeAttempt(NATIVE))
            error = self.assertRaises(
                MalformedResponse, exchange.responseReceived, b"x" * length
            )
            self.assertTrue(error.handshakeError, length)
            self.assertIsInstance(error, UnauthorizedLogin)

    def test_loginFailed(self):
        """
        A refusal is final: the reason is handed back.
        """
        self.exchange.responseReceived(b"x" * 20)
        reason = unauthorized()
        self.assertIs(self.exchange.loginFailed(reason), reason)

    def test_loginSucceeded(self):
        """
        Nothing is sent before the OK.
        """
        self.exchange.responseReceived(b"x" * 20)
        self.assertIsNone(self.exchange.loginSucceeded())


class CachingSHA2ExchangeTests(SynchronousTestCase):
    """
    L{CachingSHA2Exchange}: the fast path, then full authentication over a
    secure transport or with RSA.
    """

    def exchangeFor(self, **kw):
        attempt = makeAttempt(SHA2, **kw)
        return attempt, theCachingSHA2PasswordMethod.newExchange(attempt)

    def fastFail(self, exchange):
        """
        Send a scramble, have the checker refuse it, and check that full
        authentication is requested.
        """
        step = exchange.responseReceived(hashing.cachingSHA2Scramble(PASSWORD, exchange.nonce))
        self.assertIsInstance(step, TryLogin)
        self.assertEqual(exchange.loginFailed(unauthorized()), SendMoreData(b"\x04"))

    def test_verifyObject(self):
        """
        The exchange provides L{IAuthExchange}.
        """
        attempt, exchange = self.exchangeFor()
        self.assertIsInstance(exchange, CachingSHA2Exchange)
        self.assertTrue(verifyObject(IAuthExchange, exchange))

    def test_greetingUsesHandshakeNonce(self):
        """
        The exchange that greets (made before the account is known) uses
        the greeting's nonce.
        """
        attempt, exchange = greetingExchange(CachingSHA2Exchange, SHA2)
        self.assertEqual(exchange.initialData(), HANDSHAKE_NONCE + b"\x00")
        step = exchange.responseReceived(hashing.cachingSHA2Scramble(PASSWORD, HANDSHAKE_NONCE))
        self.assertEqual(step.credentials.nonce, HANDSHAKE_NONCE)

    def test_switchedToFreshNonce(self):
        """
        An exchange switched to (made once the account is known) has a fresh
        20-byte nonce in MySQL's alphabet, different each time.
        """
        attempt, exchange = self.exchangeFor()
        data = exchange.initialData()
        self.assertEqual(len(data), 21)
        self.assertEqual(data[20:], b"\x00")
        self.assertNotEqual(data[:20], HANDSHAKE_NONCE)
        self.assertTrue(all(0 < b < 0x80 and b != 0x24 for b in data[:20]))
        attempt, other = self.exchangeFor()
        self.assertNotEqual(other.initialData(), data)

    def test_scramble(self):
        """
        A 32-byte scramble gives caching_sha2 credentials over the
        exchange's nonce, and marks the password as used.
        """
        attempt, exchange = self.exchangeFor()
        nonce = exchange.initialData()[:20]
        data = hashing.cachingSHA2Scramble(PASSWORD, nonce)
        step = exchange.responseReceived(data)
        self.assertIsInstance(step, TryLogin)
        credentials = step.credentials
        self.assertIsInstance(credentials, CachingSHA2Scramble)
        self.assertEqual(credentials.username, b"sha2")
        self.assertIs(credentials.account, SHA2)
        self.assertEqual(credentials.nonce, nonce)
        self.assertEqual(credentials.scramble, data)
        self.assertTrue(credentials.checkFastDigest(hashing.cachingSHA2FastDigest(PASSWORD)))
        self.assertTrue(attempt.passwordUsed)

    def test_wrongScrambleLength(self):
        """
        A scramble that is not 32 bytes is refused as an access denial
        (1045 "using password: YES"), not as a bad handshake.
        """
        for length in (1, 20, 31, 33):
            attempt, exchange = self.exchangeFor()
            error = self.assertRaises(MalformedResponse, exchange.responseReceived, b"x" * length)
            self.assertFalse(error.handshakeError)
            self.assertTrue(attempt.passwordUsed)

    def test_emptyPassword(self):
        """
        An empty response (or a single NUL) is an empty password: cleartext
        credentials with C{b""}, password not used, no fast-auth byte after
        success.
        """
        for data in (b"", b"\x00"):
            attempt, exchange = self.exchangeFor()
            step = exchange.responseReceived(data)
            self.assertIsInstance(step, TryLogin)
            self.assertIsInstance(step.credentials, AccountPassword)
            self.assertEqual(step.credentials.password, b"")
            self.assertFalse(attempt.passwordUsed)
            self.assertIsNone(exchange.loginSucceeded())

    def test_emptyPasswordRefusedIsFinal(self):
        """
        A refused empty password does not go to full authentication.
        """
        attempt, exchange = self.exchangeFor()
        exchange.responseReceived(b"")
        reason = unauthorized()
        self.assertIs(exchange.loginFailed(reason), reason)

    def test_fastSuccess(self):
        """
        After a fast-path success the server sends 0x03 before the OK.
        """
        attempt, exchange = self.exchangeFor()
        exchange.responseReceived(hashing.cachingSHA2Scramble(PASSWORD, exchange.nonce))
        self.assertEqual(exchange.loginSucceeded(), b"\x03")

    def test_fastRefusalOnlyForUnauthorized(self):
        """
        A failure that is not a credentials refusal after the fast try (for
        example the realm's) is final, not a request for full
        authentication.
        """
        attempt, exchange = self.exchangeFor()
        exchange.responseReceived(hashing.cachingSHA2Scramble(PASSWORD, exchange.nonce))
        reason = Failure(LoginDenied())
        self.assertIs(exchange.loginFailed(reason), reason)

    def test_secureFullAuthentication(self):
        """
        Over a secure transport full authentication takes the cleartext
        password; its NUL terminator is dropped; no 0x03 after success.
        """
        attempt, exchange = self.exchangeFor(secure=True)
        self.fastFail(exchange)
        step = exchange.responseReceived(PASSWORD + b"\x00")
        self.assertIsInstance(step, TryLogin)
        credentials = step.credentials
        self.assertIsInstance(credentials, AccountPassword)
        self.assertEqual(credentials.password, PASSWORD)
        self.assertEqual(credentials.username, b"sha2")
        self.assertIs(credentials.account, SHA2)
        self.assertIsNone(exchange.loginSucceeded())
        self.assertTrue(attempt.passwordUsed)

    def test_secureWithoutKeys(self):
        """
        Over a secure transport no RSA keys are needed.
        """
        attempt, exchange = self.exchangeFor(secure=True, keys=False)
        self.fastFail(exchange)
        self.assertEqual(
            exchange.responseReceived(PASSWORD + b"\x00").credentials.password, PASSWORD
        )

    def test_secureEmptyFullPassword(self):
        """
        An empty password in full authentication is refused.
        """
        attempt, exchange = self.exchangeFor(secure=True)
        self.fastFail(exchange)
        self.assertRaises(UnauthorizedLogin, exchange.responseReceived, b"\x00")

    def test_secureFullRefusalIsFinal(self):
        """
        A refused full authentication is final, and a further packet is a
        bad handshake.
        """
        attempt, exchange = self.exchangeFor(secure=True)
        self.fastFail(exchange)
        exchange.responseReceived(PASSWORD + b"\x00")
        reason = unauthorized()
        self.assertIs(exchange.loginFailed(reason), reason)
        error = self.assertRaises(MalformedResponse, exchange.responseReceived, b"again\x00")
        self.assertTrue(error.handshakeError)

    def test_insecureKeyRequest(self):
        """
        Over plain TCP, 0x02 asks for the public key: it is sent once, as
        SubjectPublicKeyInfo PEM.
        """
        attempt, exchange = self.exchangeFor()
        self.fastFail(exchange)
        step = exchange.responseReceived(b"\x02")
        self.assertEqual(step, SendMoreData(rsaKeyPair().publicKeyPEM))
        self.assertTrue(step.data.startswith(b"-----BEGIN PUBLIC KEY-----"))

    def test_insecureSecondKeyRequest(self):
        """
        A second 0x02 is not answered with the key again: it is taken as a
        ciphertext, of the wrong length, and refused.
        """
        attempt, exchange = self.exchangeFor()
        self.fastFail(exchange)
        exchange.responseReceived(b"\x02")
        self.assertRaises(UnauthorizedLogin, exchange.responseReceived, b"\x02")

    def test_insecureRSA(self):
        """
        The RSA-encrypted password, XORed with the exchange's own nonce,
        gives cleartext credentials with the password.
        """
        attempt, exchange = self.exchangeFor()
        self.fastFail(exchange)
        pem = exchange.responseReceived(b"\x02").data
        nonce = exchange.initialData()[:20]
        step = exchange.responseReceived(keys.encryptPassword(pem, PASSWORD, nonce))
        self.assertIsInstance(step, TryLogin)
        self.assertIsInstance(step.credentials, AccountPassword)
        self.assertEqual(step.credentials.password, PASSWORD)
        self.assertIsNone(exchange.loginSucceeded())
        self.assertTrue(attempt.passwordUsed)

    def test_insecureRSAGreetingNonce(self):
        """
        The exchange that greets decrypts with the greeting's nonce.
        """
        attempt, exchange = greetingExchange(CachingSHA2Exchange, SHA2)
        self.fastFail(exchange)
        ciphertext = keys.encryptPassword(rsaKeyPair().publicKeyPEM, PASSWORD, HANDSHAKE_NONCE)
        self.assertEqual(exchange.responseReceived(ciphertext).credentials.password, PASSWORD)

    def test_insecureRSAWithoutKeyRequest(self):
        """
        A client that already has the key may send the ciphertext at once.
        """
        attempt, exchange = self.exchangeFor()
        self.fastFail(exchange)
        ciphertext = keys.encryptPassword(rsaKeyPair().publicKeyPEM, PASSWORD, exchange.nonce)
        self.assertEqual(exchange.responseReceived(ciphertext).credentials.password, PASSWORD)

    def test_insecureWrongLength(self):
        """
        A ciphertext that is not as long as the modulus is refused.
        """
        attempt, exchange = self.exchangeFor()
        self.fastFail(exchange)
        ciphertext = keys.encryptPassword(rsaKeyPair().publicKeyPEM, PASSWORD, exchange.nonce)
        for data in (ciphertext[:-1], ciphertext + b"\x00", PASSWORD + b"\x00"):
            self.assertRaises(UnauthorizedLogin, exchange.responseReceived, data)

    def test_insecureUndecryptable(self):
        """
        Modulus-sized bytes that do not decrypt are refused.
        """
        attempt, exchange = self.exchangeFor()
        self.fastFail(exchange)
        self.assertRaises(
            UnauthorizedLogin, exchange.responseReceived, b"\x01" * rsaKeyPair().keySize
        )

    def test_insecureEmptyRSAPassword(self):
        """
        An RSA-encrypted empty password is refused.
        """
        attempt, exchange = self.exchangeFor()
        self.fastFail(exchange)
        ciphertext = keys.encryptPassword(rsaKeyPair().publicKeyPEM, b"", exchange.nonce)
        self.assertRaises(UnauthorizedLogin, exchange.responseReceived, ciphertext)

    def test_insecureCleartextRefused(self):
        """
        Over plain TCP the cleartext password is never accepted.
        """
        attempt, exchange = self.exchangeFor()
        self.fastFail(exchange)
        self.assertRaises(UnauthorizedLogin, exchange.responseReceived, PASSWORD + b"\x00")

    def test_insecureWithoutKeys(self):
        """
        Without RSA keys and without a secure transport, full
        authentication is refused, key request or not.
        """
        for data in (b"\x02", PASSWORD + b"\x00", b"x" * 256):
            attempt, exchange = self.exchangeFor(keys=False)
            self.fastFail(exchange)
            self.assertRaises(UnauthorizedLogin, exchange.responseReceived, data)

    def test_passwordNotUsedBeforeResponse(self):
        """
        Before any response, the password is not marked as used.
        """
        attempt, exchange = self.exchangeFor()
        self.assertFalse(attempt.passwordUsed)


class SHA256ExchangeTests(SynchronousTestCase):
    """
    L{SHA256PasswordExchange}: cleartext over TLS only, RSA otherwise.
    """

    def exchangeFor(self, **kw):
        attempt = makeAttempt(SHA256, **kw)
        return attempt, theSHA256PasswordMethod.newExchange(attempt)

    def test_verifyObject(self):
        """
        The exchange provides L{IAuthExchange}.
        """
        attempt, exchange = self.exchangeFor()
        self.assertIsInstance(exchange, SHA256PasswordExchange)
        self.assertTrue(verifyObject(IAuthExchange, exchange))

    def test_nonces(self):
        """
        The exchange that greets uses the greeting's nonce; one switched to
        a fresh one.
        """
        attempt, exchange = greetingExchange(SHA256PasswordExchange, SHA256)
        self.assertEqual(exchange.initialData(), HANDSHAKE_NONCE + b"\x00")
        attempt, exchange = self.exchangeFor()
        data = exchange.initialData()
        self.assertEqual((len(data), data[20:]), (21, b"\x00"))
        self.assertNotEqual(data[:20], HANDSHAKE_NONCE)

    def test_tlsCleartext(self):
        """
        Over TLS the response is the cleartext password and a NUL.
        """
        attempt, exchange = self.exchangeFor(secure=True, tls=True)
        step = exchange.responseReceived(PASSWORD + b"\x00")
        self.assertIsInstance(step, TryLogin)
        self.assertIsInstance(step.credentials, AccountPassword)
        self.assertEqual(step.credentials.password, PASSWORD)
        self.assertEqual(step.credentials.username, b"sha256")
        self.assertIs(step.credentials.account, SHA256)
        self.assertTrue(attempt.passwordUsed)
        self.assertIsNone(exchange.loginSucceeded())

    def test_socketIsNotSecure(self):
        """
        A UNIX socket (secure, not TLS) is not secure for sha256_password:
        the cleartext is refused (taken as a ciphertext of the wrong
        length), and 0x01 gets the public key.
        """
        attempt, exchange = self.exchangeFor(secure=True, tls=False)
        self.assertRaises(UnauthorizedLogin, exchange.responseReceived, PASSWORD + b"\x00")
        attempt, exchange = self.exchangeFor(secure=True, tls=False)
        self.assertEqual(
            exchange.responseReceived(b"\x01"), SendMoreData(rsaKeyPair().publicKeyPEM)
        )

    def test_keyRequestThenRSA(self):
        """
        Over plain TCP, 0x01 asks for the key and the RSA ciphertext (over
        the exchange's nonce) gives the password.
        """
        attempt, exchange = self.exchangeFor()
        step = exchange.responseReceived(b"\x01")
        self.assertEqual(step, SendMoreData(rsaKeyPair().publicKeyPEM))
        nonce = exchange.initialData()[:20]
        step = exchange.responseReceived(keys.encryptPassword(step.data, PASSWORD, nonce))
        self.assertIsInstance(step, TryLogin)
        self.assertEqual(step.credentials.password, PASSWORD)
        self.assertTrue(attempt.passwordUsed)

    def test_caching2KeyByteIsNotAKeyRequest(self):
        """
        0x02 (caching_sha2's request byte) is not a key request here.
        """
        attempt, exchange = self.exchangeFor()
        self.assertRaises(UnauthorizedLogin, exchange.responseReceived, b"\x02")

    def test_secondKeyRequest(self):
        """
        A second 0x01 does not get the key again.
        """
        attempt, exchange = self.exchangeFor()
        exchange.responseReceived(b"\x01")
        self.assertRaises(UnauthorizedLogin, exchange.responseReceived, b"\x01")

    def test_rsaAtOnce(self):
        """
        A client with the key sends the ciphertext as its first response.
        """
        attempt, exchange = self.exchangeFor()
        ciphertext = keys.encryptPassword(rsaKeyPair().publicKeyPEM, PASSWORD, exchange.nonce)
        self.assertEqual(exchange.responseReceived(ciphertext).credentials.password, PASSWORD)

    def test_empty(self):
        """
        An empty response or a single NUL is the empty password, over any
        transport; the password is not marked as used.
        """
        for data in (b"", b"\x00"):
            for kw in ({}, {"secure": True, "tls": True}, {"keys": False}):
                attempt, exchange = self.exchangeFor(**kw)
                step = exchange.responseReceived(data)
                self.assertIsInstance(step, TryLogin)
                self.assertEqual(step.credentials.password, b"")
                self.assertFalse(attempt.passwordUsed)

    def test_withoutKeys(self):
        """
        Without RSA keys and without TLS, a password cannot be sent.
        """
        for data in (b"\x01", b"x" * 256, PASSWORD + b"\x00"):
            attempt, exchange = self.exchangeFor(keys=False)
            self.assertRaises(UnauthorizedLogin, exchange.responseReceived, data)

    def test_wrongLengthAndUndecryptable(self):
        """
        Ciphertexts of the wrong length, or that do not decrypt, are
        refused.
        """
        for data in (b"x" * 255, b"x" * 257, b"\x01" * 256):
            attempt, exchange = self.exchangeFor()
            self.assertRaises(UnauthorizedLogin, exchange.responseReceived, data)

    def test_afterTryLogin(self):
        """
        After the credentials were handed over, a refusal is final and any
        further packet is a bad handshake.
        """
        attempt, exchange = self.exchangeFor(secure=True, tls=True)
        exchange.responseReceived(PASSWORD + b"\x00")
        reason = unauthorized()
        self.assertIs(exchange.loginFailed(reason), reason)
        error = self.assertRaises(MalformedResponse, exchange.responseReceived, b"x\x00")
        self.assertTrue(error.handshakeError)


class MethodTests(SynchronousTestCase):
    """
    The three password methods: interfaces, names, hashing, verification
    and validation of stored strings.
    """

    methods = [
        (theNativePasswordMethod, NativePasswordMethod, "mysql_native_password"),
        (theCachingSHA2PasswordMethod, CachingSHA2PasswordMethod, "caching_sha2_password"),
        (theSHA256PasswordMethod, SHA256PasswordMethod, "sha256_password"),
    ]

    def test_verifyObject(self):
        """
        Each method provides L{IPasswordMethod}, L{IAuthMethod} and
        L{IPlugin}, and is named as in MySQL, with the same client plugin
        name; none requires a secure transport and all report whether a
        password was used.
        """
        for method, cls, name in self.methods:
            self.assertIsInstance(method, cls)
            for interface in (IPasswordMethod, IAuthMethod, IPlugin):
                self.assertTrue(verifyObject(interface, method))
            self.assertEqual(method.pluginName, name)
            self.assertEqual(method.clientPluginName, name)
            self.assertFalse(method.requiresSecureTransport)
            self.assertTrue(method.passwordUsed)

    def test_newExchange(self):
        """
        Each method's C{newExchange} makes a fresh exchange for the attempt.
        """
        for method, cls, name in self.methods:
            attempt = makeAttempt(NATIVE)
            exchange = method.newExchange(attempt)
            self.assertTrue(verifyObject(IAuthExchange, exchange))
            self.assertIs(exchange.attempt, attempt)
            self.assertIsNot(method.newExchange(attempt), exchange)

    def test_roundTrip(self):
        """
        A hashed password verifies; another password, a prefix, a longer
        one and the empty one do not.
        """
        for method, cls, name in self.methods:
            authString = method.hashPassword(PASSWORD)
            self.assertIsInstance(authString, bytes)
            self.assertTrue(method.verifyPassword(authString, PASSWORD), name)
            for wrong in (b"correct horsf", PASSWORD[:-1], PASSWORD + b"x", b""):
                self.assertFalse(method.verifyPassword(authString, wrong), (name, wrong))
            self.assertEqual(method.checkAuthString(authString), authString)

    def test_formats(self):
        """
        The stored strings have MySQL's shapes.
        """
        native = theNativePasswordMethod.hashPassword(PASSWORD)
        self.assertEqual(native, hashing.nativeHash(PASSWORD))
        self.assertEqual(len(native), 41)
        sha2 = theCachingSHA2PasswordMethod.hashPassword(PASSWORD)
        self.assertEqual((sha2[:7], len(sha2)), (b"$A$005$", 70))
        sha256 = theSHA256PasswordMethod.hashPassword(PASSWORD)
        self.assertEqual((sha256[:3], len(sha256), sha256[23:24]), (b"$5$", 67, b"$"))

    def test_saltedHashesDiffer(self):
        """
        The SHA-2 methods salt: two hashes of one password differ.
        """
        for method in (theCachingSHA2PasswordMethod, theSHA256PasswordMethod):
            self.assertNotEqual(method.hashPassword(PASSWORD), method.hashPassword(PASSWORD))

    def test_emptyPassword(self):
        """
        The empty password is stored as the empty string, which verifies
        the empty password only.
        """
        for method, cls, name in self.methods:
            self.assertEqual(method.hashPassword(b""), b"")
            self.assertTrue(method.verifyPassword(b"", b""), name)
            self.assertFalse(method.verifyPassword(b"", b"x"), name)
            self.assertEqual(method.checkAuthString(b""), b"")

    def test_verifyMalformed(self):
        """
        A malformed stored string verifies nothing (and raises nothing).
        """
        for method, cls, name in self.methods:
            for authString in (b"*", b"$A$005$short", b"$5$salt$short", b"garbage", b"x" * 70):
                self.assertFalse(method.verifyPassword(authString, PASSWORD), (name, authString))
                self.assertFalse(method.verifyPassword(authString, b""), (name, authString))

    def test_checkAuthStringErrors(self):
        """
        A string that is not a valid hash for the method raises MySQL's
        1827 ER_PASSWORD_FORMAT, including another method's hash.
        """
        native = theNativePasswordMethod.hashPassword(PASSWORD)
        sha2 = theCachingSHA2PasswordMethod.hashPassword(PASSWORD)
        sha256 = theSHA256PasswordMethod.hashPassword(PASSWORD)
        bad = {
            theNativePasswordMethod: [sha2, sha256, b"*" + b"G" * 40, native[:-1], b"password"],
            theCachingSHA2PasswordMethod: [native, sha256, sha2[:-1], b"$A$000$" + sha2[7:], b"password"],
            theSHA256PasswordMethod: [native, sha2, sha256[:-1], b"password"],
        }
        for method, strings in bad.items():
            for authString in strings:
                error = self.assertRaises(
                    errors.PasswordFormat, method.checkAuthString, authString
                )
                self.assertEqual(error.errorCode, 1827)
                self.assertEqual(error.sqlState, "HY000")
                self.assertEqual(
                    error.message, "The password hash doesn't have the expected format."
                )

    def test_nativeLowerCase(self):
        """
        A native hash with lower-case hex digits is accepted and verifies.
        """
        lower = b"*" + hashing.nativeHash(PASSWORD)[1:].lower()
        self.assertEqual(theNativePasswordMethod.checkAuthString(lower), lower)
        self.assertTrue(theNativePasswordMethod.verifyPassword(lower, PASSWORD))


class FastDigestCacheTests(SynchronousTestCase):
    """
    L{FastDigestCache} and its reaction to account changes.
    """

    def setUp(self):
        self.cache = FastDigestCache()
        self.alice = AccountName("alice", "%")
        self.aliceLocal = AccountName("alice", "localhost")
        self.bob = AccountName("bob", "%")
        for name in (self.alice, self.aliceLocal, self.bob):
            self.cache.put(name, hashing.cachingSHA2FastDigest(name.user.encode() + name.host.encode()))

    def test_getPut(self):
        """
        C{get} answers what C{put} stored, per account (user and host);
        L{None} for others; C{put} replaces.
        """
        self.assertEqual(self.cache.get(self.alice), hashing.cachingSHA2FastDigest(b"alice%"))
        self.assertEqual(
            self.cache.get(self.aliceLocal), hashing.cachingSHA2FastDigest(b"alicelocalhost")
        )
        self.assertIsNone(self.cache.get(AccountName("carol", "%")))
        self.cache.put(self.alice, b"d" * 32)
        self.assertEqual(self.cache.get(self.alice), b"d" * 32)
        self.assertEqual(len(self.cache), 3)

    def test_flushClearsAll(self):
        """
        C{None} (FLUSH PRIVILEGES, reload) forgets every entry.
        """
        self.cache.accountsChanged(None)
        self.assertEqual(len(self.cache), 0)
        for name in (self.alice, self.aliceLocal, self.bob):
            self.assertIsNone(self.cache.get(name))

    def test_putAccountDropsOne(self):
        """
        Writing an account drops its entry only.
        """
        account = Account(self.alice, "caching_sha2_password", b"")
        self.cache.accountsChanged([PutAccount(account)])
        self.assertIsNone(self.cache.get(self.alice))
        self.assertIsNotNone(self.cache.get(self.aliceLocal))
        self.assertIsNotNone(self.cache.get(self.bob))
        self.assertEqual(len(self.cache), 2)

    def test_deleteAccountDropsOne(self):
        """
        Deleting an account drops its entry only.
        """
        self.cache.accountsChanged([DeleteAccount(self.bob)])
        self.assertIsNone(self.cache.get(self.bob))
        self.assertEqual(len(self.cache), 2)

    def test_severalChanges(self):
        """
        Every account in a batch of changes is dropped; proxy grant changes
        and accounts without entries change nothing.
        """
        self.cache.accountsChanged(
            [
                DeleteAccount(self.alice),
                PutProxyGrant(ProxyGrant(self.bob, self.aliceLocal)),
                DeleteProxyGrant(self.bob, self.aliceLocal),
                DeleteAccount(AccountName("carol", "%")),
                PutAccount(Account(self.aliceLocal, "mysql_native_password", b"")),
            ]
        )
        self.assertEqual(len(self.cache), 1)
        self.assertIsNotNone(self.cache.get(self.bob))

    def test_emptyChanges(self):
        """
        An empty batch changes nothing.
        """
        self.cache.accountsChanged([])
        self.assertEqual(len(self.cache), 3)

    def test_asObserver(self):
        """
        As an L{AccountManager} observer, the cache drops the entries of
        accounts that are written or deleted, and everything on reload.
        """
        manager = AccountManager(InMemoryAccountStore())
        self.successResultOf(manager.start())
        manager.addObserver(self.cache.accountsChanged)
        self.successResultOf(
            manager.apply([PutAccount(Account(self.alice, "caching_sha2_password", b""))])
        )
        self.assertIsNone(self.cache.get(self.alice))
        self.assertEqual(len(self.cache), 2)
        self.successResultOf(manager.apply([DeleteAccount(self.alice)]))
        self.assertEqual(len(self.cache), 2)
        self.successResultOf(defer.maybeDeferred(manager.reload))
        self.assertEqual(len(self.cache), 0)


class LoginAttemptAttributesTests(SynchronousTestCase):
    """
    L{LoginAttempt.connectAttributes} is read from the block when first
    asked for, read again when the block is replaced, and may be set.
    """

    def test_lazy(self):
        attempt = makeAttempt(NATIVE)
        self.assertEqual(attempt.connectAttributes, ())
        attempt.connectAttributesBlock = b"\x03_os\x05Linux\x04_pid"
        self.assertEqual(attempt.connectAttributes, ((b"_os", b"Linux"),))
        attempt.connectAttributes = [(b"k", b"v")]
        self.assertEqual(attempt.connectAttributes, ((b"k", b"v"),))
        attempt.connectAttributesBlock = b"\x01a\x01b"
        self.assertEqual(attempt.connectAttributes, ((b"a", b"b"),))
