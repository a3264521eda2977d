# Copyright (c) twisted_mysqlauth developers.
# See LICENSE for details.
"""
Tests for L{twisted_mysqlauth.bootstrap}: the init file and the first
administrative account of a new datadir.
"""

from __future__ import annotations

import os
from typing import Any

from twisted.internet import defer
from twisted.internet.task import Clock
from twisted.logger import capturedLogs, formatEvent
from twisted.trial.unittest import SynchronousTestCase

from twisted_mysqlauth.accounts.directory import AccountManager
from twisted_mysqlauth.accounts.memory import InMemoryAccountStore
from twisted_mysqlauth.accounts.model import ALL_PRIVILEGES, AccountName
from twisted_mysqlauth.auth import hashing
from twisted_mysqlauth.bootstrap import (
    BootstrapSession,
    InitFileError,
    bootstrapAccounts,
    runInitFile,
)
from twisted_mysqlauth.server import ServerConfiguration
from twisted_mysqlauth.sql.executor import Executor


class BootstrapTestMixin:
    """
    A server configuration over an empty in-memory store.
    """

    def setUp(self) -> None:
        self.accounts = AccountManager(InMemoryAccountStore())
        self.successResultOf(self.accounts.start())
        self.config = ServerConfiguration(self.accounts, Clock())

    def writeFile(self, content: Any) -> str:
        """
        Write a temporary file.

        @param content: text (written as UTF-8) or bytes.
        @return: its path.
        """
        path = self.mktemp()
        if isinstance(content, str):
            content = content.encode("utf-8")
        with open(path, "wb") as f:
            f.write(content)
        return path

    def runInit(self, path: str) -> Any:
        """
        @return: the L{Deferred} of L{runInitFile} on C{path}.
        """
        return defer.ensureDeferred(runInitFile(self.config, path))

    def get(self, user: str, host: str = "%") -> Any:
        """
        @return: the account C{user@host}, or None.
        """
        return self.accounts.directory.get(AccountName(user, host))


class RunInitFileTests(BootstrapTestMixin, SynchronousTestCase):
    """
    L{runInitFile}.
    """

    def test_statements(self) -> None:
        """
        Every statement runs, in order, with full privileges; C{;} inside
        strings and comments does not end a statement; the result is the
        number of statements.
        """
        path = self.writeFile(
            "-- first; a comment with a semicolon\n"
            "CREATE USER 'a;b'@'localhost' IDENTIFIED BY 'pw;1';\n"
            "/* a block; comment */\n"
            "CREATE USER c IDENTIFIED WITH mysql_native_password BY 'it''s;';\n"
            "GRANT ALL ON *.* TO c WITH GRANT OPTION;\n"
            "ALTER USER c ACCOUNT LOCK\n"
        )
        self.assertEqual(self.successResultOf(self.runInit(path)), 4)
        first = self.get("a;b", "localhost")
        self.assertTrue(hashing.verifyCachingSHA2(first.authString, b"pw;1"))
        second = self.get("c")
        self.assertEqual(second.authString, hashing.nativeHash(b"it's;"))
        self.assertEqual(second.privileges, ALL_PRIVILEGES)
        self.assertTrue(second.grantOption)
        self.assertTrue(second.locked)

    def test_empty(self) -> None:
        """
        A file of comments only runs nothing.
        """
        path = self.writeFile("-- nothing here;\n/* nor; here */\n")
        self.assertEqual(self.successResultOf(self.runInit(path)), 0)
        self.assertEqual(len(self.accounts.directory), 0)

    def test_failingStatement(self) -> None:
        """
        A failing statement stops the file with L{InitFileError} naming the
        file, the statement's number and the MySQL error; the statements
        before it have run, those after it have not.
        """
        path = self.writeFile(
            "CREATE USER a;\n"
            "-- a comment is not a statement\n"
            "CREATE USER b;\n"
            "CREATE USER a;\n"
            "CREATE USER d;\n"
        )
        failure = self.failureResultOf(self.runInit(path), InitFileError)
        self.assertEqual(
            str(failure.value),
            f"init file {path}, statement 3: "
            "ERROR 1396 (HY000): Operation CREATE USER failed for 'a'@'%'",
        )
        self.assertIsNotNone(self.get("a"))
        self.assertIsNotNone(self.get("b"))
        self.assertIsNone(self.get("d"))

    def test_syntaxError(self) -> None:
        """
        A statement with a syntax error fails with its 1064 error, without
        quoting the statement (it may hold a password).
        """
        path = self.writeFile("CREATE USER a;\nCREATE USER b IDENTIFIED BY 'hunter2' FOO;\n")
        failure = self.failureResultOf(self.runInit(path), InitFileError)
        message = str(failure.value)
        self.assertTrue(
            message.startswith(f"init file {path}, statement 2: ERROR 1064 (42000): "),
            message,
        )
        self.assertNotIn("hunter2", message)

    def test_unterminatedString(self) -> None:
        """
        A file that cannot be cut into statements (an unterminated string)
        fails with L{InitFileError} naming it, before anything runs.
        """
        path = self.writeFile("CREATE USER a;\nCREATE USER b IDENTIFIED BY 'oops;\n")
        failure = self.failureResultOf(self.runInit(path), InitFileError)
        self.assertIn(path, str(failure.value))
        self.assertIn("ERROR 1064", str(failure.value))
        self.assertNotIn("oops", str(failure.value))

    def test_missingFile(self) -> None:
        """
        A file that cannot be opened fails with L{InitFileError} naming it.
        """
        path = self.mktemp()
        failure = self.failureResultOf(self.runInit(path), InitFileError)
        self.assertIn(f"cannot read init file {path}", str(failure.value))

    def test_notUTF8(self) -> None:
        """
        A file that is not UTF-8 fails with L{InitFileError} naming it.
        """
        path = self.writeFile(b"CREATE USER '\xff';\n")
        failure = self.failureResultOf(self.runInit(path), InitFileError)
        self.assertIn(f"cannot read init file {path}", str(failure.value))
        self.assertEqual(len(self.accounts.directory), 0)


class BootstrapSessionTests(BootstrapTestMixin, SynchronousTestCase):
    """
    L{BootstrapSession}: statements run as C{root@localhost} with every
    privilege.
    """

    def test_identity(self) -> None:
        """
        C{USER()} and C{CURRENT_USER()} answer C{root@localhost}.
        """
        result = self.successResultOf(
            defer.ensureDeferred(
                Executor(self.config).run(
                    "SELECT USER(), CURRENT_USER()", BootstrapSession()
                )
            )
        )
        self.assertEqual(result[1], [[b"root@localhost", b"root@localhost"]])


class BootstrapAccountsTests(BootstrapTestMixin, SynchronousTestCase):
    """
    L{bootstrapAccounts}: the first account of a new datadir.
    """

    def bootstrap(self, **kw: Any) -> Any:
        """
        @return: what L{bootstrapAccounts} answers.
        """
        return self.successResultOf(defer.ensureDeferred(bootstrapAccounts(self.config, **kw)))

    def test_createsRootBySocket(self) -> None:
        """
        On an empty directory, C{'root'@'localhost'} is created with
        auth_socket naming the OS user, every privilege and the grant
        option, and is the only account.
        """
        self.assertEqual(self.bootstrap(osUser="alice"), "alice")
        root = self.get("root", "localhost")
        self.assertEqual(root.plugin, "auth_socket")
        self.assertEqual(root.authString, b"alice")
        self.assertEqual(root.privileges, ALL_PRIVILEGES)
        self.assertTrue(root.grantOption)
        self.assertFalse(root.locked)
        self.assertEqual(len(self.accounts.directory), 1)

    def test_defaultOSUser(self) -> None:
        """
        By default the OS user is the one running the server.
        """
        import pwd

        expected = pwd.getpwuid(os.geteuid()).pw_name
        self.assertEqual(self.bootstrap(), expected)
        self.assertEqual(self.get("root", "localhost").authString, expected.encode())

    def test_accountsExist(self) -> None:
        """
        When accounts exist, nothing is created and the answer is None.
        """
        runInit = defer.ensureDeferred(
            Executor(self.config).run("CREATE USER someone", BootstrapSession())
        )
        self.successResultOf(runInit)
        self.assertIsNone(self.bootstrap())
        self.assertIsNone(self.get("root", "localhost"))

    def test_logSaysHowToLogIn(self) -> None:
        """
        The log says which OS user logs in and the command to use.
        """
        with capturedLogs() as events:
            self.bootstrap(socketPath="/tmp/x.sock", osUser="alice")
        texts = [formatEvent(e) for e in events]
        self.assertTrue(
            any("as OS user alice, log in with: mariadb -S /tmp/x.sock -u root" in t for t in texts),
            texts,
        )

    def test_logSaysNoSocket(self) -> None:
        """
        Without a UNIX socket to listen on, the log says that root cannot log
        in until there is one (auth_socket never works over TCP), rather
        than a command that cannot work.
        """
        with capturedLogs() as events:
            self.bootstrap(socketPath=None, osUser="alice")
        texts = [formatEvent(e) for e in events]
        self.assertEqual(
            texts,
            [
                "first start: created 'root'@'localhost' IDENTIFIED WITH auth_socket AS "
                "'alice', which logs in only over a UNIX socket, and this server listens on "
                "none: add --listen unix:<path> (or make accounts with --init-file)"
            ],
        )
