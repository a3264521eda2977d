# -*- test-case-name: tests.test_checkers -*-
# Copyright (c) twisted_mysqlauth developers.
# See LICENSE for details.
"""
Credential checkers: they see only credentials, and answer with the
authenticated identity (bytes) or L{UnauthorizedLogin}.
"""

from __future__ import annotations

import functools
import hmac

from zope.interface import implementer

from twisted.cred.checkers import ICredentialsChecker
from twisted.cred.error import UnauthorizedLogin
from twisted.logger import Logger

from twisted_mysqlauth.auth import hashing
from twisted_mysqlauth.auth.cachingsha2 import FastDigestCache
from twisted_mysqlauth.credentials import (
    IAccountPassword,
    ICachingSHA2Scramble,
    INativePasswordResponse,
)
from twisted_mysqlauth.interfaces import IPasswordMethod


#: The stage-2 digest of a stored native hash, kept for the accounts that
#: log in (it is the stored value itself, decoded: nothing more secret).
_nativeStage2 = functools.lru_cache(maxsize=4096)(hashing.nativeStage2)


@implementer(ICredentialsChecker)
class AccountPasswordChecker:
    """
    Check password credentials against the authentication string of the
    account they carry: native scrambles against the stored SHA1 stage 2,
    caching_sha2 scrambles against the fast-digest cache, and cleartext
    passwords against the account method's stored hash (filling the cache
    for caching_sha2 accounts).

    @ivar methods: the L{twisted_mysqlauth.auth.registry.MethodRegistry}
        that knows how each account's string is verified.
    @ivar cache: the L{FastDigestCache}.
    """

    credentialInterfaces = (INativePasswordResponse, ICachingSHA2Scramble, IAccountPassword)
    _log = Logger()

    def __init__(self, methods, cache: FastDigestCache) -> None:
        self.methods = methods
        self.cache = cache

    def requestAvatarId(self, credentials):
        account = credentials.account
        authString = account.authString
        if INativePasswordResponse.providedBy(credentials):
            ok = self._checkNative(credentials, authString)
        elif ICachingSHA2Scramble.providedBy(credentials):
            digest = self.cache.get(account.name)
            ok = digest is not None and credentials.checkFastDigest(digest)
        elif IAccountPassword.providedBy(credentials):
            ok = self._checkPassword(credentials)
        else:
            ok = False
        if ok:
            # MySQL's authenticated_as starts as the matched account's user
            # name (empty for an anonymous account): no proxying.
            return account.user.encode("utf-8")
        raise UnauthorizedLogin()

    def _checkNative(self, credentials, authString: bytes) -> bool:
        if credentials.account.plugin != "mysql_native_password":
            return False
        if not authString:
            return hmac.compare_digest(credentials.response, b"")
        stage2 = _nativeStage2(authString)
        if stage2 is None or not credentials.response:
            return False
        return credentials.checkStage2(stage2)

    def _checkPassword(self, credentials) -> bool:
        account = credentials.account
        method = self.methods.get(account.plugin)
        if method is None or not IPasswordMethod.providedBy(method):
            return False
        if not method.verifyPassword(account.authString, credentials.password):
            return False
        if account.plugin == "caching_sha2_password":
            self.cache.put(account.name, hashing.cachingSHA2FastDigest(credentials.password))
        return True
