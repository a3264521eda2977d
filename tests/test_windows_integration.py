# -*- test-case-name: tests.test_windows_integration -*-
# Copyright (c) twisted_mysqlauth developers.
# See LICENSE for details.
"""
C{authentication_windows} over real sockets, with NTLM through pyspnego
on both sides (the server's credentials from an NTLM user file in a
temporary folder):

 - a server in this process (as L{tests.test_proxy_integration}: SQLite
   accounts, a TCP port on 127.0.0.1 chosen by the OS and a UNIX socket),
   the acceptor's steps in the method's own threads, logged in to by
   PyMySQL with the L{pymysqlHandler} plugin handler (in a subprocess, as
   every blocking client here) and by the Twisted test client with
   L{WindowsClientHandler};
 - C{twistd -n mysqlauth} processes configured as an operator would
   (C{--set-variable}, a my.cnf), where the first-start root types the
   manual's statements into the C{mariadb} client.

The C{mariadb} client and mysql-connector-python have no
C{authentication_windows_client} on Linux, so they do not log in here.
"""

from __future__ import annotations

import grp
import json
import os
import pwd
import subprocess
import sys
import threading
from typing import Any, Dict, List, Optional

from twisted.internet import defer, reactor
from twisted.internet.endpoints import TCP4ClientEndpoint, UNIXClientEndpoint, connectProtocol
from twisted.internet.utils import getProcessOutputAndValue
from twisted.trial.unittest import SkipTest, SynchronousTestCase

from tests.test_plugins_integration import PluginProcessMixin
from tests.test_proxy_integration import IDENTITY, IDENTITY_EXTERNAL, ProxyServerTestCase
from tests.test_twistd import ROOT
from tests.test_windows import GROUPS, NTLM_USERS, windowsFiles, writeNTLMUserFile
from twisted_mysqlauth.auth.cachingsha2 import theCachingSHA2PasswordMethod
from twisted_mysqlauth.auth.native import theNativePasswordMethod
from twisted_mysqlauth.auth.nologin import theNoLoginMethod
from twisted_mysqlauth.auth.registry import MethodRegistry
from twisted_mysqlauth.auth.windows import WindowsAuthMethod, acceptStep
from twisted_mysqlauth.auth.windowsclient import WindowsClientHandler
from twisted_mysqlauth.testing import MySQLTestClient, ServerError, decodeResult

#: The client plugin name, as handler maps spell it.
CLIENT = "authentication_windows_client"

#: The manual's proxy example (seed 003), as written, for C{win_proxy}.
WIN_PROXY_STATEMENTS = (
    "CREATE USER win_proxy\n"
    "  IDENTIFIED WITH  authentication_windows\n"
    "  AS 'local_user = local_wlad,\n"
    "      MyDomain\\\\domain_user = local_wlad,\n"
    "      MyDomain\\\\Developers = local_dev,\n"
    "      BUILTIN\\\\Administrators = local_admin';",
    "CREATE USER local_wlad\n  IDENTIFIED WITH mysql_no_login;",
    "CREATE USER local_dev\n  IDENTIFIED WITH mysql_no_login;",
    "CREATE USER local_admin\n  IDENTIFIED WITH mysql_no_login;",
    "GRANT PROXY ON local_wlad TO win_proxy;",
    "GRANT PROXY ON local_dev TO win_proxy;",
    "GRANT PROXY ON local_admin TO win_proxy;",
)

#: A PyMySQL client with the C{authentication_windows_client} handler of
#: L{twisted_mysqlauth.auth.windowsclient}, run as C{python -c PROGRAM
#: SPEC}: L{tests.realclients}' PyMySQL login, with the handler in
#: C{auth_plugin_map}. The spec is C{{"attempts": [ATTEMPT, ...]}}; an
#: attempt is one of L{tests.realclients} plus the C{windowsUser} and
#: C{windowsPassword}, optionally the C{framing} and C{longNegotiate} (use
#: L{tests.test_windows.longNegotiateFactory}). Each result also has the
#: sizes of the C{packets} the client plugin sent.
PYMYSQL_WINDOWS_PROGRAM = r'''
import functools
import json
import sys

from tests import realclients
from twisted_mysqlauth.auth.windowsclient import pymysqlHandler

spec = json.loads(sys.argv[1])
try:
    import pymysql
except ImportError as e:
    print(json.dumps({"unavailable": "PyMySQL cannot be imported: %s" % (e,)}))
    sys.exit(0)
connect = pymysql.connect
results = []
for attempt in spec["attempts"]:
    factory = None
    if attempt.get("longNegotiate"):
        from tests.test_windows import longNegotiateFactory

        factory = longNegotiateFactory(attempt["windowsUser"], attempt["windowsPassword"])
    made = []

    class Recording(
        pymysqlHandler(
            attempt["windowsUser"],
            attempt["windowsPassword"],
            framing=attempt.get("framing", "libmysqlclient"),
            contextFactory=factory,
        )
    ):
        def __init__(self, connection):
            super().__init__(connection)
            made.append(self)

    pymysql.connect = functools.partial(
        connect, auth_plugin_map={"authentication_windows_client": Recording}
    )
    result = realclients.attemptLogin("pymysql", attempt)
    result["packets"] = made[0].initiator.packets if made else []
    results.append(result)
print(json.dumps({"results": results}))
'''


class WindowsServerTestCase(ProxyServerTestCase):
    """
    A server of L{tests.test_integration} with C{authentication_windows}
    (an NTLM user file and a group file in a temporary folder; the
    acceptor in its own threads) beside the password and no-login methods.

    @ivar steps: (thread id, whether it is a login's first step, size of the
        client token) of each acceptor step.
    """

    #: Keyword arguments of the L{WindowsAuthMethod}.
    methodOptions: Dict[str, Any] = {}

    #: More NTLM users than L{NTLM_USERS}.
    extraNTLMUsers: Dict[str, str] = {}

    @defer.inlineCallbacks
    def setUp(self):
        self.userFile, self.groupFile = windowsFiles(
            self, GROUPS, {**NTLM_USERS, **self.extraNTLMUsers}
        )
        options = dict(
            ntlmUserFile=self.userFile,
            groupSource="file",
            groupFile=self.groupFile,
            reactor=reactor,
            threads=2,
        )
        options.update(self.methodOptions)
        self.method = WindowsAuthMethod(**options)
        self.method.initialize(None)
        self.addCleanup(self.method.stop)
        self.steps: List[tuple] = []
        self.method.runInThread = self._recordingRunner(self.method.runInThread)
        self.serverOptions = {
            "methods": MethodRegistry(
                [
                    theCachingSHA2PasswordMethod,
                    theNativePasswordMethod,
                    theNoLoginMethod,
                    self.method,
                ]
            )
        }
        yield super().setUp()

    def _recordingRunner(self, runner: Any) -> Any:
        steps = self.steps

        def run(function: Any, *args: Any) -> defer.Deferred:
            if function is not acceptStep:
                return runner(function, *args)

            def step(*stepArgs: Any) -> Any:
                factory, context, token = stepArgs
                steps.append((threading.get_ident(), context is None, len(token)))
                return function(*stepArgs)

            return runner(step, *args)

        return run

    def windowsAttempt(
        self,
        user: str,
        windowsUser: str,
        password: Optional[str] = None,
        via: str = "tcp",
        query: str = IDENTITY_EXTERNAL,
        **extra: Any,
    ) -> Dict[str, Any]:
        """
        Describe one PyMySQL login as C{windowsUser}.
        """
        spec = self.attempt(user, "", via=via, query=query)
        spec["windowsUser"] = windowsUser
        spec["windowsPassword"] = NTLM_USERS.get(windowsUser) if password is None else password
        if spec["windowsPassword"] is None:
            spec["windowsPassword"] = self.extraNTLMUsers[windowsUser]
        spec.update(extra)
        return spec

    @defer.inlineCallbacks
    def pymysqlWindows(self, *attempts: Dict[str, Any]):
        """
        Log in with PyMySQL and the Windows plugin handler, once per attempt.

        @return: the results.
        """
        env = dict(os.environ)
        env["PYTHONPATH"] = ROOT + os.pathsep + env.get("PYTHONPATH", "")
        env.pop("NTLM_USER_FILE", None)
        out, err, code = yield getProcessOutputAndValue(
            sys.executable,
            ["-c", PYMYSQL_WINDOWS_PROGRAM, json.dumps({"attempts": list(attempts)})],
            env=env,
            reactor=reactor,
        )
        if code != 0:
            self.fail(f"the PyMySQL program failed ({code}): {err.decode('utf-8', 'replace')}")
        output = json.loads(out.decode("utf-8").strip().splitlines()[-1])
        if "unavailable" in output:
            raise SkipTest(output["unavailable"])
        return output["results"]

    @defer.inlineCallbacks
    def twistedLogin(self, user: str, handler: WindowsClientHandler, via: str = "tcp"):
        """
        Log in with the Twisted test client and read the identity.

        @return: C{(trace, row as text)}; fails with L{ServerError}.
        """
        if via == "unix":
            endpoint = UNIXClientEndpoint(reactor, self.socketPath)
        else:
            endpoint = TCP4ClientEndpoint(reactor, "127.0.0.1", self.port)
        client = MySQLTestClient(user.encode("utf-8"), authHandlers={CLIENT: handler})
        yield connectProtocol(endpoint, client)
        try:
            trace = yield client.loggedIn
            packets = yield client.command(3, IDENTITY_EXTERNAL.encode("utf-8"))
        finally:
            client.transport.loseConnection()
            yield client.closed
        names, [row] = decodeResult(packets)
        return trace, [None if v is None else v.decode("utf-8") for v in row]


class LoginTests(WindowsServerTestCase):
    """
    Right and wrong passwords, with PyMySQL and the Twisted client, over
    TCP and the UNIX socket.
    """

    statements = (
        "CREATE USER 'sql_admin'@'%' IDENTIFIED WITH authentication_windows "
        "AS 'Rafal, Tasha, Administrators, \"Power Users\"'",
    )

    EXPECTED = ["sql_admin@localhost", "sql_admin@%", None, "Rafal"]

    @defer.inlineCallbacks
    def test_pymysql(self):
        """
        PyMySQL logs in over TCP and the UNIX socket with the right
        password and is refused (1045) with a wrong one; the acceptor's
        steps ran in the method's threads, never on the reactor thread.
        """
        results = yield self.pymysqlWindows(
            self.windowsAttempt("sql_admin", "Rafal"),
            self.windowsAttempt("sql_admin", "Rafal", via="unix"),
            self.windowsAttempt("sql_admin", "Rafal", password="wrong"),
            self.windowsAttempt("sql_admin", "Rafal", password="wrong", via="unix"),
        )
        for result in results[:2]:
            self.assertRows(result, [self.EXPECTED])
        for result in results[2:]:
            self.assertDenied(
                result, 1045, "Access denied for user 'sql_admin'@'localhost' (using password: NO)"
            )
        self.assertTrue(self.steps)
        self.assertNotIn(threading.get_ident(), {thread for thread, first, size in self.steps})

    @defer.inlineCallbacks
    def test_twistedClient(self):
        """
        The Twisted client logs in over TCP and the UNIX socket, in two
        rounds: the server's challenge, then its final token before the OK.
        """
        for via in ("tcp", "unix"):
            handler = WindowsClientHandler("Rafal", NTLM_USERS["Rafal"])
            trace, row = yield self.twistedLogin("sql_admin", handler, via=via)
            self.assertEqual(row, self.EXPECTED)
            self.assertEqual(trace.switchedTo, [CLIENT])
            self.assertEqual(handler.initiator.rounds, 2)
            self.assertTrue(handler.initiator.complete)

    @defer.inlineCallbacks
    def test_twistedClientWrongPassword(self):
        """
        The Twisted client with a wrong password gets 1045.
        """
        handler = WindowsClientHandler("Rafal", "wrong")
        error = yield self.assertFailure(self.twistedLogin("sql_admin", handler), ServerError)
        self.assertEqual(error.errorCode, 1045)

    @defer.inlineCallbacks
    def test_splitFirstToken(self):
        """
        A first token over 254 bytes (an NTLM NEGOTIATE naming a long
        domain and workstation) goes split as libmysqlclient sends it, and
        the server joins it; Connector/NET's framing sends it whole. Both
        log in.
        """
        results = yield self.pymysqlWindows(
            self.windowsAttempt("sql_admin", "Rafal", longNegotiate=True),
            self.windowsAttempt("sql_admin", "Rafal", longNegotiate=True, framing="connector-net"),
        )
        split, whole = results
        self.assertRows(split, [self.EXPECTED])
        self.assertRows(whole, [self.EXPECTED])
        first, second = split["packets"][:2]
        self.assertEqual(first, 255)
        self.assertEqual(whole["packets"][0], first - 1 + second)
        firstTokens = [size for thread, first, size in self.steps if first]
        self.assertEqual(firstTokens, [first - 1 + second] * 2)


class ProxyExampleTests(WindowsServerTestCase):
    """
    The manual's C{win_proxy} example: users and groups mapped to
    C{local_wlad}, C{local_dev} and C{local_admin}, with PROXY grants.
    """

    statements = WIN_PROXY_STATEMENTS + (
        "CREATE USER 'sql_user1'@'%' IDENTIFIED WITH mysql_no_login",
        "CREATE USER 'sql_user2'@'%' IDENTIFIED WITH mysql_no_login",
        "CREATE USER prec IDENTIFIED WITH authentication_windows "
        "AS 'win_group = sql_user1, win_user = sql_user2'",
        "GRANT PROXY ON sql_user1 TO prec",
        "GRANT PROXY ON sql_user2 TO prec",
    )

    @defer.inlineCallbacks
    def test_manualExample(self):
        """
        C{SELECT USER(), CURRENT_USER(), @@proxy_user} for each kind of
        Windows user of the example.
        """
        cases = (
            ("local_user", "local_wlad"),
            ("MyDomain\\domain_user", "local_wlad"),
            ("MyDomain\\dev1", "local_dev"),
            ("admin1", "local_admin"),
        )
        results = yield self.pymysqlWindows(
            *(self.windowsAttempt("win_proxy", user, query=IDENTITY) for user, _ in cases)
        )
        for (user, proxied), result in zip(cases, results):
            self.assertRows(result, [["win_proxy@localhost", f"{proxied}@%", "'win_proxy'@'%'"]])

    @defer.inlineCallbacks
    def test_externalUser(self):
        """
        C{@@external_user} is the Windows principal.
        """
        [result] = yield self.pymysqlWindows(
            self.windowsAttempt("win_proxy", "MyDomain\\domain_user", via="unix")
        )
        self.assertRows(
            result,
            [["win_proxy@localhost", "local_wlad@%", "'win_proxy'@'%'", "MyDomain\\domain_user"]],
        )

    @defer.inlineCallbacks
    def test_userOverGroup(self):
        """
        C{win_user} is in C{win_group}, mapped first; the user mapping wins.
        A Windows user the string does not know is refused.
        """
        results = yield self.pymysqlWindows(
            self.windowsAttempt("prec", "win_user", query=IDENTITY),
            self.windowsAttempt("prec", "Rafal", query=IDENTITY),
        )
        self.assertRows(results[0], [["prec@localhost", "sql_user2@%", "'prec'@'%'"]])
        self.assertDenied(
            results[1], 1045, "Access denied for user 'prec'@'localhost' (using password: NO)"
        )

    @defer.inlineCallbacks
    def test_twistedClient(self):
        """
        The Twisted client through the group mapping.
        """
        trace, row = yield self.twistedLogin(
            "win_proxy", WindowsClientHandler("MyDomain\\dev1", NTLM_USERS["MyDomain\\dev1"])
        )
        self.assertEqual(row, ["win_proxy@localhost", "local_dev@%", "'win_proxy'@'%'", "MyDomain\\dev1"])


def _userInAnotherGroup() -> Optional[tuple]:
    """
    An OS user whose primary group has another name (Debian's C{sync} is
    in C{nogroup}), or L{None}.
    """
    users = {entry.pw_name for entry in pwd.getpwall()}
    for entry in pwd.getpwall():
        try:
            group = grp.getgrgid(entry.pw_gid).gr_name
        except KeyError:
            continue
        if group != entry.pw_name and group not in users and entry.pw_name.isidentifier():
            return entry.pw_name, group
    return None


_OS_USER = _userInAnotherGroup()


class OSGroupTests(WindowsServerTestCase):
    """
    Group membership from the OS group database.
    """

    if _OS_USER is None:
        skip = "no OS user whose primary group has another name"
    else:
        osUser, osGroup = _OS_USER
        extraNTLMUsers = {osUser: "Os-pw7"}
        statements = (
            "CREATE USER 'local_dev'@'%' IDENTIFIED WITH mysql_no_login",
            f"CREATE USER os_proxy IDENTIFIED WITH authentication_windows AS '{osGroup} = local_dev'",
            "GRANT PROXY ON local_dev TO os_proxy",
        )

    methodOptions = {"groupSource": "os", "groupFile": None}

    @defer.inlineCallbacks
    def test_osGroup(self):
        """
        The principal is the OS user; its primary group, read from the OS
        database in a thread, maps it to C{local_dev}.
        """
        [result] = yield self.pymysqlWindows(
            self.windowsAttempt("os_proxy", self.osUser, query=IDENTITY)
        )
        self.assertRows(result, [["os_proxy@localhost", "local_dev@%", "'os_proxy'@'%'"]])


class TwistdTests(PluginProcessMixin, SynchronousTestCase):
    """
    C{twistd mysqlauth} loads the plugin as the manual says, configured by
    its system variables; the first-start root types the manual's
    statements into the C{mariadb} client; PyMySQL logs in.
    """

    def setUp(self) -> None:
        try:
            import pymysql  # noqa: F401
            import spnego  # noqa: F401
        except ImportError as e:
            raise SkipTest(str(e))
        super().setUp()
        self.userFile = writeNTLMUserFile(os.path.join(self.base, "ntlm_users"))
        self.groupFile = os.path.join(self.base, "groups")
        with open(self.groupFile, "w", encoding="utf-8") as f:
            f.write(GROUPS)

    def windowsLogin(self, windowsUser: str, query: str = IDENTITY_EXTERNAL) -> Dict[str, Any]:
        spec = {
            "attempts": [
                {
                    "user": "win_proxy",
                    "unixSocket": self.socket,
                    "windowsUser": windowsUser,
                    "windowsPassword": NTLM_USERS[windowsUser],
                    "query": query,
                }
            ]
        }
        env = dict(os.environ)
        env["PYTHONPATH"] = ROOT + os.pathsep + env.get("PYTHONPATH", "")
        result = subprocess.run(
            [sys.executable, "-c", PYMYSQL_WINDOWS_PROGRAM, json.dumps(spec)],
            capture_output=True,
            timeout=60,
            env=env,
        )
        self.assertEqual(result.returncode, 0, result.stderr.decode())
        return json.loads(result.stdout)["results"][0]

    def test_installPluginAndExample(self) -> None:
        """
        C{--set-variable} names the NTLM and group files; the manual's
        C{INSTALL PLUGIN}, its check in C{INFORMATION_SCHEMA.PLUGINS}, and
        the C{win_proxy} example, typed as written; then logins.
        """
        process = self.start(
            "--set-variable",
            f"authentication_windows_ntlm_user_file={self.userFile}",
            "--set-variable",
            "authentication_windows_group_source=file",
            "--set-variable",
            f"authentication_windows_group_file={self.groupFile}",
        )
        self.root("INSTALL PLUGIN authentication_windows SONAME 'authentication_windows.dll';")
        self.assertEqual(
            self.root(
                "SELECT PLUGIN_NAME, PLUGIN_STATUS\n"
                "       FROM INFORMATION_SCHEMA.PLUGINS\n"
                "       WHERE PLUGIN_NAME LIKE '%windows%';",
                headers=True,
            ),
            "PLUGIN_NAME\tPLUGIN_STATUS\nauthentication_windows\tACTIVE\n",
        )
        self.root("\n".join(WIN_PROXY_STATEMENTS))
        result = self.windowsLogin("MyDomain\\dev1")
        self.assertEqual(
            result.get("rows"),
            [["win_proxy@localhost", "local_dev@%", "'win_proxy'@'%'", "MyDomain\\dev1"]],
            result,
        )
        self.assertIn(
            "authentication_windows_log_level\t2",
            self.root("SHOW VARIABLES LIKE 'authentication_windows%'"),
        )
        self.stop(process)

    def test_myCnf(self) -> None:
        """
        The manual's my.cnf line, with the variables in the same section;
        C{use_principal_name} off.
        """
        myCnf = os.path.join(self.base, "my.cnf")
        with open(myCnf, "w") as f:
            f.write(
                "[mysqld]\n"
                "plugin-load-add=authentication_windows.dll\n"
                f"authentication_windows_ntlm_user_file={self.userFile}\n"
                "authentication_windows_use_principal_name=OFF\n"
                "authentication_windows_log_level=3\n"
            )
        process = self.start("--defaults-file", myCnf)
        self.root("\n".join(WIN_PROXY_STATEMENTS))
        result = self.windowsLogin("local_user", IDENTITY)
        self.assertEqual(result.get("rows"), [["win_proxy@localhost", "local_wlad@%", "'win_proxy'@'%'"]])
        variables = self.root("SHOW VARIABLES LIKE 'authentication_windows_%'")
        self.assertIn("authentication_windows_use_principal_name\tOFF", variables)
        self.assertIn("authentication_windows_log_level\t3", variables)
        self.stop(process)
        self.assertIn("local_user ('win_proxy'@'localhost') authenticated by ntlm", self.log(process))
