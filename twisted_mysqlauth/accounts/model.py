# -*- test-case-name: tests.test_accounts -*-
# Copyright (c) twisted_mysqlauth developers.
# See LICENSE for details.
"""
The account data model: immutable values shared by the store, the in-memory
account directory (MySQL's ACL cache), the account SQL and the login path.

Account names are text (MySQL keeps them as UTF-8); authentication strings
are bytes, because MySQL's C{caching_sha2_password} strings hold a raw salt.
"""

from __future__ import annotations

from typing import FrozenSet, Optional, Tuple

import attr

#: The static global privileges, in the order MySQL lists them in C{SHOW
#: GRANTS}. Only C{CREATE USER}, C{RELOAD}, C{SELECT} (reading other
#: accounts) and C{SUPER} have an effect in this server; the others are kept
#: so that C{SHOW GRANTS} and account dumps round-trip with what a DBA
#: writes.
PRIVILEGE_ORDER: Tuple[str, ...] = (
    "SELECT",
    "INSERT",
    "UPDATE",
    "DELETE",
    "CREATE",
    "DROP",
    "RELOAD",
    "SHUTDOWN",
    "PROCESS",
    "FILE",
    "REFERENCES",
    "INDEX",
    "ALTER",
    "SHOW DATABASES",
    "SUPER",
    "CREATE TEMPORARY TABLES",
    "LOCK TABLES",
    "EXECUTE",
    "REPLICATION SLAVE",
    "REPLICATION CLIENT",
    "CREATE VIEW",
    "SHOW VIEW",
    "CREATE ROUTINE",
    "ALTER ROUTINE",
    "CREATE USER",
    "EVENT",
    "TRIGGER",
    "CREATE TABLESPACE",
    "CREATE ROLE",
    "DROP ROLE",
)

#: What C{GRANT ALL [PRIVILEGES] ON *.*} gives.
ALL_PRIVILEGES: FrozenSet[str] = frozenset(PRIVILEGE_ORDER)

#: The privilege that lets an account create, alter, drop and rename accounts.
CREATE_USER = "CREATE USER"


def quoteName(value: str) -> str:
    """
    Quote one part of an account name the way MySQL prints it in messages:
    C{'value'}, with embedded quotes and backslashes escaped.

    @param value: a user name or host pattern.
    @return: the quoted text.
    """
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def quoteIdentifier(value: str) -> str:
    """
    Quote one part of an account name the way C{SHOW GRANTS} and C{SHOW
    CREATE USER} print it: C{`value`} with backticks doubled.

    @param value: a user name or host pattern.
    @return: the quoted text.
    """
    return "`" + value.replace("`", "``") + "`"


@attr.s(frozen=True, slots=True, auto_attribs=True, order=True)
class AccountName:
    """
    The key of an account: C{'user'@'host'}.

    @ivar user: the user name; C{""} is the anonymous user.
    @ivar host: the host pattern (C{%}, C{_}, C{a.b.c.d/m.m.m.m}, a literal
        name or address); C{""} matches every host, like C{%}.
    """

    user: str
    host: str = "%"

    def __str__(self) -> str:
        return f"{quoteName(self.user)}@{quoteName(self.host)}"

    def quoted(self) -> str:
        """
        @return: the name as C{SHOW GRANTS} prints it, C{`user`@`host`}.
        """
        return f"{quoteIdentifier(self.user)}@{quoteIdentifier(self.host)}"


@attr.s(frozen=True, slots=True, auto_attribs=True)
class Account:
    """
    One account row, as C{mysql.user} holds it.

    @ivar name: the account's C{user@host}.
    @ivar plugin: the name of the server-side authentication method (MySQL's
        C{plugin} column), e.g. C{"caching_sha2_password"}.
    @ivar authString: the method's authentication string: a password hash
        for the password methods, a mapping or an OS user name for others.
    @ivar locked: C{ACCOUNT LOCK}: logins are refused with error 3118 after
        the credentials have been checked.
    @ivar privileges: the global privileges held (names from
        L{ALL_PRIVILEGES}).
    @ivar grantOption: C{WITH GRANT OPTION} on the global privileges.
    """

    name: AccountName
    plugin: str
    authString: bytes = b""
    locked: bool = False
    privileges: FrozenSet[str] = frozenset()
    grantOption: bool = False

    @property
    def user(self) -> str:
        """
        The account's user name.
        """
        return self.name.user

    @property
    def host(self) -> str:
        """
        The account's host pattern.
        """
        return self.name.host

    def hasPrivilege(self, privilege: str) -> bool:
        """
        @param privilege: a name from L{ALL_PRIVILEGES}.
        @return: whether this account holds it globally.
        """
        return privilege in self.privileges


@attr.s(frozen=True, slots=True, auto_attribs=True)
class ProxyGrant:
    """
    One C{GRANT PROXY ON proxied TO proxy} row (MySQL's C{mysql.proxies_priv}).

    @ivar proxy: the account that may act as another.
    @ivar proxied: the account it may act as.
    @ivar withGrantOption: whether C{proxy} may grant this proxy privilege on
        C{proxied} to others.
    """

    proxy: AccountName
    proxied: AccountName
    withGrantOption: bool = False


@attr.s(frozen=True, slots=True, auto_attribs=True)
class ClientAddress:
    """
    Where a client connects from, as host matching sees it.

    @ivar hostName: the host name used for matching: C{"localhost"} for a
        UNIX socket and for loopback TCP (MySQL maps loopback to
        C{localhost}), else C{None} (this server does no reverse DNS, as
        MySQL with C{skip_name_resolve}).
    @ivar ip: the client's IP address text, or C{None} for a UNIX socket.
    @ivar isUNIXSocket: whether the connection came over a UNIX socket.
    """

    hostName: Optional[str]
    ip: Optional[str]
    isUNIXSocket: bool = False

    @property
    def displayHost(self) -> str:
        """
        The host as MySQL prints it in C{Access denied for user 'u'@'host'}
        and in C{USER()}: the host name if there is one, else the IP.
        """
        return self.hostName or self.ip or ""


@attr.s(frozen=True, slots=True, auto_attribs=True)
class StoreSnapshot:
    """
    Everything an account store holds, as loaded at start and after changes.

    @ivar accounts: all account rows.
    @ivar proxyGrants: all proxy grants.
    """

    accounts: tuple = ()
    proxyGrants: tuple = ()


# Changes written to a store in one transaction.


@attr.s(frozen=True, slots=True, auto_attribs=True)
class PutAccount:
    """
    Insert or replace the account row with C{account.name}.
    """

    account: Account


@attr.s(frozen=True, slots=True, auto_attribs=True)
class DeleteAccount:
    """
    Delete the account row named C{name} (and nothing else).
    """

    name: AccountName


@attr.s(frozen=True, slots=True, auto_attribs=True)
class PutProxyGrant:
    """
    Insert or replace the proxy grant for C{(grant.proxy, grant.proxied)}.
    """

    grant: ProxyGrant


@attr.s(frozen=True, slots=True, auto_attribs=True)
class DeleteProxyGrant:
    """
    Delete the proxy grant of C{proxy} on C{proxied}.
    """

    proxy: AccountName
    proxied: AccountName
