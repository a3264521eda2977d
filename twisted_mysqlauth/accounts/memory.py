# -*- test-case-name: tests.test_memorystore -*-
# Copyright (c) twisted_mysqlauth developers.
# See LICENSE for details.
"""
An account store that keeps everything in memory: for tests, and for
applications that keep their accounts elsewhere and hand them over at
start.
"""

from __future__ import annotations

from typing import Dict, Iterable, Mapping, Optional, Tuple

from twisted.internet.defer import Deferred, fail, succeed
from zope.interface import implementer

from twisted_mysqlauth.accounts.model import (
    Account,
    AccountName,
    DeleteAccount,
    DeleteProxyGrant,
    ProxyGrant,
    PutAccount,
    PutProxyGrant,
    StoreSnapshot,
)
from twisted_mysqlauth.interfaces import IAccountStore


@implementer(IAccountStore)
class InMemoryAccountStore:
    """
    An L{IAccountStore} backed by dictionaries; nothing survives the
    process.

    L{write} is all-or-nothing: the changes are applied to copies, which
    replace the originals only when every change has been applied.
    """

    def __init__(
        self,
        accounts: Iterable[Account] = (),
        proxyGrants: Iterable[ProxyGrant] = (),
        settings: Optional[Mapping[str, str]] = None,
    ) -> None:
        """
        @param accounts: the accounts to start with.
        @param proxyGrants: the proxy grants to start with.
        @param settings: the settings to start with.
        """
        self._accounts: Dict[AccountName, Account] = {
            account.name: account for account in accounts
        }
        self._grants: Dict[Tuple[AccountName, AccountName], ProxyGrant] = {
            (grant.proxy, grant.proxied): grant for grant in proxyGrants
        }
        self._settings: Dict[str, str] = dict(settings or {})
        self.closed = False

    def load(self) -> Deferred:
        """
        @return: a L{Deferred} firing with a L{StoreSnapshot} of everything
            held, accounts and grants sorted by name.
        """
        return succeed(
            StoreSnapshot(
                accounts=tuple(
                    self._accounts[name] for name in sorted(self._accounts)
                ),
                proxyGrants=tuple(self._grants.values()),
            )
        )

    def write(self, changes: Iterable[object]) -> Deferred:
        """
        Apply changes, all or none.

        @param changes: L{PutAccount}, L{DeleteAccount}, L{PutProxyGrant}
            and L{DeleteProxyGrant} values, applied in order.
        @return: a L{Deferred} firing with L{None}, or failing with
            L{TypeError} for a value that is not a change (nothing is then
            written).
        """
        accounts = dict(self._accounts)
        grants = dict(self._grants)
        try:
            for change in changes:
                self._applyChange(accounts, grants, change)
        except BaseException:
            return fail()
        self._accounts = accounts
        self._grants = grants
        return succeed(None)

    def _applyChange(
        self,
        accounts: Dict[AccountName, Account],
        grants: Dict[Tuple[AccountName, AccountName], ProxyGrant],
        change: object,
    ) -> None:
        """
        Apply one change to working copies.

        @param accounts: the accounts being changed.
        @param grants: the proxy grants being changed.
        @param change: the change.
        @raise TypeError: if C{change} is not a change.
        """
        if isinstance(change, PutAccount):
            accounts[change.account.name] = change.account
        elif isinstance(change, DeleteAccount):
            accounts.pop(change.name, None)
        elif isinstance(change, PutProxyGrant):
            grants[(change.grant.proxy, change.grant.proxied)] = change.grant
        elif isinstance(change, DeleteProxyGrant):
            grants.pop((change.proxy, change.proxied), None)
        else:
            raise TypeError(f"not an account change: {change!r}")

    def getSetting(self, key: str) -> Deferred:
        """
        @param key: the setting's name.
        @return: a L{Deferred} firing with its value, or L{None}.
        """
        return succeed(self._settings.get(key))

    def putSetting(self, key: str, value: Optional[str]) -> Deferred:
        """
        @param key: the setting's name.
        @param value: its new value, or L{None} to delete it.
        @return: a L{Deferred} firing with L{None}.
        """
        if value is None:
            self._settings.pop(key, None)
        else:
            self._settings[key] = value
        return succeed(None)

    def close(self) -> Deferred:
        """
        Nothing to release; records that the store was closed.

        @return: a L{Deferred} firing with L{None}.
        """
        self.closed = True
        return succeed(None)


__all__ = ["InMemoryAccountStore"]
