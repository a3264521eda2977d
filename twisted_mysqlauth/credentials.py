# -*- test-case-name: tests.test_checkers -*-
# Copyright (c) twisted_mysqlauth developers.
# See LICENSE for details.
"""
The credentials the auth methods hand to the portal.

Each carries the user name (bytes, as L{twisted.cred} wants) and the
account row that the login matched, because in MySQL the credentials are
checked against that account (C{user@host}), not against a bare user name.
An unknown user carries a decoy account that can never verify.
"""

from __future__ import annotations

import hmac

from zope.interface import Attribute, implementer

from twisted.cred.credentials import ICredentials, IUsernamePassword

from twisted_mysqlauth.accounts.model import Account
from twisted_mysqlauth.auth import hashing


class IAccountCredentials(ICredentials):
    """
    Credentials for one MySQL account.
    """

    username = Attribute("The user name the client sent, UTF-8 bytes.")
    account = Attribute(
        "The matched L{twisted_mysqlauth.accounts.model.Account} (a decoy for "
        "an unknown user)."
    )


class INativePasswordResponse(IAccountCredentials):
    """
    A C{mysql_native_password} scramble.
    """

    def checkStage2(stage2):
        """
        @param stage2: the stored C{SHA1(SHA1(password))}, 20 bytes.
        @return: whether the scramble was made from that password.
        """


class ICachingSHA2Scramble(IAccountCredentials):
    """
    A C{caching_sha2_password} fast-path scramble.
    """

    def checkFastDigest(digest):
        """
        @param digest: the cached C{SHA256(SHA256(password))}.
        @return: whether the scramble was made from that password.
        """


class IAccountPassword(IAccountCredentials, IUsernamePassword):
    """
    A cleartext password for an account (caching_sha2 full authentication,
    sha256_password, clear-password methods).
    """


@implementer(INativePasswordResponse)
class NativePasswordResponse:
    """
    A C{mysql_native_password} response: C{SHA1(pw) XOR SHA1(nonce +
    SHA1(SHA1(pw)))}, or empty for an empty password.
    """

    def __init__(self, username: bytes, account: Account, nonce: bytes, response: bytes):
        self.username = username
        self.account = account
        self.nonce = nonce
        self.response = response

    def checkStage2(self, stage2: bytes) -> bool:
        return hashing.checkNativeScramble(self.nonce, self.response, stage2)

    def __repr__(self) -> str:
        return f"<NativePasswordResponse for {self.account.name}>"


@implementer(ICachingSHA2Scramble)
class CachingSHA2Scramble:
    """
    A C{caching_sha2_password} scramble:
    C{SHA256(pw) XOR SHA256(SHA256(SHA256(pw)) + nonce)}.
    """

    def __init__(self, username: bytes, account: Account, nonce: bytes, scramble: bytes):
        self.username = username
        self.account = account
        self.nonce = nonce
        self.scramble = scramble

    def checkFastDigest(self, digest: bytes) -> bool:
        return hashing.checkCachingSHA2Scramble(self.nonce, self.scramble, digest)

    def __repr__(self) -> str:
        return f"<CachingSHA2Scramble for {self.account.name}>"


@implementer(IAccountPassword)
class AccountPassword:
    """
    A cleartext password for an account. Its C{repr} never shows the
    password.
    """

    def __init__(self, username: bytes, account: Account, password: bytes):
        self.username = username
        self.account = account
        self.password = password

    def checkPassword(self, password: bytes) -> bool:
        return hmac.compare_digest(self.password, password)

    def __repr__(self) -> str:
        return f"<AccountPassword for {self.account.name}>"
