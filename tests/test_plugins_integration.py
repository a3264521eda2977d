# -*- test-case-name: tests.test_plugins_integration -*-
# Copyright (c) twisted_mysqlauth developers.
# See LICENSE for details.
"""
Plugin management in real C{twistd -n mysqlauth} processes, driven as an
operator would: the C{mariadb} command-line client (and PyMySQL) over the
UNIX socket, logged in as the first-start C{root} (C{auth_socket}, no
password).

 - The statements of the MySQL manual's socket-authentication section
   (seed 000), as written, and C{INSTALL PLUGIN}/C{UNINSTALL PLUGIN}
   across restarts.
 - The manual's my.cnf C{plugin-load-add} lines: loaded for that run only.
 - The how-to's third-party dropin, C{example_shared_secret}, from
   C{--plugin-dir docs/examples/plugin_dir}: installed, used by an account,
   uninstalled (the account then gets 1524).
 - C{--skip-grant-tables}: no TCP listener even when asked for, and any
   user gets in over the socket.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from typing import Any, Dict, List, Optional, Set

from twisted.trial.unittest import SynchronousTestCase

from tests.test_twistd import MARIADB, ROOT, environment, twistdCommand

#: The folder of the example third-party dropin.
EXAMPLE_PLUGIN_DIR = os.path.join(ROOT, "docs", "examples", "plugin_dir")

#: The manual's statements (seed 000), as written.
INSTALL_AUTH_SOCKET = "INSTALL PLUGIN auth_socket SONAME 'auth_socket.so';"
SOCKET_PLUGINS_QUERY = (
    "SELECT PLUGIN_NAME, PLUGIN_STATUS\n"
    "       FROM INFORMATION_SCHEMA.PLUGINS\n"
    "       WHERE PLUGIN_NAME LIKE '%socket%';"
)
UNINSTALL_AUTH_SOCKET = "UNINSTALL PLUGIN auth_socket;"
MANUAL_MY_CNF = "[mysqld]\nplugin-load-add=auth_socket.so\n"

#: The same steps for the manual's test plugin.
INSTALL_TEST_PLUGIN = "INSTALL PLUGIN test_plugin_server SONAME 'auth_test_plugin.so'"
TEST_PLUGIN_STATUS = (
    "SELECT PLUGIN_NAME, PLUGIN_STATUS FROM INFORMATION_SCHEMA.PLUGINS "
    "WHERE PLUGIN_NAME = 'test_plugin_server'"
)

#: The secret of the example account and its SHA-256 in hex.
SECRET = "correct horse"
SECRET_HASH = hashlib.sha256(SECRET.encode("utf-8")).hexdigest()
CREATE_EXAMPLE_ACCOUNT = (
    f"CREATE USER 'ci'@'localhost' IDENTIFIED WITH example_shared_secret AS '{SECRET_HASH}'"
)

#: A PyMySQL client, run as C{python -c PROGRAM SPEC}: the spec is
#: C{{"socket", "user", "password", "statements"}}; it prints
#: C{{"results": [{"columns", "rows"} or {"error"}]}} or C{{"error":
#: [code, message]}} when the login fails.
PYMYSQL_PROGRAM = r"""
import json
import sys

import pymysql

spec = json.loads(sys.argv[1])
try:
    conn = pymysql.connect(
        unix_socket=spec["socket"],
        user=spec["user"],
        password=spec.get("password") or "",
        connect_timeout=10,
        read_timeout=10,
    )
except pymysql.err.MySQLError as e:
    print(json.dumps({"error": [e.args[0], str(e.args[1])]}))
    sys.exit(0)
results = []
with conn.cursor() as cursor:
    for sql in spec["statements"]:
        try:
            cursor.execute(sql)
            results.append(
                {
                    "columns": [d[0] for d in cursor.description or ()],
                    "rows": [list(row) for row in cursor.fetchall()],
                }
            )
        except pymysql.err.MySQLError as e:
            results.append({"error": [e.args[0], str(e.args[1])]})
conn.close()
print(json.dumps({"results": results}, default=str))
"""


def listeningTCPPorts(pid: int) -> List[int]:
    """
    @return: the TCP ports (IPv4 and IPv6) on which process C{pid} holds a
        listening socket, from its open file descriptors and
        C{/proc/<pid>/net/tcp*}.
    """
    inodes: Set[str] = set()
    fdDir = f"/proc/{pid}/fd"
    for fd in os.listdir(fdDir):
        try:
            target = os.readlink(os.path.join(fdDir, fd))
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[len("socket:[") : -1])
    ports = []
    for table in ("tcp", "tcp6"):
        path = f"/proc/{pid}/net/{table}"
        if not os.path.exists(path):
            continue
        with open(path) as f:
            next(f)
            for line in f:
                fields = line.split()
                local, state, inode = fields[1], fields[3], fields[9]
                if state == "0A" and inode in inodes:
                    ports.append(int(local.rsplit(":", 1)[1], 16))
    return ports


class PluginProcessMixin:
    """
    Start, restart and stop C{twistd -n mysqlauth} processes on one datadir
    with a UNIX socket in a short temporary folder, and talk to them with
    the C{mariadb} client and PyMySQL.
    """

    if MARIADB is None:
        skip = "the mariadb client is not installed (apt-get install mariadb-client)"

    def setUp(self) -> None:
        self.base = os.path.abspath(self.mktemp())
        os.makedirs(self.base)
        self.datadir = os.path.join(self.base, "data")
        # AF_UNIX paths are limited to 107 bytes: trial's folders are deeper.
        shortDir = tempfile.mkdtemp(prefix="mysqlauth-")
        self.addCleanup(shutil.rmtree, shortDir, True)
        self.socket = os.path.join(shortDir, "mysqld.sock")
        self.processes: List[subprocess.Popen] = []
        self.logs: Dict[int, str] = {}
        self.addCleanup(self.stopAll)

    def stopAll(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.kill()
            process.wait(10)

    def start(self, *extra: str, waitUser: str = "root") -> subprocess.Popen:
        """
        Start the server with C{extra} options and wait until C{waitUser}
        logs in over the socket.

        @return: the process; its output goes to C{self.logs[pid]}.
        """
        logPath = os.path.join(self.base, f"twistd-{len(self.processes)}.log")
        with open(logPath, "wb") as log:
            process = subprocess.Popen(
                twistdCommand("--datadir", self.datadir, "--listen", f"unix:{self.socket}", *extra),
                cwd=self.base,
                env=environment(),
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        self.processes.append(process)
        self.logs[process.pid] = logPath
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if process.poll() is not None:
                self.fail(f"twistd exited ({process.returncode}): " + self.log(process))
            if os.path.exists(self.socket):
                result = self.client(waitUser, None, "SELECT 1")
                if result.returncode == 0:
                    return process
            time.sleep(0.1)
        self.fail("twistd did not start listening in 30 s: " + self.log(process))

    def stop(self, process: subprocess.Popen) -> None:
        """
        Stop a server as an operator would (SIGTERM) and wait for it.
        """
        process.send_signal(signal.SIGTERM)
        process.wait(20)
        if os.path.exists(self.socket):
            os.remove(self.socket)

    def restart(self, process: subprocess.Popen, *extra: str) -> subprocess.Popen:
        """
        Stop C{process} and start the server again with C{extra} options.
        """
        self.stop(process)
        return self.start(*extra)

    def log(self, process: subprocess.Popen) -> str:
        """
        @return: what the process has written so far.
        """
        with open(self.logs[process.pid], "rb") as f:
            return f.read().decode("utf-8", "replace")

    def client(
        self, user: str, password: Optional[str], sql: str, headers: bool = False
    ) -> subprocess.CompletedProcess:
        """
        Run C{sql} with the mariadb client over the socket.
        """
        return subprocess.run(
            [MARIADB, "--no-defaults", "-S", self.socket, "-u", user]
            + ([f"-p{password}"] if password is not None else [])
            + ([] if headers else ["-N"])
            + ["-B", "-e", sql],
            capture_output=True,
            timeout=30,
        )

    def mariadb(self, user: str, password: Optional[str], sql: str, headers: bool = False) -> str:
        """
        Run C{sql} with the mariadb client, which must succeed.

        @return: its output (tab-separated).
        """
        result = self.client(user, password, sql, headers)
        if result.returncode != 0:
            self.fail(f"mariadb -u {user} -e {sql!r}: " + result.stderr.decode())
        return result.stdout.decode()

    def mariadbFails(self, user: str, password: Optional[str], sql: str) -> str:
        """
        Run C{sql} with the mariadb client, which must fail.

        @return: its error output.
        """
        result = self.client(user, password, sql)
        self.assertNotEqual(result.returncode, 0, result.stdout.decode())
        return result.stderr.decode()

    def assertMariaDBError(self, stderr: str, code: int, sqlState: str, message: str) -> None:
        """
        Assert that the mariadb client printed this error (for a statement
        it adds C{at line N}, which is ignored).
        """
        printed = re.sub(r"\) at line \d+:", "):", stderr)
        self.assertIn(f"ERROR {code} ({sqlState}): {message}", printed)

    def root(self, sql: str, headers: bool = False) -> str:
        """
        Run C{sql} as the first-start root (auth_socket, no password).
        """
        return self.mariadb("root", None, sql, headers)

    def pymysql(self, user: str, password: Optional[str], *statements: str) -> Dict[str, Any]:
        """
        Log in with PyMySQL over the socket and run C{statements}.

        @return: the program's JSON answer.
        """
        try:
            import pymysql  # noqa: F401
        except ImportError:
            self.skipTest("PyMySQL is not installed")
        spec = {"socket": self.socket, "user": user, "password": password, "statements": statements}
        result = subprocess.run(
            [sys.executable, "-c", PYMYSQL_PROGRAM, json.dumps(spec)],
            capture_output=True,
            timeout=60,
        )
        self.assertEqual(result.returncode, 0, result.stderr.decode())
        return json.loads(result.stdout)


class PluginStatementTests(PluginProcessMixin, SynchronousTestCase):
    """
    The manual's plugin statements and options against C{twistd
    mysqlauth}.
    """

    def test_seedStatements(self) -> None:
        """
        The manual's statements through the mariadb client and PyMySQL:
        C{INSTALL PLUGIN auth_socket} is 1125 (it loads by default), the
        C{INFORMATION_SCHEMA.PLUGINS} query shows the manual's row, and
        C{SHOW PLUGINS} has MySQL's columns.
        """
        self.start()
        error = self.mariadbFails("root", None, INSTALL_AUTH_SOCKET)
        self.assertMariaDBError(error, 1125, "HY000", "Function 'auth_socket' already exists")
        self.assertEqual(
            self.root(SOCKET_PLUGINS_QUERY, headers=True),
            "PLUGIN_NAME\tPLUGIN_STATUS\nauth_socket\tACTIVE\n",
        )
        lines = self.root("SHOW PLUGINS", headers=True).splitlines()
        self.assertEqual(lines[0], "Name\tStatus\tType\tLibrary\tLicense")
        rows = {line.split("\t")[0]: line.split("\t") for line in lines[1:]}
        self.assertEqual(rows["auth_socket"][1:4], ["ACTIVE", "AUTHENTICATION", "auth_socket.so"])
        self.assertEqual(rows["caching_sha2_password"][1:4], ["ACTIVE", "AUTHENTICATION", "NULL"])
        self.assertNotIn("test_plugin_server", rows)

        answer = self.pymysql("root", None, SOCKET_PLUGINS_QUERY, "SHOW PLUGINS", INSTALL_AUTH_SOCKET)
        query, show, install = answer["results"]
        self.assertEqual(
            query, {"columns": ["PLUGIN_NAME", "PLUGIN_STATUS"], "rows": [["auth_socket", "ACTIVE"]]}
        )
        self.assertEqual(show["columns"], ["Name", "Status", "Type", "Library", "License"])
        self.assertEqual(install["error"], [1125, "Function 'auth_socket' already exists"])

    def test_installSurvivesRestart(self) -> None:
        """
        C{INSTALL PLUGIN test_plugin_server SONAME 'auth_test_plugin.so'}
        loads it at once, with every column of C{INFORMATION_SCHEMA.PLUGINS},
        and again after a restart; after C{UNINSTALL PLUGIN} and a restart
        it is gone.
        """
        process = self.start()
        self.root(INSTALL_TEST_PLUGIN)
        lines = self.root(
            "SELECT * FROM INFORMATION_SCHEMA.PLUGINS WHERE PLUGIN_NAME = 'test_plugin_server'",
            headers=True,
        ).splitlines()
        self.assertEqual(len(lines), 2, lines)
        row = dict(zip(lines[0].split("\t"), lines[1].split("\t")))
        for column in (
            "PLUGIN_NAME",
            "PLUGIN_VERSION",
            "PLUGIN_STATUS",
            "PLUGIN_TYPE",
            "PLUGIN_LIBRARY",
            "PLUGIN_AUTHOR",
            "PLUGIN_DESCRIPTION",
            "PLUGIN_LICENSE",
            "LOAD_OPTION",
        ):
            self.assertIn(column, row)
        self.assertEqual(
            (row["PLUGIN_STATUS"], row["PLUGIN_TYPE"], row["PLUGIN_LIBRARY"], row["LOAD_OPTION"]),
            ("ACTIVE", "AUTHENTICATION", "auth_test_plugin.so", "ON"),
        )

        process = self.restart(process)
        self.assertEqual(self.root(TEST_PLUGIN_STATUS), "test_plugin_server\tACTIVE\n")
        self.root("UNINSTALL PLUGIN test_plugin_server")
        self.assertEqual(self.root(TEST_PLUGIN_STATUS), "")
        process = self.restart(process)
        self.assertEqual(self.root(TEST_PLUGIN_STATUS), "")

    def test_uninstallAuthSocket(self) -> None:
        """
        The manual's C{UNINSTALL PLUGIN auth_socket;}: the next login of the
        auth_socket root is refused with 1524 (no other method is tried);
        since auth_socket is one of the plugins loaded at every start, it is
        back after a restart.
        """
        process = self.start()
        self.root(UNINSTALL_AUTH_SOCKET)
        error = self.mariadbFails("root", None, "SELECT 1")
        self.assertIn("ERROR 1524 (HY000): Plugin 'auth_socket' is not loaded", error)
        self.restart(process)
        self.assertEqual(self.root(SOCKET_PLUGINS_QUERY), "auth_socket\tACTIVE\n")

    def test_myCnfPluginLoadAdd(self) -> None:
        """
        my.cnf C{plugin-load-add} lines (the manual's, and one for the test
        plugin) load their plugins for that run; restarted without the
        option file, the test plugin is not loaded.
        """
        cnf = os.path.join(self.base, "my.cnf")
        with open(cnf, "w") as f:
            f.write(MANUAL_MY_CNF + "plugin-load-add=auth_test_plugin.so\n")
        process = self.start("--defaults-file", cnf)
        self.assertEqual(self.root(SOCKET_PLUGINS_QUERY), "auth_socket\tACTIVE\n")
        self.assertEqual(self.root(TEST_PLUGIN_STATUS), "test_plugin_server\tACTIVE\n")
        self.restart(process)
        self.assertEqual(self.root(TEST_PLUGIN_STATUS), "")
        self.assertEqual(self.root(SOCKET_PLUGINS_QUERY), "auth_socket\tACTIVE\n")


class ThirdPartyPluginTests(PluginProcessMixin, SynchronousTestCase):
    """
    The how-to's example dropin, C{example_shared_secret}, installed from
    C{--plugin-dir}.
    """

    def test_exampleDropin(self) -> None:
        """
        From C{--plugin-dir docs/examples/plugin_dir}: C{INSTALL PLUGIN
        example_shared_secret SONAME 'example_auth.py'}, an account
        C{IDENTIFIED WITH example_shared_secret AS '<sha-256>'} logs in with
        the mariadb client and PyMySQL (C{mysql_clear_password} over the
        socket), and still after a restart; after C{UNINSTALL PLUGIN} its
        login and C{CREATE USER} with the plugin are 1524.
        """
        process = self.start("--plugin-dir", EXAMPLE_PLUGIN_DIR)
        self.root("INSTALL PLUGIN example_shared_secret SONAME 'example_auth.py'")
        self.assertEqual(
            self.root(
                "SELECT PLUGIN_NAME, PLUGIN_STATUS, PLUGIN_LIBRARY FROM INFORMATION_SCHEMA.PLUGINS "
                "WHERE PLUGIN_NAME LIKE 'example%'"
            ),
            "example_shared_secret\tACTIVE\texample_auth.py\n",
        )
        self.root(CREATE_EXAMPLE_ACCOUNT)
        self.assertEqual(
            self.mariadb("ci", SECRET, "SELECT USER(), CURRENT_USER()"),
            "ci@localhost\tci@localhost\n",
        )
        answer = self.pymysql("ci", SECRET, "SELECT CURRENT_USER()")
        self.assertEqual(answer["results"][0]["rows"], [["ci@localhost"]])
        error = self.mariadbFails("ci", "wrong", "SELECT 1")
        self.assertIn(
            "ERROR 1045 (28000): Access denied for user 'ci'@'localhost' (using password: YES)", error
        )

        process = self.restart(process, "--plugin-dir", EXAMPLE_PLUGIN_DIR)
        self.assertEqual(self.mariadb("ci", SECRET, "SELECT CURRENT_USER()"), "ci@localhost\n")

        self.root("UNINSTALL PLUGIN example_shared_secret")
        error = self.mariadbFails("ci", SECRET, "SELECT 1")
        self.assertIn("ERROR 1524 (HY000): Plugin 'example_shared_secret' is not loaded", error)
        answer = self.pymysql("ci", SECRET, "SELECT 1")
        self.assertEqual(answer["error"], [1524, "Plugin 'example_shared_secret' is not loaded"])
        error = self.mariadbFails(
            "root", None, "CREATE USER 'ci2'@'localhost' IDENTIFIED WITH example_shared_secret BY 'x'"
        )
        self.assertMariaDBError(error, 1524, "HY000", "Plugin 'example_shared_secret' is not loaded")

    def test_exampleNeedsPluginDir(self) -> None:
        """
        Without C{--plugin-dir} the example's library is not found (1126).
        """
        self.start()
        error = self.mariadbFails(
            "root", None, "INSTALL PLUGIN example_shared_secret SONAME 'example_auth.py'"
        )
        self.assertIn("ERROR 1126 (HY000)", error)
        self.assertIn("'example_auth.py'", error)


class SkipGrantTablesProcessTests(PluginProcessMixin, SynchronousTestCase):
    """
    C{twistd mysqlauth --skip-grant-tables}.
    """

    def test_networkingOff(self) -> None:
        """
        Restarted with C{--skip-grant-tables --listen tcp:0 --listen
        unix:...}, the server says TCP is not started and holds no
        listening TCP socket (it did without the option); over the socket
        any user name and password get in as C{'skip-grants
        user'@'skip-grants host'}, and account statements are 1290.
        """
        tcp = "tcp:0:interface=127.0.0.1"
        process = self.start("--listen", tcp)
        ports = listeningTCPPorts(process.pid)
        self.assertEqual(len(ports), 1)
        # The log says which port the system chose for port 0, and so do
        # the server's variables.
        self.assertIn(f"listening on {tcp} (127.0.0.1 port {ports[0]})", self.log(process))
        self.assertEqual(
            self.root("SELECT @@port, @@socket, @@datadir, @@hostname"),
            f"{ports[0]}\t{self.socket}\t{self.datadir}/\t{socket.gethostname()}\n",
        )
        self.root("CREATE USER 'bob'@'localhost' IDENTIFIED BY 's3cret'")
        self.stop(process)

        process = self.start("--skip-grant-tables", "--listen", tcp, waitUser="nobody")
        log = self.log(process)
        self.assertIn("networking is off: TCP listeners are not started", log)
        self.assertIn(f"listening on unix:{self.socket}", log)
        self.assertNotIn("listening on tcp", log)
        self.assertEqual(listeningTCPPorts(process.pid), [])
        for user, password in (("nobody", "whatever"), ("bob", "wrong"), ("root", None)):
            self.assertEqual(
                self.mariadb(user, password, "SELECT USER(), CURRENT_USER()"),
                f"{user}@localhost\tskip-grants user@skip-grants host\n",
            )
        error = self.mariadbFails("nobody", None, "CREATE USER 'eve'@'%'")
        self.assertMariaDBError(
            error,
            1290,
            "HY000",
            "The MySQL server is running with the --skip-grant-tables option so it cannot "
            "execute this statement",
        )

    def test_firstStart(self) -> None:
        """
        C{--skip-grant-tables} on a new datadir starts too (socket only),
        and lets any user in.
        """
        self.start("--skip-grant-tables", waitUser="nobody")
        self.assertEqual(
            self.mariadb("nobody", "whatever", "SELECT CURRENT_USER()"),
            "skip-grants user@skip-grants host\n",
        )
