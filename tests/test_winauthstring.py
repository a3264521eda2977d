# -*- test-case-name: tests.test_winauthstring -*-
# Copyright (c) twisted_mysqlauth developers.
# See LICENSE for details.
"""
The authentication string of C{authentication_windows}: every rule and
example of the MySQL manual's page on Windows pluggable authentication,
through L{parseMappings}, through the method's C{checkAuthString}, and
through C{CREATE USER} / C{ALTER USER} typed as SQL (where MySQL's
string-literal escaping doubles the backslashes).
"""

from __future__ import annotations

from twisted.internet import defer
from twisted.internet.task import Clock
from twisted.trial.unittest import SynchronousTestCase

from twisted_mysqlauth import errors
from twisted_mysqlauth.accounts.directory import AccountManager
from twisted_mysqlauth.accounts.memory import InMemoryAccountStore
from twisted_mysqlauth.accounts.model import AccountName
from twisted_mysqlauth.auth.mapping import Mapping, MappingSyntaxError, parseMappings
from twisted_mysqlauth.auth.native import theNativePasswordMethod
from twisted_mysqlauth.auth.registry import MethodRegistry
from twisted_mysqlauth.auth.windows import WindowsAuthMethod
from twisted_mysqlauth.bootstrap import BootstrapSession
from twisted_mysqlauth.server import MySQLServerFactory
from twisted_mysqlauth.sql.executor import Executor

#: The manual's first example, and its spelled-out equivalent.
SQL_ADMIN = 'Rafal, Tasha, Administrators, "Power Users"'
SQL_ADMIN_EXPLICIT = (
    'Rafal=sql_admin, Tasha=sql_admin, Administrators=sql_admin,\n'
    '        "Power Users"=sql_admin'
)

#: The manual's win_proxy string, as stored (one backslash each).
WIN_PROXY = (
    "local_user = local_wlad,\n"
    "         MyDomain\\domain_user = local_wlad,\n"
    "         MyDomain\\Developers = local_dev,\n"
    "         BUILTIN\\Administrators = local_admin"
)


class ParseMappingsTests(SynchronousTestCase):
    """
    L{parseMappings} follows each rule of the manual.
    """

    def test_bareNames(self) -> None:
        """
        Bare names have the implicit target (L{None}); a quoted name keeps
        its space.
        """
        self.assertEqual(
            parseMappings(SQL_ADMIN),
            [
                Mapping("Rafal"),
                Mapping("Tasha"),
                Mapping("Administrators"),
                Mapping("Power Users"),
            ],
        )

    def test_explicitTargets(self) -> None:
        """
        The manual's equivalent string names C{sql_admin} in every entry;
        line breaks between entries are spaces.
        """
        self.assertEqual(
            parseMappings(SQL_ADMIN_EXPLICIT),
            [
                Mapping("Rafal", "sql_admin"),
                Mapping("Tasha", "sql_admin"),
                Mapping("Administrators", "sql_admin"),
                Mapping("Power Users", "sql_admin"),
            ],
        )

    def test_winProxy(self) -> None:
        """
        The proxy example: spaces around C{=}, backslashes kept.
        """
        self.assertEqual(
            parseMappings(WIN_PROXY),
            [
                Mapping("local_user", "local_wlad"),
                Mapping("MyDomain\\domain_user", "local_wlad"),
                Mapping("MyDomain\\Developers", "local_dev"),
                Mapping("BUILTIN\\Administrators", "local_admin"),
            ],
        )

    def test_precedenceExampleOrder(self) -> None:
        """
        C{'win_group = sql_user1, win_user = sql_user2'} keeps its order
        (the precedence of users is the checker's business).
        """
        self.assertEqual(
            parseMappings("win_group = sql_user1, win_user = sql_user2"),
            [Mapping("win_group", "sql_user1"), Mapping("win_user", "sql_user2")],
        )

    def test_principalSyntaxes(self) -> None:
        """
        The manual's principal forms, unquoted: a backslash is an ordinary
        character outside quotes.
        """
        for name in (
            "domain\\user",
            ".\\user",
            "domain\\group",
            ".\\group",
            "BUILTIN\\WellKnownGroup",
            "SomeDomain\\Accounting",
        ):
            self.assertEqual(parseMappings(name), [Mapping(name)])

    def test_leadingAndTrailingSpaces(self) -> None:
        """
        Spaces (tabs, line breaks) around names, targets, C{=} and C{,} are
        ignored; inside quotes they are kept.
        """
        self.assertEqual(
            parseMappings('  \t a \n=\r\n b ,  " c "  =  " d"\n'),
            [Mapping("a", "b"), Mapping(" c ", " d")],
        )

    def test_unquotedAnythingElse(self) -> None:
        """
        Unquoted values take anything but C{=}, C{,} and spaces.
        """
        self.assertEqual(
            parseMappings('a.b-c$d\'e"f;g=h!@i'),
            [Mapping('a.b-c$d\'e"f;g', "h!@i")],
        )

    def test_quotedEverything(self) -> None:
        """
        Within double quotes C{=}, C{,} and spaces are part of the value.
        """
        self.assertEqual(
            parseMappings('"a=b, c"="d,e f"'),
            [Mapping("a=b, c", "d,e f")],
        )

    def test_quotedEscapes(self) -> None:
        """
        C{\\"} and C{\\\\} inside quotes are a quote and a backslash.
        """
        self.assertEqual(
            parseMappings('"My \\"Quoted\\" Group"="dom\\\\x"'),
            [Mapping('My "Quoted" Group', "dom\\x")],
        )

    def test_empty(self) -> None:
        """
        An empty or blank string has no mappings.
        """
        self.assertEqual(parseMappings(""), [])
        self.assertEqual(parseMappings(" \n "), [])

    def assertSyntaxError(self, text: str, reason: str, position: int) -> None:
        error = self.assertRaises(MappingSyntaxError, parseMappings, text)
        self.assertIn(reason, error.reason)
        self.assertEqual(error.position, position, str(error))
        self.assertIsInstance(error, ValueError)
        self.assertIn(f"at character {position + 1}", str(error))

    def test_unquotedSpace(self) -> None:
        """
        A space inside an unquoted name is an error that says to quote it.
        """
        self.assertSyntaxError("Rafal, Power Users", "must be in double quotes", 13)

    def test_unterminatedQuote(self) -> None:
        """
        A missing closing quote is an error at the opening one.
        """
        self.assertSyntaxError('Rafal, "Power Users', "missing closing double quote", 7)

    def test_unescapedBackslashInQuotes(self) -> None:
        """
        A backslash inside quotes must escape a quote or a backslash.
        """
        self.assertSyntaxError('"MyDomain\\Developers"', "backslash must be followed", 9)
        self.assertSyntaxError('"ends with\\', "backslash must be followed", 10)

    def test_textAfterClosingQuote(self) -> None:
        """
        A quoted value must be followed by C{=}, C{,} or the end.
        """
        self.assertSyntaxError('"Power Users"x', "after the quoted name", 13)
        self.assertSyntaxError('"a" = "b" c', "after the quoted target", 10)

    def test_emptyEntries(self) -> None:
        """
        Empty names and targets are errors: a leading, doubled or trailing
        comma, C{=} without a name or a target, an empty quoted name.
        """
        self.assertSyntaxError(",a", "empty name", 0)
        self.assertSyntaxError("a,,b", "empty name", 2)
        self.assertSyntaxError("a, ", "empty name after the last comma", 3)
        self.assertSyntaxError("=b", "empty name", 0)
        self.assertSyntaxError("a=", "empty target", 2)
        self.assertSyntaxError("a= ,b", "empty target", 3)
        self.assertSyntaxError('""=x', "empty name", 0)

    def test_secondEquals(self) -> None:
        """
        One entry has one C{=}.
        """
        self.assertSyntaxError("a=b=c", "second '='", 3)


class CheckAuthStringTests(SynchronousTestCase):
    """
    The method refuses malformed strings when they are stored.
    """

    def setUp(self) -> None:
        self.method = WindowsAuthMethod(runInThread=lambda f, *a: defer.maybeDeferred(f, *a))

    def test_goodStringKept(self) -> None:
        """
        A good string is stored as written.
        """
        for text in (SQL_ADMIN, SQL_ADMIN_EXPLICIT, WIN_PROXY):
            raw = text.encode("utf-8")
            self.assertEqual(self.method.checkAuthString(raw), raw)
            self.assertEqual(self.method.hashPassword(raw), raw)

    def test_malformed(self) -> None:
        """
        A malformed string is error 1827 naming the plugin and the fault.
        """
        error = self.assertRaises(
            errors.MySQLError, self.method.checkAuthString, b"Rafal, Power Users"
        )
        self.assertEqual((error.errorCode, error.sqlState), (1827, "HY000"))
        self.assertIn("authentication_windows", error.message)
        self.assertIn("double quotes", error.message)

    def test_emptyRefused(self) -> None:
        """
        C{AS ''} names nobody: refused with the syntax to use.
        """
        error = self.assertRaises(errors.MySQLError, self.method.checkAuthString, b"  ")
        self.assertEqual(error.errorCode, 1827)
        self.assertIn("win_user_or_group", error.message)

    def test_notUTF8(self) -> None:
        """
        Bytes that are not UTF-8 are refused.
        """
        error = self.assertRaises(errors.MySQLError, self.method.checkAuthString, b"\xff\xfe")
        self.assertEqual(error.errorCode, 1827)


class AccountStatementTests(SynchronousTestCase):
    """
    The manual's statements, typed as SQL: the doubled backslashes of MySQL
    string literals, and errors at C{CREATE USER} and C{ALTER USER}.
    """

    def setUp(self) -> None:
        self.accounts = AccountManager(InMemoryAccountStore())
        self.successResultOf(self.accounts.start())
        self.method = WindowsAuthMethod(runInThread=lambda f, *a: defer.maybeDeferred(f, *a))
        self.factory = MySQLServerFactory.forAccounts(
            self.accounts,
            Clock(),
            methods=MethodRegistry([theNativePasswordMethod, self.method]),
            defaultPlugin="mysql_native_password",
        )
        self.executor = Executor(self.factory.config)

    def runSQL(self, statement: str):
        return defer.ensureDeferred(self.executor.run(statement, BootstrapSession()))

    def authStringOf(self, user: str, host: str = "%") -> bytes:
        account = self.accounts.directory.get(AccountName(user, host))
        assert account is not None
        self.assertEqual(account.plugin, "authentication_windows")
        return account.authString

    def test_winProxyStatement(self) -> None:
        """
        The manual's C{CREATE USER win_proxy} stores single backslashes.
        """
        self.successResultOf(
            self.runSQL(
                "CREATE USER win_proxy\n"
                "  IDENTIFIED WITH  authentication_windows\n"
                "  AS 'local_user = local_wlad,\n"
                "      MyDomain\\\\domain_user = local_wlad,\n"
                "      MyDomain\\\\Developers = local_dev,\n"
                "      BUILTIN\\\\Administrators = local_admin'"
            )
        )
        stored = self.authStringOf("win_proxy").decode("utf-8")
        self.assertEqual(
            [m.name for m in parseMappings(stored)],
            [
                "local_user",
                "MyDomain\\domain_user",
                "MyDomain\\Developers",
                "BUILTIN\\Administrators",
            ],
        )

    def test_sqlAdminStatement(self) -> None:
        """
        C{CREATE USER sql_admin ... AS 'Rafal, Tasha, Administrators,
        "Power Users"'} and the other domain's example.
        """
        self.successResultOf(
            self.runSQL(
                "CREATE USER sql_admin IDENTIFIED WITH authentication_windows "
                "AS 'Rafal, Tasha, Administrators, \"Power Users\"'"
            )
        )
        self.assertEqual(self.authStringOf("sql_admin").decode("utf-8"), SQL_ADMIN)
        self.successResultOf(
            self.runSQL(
                "CREATE USER sql_accounting IDENTIFIED WITH authentication_windows "
                "AS 'SomeDomain\\\\Accounting'"
            )
        )
        self.assertEqual(self.authStringOf("sql_accounting"), b"SomeDomain\\Accounting")

    def test_createRefusesMalformed(self) -> None:
        """
        A malformed string fails C{CREATE USER} with 1827, and no account
        is made.
        """
        failure = self.failureResultOf(
            self.runSQL(
                "CREATE USER bad IDENTIFIED WITH authentication_windows "
                "AS 'Rafal, Power Users'"
            )
        )
        failure.trap(errors.MySQLError)
        self.assertEqual(failure.value.errorCode, 1827)
        self.assertIsNone(self.accounts.directory.get(AccountName("bad", "%")))

    def test_alterRefusesMalformed(self) -> None:
        """
        A malformed string fails C{ALTER USER}, and the account keeps its
        string.
        """
        self.successResultOf(
            self.runSQL("CREATE USER u IDENTIFIED WITH authentication_windows AS 'Rafal'")
        )
        failure = self.failureResultOf(
            self.runSQL("ALTER USER u IDENTIFIED WITH authentication_windows AS '\"Rafal'")
        )
        self.assertEqual(failure.value.errorCode, 1827)
        self.assertIn("missing closing double quote", failure.value.message)
        self.assertEqual(self.authStringOf("u"), b"Rafal")
