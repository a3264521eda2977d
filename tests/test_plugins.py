# -*- test-case-name: tests.test_plugins -*-
# Copyright (c) twisted_mysqlauth developers.
# See LICENSE for details.
"""
Plugin management without sockets: C{INSTALL PLUGIN}, C{UNINSTALL PLUGIN},
C{SHOW PLUGINS} and C{INFORMATION_SCHEMA.PLUGINS} on the executor over an
in-memory store; the L{twisted_mysqlauth.auth.registry.PluginCatalog} and
L{twisted_mysqlauth.tap.loadPlugins}; the options (C{--plugin-dir},
C{--plugin-load}, C{--plugin-load-add}, C{--skip-grant-tables} and their
my.cnf names); logins on L{twisted.test.iosim} to accounts whose plugin is
not loaded; the example third-party dropin of
C{docs/examples/plugin_dir}; and C{--skip-grant-tables}.

The statements of the MySQL manual (section 8.4.1.10, "Socket
Peer-Credential Pluggable Authentication") are run as written.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
from typing import Any, Dict, List, Optional, Tuple

from zope.interface import implementer
from zope.interface.verify import verifyObject

from twisted.cred.checkers import ICredentialsChecker
from twisted.internet import defer
from twisted.internet.address import IPv4Address, UNIXAddress
from twisted.internet.task import Clock
from twisted.logger import formatEvent, globalLogPublisher
from twisted.plugin import IPlugin
from twisted.python import usage
from twisted.trial.unittest import SynchronousTestCase

from twisted_mysqlauth import errors
from twisted_mysqlauth.accounts.directory import AccountManager
from twisted_mysqlauth.accounts.memory import InMemoryAccountStore
from twisted_mysqlauth.accounts.model import AccountName
from twisted_mysqlauth.auth import registry
from twisted_mysqlauth.auth.base import TryLogin
from twisted_mysqlauth.auth.registry import (
    BUILTIN_METHODS,
    DEFAULT_METHODS,
    PluginCatalog,
    discoverMethods,
    libraryOf,
)
from twisted_mysqlauth.bootstrap import BootstrapSession
from twisted_mysqlauth.credentials import AccountPassword
from twisted_mysqlauth.interfaces import IAuthExchange, IAuthMethod, IPasswordMethod
from twisted_mysqlauth.server import MySQLServerFactory
from twisted_mysqlauth.sql.executor import INSTALLED_PLUGINS_SETTING, PLUGIN_COLUMNS, Executor
from twisted_mysqlauth.tap import Options, ServerSettings, StartupError, loadPlugins
from twisted_mysqlauth.testing import MySQLTestClient, ServerError, connectedServerAndClient

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

#: The folder of the example third-party dropin (the how-to's plugin dir).
EXAMPLE_PLUGIN_DIR = os.path.join(ROOT, "docs", "examples", "plugin_dir")

LOCALHOST = IPv4Address("TCP", "127.0.0.1", 40000)
SOCKET = UNIXAddress(None)

#: The manual's statements (seed 000), as written.
INSTALL_AUTH_SOCKET = "INSTALL PLUGIN auth_socket SONAME 'auth_socket.so'"
SOCKET_PLUGINS_QUERY = (
    "SELECT PLUGIN_NAME, PLUGIN_STATUS\n"
    "       FROM INFORMATION_SCHEMA.PLUGINS\n"
    "       WHERE PLUGIN_NAME LIKE '%socket%'"
)
UNINSTALL_AUTH_SOCKET = "UNINSTALL PLUGIN auth_socket"

#: The manual's test plugin, installed as the manual does it.
INSTALL_TEST_PLUGIN = "INSTALL PLUGIN test_plugin_server SONAME 'auth_test_plugin.so'"

#: The text of error 1290 under C{--skip-grant-tables}.
SKIP_GRANT_TABLES_MESSAGE = (
    "The MySQL server is running with the --skip-grant-tables option so it "
    "cannot execute this statement"
)

#: The secret of the example accounts, and its SHA-256 in hex (the
#: authentication string C{example_shared_secret} stores).
SECRET = b"correct horse"
SECRET_HASH = hashlib.sha256(SECRET).hexdigest()


def importExample():
    """
    Import C{docs/examples/plugin_dir/example_auth.py} as a module of its
    own (not through the plugin dir), so its method can be put in a catalog
    directly.
    """
    path = os.path.join(EXAMPLE_PLUGIN_DIR, "example_auth.py")
    spec = importlib.util.spec_from_file_location("tests_example_auth_dropin", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


exampleAuth = importExample()


@implementer(IAuthExchange)
class _PasswordExchange:
    """
    The exchange of the fake methods below: one cleartext packet.
    """

    def __init__(self, attempt: Any) -> None:
        self.attempt = attempt

    def initialData(self) -> bytes:
        return b""

    def responseReceived(self, data: bytes) -> TryLogin:
        return TryLogin(
            AccountPassword(self.attempt.usernameBytes, self.attempt.account, data.rstrip(b"\x00"))
        )

    def loginFailed(self, reason: Any) -> Any:
        return reason

    def loginSucceeded(self) -> None:
        return None


@implementer(IAuthMethod, IPlugin)
class BrokenMethod:
    """
    A third-party method whose C{initialize} always fails.
    """

    pluginName = "broken_auth"
    clientPluginName = "mysql_clear_password"
    aliases = ()
    library = "broken_auth.py"
    requiresSecureTransport = False
    passwordUsed = True

    def initialize(self, settings: Any) -> None:
        raise RuntimeError("no licence key for broken_auth")

    def newExchange(self, context: Any) -> _PasswordExchange:
        return _PasswordExchange(context)

    def hashPassword(self, password: bytes) -> bytes:
        return password

    def checkAuthString(self, authString: bytes) -> bytes:
        return authString


@implementer(IAuthMethod, IPlugin)
class RecordingMethod(BrokenMethod):
    """
    A third-party method that records what its C{initialize} is given.
    """

    pluginName = "recording_auth"
    library = "recording_auth.py"

    def __init__(self) -> None:
        self.initialized: List[Any] = []

    def initialize(self, settings: Any) -> None:
        self.initialized.append(settings)


def patchDiscovery(testCase: SynchronousTestCase, *extra: Any) -> None:
    """
    Make every catalog discovered during C{testCase} hold the dropins found
    on the Python path plus C{extra} (third-party methods that exist only in
    this test module).
    """
    available = discoverMethods() + list(extra)
    testCase.patch(registry, "discoverMethods", lambda pluginDir=None: list(available))


def capturedLogs(testCase: SynchronousTestCase) -> List[str]:
    """
    @return: a list that receives the text of every log event emitted
        during C{testCase}.
    """
    messages: List[str] = []

    def observer(event: Dict[str, Any]) -> None:
        messages.append(formatEvent(event))

    globalLogPublisher.addObserver(observer)
    testCase.addCleanup(globalLogPublisher.removeObserver, observer)
    return messages


class PluginServerMixin:
    """
    A server over an in-memory store whose methods come from
    L{loadPlugins}, its executor, and helpers to run statements (with every
    privilege, as the init file) and to log in on iosim.
    """

    #: Third-party methods the catalog can find besides the dropins.
    extraMethods: Tuple[Any, ...] = ()

    #: Keyword arguments of the L{ServerSettings} given to L{loadPlugins}.
    settingsOptions: Dict[str, Any] = {}

    #: Keyword arguments of the server's configuration.
    serverOptions: Dict[str, Any] = {}

    def setUp(self) -> None:
        self.clock = Clock()
        self.store = InMemoryAccountStore()
        self.accounts = AccountManager(self.store)
        self.successResultOf(self.accounts.start())
        patchDiscovery(self, *self.extraMethods)
        self.catalog = loadPlugins(ServerSettings(**self.settingsOptions), None)
        self.factory = MySQLServerFactory.forAccounts(
            self.accounts, self.clock, plugins=self.catalog, **self.serverOptions
        )
        self.config = self.factory.config
        self.executor = Executor(self.config)
        self.root = BootstrapSession()

    # statements

    def sql(self, *statements: str) -> Any:
        """
        Run statements that must succeed, with every privilege.

        @return: the last one's result.
        """
        result = None
        for statement in statements:
            result = self.successResultOf(
                defer.ensureDeferred(self.executor.run(statement, self.root))
            )
        return result

    def sqlFails(self, statement: str) -> errors.MySQLError:
        """
        Run a statement, with every privilege, that must fail.

        @return: the MySQL error.
        """
        return self.failureResultOf(
            defer.ensureDeferred(self.executor.run(statement, self.root)), errors.MySQLError
        ).value

    def assertSQLError(self, statement: str, code: int, message: str) -> errors.MySQLError:
        """
        Run a statement and check the MySQL error code and text it fails
        with.
        """
        error = self.sqlFails(statement)
        self.assertEqual((error.errorCode, error.message), (code, message))
        return error

    def rows(self, statement: str) -> Tuple[List[str], List[List[Optional[str]]]]:
        """
        Run a statement with a result set.

        @return: (column names, rows as text or L{None}).
        """
        columns, rows = self.sql(statement)
        names = [getattr(c, "name", c) for c in columns]
        return names, [[None if v is None else v.decode("utf-8") for v in row] for row in rows]

    def showPlugins(self) -> Dict[str, List[Optional[str]]]:
        """
        @return: the rows of C{SHOW PLUGINS} by name.
        """
        names, rows = self.rows("SHOW PLUGINS")
        return {row[0]: row for row in rows}

    def recorded(self) -> List[List[str]]:
        """
        @return: the plugins the store records as installed.
        """
        value = self.successResultOf(self.store.getSetting(INSTALLED_PLUGINS_SETTING))
        return json.loads(value) if value else []

    # logins

    def login(self, user: bytes, password: bytes = b"", peer: Any = SOCKET, **kw: Any):
        """
        Log in with L{MySQLTestClient} on iosim.

        @return: C{(client, result)}: the result is the client's
            L{twisted_mysqlauth.testing.LoginTrace} or a L{Failure}.
        """
        client = MySQLTestClient(user, password, **kw)
        c, server, pump = connectedServerAndClient(
            self.factory, client, peerAddress=peer, clock=self.clock
        )
        pump.flush()
        self.pump = pump
        results: list = []
        client.loggedIn.addBoth(results.append)
        self.assertEqual(len(results), 1, "the login did not finish")
        return client, results[0]

    def loggedIn(self, user: bytes, password: bytes = b"", **kw: Any) -> MySQLTestClient:
        """
        Log in, failing the test if the server refuses.
        """
        client, result = self.login(user, password, **kw)
        if not hasattr(result, "greeting"):
            self.fail(f"login as {user!r} failed: {result}")
        return client

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


class SeedStatementTests(PluginServerMixin, SynchronousTestCase):
    """
    The statements of the manual's socket-authentication section, and the
    same steps for the manual's test plugin, on a server that loaded the
    default plugins.
    """

    def test_installAuthSocketAlreadyLoaded(self) -> None:
        """
        C{auth_socket} is loaded by default, so the manual's C{INSTALL
        PLUGIN auth_socket SONAME 'auth_socket.so'} fails as MySQL's does
        for a loaded plugin: 1125, and nothing is recorded.
        """
        self.assertSQLError(INSTALL_AUTH_SOCKET, 1125, "Function 'auth_socket' already exists")
        self.assertEqual(self.recorded(), [])

    def test_installTestPlugin(self) -> None:
        """
        C{INSTALL PLUGIN test_plugin_server SONAME 'auth_test_plugin.so'}
        loads the plugin at once (accounts can use it) and records it in the
        store, so that it loads at every later start.
        """
        self.assertNotIn("test_plugin_server", self.config.methods)
        self.sql(INSTALL_TEST_PLUGIN)
        self.assertIn("test_plugin_server", self.config.methods)
        self.assertEqual(self.recorded(), [["test_plugin_server", "auth_test_plugin.so"]])
        self.sql("CREATE USER 'tp'@'localhost' IDENTIFIED WITH test_plugin_server AS 'pw'")
        self.assertEqual(
            self.accounts.directory.get(AccountName("tp", "localhost")).plugin,
            "test_plugin_server",
        )
        self.assertEqual(self.showPlugins()["test_plugin_server"][1], "ACTIVE")

    def test_installTwice(self) -> None:
        """
        Installing an installed plugin again is 1125, under its name or an
        alias.
        """
        self.sql(INSTALL_TEST_PLUGIN)
        self.assertSQLError(INSTALL_TEST_PLUGIN, 1125, "Function 'test_plugin_server' already exists")
        self.assertSQLError(
            "INSTALL PLUGIN unix_socket SONAME 'auth_socket.so'",
            1125,
            "Function 'unix_socket' already exists",
        )
        self.assertEqual(self.recorded(), [["test_plugin_server", "auth_test_plugin.so"]])

    def test_informationSchemaQuery(self) -> None:
        """
        The manual's query of C{INFORMATION_SCHEMA.PLUGINS}, as written,
        returns the one row the manual shows.
        """
        self.assertEqual(
            self.rows(SOCKET_PLUGINS_QUERY),
            (["PLUGIN_NAME", "PLUGIN_STATUS"], [["auth_socket", "ACTIVE"]]),
        )

    def test_informationSchemaAllColumns(self) -> None:
        """
        C{SELECT * FROM INFORMATION_SCHEMA.PLUGINS} has MySQL's columns, in
        MySQL's order, and a row per loaded plugin: built-in ones with no
        library and C{LOAD_OPTION} C{FORCE}, the others with their library
        and C{ON}.
        """
        self.sql(INSTALL_TEST_PLUGIN)
        names, rows = self.rows("SELECT * FROM INFORMATION_SCHEMA.PLUGINS")
        self.assertEqual(
            names,
            [
                "PLUGIN_NAME",
                "PLUGIN_VERSION",
                "PLUGIN_STATUS",
                "PLUGIN_TYPE",
                "PLUGIN_TYPE_VERSION",
                "PLUGIN_LIBRARY",
                "PLUGIN_LIBRARY_VERSION",
                "PLUGIN_AUTHOR",
                "PLUGIN_DESCRIPTION",
                "PLUGIN_LICENSE",
                "LOAD_OPTION",
            ],
        )
        self.assertEqual(names, PLUGIN_COLUMNS)
        byName = {row[0]: dict(zip(names, row)) for row in rows}
        self.assertEqual(sorted(byName), sorted(DEFAULT_METHODS + ("test_plugin_server",)))
        for name in BUILTIN_METHODS:
            self.assertEqual(
                (byName[name]["PLUGIN_LIBRARY"], byName[name]["LOAD_OPTION"]), (None, "FORCE"), name
            )
        testPlugin = byName["test_plugin_server"]
        self.assertEqual(
            (
                testPlugin["PLUGIN_STATUS"],
                testPlugin["PLUGIN_TYPE"],
                testPlugin["PLUGIN_LIBRARY"],
                testPlugin["LOAD_OPTION"],
            ),
            ("ACTIVE", "AUTHENTICATION", "auth_test_plugin.so", "ON"),
        )
        self.assertEqual(byName["auth_socket"]["PLUGIN_LIBRARY"], "auth_socket.so")
        for row in byName.values():
            self.assertTrue(row["PLUGIN_AUTHOR"] and row["PLUGIN_DESCRIPTION"], row)

    def test_informationSchemaWhere(self) -> None:
        """
        A C{WHERE} on another column of the table selects by it.
        """
        self.sql(INSTALL_TEST_PLUGIN)
        self.assertEqual(
            self.rows(
                "SELECT PLUGIN_NAME FROM INFORMATION_SCHEMA.PLUGINS "
                "WHERE PLUGIN_LIBRARY = 'auth_test_plugin.so'"
            )[1],
            [["test_plugin_server"]],
        )

    def test_showPlugins(self) -> None:
        """
        C{SHOW PLUGINS} has MySQL's five columns and a row per loaded
        plugin.
        """
        names, rows = self.rows("SHOW PLUGINS")
        self.assertEqual(names, ["Name", "Status", "Type", "Library", "License"])
        byName = {row[0]: row for row in rows}
        self.assertEqual(sorted(byName), sorted(DEFAULT_METHODS))
        self.assertEqual(byName["auth_socket"][1:4], ["ACTIVE", "AUTHENTICATION", "auth_socket.so"])
        self.assertEqual(byName["caching_sha2_password"][1:4], ["ACTIVE", "AUTHENTICATION", None])

    def test_uninstallTestPlugin(self) -> None:
        """
        C{UNINSTALL PLUGIN test_plugin_server} unloads it at once and
        removes its record: it is no longer listed, and a second uninstall
        is 1305.
        """
        self.sql(INSTALL_TEST_PLUGIN)
        self.sql("UNINSTALL PLUGIN test_plugin_server")
        self.assertNotIn("test_plugin_server", self.config.methods)
        self.assertNotIn("test_plugin_server", self.showPlugins())
        self.assertEqual(self.recorded(), [])
        self.assertSQLError(
            "UNINSTALL PLUGIN test_plugin_server", 1305, "PLUGIN test_plugin_server does not exist"
        )

    def test_uninstallAuthSocket(self) -> None:
        """
        The manual's C{UNINSTALL PLUGIN auth_socket}, as written, unloads
        it; the manual's query then finds nothing, and C{INSTALL PLUGIN}
        loads it again and records it.
        """
        self.sql(UNINSTALL_AUTH_SOCKET)
        self.assertNotIn("auth_socket", self.config.methods)
        self.assertEqual(self.rows(SOCKET_PLUGINS_QUERY)[1], [])
        self.sql(INSTALL_AUTH_SOCKET)
        self.assertEqual(self.rows(SOCKET_PLUGINS_QUERY)[1], [["auth_socket", "ACTIVE"]])
        self.assertEqual(self.recorded(), [["auth_socket", "auth_socket.so"]])

    def test_uninstallBuiltin(self) -> None:
        """
        A built-in plugin cannot be uninstalled (1619) and stays loaded.
        """
        for name in BUILTIN_METHODS:
            self.assertSQLError(f"UNINSTALL PLUGIN {name}", 1619, "Built-in plugins cannot be deleted")
            self.assertIn(name, self.config.methods)

    def test_uninstallUnknown(self) -> None:
        """
        Uninstalling a plugin that is not loaded, or naming a loaded one by
        an alias, is 1305 as in MySQL.
        """
        self.assertSQLError("UNINSTALL PLUGIN no_such_plugin", 1305, "PLUGIN no_such_plugin does not exist")
        self.assertSQLError("UNINSTALL PLUGIN unix_socket", 1305, "PLUGIN unix_socket does not exist")
        self.assertIn("auth_socket", self.config.methods)

    def test_installUnknownLibrary(self) -> None:
        """
        A library that does not exist is 1126; nothing is loaded or
        recorded.
        """
        self.assertSQLError(
            "INSTALL PLUGIN whatever SONAME 'no_such_library.so'",
            1126,
            "Can't open shared library 'no_such_library.so' (errno: 2 No such file or directory)",
        )
        self.assertEqual(self.recorded(), [])

    def test_installWrongName(self) -> None:
        """
        A library that exists but has no plugin of that name is 1127.
        """
        self.assertSQLError(
            "INSTALL PLUGIN not_in_it SONAME 'auth_test_plugin.so'",
            1127,
            "Can't find symbol 'not_in_it' in library",
        )
        self.assertNotIn("test_plugin_server", self.config.methods)
        self.assertEqual(self.recorded(), [])


class DefaultPluginUninstallTests(PluginServerMixin, SynchronousTestCase):
    """
    The plugin that greets cannot be uninstalled.
    """

    settingsOptions = {"pluginLoad": ["auth_test_plugin.so"]}
    serverOptions = {"defaultPlugin": "test_plugin_server"}

    def test_uninstallDefaultPlugin(self) -> None:
        """
        With C{--default-authentication-plugin=test_plugin_server},
        C{UNINSTALL PLUGIN test_plugin_server} is refused and the plugin
        stays loaded.
        """
        error = self.sqlFails("UNINSTALL PLUGIN test_plugin_server")
        self.assertEqual(
            (error.errorCode, error.message),
            (1702, "Plugin 'test_plugin_server' is force_plus_permanent and can not be unloaded"),
        )
        self.assertIn("test_plugin_server", self.config.methods)


class PluginPrivilegeTests(PluginServerMixin, SynchronousTestCase):
    """
    C{INSTALL PLUGIN} needs C{INSERT} and C{UNINSTALL PLUGIN} needs
    C{DELETE} (on C{mysql.plugin} in MySQL).
    """

    def setUp(self) -> None:
        super().setUp()
        self.sql(
            "CREATE USER 'plain'@'localhost' IDENTIFIED WITH mysql_native_password BY 'pw'",
            "CREATE USER 'ins'@'localhost' IDENTIFIED WITH mysql_native_password BY 'pw'",
            "GRANT INSERT ON *.* TO 'ins'@'localhost'",
            "CREATE USER 'del'@'localhost' IDENTIFIED WITH mysql_native_password BY 'pw'",
            "GRANT DELETE ON *.* TO 'del'@'localhost'",
        )

    def test_installNeedsInsert(self) -> None:
        """
        An account without C{INSERT} cannot install a plugin: the statement
        is refused and nothing is loaded; with C{INSERT} it can.
        """
        plain = self.loggedIn(b"plain", b"pw")
        result = self.query(plain, INSTALL_TEST_PLUGIN)
        self.assertIsInstance(getattr(result, "value", None), ServerError, str(result))
        self.assertIn(result.value.errorCode, (1142, 1227))
        self.assertNotIn("test_plugin_server", self.config.methods)
        ins = self.loggedIn(b"ins", b"pw")
        self.assertEqual(self.query(ins, INSTALL_TEST_PLUGIN), 0)
        self.assertIn("test_plugin_server", self.config.methods)

    def test_uninstallNeedsDelete(self) -> None:
        """
        An account without C{DELETE} cannot uninstall a plugin; with
        C{DELETE} it can.
        """
        self.sql(INSTALL_TEST_PLUGIN)
        plain = self.loggedIn(b"plain", b"pw")
        result = self.query(plain, "UNINSTALL PLUGIN test_plugin_server")
        self.assertIsInstance(getattr(result, "value", None), ServerError, str(result))
        self.assertIn(result.value.errorCode, (1142, 1227))
        self.assertIn("test_plugin_server", self.config.methods)
        delete = self.loggedIn(b"del", b"pw")
        self.assertEqual(self.query(delete, "UNINSTALL PLUGIN test_plugin_server"), 0)
        self.assertNotIn("test_plugin_server", self.config.methods)

    def test_mysqlError(self) -> None:
        """
        The refusals are MySQL's: C{INSTALL PLUGIN} and C{UNINSTALL PLUGIN}
        check C{INSERT}/C{DELETE} on the table C{mysql.plugin}
        (C{check_table_access} in C{sql_plugin.cc}), so the error is
        ER_TABLEACCESS_DENIED_ERROR, 1142 (42000), naming the command and
        the table.
        """
        self.sql(INSTALL_TEST_PLUGIN)
        plain = self.loggedIn(b"plain", b"pw")
        for statement, command in (
            ("INSTALL PLUGIN x SONAME 'auth_test_plugin.so'", "INSERT"),
            ("UNINSTALL PLUGIN test_plugin_server", "DELETE"),
        ):
            error = self.assertRefused(self.query(plain, statement), 1142)
            self.assertEqual(error.sqlState, "42000")
            self.assertTrue(
                error.message.startswith(
                    f"{command} command denied to user 'plain'@'localhost' for table "
                ),
                error.message,
            )
            self.assertIn("plugin'", error.message)


class FailingPluginTests(SynchronousTestCase):
    """
    A plugin whose C{initialize} raises is never loaded; the reason is
    logged and it shows as not C{ACTIVE}.
    """

    def setUp(self) -> None:
        self.store = InMemoryAccountStore()
        self.accounts = AccountManager(self.store)
        self.successResultOf(self.accounts.start())
        self.broken = BrokenMethod()
        patchDiscovery(self, self.broken)
        self.logs = capturedLogs(self)

    def executorFor(self, catalog: PluginCatalog) -> Executor:
        factory = MySQLServerFactory.forAccounts(self.accounts, Clock(), plugins=catalog)
        return Executor(factory.config)

    def runSQL(self, executor: Executor, sql: str) -> Any:
        return defer.ensureDeferred(executor.run(sql, BootstrapSession()))

    def test_installFails(self) -> None:
        """
        C{INSTALL PLUGIN} of a plugin whose C{initialize} raises is 1123
        with the reason; it is neither loaded nor listed as C{ACTIVE} nor
        recorded, and the reason is in the log.
        """
        executor = self.executorFor(loadPlugins(ServerSettings(), None))
        error = self.failureResultOf(
            self.runSQL(executor, "INSTALL PLUGIN broken_auth SONAME 'broken_auth.py'"),
            errors.MySQLError,
        ).value
        self.assertEqual(error.errorCode, 1123)
        self.assertTrue(
            error.message.startswith("Can't initialize function 'broken_auth'; "), error.message
        )
        self.assertIn("no licence key for broken_auth", error.message)
        self.assertIsNone(executor.config.methods.get("broken_auth"))
        columns, rows = self.successResultOf(self.runSQL(executor, "SHOW PLUGINS"))
        self.assertNotIn([b"broken_auth", b"ACTIVE"], [row[:2] for row in rows])
        self.assertIsNone(self.successResultOf(self.store.getSetting(INSTALLED_PLUGINS_SETTING)))
        self.assertTrue(
            [m for m in self.logs if "broken_auth" in m and "no licence key" in m], self.logs
        )
        error = self.failureResultOf(
            self.runSQL(executor, "CREATE USER u IDENTIFIED WITH broken_auth"), errors.MySQLError
        ).value
        self.assertEqual((error.errorCode, error.message), (1524, "Plugin 'broken_auth' is not loaded"))

    def test_startupFails(self) -> None:
        """
        A plugin named by C{--plugin-load-add} whose C{initialize} raises
        does not stop the server: it is logged with its reason, not loaded,
        and shown C{DISABLED} by C{SHOW PLUGINS} and
        C{INFORMATION_SCHEMA.PLUGINS}.
        """
        catalog = loadPlugins(ServerSettings(pluginLoad=["broken_auth.py"]), None)
        self.assertIsNone(catalog.loaded.get("broken_auth"))
        self.assertEqual(catalog.states["broken_auth"].status, "DISABLED")
        self.assertTrue(
            [m for m in self.logs if "broken_auth" in m and "no licence key" in m], self.logs
        )
        executor = self.executorFor(catalog)
        columns, rows = self.successResultOf(self.runSQL(executor, "SHOW PLUGINS"))
        self.assertIn([b"broken_auth", b"DISABLED"], [row[:2] for row in rows])
        columns, rows = self.successResultOf(
            self.runSQL(
                executor,
                "SELECT PLUGIN_STATUS FROM INFORMATION_SCHEMA.PLUGINS "
                "WHERE PLUGIN_NAME = 'broken_auth'",
            )
        )
        self.assertEqual(rows, [[b"DISABLED"]])

    def test_initializeArgument(self) -> None:
        """
        C{initialize} is given the same kind of object whether the plugin
        loads at start-up (C{--plugin-load-add}, a recorded C{INSTALL
        PLUGIN}) or by C{INSTALL PLUGIN} while the server runs, so a plugin
        can read its settings the same way in both cases.
        """
        recording = RecordingMethod()
        patchDiscovery(self, recording)
        settings = ServerSettings(pluginLoad=["recording_auth.py"])
        catalog = loadPlugins(settings, None)
        executor = self.executorFor(catalog)
        # As MySQLAuthService does once the server is assembled.
        executor.config.settings = settings
        self.successResultOf(self.runSQL(executor, "UNINSTALL PLUGIN recording_auth"))
        self.successResultOf(
            self.runSQL(executor, "INSTALL PLUGIN recording_auth SONAME 'recording_auth.py'")
        )
        self.assertEqual(len(recording.initialized), 2)
        atStart, atInstall = recording.initialized
        self.assertIs(type(atInstall), type(atStart))


class UnloadedPluginAccountTests(PluginServerMixin, SynchronousTestCase):
    """
    Accounts whose plugin is not loaded: account statements naming it are
    1524, and logins to them are refused with 1524, never by another
    method.
    """

    extraMethods = (exampleAuth.theSharedSecretMethod,)

    def test_createAndAlter(self) -> None:
        """
        C{CREATE USER} and C{ALTER USER} C{IDENTIFIED WITH} a plugin that is
        not loaded are 1524 C{Plugin 'x' is not loaded}; nothing is changed.
        """
        message = "Plugin 'test_plugin_server' is not loaded"
        self.assertSQLError(
            "CREATE USER 'tp'@'localhost' IDENTIFIED WITH test_plugin_server AS 'pw'", 1524, message
        )
        self.assertIsNone(self.accounts.directory.get(AccountName("tp", "localhost")))
        self.sql("CREATE USER 'tp'@'localhost' IDENTIFIED BY 'pw'")
        self.assertSQLError(
            "ALTER USER 'tp'@'localhost' IDENTIFIED WITH test_plugin_server AS 'pw'", 1524, message
        )
        self.assertEqual(
            self.accounts.directory.get(AccountName("tp", "localhost")).plugin,
            "caching_sha2_password",
        )

    def test_uninstalledPluginAccountStatements(self) -> None:
        """
        Once its plugin is uninstalled, an account of that plugin cannot be
        given it again, nor can new ones be made.
        """
        self.sql(
            INSTALL_TEST_PLUGIN,
            "CREATE USER 'tp'@'localhost' IDENTIFIED WITH test_plugin_server AS 'pw'",
            "UNINSTALL PLUGIN test_plugin_server",
        )
        message = "Plugin 'test_plugin_server' is not loaded"
        self.assertSQLError(
            "ALTER USER 'tp'@'localhost' IDENTIFIED WITH test_plugin_server AS 'other'", 1524, message
        )
        self.assertSQLError(
            "CREATE USER 'tp2'@'localhost' IDENTIFIED WITH test_plugin_server AS 'pw'", 1524, message
        )

    def test_loginAfterUninstall(self) -> None:
        """
        An account of C{test_plugin_server} logs in while the plugin is
        loaded; after C{UNINSTALL PLUGIN} the same login is refused with
        1524, without switching the client to any method.
        """
        # The test plugin's password is the authentication string, and the
        # identity it returns: the account's own name, so no proxying.
        self.sql(
            INSTALL_TEST_PLUGIN,
            "CREATE USER 'tp'@'localhost' IDENTIFIED WITH test_plugin_server AS 'tp'",
        )
        client, trace = self.login(b"tp", b"tp")
        self.assertEqual(getattr(trace, "switchedTo", trace), ["auth_test_plugin"])
        self.sql("UNINSTALL PLUGIN test_plugin_server")
        client, result = self.login(b"tp", b"tp")
        self.assertRefused(result, 1524, "Plugin 'test_plugin_server' is not loaded")
        self.assertEqual(client.trace.switchedTo, [])

    def test_exampleLoginAfterUninstall(self) -> None:
        """
        The example third-party plugin: installed, an account of it logs in
        over the socket; uninstalled, the login is 1524 and so is C{CREATE
        USER} with it.
        """
        self.sql(
            "INSTALL PLUGIN example_shared_secret SONAME 'example_auth.py'",
            f"CREATE USER 'ci'@'localhost' IDENTIFIED WITH example_shared_secret AS '{SECRET_HASH}'",
        )
        client, trace = self.login(b"ci", SECRET)
        self.assertEqual(getattr(trace, "switchedTo", trace), ["mysql_clear_password"])
        self.sql("UNINSTALL PLUGIN example_shared_secret")
        client, result = self.login(b"ci", SECRET)
        self.assertRefused(result, 1524, "Plugin 'example_shared_secret' is not loaded")
        self.assertSQLError(
            "CREATE USER 'ci2'@'localhost' IDENTIFIED WITH example_shared_secret BY 'x'",
            1524,
            "Plugin 'example_shared_secret' is not loaded",
        )


class ExampleDropinTests(PluginServerMixin, SynchronousTestCase):
    """
    The how-to's example third-party method, C{example_shared_secret}
    (C{docs/examples/plugin_dir/example_auth.py}).
    """

    extraMethods = (exampleAuth.theSharedSecretMethod,)

    def setUp(self) -> None:
        super().setUp()
        self.sql("INSTALL PLUGIN example_shared_secret SONAME 'example_auth.py'")

    def test_interfaces(self) -> None:
        """
        The module's instance is a dropin (L{IPlugin}) and a password method
        (L{IPasswordMethod}: it can verify a cleartext password, so C{SET
        PASSWORD} works for its accounts), from the library
        C{example_auth.py}; it brings the checker of its own credentials.
        """
        method = exampleAuth.theSharedSecretMethod
        self.assertTrue(verifyObject(IPlugin, method))
        self.assertTrue(verifyObject(IPasswordMethod, method))
        self.assertTrue(verifyObject(IAuthMethod, method))
        self.assertEqual(libraryOf(method), "example_auth.py")
        self.assertTrue(method.requiresSecureTransport)
        self.assertEqual(method.clientPluginName, "mysql_clear_password")
        [checker] = method.credentialsCheckers()
        self.assertTrue(verifyObject(ICredentialsChecker, checker))
        self.assertEqual(checker.credentialInterfaces, (exampleAuth.ISharedSecret,))

    def test_checkerOnPortal(self) -> None:
        """
        The server's portal checks the example's credentials with the
        example's own checker.
        """
        checker = self.factory.portal.checkers.get(exampleAuth.ISharedSecret)
        self.assertIsInstance(checker, exampleAuth.SharedSecretChecker)

    def test_setPassword(self) -> None:
        """
        C{SET PASSWORD} gives an account of the example a new secret.
        """
        self.sql(
            f"CREATE USER 'ci'@'localhost' IDENTIFIED WITH example_shared_secret AS '{SECRET_HASH}'",
            "SET PASSWORD FOR 'ci'@'localhost' = 'new secret'",
        )
        client, result = self.login(b"ci", SECRET)
        self.assertRefused(result, 1045)
        self.loggedIn(b"ci", b"new secret")

    def test_installedAndListed(self) -> None:
        """
        Once installed it is recorded and listed with its library and the
        metadata it declares.
        """
        self.assertEqual(self.recorded(), [["example_shared_secret", "example_auth.py"]])
        names, rows = self.rows(
            "SELECT PLUGIN_NAME, PLUGIN_STATUS, PLUGIN_LIBRARY, PLUGIN_AUTHOR, PLUGIN_LICENSE "
            "FROM INFORMATION_SCHEMA.PLUGINS WHERE PLUGIN_NAME LIKE 'example%'"
        )
        self.assertEqual(
            rows,
            [
                [
                    "example_shared_secret",
                    "ACTIVE",
                    "example_auth.py",
                    "twisted_mysqlauth developers",
                    "MIT",
                ]
            ],
        )

    def test_authString(self) -> None:
        """
        C{BY 'secret'} stores the secret's SHA-256 in hex; C{AS} takes a
        hex digest (normalised to lower case) and refuses anything else
        with 1827.
        """
        self.sql(
            "CREATE USER a IDENTIFIED WITH example_shared_secret BY 'correct horse'",
            f"CREATE USER b IDENTIFIED WITH example_shared_secret AS '{SECRET_HASH.upper()}'",
        )
        for user in ("a", "b"):
            self.assertEqual(
                self.accounts.directory.get(AccountName(user, "%")).authString,
                SECRET_HASH.encode("ascii"),
            )
        error = self.sqlFails("CREATE USER c IDENTIFIED WITH example_shared_secret AS 'nothex'")
        self.assertEqual(error.errorCode, 1827)

    def test_loginOverSocket(self) -> None:
        """
        Over the UNIX socket the right secret logs in, through the
        client's C{mysql_clear_password}; a wrong one is 1045.
        """
        self.sql(f"CREATE USER 'ci'@'localhost' IDENTIFIED WITH example_shared_secret AS '{SECRET_HASH}'")
        client = self.loggedIn(b"ci", SECRET)
        self.assertEqual(client.trace.switchedTo, ["mysql_clear_password"])
        names, rows = self.query(client, "SELECT CURRENT_USER()")
        self.assertEqual(rows, [[b"ci@localhost"]])
        client, result = self.login(b"ci", b"wrong")
        self.assertRefused(
            result, 1045, "Access denied for user 'ci'@'localhost' (using password: YES)"
        )

    def test_refusedOverPlainTCP(self) -> None:
        """
        Over plain TCP the method refuses before the client sends its
        secret (C{requiresSecureTransport}).
        """
        self.sql(f"CREATE USER 'ci'@'localhost' IDENTIFIED WITH example_shared_secret AS '{SECRET_HASH}'")
        client, result = self.login(b"ci", SECRET, peer=LOCALHOST)
        self.assertRefused(result, 1045)
        self.assertEqual(client.trace.switchedTo, [])


class PluginDirTests(SynchronousTestCase):
    """
    Third-party dropins found in a plugin directory (C{--plugin-dir},
    C{plugin_dir}).
    """

    def test_discoverExample(self) -> None:
        """
        L{discoverMethods} given C{docs/examples/plugin_dir} finds the
        example method, after the dropins on the Python path.
        """
        methods = discoverMethods(EXAMPLE_PLUGIN_DIR)
        names = [m.pluginName for m in methods]
        self.assertIn("example_shared_secret", names)
        self.assertIn("caching_sha2_password", names)
        [example] = [m for m in methods if m.pluginName == "example_shared_secret"]
        self.assertEqual(libraryOf(example), "example_auth.py")

    def test_discoverWithout(self) -> None:
        """
        Without a plugin dir the example is not found: it is not on the
        Python path.
        """
        names = [m.pluginName for m in discoverMethods()]
        self.assertNotIn("example_shared_secret", names)

    def test_installedFromPluginDir(self) -> None:
        """
        L{loadPlugins} with a plugin dir loads the example when the store
        records it as installed, and, given C{--plugin-load-add}, by its
        library.
        """
        installed = json.dumps([["example_shared_secret", "example_auth.py"]])
        catalog = loadPlugins(ServerSettings(pluginDir=EXAMPLE_PLUGIN_DIR), installed)
        self.assertIsNotNone(catalog.loaded.get("example_shared_secret"))
        self.assertTrue(catalog.states["example_shared_secret"].installed)
        catalog = loadPlugins(
            ServerSettings(pluginDir=EXAMPLE_PLUGIN_DIR, pluginLoad=["example_auth.py"]), None
        )
        self.assertIsNotNone(catalog.loaded.get("example_shared_secret"))


class LoadPluginsTests(SynchronousTestCase):
    """
    L{loadPlugins}: the plugins a server loads at start-up.
    """

    def test_defaults(self) -> None:
        """
        With no option and nothing recorded, exactly MySQL's default set
        loads: the built-in password methods (C{FORCE}), C{auth_socket} and
        C{mysql_no_login} (C{ON}); the test plugin does not.
        """
        catalog = loadPlugins(ServerSettings(), None)
        self.assertEqual(sorted(m.pluginName for m in catalog.loaded), sorted(DEFAULT_METHODS))
        self.assertIsNone(catalog.loaded.get("test_plugin_server"))
        self.assertEqual(
            {name: state.loadOption for name, state in catalog.states.items()},
            {
                "mysql_native_password": "FORCE",
                "caching_sha2_password": "FORCE",
                "sha256_password": "FORCE",
                "auth_socket": "ON",
                "mysql_no_login": "ON",
            },
        )
        self.assertFalse([s for s in catalog.states.values() if s.installed])

    def test_recordedInstalls(self) -> None:
        """
        The plugins the store records as installed load, marked installed.
        """
        installed = json.dumps([["test_plugin_server", "auth_test_plugin.so"]])
        catalog = loadPlugins(ServerSettings(), installed)
        self.assertIsNotNone(catalog.loaded.get("test_plugin_server"))
        self.assertTrue(catalog.states["test_plugin_server"].installed)

    def test_recordedMissing(self) -> None:
        """
        A recorded plugin that cannot be found any more is logged and
        skipped; the server still starts.
        """
        logs = capturedLogs(self)
        installed = json.dumps([["gone_auth", "gone_auth.py"]])
        catalog = loadPlugins(ServerSettings(), installed)
        self.assertIsNone(catalog.loaded.get("gone_auth"))
        self.assertTrue([m for m in logs if "gone_auth" in m], logs)

    def test_pluginLoadAddByLibrary(self) -> None:
        """
        C{--plugin-load-add=auth_test_plugin.so} loads the plugins of that
        library for this run only (not marked installed).
        """
        catalog = loadPlugins(ServerSettings(pluginLoad=["auth_test_plugin.so"]), None)
        self.assertIsNotNone(catalog.loaded.get("test_plugin_server"))
        self.assertFalse(catalog.states["test_plugin_server"].installed)

    def test_pluginLoadAddByName(self) -> None:
        """
        An entry C{name=library} loads that plugin of that library.
        """
        catalog = loadPlugins(
            ServerSettings(pluginLoad=["test_plugin_server=auth_test_plugin.so"]), None
        )
        self.assertIsNotNone(catalog.loaded.get("test_plugin_server"))

    def test_pluginLoadAddDefault(self) -> None:
        """
        Naming a plugin that loads by default (the manual's
        C{plugin-load-add=auth_socket.so}) is harmless.
        """
        catalog = loadPlugins(ServerSettings(pluginLoad=["auth_socket.so"]), None)
        self.assertEqual(sorted(m.pluginName for m in catalog.loaded), sorted(DEFAULT_METHODS))

    def test_pluginLoadReplaces(self) -> None:
        """
        C{--plugin-load} replaces the C{plugin_load_add} entries of the
        option file before it: only its own entries load.
        """
        path = self.mktemp()
        with open(path, "w") as f:
            f.write("[mysqld]\nplugin-load-add=auth_test_plugin.so\n")
        options = Options()
        options.parseOptions(["--defaults-file", path, "--plugin-load", "mysql_no_login.so"])
        settings = options["settings"]
        self.assertEqual(settings.pluginLoad, ["mysql_no_login.so"])
        catalog = loadPlugins(settings, None)
        self.assertIsNone(catalog.loaded.get("test_plugin_server"))

    def test_unknownEntry(self) -> None:
        """
        An entry that names no library, or no plugin of a library, stops
        the start with L{StartupError} naming it.
        """
        for entry in ("no_such_library.so", "not_in_it=auth_test_plugin.so"):
            error = self.assertRaises(
                StartupError, loadPlugins, ServerSettings(pluginLoad=[entry]), None
            )
            self.assertIn(entry, str(error))

    def test_skipGrantTablesIgnoresRecorded(self) -> None:
        """
        With C{--skip-grant-tables} the plugins recorded by C{INSTALL
        PLUGIN} are not loaded, as MySQL does not load the plugins of its
        C{mysql.plugin} table then; the default set still loads.
        """
        installed = json.dumps([["test_plugin_server", "auth_test_plugin.so"]])
        catalog = loadPlugins(ServerSettings(skipGrantTables=True), installed)
        self.assertIsNone(catalog.loaded.get("test_plugin_server"))
        self.assertIsNotNone(catalog.loaded.get("auth_socket"))


class PluginOptionsTests(SynchronousTestCase):
    """
    The plugin options of C{twistd mysqlauth} and their my.cnf names.
    """

    def parse(self, *argv: str) -> ServerSettings:
        options = Options()
        options.parseOptions(list(argv))
        return options["settings"]

    def write(self, text: str) -> str:
        path = self.mktemp()
        with open(path, "w") as f:
            f.write(text)
        return path

    def test_defaults(self) -> None:
        """
        No plugin dir, nothing to load, grant tables on.
        """
        settings = self.parse()
        self.assertEqual(
            (settings.pluginDir, settings.pluginLoad, settings.skipGrantTables), (None, [], False)
        )

    def test_commandLine(self) -> None:
        """
        C{--plugin-dir}, C{--plugin-load} (C{;}-separated),
        C{--plugin-load-add} (repeatable, after C{--plugin-load}) and
        C{--skip-grant-tables}.
        """
        settings = self.parse(
            "--plugin-dir",
            "/srv/plugins",
            "--plugin-load",
            "mysql_no_login.so; test_plugin_server=auth_test_plugin.so",
            "--plugin-load-add=auth_socket.so",
            "--plugin-load-add",
            "example_auth.py",
            "--skip-grant-tables",
        )
        self.assertEqual(settings.pluginDir, "/srv/plugins")
        self.assertEqual(
            settings.pluginLoad,
            [
                "mysql_no_login.so",
                "test_plugin_server=auth_test_plugin.so",
                "auth_socket.so",
                "example_auth.py",
            ],
        )
        self.assertTrue(settings.skipGrantTables)

    def test_pluginLoadAfterAdd(self) -> None:
        """
        As MySQL documents it, C{--plugin-load-add=x --plugin-load=y} is
        C{--plugin-load=y}: a later C{--plugin-load} replaces the
        C{--plugin-load-add} entries given before it.
        """
        settings = self.parse("--plugin-load-add=auth_test_plugin.so", "--plugin-load=mysql_no_login.so")
        self.assertEqual(settings.pluginLoad, ["mysql_no_login.so"])

    def test_optionFile(self) -> None:
        """
        my.cnf's C{plugin_dir}, C{plugin_load}, C{plugin-load-add}
        (repeatable, dashes or underscores) and bare C{skip-grant-tables}.
        """
        path = self.write(
            "[mysqld]\nplugin_dir=/srv/plugins\nplugin_load=mysql_no_login.so\n"
            "plugin-load-add=auth_test_plugin.so\nplugin_load_add=example_auth.py\n"
            "skip-grant-tables\n"
        )
        settings = self.parse("--defaults-file", path)
        self.assertEqual(settings.pluginDir, "/srv/plugins")
        self.assertEqual(
            settings.pluginLoad, ["mysql_no_login.so", "auth_test_plugin.so", "example_auth.py"]
        )
        self.assertTrue(settings.skipGrantTables)

    def test_manualOptionFile(self) -> None:
        """
        The manual's my.cnf lines load C{auth_socket.so}; the command line
        adds to them.
        """
        path = self.write("[mysqld]\nplugin-load-add=auth_socket.so\n")
        settings = self.parse("--defaults-file", path, "--plugin-load-add=auth_test_plugin.so")
        self.assertEqual(settings.pluginLoad, ["auth_socket.so", "auth_test_plugin.so"])

    def test_optionFileSkipGrantTablesValue(self) -> None:
        """
        C{skip_grant_tables} takes MySQL's booleans, and refuses others.
        """
        self.assertFalse(
            self.parse("--defaults-file", self.write("[mysqld]\nskip_grant_tables=OFF\n")).skipGrantTables
        )
        self.assertTrue(
            self.parse("--defaults-file", self.write("[mysqld]\nskip_grant_tables=ON\n")).skipGrantTables
        )
        self.assertRaises(
            usage.UsageError,
            self.parse,
            "--defaults-file",
            self.write("[mysqld]\nskip_grant_tables=maybe\n"),
        )

    def test_commandLineAfterOptionFile(self) -> None:
        """
        C{--plugin-dir} on the command line wins over my.cnf's.
        """
        path = self.write("[mysqld]\nplugin_dir=/from/file\n")
        settings = self.parse("--defaults-file", path, "--plugin-dir", "/from/cli")
        self.assertEqual(settings.pluginDir, "/from/cli")


class SkipGrantTablesTests(PluginServerMixin, SynchronousTestCase):
    """
    C{--skip-grant-tables}: no authentication, no account statements, until
    C{FLUSH PRIVILEGES}.
    """

    serverOptions = {"skipGrantTables": True}

    def setUp(self) -> None:
        super().setUp()
        # A client session (every privilege, as the skip-grants user has),
        # not the bootstrap one: the server's own set-up (first-start
        # account, init file) may write the grant tables.
        self.root = BootstrapSession(bootstrap=False)

    def test_anyoneGetsIn(self) -> None:
        """
        Any user name and any password log in, as MySQL's C{'skip-grants
        user'@'skip-grants host'}.
        """
        for user, password in ((b"nobody", b"whatever"), (b"root", b"")):
            client = self.loggedIn(user, password)
            names, rows = self.query(client, "SELECT USER(), CURRENT_USER()")
            self.assertEqual(
                rows, [[user + b"@localhost", b"skip-grants user@skip-grants host"]]
            )

    def test_accountStatementsRefused(self) -> None:
        """
        Every statement that reads or writes the grant tables is 1290.
        """
        for statement in (
            "CREATE USER u IDENTIFIED BY 'pw'",
            "ALTER USER root IDENTIFIED BY 'pw'",
            "DROP USER root",
            "RENAME USER a TO b",
            "SET PASSWORD FOR root = 'pw'",
            "SHOW CREATE USER root",
            "GRANT SELECT ON *.* TO root",
            "REVOKE SELECT ON *.* FROM root",
            "GRANT PROXY ON a TO b",
            "REVOKE PROXY ON a FROM b",
            "SHOW GRANTS FOR root",
        ):
            self.assertSQLError(statement, 1290, SKIP_GRANT_TABLES_MESSAGE)

    def test_accountStatementsOverTheWire(self) -> None:
        """
        A client logged in under C{--skip-grant-tables} gets 1290 for
        C{CREATE USER}.
        """
        client = self.loggedIn(b"anyone", b"x")
        self.assertRefused(
            self.query(client, "CREATE USER u IDENTIFIED BY 'pw'"), 1290, SKIP_GRANT_TABLES_MESSAGE
        )

    def test_flushPrivileges(self) -> None:
        """
        C{FLUSH PRIVILEGES} turns authentication back on for the logins
        that follow (MySQL's way to reset a lost password): account
        statements work again, a wrong password is 1045 and the right one
        logs in.
        """
        client = self.loggedIn(b"anyone", b"x")
        self.assertEqual(self.query(client, "FLUSH PRIVILEGES"), 0)
        self.assertEqual(
            self.query(
                client,
                "CREATE USER 'bob'@'localhost' IDENTIFIED WITH mysql_native_password BY 's3cret'",
            ),
            0,
        )
        client, result = self.login(b"bob", b"wrong")
        self.assertRefused(
            result, 1045, "Access denied for user 'bob'@'localhost' (using password: YES)"
        )
        client = self.loggedIn(b"bob", b"s3cret")
        names, rows = self.query(client, "SELECT CURRENT_USER()")
        self.assertEqual(rows, [[b"bob@localhost"]])
        client, result = self.login(b"nobody", b"whatever")
        self.assertRefused(result, 1045)

    def test_pluginStatementsAllowed(self) -> None:
        """
        C{INSTALL PLUGIN} still works (MySQL skips its privilege check
        then).
        """
        client = self.loggedIn(b"anyone", b"x")
        self.assertEqual(self.query(client, INSTALL_TEST_PLUGIN), 0)
        self.assertIn("test_plugin_server", self.config.methods)


class ListeningEndpointsTests(SynchronousTestCase):
    """
    L{ServerSettings.listeningEndpoints}: networking is off under
    C{--skip-grant-tables}.
    """

    def test_tcpDropped(self) -> None:
        """
        With C{--skip-grant-tables} only the UNIX-socket listeners are
        kept, even when TCP is asked for.
        """
        settings = ServerSettings(
            listen=["tcp:0", "unix:/tmp/mysqlauth-x/mysqld.sock", "tcp6:3306"],
            skipGrantTables=True,
        )
        self.assertEqual(settings.listeningEndpoints(), ["unix:/tmp/mysqlauth-x/mysqld.sock"])

    def test_defaultEndpoints(self) -> None:
        """
        With the default endpoints only the socket in the datadir is kept.
        """
        settings = ServerSettings(datadir="/srv/db", skipGrantTables=True)
        self.assertEqual(settings.listeningEndpoints(), ["unix:/srv/db/mysqld.sock:lockfile=1"])

    def test_withoutSkip(self) -> None:
        """
        Without it, every endpoint is kept.
        """
        settings = ServerSettings(listen=["tcp:0", "unix:/tmp/x.sock"])
        self.assertEqual(settings.listeningEndpoints(), ["tcp:0", "unix:/tmp/x.sock"])
