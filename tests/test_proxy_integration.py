# -*- test-case-name: tests.test_proxy_integration -*-
# Copyright (c) twisted_mysqlauth developers.
# See LICENSE for details.
"""
Proxy users with real clients over real sockets: the manual's C{win_proxy}
example (C{win_proxy} mapping to C{local_wlad}, C{local_dev} and
C{local_admin}, all C{IDENTIFIED WITH mysql_no_login}, each with C{GRANT
PROXY ... TO win_proxy}), driven

 - by C{test_plugin_server}, through PyMySQL with a handler for the client
   plugin C{auth_test_plugin}; and
 - by the password methods with C{check_proxy_users} and
   C{mysql_native_password_proxy_users} (PyMySQL and the C{mariadb}
   command-line client) or C{sha256_password_proxy_users} (over TLS).

Each test starts a server in this process, as L{tests.test_integration}
does: an SQLite account store, a TCP port on 127.0.0.1 (port 0) and a UNIX
socket with a short path. The clients run in subprocesses, never on the
reactor thread. The accounts are made with every privilege, as
C{--init-file} would, except in L{ManualStatementsThroughMariaDBTests},
where the first-start root types the manual's statements into the
C{mariadb} client.

The C{mariadb} client (MariaDB Connector/C) has no C{auth_test_plugin}
client plugin: asked for it, it looks for C{auth_test_plugin.so} in its
plugin directory, does not find it and gives up. It is therefore used only
for the password-method variant, and once to show that the server asks for
that plugin (L{TestPluginProxyTests.test_mariadbHasNoTestPlugin}).
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any, Dict, List, Optional, Tuple

from twisted.internet import defer, reactor
from twisted.internet.utils import getProcessOutputAndValue
from twisted.trial.unittest import SkipTest

from tests import realclients, test_integration
from twisted_mysqlauth.bootstrap import BootstrapSession, bootstrapAccounts
from twisted_mysqlauth.sql.executor import Executor

#: The proxied accounts of the manual's example, at localhost.
PROXIED_ACCOUNTS = (
    "CREATE USER 'local_wlad'@'localhost' IDENTIFIED WITH mysql_no_login",
    "CREATE USER 'local_dev'@'localhost' IDENTIFIED WITH mysql_no_login",
    "CREATE USER 'local_admin'@'localhost' IDENTIFIED WITH mysql_no_login",
)


def proxyGrants(proxy: str) -> Tuple[str, ...]:
    """
    The manual's three PROXY grants, in its order, to C{proxy}.
    """
    return tuple(
        f"GRANT PROXY ON '{name}'@'localhost' TO {proxy}"
        for name in ("local_wlad", "local_dev", "local_admin")
    )


#: What the tests ask after logging in.
IDENTITY = "SELECT USER(), CURRENT_USER(), @@proxy_user"
IDENTITY_EXTERNAL = "SELECT USER(), CURRENT_USER(), @@proxy_user, @@external_user"


def denied(user: str, using: str = "YES") -> str:
    """
    The text of error 1045 for a client on the loopback or the socket.
    """
    return f"Access denied for user '{user}'@'localhost' (using password: {using})"


#: A PyMySQL client program with a handler for C{auth_test_plugin}, run as
#: C{python -c PROGRAM SPEC}. The spec is C{{"attempts": [ATTEMPT, ...]}}
#: with attempts as in L{tests.realclients}; it prints C{{"results": [...]}}
#: where each result also has C{"prompts"}: the hex of every question the
#: server sent to the handler.
PYMYSQL_TEST_PLUGIN_PROGRAM = r'''
import json
import sys


def main():
    spec = json.loads(sys.argv[1])
    try:
        import pymysql
    except ImportError as e:
        print(json.dumps({"unavailable": "PyMySQL cannot be imported: %s" % (e,)}))
        return
    prompts = []

    class TestPluginHandler:
        """
        The client side of auth_test_plugin: read the server's question and
        answer with the password and a NUL.
        """

        def __init__(self, con):
            self.con = con

        def authenticate(self, pkt):
            prompts.append(pkt.read_all().hex())
            self.con.write_packet(self.con.password + b"\0")
            return self.con._read_packet()

    results = []
    for attempt in spec["attempts"]:
        del prompts[:]
        kwargs = dict(
            user=attempt["user"],
            password=attempt.get("password") or "",
            connect_timeout=10,
            read_timeout=10,
            auth_plugin_map={"auth_test_plugin": TestPluginHandler},
        )
        if attempt.get("unixSocket"):
            kwargs["unix_socket"] = attempt["unixSocket"]
        else:
            kwargs["host"] = attempt["host"]
            kwargs["port"] = attempt["port"]
        if attempt.get("tls"):
            kwargs["ssl"] = {"ca": attempt["ca"], "check_hostname": False}
        else:
            kwargs["ssl_disabled"] = True
        try:
            conn = pymysql.connect(**kwargs)
        except Exception as e:
            args = getattr(e, "args", ())
            errno = args[0] if args and isinstance(args[0], int) else None
            msg = args[1] if len(args) > 1 else str(e)
            results.append(
                {"ok": False, "errno": errno, "msg": str(msg), "prompts": list(prompts)}
            )
            continue
        try:
            cursor = conn.cursor()
            cursor.execute(attempt["query"])
            rows = [list(row) for row in cursor.fetchall()]
            results.append({"ok": True, "rows": rows, "prompts": list(prompts)})
        finally:
            conn.close()
    print(json.dumps({"results": results}))


main()
'''


class ProxyServerTestCase(test_integration.ServerTestCase):
    """
    A server of L{tests.test_integration} with no accounts of its own; the
    class's L{statements} are run with every privilege before each test.
    """

    users = ()

    #: Statements run as C{--init-file} would, in setUp.
    statements: Tuple[str, ...] = ()

    @defer.inlineCallbacks
    def setUp(self):
        yield super().setUp()
        yield self.runSQL(*self.statements)

    @defer.inlineCallbacks
    def runSQL(self, *statements: str):
        """
        Run statements with every privilege.
        """
        executor = Executor(self.factory.config)
        session = BootstrapSession()
        for statement in statements:
            yield defer.ensureDeferred(executor.run(statement, session))

    def attempt(
        self,
        user: str,
        password: str,
        via: str = "tcp",
        tls: bool = False,
        query: str = IDENTITY,
    ) -> Dict[str, Any]:
        """
        Describe one login (see L{tests.realclients}).
        """
        spec: Dict[str, Any] = {
            "user": user,
            "password": password,
            "tls": tls,
            "ca": self.caPath,
            "query": query,
        }
        if via == "unix":
            spec["unixSocket"] = self.socketPath
        else:
            spec["host"] = "127.0.0.1"
            spec["port"] = self.port
        return spec

    @defer.inlineCallbacks
    def pymysql(self, *attempts: Dict[str, Any]):
        """
        Log in with PyMySQL (no auth_test_plugin handler), once per attempt.

        @return: the results.
        """
        output = yield self.runClient({"client": "pymysql", "attempts": list(attempts)})
        return output["results"]

    @defer.inlineCallbacks
    def pymysqlTestPlugin(self, *attempts: Dict[str, Any]):
        """
        Log in with PyMySQL and an C{auth_test_plugin} handler, once per
        attempt.

        @return: the results.
        """
        out, err, code = yield getProcessOutputAndValue(
            sys.executable,
            ["-c", PYMYSQL_TEST_PLUGIN_PROGRAM, json.dumps({"attempts": list(attempts)})],
            env=dict(os.environ),
            reactor=reactor,
        )
        if code != 0:
            self.fail(f"the PyMySQL program failed ({code}): {err.decode('utf-8', 'replace')}")
        output = json.loads(out.decode("utf-8").strip().splitlines()[-1])
        if "unavailable" in output:
            raise SkipTest(output["unavailable"])
        return output["results"]

    @defer.inlineCallbacks
    def mariadb(
        self,
        user: str,
        password: Optional[str],
        query: str,
        via: str = "tcp",
        tls: bool = False,
    ):
        """
        Run the C{mariadb} client once.

        @return: a result like the Python clients' (rows as text; NULL as
            C{"NULL"}), plus C{"stderr"}.
        """
        if not os.path.exists(realclients.MARIADB):
            raise SkipTest(f"the mariadb client ({realclients.MARIADB}) is not installed")
        if via == "unix":
            args = ["--protocol=socket", "--socket=" + self.socketPath]
        else:
            args = ["--protocol=tcp", "--host=127.0.0.1", f"--port={self.port}"]
        if tls:
            args += ["--ssl", "--ssl-ca=" + self.caPath]
        else:
            args += ["--skip-ssl"]
        args += ["--user=" + user, "--execute=" + query]
        out, err, code = yield realclients.runMariaDB(args, password)
        result = realclients.parseMariaDBOutput(out, err, code)
        result["stderr"] = err
        return result

    def assertRows(self, result: Dict[str, Any], rows: List[list]) -> None:
        """
        Assert that a login succeeded and its query gave C{rows}.
        """
        if not result.get("ok"):
            self.fail(f"the login failed: {result}")
        self.assertEqual(result["rows"], rows, result)

    def assertDenied(self, result: Dict[str, Any], errno: int, msg: str) -> None:
        """
        Assert that a login was refused with this error.
        """
        self.assertFalse(result.get("ok"), result)
        self.assertEqual((result.get("errno"), result.get("msg")), (errno, msg), result)


class TestPluginProxyTests(ProxyServerTestCase):
    """
    The manual's example with C{win_proxy IDENTIFIED WITH test_plugin_server
    AS 'local_wlad'}: the client answers the plugin's question with
    C{local_wlad}, and the server proxies to that account through the
    PROXY grant. Clients: PyMySQL with an C{auth_test_plugin} handler
    (C{auth_plugin_map}); the C{mariadb} client cannot load that plugin (see
    L{test_mariadbHasNoTestPlugin}).
    """

    statements = (
        PROXIED_ACCOUNTS
        + ("CREATE USER 'win_proxy'@'%' IDENTIFIED WITH test_plugin_server AS 'local_wlad'",)
        + proxyGrants("'win_proxy'@'%'")
    )

    #: What the example's login reads.
    EXPECTED = [["win_proxy@localhost", "local_wlad@localhost", "'win_proxy'@'%'", "local_wlad"]]

    @defer.inlineCallbacks
    def test_pymysqlOverTCP(self):
        """
        Over TCP: C{USER()} is C{win_proxy@localhost}, C{CURRENT_USER()} the
        proxied C{local_wlad@localhost}, C{@@proxy_user} C{'win_proxy'@'%'}
        and C{@@external_user} C{local_wlad}; the server's question to the
        client plugin was the single byte 0x05.
        """
        [result] = yield self.pymysqlTestPlugin(
            self.attempt("win_proxy", "local_wlad", query=IDENTITY_EXTERNAL)
        )
        self.assertRows(result, self.EXPECTED)
        self.assertEqual(result["prompts"], ["05"])

    @defer.inlineCallbacks
    def test_pymysqlOverUNIXSocket(self):
        """
        The same over the UNIX socket.
        """
        [result] = yield self.pymysqlTestPlugin(
            self.attempt("win_proxy", "local_wlad", via="unix", query=IDENTITY_EXTERNAL)
        )
        self.assertRows(result, self.EXPECTED)

    @defer.inlineCallbacks
    def test_eachMappedAccount(self):
        """
        Each of the example's proxied accounts is reached when the plugin
        names it.
        """
        for target in ("local_dev", "local_admin"):
            yield self.runSQL(
                f"ALTER USER 'win_proxy'@'%' IDENTIFIED WITH test_plugin_server AS '{target}'"
            )
            [result] = yield self.pymysqlTestPlugin(self.attempt("win_proxy", target))
            self.assertRows(result, [["win_proxy@localhost", f"{target}@localhost", "'win_proxy'@'%'"]])

    @defer.inlineCallbacks
    def test_wrongAnswer(self):
        """
        A wrong answer is refused with 1045 (using password: YES).
        """
        [result] = yield self.pymysqlTestPlugin(self.attempt("win_proxy", "local_dev"))
        self.assertDenied(result, 1045, denied("win_proxy"))

    @defer.inlineCallbacks
    def test_noGrant(self):
        """
        Without the PROXY grant on the account the plugin names: 1045.
        """
        yield self.runSQL("REVOKE PROXY ON 'local_wlad'@'localhost' FROM 'win_proxy'@'%'")
        [result] = yield self.pymysqlTestPlugin(self.attempt("win_proxy", "local_wlad"))
        self.assertDenied(result, 1045, denied("win_proxy"))

    @defer.inlineCallbacks
    def test_proxiedAccountsRefuseDirectLogin(self):
        """
        The C{mysql_no_login} accounts refuse direct logins, with a password
        or without: 1045 (using password: NO).
        """
        results = yield self.pymysqlTestPlugin(
            self.attempt("local_wlad", "local_wlad"),
            self.attempt("local_dev", ""),
            self.attempt("local_admin", "x", via="unix"),
        )
        for name, result in zip(("local_wlad", "local_dev", "local_admin"), results):
            self.assertDenied(result, 1045, denied(name, using="NO"))

    @defer.inlineCallbacks
    def test_mariadbHasNoTestPlugin(self):
        """
        The C{mariadb} client cannot take part: the server asks it for the
        client plugin C{auth_test_plugin}, which MariaDB Connector/C does
        not have, and the client gives up without logging in.
        """
        result = yield self.mariadb("win_proxy", "local_wlad", IDENTITY)
        self.assertFalse(result["ok"], result)
        self.assertIn("auth_test_plugin", result["stderr"])
        self.assertEqual(
            [c for c in self.factory.connections if c.avatar is not None], []
        )


class NativePasswordProxyTests(ProxyServerTestCase):
    """
    The manual's example with C{win_proxy IDENTIFIED WITH
    mysql_native_password BY 'pw'} on a server with C{check_proxy_users}
    and C{mysql_native_password_proxy_users}: the server proxies the
    account to the first account it was granted PROXY on, C{local_wlad}.
    """

    serverOptions = {"checkProxyUsers": True, "nativePasswordProxyUsers": True}

    statements = (
        PROXIED_ACCOUNTS
        + ("CREATE USER 'win_proxy'@'%' IDENTIFIED WITH mysql_native_password BY 'pw'",)
        + proxyGrants("'win_proxy'@'%'")
    )

    EXPECTED = [["win_proxy@localhost", "local_wlad@localhost", "'win_proxy'@'%'"]]

    @defer.inlineCallbacks
    def test_pymysql(self):
        """
        PyMySQL over TCP and over the UNIX socket.
        """
        results = yield self.pymysql(
            self.attempt("win_proxy", "pw"), self.attempt("win_proxy", "pw", via="unix")
        )
        for result in results:
            self.assertRows(result, self.EXPECTED)

    @defer.inlineCallbacks
    def test_mariadbOverTCP(self):
        """
        The C{mariadb} client over TCP.
        """
        result = yield self.mariadb("win_proxy", "pw", IDENTITY)
        self.assertRows(result, self.EXPECTED)

    @defer.inlineCallbacks
    def test_mariadbOverUNIXSocket(self):
        """
        The C{mariadb} client over the UNIX socket.
        """
        result = yield self.mariadb("win_proxy", "pw", IDENTITY, via="unix")
        self.assertRows(result, self.EXPECTED)

    @defer.inlineCallbacks
    def test_wrongPassword(self):
        """
        The password is still checked: 1045.
        """
        result = yield self.mariadb("win_proxy", "nope", IDENTITY)
        self.assertDenied(result, 1045, denied("win_proxy"))

    @defer.inlineCallbacks
    def test_withoutGrants(self):
        """
        A native account without PROXY grants logs in as itself.
        """
        yield self.runSQL(
            *(
                f"REVOKE PROXY ON '{name}'@'localhost' FROM 'win_proxy'@'%'"
                for name in ("local_wlad", "local_dev", "local_admin")
            )
        )
        result = yield self.mariadb("win_proxy", "pw", IDENTITY)
        self.assertRows(result, [["win_proxy@localhost", "win_proxy@%", "NULL"]])
        [result] = yield self.pymysql(self.attempt("win_proxy", "pw"))
        self.assertRows(result, [["win_proxy@localhost", "win_proxy@%", None]])

    @defer.inlineCallbacks
    def test_variables(self):
        """
        C{SHOW VARIABLES} shows the settings the server runs with.
        """
        result = yield self.mariadb("win_proxy", "pw", "SHOW VARIABLES LIKE '%proxy_users'")
        self.assertRows(
            result,
            [
                ["check_proxy_users", "ON"],
                ["mysql_native_password_proxy_users", "ON"],
                ["sha256_password_proxy_users", "OFF"],
            ],
        )


class NativePasswordSettingsOffTests(ProxyServerTestCase):
    """
    The same accounts on a server with the settings off (the default): no
    proxying.
    """

    statements = NativePasswordProxyTests.statements

    @defer.inlineCallbacks
    def test_logsInAsItself(self):
        """
        C{win_proxy} logs in as itself with both clients.
        """
        result = yield self.mariadb("win_proxy", "pw", IDENTITY)
        self.assertRows(result, [["win_proxy@localhost", "win_proxy@%", "NULL"]])
        [result] = yield self.pymysql(self.attempt("win_proxy", "pw", via="unix"))
        self.assertRows(result, [["win_proxy@localhost", "win_proxy@%", None]])


class SHA256PasswordProxyTests(ProxyServerTestCase):
    """
    C{sha256_password_proxy_users} with C{check_proxy_users}: a
    sha256_password account, logging in over TLS, is proxied to the first
    account it was granted PROXY on; native accounts are not (their own
    setting is off).
    """

    serverOptions = {"checkProxyUsers": True, "sha256PasswordProxyUsers": True}

    statements = (
        PROXIED_ACCOUNTS
        + ("CREATE USER 'win_proxy'@'%' IDENTIFIED WITH sha256_password BY 'pw'",)
        + proxyGrants("'win_proxy'@'%'")
        + ("CREATE USER 'nat_proxy'@'%' IDENTIFIED WITH mysql_native_password BY 'pw'",)
        + proxyGrants("'nat_proxy'@'%'")
    )

    @defer.inlineCallbacks
    def test_pymysqlOverTLS(self):
        """
        PyMySQL over TLS (the cleartext password inside TLS).
        """
        [result] = yield self.pymysql(self.attempt("win_proxy", "pw", tls=True))
        self.assertTrue(result.get("tls"), result)
        [[record]] = self.portal.connectionsOf("win_proxy")
        self.assertEqual((record.credentials, record.tls, record.outcome), ("AccountPassword", True, "ok"))
        self.assertRows(result, [["win_proxy@localhost", "local_wlad@localhost", "'win_proxy'@'%'"]])

    @defer.inlineCallbacks
    def test_nativeNotMapped(self):
        """
        A native account on the same server logs in as itself.
        """
        [result] = yield self.pymysql(self.attempt("nat_proxy", "pw"))
        self.assertRows(result, [["nat_proxy@localhost", "nat_proxy@%", None]])


class ManualStatementsThroughMariaDBTests(ProxyServerTestCase):
    """
    The manual's statements as written (unquoted names, no hosts), typed
    into the C{mariadb} client by the first-start root (C{auth_socket} over
    the UNIX socket, holding C{PROXY ON ''@'' WITH GRANT OPTION}); then the
    login through PyMySQL.
    """

    MANUAL = (
        "CREATE USER win_proxy IDENTIFIED WITH test_plugin_server AS 'local_wlad';"
        " CREATE USER local_wlad IDENTIFIED WITH mysql_no_login;"
        " CREATE USER local_dev IDENTIFIED WITH mysql_no_login;"
        " CREATE USER local_admin IDENTIFIED WITH mysql_no_login;"
        " GRANT PROXY ON local_wlad TO win_proxy;"
        " GRANT PROXY ON local_dev TO win_proxy;"
        " GRANT PROXY ON local_admin TO win_proxy;"
        " SHOW GRANTS FOR win_proxy"
    )

    @defer.inlineCallbacks
    def setUp(self):
        yield super().setUp()
        yield defer.ensureDeferred(bootstrapAccounts(self.factory.config, self.socketPath))

    def asRoot(self, statements: str):
        """
        Run statements in the C{mariadb} client as the first-start root.
        """
        return self.mariadb("root", None, statements, via="unix")

    @defer.inlineCallbacks
    def test_manualExample(self):
        """
        Root may run every statement of the example; C{SHOW GRANTS} lists
        the three PROXY grants; and C{win_proxy} logs in as C{local_wlad}
        (at C{%}, as the example creates it).
        """
        result = yield self.asRoot(self.MANUAL)
        if not result["ok"]:
            self.fail(f"root's statements failed: {result}")
        # The order of the PROXY lines is left open (MySQL's changes after
        # a restart).
        self.assertEqual(result["rows"][0], ["GRANT USAGE ON *.* TO `win_proxy`@`%`"])
        self.assertEqual(
            sorted(result["rows"][1:]),
            [
                ["GRANT PROXY ON `local_admin`@`%` TO `win_proxy`@`%`"],
                ["GRANT PROXY ON `local_dev`@`%` TO `win_proxy`@`%`"],
                ["GRANT PROXY ON `local_wlad`@`%` TO `win_proxy`@`%`"],
            ],
        )
        [result] = yield self.pymysqlTestPlugin(
            self.attempt("win_proxy", "local_wlad", query=IDENTITY_EXTERNAL)
        )
        self.assertRows(
            result, [["win_proxy@localhost", "local_wlad@%", "'win_proxy'@'%'", "local_wlad"]]
        )

    @defer.inlineCallbacks
    def test_globalPrivilegesCannotGrantProxy(self):
        """
        An administrator made by root with every global privilege but no
        PROXY grant is refused GRANT PROXY with 1698.
        """
        result = yield self.asRoot(
            "CREATE USER local_wlad IDENTIFIED WITH mysql_no_login;"
            " CREATE USER win_proxy IDENTIFIED WITH test_plugin_server AS 'local_wlad';"
            " CREATE USER 'dba'@'localhost' IDENTIFIED BY 'dba-Secret.1';"
            " GRANT ALL PRIVILEGES ON *.* TO 'dba'@'localhost' WITH GRANT OPTION"
        )
        self.assertRows(result, [])
        result = yield self.mariadb(
            "dba", "dba-Secret.1", "GRANT PROXY ON local_wlad TO win_proxy", via="unix"
        )
        self.assertFalse(result["ok"], result)
        self.assertEqual(
            (result["errno"], result["sqlstate"], result["msg"]),
            (1698, "28000", "Access denied for user 'dba'@'localhost'"),
        )
