# -*- test-case-name: tests.test_socketauth_integration -*-
# Copyright (c) twisted_mysqlauth developers.
# See LICENSE for details.
"""
Socket authentication with real OS users, real clients and real sockets.

Each test creates the OS users C{valerie} and C{stephanie} of the MySQL
manual's example (and removes them afterwards, whatever happens), starts a
server in this process on a UNIX socket that other users can reach and on
TCP on 127.0.0.1, creates the manual's accounts with its statements, and
runs clients as those OS users: the C{mariadb} command-line client through
C{runuser}, and PyMySQL and mysql-connector-python in a Python process
that switches to the OS user before it connects.

Why the Python clients switch users themselves: this interpreter may live
where other users cannot reach it (under C{/root}, mode 0700, with
pyenv), so it cannot be started as C{valerie}. The client process starts
as root, imports its client library, then gives up root for good
(C{initgroups}, C{setgid}, C{setuid}: real, effective and saved ids) before
it opens its socket; the kernel records the credentials of the process
when it connects, so the server sees C{valerie} exactly as it would for a
process started by her. The process prints its ids, and the tests check
them.

This needs root (to create OS users and switch to them), C{useradd},
C{userdel}, C{groupadd}, C{groupdel}, C{usermod}, C{runuser} and the
C{mariadb} client; without them the tests are skipped, saying why.
"""

from __future__ import annotations

import fcntl
import grp
import json
import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from typing import Any, Dict, List, Optional

from twisted.internet import defer, endpoints, reactor
from twisted.internet.utils import getProcessOutputAndValue
from twisted.trial.unittest import SkipTest, TestCase

from tests.realclients import clientEnvironment, parseMariaDBOutput
from tests.test_peercred import runHowToExample
from twisted_mysqlauth import keys
from twisted_mysqlauth.accounts.directory import AccountManager
from twisted_mysqlauth.accounts.sqlite import SQLiteAccountStore
from twisted_mysqlauth.bootstrap import BootstrapSession
from twisted_mysqlauth.peercred import readPeerCredentials
from twisted_mysqlauth.protocol import MySQLServerProtocol
from twisted_mysqlauth.server import MySQLServerFactory
from twisted_mysqlauth.sql.executor import Executor
from twisted_mysqlauth.tap import MySQLAuthService, ServerSettings

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

TOOLS = {
    name: shutil.which(name)
    for name in ("useradd", "userdel", "usermod", "groupadd", "groupdel", "runuser")
}
MARIADB = shutil.which("mariadb")
NOLOGIN = shutil.which("nologin") or "/bin/false"

#: The GECOS field of the OS users these tests create: a user of the same
#: name without it is somebody's real account, never touched.
TEST_COMMENT = "twisted_mysqlauth test user (tests.test_socketauth_integration)"

#: The lock that keeps two runs of these tests from sharing the OS users.
LOCK_PATH = os.path.join(tempfile.gettempdir(), "twisted_mysqlauth-socketauth-tests.lock")

#: The group of the restricted-socket test.
TEST_GROUP = "mysqlauth-test-db"

#: The manual's statements, verbatim.
CREATE_VALERIE = "CREATE USER 'valerie'@'localhost' IDENTIFIED WITH auth_socket;"
ALTER_STEPHANIE = "ALTER USER 'valerie'@'localhost' IDENTIFIED WITH auth_socket AS 'stephanie';"
CREATE_WITH_STEPHANIE = (
    "CREATE USER 'valerie'@'localhost' IDENTIFIED WITH auth_socket AS 'stephanie';"
)

IDENTITY = "SELECT USER(), CURRENT_USER(), @@external_user"

#: MySQL's 1698 for valerie, as clients show it.
DENIED_VALERIE = "Access denied for user 'valerie'@'localhost'"

#: Seconds a client subprocess may take.
CLIENT_TIMEOUT = 20


def skipReason() -> Optional[str]:
    """
    Why these tests cannot run here, or L{None}.
    """
    if not sys.platform.startswith("linux"):
        return "real-user socket authentication tests run on Linux (SO_PEERCRED)"
    if os.geteuid() != 0:
        return (
            "these tests create the OS users valerie and stephanie and run clients as "
            "them: they need root (os.geteuid() is not 0)"
        )
    missing = sorted(name for name, path in TOOLS.items() if path is None)
    if missing:
        return "these tests need " + ", ".join(missing) + " to create and use OS users"
    if MARIADB is None:
        return "the mariadb client is not installed (apt-get install mariadb-client)"
    return None


def run(argv: List[str]) -> subprocess.CompletedProcess:
    """
    Run an administration command (useradd, ...) and fail loudly.
    """
    result = subprocess.run(argv, capture_output=True, timeout=30)
    if result.returncode != 0:
        raise AssertionError(
            f"{argv} exited with {result.returncode}: {result.stderr.decode(errors='replace')}"
        )
    return result


def passwdEntry(name: str) -> Optional[pwd.struct_passwd]:
    try:
        return pwd.getpwnam(name)
    except KeyError:
        return None


def groupEntry(name: str) -> Optional[grp.struct_group]:
    try:
        return grp.getgrnam(name)
    except KeyError:
        return None


def deleteOSUser(name: str) -> None:
    """
    Remove an OS user these tests created (and its personal group).
    """
    entry = passwdEntry(name)
    if entry is None or entry.pw_gecos != TEST_COMMENT:
        return
    run([TOOLS["userdel"], name])
    group = groupEntry(name)
    if group is not None and group.gr_gid == entry.pw_gid:
        run([TOOLS["groupdel"], name])


def lockOSUsers(testCase: TestCase) -> None:
    """
    Take the machine-wide lock of these tests until the test ends: two
    runs at once (two people running the suite on one machine) would
    otherwise create and delete the same OS users under each other.

    @raise SkipTest: when another run holds it for two minutes.
    """
    fd = os.open(LOCK_PATH, os.O_RDWR | os.O_CREAT, 0o600)
    deadline = time.monotonic() + 120
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            break
        except BlockingIOError:
            if time.monotonic() > deadline:
                os.close(fd)
                raise SkipTest(f"another run of these tests holds {LOCK_PATH}")
            time.sleep(0.1)
    # Closing the descriptor releases the lock: the first cleanup added is
    # the last to run, after the OS users are gone.
    testCase.addCleanup(os.close, fd)


def createOSUser(testCase: TestCase, name: str) -> pwd.struct_passwd:
    """
    Create the OS user C{name} (no home, no login shell, a group of the same
    name) and remove it when the test ends, whether it passes or not. A user
    left over by a crashed run (recognised by L{TEST_COMMENT}) is removed
    first; any other user of that name is left alone and the test skipped.
    """
    existing = passwdEntry(name)
    if existing is not None:
        if existing.pw_gecos != TEST_COMMENT:
            raise SkipTest(
                f"an OS user {name!r} exists that these tests did not create; not touching it"
            )
        deleteOSUser(name)
    if groupEntry(name) is not None:
        raise SkipTest(f"an OS group {name!r} exists without its user; not touching it")
    run(
        [
            TOOLS["useradd"],
            "--no-create-home",
            "--shell",
            NOLOGIN,
            "--user-group",
            "--comment",
            TEST_COMMENT,
            name,
        ]
    )
    testCase.addCleanup(deleteOSUser, name)
    return pwd.getpwnam(name)


def reachableFolder(prefix: str) -> str:
    """
    A new folder with a short path (AF_UNIX paths are limited to 107
    bytes), mode 0755 so that every OS user can reach what is inside.
    """
    folder = tempfile.mkdtemp(prefix=prefix)
    os.chmod(folder, 0o755)
    return folder


#: The program a Python client runs: see the module docstring. Its argument
#: is a JSON spec: {"library": "pymysql" | "connector" | "connector-c", "osUser": name,
#: "attempts": [{"connect": {keyword arguments of connect()}}, ...]}.
CLIENT_PROGRAM = r"""
import json, os, pwd, ssl, sys
import encodings.idna  # host names are encoded with it: import it while we can

QUERY = "SELECT USER(), CURRENT_USER(), @@external_user"


def dropTo(name):
    entry = pwd.getpwnam(name)
    os.initgroups(name, entry.pw_gid)
    os.setgid(entry.pw_gid)
    os.setuid(entry.pw_uid)
    os.chdir("/")
    os.environ.update(HOME="/", USER=name, LOGNAME=name)


def failure(e):
    args = getattr(e, "args", ())
    errno, msg = getattr(e, "errno", None), getattr(e, "msg", None)
    if errno is None and len(args) >= 2 and isinstance(args[0], int):
        errno, msg = args[0], args[1]
    return {"ok": False, "errno": errno, "sqlstate": getattr(e, "sqlstate", None),
            "msg": str(msg if msg is not None else e), "type": type(e).__name__}


def main():
    spec = json.loads(sys.argv[1])
    try:
        if spec["library"] == "pymysql":
            import pymysql, pymysql.connections, pymysql.err
            connect = pymysql.connect
            usesTLS = lambda c: isinstance(c._sock, ssl.SSLSocket)
        elif spec["library"] == "connector-c":
            import mysql.connector
            import mysql.connector.locales.eng.client_error
            if not mysql.connector.HAVE_CEXT:
                raise ImportError("its C extension does not load")
            connect = lambda **kw: mysql.connector.connect(use_pure=False, **kw)
            usesTLS = lambda c: bool(c._cmysql.get_ssl_cipher())
        else:
            import mysql.connector
            import mysql.connector.connection
            import mysql.connector.plugins.caching_sha2_password
            import mysql.connector.plugins.mysql_native_password
            import mysql.connector.locales.eng.client_error
            connect = lambda **kw: mysql.connector.connect(use_pure=True, **kw)
            usesTLS = lambda c: isinstance(getattr(c._socket, "sock", None), ssl.SSLSocket)
    except ImportError as e:
        print(json.dumps({"unavailable": f"{spec['library']} cannot be imported: {e}"}))
        return
    dropTo(spec["osUser"])
    try:
        os.setuid(0)
    except PermissionError:
        pass
    else:
        raise SystemExit("still able to become root")
    results = []
    for attempt in spec["attempts"]:
        try:
            conn = connect(**attempt["connect"])
        except Exception as e:
            results.append(failure(e))
            continue
        try:
            cursor = conn.cursor()
            cursor.execute(QUERY)
            rows = [[v.decode() if isinstance(v, (bytes, bytearray)) else v for v in row]
                    for row in cursor.fetchall()]
            results.append({"ok": True, "rows": rows, "tls": usesTLS(conn)})
        except Exception as e:
            results.append(failure(e))
        finally:
            try:
                conn.close()
            except Exception:
                pass
    print(json.dumps({"uid": os.getuid(), "euid": os.geteuid(), "gid": os.getgid(),
                      "results": results}))


main()
"""

#: A client that connects to a UNIX socket as an OS user, sends lines and
#: prints what comes back (for the how-to's whoami service).
LINE_CLIENT_PROGRAM = r"""
import os, pwd, socket, sys
name, path = sys.argv[1], sys.argv[2]
entry = pwd.getpwnam(name)
os.initgroups(name, entry.pw_gid)
os.setgid(entry.pw_gid)
os.setuid(entry.pw_uid)
sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
sock.settimeout(10)
sock.connect(path)
sock.sendall("".join(line + "\n" for line in sys.argv[3:]).encode())
sock.shutdown(socket.SHUT_WR)
received = b""
while True:
    data = sock.recv(4096)
    if not data:
        break
    received += data
sys.stdout.write(received.decode())
"""

#: A process that switches to an OS user with extra groups, connects to a
#: UNIX socket and waits until the other side closes.
PEER_PROGRAM = r"""
import os, pwd, socket, sys
name, path, extra = sys.argv[1], sys.argv[2], int(sys.argv[3])
entry = pwd.getpwnam(name)
os.setgroups([entry.pw_gid, extra])
os.setgid(entry.pw_gid)
os.setuid(entry.pw_uid)
sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
sock.settimeout(10)
sock.connect(path)
sock.recv(1)
"""

#: The TLS certificate and key, made once for the module.
_tlsFiles: Dict[str, bytes] = {}


def tlsOptionsIn(folder: str):
    """
    Write (the first time, generate) a self-signed certificate and its key
    in C{folder}; the certificate is world-readable (a client's CA file).

    @return: (the server's TLS options, the certificate's path)
    """
    certPath = os.path.join(folder, "server-cert.pem")
    keyPath = os.path.join(folder, "server-key.pem")
    for path, mode in ((certPath, 0o644), (keyPath, 0o600)):
        data = _tlsFiles.get(os.path.basename(path))
        if data is not None:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
            with os.fdopen(fd, "wb") as f:
                f.write(data)
    certificate = keys.loadOrCreateTLSCertificate(certPath, keyPath)
    os.chmod(certPath, 0o644)
    for path in (certPath, keyPath):
        with open(path, "rb") as f:
            _tlsFiles[os.path.basename(path)] = f.read()
    return keys.serverTLSOptions(certificate), certPath


class TrackedServerProtocol(MySQLServerProtocol):
    """
    The server protocol, remembering its connections so that a test can
    wait for them to close before it ends.
    """

    closed = False

    def connectionMade(self) -> None:
        self._closeWaiters: List[defer.Deferred] = []
        self.factory.connections.append(self)
        super().connectionMade()

    def connectionLost(self, reason=None) -> None:
        try:
            super().connectionLost(reason)
        finally:
            self.closed = True
            waiters, self._closeWaiters = self._closeWaiters, []
            for waiter in waiters:
                waiter.callback(None)

    def whenClosed(self) -> defer.Deferred:
        if self.closed:
            return defer.succeed(None)
        d: defer.Deferred = defer.Deferred()
        self._closeWaiters.append(d)
        return d


def waitForConnections(factory: Any) -> defer.Deferred:
    """
    Wait for the server side of every connection of C{factory} to close
    (the clients have exited, but the reactor may not have seen it yet);
    abort those still open after 5 seconds.
    """
    live = [c for c in getattr(factory, "connections", []) if not c.closed]
    if not live:
        return defer.succeed(None)

    def abort() -> None:
        for connection in live:
            if not connection.closed:
                connection.transport.abortConnection()

    timer = reactor.callLater(5, abort)

    def done(result: Any) -> Any:
        if timer.active():
            timer.cancel()
        return result

    return defer.DeferredList([c.whenClosed() for c in live]).addBoth(done)


def trackConnections(factory: Any) -> None:
    factory.protocol = TrackedServerProtocol
    factory.connections = []


class SocketAuthIntegrationTests(TestCase):
    """
    The manual's example with real OS users and real clients.

    @ivar socketPath: the server's UNIX socket (in a 0755 folder, mode
        0666).
    @ivar port: its TCP port on 127.0.0.1.
    @ivar users: the C{pwd} entries of valerie and stephanie.
    """

    skip = skipReason()

    @defer.inlineCallbacks
    def setUp(self) -> Any:
        lockOSUsers(self)
        self.users = {name: createOSUser(self, name) for name in ("valerie", "stephanie")}
        self.folder = reachableFolder("mysqlauth-")
        self.addCleanup(shutil.rmtree, self.folder, True)
        tlsOptions, self.certPath = tlsOptionsIn(self.folder)

        private = os.path.abspath(self.mktemp())
        os.makedirs(private)
        store = SQLiteAccountStore(os.path.join(private, "accounts.sqlite3"), reactor)
        self.addCleanup(store.close)
        self.accounts = AccountManager(store)
        yield self.accounts.start()
        self.factory = MySQLServerFactory.forAccounts(
            self.accounts, reactor, tlsOptions=tlsOptions
        )
        trackConnections(self.factory)
        self.executor = Executor(self.factory.config)

        self.socketPath = os.path.join(self.folder, "mysqld.sock")
        unixPort = reactor.listenUNIX(self.socketPath, self.factory)
        self.addCleanup(unixPort.stopListening)
        tcpPort = reactor.listenTCP(0, self.factory, interface="127.0.0.1")
        self.addCleanup(tcpPort.stopListening)
        self.port = tcpPort.getHost().port
        self.addCleanup(waitForConnections, self.factory)

        yield self.sql(CREATE_VALERIE)

    # helpers

    def sql(self, statement: str) -> defer.Deferred:
        """
        Run a statement with every privilege, as the init file does.
        """
        return defer.ensureDeferred(self.executor.run(statement, BootstrapSession()))

    @defer.inlineCallbacks
    def mariadb(self, osUser: Optional[str], *args: str) -> Any:
        """
        Run C{mariadb --no-defaults --batch --skip-column-names ARGS} as
        C{osUser} (through C{runuser}), or as this process's user for
        L{None}.

        @return: the result of L{parseMariaDBOutput} plus C{"stderr"}.
        """
        argv = [
            MARIADB,
            "--no-defaults",
            "--batch",
            "--skip-column-names",
            "--connect-timeout=10",
            *args,
        ]
        if osUser is not None:
            argv = [TOOLS["runuser"], "-u", osUser, "--", *argv]
        env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C"}
        out, err, code = yield getProcessOutputAndValue(
            argv[0], argv[1:], env=env, path="/", reactor=reactor
        )
        out, err = out.decode("utf-8", "replace"), err.decode("utf-8", "replace")
        result = parseMariaDBOutput(out, err, code)
        result["stderr"] = err
        return result

    def overSocket(self, *more: str) -> List[str]:
        return ["-S", self.socketPath, *more]

    def overTCP(self, *more: str) -> List[str]:
        return ["-h", "127.0.0.1", "-P", str(self.port), *more]

    @defer.inlineCallbacks
    def python(self, library: str, osUser: str, attempts: List[Dict[str, Any]]) -> Any:
        """
        Run L{CLIENT_PROGRAM} with C{library} as C{osUser}.

        @return: its results; the test is skipped if the library is not
            installed.
        """
        spec = {"library": library, "osUser": osUser, "attempts": attempts}
        out, err, code = yield getProcessOutputAndValue(
            sys.executable,
            ["-c", CLIENT_PROGRAM, json.dumps(spec)],
            env=clientEnvironment(library),
            path="/",
            reactor=reactor,
        )
        if code != 0:
            self.fail(f"{library} client exited with {code}: {err.decode(errors='replace')}")
        output = json.loads(out.decode("utf-8").strip().splitlines()[-1])
        if "unavailable" in output:
            raise SkipTest(output["unavailable"])
        entry = self.users[osUser]
        self.assertEqual(
            (output["uid"], output["euid"], output["gid"]), (entry.pw_uid, entry.pw_uid, entry.pw_gid)
        )
        return output["results"]

    def assertIdentity(self, result: Dict[str, Any], user: str, external: str) -> None:
        """
        Assert a login whose USER(), CURRENT_USER() and @@external_user are
        C{user}@localhost, C{user}@localhost and C{external}.
        """
        self.assertTrue(result.get("ok"), result)
        self.assertEqual(
            result["rows"], [[f"{user}@localhost", f"{user}@localhost", external]], result
        )

    def assertDenied(self, result: Dict[str, Any], user: str = "valerie") -> None:
        """
        Assert MySQL's refusal of an auth_socket login: 1698 (28000)
        "Access denied for user 'user'@'localhost'".
        """
        self.assertFalse(result.get("ok"), result)
        self.assertEqual(
            (result["errno"], result["sqlstate"], result["msg"]),
            (1698, "28000", f"Access denied for user '{user}'@'localhost'"),
            result,
        )

    # the manual's four cases, with the mariadb client

    @defer.inlineCallbacks
    def test_valerieAsValerie(self) -> Any:
        """
        The OS user valerie logs in as valerie over the socket with no
        password: USER(), CURRENT_USER() and @@external_user are
        valerie@localhost, valerie@localhost and valerie. Without C{-u} the
        client sends her OS name and gets the same.
        """
        result = yield self.mariadb("valerie", *self.overSocket("-u", "valerie", "-e", IDENTITY))
        self.assertIdentity(result, "valerie", "valerie")
        result = yield self.mariadb("valerie", *self.overSocket("-e", IDENTITY))
        self.assertIdentity(result, "valerie", "valerie")

    @defer.inlineCallbacks
    def test_stephanieAsValerieRefused(self) -> Any:
        """
        The OS user stephanie with C{--user=valerie} is refused: C{ERROR 1698
        (28000): Access denied for user 'valerie'@'localhost'}.
        """
        result = yield self.mariadb("stephanie", *self.overSocket("--user=valerie", "-e", IDENTITY))
        self.assertDenied(result)
        self.assertIn(f"ERROR 1698 (28000): {DENIED_VALERIE}", result["stderr"])

    @defer.inlineCallbacks
    def test_alterUserLetsStephanieIn(self) -> Any:
        """
        After C{ALTER USER 'valerie'@'localhost' IDENTIFIED WITH auth_socket
        AS 'stephanie'} stephanie logs in as valerie (@@external_user is
        stephanie), and valerie still does (as valerie).
        """
        result = yield self.mariadb("stephanie", *self.overSocket("--user=valerie", "-e", IDENTITY))
        self.assertDenied(result)
        yield self.sql(ALTER_STEPHANIE)
        result = yield self.mariadb("stephanie", *self.overSocket("--user=valerie", "-e", IDENTITY))
        self.assertIdentity(result, "valerie", "stephanie")
        result = yield self.mariadb("valerie", *self.overSocket("--user=valerie", "-e", IDENTITY))
        self.assertIdentity(result, "valerie", "valerie")

    @defer.inlineCallbacks
    def test_tcpRefused(self) -> Any:
        """
        valerie over TCP (C{-h 127.0.0.1 -P port}) is refused with 1698, even
        with the account naming her; the TCP port itself works (a password
        account logs in over it).
        """
        yield self.sql(
            "CREATE USER 'app'@'localhost' IDENTIFIED WITH mysql_native_password BY 'app-pw'"
        )
        result = yield self.mariadb("valerie", *self.overTCP("-u", "valerie", "-e", IDENTITY))
        self.assertDenied(result)
        self.assertIn(f"ERROR 1698 (28000): {DENIED_VALERIE}", result["stderr"])
        yield self.sql(ALTER_STEPHANIE)
        result = yield self.mariadb("stephanie", *self.overTCP("-u", "valerie", "-e", IDENTITY))
        self.assertDenied(result)
        result = yield self.mariadb(
            "valerie", *self.overTCP("-u", "app", "--password=app-pw", "-e", IDENTITY)
        )
        self.assertTrue(result["ok"], result)
        self.assertEqual(result["rows"], [["app@localhost", "app@localhost", "NULL"]])

    @defer.inlineCallbacks
    def test_createWithAs(self) -> Any:
        """
        C{CREATE USER 'valerie'@'localhost' IDENTIFIED WITH auth_socket AS
        'stephanie';} lets both OS users in as valerie at once.
        """
        yield self.sql("DROP USER 'valerie'@'localhost'")
        yield self.sql(CREATE_WITH_STEPHANIE)
        for osUser in ("valerie", "stephanie"):
            result = yield self.mariadb(osUser, *self.overSocket("--user=valerie", "-e", IDENTITY))
            self.assertIdentity(result, "valerie", osUser)

    @defer.inlineCallbacks
    def test_mariaDBUnixSocket(self) -> Any:
        """
        An account made with MariaDB's C{IDENTIFIED VIA unix_socket} lets its
        OS user in and refuses another.
        """
        yield self.sql("DROP USER 'valerie'@'localhost'")
        yield self.sql("CREATE USER 'valerie'@'localhost' IDENTIFIED VIA unix_socket")
        result = yield self.mariadb("valerie", *self.overSocket("-u", "valerie", "-e", IDENTITY))
        self.assertIdentity(result, "valerie", "valerie")
        result = yield self.mariadb("stephanie", *self.overSocket("-u", "valerie", "-e", IDENTITY))
        self.assertDenied(result)

    # Python clients

    @defer.inlineCallbacks
    def test_pymysql(self) -> Any:
        """
        PyMySQL, called as the how-to shows (C{unix_socket} and C{user}, no
        password), in the manual's four cases; and with TLS required over
        the socket (the credentials were read before TLS): valerie in,
        stephanie refused. A password PyMySQL sends anyway is ignored.
        """
        plain = {"connect": {"unix_socket": self.socketPath, "user": "valerie"}}
        tls = {
            "connect": {
                "unix_socket": self.socketPath,
                "user": "valerie",
                "ssl": {"ca": self.certPath, "check_hostname": False},
            }
        }
        tcp = {"connect": {"host": "127.0.0.1", "port": self.port, "user": "valerie"}}
        password = {
            "connect": {"unix_socket": self.socketPath, "user": "valerie", "password": "pw"}
        }
        asValerie, asStephanie = yield defer.gatherResults(
            [
                self.python("pymysql", "valerie", [plain, tls, tcp, password]),
                self.python("pymysql", "stephanie", [plain, tls]),
            ]
        )
        self.assertIdentity(asValerie[0], "valerie", "valerie")
        self.assertIdentity(asValerie[1], "valerie", "valerie")
        self.assertTrue(asValerie[1]["tls"], asValerie[1])
        self.assertDenied(asValerie[2])
        self.assertIdentity(asValerie[3], "valerie", "valerie")
        self.assertDenied(asStephanie[0])
        self.assertDenied(asStephanie[1])
        yield self.sql(ALTER_STEPHANIE)
        asStephanie = yield self.python("pymysql", "stephanie", [plain, tls])
        self.assertIdentity(asStephanie[0], "valerie", "stephanie")
        self.assertIdentity(asStephanie[1], "valerie", "stephanie")
        self.assertTrue(asStephanie[1]["tls"], asStephanie[1])

    @defer.inlineCallbacks
    def test_mysqlConnectorPure(self) -> Any:
        """
        mysql-connector-python (pure Python), called as the how-to shows:
        valerie in over the socket (a password it sends anyway is
        ignored), refused over TCP; stephanie refused, then in after
        C{ALTER USER ... AS 'stephanie'}.
        """
        plain = {"connect": {"unix_socket": self.socketPath, "user": "valerie"}}
        tcp = {"connect": {"host": "127.0.0.1", "port": self.port, "user": "valerie"}}
        password = {
            "connect": {"unix_socket": self.socketPath, "user": "valerie", "password": "pw"}
        }
        asValerie, asStephanie = yield defer.gatherResults(
            [
                self.python("connector", "valerie", [plain, tcp, password]),
                self.python("connector", "stephanie", [plain]),
            ]
        )
        self.assertIdentity(asValerie[0], "valerie", "valerie")
        self.assertDenied(asValerie[1])
        self.assertIdentity(asValerie[2], "valerie", "valerie")
        self.assertDenied(asStephanie[0])
        yield self.sql(ALTER_STEPHANIE)
        (result,) = yield self.python("connector", "stephanie", [plain])
        self.assertIdentity(result, "valerie", "stephanie")

    @defer.inlineCallbacks
    def test_mysqlConnectorC(self) -> Any:
        """
        mysql-connector-python with its C extension (libmysqlclient's
        handling of the login): valerie in over the socket, with or
        without a password sent, refused over TCP; stephanie refused.
        """
        plain = {"connect": {"unix_socket": self.socketPath, "user": "valerie"}}
        tcp = {"connect": {"host": "127.0.0.1", "port": self.port, "user": "valerie"}}
        password = {
            "connect": {"unix_socket": self.socketPath, "user": "valerie", "password": "pw"}
        }
        asValerie, asStephanie = yield defer.gatherResults(
            [
                self.python("connector-c", "valerie", [plain, tcp, password]),
                self.python("connector-c", "stephanie", [plain]),
            ]
        )
        self.assertIdentity(asValerie[0], "valerie", "valerie")
        self.assertDenied(asValerie[1])
        self.assertIdentity(asValerie[2], "valerie", "valerie")
        self.assertDenied(asStephanie[0])

    # the kernel, the socket's permissions, the first start

    def test_peerCredentialsOfAnotherUser(self) -> None:
        """
        L{readPeerCredentials} on a socket accepted from a process running
        as valerie with an extra group: her uid and gid, the process's pid,
        and exactly its groups (from C{SO_PEERGROUPS}).
        """
        valerie, stephanie = self.users["valerie"], self.users["stephanie"]
        path = os.path.join(self.folder, "peer.sock")
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.addCleanup(listener.close)
        listener.bind(path)
        os.chmod(path, 0o666)
        listener.listen(1)
        listener.settimeout(CLIENT_TIMEOUT)
        process = subprocess.Popen(
            [sys.executable, "-c", PEER_PROGRAM, "valerie", path, str(stephanie.pw_gid)],
            cwd="/",
        )
        self.addCleanup(process.wait, CLIENT_TIMEOUT)
        connection, address = listener.accept()
        try:
            peer = readPeerCredentials(connection)
        finally:
            connection.close()
        self.assertEqual(
            (peer.uid, peer.gid, peer.pid), (valerie.pw_uid, valerie.pw_gid, process.pid)
        )
        self.assertEqual(sorted(peer.groups), sorted({valerie.pw_gid, stephanie.pw_gid}))

    @defer.inlineCallbacks
    def test_socketRestrictedToGroup(self) -> Any:
        """
        The how-to's restriction: a set-group-id directory 2750 of a group,
        and C{--listen unix:...:mode=660}. The socket gets the directory's
        group and mode 0660; valerie, a member, logs in; stephanie cannot
        even connect (C{ERROR 2002 ... (13)}, permission denied).
        """
        existing = groupEntry(TEST_GROUP)
        if existing is not None:
            run([TOOLS["groupdel"], TEST_GROUP])
        run([TOOLS["groupadd"], TEST_GROUP])
        self.addCleanup(run, [TOOLS["groupdel"], TEST_GROUP])
        run([TOOLS["usermod"], "-a", "-G", TEST_GROUP, "valerie"])
        gid = grp.getgrnam(TEST_GROUP).gr_gid

        parent = reachableFolder("mysqlauth-")
        self.addCleanup(shutil.rmtree, parent, True)
        folder = os.path.join(parent, "run")
        os.mkdir(folder)
        os.chown(folder, 0, gid)
        os.chmod(folder, 0o2750)
        path = os.path.join(folder, "mysqld.sock")
        port = yield endpoints.serverFromString(reactor, f"unix:{path}:mode=660").listen(
            self.factory
        )
        self.addCleanup(port.stopListening)
        status = os.stat(path)
        self.assertEqual((status.st_mode & 0o7777, status.st_gid), (0o660, gid))

        result = yield self.mariadb("valerie", "-S", path, "-u", "valerie", "-e", IDENTITY)
        self.assertIdentity(result, "valerie", "valerie")
        result = yield self.mariadb("stephanie", "-S", path, "-u", "valerie", "-e", IDENTITY)
        self.assertFalse(result["ok"], result)
        self.assertEqual(
            result["stderr"].strip(),
            f"ERROR 2002 (HY000): Can't connect to local server through socket '{path}' (13)",
        )

    @defer.inlineCallbacks
    def test_firstStartRootBySocket(self) -> Any:
        """
        A server started on an empty datadir (L{MySQLAuthService}, the
        service of C{twistd mysqlauth}) lets the OS user running it (root)
        in as root over its default socket with no password; the datadir is
        0711 and the socket 0666, so valerie reaches it too, and is refused
        as root with 1698.
        """
        parent = reachableFolder("mysqlauth-")
        self.addCleanup(shutil.rmtree, parent, True)
        datadir = os.path.join(parent, "data")
        settings = ServerSettings(datadir=datadir, port=0, bindAddress="127.0.0.1")
        service = MySQLAuthService(settings, reactor, stopReactorOnFailure=False)
        service.startService()
        self.addCleanup(service.stopService)
        yield service.started
        trackConnections(service.factory)
        self.addCleanup(waitForConnections, service.factory)

        socketPath = os.path.join(datadir, "mysqld.sock")
        self.assertEqual(os.stat(datadir).st_mode & 0o777, 0o711)
        self.assertEqual(os.stat(socketPath).st_mode & 0o777, 0o666)
        serverUser = pwd.getpwuid(os.geteuid()).pw_name

        result = yield self.mariadb(None, "-S", socketPath, "-u", "root", "-e", IDENTITY)
        self.assertIdentity(result, "root", serverUser)
        result = yield self.mariadb("valerie", "-S", socketPath, "-u", "root", "-e", IDENTITY)
        self.assertDenied(result, "root")

    def test_howToWhoAmI(self) -> None:
        """
        The how-to's C{whoami.py} (a non-MySQL Twisted service on a UNIX
        endpoint) answers each OS user with its own name.
        """
        folder = reachableFolder("whoami-")
        self.addCleanup(shutil.rmtree, folder, True)
        process, path = runHowToExample(self, folder)
        for name in ("valerie", "stephanie"):
            result = subprocess.run(
                [sys.executable, "-c", LINE_CLIENT_PROGRAM, name, path, "whoami", "echo me"],
                capture_output=True,
                timeout=CLIENT_TIMEOUT,
                cwd="/",
            )
            self.assertEqual(result.returncode, 0, result.stderr)
            self.assertEqual(result.stdout.decode(), f"{name}\necho me\n")
        socat = shutil.which("socat")
        if socat is not None:
            result = subprocess.run(
                [TOOLS["runuser"], "-u", "valerie", "--", socat, "-", f"UNIX-CONNECT:{path}"],
                input=b"whoami\n",
                capture_output=True,
                timeout=CLIENT_TIMEOUT,
                cwd="/",
            )
            self.assertEqual(result.stdout, b"valerie\n", result.stderr)
