# -*- test-case-name: tests.test_proxy -*-
# Copyright (c) twisted_mysqlauth developers.
# See LICENSE for details.
"""
Tests for proxy users: C{GRANT PROXY}, C{REVOKE PROXY} and C{SHOW GRANTS}
in L{twisted_mysqlauth.sql.executor}; the proxy avatars of
L{twisted_mysqlauth.realm.MySQLRealm}; C{mysql_no_login}
(L{twisted_mysqlauth.auth.nologin}); C{test_plugin_server}
(L{twisted_mysqlauth.auth.testplugin}); the default proxy user; and
C{check_proxy_users} with the C{*_proxy_users} settings, as options and as
server configuration.

Logins run on L{twisted.test.iosim} with L{MySQLTestClient} against an
in-memory account store and the default L{AccountSQLSession}, so the
identity reads (C{USER()}, C{CURRENT_USER()}, C{@@proxy_user},
C{@@external_user}) are answered by the code a real server runs.
"""

from __future__ import annotations

import os
from typing import Any, Dict, Optional, Tuple

import attr

from twisted.internet import defer
from twisted.internet.address import IPv4Address, UNIXAddress
from twisted.internet.task import Clock
from twisted.python import usage
from twisted.trial.unittest import SynchronousTestCase, TestCase

from twisted_mysqlauth import errors
from twisted_mysqlauth.accounts.directory import AccountManager
from twisted_mysqlauth.accounts.memory import InMemoryAccountStore
from twisted_mysqlauth.accounts.model import AccountName, ProxyGrant
from twisted_mysqlauth.bootstrap import BootstrapSession, bootstrapAccounts
from twisted_mysqlauth.realm import MySQLAvatar
from twisted_mysqlauth.server import MySQLServerFactory
from twisted_mysqlauth.sql.executor import Executor
from twisted_mysqlauth.tap import MySQLAuthService, Options
from twisted_mysqlauth.testing import (
    FakeTLSOptions,
    MySQLTestClient,
    ServerError,
    connectedServerAndClient,
)

LOCALHOST = IPv4Address("TCP", "127.0.0.1", 40000)
REMOTE = IPv4Address("TCP", "192.0.2.7", 40000)
SOCKET = UNIXAddress(None)

#: What a proxy test asks the server after logging in.
IDENTITY = "SELECT USER(), CURRENT_USER(), @@proxy_user, @@external_user"

#: The manual's test_plugin_server proxy example.
MANUAL_EXAMPLE = (
    "CREATE USER 'employee'@'localhost' IDENTIFIED WITH mysql_no_login",
    "CREATE USER 'empl_external'@'localhost' IDENTIFIED WITH auth_test_plugin AS 'employee'",
    "GRANT PROXY ON 'employee'@'localhost' TO 'empl_external'@'localhost'",
)

#: The text of 1227 for a statement that needs CREATE USER.
NEED_CREATE_USER = (
    "Access denied; you need (at least one of) the CREATE USER privilege(s) "
    "for this operation"
)


def denied(user: str, host: str = "localhost", using: str = "YES") -> str:
    """
    The text of error 1045.
    """
    return f"Access denied for user '{user}'@'{host}' (using password: {using})"


@attr.s(auto_attribs=True)
class FakeConnection:
    """
    The parts of a connection the executor reads.
    """

    connectionId: int = 1
    database: Optional[str] = None


@attr.s(auto_attribs=True)
class FakeSession:
    """
    A logged-in session for running statements on the executor directly.
    """

    avatar: Any
    connection: FakeConnection = attr.Factory(FakeConnection)
    variables: Dict[str, Any] = attr.Factory(dict)
    userVariables: Dict[str, Any] = attr.Factory(dict)


class ProxyServerMixin:
    """
    A server over an in-memory account store, the executor of its
    configuration, and helpers to run statements and to log in on iosim.
    """

    #: Statements run with every privilege (as C{--init-file}) in setUp.
    setupStatements: Tuple[str, ...] = ()

    #: Keyword arguments of the server's configuration.
    serverOptions: Dict[str, Any] = {}

    def setUp(self) -> None:
        self.clock = Clock()
        self.accounts = AccountManager(InMemoryAccountStore())
        self.successResultOf(self.accounts.start())
        self.factory = self.makeFactory(**self.serverOptions)
        self.executor = Executor(self.factory.config)
        self.root = BootstrapSession()
        self.sql(*self.setupStatements)

    def makeFactory(self, **options: Any) -> MySQLServerFactory:
        """
        A server factory over the test's accounts, with the default session.
        """
        return MySQLServerFactory.forAccounts(self.accounts, self.clock, **options)

    # statements

    def sql(self, *statements: str, session: Any = None) -> Any:
        """
        Run statements that must succeed (by default with every privilege).

        @return: the last one's result.
        """
        result = None
        for statement in statements:
            result = self.successResultOf(
                defer.ensureDeferred(self.executor.run(statement, session or self.root))
            )
        return result

    def sqlFails(self, statement: str, session: Any = None) -> errors.MySQLError:
        """
        Run a statement that must fail with a MySQL error.

        @return: the error.
        """
        failure = self.failureResultOf(
            defer.ensureDeferred(self.executor.run(statement, session or self.root)),
            errors.MySQLError,
        )
        return failure.value

    def assertSQLError(
        self, statement: str, code: int, sqlState: str, message: str, session: Any = None
    ) -> None:
        """
        Run a statement and check the MySQL error it fails with.
        """
        error = self.sqlFails(statement, session)
        self.assertEqual((error.errorCode, error.sqlState, error.message), (code, sqlState, message))

    def grantsFor(self, name: str) -> list:
        """
        @return: the lines of C{SHOW GRANTS FOR name}, as text.
        """
        columns, rows = self.sql(f"SHOW GRANTS FOR {name}")
        return [row[0].decode("utf-8") for row in rows]

    def sessionAs(self, user: str, host: str, clientHost: str = "localhost") -> FakeSession:
        """
        A session logged in as the account C{user@host}, from C{clientHost}.
        """
        account = self.accounts.directory.get(AccountName(user, host))
        assert account is not None, f"no account {user}@{host}"
        return FakeSession(MySQLAvatar(user=user, clientHost=clientHost, account=account))

    # logins

    def login(
        self, user: bytes, password: bytes = b"", peer: Any = LOCALHOST, factory: Any = None, **kw: Any
    ):
        """
        Log in with L{MySQLTestClient} on iosim.

        @return: C{(client, server, result)}: the result is the client's
            L{LoginTrace} or a L{Failure}.
        """
        client = MySQLTestClient(user, password, **kw)
        c, server, pump = connectedServerAndClient(
            factory or self.factory, client, peerAddress=peer, clock=self.clock
        )
        pump.flush()
        self.pump = pump
        results: list = []
        client.loggedIn.addBoth(results.append)
        self.assertEqual(len(results), 1, "the login did not finish")
        return client, server, results[0]

    def query(self, client: MySQLTestClient, sql: str) -> Any:
        """
        Run a query on a logged-in client.

        @return: C{(names, rows)}, an affected-row count, or a L{Failure}.
        """
        results: list = []
        client.query(sql).addBoth(results.append)
        self.pump.flush()
        self.assertEqual(len(results), 1, "the query did not finish")
        return results[0]

    def loggedIn(self, user: bytes, password: bytes = b"", **kw: Any) -> Tuple[MySQLTestClient, Any]:
        """
        Log in, failing the test if the server refuses.

        @return: C{(client, server protocol)}.
        """
        client, server, result = self.login(user, password, **kw)
        if not hasattr(result, "greeting"):
            self.fail(f"login as {user!r} failed: {result}")
        return client, server

    def identity(self, user: bytes, password: bytes = b"", **kw: Any) -> Tuple[Optional[str], ...]:
        """
        Log in and read C{USER()}, C{CURRENT_USER()}, C{@@proxy_user} and
        C{@@external_user}.

        @return: the four values as text or L{None}.
        """
        client, server = self.loggedIn(user, password, **kw)
        result = self.query(client, IDENTITY)
        if not isinstance(result, tuple):
            self.fail(f"{IDENTITY} failed: {result}")
        [row] = result[1]
        return tuple(None if v is None else v.decode("utf-8") for v in row)

    def assertRefused(self, result: Any, code: int, message: Optional[str] = None) -> ServerError:
        """
        Assert that a login or query failed with this MySQL error.
        """
        self.assertIsInstance(getattr(result, "value", None), ServerError, str(result))
        error = result.value
        self.assertEqual(error.errorCode, code, error.message)
        if message is not None:
            self.assertEqual(error.message, message)
        return error


# -- the statements ----------------------------------------------------------------


class GrantProxyStatementTests(ProxyServerMixin, SynchronousTestCase):
    """
    C{GRANT PROXY}, C{REVOKE PROXY} and C{SHOW GRANTS}, run with every
    privilege.
    """

    setupStatements = (
        "CREATE USER 'employee'@'localhost' IDENTIFIED WITH mysql_no_login",
        "CREATE USER 'empl_external'@'localhost' IDENTIFIED WITH auth_test_plugin AS 'employee'",
        "CREATE USER 'other'@'%'",
    )

    def test_showGrants(self) -> None:
        """
        A PROXY grant is listed by C{SHOW GRANTS} after the global line, in
        MySQL's words and quoting.
        """
        self.sql("GRANT PROXY ON 'employee'@'localhost' TO 'empl_external'@'localhost'")
        self.assertEqual(
            self.grantsFor("'empl_external'@'localhost'"),
            [
                "GRANT USAGE ON *.* TO `empl_external`@`localhost`",
                "GRANT PROXY ON `employee`@`localhost` TO `empl_external`@`localhost`",
            ],
        )
        # The proxied account's own grants do not list it.
        self.assertEqual(
            self.grantsFor("'employee'@'localhost'"),
            ["GRANT USAGE ON *.* TO `employee`@`localhost`"],
        )

    def test_grantTwice(self) -> None:
        """
        Granting the same PROXY again does not add a second grant.
        """
        self.sql(
            "GRANT PROXY ON 'employee'@'localhost' TO 'empl_external'@'localhost'",
            "GRANT PROXY ON 'employee'@'localhost' TO 'empl_external'@'localhost'",
        )
        self.assertEqual(
            self.grantsFor("'empl_external'@'localhost'")[1:],
            ["GRANT PROXY ON `employee`@`localhost` TO `empl_external`@`localhost`"],
        )

    def test_withGrantOption(self) -> None:
        """
        C{WITH GRANT OPTION} is kept and shown.
        """
        self.sql(
            "GRANT PROXY ON 'employee'@'localhost' TO 'empl_external'@'localhost' WITH GRANT OPTION",
        )
        self.assertEqual(
            self.grantsFor("'empl_external'@'localhost'")[1:],
            [
                "GRANT PROXY ON `employee`@`localhost` TO `empl_external`@`localhost` "
                "WITH GRANT OPTION"
            ],
        )

    def test_manualSyntax(self) -> None:
        """
        The manual's unquoted names without hosts mean C{'name'@'%'}.
        """
        self.sql(
            "CREATE USER win_proxy IDENTIFIED WITH test_plugin_server AS 'local_wlad'",
            "CREATE USER local_wlad IDENTIFIED WITH mysql_no_login",
            "GRANT PROXY ON local_wlad TO win_proxy",
        )
        self.assertEqual(
            self.grantsFor("win_proxy"),
            [
                "GRANT USAGE ON *.* TO `win_proxy`@`%`",
                "GRANT PROXY ON `local_wlad`@`%` TO `win_proxy`@`%`",
            ],
        )

    def test_severalGrantees(self) -> None:
        """
        One statement may grant to several accounts.
        """
        self.sql("GRANT PROXY ON 'employee'@'localhost' TO 'empl_external'@'localhost', 'other'@'%'")
        directory = self.accounts.directory
        self.assertEqual(
            {g.proxy for g in directory.proxyGrants()},
            {AccountName("empl_external", "localhost"), AccountName("other", "%")},
        )

    def test_keptInStore(self) -> None:
        """
        A PROXY grant is written to the account store: it is still there
        after the directory is reloaded from the store.
        """
        self.sql("GRANT PROXY ON 'employee'@'localhost' TO 'empl_external'@'localhost' WITH GRANT OPTION")
        self.successResultOf(self.accounts.reload())
        self.assertEqual(
            self.accounts.directory.proxyGrants(),
            (
                ProxyGrant(
                    AccountName("empl_external", "localhost"),
                    AccountName("employee", "localhost"),
                    True,
                ),
            ),
        )

    def test_proxiedNeedNotExist(self) -> None:
        """
        As in MySQL, the proxied account of a grant need not exist (logins
        through it are refused until it does).
        """
        self.sql("GRANT PROXY ON 'nobody'@'localhost' TO 'other'@'%'")
        self.assertEqual(
            self.grantsFor("'other'@'%'")[1:],
            ["GRANT PROXY ON `nobody`@`localhost` TO `other`@`%`"],
        )

    def test_grantToMissingAccount(self) -> None:
        """
        GRANT PROXY to an account that does not exist: 1410, and nothing is
        granted, not even to the grantees that exist.
        """
        self.assertSQLError(
            "GRANT PROXY ON 'employee'@'localhost' TO 'other'@'%', 'ghost'@'%'",
            1410,
            "42000",
            "You are not allowed to create a user with GRANT",
        )
        self.assertEqual(self.accounts.directory.proxyGrants(), ())

    def test_revoke(self) -> None:
        """
        REVOKE PROXY removes the grant; the accounts stay.
        """
        self.sql(
            "GRANT PROXY ON 'employee'@'localhost' TO 'empl_external'@'localhost'",
            "REVOKE PROXY ON 'employee'@'localhost' FROM 'empl_external'@'localhost'",
        )
        self.assertEqual(
            self.grantsFor("'empl_external'@'localhost'"),
            ["GRANT USAGE ON *.* TO `empl_external`@`localhost`"],
        )
        self.assertIsNotNone(self.accounts.directory.get(AccountName("employee", "localhost")))

    def test_revokeMissingGrant(self) -> None:
        """
        REVOKE PROXY of a grant that does not exist: 1141, naming the
        grantee.
        """
        self.assertSQLError(
            "REVOKE PROXY ON 'employee'@'localhost' FROM 'empl_external'@'localhost'",
            1141,
            "42000",
            "There is no such grant defined for user 'empl_external' on host 'localhost'",
        )

    def test_revokeFromMissingAccount(self) -> None:
        """
        REVOKE PROXY from an account that does not exist: 1141 too.
        """
        self.assertSQLError(
            "REVOKE PROXY ON 'employee'@'localhost' FROM 'ghost'@'%'",
            1141,
            "42000",
            "There is no such grant defined for user 'ghost' on host '%'",
        )

    def test_firstStartRootGrant(self) -> None:
        """
        The first start gives root C{PROXY ON ''@'' WITH GRANT OPTION}, as
        MySQL's C{--initialize} does.
        """
        accounts = AccountManager(InMemoryAccountStore())
        self.successResultOf(accounts.start())
        factory = MySQLServerFactory.forAccounts(accounts, self.clock)
        self.successResultOf(
            defer.ensureDeferred(bootstrapAccounts(factory.config, osUser="mysql"))
        )
        self.assertIn(
            ProxyGrant(AccountName("root", "localhost"), AccountName("", ""), True),
            accounts.directory.proxyGrants(),
        )
        rows = self.successResultOf(
            defer.ensureDeferred(
                Executor(factory.config).run("SHOW GRANTS FOR 'root'@'localhost'", BootstrapSession())
            )
        )[1]
        self.assertIn(
            b"GRANT PROXY ON ``@`` TO `root`@`localhost` WITH GRANT OPTION",
            [row[0] for row in rows],
        )


class AccountChangeTests(ProxyServerMixin, SynchronousTestCase):
    """
    DROP USER and RENAME USER and the PROXY grants. MySQL's
    C{handle_grant_struct} (C{PROXY_USERS_ACL}) and C{handle_grant_table}
    match a C{proxies_priv} row by its proxy side (C{Host}, C{User}) only:
    dropping or renaming the proxy account drops or carries its grants,
    while grants that name a dropped or renamed account as the proxied side
    stay as they were.
    """

    setupStatements = MANUAL_EXAMPLE + (
        "CREATE USER 'employee2'@'localhost' IDENTIFIED WITH mysql_no_login",
        "GRANT PROXY ON 'employee2'@'localhost' TO 'empl_external'@'localhost'",
    )

    def test_dropProxy(self) -> None:
        """
        DROP USER of the proxy account drops its PROXY grants.
        """
        self.sql("DROP USER 'empl_external'@'localhost'")
        self.assertEqual(self.accounts.directory.proxyGrants(), ())

    def test_renameProxy(self) -> None:
        """
        RENAME USER of the proxy account carries its PROXY grants, and the
        renamed account proxies as before.
        """
        self.sql("RENAME USER 'empl_external'@'localhost' TO 'ext'@'localhost'")
        self.assertEqual(
            self.grantsFor("'ext'@'localhost'")[1:],
            [
                "GRANT PROXY ON `employee`@`localhost` TO `ext`@`localhost`",
                "GRANT PROXY ON `employee2`@`localhost` TO `ext`@`localhost`",
            ],
        )
        self.assertEqual(
            self.identity(b"ext", b"employee")[:3],
            ("ext@localhost", "employee@localhost", "'ext'@'localhost'"),
        )

    def test_dropProxied(self) -> None:
        """
        DROP USER of a proxied account leaves the grants that name it (as
        MySQL does); logins through it are refused (no such proxied
        account), and work again once it is created again.
        """
        self.sql("DROP USER 'employee'@'localhost'")
        self.assertEqual(
            self.grantsFor("'empl_external'@'localhost'")[1:],
            [
                "GRANT PROXY ON `employee`@`localhost` TO `empl_external`@`localhost`",
                "GRANT PROXY ON `employee2`@`localhost` TO `empl_external`@`localhost`",
            ],
        )
        self.assertRefused(self.login(b"empl_external", b"employee")[2], 1045)
        self.sql("CREATE USER 'employee'@'localhost' IDENTIFIED WITH mysql_no_login")
        self.assertEqual(self.identity(b"empl_external", b"employee")[1], "employee@localhost")

    def test_renameProxied(self) -> None:
        """
        RENAME USER of a proxied account does not rewrite the grants that
        name it (as MySQL does): they keep naming the old account.
        """
        self.sql("RENAME USER 'employee'@'localhost' TO 'boss'@'localhost'")
        self.assertEqual(
            self.grantsFor("'empl_external'@'localhost'")[1:],
            [
                "GRANT PROXY ON `employee`@`localhost` TO `empl_external`@`localhost`",
                "GRANT PROXY ON `employee2`@`localhost` TO `empl_external`@`localhost`",
            ],
        )


class GrantProxyPrivilegeTests(ProxyServerMixin, SynchronousTestCase):
    """
    Who may grant and revoke PROXY: MySQL's C{acl_check_proxy_grant_access}.
    The init-file session may; an account may grant PROXY on itself; an
    account holding a PROXY grant WITH GRANT OPTION that covers the proxied
    account may (root's C{''@''} grant covers every account); anyone else
    gets 1698 C{Access denied for user 'u'@'h'}, whatever global privileges
    it has.
    """

    ACCOUNTS = (
        "CREATE USER 'employee'@'localhost' IDENTIFIED WITH mysql_no_login",
        "CREATE USER 'employee'@'%' IDENTIFIED WITH mysql_no_login",
        "CREATE USER 'manager'@'localhost' IDENTIFIED WITH mysql_no_login",
        "CREATE USER 'ext'@'%' IDENTIFIED WITH test_plugin_server AS 'employee'",
        "CREATE USER 'holder'@'%' IDENTIFIED BY 'h'",
        "CREATE USER 'plain'@'%' IDENTIFIED BY 'p'",
        "CREATE USER 'dba'@'%' IDENTIFIED BY 'd'",
        "GRANT ALL PRIVILEGES ON *.* TO 'dba'@'%' WITH GRANT OPTION",
    )

    def setUp(self) -> None:
        super().setUp()
        # A first start, then the test's accounts.
        self.successResultOf(
            defer.ensureDeferred(bootstrapAccounts(self.factory.config, osUser="mysql"))
        )
        self.sql(*self.ACCOUNTS)

    def grantsOfExt(self) -> list:
        """
        @return: the PROXY lines of C{SHOW GRANTS FOR 'ext'@'%'}.
        """
        return self.grantsFor("'ext'@'%'")[1:]

    def test_bootstrapSession(self) -> None:
        """
        The init-file session grants PROXY on any account.
        """
        self.sql("GRANT PROXY ON 'manager'@'localhost' TO 'ext'@'%'")
        self.assertEqual(self.grantsOfExt(), ["GRANT PROXY ON `manager`@`localhost` TO `ext`@`%`"])

    def test_proxiedAccountItself(self) -> None:
        """
        An account may grant and revoke PROXY on itself.
        """
        me = self.sessionAs("employee", "localhost")
        self.sql("GRANT PROXY ON 'employee'@'localhost' TO 'ext'@'%'", session=me)
        self.assertEqual(self.grantsOfExt(), ["GRANT PROXY ON `employee`@`localhost` TO `ext`@`%`"])
        self.sql("REVOKE PROXY ON 'employee'@'localhost' FROM 'ext'@'%'", session=me)
        self.assertEqual(self.grantsOfExt(), [])

    def test_itselfIsTheAccount(self) -> None:
        """
        "Itself" is the session's account, user and host: C{employee@'%'}
        may not grant PROXY on C{employee@localhost}.
        """
        me = self.sessionAs("employee", "%")
        self.assertSQLError(
            "GRANT PROXY ON 'employee'@'localhost' TO 'ext'@'%'",
            1698,
            "28000",
            "Access denied for user 'employee'@'localhost'",
            session=me,
        )

    def test_withGrantOptionHolder(self) -> None:
        """
        The holder of C{PROXY ... WITH GRANT OPTION} on an account may grant
        and revoke PROXY on it to others.
        """
        self.sql("GRANT PROXY ON 'employee'@'localhost' TO 'holder'@'%' WITH GRANT OPTION")
        holder = self.sessionAs("holder", "%")
        self.sql("GRANT PROXY ON 'employee'@'localhost' TO 'ext'@'%'", session=holder)
        self.assertEqual(self.grantsOfExt(), ["GRANT PROXY ON `employee`@`localhost` TO `ext`@`%`"])
        self.sql("REVOKE PROXY ON 'employee'@'localhost' FROM 'ext'@'%'", session=holder)
        self.assertEqual(self.grantsOfExt(), [])

    def test_holderWithoutGrantOption(self) -> None:
        """
        A PROXY grant without GRANT OPTION does not let its holder grant it:
        1698, with the session's user name and client host.
        """
        self.sql("GRANT PROXY ON 'employee'@'localhost' TO 'holder'@'%'")
        holder = self.sessionAs("holder", "%", clientHost="192.0.2.7")
        self.assertSQLError(
            "GRANT PROXY ON 'employee'@'localhost' TO 'ext'@'%'",
            1698,
            "28000",
            "Access denied for user 'holder'@'192.0.2.7'",
            session=holder,
        )
        self.assertEqual(self.grantsOfExt(), [])

    def test_holderOfAnotherAccount(self) -> None:
        """
        A grant WITH GRANT OPTION on one account does not cover another.
        """
        self.sql("GRANT PROXY ON 'manager'@'localhost' TO 'holder'@'%' WITH GRANT OPTION")
        holder = self.sessionAs("holder", "%")
        self.assertSQLError(
            "GRANT PROXY ON 'employee'@'localhost' TO 'ext'@'%'",
            1698,
            "28000",
            "Access denied for user 'holder'@'localhost'",
            session=holder,
        )

    def test_rootFromFirstStart(self) -> None:
        """
        The first-start root, with C{PROXY ON ''@'' WITH GRANT OPTION}, may
        grant PROXY on any account, and on C{''@''} itself.
        """
        root = self.sessionAs("root", "localhost")
        self.sql(
            "GRANT PROXY ON 'employee'@'localhost' TO 'ext'@'%'",
            "GRANT PROXY ON 'manager'@'localhost' TO 'ext'@'%'",
            "GRANT PROXY ON ''@'' TO 'holder'@'%' WITH GRANT OPTION",
            session=root,
        )
        self.assertEqual(
            self.grantsOfExt(),
            [
                "GRANT PROXY ON `employee`@`localhost` TO `ext`@`%`",
                "GRANT PROXY ON `manager`@`localhost` TO `ext`@`%`",
            ],
        )
        # ... and so may the account root handed ''@'' on to.
        holder = self.sessionAs("holder", "%")
        self.sql("REVOKE PROXY ON 'manager'@'localhost' FROM 'ext'@'%'", session=holder)
        self.assertEqual(self.grantsOfExt(), ["GRANT PROXY ON `employee`@`localhost` TO `ext`@`%`"])

    def test_globalPrivilegesAreNotEnough(self) -> None:
        """
        ALL PRIVILEGES WITH GRANT OPTION (CREATE USER included) without a
        PROXY grant: 1698 for GRANT PROXY and for REVOKE PROXY.
        """
        self.sql("GRANT PROXY ON 'employee'@'localhost' TO 'ext'@'%'")
        dba = self.sessionAs("dba", "%")
        self.assertSQLError(
            "GRANT PROXY ON 'manager'@'localhost' TO 'ext'@'%'",
            1698,
            "28000",
            "Access denied for user 'dba'@'localhost'",
            session=dba,
        )
        self.assertSQLError(
            "REVOKE PROXY ON 'employee'@'localhost' FROM 'ext'@'%'",
            1698,
            "28000",
            "Access denied for user 'dba'@'localhost'",
            session=dba,
        )
        self.assertEqual(self.grantsOfExt(), ["GRANT PROXY ON `employee`@`localhost` TO `ext`@`%`"])

    def test_plainAccount(self) -> None:
        """
        An account with no privileges at all: 1698.
        """
        plain = self.sessionAs("plain", "%")
        self.assertSQLError(
            "GRANT PROXY ON 'employee'@'localhost' TO 'plain'@'%'",
            1698,
            "28000",
            "Access denied for user 'plain'@'localhost'",
            session=plain,
        )


# -- logins ------------------------------------------------------------------------


class ProxyLoginTests(ProxyServerMixin, SynchronousTestCase):
    """
    Logins through C{test_plugin_server} accounts that proxy, and every way
    such a login is refused.
    """

    setupStatements = MANUAL_EXAMPLE

    def test_manualExample(self) -> None:
        """
        The manual's example: C{empl_external} logs in with the password
        C{employee} and has C{employee}'s identity. C{USER()} is the name
        sent at the client's host, C{CURRENT_USER()} the proxied account,
        C{@@proxy_user} the proxy account and C{@@external_user} what the
        plugin said.
        """
        self.assertEqual(
            self.identity(b"empl_external", b"employee"),
            ("empl_external@localhost", "employee@localhost", "'empl_external'@'localhost'", "employee"),
        )

    def test_testPluginExchange(self) -> None:
        """
        The server switches the client to C{auth_test_plugin} with the single
        byte 0x05 (a dialog "password, last" question), which the client
        answers with its password and a NUL.
        """
        client, server = self.loggedIn(b"empl_external", b"employee")
        self.assertEqual(client.trace.switchedTo, ["auth_test_plugin"])
        self.assertEqual(client._nonce, b"\x05")

    def test_avatar(self) -> None:
        """
        The avatar of a proxy login carries the proxied account (whose
        privileges apply) and the proxy account's name.
        """
        client, server = self.loggedIn(b"empl_external", b"employee")
        avatar = server.avatar
        self.assertEqual(avatar.user, "empl_external")
        self.assertEqual(avatar.account.name, AccountName("employee", "localhost"))
        self.assertEqual(avatar.account.plugin, "mysql_no_login")
        self.assertEqual(avatar.proxyUser, AccountName("empl_external", "localhost"))
        self.assertEqual(avatar.externalUser, "employee")

    def test_notProxying(self) -> None:
        """
        Without proxying C{@@proxy_user} and C{@@external_user} are NULL and
        C{CURRENT_USER()} is the account itself.
        """
        self.sql("CREATE USER 'ann'@'localhost' IDENTIFIED WITH mysql_native_password BY 'a'")
        self.assertEqual(
            self.identity(b"ann", b"a"), ("ann@localhost", "ann@localhost", None, None)
        )

    def test_testPluginAsItself(self) -> None:
        """
        A C{test_plugin_server} account whose string is its own user name
        logs in as itself, without proxying (and needs no grant).
        """
        self.sql("CREATE USER 'self'@'localhost' IDENTIFIED WITH test_plugin_server AS 'self'")
        self.assertEqual(
            self.identity(b"self", b"self"), ("self@localhost", "self@localhost", None, "self")
        )

    def test_wrongPassword(self) -> None:
        """
        A wrong answer to test_plugin_server: 1045 (using password: YES);
        an empty one: (using password: NO).
        """
        self.assertRefused(
            self.login(b"empl_external", b"employe")[2], 1045, denied("empl_external")
        )
        self.assertRefused(
            self.login(b"empl_external", b"")[2], 1045, denied("empl_external", using="NO")
        )

    def test_noGrant(self) -> None:
        """
        Without the PROXY grant the login is refused with 1045.
        """
        self.sql("REVOKE PROXY ON 'employee'@'localhost' FROM 'empl_external'@'localhost'")
        self.assertRefused(
            self.login(b"empl_external", b"employee")[2], 1045, denied("empl_external")
        )

    def test_grantForAnotherHost(self) -> None:
        """
        A grant whose proxied host pattern does not match the client does
        not apply: the proxied account at C{192.0.2.%} serves a client from
        192.0.2.7 but not one from localhost.
        """
        self.sql(
            "CREATE USER 'employee'@'192.0.2.%' IDENTIFIED WITH mysql_no_login",
            "CREATE USER 'roamer'@'%' IDENTIFIED WITH test_plugin_server AS 'employee'",
            "GRANT PROXY ON 'employee'@'192.0.2.%' TO 'roamer'@'%'",
        )
        self.assertRefused(self.login(b"roamer", b"employee")[2], 1045, denied("roamer"))
        self.assertEqual(
            self.identity(b"roamer", b"employee", peer=REMOTE),
            ("roamer@192.0.2.7", "employee@192.0.2.%", "'roamer'@'%'", "employee"),
        )

    def test_grantOnAnotherUser(self) -> None:
        """
        A grant on another user does not let the proxy become the one its
        plugin names.
        """
        self.sql(
            "CREATE USER 'manager'@'localhost' IDENTIFIED WITH mysql_no_login",
            "REVOKE PROXY ON 'employee'@'localhost' FROM 'empl_external'@'localhost'",
            "GRANT PROXY ON 'manager'@'localhost' TO 'empl_external'@'localhost'",
        )
        self.assertRefused(
            self.login(b"empl_external", b"employee")[2], 1045, denied("empl_external")
        )

    def test_missingProxiedAccount(self) -> None:
        """
        A grant on an account that does not exist: 1045.
        """
        self.sql(
            "CREATE USER 'lost'@'localhost' IDENTIFIED WITH test_plugin_server AS 'ghost'",
            "GRANT PROXY ON 'ghost'@'localhost' TO 'lost'@'localhost'",
        )
        self.assertRefused(self.login(b"lost", b"ghost")[2], 1045, denied("lost"))

    def test_lockedProxyAccount(self) -> None:
        """
        A locked proxy account is refused with 3118 once its credentials
        are right (1045 if not).
        """
        self.sql("ALTER USER 'empl_external'@'localhost' ACCOUNT LOCK")
        self.assertRefused(
            self.login(b"empl_external", b"employee")[2],
            3118,
            "Access denied for user 'empl_external'@'localhost'. Account is locked.",
        )
        self.assertRefused(self.login(b"empl_external", b"nope")[2], 1045)

    def test_lockedProxiedAccount(self) -> None:
        """
        Locking the proxied account does not stop the proxy: the lock is
        checked on the account that authenticates.
        """
        self.sql("ALTER USER 'employee'@'localhost' ACCOUNT LOCK")
        self.assertEqual(
            self.identity(b"empl_external", b"employee")[:2],
            ("empl_external@localhost", "employee@localhost"),
        )

    def test_noLoginDirect(self) -> None:
        """
        A direct login to a C{mysql_no_login} account is refused right after
        the handshake response (no AuthSwitchRequest, no more data) with
        1045 "using password: NO", even when the client sent a password.
        """
        for password in (b"", b"employee", b"secret"):
            client, server, result = self.login(b"employee", password)
            self.assertRefused(result, 1045, denied("employee", using="NO"))
            self.assertEqual(client.trace.switchedTo, [])
            self.assertEqual(client.trace.moreData, [])

    def test_noLoginOverSocket(self) -> None:
        """
        A C{mysql_no_login} account is refused over the UNIX socket too.
        """
        self.assertRefused(
            self.login(b"employee", b"x", peer=SOCKET, secure=True)[2],
            1045,
            denied("employee", using="NO"),
        )

    def test_oneStep(self) -> None:
        """
        Proxying is one step: with A may proxy B and B may proxy C, A may
        become B but never C.
        """
        self.sql(
            "CREATE USER 'c'@'localhost' IDENTIFIED WITH mysql_no_login",
            "CREATE USER 'b'@'localhost' IDENTIFIED WITH test_plugin_server AS 'c'",
            "CREATE USER 'a'@'localhost' IDENTIFIED WITH test_plugin_server AS 'c'",
            "CREATE USER 'a2'@'localhost' IDENTIFIED WITH test_plugin_server AS 'b'",
            "GRANT PROXY ON 'c'@'localhost' TO 'b'@'localhost'",
            "GRANT PROXY ON 'b'@'localhost' TO 'a'@'localhost'",
            "GRANT PROXY ON 'b'@'localhost' TO 'a2'@'localhost'",
        )
        self.assertEqual(self.identity(b"b", b"c")[1], "c@localhost")
        self.assertRefused(self.login(b"a", b"c")[2], 1045, denied("a"))
        self.assertEqual(
            self.identity(b"a2", b"b"), ("a2@localhost", "b@localhost", "'a2'@'localhost'", "b")
        )

    def test_privilegesFromProxied(self) -> None:
        """
        A proxy session has the proxied account's privileges: with CREATE
        USER on the proxied account it may create accounts.
        """
        self.sql("GRANT CREATE USER ON *.* TO 'employee'@'localhost'")
        client, server = self.loggedIn(b"empl_external", b"employee")
        result = self.query(client, "CREATE USER 'made'@'%' IDENTIFIED BY 'x'")
        self.assertEqual(result, 0)
        self.assertIsNotNone(self.accounts.directory.get(AccountName("made", "%")))

    def test_privilegesNotFromProxy(self) -> None:
        """
        The proxy account's own privileges do not apply while proxying: with
        CREATE USER on the proxy account only, CREATE USER gets 1227.
        """
        self.sql("GRANT CREATE USER ON *.* TO 'empl_external'@'localhost'")
        client, server = self.loggedIn(b"empl_external", b"employee")
        self.assertRefused(
            self.query(client, "CREATE USER 'made'@'%' IDENTIFIED BY 'x'"), 1227, NEED_CREATE_USER
        )
        self.assertIsNone(self.accounts.directory.get(AccountName("made", "%")))

    def test_proxySessionGrantsPROXYAsProxied(self) -> None:
        """
        In a proxy session GRANT PROXY is judged for the proxied account: it
        may grant PROXY on itself.
        """
        self.sql("CREATE USER 'other'@'%'")
        client, server = self.loggedIn(b"empl_external", b"employee")
        result = self.query(client, "GRANT PROXY ON 'employee'@'localhost' TO 'other'@'%'")
        self.assertEqual(result, 0)
        self.assertEqual(
            self.grantsFor("'other'@'%'")[1:],
            ["GRANT PROXY ON `employee`@`localhost` TO `other`@`%`"],
        )


class DefaultProxyUserTests(ProxyServerMixin, SynchronousTestCase):
    """
    The default proxy user C{''@''}: an account with an external plugin
    that every user with no account of its own matches, proxied by its
    PROXY grants; and the manual's conflict with anonymous C{''@'localhost'}
    accounts, which sort before it for local clients.
    """

    setupStatements = (
        "CREATE USER ''@'' IDENTIFIED WITH test_plugin_server AS 'employee'",
        "CREATE USER 'employee'@'%' IDENTIFIED WITH mysql_no_login",
        "GRANT PROXY ON 'employee'@'%' TO ''@''",
    )

    def test_routesUnknownUser(self) -> None:
        """
        A user with no account logs in through C{''@''} with the proxied
        account's identity, locally and from another host.
        """
        self.assertEqual(
            self.identity(b"joe", b"employee"),
            ("joe@localhost", "employee@%", "''@''", "employee"),
        )
        self.assertEqual(
            self.identity(b"joe", b"employee", peer=REMOTE),
            ("joe@192.0.2.7", "employee@%", "''@''", "employee"),
        )

    def test_percentHost(self) -> None:
        """
        C{''@'%'} works as the default proxy user the same way.
        """
        self.sql(
            "DROP USER ''@''",
            "CREATE USER ''@'%' IDENTIFIED WITH test_plugin_server AS 'employee'",
            "GRANT PROXY ON 'employee'@'%' TO ''@'%'",
        )
        self.assertEqual(
            self.identity(b"joe", b"employee"),
            ("joe@localhost", "employee@%", "''@'%'", "employee"),
        )

    def test_wrongAnswer(self) -> None:
        """
        The default proxy user's plugin still checks: a wrong answer is 1045.
        """
        self.assertRefused(self.login(b"joe", b"manager")[2], 1045, denied("joe"))

    def test_ownAccountWins(self) -> None:
        """
        A user with an account of its own logs in to it, not through the
        default proxy user.
        """
        self.sql("CREATE USER 'ann'@'localhost' IDENTIFIED WITH mysql_native_password BY 'a'")
        self.assertEqual(self.identity(b"ann", b"a"), ("ann@localhost", "ann@localhost", None, None))
        self.assertRefused(self.login(b"ann", b"employee")[2], 1045, denied("ann"))

    def test_anonymousConflict(self) -> None:
        """
        With an anonymous C{''@'localhost'} (native, no password), local
        clients match it instead of C{''@''}, as in MySQL: the
        C{test_plugin_server} answer is checked as a native password and
        refused, and a client sending no password logs in as the anonymous
        account. Clients from other hosts still reach the default proxy.
        """
        self.sql("CREATE USER ''@'localhost' IDENTIFIED WITH mysql_native_password")
        self.assertRefused(self.login(b"joe", b"employee")[2], 1045, denied("joe"))
        self.assertRefused(
            self.login(b"joe", b"employee", peer=SOCKET, secure=True)[2], 1045, denied("joe")
        )
        self.assertEqual(self.identity(b"joe", b""), ("joe@localhost", "@localhost", None, None))
        self.assertEqual(self.identity(b"joe", b"employee", peer=REMOTE)[1:3], ("employee@%", "''@''"))

    def test_avoidByDroppingAnonymous(self) -> None:
        """
        Dropping the anonymous account ends the conflict.
        """
        self.sql("CREATE USER ''@'localhost' IDENTIFIED WITH mysql_native_password")
        self.sql("DROP USER ''@'localhost'")
        self.assertEqual(self.identity(b"joe", b"employee")[1:3], ("employee@%", "''@''"))

    def test_avoidByLocalDefaultProxy(self) -> None:
        """
        Making C{''@'localhost'} a default proxy user too (same plugin, its
        own PROXY grant) also ends the conflict; local clients then go
        through it.
        """
        self.sql(
            "CREATE USER ''@'localhost' IDENTIFIED WITH test_plugin_server AS 'employee'",
            "GRANT PROXY ON 'employee'@'%' TO ''@'localhost'",
        )
        self.assertEqual(
            self.identity(b"joe", b"employee"),
            ("joe@localhost", "employee@%", "''@'localhost'", "employee"),
        )

    def test_externalNameEqualsProxiedName(self) -> None:
        """
        Proxying is asked for whenever the plugin's answer differs from the
        matched account's user name (MySQL's C{acl_find_proxy_user}
        compares C{authenticated_as} with C{acl_user->user}), even when it
        equals the name the client sent: C{employee} from localhost matches
        C{''@'localhost'} (its host is more specific than C{employee@'%'})
        and is proxied to C{employee@'%'} through that account's grant.
        """
        self.sql(
            "CREATE USER ''@'localhost' IDENTIFIED WITH test_plugin_server AS 'employee'",
            "GRANT PROXY ON 'employee'@'%' TO ''@'localhost'",
        )
        self.assertEqual(
            self.identity(b"employee", b"employee"),
            ("employee@localhost", "employee@%", "''@'localhost'", "employee"),
        )

    def test_externalNameEqualsProxiedNameNeedsGrant(self) -> None:
        """
        ... and without that grant the login is refused with 1045, as in
        MySQL, rather than admitted as the anonymous account.
        """
        self.sql("CREATE USER ''@'localhost' IDENTIFIED WITH test_plugin_server AS 'employee'")
        self.assertRefused(self.login(b"employee", b"employee")[2], 1045, denied("employee"))


class ServerChosenProxyTests(ProxyServerMixin, SynchronousTestCase):
    """
    C{check_proxy_users} with C{mysql_native_password_proxy_users} and
    C{sha256_password_proxy_users}: the built-in password methods ask the
    server to choose the proxied account (MySQL's C{authenticated_as = ""})
    and the server takes the first granted account that exists and whose
    host matches the client; anonymous proxied accounts are never chosen.
    """

    serverOptions = {"tlsOptions": FakeTLSOptions()}

    setupStatements = (
        "CREATE USER 'win_proxy'@'%' IDENTIFIED WITH mysql_native_password BY 'pw'",
        "CREATE USER 'local_wlad'@'localhost' IDENTIFIED WITH mysql_no_login",
        "CREATE USER 'local_dev'@'localhost' IDENTIFIED WITH mysql_no_login",
        "CREATE USER 'local_admin'@'localhost' IDENTIFIED WITH mysql_no_login",
        "GRANT PROXY ON 'local_wlad'@'localhost' TO 'win_proxy'@'%'",
        "GRANT PROXY ON 'local_dev'@'localhost' TO 'win_proxy'@'%'",
        "GRANT PROXY ON 'local_admin'@'localhost' TO 'win_proxy'@'%'",
        "CREATE USER 'solo'@'%' IDENTIFIED WITH mysql_native_password BY 'pw'",
        "CREATE USER 's256'@'%' IDENTIFIED WITH sha256_password BY 'pw'",
        "GRANT PROXY ON 'local_dev'@'localhost' TO 's256'@'%'",
        "CREATE USER 'sha2'@'%' IDENTIFIED WITH caching_sha2_password BY 'pw'",
        "GRANT PROXY ON 'local_dev'@'localhost' TO 'sha2'@'%'",
    )

    def mapping(self, native: bool = True, sha256: bool = True, check: bool = True) -> MySQLServerFactory:
        """
        A factory with these settings.
        """
        return self.makeFactory(
            tlsOptions=FakeTLSOptions(),
            checkProxyUsers=check,
            nativePasswordProxyUsers=native,
            sha256PasswordProxyUsers=sha256,
        )

    def test_offByDefault(self) -> None:
        """
        With the settings off (the default) a native account with PROXY
        grants logs in as itself.
        """
        self.assertEqual(
            self.identity(b"win_proxy", b"pw"), ("win_proxy@localhost", "win_proxy@%", None, None)
        )

    def test_checkProxyUsersAlone(self) -> None:
        """
        C{check_proxy_users} without the method's own setting: no proxying.
        """
        factory = self.mapping(native=False, sha256=False)
        self.assertEqual(self.identity(b"win_proxy", b"pw", factory=factory)[1:3], ("win_proxy@%", None))

    def test_methodSettingAlone(self) -> None:
        """
        C{mysql_native_password_proxy_users} without C{check_proxy_users}: no
        proxying.
        """
        factory = self.mapping(check=False)
        self.assertEqual(self.identity(b"win_proxy", b"pw", factory=factory)[1:3], ("win_proxy@%", None))

    def test_firstGranted(self) -> None:
        """
        With both on, a native account is proxied to the first account it
        was granted PROXY on (C{local_wlad}, granted before C{local_dev} and
        C{local_admin}), as MySQL's C{acl_find_proxy_user} walks the
        in-memory proxy rows in the order they were granted.
        """
        factory = self.mapping()
        self.assertEqual(
            self.identity(b"win_proxy", b"pw", factory=factory),
            ("win_proxy@localhost", "local_wlad@localhost", "'win_proxy'@'%'", None),
        )

    def test_firstExisting(self) -> None:
        """
        Grants naming accounts that do not exist are skipped.
        """
        self.sql(
            "CREATE USER 'mapper'@'%' IDENTIFIED WITH mysql_native_password BY 'pw'",
            "GRANT PROXY ON 'aaa_missing'@'localhost' TO 'mapper'@'%'",
            "GRANT PROXY ON 'local_dev'@'localhost' TO 'mapper'@'%'",
        )
        factory = self.mapping()
        self.assertEqual(
            self.identity(b"mapper", b"pw", factory=factory)[1:3],
            ("local_dev@localhost", "'mapper'@'%'"),
        )

    def test_anonymousNeverChosen(self) -> None:
        """
        A PROXY grant on an anonymous account is never used by the server's
        choice (MySQL: "we never use anonymous users when mapping").
        """
        # mapper@localhost, not '%': the anonymous account would match a
        # local client first.
        self.sql(
            "CREATE USER ''@'localhost' IDENTIFIED WITH mysql_no_login",
            "CREATE USER 'mapper'@'localhost' IDENTIFIED WITH mysql_native_password BY 'pw'",
            "GRANT PROXY ON ''@'localhost' TO 'mapper'@'localhost'",
        )
        factory = self.mapping()
        self.assertEqual(
            self.identity(b"mapper", b"pw", factory=factory)[1:3], ("mapper@localhost", None)
        )
        self.sql("GRANT PROXY ON 'local_dev'@'localhost' TO 'mapper'@'localhost'")
        self.assertEqual(
            self.identity(b"mapper", b"pw", factory=factory)[1:3],
            ("local_dev@localhost", "'mapper'@'localhost'"),
        )

    def test_hostMustMatch(self) -> None:
        """
        Only grants whose proxied host pattern matches the client are
        considered: with nothing that matches, the account logs in as
        itself.
        """
        self.sql(
            "CREATE USER 'far'@'192.0.2.%' IDENTIFIED WITH mysql_no_login",
            "CREATE USER 'mapper'@'%' IDENTIFIED WITH mysql_native_password BY 'pw'",
            "GRANT PROXY ON 'far'@'192.0.2.%' TO 'mapper'@'%'",
        )
        factory = self.mapping()
        self.assertEqual(
            self.identity(b"mapper", b"pw", factory=factory)[1:3], ("mapper@%", None)
        )
        self.assertEqual(
            self.identity(b"mapper", b"pw", factory=factory, peer=REMOTE)[1:3],
            ("far@192.0.2.%", "'mapper'@'%'"),
        )

    def test_withoutGrant(self) -> None:
        """
        An account with no PROXY grant logs in as itself.
        """
        self.assertEqual(
            self.identity(b"solo", b"pw", factory=self.mapping()),
            ("solo@localhost", "solo@%", None, None),
        )

    def test_passwordStillChecked(self) -> None:
        """
        The mapping never replaces the password check.
        """
        self.assertRefused(
            self.login(b"win_proxy", b"wrong", factory=self.mapping())[2], 1045, denied("win_proxy")
        )

    def test_lockStillChecked(self) -> None:
        """
        A locked account is refused with 3118 even when it would be mapped.
        """
        self.sql("ALTER USER 'win_proxy'@'%' ACCOUNT LOCK")
        self.assertRefused(
            self.login(b"win_proxy", b"pw", factory=self.mapping())[2],
            3118,
            "Access denied for user 'win_proxy'@'localhost'. Account is locked.",
        )

    def test_sha256(self) -> None:
        """
        C{sha256_password_proxy_users} maps sha256_password accounts (here
        over TLS); the native setting alone does not.
        """
        tls = dict(tlsOptions=FakeTLSOptions())
        self.assertEqual(
            self.identity(b"s256", b"pw", factory=self.mapping(), **tls),
            ("s256@localhost", "local_dev@localhost", "'s256'@'%'", None),
        )
        self.assertEqual(
            self.identity(b"s256", b"pw", factory=self.mapping(sha256=False), **tls)[1:3],
            ("s256@%", None),
        )

    def test_sha256SettingDoesNotCoverNative(self) -> None:
        """
        C{sha256_password_proxy_users} alone does not map native accounts.
        """
        self.assertEqual(
            self.identity(b"win_proxy", b"pw", factory=self.mapping(native=False))[1:3],
            ("win_proxy@%", None),
        )

    def test_cachingSHA2NotMapped(self) -> None:
        """
        caching_sha2_password has no such setting: its accounts log in as
        themselves whatever is on.
        """
        self.assertEqual(
            self.identity(b"sha2", b"pw", factory=self.mapping(), tlsOptions=FakeTLSOptions())[1:3],
            ("sha2@%", None),
        )

    def test_testPluginUnaffected(self) -> None:
        """
        Accounts whose plugin names the proxied user keep proxying to it
        with the settings on.
        """
        self.sql(
            "CREATE USER 'ext'@'%' IDENTIFIED WITH test_plugin_server AS 'local_admin'",
            "GRANT PROXY ON 'local_wlad'@'localhost' TO 'ext'@'%'",
            "GRANT PROXY ON 'local_admin'@'localhost' TO 'ext'@'%'",
        )
        self.assertEqual(
            self.identity(b"ext", b"local_admin", factory=self.mapping())[1:3],
            ("local_admin@localhost", "'ext'@'%'"),
        )


class ProxyVariableTests(ProxyServerMixin, SynchronousTestCase):
    """
    The settings as system variables.
    """

    setupStatements = ("CREATE USER 'solo'@'%' IDENTIFIED WITH mysql_native_password BY 'pw'",)

    SETTINGS = (
        "SELECT @@check_proxy_users, @@mysql_native_password_proxy_users,"
        " @@sha256_password_proxy_users"
    )

    def values(self, sql: str, factory: Any = None) -> list:
        """
        Log in as C{solo} and run C{sql}.

        @return: the rows.
        """
        client, server = self.loggedIn(b"solo", b"pw", factory=factory)
        result = self.query(client, sql)
        if not isinstance(result, tuple):
            self.fail(f"{sql} failed: {result}")
        return result[1]

    def test_selectOff(self) -> None:
        """
        C{SELECT @@check_proxy_users} and the two method settings answer 0
        when off: MySQL gives boolean system variables as 0 and 1 in
        expressions (ON and OFF only in SHOW VARIABLES).
        """
        self.assertEqual(self.values(self.SETTINGS), [[b"0", b"0", b"0"]])

    def test_selectOn(self) -> None:
        """
        ... and 1 when on, each reflecting its own setting.
        """
        factory = self.makeFactory(checkProxyUsers=True, nativePasswordProxyUsers=True)
        self.assertEqual(self.values(self.SETTINGS, factory), [[b"1", b"1", b"0"]])

    def test_showVariables(self) -> None:
        """
        SHOW VARIABLES shows them as ON and OFF.
        """
        factory = self.makeFactory(checkProxyUsers=True, sha256PasswordProxyUsers=True)
        rows = self.values("SHOW VARIABLES LIKE '%proxy_users'", factory)
        self.assertEqual(
            rows,
            [
                [b"check_proxy_users", b"ON"],
                [b"mysql_native_password_proxy_users", b"OFF"],
                [b"sha256_password_proxy_users", b"ON"],
            ],
        )

    def test_notSetBySession(self) -> None:
        """
        A session cannot turn them on.
        """
        client, server = self.loggedIn(b"solo", b"pw")
        result = self.query(client, "SET check_proxy_users = ON")
        self.assertIsInstance(getattr(result, "value", None), ServerError, result)
        result = self.query(client, "SELECT @@check_proxy_users")
        self.assertNotIn(result[1], ([[b"1"]], [[b"ON"]]))
        self.assertFalse(self.factory.config.checkProxyUsers)


# -- options -----------------------------------------------------------------------


class ProxyOptionsTests(SynchronousTestCase):
    """
    The settings as options of C{twistd mysqlauth} and in a my.cnf.
    """

    def parse(self, *argv: str):
        """
        Parse options (with a datadir of the test's own).

        @return: the L{ServerSettings}.
        """
        options = Options()
        options.parseOptions(["--datadir", self.mktemp(), *argv])
        return options["settings"]

    def writeFile(self, text: str) -> str:
        """
        @return: the path of a new file holding C{text}.
        """
        path = self.mktemp()
        with open(path, "w") as f:
            f.write(text)
        return path

    def test_defaultsOff(self) -> None:
        """
        All three are off by default.
        """
        settings = self.parse()
        self.assertEqual(
            (settings.checkProxyUsers, settings.nativePasswordProxyUsers, settings.sha256PasswordProxyUsers),
            (False, False, False),
        )

    def test_commandLine(self) -> None:
        """
        C{--check-proxy-users}, C{--mysql-native-password-proxy-users} and
        C{--sha256-password-proxy-users} each set their own field.
        """
        settings = self.parse("--check-proxy-users", "--mysql-native-password-proxy-users")
        self.assertEqual(
            (settings.checkProxyUsers, settings.nativePasswordProxyUsers, settings.sha256PasswordProxyUsers),
            (True, True, False),
        )
        settings = self.parse("--sha256-password-proxy-users")
        self.assertEqual(
            (settings.checkProxyUsers, settings.nativePasswordProxyUsers, settings.sha256PasswordProxyUsers),
            (False, False, True),
        )

    def test_mycnf(self) -> None:
        """
        The my.cnf names (with dashes or underscores, MySQL's boolean
        values) set the same fields.
        """
        path = self.writeFile(
            "[mysqld]\ncheck_proxy_users=ON\nmysql-native-password-proxy-users=1\n"
            "sha256_password_proxy_users=OFF\n"
        )
        settings = self.parse("--defaults-file", path)
        self.assertEqual(
            (settings.checkProxyUsers, settings.nativePasswordProxyUsers, settings.sha256PasswordProxyUsers),
            (True, True, False),
        )
        path = self.writeFile("[mysqld]\nsha256-password-proxy-users=TRUE\ncheck-proxy-users\n")
        settings = self.parse("--defaults-file", path)
        self.assertEqual(
            (settings.checkProxyUsers, settings.nativePasswordProxyUsers, settings.sha256PasswordProxyUsers),
            (True, False, True),
        )

    def test_mycnfBadValue(self) -> None:
        """
        A value that is not a boolean is a usage error naming the option.
        """
        path = self.writeFile("[mysqld]\ncheck_proxy_users=maybe\n")
        error = self.assertRaises(usage.UsageError, self.parse, "--defaults-file", path)
        self.assertIn("check_proxy_users", str(error))


class ProxyServiceTests(TestCase):
    """
    C{twistd mysqlauth} hands the settings to the server it starts.
    """

    @defer.inlineCallbacks
    def test_settingsReachServer(self) -> None:
        """
        The started service's server configuration has the settings the
        options gave.
        """
        datadir = os.path.abspath(self.mktemp())
        options = Options()
        options.parseOptions(
            [
                "--datadir",
                datadir,
                "--listen",
                "tcp:0:interface=127.0.0.1",
                "--check-proxy-users",
                "--sha256-password-proxy-users",
            ]
        )
        service = MySQLAuthService(options["settings"], stopReactorOnFailure=False)
        service.startService()
        self.addCleanup(service.stopService)
        yield service.started
        config = service.factory.config
        self.assertEqual(
            (config.checkProxyUsers, config.nativePasswordProxyUsers, config.sha256PasswordProxyUsers),
            (True, False, True),
        )
