# -*- test-case-name: tests.test_realm -*-
# Copyright (c) twisted_mysqlauth developers.
# See LICENSE for details.
"""
The realm: from an authenticated identity and the login attempt (the
I{mind}) to the L{IMySQLAvatar} an application gets, applying MySQL's
post-authentication rules (account lock; proxying).
"""

from __future__ import annotations

from typing import Any, Optional

import attr
from zope.interface import implementer

from twisted.cred.error import LoginDenied
from twisted.cred.portal import IRealm
from twisted.logger import Logger

from twisted_mysqlauth import errors
from twisted_mysqlauth.accounts.hosts import hostMatches
from twisted_mysqlauth.accounts.model import ALL_PRIVILEGES, Account, AccountName, ClientAddress
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
    #: Whether the login sent a password (MySQL's "using password: YES"
    #: when a statement is refused with 1045).
    passwordUsed: bool = True

    @property
    def userAtHost(self) -> str:
        """
        C{USER()}: the user name the client sent and its host.
        """
        return f"{self.user}@{self.clientHost}"

    @property
    def proxyUserText(self) -> Optional[str]:
        """
        C{@@proxy_user}: C{'user'@'host'} of the proxy account, or L{None}.
        """
        return None if self.proxyUser is None else str(self.proxyUser)

    @property
    def currentUser(self) -> str:
        """
        C{CURRENT_USER()}: the account whose privileges apply.
        """
        return f"{self.account.user}@{self.account.host}"


#: Who every client is under C{--skip-grant-tables} (C{CURRENT_USER()}
#: answers C{skip-grants user@skip-grants host}, as in MySQL).
SKIP_GRANTS_ACCOUNT = Account(
    AccountName("skip-grants user", "skip-grants host"),
    "",
    privileges=ALL_PRIVILEGES,
    grantOption=True,
)

#: The methods that ask the server to choose the proxied account when
#: C{check_proxy_users} and their own setting are on.
SERVER_MAPPED_METHODS = {
    "mysql_native_password": "nativePasswordProxyUsers",
    "sha256_password": "sha256PasswordProxyUsers",
}


def _nothingToLogOut() -> None:
    """
    The logout of a L{MySQLRealm} avatar: it holds nothing to release.
    """


@implementer(IRealm)
class MySQLRealm:
    """
    Build avatars for logins, with MySQL's proxy users.

    A checker answers with the identity it authenticated: MySQL's
    C{authenticated_as}. When that is the matched account's own user name
    there is no proxying. Any other name
    asks to proxy: the matched (proxy) account needs a C{GRANT PROXY} whose
    proxied user is that name and whose proxied host pattern matches the
    client, and the proxied account (that user at the grant's host) must
    exist; the avatar then carries the proxied account's privileges.
    Proxying is one step: the proxied account's own grants are not followed.
    With C{check_proxy_users} and C{mysql_native_password_proxy_users} (or
    C{sha256_password_proxy_users}) on, logins with those methods are
    proxied to the first account a PROXY grant of theirs names, if any.
    Account lock is checked on the proxy account, as in MySQL.

    @ivar accounts: the L{twisted_mysqlauth.accounts.directory.AccountManager}
        whose current directory holds the PROXY grants and proxied accounts
        (L{None}: no proxying at all).
    """

    _log = Logger()

    def __init__(self, accounts: Any = None) -> None:
        self.accounts = accounts

    def requestAvatar(self, avatarId, mind, *interfaces):
        if IMySQLAvatar not in interfaces:
            raise NotImplementedError("MySQLRealm only provides IMySQLAvatar")
        attempt: LoginAttempt = mind
        account = attempt.account
        if account is None or not attempt.knownUser:
            # A decoy never verifies; fail closed if a checker said otherwise.
            raise LoginDenied("no such account")
        authenticatedAs = avatarId.decode("utf-8", "replace")
        proxied: Optional[Account] = None
        if self._serverChooses(attempt, account):
            proxied = self._serverChosen(self._directory(), account, attempt.client)
        elif authenticatedAs != account.user:
            proxied = self._proxied(self._directory(), account, authenticatedAs, attempt.client)
            if proxied is None:
                # The credentials were right: say why the login still fails.
                self._log.info(
                    "{user!r} from {host} authenticated as {identity!r}, but {proxy} has no "
                    "PROXY grant on an existing {identity!r} account matching this host",
                    user=attempt.username,
                    host=attempt.client.displayHost,
                    identity=authenticatedAs,
                    proxy=str(account.name),
                )
                raise LoginDenied("no PROXY grant for this identity")
        if account.locked:
            # After the proxy step (MySQL checks the lock later), and on the
            # proxy account: a failed proxy request is 1045, not 3118.
            raise LoginRefusedWith(
                errors.AccountLocked(user=attempt.username, host=attempt.client.displayHost)
            )
        externalUser = getattr(attempt.credentials, "externalUser", None)
        avatar = MySQLAvatar(
            user=attempt.username or "",
            clientHost=attempt.client.displayHost,
            account=proxied if proxied is not None else account,
            proxyUser=account.name if proxied is not None else None,
            externalUser=externalUser,
            secure=attempt.secure,
            passwordUsed=attempt.passwordUsed,
        )
        return IMySQLAvatar, avatar, _nothingToLogOut

    def _directory(self) -> Any:
        if self.accounts is None:
            raise LoginDenied("proxying needs the realm's accounts")
        return self.accounts.directory

    def _serverChooses(self, attempt: LoginAttempt, account: Account) -> bool:
        config = attempt.server
        if not getattr(config, "checkProxyUsers", False):
            # (Off by default: the usual login asks nothing more.)
            return False
        setting = SERVER_MAPPED_METHODS.get(account.plugin)
        return setting is not None and bool(getattr(config, setting, False))

    def _proxied(
        self, directory, proxy: Account, user: str, client: ClientAddress
    ) -> Optional[Account]:
        for grant in directory.proxyGrantsFor(proxy.name):
            if grant.proxied.user != user:
                continue
            if not hostMatches(grant.proxied.host, client):
                continue
            proxied = directory.get(grant.proxied)
            if proxied is not None:
                return proxied
        return None

    def _serverChosen(self, directory, proxy: Account, client: ClientAddress) -> Optional[Account]:
        for grant in directory.proxyGrantsFor(proxy.name):
            if not grant.proxied.user or not hostMatches(grant.proxied.host, client):
                continue
            proxied = directory.get(grant.proxied)
            if proxied is not None:
                return proxied
        return None
