# -*- test-case-name: tests.test_realm -*-
# Copyright (c) twisted_mysqlauth developers.
# See LICENSE for details.
"""
The realm: from an authenticated identity and the login attempt (the
I{mind}) to the L{IMySQLAvatar} an application gets, applying MySQL's
post-authentication rules (account lock; proxying).
"""

from __future__ import annotations

from typing import Optional

import attr
from zope.interface import implementer

from twisted.cred.error import LoginDenied
from twisted.cred.portal import IRealm

from twisted_mysqlauth import errors
from twisted_mysqlauth.accounts.model import Account, AccountName
from twisted_mysqlauth.auth.base import LoginAttempt, LoginRefusedWith
from twisted_mysqlauth.interfaces import IMySQLAvatar


@implementer(IMySQLAvatar)
@attr.s(frozen=True, auto_attribs=True)
class MySQLAvatar:
    """
    Who logged in (see L{IMySQLAvatar}).
    """

    user: str
    clientHost: str
    account: Account
    proxyUser: Optional[AccountName] = None
    externalUser: Optional[str] = None
    secure: bool = False

    @property
    def userAtHost(self) -> str:
        """
        C{USER()}: the user name the client sent and its host.
        """
        return f"{self.user}@{self.clientHost}"

    @property
    def currentUser(self) -> str:
        """
        C{CURRENT_USER()}: the account whose privileges apply.
        """
        return f"{self.account.user}@{self.account.host}"


@implementer(IRealm)
class MySQLRealm:
    """
    Build avatars for logins.

    A checker answers with the identity it authenticated. When that is the
    user name the client sent, the avatar is the matched account. Any other
    identity is a proxy request, refused unless proxying is configured.
    """

    def requestAvatar(self, avatarId, mind, *interfaces):
        if IMySQLAvatar not in interfaces:
            raise NotImplementedError("MySQLRealm only provides IMySQLAvatar")
        attempt: LoginAttempt = mind
        account = attempt.account
        if account is None or not attempt.knownUser:
            # A decoy never verifies; fail closed if a checker said otherwise.
            raise LoginDenied("no such account")
        if avatarId != attempt.usernameBytes:
            raise LoginDenied("proxying is not allowed here")
        if account.locked:
            raise LoginRefusedWith(
                errors.AccountLocked(
                    user=attempt.username, host=attempt.client.displayHost
                )
            )
        avatar = MySQLAvatar(
            user=attempt.username or "",
            clientHost=attempt.client.displayHost,
            account=account,
            externalUser=getattr(attempt.credentials, "externalUser", None),
            secure=attempt.secure,
        )
        return IMySQLAvatar, avatar, lambda: None
