# -*- test-case-name: tests.test_methods -*-
# Copyright (c) twisted_mysqlauth developers.
# See LICENSE for details.
"""
C{sha256_password}: the cleartext password over TLS, or RSA-encrypted
over any other transport (a UNIX socket is I{not} secure for this method,
as in MySQL); checked against a C{$5$} SHA-crypt hash with a 20-byte salt.
"""

from __future__ import annotations

from zope.interface import implementer

from twisted.cred.error import UnauthorizedLogin
from twisted.plugin import IPlugin

from twisted_mysqlauth.auth.base import LoginAttempt, MalformedResponse, StoredHashMethod, TryLogin
from twisted_mysqlauth.auth.cachingsha2 import SHA2PasswordExchange, _stripTerminator
from twisted_mysqlauth.interfaces import IAuthExchange, IPasswordMethod

#: The byte a client sends to ask for the public key (0x01 here; 0x02 in
#: caching_sha2_password).
SHA256_REQUEST_PUBLIC_KEY = 0x01


@implementer(IAuthExchange)
class SHA256PasswordExchange(SHA2PasswordExchange):
    """
    One run of C{sha256_password}.
    """

    requestKeyByte = SHA256_REQUEST_PUBLIC_KEY

    def __init__(self, attempt: LoginAttempt) -> None:
        super().__init__(attempt)
        self._done = False

    def responseReceived(self, data: bytes):
        if self._done:
            raise MalformedResponse("unexpected packet", handshakeError=True)
        if data in (b"", b"\x00"):
            self._done = True
            return self._tryPassword(b"")
        self.attempt.passwordUsed = True
        if self.attempt.tls:
            self._done = True
            password = _stripTerminator(data)
            if not password:
                raise UnauthorizedLogin("empty password")
            return self._tryPassword(password)
        step = self._rsaStep(data)
        self._done = isinstance(step, TryLogin)
        return step

    def loginFailed(self, reason):
        return reason

    def loginSucceeded(self) -> None:
        return None


@implementer(IPasswordMethod, IPlugin)
class SHA256PasswordMethod(StoredHashMethod):
    """
    The server side of C{sha256_password} (deprecated in MySQL, kept for the
    accounts and clients that use it).
    """

    hashFunctions = ("sha256PasswordHash", "validateSHA256AuthString", "verifySHA256Password")

    pluginName = "sha256_password"
    clientPluginName = "sha256_password"
    aliases = ()
    requiresSecureTransport = False
    passwordUsed = True
    description = "SHA256 password authentication"

    def newExchange(self, context: LoginAttempt) -> SHA256PasswordExchange:
        return SHA256PasswordExchange(context)


theSHA256PasswordMethod = SHA256PasswordMethod()
