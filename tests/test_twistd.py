# -*- test-case-name: tests.test_twistd -*-
# Copyright (c) twisted_mysqlauth developers.
# See LICENSE for details.
"""
C{twistd -n mysqlauth} as an operator runs it: a real process, the mariadb
command-line client over its UNIX socket, C{kill -9}, and start-up errors.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

from twisted.trial.unittest import SkipTest, SynchronousTestCase

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MARIADB = shutil.which("mariadb")


def twistdCommand(*args):
    """
    The command line of C{twistd -n mysqlauth ARGS} with this interpreter.
    """
    return [
        sys.executable,
        "-c",
        "from twisted.scripts.twistd import run; run()",
        "-n",
        "--pidfile=",
        "mysqlauth",
        *args,
    ]


def serverUser():
    import pwd

    return pwd.getpwuid(os.geteuid()).pw_name


def environment():
    env = dict(os.environ)
    env["PYTHONPATH"] = ROOT + os.pathsep + env.get("PYTHONPATH", "")
    return env


class TwistdTests(SynchronousTestCase):
    """
    The server process, started and killed like an operator would.
    """

    if MARIADB is None:
        skip = "the mariadb client is not installed (apt-get install mariadb-client)"

    def setUp(self):
        self.base = os.path.abspath(self.mktemp())
        os.makedirs(self.base)
        self.datadir = os.path.join(self.base, "data")
        # AF_UNIX paths are limited to 107 bytes: trial's folders are deeper.
        shortDir = tempfile.mkdtemp(prefix="mysqlauth-")
        self.addCleanup(shutil.rmtree, shortDir, True)
        self.socket = os.path.join(shortDir, "mysqld.sock")
        self.processes = []

    def tearDown(self):
        for process in self.processes:
            if process.poll() is None:
                process.kill()
            process.wait(10)
            process.stdout.close()

    def start(self, *extra):
        process = subprocess.Popen(
            twistdCommand("--datadir", self.datadir, "--listen", f"unix:{self.socket}", *extra),
            cwd=self.base,
            env=environment(),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        self.processes.append(process)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if process.poll() is not None:
                self.fail("twistd exited: " + process.stdout.read().decode(errors="replace"))
            if os.path.exists(self.socket):
                try:
                    self.mariadb("root", None, "SELECT 1")
                    return process
                except AssertionError:
                    pass
            time.sleep(0.1)
        self.fail("twistd did not start listening in 30 s")

    def mariadb(self, user, password, sql, expectError=False):
        result = subprocess.run(
            [MARIADB, "--no-defaults", "-S", self.socket, "-u", user]
            + ([f"-p{password}"] if password is not None else [])
            + ["-N", "-B", "-e", sql],
            capture_output=True,
            timeout=30,
        )
        if expectError:
            self.assertNotEqual(result.returncode, 0)
            return result.stderr.decode()
        if result.returncode != 0:
            raise AssertionError(result.stderr.decode())
        return result.stdout.decode()

    def test_firstStartLoginAndKill9(self):
        """
        On first start the OS user running the server logs in as root over
        the socket with no password (auth_socket) and the log says how; an
        account created over the wire survives C{kill -9} and a restart, and
        logs in afterwards.
        """
        process = self.start()
        self.assertEqual(
            self.mariadb("root", None, "SELECT CURRENT_USER(), @@external_user").split(),
            ["root@localhost", serverUser()],
        )
        self.mariadb(
            "root",
            None,
            "CREATE USER 'bob'@'localhost' IDENTIFIED BY 's3cret'; "
            "CREATE USER 'nat'@'localhost' IDENTIFIED WITH mysql_native_password BY 'n4t'",
        )
        os.kill(process.pid, signal.SIGKILL)
        process.wait(10)
        output = process.stdout.read().decode(errors="replace")
        self.assertIn(f"as OS user {serverUser()}, log in with: mariadb -S {self.socket} -u root", output)
        os.remove(self.socket)
        self.start()
        self.assertEqual(
            self.mariadb("bob", "s3cret", "SELECT USER(), CURRENT_USER()").split(),
            ["bob@localhost", "bob@localhost"],
        )
        self.assertEqual(self.mariadb("nat", "n4t", "SELECT CURRENT_USER()").strip(), "nat@localhost")
        error = self.mariadb("bob", "wrong", "SELECT 1", expectError=True)
        self.assertIn(
            "ERROR 1045 (28000): Access denied for user 'bob'@'localhost' (using password: YES)", error
        )

    def test_transactions(self):
        """
        C{BEGIN}, C{START TRANSACTION}, C{COMMIT} and C{ROLLBACK} succeed
        (nothing is transactional), so PyMySQL's C{begin()}, C{commit()} and
        C{rollback()} work; C{COMMIT RELEASE} answers OK and closes.
        """
        try:
            import pymysql
        except ImportError:
            raise SkipTest("PyMySQL is not installed")
        self.start()
        self.assertEqual(
            self.mariadb(
                "root",
                None,
                "BEGIN; START TRANSACTION READ ONLY, WITH CONSISTENT SNAPSHOT; "
                "COMMIT WORK AND NO CHAIN; ROLLBACK; SELECT 1",
            ).strip(),
            "1",
        )
        conn = pymysql.connect(unix_socket=self.socket, user="root", connect_timeout=10, read_timeout=10)
        try:
            conn.begin()
            conn.commit()
            conn.rollback()
            with conn.cursor() as cursor:
                cursor.execute("SELECT CURRENT_USER()")
                self.assertEqual(cursor.fetchall(), (("root@localhost",),))
                cursor.execute("COMMIT RELEASE")
                with self.assertRaises(pymysql.err.OperationalError) as raised:
                    cursor.execute("SELECT 1")
                self.assertEqual(raised.exception.args[0], 2013)
        finally:
            try:
                conn.close()
            except pymysql.err.Error:
                pass

    def test_warnings(self):
        """
        The mariadb client shows the notes of C{DROP USER IF EXISTS} (the OK
        counts them, C{SHOW WARNINGS} lists them).
        """
        self.start()
        result = subprocess.run(
            [MARIADB, "--no-defaults", "-S", self.socket, "-u", "root", "--show-warnings", "-e",
             "DROP USER IF EXISTS 'nope'@'%'"],
            capture_output=True,
            timeout=30,
        )
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn(
            b"Note (Code 3162): Authorization ID 'nope'@'%' does not exist.",
            result.stdout + result.stderr,
        )

    def test_badOptionFile(self):
        """
        An unknown my.cnf option stops twistd at once with a message naming
        the file, the line and the option, and a non-zero status.
        """
        cnf = os.path.join(self.base, "my.cnf")
        with open(cnf, "w") as f:
            f.write("[mysqld]\nport=3306\nnot_an_option=1\n")
        result = subprocess.run(
            twistdCommand("--defaults-file", cnf),
            cwd=self.base,
            env=environment(),
            capture_output=True,
            timeout=60,
        )
        self.assertNotEqual(result.returncode, 0)
        self.assertIn(f"{cnf}:3: unknown option 'not_an_option'", (result.stdout + result.stderr).decode())

    def test_startFailsBeforeTheReactorRuns(self):
        """
        A failure found while twistd starts the service, before the reactor
        runs (a datadir that cannot be made, a TLS certificate that is not
        PEM), stops the server with status 1 and the reason; it used to
        log the error and keep running with nothing listening.
        """
        notADirectory = os.path.join(self.base, "file")
        with open(notADirectory, "w") as f:
            f.write("x")
        cases = [
            (["--datadir", notADirectory], "cannot create datadir"),
            (
                ["--datadir", self.datadir, "--tls-cert", notADirectory, "--tls-key", notADirectory],
                notADirectory,
            ),
        ]
        for extra, expected in cases:
            output = self.failingStart(*extra)
            self.assertIn("twistd mysqlauth could not start", output)
            self.assertIn(expected, output)

    def test_sighupReloads(self):
        """
        SIGHUP reloads the accounts, as mysqld's does (FLUSH PRIVILEGES),
        and the server keeps serving; it used to die of it.
        """
        import sqlite3

        process = self.start()
        self.mariadb("root", None, "CREATE USER 'hup'@'localhost' IDENTIFIED BY 'pw'")
        # An account written to the store behind the server's back (as a
        # restore of a backup would): unknown until the reload.
        store = sqlite3.connect(os.path.join(self.datadir, "accounts.sqlite3"))
        with store:
            store.execute(
                "INSERT INTO accounts SELECT 'hup2', host, plugin, auth_string, locked, "
                "privileges, grant_option FROM accounts WHERE user = 'hup'"
            )
        store.close()
        self.mariadb("hup2", "pw", "SELECT 1", expectError=True)
        os.kill(process.pid, signal.SIGHUP)
        deadline = time.monotonic() + 10
        while True:
            time.sleep(0.2)
            self.assertIsNone(process.poll())
            try:
                if self.mariadb("hup2", "pw", "SELECT CURRENT_USER()").strip() == "hup2@localhost":
                    break
            except AssertionError:
                self.assertLess(time.monotonic(), deadline, "hup2 cannot log in after SIGHUP")
        process.terminate()
        process.wait(10)
        output = process.stdout.read().decode(errors="replace")
        self.assertIn("SIGHUP: reloaded 3 accounts (FLUSH PRIVILEGES)", output)

    def tcpPort(self, process):
        """
        @return: the port C{tcp:0} got, from the server's log.
        """
        import re
        import select

        seen = b""
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            ready, _, _ = select.select([process.stdout], [], [], 0.5)
            if ready:
                chunk = os.read(process.stdout.fileno(), 65536)
                if not chunk:
                    break
                seen += chunk
                found = re.search(rb"listening on tcp:0\S* \(127\.0\.0\.1 port (\d+)\)", seen)
                if found:
                    self.startLog = seen
                    return int(found.group(1))
        self.fail("no TCP port in the log: " + seen.decode(errors="replace"))

    def tcpClient(self, user, password, sql, *options):
        result = subprocess.run(
            [MARIADB, "--no-defaults", "-h", "127.0.0.1", "-P", str(self.port), "-u", user,
             f"-p{password}", *options, "-N", "-B", "-e", sql],
            capture_output=True,
            timeout=30,
        )
        if result.returncode != 0:
            raise AssertionError(result.stderr.decode())
        return result.stdout.decode().strip()

    def test_tcpAndTLS(self):
        """
        Over TCP, with the listeners twistd makes by default (the prompt
        ports): TLS and plain logins of each password method, caching_sha2
        full authentication then its fast path, and a statement after each.
        """
        from twisted.internet import reactor

        from twisted_mysqlauth.server import whyNoPromptPorts

        process = self.start("--listen", "tcp:0:interface=127.0.0.1")
        self.port = self.tcpPort(process)
        if whyNoPromptPorts(reactor) is None:
            self.assertNotIn(b"listening with Twisted's stock ports", self.startLog)
        self.mariadb(
            "root",
            None,
            "CREATE USER 'sha2'@'%' IDENTIFIED BY 's2pw'; "
            "CREATE USER 'nat'@'%' IDENTIFIED WITH mysql_native_password BY 'natpw'; "
            "CREATE USER 'sha256'@'%' IDENTIFIED WITH sha256_password BY '256pw'",
        )
        tls = ("--ssl",)
        # Full authentication: the password in clear, so over TLS only.
        self.assertEqual(self.tcpClient("sha2", "s2pw", "SELECT CURRENT_USER()", *tls), "sha2@%")
        # Cached now: the fast path, over TLS and without.
        self.assertEqual(self.tcpClient("sha2", "s2pw", "SELECT CURRENT_USER()", *tls), "sha2@%")
        self.assertEqual(
            self.tcpClient("sha2", "s2pw", "SELECT CURRENT_USER()", "--skip-ssl"), "sha2@%"
        )
        self.assertEqual(self.tcpClient("nat", "natpw", "SELECT CURRENT_USER()", *tls), "nat@%")
        self.assertEqual(
            self.tcpClient("nat", "natpw", "SELECT CURRENT_USER()", "--skip-ssl"), "nat@%"
        )
        self.assertEqual(self.tcpClient("sha256", "256pw", "SELECT 1+1", *tls), "2")
        with self.assertRaises(AssertionError) as refused:
            self.tcpClient("nat", "wrong", "SELECT 1", "--skip-ssl")
        self.assertIn("ERROR 1045 (28000): Access denied for user 'nat'@'localhost'", str(refused.exception))

    def test_datadirInUse(self):
        """
        A second twistd on a datadir another one serves stops at once with
        status 1 and says so; the first keeps serving.
        """
        first = self.start()
        output = self.failingStart("--datadir", self.datadir, socket=self.socket + "2")
        self.assertIn(f"is in use by another server (pid {first.pid})", output)
        self.assertEqual(self.mariadb("root", None, "SELECT 1").strip(), "1")

    def failingStart(self, *extra, socket=None):
        """
        Run twistd that must fail to start: status 1, nothing listening on
        C{socket} (by default the test's socket).

        @return: its output.
        """
        socket = socket or self.socket
        result = subprocess.run(
            twistdCommand("--listen", f"unix:{socket}", *extra),
            cwd=self.base,
            env=environment(),
            capture_output=True,
            timeout=60,
        )
        output = (result.stdout + result.stderr).decode()
        self.assertEqual(result.returncode, 1, output)
        self.assertFalse(os.path.exists(socket))
        return output

    def test_failingInitFile(self):
        """
        An init file whose statement fails stops the server with a message
        naming the statement and MySQL's error, status 1, and nothing
        listening.
        """
        init = os.path.join(self.base, "init.sql")
        with open(init, "w") as f:
            f.write("CREATE USER 'x'@'%';\nCREATE USER 'x'@'%';\n")
        output = self.failingStart("--datadir", self.datadir, "--init-file", init)
        self.assertIn("statement 2: ERROR 1396 (HY000): Operation CREATE USER failed for 'x'@'%'", output)
