# -*- test-case-name: tests.test_methods -*-
# Copyright (c) twisted_mysqlauth developers.
# See LICENSE for details.
"""
C{mysql_native_password}: a SHA-1 challenge-response over the 20-byte nonce
of the greeting.
"""

from __future__ import annotations

import hmac
from hashlib import sha1

from zope.interface import implementer

from twisted.plugin import IPlugin

from twisted_mysqlauth import errors
from twisted_mysqlauth.auth import hashing
from twisted_mysqlauth.auth.base import LoginAttempt, MalformedResponse, TryLogin
from twisted_mysqlauth.credentials import NativePasswordResponse
from twisted_mysqlauth.interfaces import IAuthExchange, IPasswordMethod


#: The length of a mysql_native_password scramble (a SHA-1 digest).
NATIVE_SCRAMBLE_LENGTH = 20


@implementer(IAuthExchange)
class NativePasswordExchange:
    """
    One run of C{mysql_native_password}. It always uses the greeting's
    nonce, as MySQL does, so a client that already answered the greeting
    with this plugin needs no switch.
    """

    def __init__(self, attempt: LoginAttempt) -> None:
        self.attempt = attempt

    def initialData(self) -> bytes:
        return self.attempt.handshakeNonce + b"\x00"

    def responseReceived(self, data: bytes) -> TryLogin:
        if len(data) not in (0, NATIVE_SCRAMBLE_LENGTH):
            raise MalformedResponse("native response length", handshakeError=True)
        self.attempt.passwordUsed = bool(data)
        attempt = self.attempt
        assert attempt.account is not None
        return TryLogin(
            NativePasswordResponse(
                attempt.usernameBytes, attempt.account, attempt.handshakeNonce, data
            )
        )

    def loginFailed(self, reason):
        return reason

    def loginSucceeded(self) -> None:
        return None


@implementer(IPasswordMethod, IPlugin)
class NativePasswordMethod:
    """
    The server side of C{mysql_native_password}.
    """

    pluginName = "mysql_native_password"
    clientPluginName = "mysql_native_password"
    aliases = ()
    requiresSecureTransport = False
    passwordUsed = True
    description = "Native MySQL authentication"

    def newExchange(self, context: LoginAttempt) -> NativePasswordExchange:
        return NativePasswordExchange(context)

    def hashPassword(self, password: bytes) -> bytes:
        return hashing.nativeHash(password)

    def checkAuthString(self, authString: bytes) -> bytes:
        try:
            return hashing.validateNativeAuthString(authString)
        except ValueError:
            raise errors.PasswordFormat()

    def verifyPassword(self, authString: bytes, password: bytes) -> bool:
        if not authString:
            return hmac.compare_digest(password, b"")
        stage2 = hashing.nativeStage2(authString)
        if stage2 is None:
            return False
        return hmac.compare_digest(sha1(sha1(password).digest()).digest(), stage2)


theNativePasswordMethod = NativePasswordMethod()
