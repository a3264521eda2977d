# -*- test-case-name: tests.test_sqlparser -*-
# Copyright (c) twisted_mysqlauth developers.
# See LICENSE for details.
"""
Tests for L{twisted_mysqlauth.sql.parser}.
"""

from __future__ import annotations

from decimal import Decimal

from twisted.trial.unittest import SynchronousTestCase

from twisted_mysqlauth.accounts.model import AccountName
from twisted_mysqlauth.errors import EmptyQuery, ParseError, WrongStringLength
from twisted_mysqlauth.sql.parser import parse, splitStatements
from twisted_mysqlauth.sql import statements as ast
from twisted_mysqlauth.sql.statements import (
    AlterUser,
    Assignment,
    AuthOption,
    Between,
    BinaryOp,
    Column,
    CreateUser,
    Default,
    DropUser,
    Flush,
    FlushPrivileges,
    FunctionCall,
    Grant,
    GrantProxy,
    InList,
    InstallPlugin,
    IsTest,
    Like,
    Literal,
    OrderBy,
    RenameUser,
    Revoke,
    RevokeProxy,
    Select,
    SelectItem,
    SetNames,
    SetPassword,
    SetTransaction,
    SetVariables,
    ShowCreateUser,
    ShowDatabases,
    ShowGrants,
    ShowPlugins,
    ShowVariables,
    ShowWarnings,
    Star,
    SystemVariable,
    TableRef,
    UnaryOp,
    UninstallPlugin,
    Unsupported,
    Transaction,
    Use,
    UserSpec,
    UserVariable,
)

SYNTAX = (
    "You have an error in your SQL syntax; check the manual that corresponds "
    "to your MySQL server version for the right syntax to use near '{}' at "
    "line {}"
)


class ParserTestMixin:
    """
    Assertions shared by the parser tests.
    """

    def assertSyntaxError(self, text: str, near: str, line: int = 1) -> None:
        """
        Parsing C{text} fails with MySQL's 1064 error naming C{near} and
        C{line}.
        """
        error = self.assertRaises(ParseError, parse, text)
        self.assertEqual(error.errorCode, 1064)
        self.assertEqual(error.sqlState, "42000")
        self.assertEqual(error.message, SYNTAX.format(near, line))

    def accountOf(self, text: str) -> AccountName:
        """
        @return: the account name of C{DROP USER text}.
        """
        statement = parse("DROP USER " + text)
        self.assertEqual(len(statement.names), 1)
        return statement.names[0]


class AccountNameTests(ParserTestMixin, SynchronousTestCase):
    """
    Account names in every quoting form.
    """

    def test_userOnly(self) -> None:
        """
        A name without a host part has the host C{%}, in every quoting form.
        """
        for text in ("bob", "'bob'", '"bob"', "`bob`"):
            self.assertEqual(self.accountOf(text), AccountName("bob", "%"), text)

    def test_quotedForms(self) -> None:
        """
        Each part may be a word, a single- or double-quoted string, or a
        backtick-quoted identifier, in any combination.
        """
        forms = [
            "'u'@'h'",
            '"u"@"h"',
            "`u`@`h`",
            "u@h",
            "'u'@h",
            "u@'h'",
            "`u`@'h'",
            "'u'@`h`",
            '"u"@`h`',
            "'u' @ 'h'",
            "u @h",
        ]
        for text in forms:
            self.assertEqual(self.accountOf(text), AccountName("u", "h"), text)

    def test_unquotedHosts(self) -> None:
        """
        Unquoted host names and dotted addresses are read as MySQL reads
        them.
        """
        self.assertEqual(self.accountOf("u@localhost"), AccountName("u", "localhost"))
        self.assertEqual(self.accountOf("u@127.0.0.1"), AccountName("u", "127.0.0.1"))
        self.assertEqual(
            self.accountOf("u@db.example.com"), AccountName("u", "db.example.com")
        )
        self.assertEqual(self.accountOf("u@'%'"), AccountName("u", "%"))
        self.assertEqual(
            self.accountOf("u@'192.168.0.%'"), AccountName("u", "192.168.0.%")
        )
        self.assertEqual(
            self.accountOf("u@'10.0.0.0/255.0.0.0'"),
            AccountName("u", "10.0.0.0/255.0.0.0"),
        )

    def test_unquotedWildcardHost(self) -> None:
        """
        As in MySQL, C{%} cannot be part of an unquoted host.
        """
        self.assertSyntaxError("DROP USER u@192.168.0.%", "%")

    def test_hostLowerCased(self) -> None:
        """
        The host is lower-cased; the user name keeps its case.
        """
        self.assertEqual(
            self.accountOf("'Bob'@'LocalHost'"), AccountName("Bob", "localhost")
        )

    def test_escapesInNames(self) -> None:
        """
        Quoted names have their escapes and doubled quotes applied.
        """
        self.assertEqual(
            self.accountOf("'o''brien'@'h\\_1'"), AccountName("o'brien", "h\\_1")
        )

    def test_anonymous(self) -> None:
        """
        C{''} is the anonymous user; C{''@''} has the empty host.
        """
        self.assertEqual(self.accountOf("''@'localhost'"), AccountName("", "localhost"))
        self.assertEqual(self.accountOf("''@''"), AccountName("", ""))
        self.assertEqual(self.accountOf("''"), AccountName("", "%"))

    def test_currentUser(self) -> None:
        """
        C{CURRENT_USER} and C{CURRENT_USER()} are the session's account,
        C{None}.
        """
        self.assertIsNone(self.accountOf("CURRENT_USER"))
        self.assertIsNone(self.accountOf("current_user()"))

    def test_nonASCII(self) -> None:
        """
        Names are text.
        """
        self.assertEqual(
            self.accountOf("'jürgen'@'hôte'"), AccountName("jürgen", "hôte")
        )

    def test_userNameLength(self) -> None:
        """
        A user name of 32 characters is accepted; a longer one is error 1470.
        """
        self.assertEqual(self.accountOf("'" + "é" * 32 + "'").user, "é" * 32)
        name = "x" * 33
        error = self.assertRaises(WrongStringLength, parse, f"CREATE USER '{name}'@'h'")
        self.assertEqual(error.errorCode, 1470)
        self.assertEqual(error.sqlState, "HY000")
        self.assertEqual(
            error.message,
            f"String '{name}' is too long for user name (should be no longer than 32)",
        )

    def test_hostNameLength(self) -> None:
        """
        A host name of 255 characters is accepted; a longer one is error 1470,
        naming the host cut to 70 characters.
        """
        self.assertEqual(len(self.accountOf("u@'" + "h" * 255 + "'").host), 255)
        error = self.assertRaises(
            WrongStringLength, parse, "CREATE USER u@'" + "h" * 256 + "'"
        )
        self.assertEqual(error.errorCode, 1470)
        self.assertEqual(
            error.message,
            "String '" + "h" * 70 + "' is too long for host name "
            "(should be no longer than 255)",
        )

    def test_reservedWord(self) -> None:
        """
        A reserved word cannot be an unquoted user name.
        """
        self.assertSyntaxError("DROP USER select", "select")


class CreateUserTests(ParserTestMixin, SynchronousTestCase):
    """
    C{CREATE USER}.
    """

    def test_manualSocket(self) -> None:
        """
        The manual's C{auth_socket} example.
        """
        self.assertEqual(
            parse("CREATE USER 'valerie'@'localhost' IDENTIFIED WITH auth_socket;"),
            CreateUser(
                False,
                (
                    UserSpec(
                        AccountName("valerie", "localhost"), AuthOption("auth_socket")
                    ),
                ),
            ),
        )

    def test_manualTestPlugin(self) -> None:
        """
        The manual's proxy-user example.
        """
        self.assertEqual(
            parse(
                "CREATE USER 'empl_external'@'localhost' "
                "IDENTIFIED WITH auth_test_plugin AS 'employee';"
            ),
            CreateUser(
                False,
                (
                    UserSpec(
                        AccountName("empl_external", "localhost"),
                        AuthOption("auth_test_plugin", authString=b"employee"),
                    ),
                ),
            ),
        )

    def test_manualWindows(self) -> None:
        """
        The manual's Windows example: the anonymous account with the mapping
        string kept verbatim.
        """
        statement = parse(
            "CREATE USER ''@'' IDENTIFIED WITH authentication_windows AS "
            "'S-1-5-32-545 = local_wlad, \"Power Users\" = local_dev';"
        )
        self.assertEqual(
            statement,
            CreateUser(
                False,
                (
                    UserSpec(
                        AccountName("", ""),
                        AuthOption(
                            "authentication_windows",
                            authString=(
                                b"S-1-5-32-545 = local_wlad, "
                                b'"Power Users" = local_dev'
                            ),
                        ),
                    ),
                ),
            ),
        )

    def test_noAuth(self) -> None:
        """
        Accounts without C{IDENTIFIED}; C{IF NOT EXISTS}.
        """
        self.assertEqual(
            parse("create user if not exists a, b@localhost"),
            CreateUser(
                True,
                (UserSpec(AccountName("a")), UserSpec(AccountName("b", "localhost"))),
            ),
        )

    def test_identifiedBy(self) -> None:
        """
        C{IDENTIFIED BY 'pw'} gives a cleartext password (bytes) and no
        method.
        """
        statement = parse("CREATE USER u IDENTIFIED BY 'sécret\\n'")
        self.assertEqual(
            statement.users[0].auth, AuthOption(password="sécret\n".encode("utf-8"))
        )

    def test_identifiedByRandom(self) -> None:
        """
        C{IDENTIFIED BY RANDOM PASSWORD}.
        """
        self.assertEqual(
            parse("CREATE USER u IDENTIFIED BY RANDOM PASSWORD").users[0].auth,
            AuthOption(randomPassword=True),
        )

    def test_identifiedWithBy(self) -> None:
        """
        C{IDENTIFIED WITH plugin BY 'pw'} and C{BY RANDOM PASSWORD}; the
        plugin name may be quoted.
        """
        self.assertEqual(
            parse("CREATE USER u IDENTIFIED WITH caching_sha2_password BY 'pw'")
            .users[0]
            .auth,
            AuthOption("caching_sha2_password", password=b"pw"),
        )
        self.assertEqual(
            parse("CREATE USER u IDENTIFIED WITH 'sha256_password' BY RANDOM PASSWORD")
            .users[0]
            .auth,
            AuthOption("sha256_password", randomPassword=True),
        )
        self.assertEqual(
            parse("CREATE USER u IDENTIFIED WITH `auth_pam` AS 'mysql'").users[0].auth,
            AuthOption("auth_pam", authString=b"mysql"),
        )

    def test_identifiedByPassword(self) -> None:
        """
        C{IDENTIFIED BY PASSWORD 'hash'} gives a native password hash.
        """
        self.assertEqual(
            parse(
                "CREATE USER u IDENTIFIED BY PASSWORD "
                "'*2470C0C06DEE42FD1618BB99005ADCA2EC9D1E19'"
            )
            .users[0]
            .auth,
            AuthOption(
                "mysql_native_password",
                authString=b"*2470C0C06DEE42FD1618BB99005ADCA2EC9D1E19",
            ),
        )

    def test_mariaDBForms(self) -> None:
        """
        MariaDB's C{IDENTIFIED VIA plugin [USING 'string' | USING
        PASSWORD('pw')]} and C{IDENTIFIED WITH plugin USING 'string'}.
        """
        auths = [
            parse(text).users[0].auth
            for text in (
                "CREATE USER u IDENTIFIED VIA unix_socket",
                "CREATE USER u IDENTIFIED VIA pam USING 'mariadb'",
                "CREATE USER u IDENTIFIED VIA ed25519 USING PASSWORD('pw')",
                "CREATE USER u IDENTIFIED WITH mysql_native_password USING '*AB'",
            )
        ]
        self.assertEqual(
            auths,
            [
                AuthOption("unix_socket"),
                AuthOption("pam", authString=b"mariadb"),
                AuthOption("ed25519", password=b"pw"),
                AuthOption("mysql_native_password", authString=b"*AB"),
            ],
        )

    def test_severalUsers(self) -> None:
        """
        Each account has its own C{IDENTIFIED} clause.
        """
        statement = parse(
            "CREATE USER a@h IDENTIFIED BY 'x', b IDENTIFIED WITH auth_socket, c"
        )
        self.assertEqual(
            statement.users,
            (
                UserSpec(AccountName("a", "h"), AuthOption(password=b"x")),
                UserSpec(AccountName("b"), AuthOption("auth_socket")),
                UserSpec(AccountName("c")),
            ),
        )

    def test_accountLock(self) -> None:
        """
        C{ACCOUNT LOCK} and C{ACCOUNT UNLOCK}; the last one wins.
        """
        self.assertIs(parse("CREATE USER u ACCOUNT LOCK").accountLock, True)
        self.assertIs(parse("CREATE USER u ACCOUNT UNLOCK").accountLock, False)
        self.assertIs(
            parse("CREATE USER u ACCOUNT UNLOCK ACCOUNT LOCK").accountLock, True
        )
        self.assertIsNone(parse("CREATE USER u").accountLock)

    def test_options(self) -> None:
        """
        C{DEFAULT ROLE}, C{REQUIRE}, C{WITH} limits, password options and
        C{COMMENT} are recorded in order.
        """
        statement = parse(
            "CREATE USER u IDENTIFIED BY 'x' DEFAULT ROLE r1, 'r2'@'h' "
            "REQUIRE NONE WITH MAX_QUERIES_PER_HOUR 10 MAX_USER_CONNECTIONS 2 "
            "PASSWORD EXPIRE INTERVAL 90 DAY ACCOUNT LOCK PASSWORD HISTORY 5 "
            "PASSWORD REUSE INTERVAL 30 DAY PASSWORD REQUIRE CURRENT "
            "FAILED_LOGIN_ATTEMPTS 3 PASSWORD_LOCK_TIME 2 COMMENT 'hi'"
        )
        self.assertEqual(statement.accountLock, True)
        self.assertEqual(
            statement.options,
            (
                ("DEFAULT ROLE", (AccountName("r1"), AccountName("r2", "h"))),
                ("REQUIRE", "NONE"),
                ("MAX_QUERIES_PER_HOUR", 10),
                ("MAX_USER_CONNECTIONS", 2),
                ("PASSWORD EXPIRE INTERVAL", 90),
                ("PASSWORD HISTORY", 5),
                ("PASSWORD REUSE INTERVAL", 30),
                ("PASSWORD REQUIRE CURRENT", None),
                ("FAILED_LOGIN_ATTEMPTS", 3),
                ("PASSWORD_LOCK_TIME", 2),
                ("COMMENT", b"hi"),
            ),
        )

    def test_passwordExpireForms(self) -> None:
        """
        C{PASSWORD EXPIRE} alone, C{DEFAULT} and C{NEVER}.
        """
        self.assertEqual(
            parse(
                "CREATE USER u PASSWORD EXPIRE PASSWORD EXPIRE DEFAULT "
                "PASSWORD EXPIRE NEVER PASSWORD HISTORY DEFAULT "
                "PASSWORD REQUIRE CURRENT OPTIONAL PASSWORD_LOCK_TIME UNBOUNDED"
            ).options,
            (
                ("PASSWORD EXPIRE", None),
                ("PASSWORD EXPIRE", "DEFAULT"),
                ("PASSWORD EXPIRE", "NEVER"),
                ("PASSWORD HISTORY", "DEFAULT"),
                ("PASSWORD REQUIRE CURRENT", "OPTIONAL"),
                ("PASSWORD_LOCK_TIME", "UNBOUNDED"),
            ),
        )

    def test_requireForms(self) -> None:
        """
        C{REQUIRE SSL}, C{X509} and TLS options joined by optional C{AND}.
        """
        self.assertEqual(
            parse("CREATE USER u REQUIRE SSL").options, (("REQUIRE", "SSL"),)
        )
        self.assertEqual(
            parse("CREATE USER u REQUIRE X509").options, (("REQUIRE", "X509"),)
        )
        self.assertEqual(
            parse(
                "CREATE USER u REQUIRE ISSUER '/C=SE' AND SUBJECT '/CN=u' CIPHER 'AES'"
            ).options,
            (
                ("REQUIRE ISSUER", b"/C=SE"),
                ("REQUIRE SUBJECT", b"/CN=u"),
                ("REQUIRE CIPHER", b"AES"),
            ),
        )

    def test_attribute(self) -> None:
        """
        C{ATTRIBUTE 'json'} is kept as bytes.
        """
        self.assertEqual(
            parse('CREATE USER u ATTRIBUTE \'{"fname": "Jon"}\'').options,
            (("ATTRIBUTE", b'{"fname": "Jon"}'),),
        )

    def test_nothingAfter(self) -> None:
        """
        C{CREATE USER} with no account is a syntax error at the end.
        """
        self.assertSyntaxError("CREATE USER", "")
        self.assertSyntaxError("CREATE USER;", ";")

    def test_incompleteIdentified(self) -> None:
        """
        An incomplete C{IDENTIFIED} clause is a syntax error.
        """
        self.assertSyntaxError("CREATE USER u IDENTIFIED", "")
        self.assertSyntaxError("CREATE USER u IDENTIFIED BY", "")
        self.assertSyntaxError("CREATE USER u IDENTIFIED WITH", "")
        self.assertSyntaxError("CREATE USER u IDENTIFIED BY pw", "pw")
        self.assertSyntaxError("CREATE USER u IDENTIFIED FOO 'x'", "FOO 'x'")

    def test_replaceNotInCreate(self) -> None:
        """
        C{REPLACE} and C{RETAIN CURRENT PASSWORD} belong to C{ALTER USER}.
        """
        self.assertSyntaxError(
            "CREATE USER u IDENTIFIED BY 'x' REPLACE 'y'", "REPLACE 'y'"
        )

    def test_unknownClause(self) -> None:
        """
        An unknown clause is a syntax error.
        """
        self.assertSyntaxError("CREATE USER u FROBNICATE", "FROBNICATE")
        self.assertSyntaxError("CREATE USER u WITH FOO 1", "FOO 1")
        self.assertSyntaxError("CREATE USER u PASSWORD 'x'", "'x'")
        self.assertSyntaxError("CREATE USER u REQUIRE", "")


class AlterUserTests(ParserTestMixin, SynchronousTestCase):
    """
    C{ALTER USER}.
    """

    def test_manualSocket(self) -> None:
        """
        The manual's C{auth_socket} example.
        """
        self.assertEqual(
            parse(
                "ALTER USER 'valerie'@'localhost' IDENTIFIED WITH auth_socket "
                "AS 'stephanie';"
            ),
            AlterUser(
                False,
                (
                    UserSpec(
                        AccountName("valerie", "localhost"),
                        AuthOption("auth_socket", authString=b"stephanie"),
                    ),
                ),
            ),
        )

    def test_userFunction(self) -> None:
        """
        C{ALTER USER USER()} is the session's account.
        """
        self.assertEqual(
            parse("ALTER USER USER() IDENTIFIED BY 'pw'"),
            AlterUser(False, (UserSpec(None, AuthOption(password=b"pw")),)),
        )
        self.assertEqual(
            parse("ALTER USER CURRENT_USER() ACCOUNT LOCK").users, (UserSpec(None),)
        )

    def test_replaceRetain(self) -> None:
        """
        C{REPLACE 'current'} and C{RETAIN CURRENT PASSWORD} are recorded.
        """
        self.assertEqual(
            parse(
                "ALTER USER IF EXISTS u IDENTIFIED BY 'new' REPLACE 'old' "
                "RETAIN CURRENT PASSWORD"
            ),
            AlterUser(
                True,
                (
                    UserSpec(
                        AccountName("u"),
                        AuthOption(
                            password=b"new", replace=b"old", retainCurrentPassword=True
                        ),
                    ),
                ),
            ),
        )
        self.assertEqual(
            parse(
                "ALTER USER u IDENTIFIED WITH caching_sha2_password BY RANDOM "
                "PASSWORD RETAIN CURRENT PASSWORD"
            )
            .users[0]
            .auth,
            AuthOption(
                "caching_sha2_password", randomPassword=True, retainCurrentPassword=True
            ),
        )

    def test_discardOldPassword(self) -> None:
        """
        C{DISCARD OLD PASSWORD}.
        """
        self.assertEqual(
            parse("ALTER USER u DISCARD OLD PASSWORD, v").users,
            (
                UserSpec(AccountName("u"), discardOldPassword=True),
                UserSpec(AccountName("v")),
            ),
        )

    def test_lockAndOptions(self) -> None:
        """
        The clauses of C{CREATE USER} other than C{DEFAULT ROLE}.
        """
        statement = parse("ALTER USER u@h ACCOUNT UNLOCK PASSWORD EXPIRE COMMENT 'c'")
        self.assertEqual(
            statement,
            AlterUser(
                False,
                (UserSpec(AccountName("u", "h")),),
                False,
                (("PASSWORD EXPIRE", None), ("COMMENT", b"c")),
            ),
        )

    def test_defaultRole(self) -> None:
        """
        C{ALTER USER user DEFAULT ROLE {NONE | ALL | roles}}.
        """
        self.assertEqual(
            parse("ALTER USER u DEFAULT ROLE NONE").options, (("DEFAULT ROLE", "NONE"),)
        )
        self.assertEqual(
            parse("ALTER USER u DEFAULT ROLE ALL").options, (("DEFAULT ROLE", "ALL"),)
        )
        self.assertEqual(
            parse("ALTER USER u DEFAULT ROLE r, s@h").options,
            (("DEFAULT ROLE", (AccountName("r"), AccountName("s", "h"))),),
        )


class DropRenameTests(ParserTestMixin, SynchronousTestCase):
    """
    C{DROP USER} and C{RENAME USER}.
    """

    def test_drop(self) -> None:
        """
        C{DROP USER [IF EXISTS] user [, user]}.
        """
        self.assertEqual(
            parse("DROP USER IF EXISTS u, 'v'@'H', CURRENT_USER"),
            DropUser(True, (AccountName("u"), AccountName("v", "h"), None)),
        )
        self.assertEqual(parse("drop user u"), DropUser(False, (AccountName("u"),)))

    def test_rename(self) -> None:
        """
        C{RENAME USER old TO new [, old TO new]}.
        """
        self.assertEqual(
            parse("RENAME USER a TO b, 'c'@'h' TO d@localhost"),
            RenameUser(
                (
                    (AccountName("a"), AccountName("b")),
                    (AccountName("c", "h"), AccountName("d", "localhost")),
                )
            ),
        )

    def test_renameIncomplete(self) -> None:
        """
        A pair without C{TO} is a syntax error.
        """
        self.assertSyntaxError("RENAME USER a b", "b")


class SetPasswordTests(ParserTestMixin, SynchronousTestCase):
    """
    C{SET PASSWORD}.
    """

    def test_own(self) -> None:
        """
        Without C{FOR}, the session's account.
        """
        self.assertEqual(parse("SET PASSWORD = 'pw'"), SetPassword(None, b"pw"))
        self.assertEqual(parse("set password := 'pw'"), SetPassword(None, b"pw"))

    def test_for(self) -> None:
        """
        C{FOR user}, including C{CURRENT_USER()}.
        """
        self.assertEqual(
            parse("SET PASSWORD FOR 'u'@'localhost' = 'pw'"),
            SetPassword(AccountName("u", "localhost"), b"pw"),
        )
        self.assertEqual(
            parse("SET PASSWORD FOR CURRENT_USER() = 'pw'"), SetPassword(None, b"pw")
        )

    def test_passwordFunction(self) -> None:
        """
        C{= PASSWORD('pw')} is the same as C{= 'pw'}.
        """
        self.assertEqual(
            parse("SET PASSWORD FOR u = PASSWORD('pw')"),
            SetPassword(AccountName("u"), b"pw"),
        )

    def test_oldPassword(self) -> None:
        """
        C{OLD_PASSWORD()} is a syntax error.
        """
        self.assertSyntaxError("SET PASSWORD = OLD_PASSWORD('x')", "OLD_PASSWORD('x')")

    def test_random(self) -> None:
        """
        C{TO RANDOM}.
        """
        self.assertEqual(
            parse("SET PASSWORD FOR u TO RANDOM"),
            SetPassword(AccountName("u"), randomPassword=True),
        )

    def test_replaceRetain(self) -> None:
        """
        C{REPLACE} and C{RETAIN CURRENT PASSWORD}.
        """
        self.assertEqual(
            parse("SET PASSWORD = 'new' REPLACE 'old' RETAIN CURRENT PASSWORD"),
            SetPassword(None, b"new", replace=b"old", retainCurrentPassword=True),
        )


class GrantTests(ParserTestMixin, SynchronousTestCase):
    """
    C{GRANT}.
    """

    def test_manualProxy(self) -> None:
        """
        The manual's C{GRANT PROXY} example.
        """
        self.assertEqual(
            parse(
                "GRANT PROXY ON 'employee'@'localhost' TO 'empl_external'@'localhost';"
            ),
            GrantProxy(
                AccountName("employee", "localhost"),
                (AccountName("empl_external", "localhost"),),
            ),
        )

    def test_proxyWithGrantOption(self) -> None:
        """
        C{GRANT PROXY} to several accounts C{WITH GRANT OPTION}.
        """
        self.assertEqual(
            parse("GRANT PROXY ON ''@'' TO 'root'@'localhost', u WITH GRANT OPTION"),
            GrantProxy(
                AccountName("", ""),
                (AccountName("root", "localhost"), AccountName("u")),
                True,
            ),
        )

    def test_all(self) -> None:
        """
        C{ALL} and C{ALL PRIVILEGES} are C{("ALL",)}.
        """
        for text in ("ALL", "ALL PRIVILEGES", "all privileges"):
            self.assertEqual(
                parse(f"GRANT {text} ON *.* TO root@localhost WITH GRANT OPTION"),
                Grant(("ALL",), "*.*", (AccountName("root", "localhost"),), True),
            )

    def test_staticPrivileges(self) -> None:
        """
        Every static privilege, multi-word ones normalised to single spaces
        and upper case.
        """
        names = [
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
            "USAGE",
        ]
        text = ", ".join(name.lower().replace(" ", "  ") for name in names)
        statement = parse(f"GRANT {text} ON *.* TO u")
        self.assertEqual(statement.privileges, tuple(names))
        self.assertFalse(statement.withGrantOption)

    def test_dynamicPrivileges(self) -> None:
        """
        Other words are dynamic privileges, upper-cased;
        C{REPLICATION REPLICA} is C{REPLICATION SLAVE}.
        """
        self.assertEqual(
            parse(
                "GRANT system_variables_admin, CONNECTION_ADMIN, replication replica "
                "ON *.* TO u"
            ).privileges,
            ("SYSTEM_VARIABLES_ADMIN", "CONNECTION_ADMIN", "REPLICATION SLAVE"),
        )

    def test_grantOptionInList(self) -> None:
        """
        C{GRANT OPTION} in the list is the grant option.
        """
        self.assertEqual(
            parse("GRANT CREATE USER, GRANT OPTION ON *.* TO u"),
            Grant(("CREATE USER",), "*.*", (AccountName("u"),), True),
        )

    def test_levels(self) -> None:
        """
        Privilege levels are kept as text.
        """
        levels = {
            "*.*": "*.*",
            "*": "*",
            "db.*": "db.*",
            "`my db`.*": "my db.*",
            "db.tbl": "db.tbl",
            "tbl": "tbl",
            "TABLE db.tbl": "db.tbl",
            "PROCEDURE db.p": "PROCEDURE db.p",
            "FUNCTION db.f": "FUNCTION db.f",
        }
        for text, level in levels.items():
            self.assertEqual(parse(f"GRANT SELECT ON {text} TO u").level, level, text)

    def test_grantees(self) -> None:
        """
        Several grantees, including C{CURRENT_USER}.
        """
        self.assertEqual(
            parse("GRANT SELECT ON *.* TO a, 'b'@'h', CURRENT_USER()").grantees,
            (AccountName("a"), AccountName("b", "h"), None),
        )

    def test_roleGrant(self) -> None:
        """
        A role grant (no C{ON}) is unsupported.
        """
        self.assertEqual(parse("GRANT r1, 'r2'@'%' TO u"), Unsupported("GRANT ROLE"))

    def test_errors(self) -> None:
        """
        Malformed grants are syntax errors.
        """
        self.assertSyntaxError("GRANT SELECT ON *.* TO", "")
        self.assertSyntaxError("GRANT ALL, SELECT ON *.* TO u", ", SELECT ON *.* TO u")
        self.assertSyntaxError("GRANT SELECT, ALL ON *.* TO u", "ALL ON *.* TO u")
        self.assertSyntaxError("GRANT SELECT (a) ON t TO u", "(a) ON t TO u")
        self.assertSyntaxError("GRANT SHOW ON *.* TO u", "ON *.* TO u")
        self.assertSyntaxError(
            "GRANT SELECT ON *.* TO u IDENTIFIED BY 'x'", "IDENTIFIED BY 'x'"
        )
        self.assertSyntaxError(
            "GRANT SELECT ON *.* TO u WITH ADMIN OPTION", "WITH ADMIN OPTION"
        )


class RevokeTests(ParserTestMixin, SynchronousTestCase):
    """
    C{REVOKE}.
    """

    def test_privileges(self) -> None:
        """
        C{REVOKE privileges ON level FROM users}.
        """
        self.assertEqual(
            parse("REVOKE SELECT, CREATE USER ON *.* FROM u, v@h"),
            Revoke(
                ("SELECT", "CREATE USER"),
                "*.*",
                (AccountName("u"), AccountName("v", "h")),
            ),
        )

    def test_allGrantOption(self) -> None:
        """
        C{REVOKE ALL [PRIVILEGES], GRANT OPTION FROM users} has no level.
        """
        for text in ("ALL", "ALL PRIVILEGES"):
            self.assertEqual(
                parse(f"REVOKE {text}, GRANT OPTION FROM 'u'@'%'"),
                Revoke(("ALL",), None, (AccountName("u"),), True),
            )

    def test_allOn(self) -> None:
        """
        C{REVOKE ALL ON level}.
        """
        self.assertEqual(
            parse("REVOKE ALL ON *.* FROM u"),
            Revoke(("ALL",), "*.*", (AccountName("u"),)),
        )

    def test_grantOption(self) -> None:
        """
        C{REVOKE GRANT OPTION ON level} revokes only the grant option.
        """
        self.assertEqual(
            parse("REVOKE GRANT OPTION ON *.* FROM u"),
            Revoke((), "*.*", (AccountName("u"),), True),
        )

    def test_flags(self) -> None:
        """
        C{IF EXISTS} and C{IGNORE UNKNOWN USER}.
        """
        self.assertEqual(
            parse("REVOKE IF EXISTS SELECT ON *.* FROM u IGNORE UNKNOWN USER"),
            Revoke(("SELECT",), "*.*", (AccountName("u"),), False, True, True),
        )

    def test_proxy(self) -> None:
        """
        C{REVOKE PROXY ON user FROM users}.
        """
        self.assertEqual(
            parse(
                "REVOKE PROXY ON 'employee'@'localhost' "
                "FROM 'empl_external'@'localhost'"
            ),
            RevokeProxy(
                AccountName("employee", "localhost"),
                (AccountName("empl_external", "localhost"),),
            ),
        )

    def test_role(self) -> None:
        """
        Revoking a role is unsupported.
        """
        self.assertEqual(parse("REVOKE r FROM u"), Unsupported("REVOKE ROLE"))

    def test_allWithoutOn(self) -> None:
        """
        C{REVOKE ALL FROM} without C{GRANT OPTION} is a syntax error.
        """
        self.assertSyntaxError("REVOKE ALL FROM u", "FROM u")


class ShowTests(ParserTestMixin, SynchronousTestCase):
    """
    C{SHOW} statements.
    """

    def test_grants(self) -> None:
        """
        C{SHOW GRANTS}, C{FOR user}, C{FOR CURRENT_USER[()]}, C{USING}.
        """
        self.assertEqual(parse("SHOW GRANTS"), ShowGrants())
        self.assertEqual(parse("SHOW GRANTS FOR CURRENT_USER"), ShowGrants())
        self.assertEqual(parse("SHOW GRANTS FOR CURRENT_USER()"), ShowGrants())
        self.assertEqual(
            parse("SHOW GRANTS FOR 'u'@'localhost'"),
            ShowGrants(AccountName("u", "localhost")),
        )
        self.assertEqual(
            parse("SHOW GRANTS FOR u USING r1, r2"),
            ShowGrants(AccountName("u"), (AccountName("r1"), AccountName("r2"))),
        )

    def test_createUser(self) -> None:
        """
        C{SHOW CREATE USER user}.
        """
        self.assertEqual(
            parse("SHOW CREATE USER 'u'@'h'"), ShowCreateUser(AccountName("u", "h"))
        )
        self.assertEqual(parse("SHOW CREATE USER CURRENT_USER"), ShowCreateUser(None))
        self.assertSyntaxError("SHOW CREATE USER", "")

    def test_variables(self) -> None:
        """
        C{SHOW [GLOBAL | SESSION | LOCAL] VARIABLES [LIKE | WHERE]}.
        """
        self.assertEqual(parse("SHOW VARIABLES"), ShowVariables())
        self.assertEqual(
            parse("SHOW GLOBAL VARIABLES LIKE 'version%'"),
            ShowVariables("global", b"version%"),
        )
        self.assertEqual(
            parse("show local variables like 'a\\_b'"),
            ShowVariables("session", b"a\\_b"),
        )
        self.assertEqual(
            parse("SHOW SESSION VARIABLES WHERE Variable_name = 'x'"),
            ShowVariables(
                "session",
                None,
                BinaryOp("=", Column("Variable_name"), Literal(b"x")),
            ),
        )

    def test_others(self) -> None:
        """
        C{SHOW PLUGINS}, C{SHOW WARNINGS}, C{SHOW DATABASES}.
        """
        self.assertEqual(parse("SHOW PLUGINS"), ShowPlugins())
        self.assertEqual(parse("SHOW WARNINGS"), ShowWarnings())
        self.assertEqual(parse("SHOW WARNINGS LIMIT 1, 2"), ShowWarnings(2, 1))
        self.assertEqual(parse("SHOW ERRORS LIMIT 3"), ShowWarnings(3, errorsOnly=True))
        self.assertEqual(parse("SHOW COUNT(*) WARNINGS"), ShowWarnings(countOnly=True))
        self.assertEqual(
            parse("show count( * ) errors"), ShowWarnings(errorsOnly=True, countOnly=True)
        )
        self.assertSyntaxError("SHOW COUNT(*) VARIABLES", "VARIABLES")
        self.assertEqual(parse("SHOW DATABASES"), ShowDatabases())
        self.assertEqual(parse("SHOW SCHEMAS LIKE 'm%'"), ShowDatabases(b"m%"))

    def test_unsupported(self) -> None:
        """
        Other C{SHOW} statements are unsupported.
        """
        self.assertEqual(parse("SHOW TABLES"), Unsupported("SHOW TABLES"))
        self.assertEqual(
            parse("SHOW FULL PROCESSLIST"), Unsupported("SHOW FULL PROCESSLIST")
        )
        self.assertEqual(
            parse("SHOW GLOBAL STATUS LIKE 'x'"), Unsupported("SHOW GLOBAL STATUS")
        )


class FlushTests(ParserTestMixin, SynchronousTestCase):
    """
    C{FLUSH}.
    """

    def test_privileges(self) -> None:
        """
        C{FLUSH PRIVILEGES}, with or without C{LOCAL}.
        """
        self.assertEqual(parse("FLUSH PRIVILEGES"), FlushPrivileges())
        self.assertEqual(parse("flush local privileges;"), FlushPrivileges())

    def test_others(self) -> None:
        """
        Other targets give a L{Flush}.
        """
        self.assertEqual(parse("FLUSH LOGS"), Flush("LOGS"))
        self.assertEqual(
            parse("FLUSH TABLES WITH READ LOCK"), Flush("TABLES WITH READ LOCK")
        )
        self.assertEqual(parse("FLUSH HOSTS, STATUS"), Flush("HOSTS, STATUS"))
        self.assertEqual(
            parse("FLUSH NO_WRITE_TO_BINLOG BINARY LOGS, PRIVILEGES"),
            Flush("BINARY LOGS, PRIVILEGES"),
        )

    def test_nothing(self) -> None:
        """
        C{FLUSH} alone is a syntax error.
        """
        self.assertSyntaxError("FLUSH", "")
        self.assertSyntaxError("FLUSH BINARY", "")
        self.assertSyntaxError("FLUSH EVERYTHING", "EVERYTHING")


class SelectTests(ParserTestMixin, SynchronousTestCase):
    """
    C{SELECT}.
    """

    def test_versionComment(self) -> None:
        """
        What the C{mysql} client sends on connecting.
        """
        self.assertEqual(
            parse("select @@version_comment limit 1"),
            Select(
                (
                    SelectItem(
                        SystemVariable(None, "version_comment"),
                        None,
                        "@@version_comment",
                    ),
                ),
                limit=1,
            ),
        )

    def test_userFunctions(self) -> None:
        """
        C{SELECT USER(), CURRENT_USER(), @@proxy_user}: each item named by
        its text.
        """
        self.assertEqual(
            parse("SELECT USER(), CURRENT_USER(), @@proxy_user;"),
            Select(
                (
                    SelectItem(FunctionCall("USER"), None, "USER()"),
                    SelectItem(FunctionCall("CURRENT_USER"), None, "CURRENT_USER()"),
                    SelectItem(
                        SystemVariable(None, "proxy_user"), None, "@@proxy_user"
                    ),
                )
            ),
        )

    def test_functions(self) -> None:
        """
        Function names are upper-cased; C{CURRENT_USER} needs no
        parentheses.
        """
        items = parse(
            "SELECT session_user(), system_user(), connection_id(), database(), "
            "schema(), version(), now(), CURRENT_USER, concat('a', 1), count(*)"
        ).items
        self.assertEqual(
            [item.expr for item in items],
            [
                FunctionCall("SESSION_USER"),
                FunctionCall("SYSTEM_USER"),
                FunctionCall("CONNECTION_ID"),
                FunctionCall("DATABASE"),
                FunctionCall("SCHEMA"),
                FunctionCall("VERSION"),
                FunctionCall("NOW"),
                FunctionCall("CURRENT_USER"),
                FunctionCall("CONCAT", (Literal(b"a"), Literal(1))),
                FunctionCall("COUNT", (Star(),)),
            ],
        )
        self.assertEqual(items[7].text, "CURRENT_USER")

    def test_literals(self) -> None:
        """
        Strings, numbers, C{NULL}, C{TRUE}, C{FALSE}, hexadecimal literals
        and introducers.
        """
        items = parse(
            "SELECT 'a', 1, -2, 1.5, 1e2, NULL, TRUE, false, X'41', _utf8mb4'x', N'y'"
        ).items
        self.assertEqual(
            [item.expr for item in items],
            [
                Literal(b"a"),
                Literal(1),
                Literal(-2),
                Literal(Decimal("1.5")),
                Literal(100.0),
                Literal(None),
                Literal(True),
                Literal(False),
                Literal(b"A", "binary"),
                Literal(b"x", "utf8mb4"),
                Literal(b"y", "utf8mb3"),
            ],
        )
        self.assertEqual(items[2].text, "-2")

    def test_variables(self) -> None:
        """
        System variables with scopes (C{local} is C{session}) and user
        variables.
        """
        self.assertEqual(
            [
                item.expr
                for item in parse(
                    "SELECT @@GLOBAL.max_connections, @@session.autocommit, "
                    "@@local.x, @v, @'w x'"
                ).items
            ],
            [
                SystemVariable("global", "max_connections"),
                SystemVariable("session", "autocommit"),
                SystemVariable("session", "x"),
                UserVariable("v"),
                UserVariable("w x"),
            ],
        )

    def test_aliases(self) -> None:
        """
        C{AS alias}, a bare alias, and quoted aliases; the text excludes the
        alias.
        """
        items = parse(
            "SELECT @@character_set_client AS character_set_client, 1 one, "
            "2 AS `two`, 3 'three', 4 AS \"four\""
        ).items
        self.assertEqual(
            [(item.alias, item.text) for item in items],
            [
                ("character_set_client", "@@character_set_client"),
                ("one", "1"),
                ("two", "2"),
                ("three", "3"),
                ("four", "4"),
            ],
        )

    def test_text(self) -> None:
        """
        The text of an item is its source, as written.
        """
        self.assertEqual(
            [item.text for item in parse("SELECT  1 +  2 , user( ) ,'x'").items],
            ["1 +  2", "user( )", "'x'"],
        )

    def test_fromInformationSchema(self) -> None:
        """
        The manual's query of C{INFORMATION_SCHEMA.PLUGINS}.
        """
        self.assertEqual(
            parse(
                "SELECT PLUGIN_NAME, PLUGIN_STATUS FROM INFORMATION_SCHEMA.PLUGINS "
                "WHERE PLUGIN_NAME LIKE '%socket%';"
            ),
            Select(
                (
                    SelectItem(Column("PLUGIN_NAME"), None, "PLUGIN_NAME"),
                    SelectItem(Column("PLUGIN_STATUS"), None, "PLUGIN_STATUS"),
                ),
                TableRef("INFORMATION_SCHEMA", "PLUGINS"),
                Like(Column("PLUGIN_NAME"), Literal(b"%socket%")),
            ),
        )

    def test_fromDual(self) -> None:
        """
        C{FROM DUAL} is no table.
        """
        self.assertIsNone(parse("SELECT 1 FROM DUAL").fromTable)

    def test_fromTable(self) -> None:
        """
        A table without a schema, with an alias.
        """
        self.assertEqual(
            parse("SELECT * FROM plugins AS p").fromTable,
            TableRef(None, "plugins", "p"),
        )
        self.assertEqual(
            parse("SELECT p.* FROM `information_schema`.`plugins` p").items[0].expr,
            Star("p"),
        )

    def test_whereOperators(self) -> None:
        """
        Comparisons, C{AND}, C{OR}, C{NOT}, C{IS}, C{IN}, C{BETWEEN} with
        MySQL's precedence.
        """
        where = parse(
            "SELECT 1 FROM t WHERE NOT a = 1 AND b <> 'x' OR c IS NOT NULL "
            "AND d IN (1, 2) AND e NOT BETWEEN 1 AND 2 AND f != 3"
        ).where
        self.assertEqual(
            where,
            BinaryOp(
                "OR",
                BinaryOp(
                    "AND",
                    UnaryOp("NOT", BinaryOp("=", Column("a"), Literal(1))),
                    BinaryOp("<>", Column("b"), Literal(b"x")),
                ),
                BinaryOp(
                    "AND",
                    BinaryOp(
                        "AND",
                        BinaryOp(
                            "AND",
                            IsTest(Column("c"), None, True),
                            InList(Column("d"), (Literal(1), Literal(2))),
                        ),
                        Between(Column("e"), Literal(1), Literal(2), True),
                    ),
                    BinaryOp("<>", Column("f"), Literal(3)),
                ),
            ),
        )

    def test_arithmetic(self) -> None:
        """
        Multiplication binds tighter than addition.
        """
        self.assertEqual(
            parse("SELECT 1 + 2 * 3 - 4 % 2").items[0].expr,
            BinaryOp(
                "-",
                BinaryOp("+", Literal(1), BinaryOp("*", Literal(2), Literal(3))),
                BinaryOp("MOD", Literal(4), Literal(2)),
            ),
        )

    def test_likeEscape(self) -> None:
        """
        C{NOT LIKE ... ESCAPE}.
        """
        self.assertEqual(
            parse("SELECT 1 WHERE a NOT LIKE 'x!%' ESCAPE '!'").where,
            Like(Column("a"), Literal(b"x!%"), Literal(b"!"), True),
        )

    def test_orderAndLimit(self) -> None:
        """
        C{ORDER BY}, C{LIMIT n OFFSET m} and C{LIMIT m, n}.
        """
        statement = parse("SELECT a FROM t ORDER BY a DESC, b LIMIT 5 OFFSET 2")
        self.assertEqual(
            statement.orderBy, (OrderBy(Column("a"), True), OrderBy(Column("b")))
        )
        self.assertEqual((statement.limit, statement.offset), (5, 2))
        statement = parse("SELECT a FROM t LIMIT 2, 5")
        self.assertEqual((statement.limit, statement.offset), (5, 2))

    def test_distinct(self) -> None:
        """
        C{DISTINCT} is recorded; other modifiers are ignored.
        """
        self.assertTrue(parse("SELECT DISTINCT SQL_NO_CACHE a FROM t").distinct)
        self.assertFalse(parse("SELECT SQL_CALC_FOUND_ROWS a FROM t").distinct)

    def test_errors(self) -> None:
        """
        Unfinished or unknown syntax is a syntax error.
        """
        self.assertSyntaxError("SELECT", "")
        self.assertSyntaxError("SELECT 1 FROM t WHERE", "")
        self.assertSyntaxError("SELECT 1 FROM a JOIN b", "JOIN b")
        self.assertSyntaxError("SELECT 1 LIMIT x", "x")
        self.assertSyntaxError("SELECT FROM t", "FROM t")


class SetTests(ParserTestMixin, SynchronousTestCase):
    """
    C{SET} of variables and of the character set.
    """

    def test_plain(self) -> None:
        """
        C{SET autocommit=1}.
        """
        self.assertEqual(
            parse("SET autocommit=1"),
            SetVariables((Assignment(None, "autocommit", Literal(1)),)),
        )

    def test_scopes(self) -> None:
        """
        C{@@session.}, C{@@global.}, C{@@}, C{SESSION}, C{GLOBAL}, C{LOCAL},
        C{PERSIST} and user variables.
        """
        statement = parse(
            "SET @@session.autocommit = OFF, @@global.max_connections = 10, "
            "@@sql_mode = '', SESSION sql_mode='ANSI', @x = 1, "
            "LOCAL a = 2, PERSIST b = 3"
        )
        self.assertEqual(
            statement.assignments,
            (
                Assignment("session", "autocommit", Literal(b"OFF")),
                Assignment("global", "max_connections", Literal(10)),
                Assignment(None, "sql_mode", Literal(b"")),
                Assignment("session", "sql_mode", Literal(b"ANSI")),
                Assignment("user", "x", Literal(1)),
                Assignment("session", "a", Literal(2)),
                Assignment("persist", "b", Literal(3)),
            ),
        )

    def test_scopeCarriedOver(self) -> None:
        """
        A scope word applies to the later assignments without one, as in
        MySQL; C{@@scope.} does not.
        """
        self.assertEqual(
            parse("SET GLOBAL a = 1, b = 2, SESSION c = 3, d = 4").assignments,
            (
                Assignment("global", "a", Literal(1)),
                Assignment("global", "b", Literal(2)),
                Assignment("session", "c", Literal(3)),
                Assignment("session", "d", Literal(4)),
            ),
        )
        self.assertEqual(parse("SET @@global.a = 1, b = 2").assignments[1].scope, None)

    def test_bareWords(self) -> None:
        """
        For a system variable, a bare word (even C{ON}) is its text;
        C{DEFAULT} is L{Default}; C{NULL} and C{TRUE} are literals.
        """
        self.assertEqual(
            parse(
                "SET autocommit = ON, sql_mode = TRADITIONAL, x = DEFAULT, "
                "character_set_results = NULL, y = TRUE"
            ).assignments,
            (
                Assignment(None, "autocommit", Literal(b"ON")),
                Assignment(None, "sql_mode", Literal(b"TRADITIONAL")),
                Assignment(None, "x", Default()),
                Assignment(None, "character_set_results", Literal(None)),
                Assignment(None, "y", Literal(True)),
            ),
        )

    def test_expressions(self) -> None:
        """
        Values may be expressions; C{:=} is allowed; a user variable set to
        a word gets a column reference, as in MySQL.
        """
        self.assertEqual(
            parse(
                "SET @x := @@sql_mode, sql_mode = CONCAT(@@sql_mode, ',ANSI'), @y = z"
            ).assignments,
            (
                Assignment("user", "x", SystemVariable(None, "sql_mode")),
                Assignment(
                    None,
                    "sql_mode",
                    FunctionCall(
                        "CONCAT", (SystemVariable(None, "sql_mode"), Literal(b",ANSI"))
                    ),
                ),
                Assignment("user", "y", Column("z")),
            ),
        )

    def test_componentVariable(self) -> None:
        """
        A component variable keeps its dot.
        """
        self.assertEqual(
            parse("SET GLOBAL validate_password.length = 8").assignments,
            (Assignment("global", "validate_password.length", Literal(8)),),
        )

    def test_names(self) -> None:
        """
        C{SET NAMES} with quoted or unquoted names, with C{COLLATE}, and
        C{DEFAULT}.
        """
        self.assertEqual(
            parse("SET NAMES 'utf8mb4' COLLATE 'utf8mb4_0900_ai_ci'"),
            SetNames("utf8mb4", "utf8mb4_0900_ai_ci"),
        )
        self.assertEqual(parse("SET NAMES utf8"), SetNames("utf8"))
        self.assertEqual(
            parse("set names UTF8MB4 collate utf8mb4_bin"),
            SetNames("utf8mb4", "utf8mb4_bin"),
        )
        self.assertEqual(parse("SET NAMES binary"), SetNames("binary"))
        self.assertEqual(parse("SET NAMES DEFAULT"), SetNames(None))

    def test_characterSet(self) -> None:
        """
        C{SET CHARACTER SET} and C{SET CHARSET}.
        """
        self.assertEqual(parse("SET CHARACTER SET utf8"), SetNames("utf8", None, True))
        self.assertEqual(parse("SET CHARSET 'latin1'"), SetNames("latin1", None, True))

    def test_transaction(self) -> None:
        """
        C{SET [SESSION] TRANSACTION ...}.
        """
        self.assertEqual(
            parse("SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED, READ ONLY"),
            SetTransaction("session", "READ COMMITTED", "READ ONLY"),
        )
        self.assertEqual(
            parse("SET TRANSACTION READ WRITE"),
            SetTransaction(None, None, "READ WRITE"),
        )

    def test_unsupported(self) -> None:
        """
        C{SET ROLE} and C{SET DEFAULT ROLE} are unsupported.
        """
        self.assertEqual(parse("SET ROLE ALL"), Unsupported("SET ROLE"))
        self.assertEqual(
            parse("SET DEFAULT ROLE ALL TO u"), Unsupported("SET DEFAULT ROLE")
        )

    def test_errors(self) -> None:
        """
        Malformed assignments are syntax errors.
        """
        self.assertSyntaxError("SET x", "")
        self.assertSyntaxError("SET x 1", "1")
        self.assertSyntaxError("SET GLOBAL @@x = 1", "@@x = 1")
        self.assertSyntaxError("SET NAMES", "")


class OtherStatementTests(ParserTestMixin, SynchronousTestCase):
    """
    C{USE}, C{INSTALL PLUGIN}, C{UNINSTALL PLUGIN}.
    """

    def test_use(self) -> None:
        """
        C{USE database}.
        """
        self.assertEqual(parse("USE mysql"), Use("mysql"))
        self.assertEqual(parse("use `my db`;"), Use("my db"))

    def test_installPlugin(self) -> None:
        """
        The manual's C{INSTALL PLUGIN} example.
        """
        self.assertEqual(
            parse("INSTALL PLUGIN auth_socket SONAME 'auth_socket.so';"),
            InstallPlugin("auth_socket", "auth_socket.so"),
        )
        self.assertSyntaxError("INSTALL PLUGIN auth_socket", "")

    def test_uninstallPlugin(self) -> None:
        """
        C{UNINSTALL PLUGIN name}.
        """
        self.assertEqual(
            parse("UNINSTALL PLUGIN auth_socket"), UninstallPlugin("auth_socket")
        )


class TransactionTests(ParserTestMixin, SynchronousTestCase):
    """
    C{BEGIN}, C{START TRANSACTION}, C{COMMIT}, C{ROLLBACK}: clients send
    them (PyMySQL's C{commit()}, a pool's reset); they succeed.
    """

    def test_statements(self) -> None:
        """
        Every form of MySQL's grammar; C{RELEASE} is kept.
        """
        cases = {
            "BEGIN": Transaction("begin"),
            "begin work;": Transaction("begin"),
            "START TRANSACTION": Transaction("begin"),
            "START TRANSACTION READ ONLY, WITH CONSISTENT SNAPSHOT": Transaction("begin"),
            "start transaction read write": Transaction("begin"),
            "COMMIT": Transaction("commit"),
            "COMMIT WORK AND NO CHAIN NO RELEASE": Transaction("commit"),
            "COMMIT AND CHAIN": Transaction("commit"),
            "COMMIT RELEASE": Transaction("commit", release=True),
            "ROLLBACK": Transaction("rollback"),
            "ROLLBACK WORK AND NO CHAIN RELEASE": Transaction("rollback", release=True),
        }
        for text, statement in cases.items():
            self.assertEqual(parse(text), statement, text)

    def test_errors(self) -> None:
        """
        C{AND CHAIN RELEASE} is a syntax error in MySQL, as are unknown
        characteristics and trailing words.
        """
        self.assertSyntaxError("COMMIT AND CHAIN RELEASE", "RELEASE")
        self.assertSyntaxError("START TRANSACTION READ", "READ")
        self.assertSyntaxError("BEGIN x", "x")
        self.assertSyntaxError("COMMIT AND", "")
        self.assertSyntaxError("START TRANSACTION READ ONLY, READ WRITE", "READ WRITE")


class UnsupportedTests(ParserTestMixin, SynchronousTestCase):
    """
    Statements MySQL has that this server does not implement.
    """

    def test_named(self) -> None:
        """
        The node names the statement by its leading keywords; the rest is
        not checked.
        """
        cases = {
            "DELETE FROM x": "DELETE",
            "CREATE TABLE t (a INT)": "CREATE TABLE",
            "create temporary table t (a int)": "CREATE TEMPORARY TABLE",
            "CREATE OR REPLACE VIEW v AS SELECT 1": "CREATE OR REPLACE VIEW",
            "DROP TABLE t": "DROP TABLE",
            "ALTER TABLE t ADD b INT": "ALTER TABLE",
            "INSERT INTO t VALUES (1)": "INSERT",
            "UPDATE t SET a = 1": "UPDATE",
            "START SLAVE": "START SLAVE",
            "DROP TEMPORARY TABLES t": "DROP TEMPORARY TABLES",
            "ROLLBACK TO SAVEPOINT a": "ROLLBACK",
            "SAVEPOINT a": "SAVEPOINT",
            "CREATE ROLE r": "CREATE ROLE",
            "INSTALL COMPONENT 'file://x'": "INSTALL COMPONENT",
            "RENAME TABLE a TO b": "RENAME TABLE",
        }
        for text, keyword in cases.items():
            self.assertEqual(parse(text), Unsupported(keyword), text)

    def test_unknown(self) -> None:
        """
        A statement that MySQL does not have either is a syntax error.
        """
        self.assertSyntaxError("FROBNICATE everything", "FROBNICATE everything")
        self.assertSyntaxError("SELEC 1", "SELEC 1")
        # A misspelt object is a syntax error, as in MySQL (not 1235).
        self.assertSyntaxError("CREATE TABL oops", "TABL oops")
        self.assertSyntaxError("drop tabel t", "tabel t")
        self.assertSyntaxError("CREATE OR REPLACE VEIW v", "VEIW v")
        self.assertSyntaxError("CREATE", "")
        self.assertSyntaxError("ALTER 1", "1")


class ParseErrorTests(ParserTestMixin, SynchronousTestCase):
    """
    The text and line of syntax errors, empty queries, and the end of the
    statement.
    """

    def test_trailingSemicolon(self) -> None:
        """
        One C{;} may end the statement, followed by white space or comments.
        """
        self.assertEqual(parse("FLUSH PRIVILEGES ;  -- done\n"), FlushPrivileges())

    def test_trailingGarbage(self) -> None:
        """
        Anything after the statement (or its C{;}) is a syntax error from
        there.
        """
        self.assertSyntaxError("FLUSH PRIVILEGES now", "now")
        self.assertSyntaxError("SELECT 1; SELECT 2", "SELECT 2")
        self.assertSyntaxError("SELECT 1;;", ";")
        self.assertSyntaxError("DROP USER u, v w", "w")

    def test_multiLine(self) -> None:
        """
        The error names the 1-based line of the offending token and the
        text from it to the end.
        """
        self.assertSyntaxError(
            "CREATE USER 'u'@'h'\n  IDENTIFIED BY 'x'\n  FROBNICATE now\n",
            "FROBNICATE now\n",
            3,
        )
        self.assertSyntaxError("SELECT 'a\nb',\n /* c\n */ 1 2", "2", 4)

    def test_endOfInputLine(self) -> None:
        """
        At the end of the statement, the text is empty and the line is the
        last one.
        """
        self.assertSyntaxError("CREATE USER 'u'@'h'\n  IDENTIFIED WITH\n", "", 3)

    def test_nearCutTo80(self) -> None:
        """
        The text is cut to 80 characters (not bytes).
        """
        tail = "é" * 100
        error = self.assertRaises(ParseError, parse, "DROP USER u " + tail)
        self.assertEqual(error.message, SYNTAX.format(tail[:80], 1))
        self.assertEqual(len(tail[:80]), 80)

    def test_unterminatedString(self) -> None:
        """
        An unclosed string is a syntax error from its quote.
        """
        self.assertSyntaxError("CREATE USER 'u'@'h' IDENTIFIED BY 'secret", "'secret")

    def test_unterminatedComment(self) -> None:
        """
        An unclosed comment is a syntax error from the comment.
        """
        self.assertSyntaxError("SELECT 1 /* note", "/* note")

    def test_empty(self) -> None:
        """
        A query of white space only is error 1065.
        """
        for text in ("", "   \n\t"):
            error = self.assertRaises(EmptyQuery, parse, text)
            self.assertEqual(error.errorCode, 1065)
            self.assertEqual(error.message, "Query was empty")

    def test_commentsOnly(self) -> None:
        """
        A query of comments only is no error (MySQL answers it with OK).
        """
        for text in ("-- x\n", "# x", "/* x */", "/*!99999 SELECT 1 */"):
            self.assertEqual(parse(text), ast.CommentOnly())

    def test_semicolonOnly(self) -> None:
        """
        A lone C{;} is a syntax error.
        """
        self.assertSyntaxError(";", ";")

    def test_versionComments(self) -> None:
        """
        Version comments as C{mysqldump} writes them are read.
        """
        self.assertEqual(parse("/*!40101 SET NAMES utf8mb4 */;"), SetNames("utf8mb4"))
        self.assertEqual(
            parse("/*!40101 SET @OLD_SQL_MODE=@@SQL_MODE */"),
            SetVariables(
                (Assignment("user", "OLD_SQL_MODE", SystemVariable(None, "SQL_MODE")),)
            ),
        )

    def test_bytes(self) -> None:
        """
        A statement may be given as UTF-8 bytes.
        """
        self.assertEqual(
            parse("SET PASSWORD = 'pässword'".encode("utf-8")),
            SetPassword(None, "pässword".encode("utf-8")),
        )


class SplitStatementsTests(SynchronousTestCase):
    """
    Tests for L{splitStatements}.
    """

    def test_script(self) -> None:
        """
        A script is cut at each C{;} outside strings, identifiers and
        comments; statements without tokens are dropped.
        """
        script = (
            "-- set up the accounts\n"
            "CREATE USER 'a'@'localhost' IDENTIFIED BY 'x;y';\n"
            "   ;\n"
            "/* nothing ; here */ ;\n"
            "GRANT PROXY ON ''@'' TO `a;b`@'%'; SET @x = \"q\\\";\";\n"
            "/*!40101 SET NAMES utf8mb4 */;\n"
            "FLUSH PRIVILEGES"
        )
        self.assertEqual(
            splitStatements(script),
            [
                "-- set up the accounts\n"
                "CREATE USER 'a'@'localhost' IDENTIFIED BY 'x;y'",
                "GRANT PROXY ON ''@'' TO `a;b`@'%'",
                'SET @x = "q\\";"',
                "/*!40101 SET NAMES utf8mb4 */",
                "FLUSH PRIVILEGES",
            ],
        )

    def test_eachParses(self) -> None:
        """
        Each piece parses as one statement.
        """
        statements = [
            parse(piece)
            for piece in splitStatements(
                "CREATE USER u;\n# c ;\nGRANT SELECT ON *.* TO u;\n\nDROP USER u;\n"
            )
        ]
        self.assertEqual(
            [type(statement) for statement in statements], [CreateUser, Grant, DropUser]
        )

    def test_empty(self) -> None:
        """
        A script of comments and semicolons has no statements.
        """
        self.assertEqual(splitStatements(" ;; -- x\n/* y */;\n"), [])

    def test_unterminated(self) -> None:
        """
        An unterminated string is kept in the last piece, for the parser to
        report.
        """
        pieces = splitStatements("SELECT 1; SELECT 'a;")
        self.assertEqual(pieces, ["SELECT 1", "SELECT 'a;"])
        self.assertRaises(ParseError, parse, pieces[1])
