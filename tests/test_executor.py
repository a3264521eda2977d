# Copyright (c) twisted_mysqlauth developers.
# See LICENSE for details.
"""
Tests for L{twisted_mysqlauth.sql.executor}: the account SQL, the privilege
rules, and the identity and variable reads, run against an in-memory account
store (everything fires synchronously).
"""

from __future__ import annotations

from typing import Any, Dict, Optional
from unittest import mock

import attr
from twisted.internet import defer
from twisted.internet.task import Clock
from twisted.trial.unittest import SynchronousTestCase

from twisted_mysqlauth import errors
from twisted_mysqlauth.accounts.directory import AccountManager
from twisted_mysqlauth.accounts.memory import InMemoryAccountStore
from twisted_mysqlauth.accounts.model import (
    ALL_PRIVILEGES,
    Account,
    AccountName,
    PutAccount,
)
from twisted_mysqlauth.auth import hashing
from twisted_mysqlauth.auth.cachingsha2 import FastDigestCache
from twisted_mysqlauth.bootstrap import BootstrapSession
from twisted_mysqlauth.realm import MySQLAvatar
from twisted_mysqlauth.server import ServerConfiguration
from twisted_mysqlauth.session import AccountSQLSession
from twisted_mysqlauth.sql.executor import Executor, showCreateUser
from twisted_mysqlauth.wire import constants as C

#: The text MySQL sends with 1227 for a statement that needs CREATE USER.
NEED_CREATE_USER = (
    "Access denied; you need (at least one of) the CREATE USER privilege(s) "
    "for this operation"
)

#: What SHOW CREATE USER prints after the lock clause.
SHOW_CREATE_TAIL = (
    " PASSWORD HISTORY DEFAULT PASSWORD REUSE INTERVAL DEFAULT"
    " PASSWORD REQUIRE CURRENT DEFAULT"
)

#: A caching_sha2_password salt with a control byte: printed as hex.
BINARY_SALT = b"\x01\x02abcdefghijklmnopq\x7f"

#: A caching_sha2_password salt of printable bytes, with a quote and a
#: backslash that must be escaped: printed as a quoted string.
PRINTABLE_SALT = b"ab'cd\\efghijklmnopqr"


@attr.s(auto_attribs=True)
class FakeConnection:
    """
    The parts of a connection the executor reads.
    """

    connectionId: int = 7
    database: Optional[str] = None


@attr.s(auto_attribs=True)
class FakeSession:
    """
    A logged-in session: who, on which connection, with which variables.
    """

    avatar: Any
    connection: FakeConnection = attr.Factory(FakeConnection)
    variables: Dict[str, Any] = attr.Factory(dict)
    userVariables: Dict[str, Any] = attr.Factory(dict)


class ExecutorTestMixin:
    """
    An executor over a fresh in-memory account store, and helpers to run
    statements as the init file does (every privilege) or as an account.
    """

    def setUp(self) -> None:
        self.store = InMemoryAccountStore()
        self.accounts = AccountManager(self.store)
        self.successResultOf(self.accounts.start())
        self.config = ServerConfiguration(self.accounts, Clock())
        self.executor = Executor(self.config)
        self.root = BootstrapSession()

    def execute(self, sql: str, session: Any = None) -> Any:
        """
        Run a statement that must succeed.

        @return: its result.
        """
        if session is None:
            session = self.root
        return self.successResultOf(
            defer.ensureDeferred(self.executor.run(sql, session))
        )

    def executeFails(self, sql: str, session: Any = None) -> errors.MySQLError:
        """
        Run a statement that must fail with a MySQL error.

        @return: the error.
        """
        if session is None:
            session = self.root
        failure = self.failureResultOf(
            defer.ensureDeferred(self.executor.run(sql, session)),
            errors.MySQLError,
        )
        return failure.value

    def assertError(
        self, sql: str, code: int, sqlState: str, message: str, session: Any = None
    ) -> errors.MySQLError:
        """
        Run a statement and check the MySQL error it fails with.
        """
        error = self.executeFails(sql, session)
        self.assertEqual(
            (error.errorCode, error.sqlState, error.message), (code, sqlState, message)
        )
        return error

    def account(self, user: str, host: str = "%") -> Optional[Account]:
        """
        @return: the account named C{user@host} in the directory, or None.
        """
        return self.accounts.directory.get(AccountName(user, host))

    def names(self) -> set:
        """
        @return: the names of every account in the directory.
        """
        return {account.name for account in self.accounts.directory.accounts()}

    def addAccount(self, user: str, host: str = "%", **kwargs: Any) -> Account:
        """
        Put an account in the store and the directory directly.
        """
        kwargs.setdefault("plugin", "caching_sha2_password")
        account = Account(AccountName(user, host), **kwargs)
        self.successResultOf(self.accounts.apply([PutAccount(account)]))
        return account

    def sessionAs(
        self, user: str, host: str = "%", clientHost: str = "localhost"
    ) -> FakeSession:
        """
        @return: a session logged in as the existing account C{user@host}.
        """
        account = self.account(user, host)
        assert account is not None, (user, host)
        return FakeSession(MySQLAvatar(user, clientHost, account))

    def method(self, name: str) -> Any:
        """
        @return: the loaded auth method called C{name}.
        """
        return self.config.methods.get(name)

    def assertVerifies(self, account: Account, password: bytes) -> None:
        """
        Assert that C{password} verifies against the account's stored hash
        (and that a different one does not).
        """
        method = self.method(account.plugin)
        self.assertTrue(method.verifyPassword(account.authString, password))
        self.assertFalse(method.verifyPassword(account.authString, password + b"x"))

    def columnNames(self, result: Any) -> list:
        """
        @return: the column names of a result set.
        """
        columns, rows = result
        return [getattr(column, "name", column) for column in columns]


class CreateUserTests(ExecutorTestMixin, SynchronousTestCase):
    """
    C{CREATE USER}.
    """

    def test_plain(self) -> None:
        """
        Without C{IDENTIFIED}, the account uses the default plugin with an
        empty authentication string, unlocked and without privileges; the
        statement answers OK.
        """
        self.assertIsNone(self.execute("CREATE USER u"))
        self.assertEqual(
            self.account("u"),
            Account(AccountName("u", "%"), "caching_sha2_password", b""),
        )

    def test_identifiedBy(self) -> None:
        """
        C{IDENTIFIED BY 'pw'} stores a caching_sha2_password hash of the
        password.
        """
        self.execute("CREATE USER u IDENTIFIED BY 'secret'")
        account = self.account("u")
        self.assertEqual(account.plugin, "caching_sha2_password")
        self.assertTrue(account.authString.startswith(b"$A$005$"))
        self.assertTrue(hashing.verifyCachingSHA2(account.authString, b"secret"))
        self.assertFalse(hashing.verifyCachingSHA2(account.authString, b"other"))

    def test_identifiedWithNative(self) -> None:
        """
        C{IDENTIFIED WITH mysql_native_password BY 'pw'} stores the native
        hash of the password.
        """
        self.execute("CREATE USER u IDENTIFIED WITH mysql_native_password BY 'secret'")
        account = self.account("u")
        self.assertEqual(account.plugin, "mysql_native_password")
        self.assertEqual(account.authString, hashing.nativeHash(b"secret"))

    def test_identifiedWithSHA256(self) -> None:
        """
        C{IDENTIFIED WITH sha256_password BY 'pw'} stores a C{$5$} hash that
        verifies.
        """
        self.execute("CREATE USER u IDENTIFIED WITH sha256_password BY 'secret'")
        account = self.account("u")
        self.assertEqual(account.plugin, "sha256_password")
        self.assertTrue(account.authString.startswith(b"$5$"))
        self.assertTrue(hashing.verifySHA256Password(account.authString, b"secret"))
        self.assertFalse(hashing.verifySHA256Password(account.authString, b"other"))

    def test_identifiedWithAs(self) -> None:
        """
        C{IDENTIFIED WITH plugin AS 'hash'} stores the hash verbatim.
        """
        stored = b"*" + b"0123456789abcdefABCD" * 2
        self.execute(
            "CREATE USER u IDENTIFIED WITH mysql_native_password AS '%s'"
            % (stored.decode("ascii"),)
        )
        account = self.account("u")
        self.assertEqual(
            (account.plugin, account.authString), ("mysql_native_password", stored)
        )

    def test_identifiedWithAsHex(self) -> None:
        """
        A caching_sha2_password hash given as a hex literal (as SHOW CREATE
        USER prints binary salts) is stored byte for byte.
        """
        stored = hashing.cachingSHA2Hash(b"pw", salt=BINARY_SALT)
        self.execute(
            "CREATE USER u IDENTIFIED WITH caching_sha2_password AS 0x" + stored.hex()
        )
        self.assertEqual(self.account("u").authString, stored)

    def test_malformedHash(self) -> None:
        """
        A hash that is not of the plugin's format is refused with 1827 and
        nothing is created.
        """
        for plugin in (
            "mysql_native_password",
            "caching_sha2_password",
            "sha256_password",
        ):
            self.assertError(
                f"CREATE USER u IDENTIFIED WITH {plugin} AS 'nope'",
                1827,
                "HY000",
                "The password hash doesn't have the expected format.",
            )
        self.assertEqual(self.names(), set())

    def test_unknownPlugin(self) -> None:
        """
        A plugin that is not loaded is refused with 1524.
        """
        self.assertError(
            "CREATE USER u IDENTIFIED WITH no_such_plugin",
            1524,
            "HY000",
            "Plugin 'no_such_plugin' is not loaded",
        )
        self.assertIsNone(self.account("u"))

    def test_exists(self) -> None:
        """
        Creating an account that exists fails with 1396 and leaves it
        unchanged.
        """
        self.execute("CREATE USER u IDENTIFIED WITH mysql_native_password BY 'a'")
        before = self.account("u")
        self.assertError(
            "CREATE USER u IDENTIFIED BY 'b'",
            1396,
            "HY000",
            "Operation CREATE USER failed for 'u'@'%'",
        )
        self.assertEqual(self.account("u"), before)

    def test_ifNotExists(self) -> None:
        """
        With C{IF NOT EXISTS}, an existing account is left alone and the
        others are created.
        """
        self.execute("CREATE USER u IDENTIFIED WITH mysql_native_password BY 'a'")
        before = self.account("u")
        self.assertIsNone(
            self.execute("CREATE USER IF NOT EXISTS u IDENTIFIED BY 'b', v")
        )
        self.assertEqual(self.account("u"), before)
        self.assertIsNotNone(self.account("v"))

    def test_atomic(self) -> None:
        """
        When one of several accounts exists, none is created.
        """
        self.execute("CREATE USER b")
        self.assertError(
            "CREATE USER a, b, c",
            1396,
            "HY000",
            "Operation CREATE USER failed for 'b'@'%'",
        )
        self.assertEqual(self.names(), {AccountName("b", "%")})

    def test_severalFailedNamed(self) -> None:
        """
        Every account that could not be created is named in the message.
        """
        self.execute("CREATE USER a, b")
        self.assertError(
            "CREATE USER a, c, b",
            1396,
            "HY000",
            "Operation CREATE USER failed for 'a'@'%','b'@'%'",
        )
        self.assertIsNone(self.account("c"))

    def test_several(self) -> None:
        """
        Several accounts are created by one statement, each with its own
        clause.
        """
        self.execute(
            "CREATE USER a IDENTIFIED BY 'x', "
            "b@localhost IDENTIFIED WITH mysql_native_password BY 'y'"
        )
        self.assertEqual(self.account("a").plugin, "caching_sha2_password")
        self.assertEqual(
            self.account("b", "localhost").authString, hashing.nativeHash(b"y")
        )

    def test_accountLock(self) -> None:
        """
        C{ACCOUNT LOCK} creates locked accounts; C{ACCOUNT UNLOCK} unlocked
        ones.
        """
        self.execute("CREATE USER a, b ACCOUNT LOCK")
        self.execute("CREATE USER c ACCOUNT UNLOCK")
        self.assertTrue(self.account("a").locked)
        self.assertTrue(self.account("b").locked)
        self.assertFalse(self.account("c").locked)

    def test_randomPassword(self) -> None:
        """
        C{IDENTIFIED BY RANDOM PASSWORD} answers with a result set of the
        generated password, which verifies against the stored hash.
        """
        result = self.execute("CREATE USER u@localhost IDENTIFIED BY RANDOM PASSWORD")
        columns, rows = result
        self.assertEqual(columns, ["user", "host", "generated password", "auth_factor"])
        self.assertEqual(len(rows), 1)
        user, host, password, factor = rows[0]
        self.assertEqual((user, host, factor), (b"u", b"localhost", b"1"))
        self.assertEqual(len(password), 20)
        self.assertVerifies(self.account("u", "localhost"), password)

    def test_randomPasswordSeveral(self) -> None:
        """
        One row per account with a random password, in statement order, each
        password verifying only for its own account.
        """
        columns, rows = self.execute(
            "CREATE USER a IDENTIFIED BY RANDOM PASSWORD, b, "
            "c IDENTIFIED WITH mysql_native_password BY RANDOM PASSWORD"
        )
        self.assertEqual([row[0] for row in rows], [b"a", b"c"])
        self.assertVerifies(self.account("a"), rows[0][2])
        self.assertVerifies(self.account("c"), rows[1][2])
        self.assertEqual(self.account("c").plugin, "mysql_native_password")
        self.assertEqual(self.account("b").authString, b"")

    def test_passwordTooLong(self) -> None:
        """
        A password of more than 256 bytes is refused with a MySQL error that
        says why; nothing is created.
        """
        error = self.executeFails("CREATE USER u IDENTIFIED BY '%s'" % ("a" * 257,))
        self.assertEqual((error.errorCode, error.sqlState), (1231, "42000"))
        self.assertIn("256", error.message)
        self.assertIsNone(self.account("u"))

    def test_password256Bytes(self) -> None:
        """
        A password of exactly 256 bytes is accepted.
        """
        self.execute("CREATE USER u IDENTIFIED BY '%s'" % ("a" * 256,))
        self.assertVerifies(self.account("u"), b"a" * 256)

    def test_hostLowerCased(self) -> None:
        """
        Host names are kept lower-cased, as MySQL does.
        """
        self.execute("CREATE USER 'Bob'@'LocalHost'")
        self.assertEqual(self.names(), {AccountName("Bob", "localhost")})

    def test_mariaDBVia(self) -> None:
        """
        MariaDB's C{IDENTIFIED VIA mysql_native_password USING
        PASSWORD('x')} hashes the password with that plugin.
        """
        self.execute(
            "CREATE USER u IDENTIFIED VIA mysql_native_password USING PASSWORD('x')"
        )
        account = self.account("u")
        self.assertEqual(
            (account.plugin, account.authString),
            ("mysql_native_password", hashing.nativeHash(b"x")),
        )

    def test_sameNameTwice(self) -> None:
        """
        An account named twice in one statement fails (it exists by its
        second mention) and nothing is created.
        """
        self.assertError(
            "CREATE USER a, a",
            1396,
            "HY000",
            "Operation CREATE USER failed for 'a'@'%'",
        )
        self.assertEqual(self.names(), set())

    def test_unsupportedOption(self) -> None:
        """
        An account option this server does not keep is refused with 1235
        rather than ignored.
        """
        self.assertError(
            "CREATE USER u REQUIRE SSL",
            1235,
            "42000",
            "This version of MySQL doesn't yet support 'REQUIRE SSL'",
        )
        self.assertIsNone(self.account("u"))


class AlterUserTests(ExecutorTestMixin, SynchronousTestCase):
    """
    C{ALTER USER}.
    """

    def test_passwordKeepsPlugin(self) -> None:
        """
        C{IDENTIFIED BY} without a plugin re-hashes with the account's own
        plugin and keeps its lock state and privileges.
        """
        self.addAccount(
            "u",
            plugin="mysql_native_password",
            authString=hashing.nativeHash(b"old"),
            locked=True,
            privileges=frozenset(["SELECT"]),
        )
        self.execute("ALTER USER u IDENTIFIED BY 'new'")
        account = self.account("u")
        self.assertEqual(account.plugin, "mysql_native_password")
        self.assertEqual(account.authString, hashing.nativeHash(b"new"))
        self.assertTrue(account.locked)
        self.assertEqual(account.privileges, frozenset(["SELECT"]))

    def test_pluginChange(self) -> None:
        """
        C{IDENTIFIED WITH plugin BY 'pw'} switches the plugin and hashes
        with the new one.
        """
        self.execute("CREATE USER u IDENTIFIED WITH mysql_native_password BY 'old'")
        self.execute("ALTER USER u IDENTIFIED WITH sha256_password BY 'new'")
        account = self.account("u")
        self.assertEqual(account.plugin, "sha256_password")
        self.assertVerifies(account, b"new")

    def test_lockUnlock(self) -> None:
        """
        C{ACCOUNT LOCK} and C{ACCOUNT UNLOCK} change only the lock state.
        """
        self.execute("CREATE USER u IDENTIFIED BY 'pw'")
        before = self.account("u")
        self.execute("ALTER USER u ACCOUNT LOCK")
        self.assertEqual(self.account("u"), attr.evolve(before, locked=True))
        self.execute("ALTER USER u ACCOUNT UNLOCK")
        self.assertEqual(self.account("u"), before)

    def test_missing(self) -> None:
        """
        Altering an account that does not exist fails with 1396; with
        C{IF EXISTS} it answers OK and changes the accounts that exist.
        """
        self.execute("CREATE USER u")
        self.assertError(
            "ALTER USER nope ACCOUNT LOCK",
            1396,
            "HY000",
            "Operation ALTER USER failed for 'nope'@'%'",
        )
        self.assertError(
            "ALTER USER u, nope ACCOUNT LOCK",
            1396,
            "HY000",
            "Operation ALTER USER failed for 'nope'@'%'",
        )
        self.assertFalse(self.account("u").locked)
        self.assertIsNone(self.execute("ALTER USER IF EXISTS u, nope ACCOUNT LOCK"))
        self.assertTrue(self.account("u").locked)
        self.assertIsNone(self.account("nope"))

    def test_ownPasswordWithoutPrivilege(self) -> None:
        """
        An account without C{CREATE USER} may change its own password, named
        or as C{USER()} or C{CURRENT_USER}.
        """
        self.execute("CREATE USER u IDENTIFIED WITH mysql_native_password BY 'a'")
        session = self.sessionAs("u")
        self.execute("ALTER USER u IDENTIFIED BY 'b'", session)
        self.assertVerifies(self.account("u"), b"b")
        self.execute("ALTER USER USER() IDENTIFIED BY 'c'", session)
        self.assertVerifies(self.account("u"), b"c")
        self.execute("ALTER USER CURRENT_USER IDENTIFIED BY 'd'", session)
        self.assertVerifies(self.account("u"), b"d")
        self.assertEqual(self.account("u").plugin, "mysql_native_password")

    def test_userFunctionIsSessionAccount(self) -> None:
        """
        C{ALTER USER USER()} changes the session's account (the one that
        matched), not an account named after the client's host.
        """
        self.execute("CREATE USER u@'10.%'")
        self.execute("CREATE USER u@'10.0.0.1'")
        session = self.sessionAs("u", "10.%", clientHost="10.0.0.1")
        self.execute("ALTER USER USER() IDENTIFIED BY 'pw'", session)
        self.assertVerifies(self.account("u", "10.%"), b"pw")
        self.assertEqual(self.account("u", "10.0.0.1").authString, b"")

    def test_othersPasswordNeedsCreateUser(self) -> None:
        """
        Changing another account's password without C{CREATE USER} fails
        with 1227 and changes nothing.
        """
        self.execute("CREATE USER u, v")
        self.assertError(
            "ALTER USER v IDENTIFIED BY 'x'",
            1227,
            "42000",
            NEED_CREATE_USER,
            self.sessionAs("u"),
        )
        self.assertEqual(self.account("v").authString, b"")

    def test_ownPluginOrLockNeedsCreateUser(self) -> None:
        """
        Changing one's own plugin or lock state is not a password change: it
        needs C{CREATE USER}.
        """
        self.execute("CREATE USER u")
        session = self.sessionAs("u")
        for sql in (
            "ALTER USER u IDENTIFIED WITH mysql_native_password BY 'x'",
            "ALTER USER u ACCOUNT LOCK",
            "ALTER USER u IDENTIFIED BY 'x' ACCOUNT LOCK",
        ):
            self.assertError(sql, 1227, "42000", NEED_CREATE_USER, session)
        self.assertEqual(
            self.account("u"), Account(AccountName("u"), "caching_sha2_password")
        )

    def test_withCreateUser(self) -> None:
        """
        An account holding C{CREATE USER} may alter others.
        """
        self.addAccount("admin", privileges=frozenset(["CREATE USER"]))
        self.execute("CREATE USER v")
        self.execute(
            "ALTER USER v IDENTIFIED BY 'x' ACCOUNT LOCK", self.sessionAs("admin")
        )
        self.assertVerifies(self.account("v"), b"x")
        self.assertTrue(self.account("v").locked)

    def test_randomPassword(self) -> None:
        """
        C{ALTER USER ... IDENTIFIED BY RANDOM PASSWORD} answers with the new
        password, which verifies.
        """
        self.execute("CREATE USER u")
        columns, rows = self.execute("ALTER USER u IDENTIFIED BY RANDOM PASSWORD")
        self.assertEqual(columns, ["user", "host", "generated password", "auth_factor"])
        self.assertEqual(rows[0][:2], [b"u", b"%"])
        self.assertVerifies(self.account("u"), rows[0][2])


class DropUserTests(ExecutorTestMixin, SynchronousTestCase):
    """
    C{DROP USER}.
    """

    def test_drop(self) -> None:
        """
        The named accounts are removed; others stay.
        """
        self.execute("CREATE USER a, b, c")
        self.assertIsNone(self.execute("DROP USER a, c"))
        self.assertEqual(self.names(), {AccountName("b")})

    def test_missing(self) -> None:
        """
        Dropping a missing account fails with 1396 and drops nothing.
        """
        self.execute("CREATE USER a")
        self.assertError(
            "DROP USER a, nope",
            1396,
            "HY000",
            "Operation DROP USER failed for 'nope'@'%'",
        )
        self.assertEqual(self.names(), {AccountName("a")})

    def test_ifExists(self) -> None:
        """
        With C{IF EXISTS}, missing accounts are skipped and the others
        dropped.
        """
        self.execute("CREATE USER a")
        self.assertIsNone(self.execute("DROP USER IF EXISTS nope, a"))
        self.assertEqual(self.names(), set())

    def test_sameNameTwice(self) -> None:
        """
        An account named twice is gone by its second mention: 1396 and
        nothing is dropped; with C{IF EXISTS} it is dropped.
        """
        self.execute("CREATE USER a")
        self.assertError(
            "DROP USER a, a", 1396, "HY000", "Operation DROP USER failed for 'a'@'%'"
        )
        self.assertEqual(self.names(), {AccountName("a")})
        self.execute("DROP USER IF EXISTS a, a")
        self.assertEqual(self.names(), set())

    def test_needsCreateUser(self) -> None:
        """
        Without C{CREATE USER}, not even one's own account can be dropped.
        """
        self.execute("CREATE USER u, v")
        session = self.sessionAs("u")
        self.assertError("DROP USER v", 1227, "42000", NEED_CREATE_USER, session)
        self.assertError("DROP USER u", 1227, "42000", NEED_CREATE_USER, session)
        self.assertEqual(self.names(), {AccountName("u"), AccountName("v")})


class RenameUserTests(ExecutorTestMixin, SynchronousTestCase):
    """
    C{RENAME USER}.
    """

    def test_rename(self) -> None:
        """
        The account keeps everything but its name.
        """
        before = self.addAccount(
            "a",
            plugin="mysql_native_password",
            authString=hashing.nativeHash(b"pw"),
            locked=True,
            privileges=frozenset(["SELECT"]),
            grantOption=True,
        )
        self.assertIsNone(self.execute("RENAME USER a TO b@localhost"))
        self.assertIsNone(self.account("a"))
        self.assertEqual(
            self.account("b", "localhost"),
            attr.evolve(before, name=AccountName("b", "localhost")),
        )

    def test_toExisting(self) -> None:
        """
        Renaming onto an existing account fails with 1396 naming the old
        account, and changes nothing.
        """
        self.execute("CREATE USER a, b")
        self.assertError(
            "RENAME USER a TO b",
            1396,
            "HY000",
            "Operation RENAME USER failed for 'a'@'%'",
        )
        self.assertEqual(self.names(), {AccountName("a"), AccountName("b")})

    def test_missing(self) -> None:
        """
        Renaming a missing account fails with 1396.
        """
        self.assertError(
            "RENAME USER nope TO b",
            1396,
            "HY000",
            "Operation RENAME USER failed for 'nope'@'%'",
        )

    def test_chained(self) -> None:
        """
        Later pairs see the renames of earlier ones: C{a TO b, b TO c} ends
        with C{c}, and C{a TO tmp, b TO a, tmp TO b} swaps two accounts.
        """
        self.execute("CREATE USER a IDENTIFIED WITH mysql_native_password BY 'pa'")
        self.execute("RENAME USER a TO b, b TO c")
        self.assertEqual(self.names(), {AccountName("c")})
        self.assertVerifies(self.account("c"), b"pa")

        self.execute("CREATE USER d IDENTIFIED WITH mysql_native_password BY 'pd'")
        self.execute("RENAME USER c TO tmp, d TO c, tmp TO d")
        self.assertEqual(self.names(), {AccountName("c"), AccountName("d")})
        self.assertVerifies(self.account("c"), b"pd")
        self.assertVerifies(self.account("d"), b"pa")

    def test_atomic(self) -> None:
        """
        When one pair fails, no pair is applied.
        """
        self.execute("CREATE USER a, b, c")
        self.assertError(
            "RENAME USER a TO x, b TO c",
            1396,
            "HY000",
            "Operation RENAME USER failed for 'b'@'%'",
        )
        self.assertEqual(
            self.names(), {AccountName("a"), AccountName("b"), AccountName("c")}
        )

    def test_needsCreateUser(self) -> None:
        """
        Without C{CREATE USER}, renaming fails with 1227.
        """
        self.execute("CREATE USER u")
        self.assertError(
            "RENAME USER u TO v", 1227, "42000", NEED_CREATE_USER, self.sessionAs("u")
        )
        self.assertEqual(self.names(), {AccountName("u")})


class SetPasswordTests(ExecutorTestMixin, SynchronousTestCase):
    """
    C{SET PASSWORD}.
    """

    def test_forAccount(self) -> None:
        """
        C{SET PASSWORD FOR} hashes with the account's plugin.
        """
        self.execute("CREATE USER u IDENTIFIED WITH sha256_password BY 'old'")
        self.assertIsNone(self.execute("SET PASSWORD FOR u = 'new'"))
        account = self.account("u")
        self.assertEqual(account.plugin, "sha256_password")
        self.assertVerifies(account, b"new")

    def test_passwordFunction(self) -> None:
        """
        C{= PASSWORD('pw')} sets the password C{pw}.
        """
        self.execute("CREATE USER u IDENTIFIED WITH mysql_native_password BY 'old'")
        self.execute("SET PASSWORD FOR u = PASSWORD('new')")
        self.assertEqual(self.account("u").authString, hashing.nativeHash(b"new"))

    def test_empty(self) -> None:
        """
        An empty password empties the authentication string.
        """
        self.execute("CREATE USER u IDENTIFIED BY 'old'")
        self.execute("SET PASSWORD FOR u = ''")
        self.assertEqual(self.account("u").authString, b"")

    def test_missing(self) -> None:
        """
        C{SET PASSWORD FOR} a missing account fails with 1133.
        """
        self.assertError(
            "SET PASSWORD FOR nope = 'x'",
            1133,
            "42000",
            "Can't find any matching row in the user table",
        )

    def test_ownWithoutPrivileges(self) -> None:
        """
        An account without privileges may set its own password, with or
        without C{FOR} naming itself.
        """
        self.execute("CREATE USER u@localhost")
        session = self.sessionAs("u", "localhost")
        self.execute("SET PASSWORD = 'one'", session)
        self.assertVerifies(self.account("u", "localhost"), b"one")
        self.execute("SET PASSWORD FOR u@localhost = 'two'", session)
        self.assertVerifies(self.account("u", "localhost"), b"two")

    def test_othersWithoutPrivilege(self) -> None:
        """
        Setting another account's password without C{CREATE USER} fails with
        1227 and changes nothing.
        """
        self.execute("CREATE USER u, v")
        self.assertError(
            "SET PASSWORD FOR v = 'x'",
            1227,
            "42000",
            NEED_CREATE_USER,
            self.sessionAs("u"),
        )
        self.assertEqual(self.account("v").authString, b"")

    def test_toRandom(self) -> None:
        """
        C{SET PASSWORD TO RANDOM} answers with the generated password, which
        verifies.
        """
        self.execute("CREATE USER u")
        columns, rows = self.execute("SET PASSWORD FOR u TO RANDOM")
        self.assertEqual(columns, ["user", "host", "generated password", "auth_factor"])
        self.assertVerifies(self.account("u"), rows[0][2])


class ShowCreateUserTests(ExecutorTestMixin, SynchronousTestCase):
    """
    C{SHOW CREATE USER}, and that its text recreates the account.
    """

    def showCreate(self, name: str, session: Any = None) -> str:
        """
        @return: the C{SHOW CREATE USER} text for C{name}.
        """
        columns, rows = self.execute("SHOW CREATE USER " + name, session)
        self.assertEqual(len(rows), 1)
        return rows[0][0].decode("utf-8")

    def assertRoundTrip(self, account: Account) -> str:
        """
        Drop an account and run its C{SHOW CREATE USER} text: the same
        account comes back.

        @return: the text.
        """
        text = self.showCreate(account.name.quoted())
        self.execute("DROP USER " + account.name.quoted())
        self.assertIsNone(self.accounts.directory.get(account.name))
        self.execute(text)
        recreated = self.accounts.directory.get(account.name)
        self.assertEqual(
            (recreated.plugin, recreated.authString, recreated.locked),
            (account.plugin, account.authString, account.locked),
        )
        return text

    def test_column(self) -> None:
        """
        The column is named C{CREATE USER for user@host}.
        """
        self.execute("CREATE USER u")
        self.execute("CREATE USER v@localhost")
        self.assertEqual(
            self.columnNames(self.execute("SHOW CREATE USER u")),
            ["CREATE USER for u@%"],
        )
        self.assertEqual(
            self.columnNames(self.execute("SHOW CREATE USER v@localhost")),
            ["CREATE USER for v@localhost"],
        )

    def test_nativeText(self) -> None:
        """
        The text is MySQL 8's, with the hash quoted.
        """
        self.execute("CREATE USER u IDENTIFIED WITH mysql_native_password BY 'pw'")
        self.assertEqual(
            self.showCreate("u"),
            "CREATE USER `u`@`%` IDENTIFIED WITH 'mysql_native_password' AS '"
            + hashing.nativeHash(b"pw").decode("ascii")
            + "' REQUIRE NONE PASSWORD EXPIRE DEFAULT ACCOUNT UNLOCK"
            + SHOW_CREATE_TAIL,
        )

    def test_emptyText(self) -> None:
        """
        An account without password has no C{AS} clause.
        """
        self.execute("CREATE USER u ACCOUNT LOCK")
        self.assertEqual(
            self.showCreate("u"),
            "CREATE USER `u`@`%` IDENTIFIED WITH 'caching_sha2_password'"
            " REQUIRE NONE PASSWORD EXPIRE DEFAULT ACCOUNT LOCK" + SHOW_CREATE_TAIL,
        )

    def test_binarySaltAsHex(self) -> None:
        """
        A caching_sha2_password hash whose salt has unprintable bytes is
        printed as a C{0x} hex literal.
        """
        stored = hashing.cachingSHA2Hash(b"pw", salt=BINARY_SALT)
        self.addAccount("u", authString=stored)
        self.assertIn(
            " AS 0x" + stored.hex().upper() + " REQUIRE NONE", self.showCreate("u")
        )

    def test_roundTripCachingSHA2Binary(self) -> None:
        """
        A caching_sha2_password account with a binary salt is recreated
        byte for byte.
        """
        stored = hashing.cachingSHA2Hash(b"pw", salt=BINARY_SALT)
        account = self.addAccount("u", authString=stored)
        self.assertIn(" AS 0x", self.assertRoundTrip(account))
        self.assertVerifies(self.account("u"), b"pw")

    def test_roundTripCachingSHA2Printable(self) -> None:
        """
        A caching_sha2_password hash of printable bytes, with a quote and a
        backslash, is printed quoted and escaped and recreated byte for
        byte.
        """
        stored = hashing.cachingSHA2Hash(b"pw", salt=PRINTABLE_SALT)
        account = self.addAccount("u", authString=stored)
        text = self.assertRoundTrip(account)
        self.assertIn(" AS '$A$005$ab\\'cd\\\\ef", text)

    def test_roundTripCachingSHA2Created(self) -> None:
        """
        An account made with C{IDENTIFIED BY} comes back with the same hash.
        """
        self.execute("CREATE USER u@localhost IDENTIFIED BY 'pw'")
        self.assertRoundTrip(self.account("u", "localhost"))
        self.assertVerifies(self.account("u", "localhost"), b"pw")

    def test_roundTripNative(self) -> None:
        """
        A mysql_native_password account comes back the same.
        """
        self.execute("CREATE USER u IDENTIFIED WITH mysql_native_password BY 'pw'")
        self.assertRoundTrip(self.account("u"))

    def test_roundTripSHA256(self) -> None:
        """
        A sha256_password account comes back the same.
        """
        self.execute("CREATE USER u IDENTIFIED WITH sha256_password BY 'pw'")
        self.assertRoundTrip(self.account("u"))
        self.assertVerifies(self.account("u"), b"pw")

    def test_roundTripEmpty(self) -> None:
        """
        An account without password comes back without password.
        """
        self.execute("CREATE USER u IDENTIFIED WITH mysql_native_password")
        self.assertRoundTrip(self.account("u"))

    def test_roundTripLocked(self) -> None:
        """
        A locked account comes back locked.
        """
        self.execute("CREATE USER u IDENTIFIED BY 'pw' ACCOUNT LOCK")
        self.assertIn(" ACCOUNT LOCK ", self.assertRoundTrip(self.account("u")))

    def test_roundTripQuotedName(self) -> None:
        """
        A name with a quote, a backquote and a backslash comes back the same.
        """
        self.execute(
            "CREATE USER 'o''b`\\\\x'@'h%' IDENTIFIED WITH sha256_password BY 'pw'"
        )
        account = self.account("o'b`\\x", "h%")
        self.assertIsNotNone(account)
        self.assertRoundTrip(account)

    def test_missing(self) -> None:
        """
        A missing account fails with 1396.
        """
        self.assertError(
            "SHOW CREATE USER nope",
            1396,
            "HY000",
            "Operation SHOW CREATE USER failed for 'nope'@'%'",
        )

    def test_ownWithoutPrivileges(self) -> None:
        """
        An account may see its own definition, but not another's without
        privileges.
        """
        self.execute("CREATE USER u, v")
        session = self.sessionAs("u")
        self.assertTrue(
            self.showCreate("CURRENT_USER", session).startswith("CREATE USER `u`@`%`")
        )
        self.assertError("SHOW CREATE USER v", 1227, "42000", NEED_CREATE_USER, session)


class GrantTests(ExecutorTestMixin, SynchronousTestCase):
    """
    C{GRANT}, C{REVOKE} and C{SHOW GRANTS}.
    """

    def grants(self, name: str = "", session: Any = None) -> list:
        """
        @return: the C{SHOW GRANTS} lines, as text.
        """
        sql = "SHOW GRANTS FOR " + name if name else "SHOW GRANTS"
        columns, rows = self.execute(sql, session)
        return [row[0].decode("utf-8") for row in rows]

    def test_grantAll(self) -> None:
        """
        C{GRANT ALL ON *.*} with the grant option gives every privilege.
        """
        self.execute("CREATE USER u")
        self.assertIsNone(self.execute("GRANT ALL ON *.* TO u WITH GRANT OPTION"))
        account = self.account("u")
        self.assertEqual(account.privileges, ALL_PRIVILEGES)
        self.assertTrue(account.grantOption)
        self.assertEqual(
            self.grants("u"),
            ["GRANT ALL PRIVILEGES ON *.* TO `u`@`%` WITH GRANT OPTION"],
        )

    def test_usage(self) -> None:
        """
        An account without privileges shows C{GRANT USAGE}; the column is
        named C{Grants for user@host}.
        """
        self.execute("CREATE USER u")
        result = self.execute("SHOW GRANTS FOR u")
        self.assertEqual(self.columnNames(result), ["Grants for u@%"])
        self.assertEqual(result[1], [[b"GRANT USAGE ON *.* TO `u`@`%`"]])

    def test_grantCreateUser(self) -> None:
        """
        C{GRANT CREATE USER} gives that privilege alone, without the grant
        option.
        """
        self.execute("CREATE USER u@localhost")
        self.execute("GRANT CREATE USER ON *.* TO u@localhost")
        self.assertEqual(
            self.account("u", "localhost").privileges, frozenset(["CREATE USER"])
        )
        self.assertFalse(self.account("u", "localhost").grantOption)
        self.assertEqual(
            self.grants("u@localhost"), ["GRANT CREATE USER ON *.* TO `u`@`localhost`"]
        )

    def test_grantAdds(self) -> None:
        """
        Grants add up, and are listed in MySQL's order.
        """
        self.execute("CREATE USER u")
        self.execute("GRANT CREATE USER ON *.* TO u")
        self.execute("GRANT RELOAD, SELECT ON *.* TO u")
        self.assertEqual(
            self.grants("u"), ["GRANT SELECT, RELOAD, CREATE USER ON *.* TO `u`@`%`"]
        )

    def test_grantKeepsGrantOption(self) -> None:
        """
        A grant without C{WITH GRANT OPTION} keeps a grant option the
        account already has.
        """
        self.execute("CREATE USER u")
        self.execute("GRANT SELECT ON *.* TO u WITH GRANT OPTION")
        self.execute("GRANT RELOAD ON *.* TO u")
        self.assertEqual(
            self.grants("u"),
            ["GRANT SELECT, RELOAD ON *.* TO `u`@`%` WITH GRANT OPTION"],
        )

    def test_grantSeveralGrantees(self) -> None:
        """
        Every grantee gets the privileges.
        """
        self.execute("CREATE USER a, b")
        self.execute("GRANT RELOAD ON *.* TO a, b")
        self.assertEqual(self.account("a").privileges, frozenset(["RELOAD"]))
        self.assertEqual(self.account("b").privileges, frozenset(["RELOAD"]))

    def test_grantMissing(self) -> None:
        """
        Granting to a missing account fails with 1410 and grants nothing to
        the other grantees.
        """
        self.execute("CREATE USER a")
        self.assertError(
            "GRANT ALL ON *.* TO a, nope",
            1410,
            "42000",
            "You are not allowed to create a user with GRANT",
        )
        self.assertEqual(self.account("a").privileges, frozenset())
        self.assertIsNone(self.account("nope"))

    def test_grantWithoutGrantOption(self) -> None:
        """
        An account without the grant option cannot grant, even privileges it
        holds: 1045 naming the account (MySQL's priv_user@priv_host) and
        whether the login used a password; 1698, with no mention of a
        password, after an auth_socket login.
        """
        self.addAccount("v", privileges=ALL_PRIVILEGES)
        self.execute("CREATE USER w")
        self.assertError(
            "GRANT SELECT ON *.* TO w",
            1045,
            "28000",
            "Access denied for user 'v'@'%' (using password: YES)",
            self.sessionAs("v"),
        )
        self.assertEqual(self.account("w").privileges, frozenset())
        noPassword = self.sessionAs("v")
        noPassword.avatar = attr.evolve(noPassword.avatar, passwordUsed=False)
        self.assertError(
            "GRANT SELECT ON *.* TO w",
            1045,
            "28000",
            "Access denied for user 'v'@'%' (using password: NO)",
            noPassword,
        )
        self.execute("CREATE USER s@localhost IDENTIFIED WITH auth_socket")
        self.execute("GRANT ALL ON *.* TO s@localhost")
        self.assertError(
            "GRANT SELECT ON *.* TO w",
            1698,
            "28000",
            "Access denied for user 's'@'localhost'",
            self.sessionAs("s", "localhost"),
        )

    def test_grantMoreThanHeld(self) -> None:
        """
        An account with the grant option cannot grant a privilege it does
        not hold, but can grant one it does.
        """
        self.addAccount("v", privileges=frozenset(["SELECT"]), grantOption=True)
        self.execute("CREATE USER w")
        session = self.sessionAs("v")
        self.assertError(
            "GRANT CREATE USER ON *.* TO w",
            1045,
            "28000",
            "Access denied for user 'v'@'%' (using password: YES)",
            session,
        )
        self.execute("GRANT SELECT ON *.* TO w", session)
        self.assertEqual(self.grants("w"), ["GRANT SELECT ON *.* TO `w`@`%`"])

    def test_grantOnDatabase(self) -> None:
        """
        Privileges below C{*.*} are refused with 1235.
        """
        self.execute("CREATE USER u")
        self.assertError(
            "GRANT ALL ON db.* TO u",
            1235,
            "42000",
            "This version of MySQL doesn't yet support 'privileges on db.*: only *.* is kept'",
        )
        self.assertEqual(self.account("u").privileges, frozenset())

    def test_revoke(self) -> None:
        """
        C{REVOKE priv ON *.*} removes that privilege only.
        """
        self.execute("CREATE USER u")
        self.execute("GRANT SELECT, CREATE USER ON *.* TO u")
        self.assertIsNone(self.execute("REVOKE CREATE USER ON *.* FROM u"))
        self.assertEqual(self.grants("u"), ["GRANT SELECT ON *.* TO `u`@`%`"])

    def test_revokeAllPrivilegesGrantOption(self) -> None:
        """
        C{REVOKE ALL PRIVILEGES, GRANT OPTION FROM u} leaves only USAGE.
        """
        self.execute("CREATE USER u")
        self.execute("GRANT ALL ON *.* TO u WITH GRANT OPTION")
        self.execute("REVOKE ALL PRIVILEGES, GRANT OPTION FROM u")
        account = self.account("u")
        self.assertEqual(
            (account.privileges, account.grantOption), (frozenset(), False)
        )
        self.assertEqual(self.grants("u"), ["GRANT USAGE ON *.* TO `u`@`%`"])

    def test_revokeAllKeepsGrantOption(self) -> None:
        """
        C{REVOKE ALL PRIVILEGES ON *.*} keeps the grant option, which
        C{REVOKE GRANT OPTION ON *.*} then removes.
        """
        self.execute("CREATE USER u")
        self.execute("GRANT ALL ON *.* TO u WITH GRANT OPTION")
        self.execute("REVOKE ALL PRIVILEGES ON *.* FROM u")
        self.assertEqual(
            self.grants("u"), ["GRANT USAGE ON *.* TO `u`@`%` WITH GRANT OPTION"]
        )
        self.execute("REVOKE GRANT OPTION ON *.* FROM u")
        self.assertEqual(self.grants("u"), ["GRANT USAGE ON *.* TO `u`@`%`"])

    def test_revokeMissing(self) -> None:
        """
        Revoking from a missing account fails with 1141.
        """
        self.assertError(
            "REVOKE SELECT ON *.* FROM nope",
            1141,
            "42000",
            "There is no such grant defined for user 'nope' on host '%'",
        )

    def test_revokeAllNeedsCreateUser(self) -> None:
        """
        C{REVOKE ALL PRIVILEGES, GRANT OPTION} needs C{CREATE USER}.
        """
        self.addAccount(
            "v", privileges=ALL_PRIVILEGES - {"CREATE USER"}, grantOption=True
        )
        self.addAccount("w", privileges=frozenset(["SELECT"]))
        self.assertError(
            "REVOKE ALL PRIVILEGES, GRANT OPTION FROM w",
            1227,
            "42000",
            NEED_CREATE_USER,
            self.sessionAs("v"),
        )
        self.assertEqual(self.account("w").privileges, frozenset(["SELECT"]))

    def test_showGrantsOwn(self) -> None:
        """
        Without C{FOR}, C{SHOW GRANTS} shows the session's own account, which
        needs no privilege.
        """
        self.execute("CREATE USER u@localhost")
        result = self.execute("SHOW GRANTS", self.sessionAs("u", "localhost"))
        self.assertEqual(self.columnNames(result), ["Grants for u@localhost"])
        self.assertEqual(result[1], [[b"GRANT USAGE ON *.* TO `u`@`localhost`"]])

    def test_showGrantsOthersNeedsPrivilege(self) -> None:
        """
        Another account's grants need C{SELECT} or C{CREATE USER}; without,
        MySQL's 1044 for its C{mysql} schema.
        """
        self.execute("CREATE USER u, v")
        self.assertError(
            "SHOW GRANTS FOR v",
            1044,
            "42000",
            "Access denied for user 'u'@'%' to database 'mysql'",
            self.sessionAs("u"),
        )

    def test_showGrantsMissing(self) -> None:
        """
        C{SHOW GRANTS FOR} a missing account fails with 1141.
        """
        self.assertError(
            "SHOW GRANTS FOR nope@localhost",
            1141,
            "42000",
            "There is no such grant defined for user 'nope' on host 'localhost'",
        )


class PrivilegeTests(ExecutorTestMixin, SynchronousTestCase):
    """
    The privilege gate of account statements, and C{FLUSH PRIVILEGES}.
    """

    def test_createUserNeedsCreateUser(self) -> None:
        """
        An account holding every privilege but C{CREATE USER} cannot create
        accounts.
        """
        self.addAccount(
            "u", privileges=ALL_PRIVILEGES - {"CREATE USER"}, grantOption=True
        )
        self.assertError(
            "CREATE USER v", 1227, "42000", NEED_CREATE_USER, self.sessionAs("u")
        )
        self.assertIsNone(self.account("v"))

    def test_createUserPrivilegeSuffices(self) -> None:
        """
        C{CREATE USER} alone lets an account create, rename and drop
        accounts.
        """
        self.addAccount("admin", privileges=frozenset(["CREATE USER"]))
        session = self.sessionAs("admin")
        self.execute("CREATE USER v", session)
        self.execute("RENAME USER v TO w", session)
        self.assertIsNotNone(self.account("w"))
        self.execute("DROP USER w", session)
        self.assertEqual(self.names(), {AccountName("admin")})

    def test_flushNeedsReload(self) -> None:
        """
        C{FLUSH PRIVILEGES} without C{RELOAD} fails with 1227 naming RELOAD
        and does not reload.
        """
        self.addAccount("u", privileges=frozenset(["CREATE USER"]))
        self.config.sha2Cache.put(AccountName("u"), b"d" * 32)
        self.assertError(
            "FLUSH PRIVILEGES",
            1227,
            "42000",
            "Access denied; you need (at least one of) the RELOAD privilege(s) for this operation",
            self.sessionAs("u"),
        )
        self.assertEqual(self.config.sha2Cache.get(AccountName("u")), b"d" * 32)

    def test_flushReloads(self) -> None:
        """
        With C{RELOAD}, C{FLUSH PRIVILEGES} re-reads the store (picking up
        accounts written behind the manager's back) and tells observers
        with None, which clears the caching_sha2_password cache.
        """
        self.addAccount("u", privileges=frozenset(["RELOAD"]))
        session = self.sessionAs("u")
        seen = []
        self.accounts.addObserver(seen.append)
        otherCache = FastDigestCache()
        self.accounts.addObserver(otherCache.accountsChanged)
        otherCache.put(AccountName("u"), b"o" * 32)
        self.config.sha2Cache.put(AccountName("u"), b"d" * 32)
        behind = Account(AccountName("behind"), "caching_sha2_password")
        self.successResultOf(self.store.write([PutAccount(behind)]))
        self.assertIsNone(self.account("behind"))

        self.assertIsNone(self.execute("FLUSH PRIVILEGES", session))
        self.assertEqual(self.account("behind"), behind)
        self.assertEqual(seen, [None])
        self.assertEqual(len(otherCache), 0)
        self.assertEqual(len(self.config.sha2Cache), 0)

    def test_otherFlushNeedsReload(self) -> None:
        """
        Other C{FLUSH} statements need C{RELOAD} too, and answer OK with it.
        """
        self.addAccount("u")
        self.addAccount("r", privileges=frozenset(["RELOAD"]))
        self.assertEqual(
            self.executeFails("FLUSH HOSTS", self.sessionAs("u")).errorCode, 1227
        )
        self.assertIsNone(self.execute("FLUSH HOSTS", self.sessionAs("r")))


class CacheInvalidationTests(ExecutorTestMixin, SynchronousTestCase):
    """
    Account changes drop the changed accounts' caching_sha2_password cache
    entries, and only theirs.
    """

    def setUp(self) -> None:
        super().setUp()
        self.execute("CREATE USER u, other")
        self.cache = self.config.sha2Cache
        self.cache.put(AccountName("u"), b"u" * 32)
        self.cache.put(AccountName("other"), b"o" * 32)

    def assertDropped(self) -> None:
        """
        C{u}'s entry is gone and C{other}'s is kept.
        """
        self.assertIsNone(self.cache.get(AccountName("u")))
        self.assertEqual(self.cache.get(AccountName("other")), b"o" * 32)

    def test_alterUser(self) -> None:
        """
        C{ALTER USER} drops the entry.
        """
        self.execute("ALTER USER u IDENTIFIED BY 'new'")
        self.assertDropped()

    def test_dropUser(self) -> None:
        """
        C{DROP USER} drops the entry.
        """
        self.execute("DROP USER u")
        self.assertDropped()

    def test_setPassword(self) -> None:
        """
        C{SET PASSWORD FOR} drops the entry.
        """
        self.execute("SET PASSWORD FOR u = 'new'")
        self.assertDropped()

    def test_ownSetPassword(self) -> None:
        """
        An account's own C{SET PASSWORD} drops its entry.
        """
        self.execute("SET PASSWORD = 'new'", self.sessionAs("u"))
        self.assertDropped()

    def test_renameUser(self) -> None:
        """
        C{RENAME USER} drops the old name's entry.
        """
        self.execute("RENAME USER u TO v")
        self.assertDropped()

    def test_failedStatement(self) -> None:
        """
        A statement that fails changes nothing, so keeps the entry.
        """
        self.executeFails("DROP USER u, nope")
        self.assertEqual(self.cache.get(AccountName("u")), b"u" * 32)


class SelectTests(ExecutorTestMixin, SynchronousTestCase):
    """
    C{SELECT} of identity functions and variables.
    """

    def setUp(self) -> None:
        super().setUp()
        self.execute("CREATE USER u@'10.%'")
        self.session = self.sessionAs("u", "10.%", clientHost="10.0.0.1")

    def select(self, sql: str) -> Any:
        """
        @return: (columns, rows) of a statement run in the session.
        """
        return self.execute(sql, self.session)

    def value(self, sql: str) -> Optional[bytes]:
        """
        @return: the one value of a one-row, one-column result.
        """
        columns, rows = self.select(sql)
        self.assertEqual((len(columns), len(rows)), (1, 1))
        return rows[0][0]

    def test_user(self) -> None:
        """
        C{USER()} is the name the client sent at its host; its column is
        named C{USER()}.
        """
        result = self.select("SELECT USER()")
        self.assertEqual(self.columnNames(result), ["USER()"])
        self.assertEqual(result[1], [[b"u@10.0.0.1"]])

    def test_currentUser(self) -> None:
        """
        C{CURRENT_USER()} and C{CURRENT_USER} are the matched account.
        """
        self.assertEqual(self.value("SELECT CURRENT_USER()"), b"u@10.%")
        self.assertEqual(self.value("SELECT CURRENT_USER"), b"u@10.%")
        self.assertEqual(
            self.columnNames(self.select("SELECT CURRENT_USER")), ["CURRENT_USER"]
        )

    def test_proxyAndExternalUser(self) -> None:
        """
        C{@@proxy_user} and C{@@external_user} are NULL without proxying.
        """
        self.assertIsNone(self.value("SELECT @@proxy_user"))
        self.assertIsNone(self.value("SELECT @@external_user"))

    def test_version(self) -> None:
        """
        C{@@version} is the server's version text.
        """
        self.assertEqual(
            self.value("SELECT @@version"), self.config.serverVersion.encode("utf-8")
        )

    def test_whereTheServerIs(self) -> None:
        """
        C{@@port}, C{@@socket}, C{@@datadir} and C{@@hostname} say where the
        server is: nothing for an embedded server that was not told; from
        twistd's settings and the TCP port it listens on otherwise.
        """
        import socket

        from twisted_mysqlauth.tap import ServerSettings

        sql = "SELECT @@port, @@socket, @@datadir, @@hostname"
        host = socket.gethostname().encode()
        self.assertEqual(self.select(sql)[1], [[b"0", b"", b"", host]])
        self.config.settings = ServerSettings(datadir="/srv/db", listen=["unix:/run/my.sock"])
        self.config.tcpPort = 3307
        self.assertEqual(self.select(sql)[1], [[b"3307", b"/run/my.sock", b"/srv/db/", host]])

    def test_connectionId(self) -> None:
        """
        C{CONNECTION_ID()} is the connection's id, in a LONGLONG column.
        """
        self.session.connection.connectionId = 4242
        columns, rows = self.select("SELECT CONNECTION_ID()")
        self.assertEqual(rows, [[b"4242"]])
        self.assertEqual(columns[0].columnType, C.MYSQL_TYPE_LONGLONG)
        self.assertEqual(columns[0].name, "CONNECTION_ID()")

    def test_stringColumnType(self) -> None:
        """
        Text values are in VAR_STRING columns.
        """
        columns, rows = self.select("SELECT USER()")
        self.assertEqual(columns[0].columnType, C.MYSQL_TYPE_VAR_STRING)

    def test_database(self) -> None:
        """
        C{DATABASE()} is NULL until C{USE db}, then the database's name.
        """
        self.assertIsNone(self.value("SELECT DATABASE()"))
        self.assertIsNone(self.select("USE db"))
        self.assertEqual(self.session.connection.database, "db")
        self.assertEqual(self.value("SELECT DATABASE()"), b"db")

    def test_severalWithAliases(self) -> None:
        """
        Several items, with C{AS} and bare aliases, give one row with a
        column each, named by alias or by the item's text.
        """
        columns, rows = self.select(
            "SELECT USER() AS who, @@version v, CONNECTION_ID()"
        )
        self.assertEqual([c.name for c in columns], ["who", "v", "CONNECTION_ID()"])
        self.assertEqual(
            rows,
            [[b"u@10.0.0.1", self.config.serverVersion.encode("utf-8"), b"7"]],
        )

    def test_columnNamedAsWritten(self) -> None:
        """
        An un-aliased column is named after the item's text, as written.
        """
        result = self.select("SELECT @@version_comment, @@SESSION.autocommit")
        self.assertEqual(
            self.columnNames(result), ["@@version_comment", "@@SESSION.autocommit"]
        )

    def test_stringLiteralColumnName(self) -> None:
        """
        An un-aliased string literal's column is named after its value, as
        in MySQL.
        """
        columns, rows = self.select("SELECT 'abc'")
        self.assertEqual((columns[0].name, rows), ("abc", [[b"abc"]]))

    def test_limitOne(self) -> None:
        """
        C{select @@version_comment limit 1} (what the mysql client sends)
        answers one row.
        """
        columns, rows = self.select("select @@version_comment limit 1")
        self.assertEqual(self.columnNames((columns, rows)), ["@@version_comment"])
        self.assertEqual(rows, [[b"twisted_mysqlauth"]])

    def test_limitZero(self) -> None:
        """
        C{LIMIT 0} answers the columns and no row.
        """
        columns, rows = self.select("SELECT USER(), 1 LIMIT 0")
        self.assertEqual(([c.name for c in columns], rows), (["USER()", "1"], []))

    def test_unknownVariable(self) -> None:
        """
        An unknown system variable fails with 1193.
        """
        self.assertError(
            "SELECT @@nope",
            1193,
            "HY000",
            "Unknown system variable 'nope'",
            self.session,
        )

    def test_unknownFunction(self) -> None:
        """
        An unknown function fails with 1305.
        """
        error = self.executeFails("SELECT nope()", self.session)
        self.assertEqual((error.errorCode, error.sqlState), (1305, "42000"))
        self.assertIn("does not exist", error.message)
        self.assertIn("NOPE", error.message.upper())

    def test_fromWithoutDatabase(self) -> None:
        """
        C{SELECT ... FROM t} without a database fails with 1046.
        """
        self.assertError(
            "SELECT a FROM t", 1046, "3D000", "No database selected", self.session
        )

    def test_fromTable(self) -> None:
        """
        C{SELECT ... FROM t} in a database, or C{FROM db.t}, fails with 1146.
        """
        self.assertError(
            "SELECT a FROM mysql.user",
            1146,
            "42S02",
            "Table 'mysql.user' doesn't exist",
            self.session,
        )
        self.execute("USE db", self.session)
        self.assertError(
            "SELECT a FROM t", 1146, "42S02", "Table 'db.t' doesn't exist", self.session
        )

    def test_userVariable(self) -> None:
        """
        C{SET @x=5} then C{SELECT @x} gives 5, as a number; an unset user
        variable is NULL.
        """
        self.assertIsNone(self.select("SET @x=5"))
        columns, rows = self.select("SELECT @x, @unset")
        self.assertEqual(rows, [[b"5", None]])
        self.assertEqual(columns[0].columnType, C.MYSQL_TYPE_LONGLONG)

    def test_unaryMinusOnText(self) -> None:
        """
        A minus sign in front of text is refused with a MySQL error, not an
        internal one.
        """
        self.select("SET @x='abc'")
        error = self.executeFails("SELECT -@x", self.session)
        self.assertEqual(error.errorCode, 1235)
        self.assertEqual(self.value("SELECT -(2)"), b"-2")

    def test_where(self) -> None:
        """
        A false C{WHERE} answers no row, a true one the row.
        """
        self.assertEqual(self.select("SELECT 1 WHERE 1 = 0")[1], [])
        self.assertEqual(self.select("SELECT 1 WHERE 1 = 1")[1], [[b"1"]])


class SetTests(ExecutorTestMixin, SynchronousTestCase):
    """
    C{SET} of session and user variables.
    """

    def setUp(self) -> None:
        super().setUp()
        self.execute("CREATE USER u")
        self.session = self.sessionAs("u")

    def value(self, sql: str) -> Optional[bytes]:
        """
        @return: the one value of a one-row, one-column result.
        """
        columns, rows = self.execute(sql, self.session)
        return rows[0][0]

    def test_autocommit(self) -> None:
        """
        C{SET autocommit=0} is read back as 0; C{ON} sets it back to 1.
        """
        self.assertEqual(self.value("SELECT @@autocommit"), b"1")
        self.assertIsNone(self.execute("SET autocommit=0", self.session))
        self.assertEqual(self.value("SELECT @@autocommit"), b"0")
        self.execute("SET @@session.autocommit=ON", self.session)
        self.assertEqual(self.value("SELECT @@autocommit"), b"1")

    def test_autocommitBadValue(self) -> None:
        """
        A value that is not boolean fails with 1231 and changes nothing.
        """
        self.assertError(
            "SET autocommit=2",
            1231,
            "42000",
            "Variable 'autocommit' can't be set to the value of '2'",
            self.session,
        )
        self.assertEqual(self.session.variables, {})

    def test_setNames(self) -> None:
        """
        C{SET NAMES} sets the client, connection and results character
        sets, and C{COLLATE} the collation.
        """
        self.assertIsNone(self.execute("SET NAMES utf8mb4", self.session))
        self.assertEqual(
            self.session.variables,
            {
                "character_set_client": "utf8mb4",
                "character_set_connection": "utf8mb4",
                "character_set_results": "utf8mb4",
            },
        )
        self.execute("SET NAMES latin1 COLLATE latin1_swedish_ci", self.session)
        self.assertEqual(self.value("SELECT @@character_set_results"), b"latin1")
        self.assertEqual(
            self.value("SELECT @@collation_connection"), b"latin1_swedish_ci"
        )

    def test_userVariableStringAndCase(self) -> None:
        """
        User variables hold strings and are named case-insensitively.
        """
        self.execute("SET @Name='x', @n=2", self.session)
        self.assertEqual(
            self.execute("SELECT @name, @N", self.session)[1], [[b"x", b"2"]]
        )

    def test_readOnly(self) -> None:
        """
        Setting a read-only variable fails with 1238.
        """
        self.assertError(
            "SET version='x'",
            1238,
            "HY000",
            "Variable 'version' is a read only variable",
            self.session,
        )
        self.assertEqual(
            self.value("SELECT @@version"), self.config.serverVersion.encode("utf-8")
        )

    def test_unknown(self) -> None:
        """
        Setting an unknown variable fails with 1193.
        """
        self.assertError(
            "SET nope=1", 1193, "HY000", "Unknown system variable 'nope'", self.session
        )

    def test_global(self) -> None:
        """
        C{SET GLOBAL} is refused: 1227 (SUPER) without privileges, 1235 with
        them; the session's value is untouched.
        """
        self.assertError(
            "SET GLOBAL autocommit=0",
            1227,
            "42000",
            "Access denied; you need (at least one of) the SUPER privilege(s) for this operation",
            self.session,
        )
        error = self.executeFails("SET GLOBAL autocommit=0")
        self.assertEqual((error.errorCode, error.sqlState), (1235, "42000"))
        self.assertEqual(self.value("SELECT @@autocommit"), b"1")
        self.assertEqual(self.root.variables, {})

    def test_atomic(self) -> None:
        """
        When one assignment fails, none is applied.
        """
        self.executeFails("SET autocommit=0, @x=1, version='x'", self.session)
        self.assertEqual((self.session.variables, self.session.userVariables), ({}, {}))


class StatementTests(ExecutorTestMixin, SynchronousTestCase):
    """
    Statements this server does not serve, syntax errors and empty queries.
    """

    def test_unsupported(self) -> None:
        """
        Statements MySQL has but this server does not implement fail with
        1235 naming them.
        """
        for sql, what in [
            ("CREATE TABLE t (a int)", "CREATE TABLE"),
            ("DELETE FROM t", "DELETE"),
        ]:
            self.assertError(
                sql,
                1235,
                "42000",
                f"This version of MySQL doesn't yet support '{what}'",
            )

    def test_syntaxError(self) -> None:
        """
        A syntax error fails with 1064 and MySQL's text, quoting the rest of
        the statement from the error on.
        """
        self.assertError(
            "SELEC 1",
            1064,
            "42000",
            "You have an error in your SQL syntax; check the manual that corresponds "
            "to your MySQL server version for the right syntax to use near 'SELEC 1' "
            "at line 1",
        )
        self.assertError(
            "CREATE USER u IDENTIFIED\nFOO 'x'",
            1064,
            "42000",
            "You have an error in your SQL syntax; check the manual that corresponds "
            "to your MySQL server version for the right syntax to use near 'FOO 'x'' "
            "at line 2",
        )

    def test_nestedTooDeeply(self) -> None:
        """
        A statement nested too deeply to parse or evaluate (brackets,
        function calls, long operator chains) fails with MySQL's 1436, not
        an unexpected error with a traceback in the log; one nested a
        little is answered.
        """
        self.assertEqual(self.execute("SELECT " + "(" * 20 + "1" + ")" * 20)[1], [[b"1"]])
        for sql in (
            "SELECT " + "(" * 3000 + "1" + ")" * 3000,
            "SELECT " + "+".join(["1"] * 5000),
            "SELECT " + "COALESCE(" * 1500 + "1" + ")" * 1500,
        ):
            error = self.executeFails(sql)
            self.assertEqual((error.errorCode, error.sqlState), (1436, "HY000"), sql[:40])
        self.assertEqual(self.execute("SHOW ERRORS")[1][0][:2], [b"Error", b"1436"])

    def test_commentOnly(self) -> None:
        """
        A query of only comments answers OK.
        """
        self.assertIsNone(self.execute("/* nothing */"))
        self.assertIsNone(self.execute("-- nothing"))

    def test_emptyQuery(self) -> None:
        """
        An empty query fails with 1065.
        """
        self.assertError("  ", 1065, "42000", "Query was empty")


class DiagnosticsTests(ExecutorTestMixin, SynchronousTestCase):
    """
    C{SHOW WARNINGS}, C{@@warning_count} and C{@@error_count}: the notes of
    the last statement, or its error.
    """

    def warnings(self, session: Any = None) -> Any:
        return self.execute("SHOW WARNINGS", session)[1]

    def test_ifExistsNotes(self) -> None:
        """
        C{DROP USER IF EXISTS} and C{ALTER USER IF EXISTS} note each missing
        account (3162), C{CREATE USER IF NOT EXISTS} each existing one
        (3163), as MySQL; C{SHOW WARNINGS} keeps them, the next statement
        clears them.
        """
        self.execute("CREATE USER u")
        self.execute("DROP USER IF EXISTS nope, u, 'x'@'h'")
        expected = [
            [b"Note", b"3162", b"Authorization ID 'nope'@'%' does not exist."],
            [b"Note", b"3162", b"Authorization ID 'x'@'h' does not exist."],
        ]
        self.assertEqual(self.warnings(), expected)
        self.assertEqual(self.warnings(), expected)
        self.assertEqual(self.execute("SHOW WARNINGS LIMIT 1, 1")[1], expected[1:])
        self.assertEqual(self.execute("SELECT @@warning_count, @@error_count")[1], [[b"2", b"0"]])
        self.assertEqual(self.warnings(), [])
        self.execute("CREATE USER v")
        self.execute("CREATE USER IF NOT EXISTS v, w")
        self.assertEqual(
            self.warnings(), [[b"Note", b"3163", b"Authorization ID 'v'@'%' already exists."]]
        )
        self.execute("ALTER USER IF EXISTS gone ACCOUNT LOCK")
        self.assertEqual(
            self.warnings(), [[b"Note", b"3162", b"Authorization ID 'gone'@'%' does not exist."]]
        )
        self.execute("SELECT 1")
        self.assertEqual(self.warnings(), [])

    def test_error(self) -> None:
        """
        After a failed statement C{SHOW WARNINGS} lists its error.
        """
        self.assertError("SELEC 1", 1064, "42000", mock.ANY)
        self.assertEqual(self.warnings()[0][:2], [b"Error", b"1064"])
        self.execute("CREATE USER u")
        self.assertError("CREATE USER u", 1396, "HY000", "Operation CREATE USER failed for 'u'@'%'")
        self.assertEqual(
            self.warnings(), [[b"Error", b"1396", b"Operation CREATE USER failed for 'u'@'%'"]]
        )
        self.assertEqual(self.execute("SELECT @@error_count")[1], [[b"1"]])

    def test_showErrorsAndCounts(self) -> None:
        """
        C{SHOW ERRORS} lists only errors; C{SHOW COUNT(*) WARNINGS} and
        C{SHOW COUNT(*) ERRORS} count, under MySQL's column names; none of
        them clears what they show.
        """
        self.execute("DROP USER IF EXISTS a, b")
        self.assertEqual(self.execute("SHOW ERRORS")[1], [])
        self.assertEqual(
            self.execute("SHOW COUNT(*) WARNINGS"), (["@@session.warning_count"], [[b"2"]])
        )
        self.assertEqual(self.execute("SHOW COUNT(*) ERRORS"), (["@@session.error_count"], [[b"0"]]))
        self.assertEqual(len(self.warnings()), 2)
        self.assertError("CREATE USER", 1064, "42000", mock.ANY)
        self.assertEqual([row[:2] for row in self.execute("SHOW ERRORS")[1]], [[b"Error", b"1064"]])
        self.assertEqual(self.execute("SHOW COUNT(*) ERRORS")[1], [[b"1"]])

    def test_sessionAnswers(self) -> None:
        """
        L{AccountSQLSession} sends the number of notes in the OK, closes
        after C{COMMIT RELEASE}, and forgets the notes on
        C{COM_RESET_CONNECTION}.
        """
        sent = []

        class Connection(FakeConnection):
            def sendOK(self, affectedRows=0, info=b"", **kw):
                sent.append(("ok", affectedRows, kw))

            def sendResultSet(self, columns, rows):
                sent.append(("rows", rows))

            def close(self):
                sent.append(("close",))

        self.execute("CREATE USER u")
        self.execute("GRANT CREATE USER ON *.* TO u")
        session = AccountSQLSession(self.sessionAs("u").avatar, Connection(), self.config)

        def query(sql):
            return self.successResultOf(
                defer.maybeDeferred(session.commandReceived, C.COM_QUERY, sql.encode())
            )

        query("DROP USER IF EXISTS a, b")
        query("BEGIN")
        query("SHOW COUNT(*) WARNINGS")
        self.assertEqual(sent, [("ok", 0, {"warnings": 2}), ("ok", 0, {}), ("rows", [[b"0"]])])
        del sent[:]
        query("DROP USER IF EXISTS a")
        session.commandReceived(C.COM_RESET_CONNECTION, b"")
        query("SHOW WARNINGS")
        query("COMMIT RELEASE")
        self.assertEqual(
            sent, [("ok", 0, {"warnings": 1}), ("ok", 0, {}), ("rows", []), ("ok", 0, {}), ("close",)]
        )

    def test_sessionWithoutAttributes(self) -> None:
        """
        A session object of an application's own that takes no new
        attributes (frozen, slotted) keeps no diagnostics; statements and
        their errors are unchanged.
        """

        @attr.s(frozen=True, auto_attribs=True)
        class FrozenSession:
            avatar: Any
            connection: Any = attr.Factory(FakeConnection)
            variables: Dict[str, Any] = attr.Factory(dict)
            userVariables: Dict[str, Any] = attr.Factory(dict)
            bootstrap: bool = True

        session = FrozenSession(avatar=None)
        self.execute("DROP USER IF EXISTS nope", session)
        self.assertEqual(self.execute("SHOW WARNINGS", session)[1], [])
        self.assertError("SELEC 1", 1064, "42000", mock.ANY, session)
        self.assertError("CREATE USER u, u", 1396, "HY000", mock.ANY, session)


class ShowCreateUserFunctionTests(SynchronousTestCase):
    """
    L{showCreateUser} on its own.
    """

    def test_hexForNonPrintable(self) -> None:
        """
        Any byte outside printable ASCII makes the string print as hex.
        """
        account = Account(AccountName("u"), "x", b"a\x00b")
        self.assertIn(" AS 0x610062 ", showCreateUser(account))
