# -*- test-case-name: tests.test_methods -*-
# Copyright (c) twisted_mysqlauth developers.
# See LICENSE for details.
"""
C{caching_sha2_password}: a SHA-256 scramble checked against an in-memory
cache of C{SHA256(SHA256(password))} (the fast path); on a miss, full
authentication with the cleartext password over a secure transport, or
RSA-encrypted over plain TCP; the password is then checked against the
stored SHA-crypt hash (C{$A$005$...}) and the cache filled.
"""

from __future__ import annotations

from typing import Dict, Iterable, Optional

from zope.interface import implementer

from twisted.cred.error import UnauthorizedLogin
from twisted.plugin import IPlugin

from twisted_mysqlauth.accounts.model import AccountName
from twisted_mysqlauth.auth import hashing
from twisted_mysqlauth.auth.base import (
    LoginAttempt,
    StoredHashMethod,
    MalformedResponse,
    SendMoreData,
    TryLogin,
)
from twisted_mysqlauth.credentials import AccountPassword, CachingSHA2Scramble
from twisted_mysqlauth.interfaces import IAuthExchange, IPasswordMethod
from twisted_mysqlauth.wire.constants import (
    SHA2_FAST_AUTH_SUCCESS,
    SHA2_PERFORM_FULL_AUTHENTICATION,
    SHA2_REQUEST_PUBLIC_KEY,
)


#: The length of a caching_sha2_password scramble (a SHA-256 digest).
SHA2_SCRAMBLE_LENGTH = 32


class FastDigestCache:
    """
    The caching_sha2_password cache: account name to
    C{SHA256(SHA256(password))}, in memory only (lost on restart, as in
    MySQL). Entries are dropped when an account changes and all of them on
    C{FLUSH PRIVILEGES}; see L{accountsChanged}.
    """

    def __init__(self) -> None:
        self._digests: Dict[AccountName, bytes] = {}

    def get(self, name: AccountName) -> Optional[bytes]:
        """
        @return: the cached digest for the account, or L{None}.
        """
        return self._digests.get(name)

    def put(self, name: AccountName, digest: bytes) -> None:
        """
        Remember the digest of a password that just verified.
        """
        self._digests[name] = digest

    def __len__(self) -> int:
        return len(self._digests)

    def accountsChanged(self, changes: Optional[Iterable[object]]) -> None:
        """
        An L{twisted_mysqlauth.accounts.directory.AccountManager} observer:
        forget the accounts that were written or deleted, or everything when
        C{changes} is L{None} (C{FLUSH PRIVILEGES}).
        """
        if changes is None:
            self._digests.clear()
            return
        for change in changes:
            account = getattr(change, "account", None)
            name = account.name if account is not None else getattr(change, "name", None)
            if name is not None:
                self._digests.pop(name, None)


def _stripTerminator(data: bytes) -> bytes:
    """
    A cleartext password arrives with a NUL terminator; drop it.
    """
    if data.endswith(b"\x00"):
        return data[:-1]
    return data


class SHA2PasswordExchange:
    """
    What the caching_sha2_password and sha256_password exchanges share:
    their nonce, and reading a password that arrives RSA-encrypted over
    plain TCP.

    @cvar requestKeyByte: the byte a client sends to ask for the key.
    """

    requestKeyByte: int
    keySent = False

    def __init__(self, attempt: LoginAttempt) -> None:
        self.attempt = attempt
        # The method that greets uses the greeting's nonce; a method
        # switched to later makes a fresh one (MySQL does the same).
        if attempt.account is None:
            self.nonce = attempt.handshakeNonce
        else:
            self.nonce = hashing.makeNonce()

    def initialData(self) -> bytes:
        return self.nonce + b"\x00"

    def _rsaStep(self, data: bytes):
        keys = self.attempt.server.rsaKeyPair
        if keys is None:
            raise UnauthorizedLogin("no RSA key pair and no secure transport")
        if data == bytes([self.requestKeyByte]) and not self.keySent:
            self.keySent = True
            return SendMoreData(keys.publicKeyPEM)
        if len(data) != keys.keySize:
            raise UnauthorizedLogin("RSA ciphertext of the wrong length")
        try:
            password = keys.decryptPassword(data, self.nonce)
        except ValueError:
            raise UnauthorizedLogin("RSA decryption failed")
        if not password:
            raise UnauthorizedLogin("empty password")
        return self._tryPassword(password)

    def _tryPassword(self, password: bytes) -> TryLogin:
        attempt = self.attempt
        assert attempt.account is not None
        return TryLogin(AccountPassword(attempt.usernameBytes, attempt.account, password))


@implementer(IAuthExchange)
class CachingSHA2Exchange(SHA2PasswordExchange):
    """
    One run of C{caching_sha2_password}.
    """

    requestKeyByte = SHA2_REQUEST_PUBLIC_KEY
    _state = "scramble"

    def responseReceived(self, data: bytes):
        if self._state == "scramble":
            if data in (b"", b"\x00"):
                self._state = "empty"
                return self._tryPassword(b"")
            self.attempt.passwordUsed = True
            if len(data) != SHA2_SCRAMBLE_LENGTH:
                raise MalformedResponse("scramble length")
            self._state = "fast"
            attempt = self.attempt
            assert attempt.account is not None
            return TryLogin(
                CachingSHA2Scramble(attempt.usernameBytes, attempt.account, self.nonce, data)
            )
        if self._state == "full":
            self.attempt.passwordUsed = True
            if self.attempt.secure:
                self._state = "done"
                password = _stripTerminator(data)
                if not password:
                    raise UnauthorizedLogin("empty password in full authentication")
                return self._tryPassword(password)
            return self._rsaStep(data)
        raise MalformedResponse("unexpected packet", handshakeError=True)

    def loginFailed(self, reason):
        if self._state == "fast" and reason.check(UnauthorizedLogin):
            self._state = "full"
            return SendMoreData(bytes([SHA2_PERFORM_FULL_AUTHENTICATION]))
        return reason

    def loginSucceeded(self) -> Optional[bytes]:
        if self._state == "fast":
            return bytes([SHA2_FAST_AUTH_SUCCESS])
        return None


@implementer(IPasswordMethod, IPlugin)
class CachingSHA2PasswordMethod(StoredHashMethod):
    """
    The server side of C{caching_sha2_password}.
    """

    hashFunctions = ("cachingSHA2Hash", "validateCachingSHA2AuthString", "verifyCachingSHA2")

    pluginName = "caching_sha2_password"
    clientPluginName = "caching_sha2_password"
    aliases = ()
    requiresSecureTransport = False
    passwordUsed = True
    description = "Caching sha2 authentication"

    def newExchange(self, context: LoginAttempt) -> CachingSHA2Exchange:
        return CachingSHA2Exchange(context)


theCachingSHA2PasswordMethod = CachingSHA2PasswordMethod()
