# -*- test-case-name: tests.test_pam_integration -*-
# Copyright (c) twisted_mysqlauth developers.
# See LICENSE for details.
"""
PAM logins with real PAM, real OS users and real clients over real
sockets: C{authentication_pam} through C{mysql_clear_password} (PyMySQL,
mysql-connector-python pure and with its C extension, the C{mariadb}
client) and MariaDB's C{pam} through C{dialog} (the C{mariadb} client,
PyMySQL), over TLS and over the UNIX socket; plain TCP refused before the
password is sent; group mapping to proxied accounts; a module that renames
the PAM user; an expired OS account; a stack asking a second question; a
stack held inside PAM while other logins go on; a hanging stack cut off at
the login timeout.

The PAM service files live in a folder of each test (read with
C{pam_start_confdir}); the stacks use C{pam_unix} (the OS password and
account) and the test module C{tests/pam/pam_mysqlauth_test.c}. The OS
users and groups are created and removed by each test; this needs root
(see L{tests.pamtools}) and is skipped, saying why, without it.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from typing import Any, Dict, List, Optional

from twisted.internet import defer, reactor
from twisted.internet.protocol import ProcessProtocol
from twisted.internet.task import deferLater
from twisted.trial.unittest import SkipTest

from tests import pamtools, realclients, test_proxy_integration
from tests import test_socketauth_integration as osusers
from twisted_mysqlauth.auth.pam import AuthenticationPAMMethod, MariaDBPAMMethod, PAMMethod
from twisted_mysqlauth.auth.registry import MethodRegistry, discoverMethods
from twisted_mysqlauth.testing import MySQLTestClient

IDENTITY = "SELECT USER(), CURRENT_USER(), @@proxy_user, @@external_user"

#: The OS users of these tests and their passwords.
ALICE, ALICE_PASSWORD = "pamalice", "Al1ce-pam-pw"
BOB, BOB_PASSWORD = "pambob", "B0b-pam-pw"

#: A folder for the test module, built once per run.
_moduleFolder: Dict[str, str] = {}


def testModule() -> str:
    """
    @return: the path of the built test PAM module (built on first use).
    """
    if "path" not in _moduleFolder:
        folder = tempfile.mkdtemp(prefix="mysqlauth-pammod-")
        os.chmod(folder, 0o755)
        _moduleFolder["path"] = pamtools.buildTestModule(folder)
    return _moduleFolder["path"]


def denied(user: str, using: str = "YES") -> str:
    return f"Access denied for user '{user}'@'localhost' (using password: {using})"


class _Collect(ProcessProtocol):
    def __init__(self, stdin: bytes) -> None:
        self.stdin = stdin
        self.out = b""
        self.err = b""
        self.done: defer.Deferred = defer.Deferred()

    def connectionMade(self) -> None:
        self.transport.write(self.stdin)
        self.transport.closeStdin()

    def outReceived(self, data: bytes) -> None:
        self.out += data

    def errReceived(self, data: bytes) -> None:
        self.err += data

    def processEnded(self, reason: Any) -> None:
        self.done.callback(
            (
                self.out.decode("utf-8", "replace"),
                self.err.decode("utf-8", "replace"),
                reason.value.exitCode,
            )
        )


def runMariaDBWithInput(args: List[str], stdin: bytes) -> defer.Deferred:
    """
    Run the C{mariadb} client with C{stdin} as its input (the answers to
    the questions it cannot answer itself).
    """
    protocol = _Collect(stdin)
    argv = [realclients.MARIADB, "--no-defaults", "--batch", "--skip-column-names"] + args
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": "/"}
    reactor.spawnProcess(protocol, argv[0], argv, env=env)
    return protocol.done


class PAMServerTestCase(test_proxy_integration.ProxyServerTestCase):
    """
    A server with fresh C{authentication_pam} and C{pam} methods whose PAM
    service files are in the test's own folder; the OS users C{pamalice}
    and C{pambob} exist with passwords.

    @ivar pamDir: the folder of PAM service files (service C{mysqlauth}:
        pam_unix).
    """

    #: Keyword arguments of both PAM methods.
    pamOptions: Dict[str, Any] = {}

    #: Groups of alice and of bob.
    aliceGroups: List[str] = []
    bobGroups: List[str] = []

    @defer.inlineCallbacks
    def setUp(self):
        reason = pamtools.osUsersReason()
        if reason is not None:
            raise SkipTest(reason)
        if not os.path.exists(realclients.MARIADB):
            raise SkipTest(f"the mariadb client ({realclients.MARIADB}) is not installed")
        osusers.lockOSUsers(self)
        self.pamDir = tempfile.mkdtemp(prefix="mysqlauth-pam-")
        self.addCleanup(shutil.rmtree, self.pamDir, True)
        pamtools.writeService(self.pamDir, "mysqlauth", pamtools.UNIX_STACK)
        pamtools.createOSUser(self, ALICE, ALICE_PASSWORD, self.aliceGroups)
        pamtools.createOSUser(self, BOB, BOB_PASSWORD, self.bobGroups)
        options = dict(configDirectory=self.pamDir, reactor=reactor)
        options.update(self.pamOptions)
        self.authenticationPAM = AuthenticationPAMMethod(**options)
        self.mariadbPAM = MariaDBPAMMethod(**options)
        for method in (self.authenticationPAM, self.mariadbPAM):
            self.addCleanup(method.shutdown)
        methods = [m for m in discoverMethods() if not isinstance(m, PAMMethod)]
        self.serverOptions = dict(
            self.serverOptions,
            methods=MethodRegistry(methods + [self.authenticationPAM, self.mariadbPAM]),
        )
        yield super().setUp()

    def python(self, client: str, *attempts: Dict[str, Any], environment: Any = None):
        spec = {"client": client, "attempts": list(attempts), "environment": environment or {}}
        return self.runClient(spec).addCallback(lambda output: output["results"])

    def assertIdentity(self, result: Dict[str, Any], row: List[Any]) -> None:
        if not result.get("ok"):
            self.fail(f"the login failed: {result}")
        self.assertEqual(result["rows"], [row], result)


class ClearPasswordTests(PAMServerTestCase):
    """
    C{authentication_pam} with C{mysql_clear_password} clients.
    """

    statements = (
        f"CREATE USER '{ALICE}'@'localhost' IDENTIFIED WITH authentication_pam AS 'mysqlauth'",
    )

    @defer.inlineCallbacks
    def test_pymysql(self):
        """
        PyMySQL logs in over the UNIX socket and over TLS with the OS
        password; a wrong password is refused with 1045.
        """
        results = yield self.python(
            "pymysql",
            self.attempt(ALICE, ALICE_PASSWORD, via="unix", query=IDENTITY),
            self.attempt(ALICE, ALICE_PASSWORD, tls=True, query=IDENTITY),
            self.attempt(ALICE, "not-" + ALICE_PASSWORD, via="unix", query=IDENTITY),
        )
        row = [f"{ALICE}@localhost", f"{ALICE}@localhost", None, ALICE]
        self.assertIdentity(results[0], row)
        self.assertIdentity(results[1], row)
        self.assertEqual((results[2]["errno"], results[2]["msg"]), (1045, denied(ALICE)))

    @defer.inlineCallbacks
    def test_connector(self):
        """
        mysql-connector-python logs in: with its C extension (cleartext
        plugin enabled through C{LIBMYSQL_ENABLE_CLEARTEXT_PLUGIN}, refused
        by libmysqlclient itself without it) over the socket and TLS; pure
        over TLS (it refuses to send a cleartext password over the socket
        itself).
        """
        row = [f"{ALICE}@localhost", f"{ALICE}@localhost", None, ALICE]
        for client in ("connector-pure", "connector-c"):
            results = yield self.python(
                client,
                self.attempt(ALICE, ALICE_PASSWORD, via="unix", query=IDENTITY),
                self.attempt(ALICE, ALICE_PASSWORD, tls=True, query=IDENTITY),
                self.attempt(ALICE, "wrong", tls=True, query=IDENTITY),
                environment={"LIBMYSQL_ENABLE_CLEARTEXT_PLUGIN": "1"},
            )
            if client == "connector-pure":
                # Connector/Python's own rule: cleartext only over TLS.
                self.assertEqual(
                    (results[0]["ok"], results[0]["msg"]),
                    (False, "mysql_clear_password requires SSL"),
                    results[0],
                )
            else:
                self.assertIdentity(results[0], row)
            self.assertIdentity(results[1], row)
            self.assertEqual((results[2]["errno"], results[2]["msg"]), (1045, denied(ALICE)))
        # libmysqlclient sends a cleartext password only when told to.
        results = yield self.python(
            "connector-c", self.attempt(ALICE, ALICE_PASSWORD, via="unix", query=IDENTITY)
        )
        self.assertEqual(
            (results[0]["errno"], results[0]["msg"]),
            (2059, "Authentication plugin 'mysql_clear_password' cannot be loaded: plugin not enabled"),
        )

    @defer.inlineCallbacks
    def test_mariadbClearPassword(self):
        """
        The C{mariadb} client answers C{mysql_clear_password} too.
        """
        result = yield self.mariadb(ALICE, ALICE_PASSWORD, IDENTITY, via="unix")
        self.assertRows(result, [[f"{ALICE}@localhost", f"{ALICE}@localhost", "NULL", ALICE]])

    @defer.inlineCallbacks
    def test_plainTCPRefused(self):
        """
        Over plain TCP the login is refused before the client sends its
        password: no AuthSwitchRequest, no PAM; 1045 without a password.
        """
        results = yield self.python(
            "pymysql", self.attempt(ALICE, ALICE_PASSWORD, via="tcp", query=IDENTITY)
        )
        self.assertEqual((results[0]["errno"], results[0]["msg"]), (1045, denied(ALICE, "NO")))
        self.assertEqual(self.authenticationPAM._pool, None)

    @defer.inlineCallbacks
    def test_systemServiceFile(self):
        """
        Without a config folder the service file is read from C{/etc/pam.d}
        (one written for this test, and removed after it).
        """
        name = f"mysqlauth-test-{os.getpid()}"
        path = os.path.join("/etc/pam.d", name)
        if os.path.exists(path):
            raise SkipTest(f"{path} exists already")
        pamtools.writeService("/etc/pam.d", name, pamtools.UNIX_STACK)
        self.addCleanup(os.unlink, path)
        self.authenticationPAM.configDirectory = None
        yield self.runSQL(
            f"CREATE USER '{BOB}'@'localhost' IDENTIFIED WITH authentication_pam AS '{name}'"
        )
        results = yield self.python(
            "pymysql",
            self.attempt(BOB, BOB_PASSWORD, via="unix", query=IDENTITY),
            self.attempt(BOB, ALICE_PASSWORD, via="unix", query=IDENTITY),
        )
        self.assertIdentity(results[0], [f"{BOB}@localhost", f"{BOB}@localhost", None, BOB])
        self.assertEqual(results[1]["errno"], 1045)

    @defer.inlineCallbacks
    def test_expiredAccount(self):
        """
        An expired OS account passes pam_authenticate and fails
        pam_acct_mgmt: refused.
        """
        osusers.run([osusers.TOOLS["usermod"], "--expiredate", "1970-01-02", ALICE])
        results = yield self.python(
            "pymysql", self.attempt(ALICE, ALICE_PASSWORD, via="unix", query=IDENTITY)
        )
        self.assertEqual((results[0]["errno"], results[0]["msg"]), (1045, denied(ALICE)))


class InsecureTransportAllowedTests(PAMServerTestCase):
    """
    The insecure variable lets cleartext through over plain TCP.
    """

    pamOptions = {"allowInsecureTransport": True}
    statements = ClearPasswordTests.statements

    @defer.inlineCallbacks
    def test_plainTCP(self):
        results = yield self.python(
            "pymysql", self.attempt(ALICE, ALICE_PASSWORD, via="tcp", query=IDENTITY)
        )
        self.assertIdentity(results[0], [f"{ALICE}@localhost", f"{ALICE}@localhost", None, ALICE])


class DialogTests(PAMServerTestCase):
    """
    MariaDB's C{pam} with C{dialog} clients, one question and two.
    """

    statements = (
        f"CREATE USER '{ALICE}'@'localhost' IDENTIFIED VIA pam USING 'mysqlauth'",
        f"CREATE USER '{BOB}'@'localhost' IDENTIFIED VIA pam USING 'mysqlauth-otp'",
    )

    def setUp(self):
        d = super().setUp()

        def withOTPStack(ignored):
            pamtools.writeService(
                self.pamDir,
                "mysqlauth-otp",
                (
                    "auth required pam_unix.so nodelay",
                    f"auth required {testModule()} [info=Second factor needed]"
                    " [askecho=One-time code: ] expect=424242",
                    "account required pam_unix.so",
                ),
            )

        return d.addCallback(withOTPStack)

    @defer.inlineCallbacks
    def test_mariadb(self):
        """
        The C{mariadb} client logs in through C{dialog} over the socket and
        over TLS; a wrong password is refused.
        """
        row = [f"{ALICE}@localhost", f"{ALICE}@localhost", "NULL", ALICE]
        result = yield self.mariadb(ALICE, ALICE_PASSWORD, IDENTITY, via="unix")
        self.assertRows(result, [row])
        result = yield self.mariadb(ALICE, ALICE_PASSWORD, IDENTITY, tls=True)
        self.assertRows(result, [row])
        result = yield self.mariadb(ALICE, "wrong", IDENTITY, via="unix")
        self.assertEqual((result["errno"], result["msg"]), (1045, denied(ALICE)))

    @defer.inlineCallbacks
    def test_pymysql(self):
        """
        PyMySQL answers the dialog's password question itself.
        """
        results = yield self.python(
            "pymysql",
            self.attempt(ALICE, ALICE_PASSWORD, via="unix", query=IDENTITY),
            self.attempt(ALICE, ALICE_PASSWORD, tls=True, query=IDENTITY),
        )
        row = [f"{ALICE}@localhost", f"{ALICE}@localhost", None, ALICE]
        self.assertIdentity(results[0], row)
        self.assertIdentity(results[1], row)

    @defer.inlineCallbacks
    def test_secondQuestion(self):
        """
        A stack asking a one-time code after the password: the C{mariadb}
        client shows PAM's message and the question, and answers from its
        input; a wrong code is refused.
        """
        args = [
            "--protocol=socket",
            "--socket=" + self.socketPath,
            "--user=" + BOB,
            "--password=" + BOB_PASSWORD,
            "--execute=" + IDENTITY,
        ]
        out, err, code = yield runMariaDBWithInput(args, b"424242\n")
        self.assertEqual(code, 0, err)
        self.assertIn("Second factor needed", err + out)
        self.assertIn("One-time code:", err + out)
        # The client prints the question without a newline, then the row.
        lastLine = out.strip().splitlines()[-1]
        self.assertTrue(
            lastLine.endswith("\t".join([f"{BOB}@localhost", f"{BOB}@localhost", "NULL", BOB])),
            out,
        )
        out, err, code = yield runMariaDBWithInput(args, b"000000\n")
        self.assertNotEqual(code, 0)
        self.assertIn(denied(BOB), err)

    @defer.inlineCallbacks
    def test_secondQuestionTwistedClient(self):
        """
        The Twisted test client's dialog handler sees both questions: the
        password question of the AuthSwitchRequest and PAM's own, behind
        its message.
        """
        from twisted.internet.endpoints import UNIXClientEndpoint, connectProtocol

        from twisted_mysqlauth.testing import DialogAnswers

        dialog = DialogAnswers([b"424242"])
        client = MySQLTestClient(BOB.encode(), BOB_PASSWORD.encode(), authHandlers={"dialog": dialog})
        yield connectProtocol(UNIXClientEndpoint(reactor, self.socketPath), client)
        trace = yield client.loggedIn
        client.transport.loseConnection()
        self.assertEqual(trace.switchedTo, ["dialog"])
        self.assertEqual(
            dialog.prompts, [(4, b"Password: "), (2, b"Second factor needed\nOne-time code: ")]
        )


class GroupMappingTests(PAMServerTestCase):
    """
    C{authentication_pam}'s group mapping on the default proxy user.
    """

    aliceGroups = ["pamdevs", "pamusers"]
    bobGroups = []
    statements = (
        "CREATE USER ''@'' IDENTIFIED WITH authentication_pam"
        " AS 'mysqlauth, pamusers=data_entry, pamdevs=developer'",
        "CREATE USER 'developer'@'localhost' IDENTIFIED WITH mysql_no_login",
        "CREATE USER 'data_entry'@'localhost' IDENTIFIED WITH mysql_no_login",
        "GRANT PROXY ON 'developer'@'localhost' TO ''@''",
        "GRANT PROXY ON 'data_entry'@'localhost' TO ''@''",
    )

    @defer.inlineCallbacks
    def test_firstListedGroupWins(self):
        """
        alice is in both mapped groups: the first in the string
        (C{pamusers}) picks C{data_entry}.
        """
        results = yield self.python(
            "pymysql", self.attempt(ALICE, ALICE_PASSWORD, via="unix", query=IDENTITY)
        )
        self.assertIdentity(
            results[0], [f"{ALICE}@localhost", "data_entry@localhost", "''@''", ALICE]
        )

    @defer.inlineCallbacks
    def test_noGroupNoProxy(self):
        """
        bob is in no mapped group: his identity is his own name, which the
        default proxy user has no PROXY grant for: refused.
        """
        results = yield self.python(
            "pymysql", self.attempt(BOB, BOB_PASSWORD, via="unix", query=IDENTITY)
        )
        self.assertEqual((results[0]["errno"], results[0]["msg"]), (1045, denied(BOB)))

    @defer.inlineCallbacks
    def test_namedAccountNoGroup(self):
        """
        A named account whose user is in no mapped group logs in as itself.
        """
        yield self.runSQL(
            f"CREATE USER '{BOB}'@'localhost' IDENTIFIED WITH authentication_pam"
            " AS 'mysqlauth, pamdevs=developer'"
        )
        results = yield self.python(
            "pymysql", self.attempt(BOB, BOB_PASSWORD, tls=True, query=IDENTITY)
        )
        self.assertIdentity(results[0], [f"{BOB}@localhost", f"{BOB}@localhost", None, BOB])

    @defer.inlineCallbacks
    def test_mariadb(self):
        """
        The same mapping through the C{mariadb} client.
        """
        result = yield self.mariadb(ALICE, ALICE_PASSWORD, IDENTITY, via="unix")
        self.assertRows(result, [[f"{ALICE}@localhost", "data_entry@localhost", "''@''", ALICE]])


class RenamedUserTests(PAMServerTestCase):
    """
    A module that changes C{PAM_USER} (as C{pam_user_map} does): the new
    name is the external user and the proxied account.
    """

    statements = (
        "CREATE USER ''@'%' IDENTIFIED VIA pam USING 'mysqlauth-map'",
        "CREATE USER 'mapped_dba'@'%' IDENTIFIED WITH mysql_no_login",
        "GRANT PROXY ON 'mapped_dba'@'%' TO ''@'%'",
    )

    def setUp(self):
        d = super().setUp()
        d.addCallback(
            lambda ignored: pamtools.writeService(
                self.pamDir,
                "mysqlauth-map",
                (
                    "auth required pam_unix.so nodelay",
                    f"auth required {testModule()} rename=mapped_dba",
                    "account required pam_permit.so",
                ),
            )
        )
        return d

    @defer.inlineCallbacks
    def test_renamed(self):
        results = yield self.python(
            "pymysql", self.attempt(ALICE, ALICE_PASSWORD, via="unix", query=IDENTITY)
        )
        self.assertIdentity(
            results[0], [f"{ALICE}@localhost", "mapped_dba@%", "''@'%'", "mapped_dba"]
        )


class BlockingTests(PAMServerTestCase):
    """
    PAM never holds the reactor, the pool is bounded, and a hanging stack
    is cut off at the login timeout.
    """

    connectTimeout = 3.0
    pamOptions = {"poolSize": 4, "allowInsecureTransport": True}
    #: Fail in seconds, not trial's two minutes, if a login is never cut off.
    timeout = 40
    statements = (
        "CREATE USER 'held'@'localhost' IDENTIFIED WITH authentication_pam AS 'mysqlauth-held'",
        "CREATE USER 'hung'@'localhost' IDENTIFIED WITH authentication_pam AS 'mysqlauth-hung'",
        "CREATE USER 'native'@'localhost' IDENTIFIED WITH mysql_native_password BY 'pw'",
    )

    def setUp(self):
        d = super().setUp()

        def services(ignored):
            self.markers = os.path.join(self.pamDir, "inside")
            self.release = os.path.join(self.pamDir, "release")
            pamtools.writeService(
                self.pamDir,
                "mysqlauth-held",
                (f"auth required {testModule()} touch={self.markers} waitfor={self.release}",
                 "account required pam_permit.so"),
            )
            pamtools.writeService(
                self.pamDir,
                "mysqlauth-hung",
                (f"auth required {testModule()} sleep=3600", "account required pam_permit.so"),
            )

        return d.addCallback(services)

    def login(self, user: bytes, password: bytes, plugin: Optional[str] = None):
        from twisted.internet.endpoints import TCP4ClientEndpoint, connectProtocol

        client = MySQLTestClient(user, password, plugin=plugin)
        d = connectProtocol(TCP4ClientEndpoint(reactor, "127.0.0.1", self.port), client)
        d.addCallback(lambda ignored: client.loggedIn)

        def close(result):
            if client.transport is not None:
                client.transport.loseConnection()
            return result

        return d.addBoth(close)

    @defer.inlineCallbacks
    def waitForMarkers(self, count: int):
        prefix = os.path.basename(self.markers) + "."
        for _ in range(500):
            found = [n for n in os.listdir(self.pamDir) if n.startswith(prefix)]
            if len(found) >= count:
                return found
            yield deferLater(reactor, 0.02, lambda: None)
        self.fail(f"only {len(found)} of {count} logins reached PAM")

    @defer.inlineCallbacks
    def test_otherLoginsGoOn(self):
        """
        Six logins held inside PAM (four run, the pool's size, and two wait
        their turn), then ten native-password logins: all ten complete
        while every PAM login is still pending; released, the PAM logins
        complete too.
        """
        events: List[str] = []
        held = []
        for i in range(6):
            d = self.login(b"held", b"x", plugin="mysql_clear_password")
            d.addBoth(lambda result, i=i: events.append(f"pam{i}") or result)
            held.append(d)
        inside = yield self.waitForMarkers(4)
        self.assertEqual(len(inside), 4)
        self.assertEqual(self.authenticationPAM.pool().busy, 4)
        for i in range(10):
            yield self.login(b"native", b"pw", plugin="mysql_native_password")
            events.append(f"native{i}")
        self.assertEqual(events, [f"native{i}" for i in range(10)])
        self.assertEqual(
            len([n for n in os.listdir(self.pamDir) if n.startswith("inside.")]), 4
        )
        open(self.release, "w").close()
        results = yield defer.DeferredList(held, consumeErrors=True)
        self.assertTrue(all(ok for ok, value in results), results)
        self.assertEqual(sorted(events[10:]), sorted(f"pam{i}" for i in range(6)))

    @defer.inlineCallbacks
    def test_hangCutOff(self):
        """
        A stack that hangs: the login timeout closes the connection and
        kills the worker process; the next login gets a new one.
        """
        d = self.login(b"hung", b"x", plugin="mysql_clear_password")
        pool = self.authenticationPAM.pool()
        for _ in range(250):
            if pool.workers and pool.workers[0].ready.called:
                break
            yield deferLater(reactor, 0.02, lambda: None)
        workers = pool.workers
        self.assertEqual(len(workers), 1)
        pid = workers[0].transport.pid
        with self.assertRaises(Exception):
            yield d
        yield workers[0].ended
        with self.assertRaises(ProcessLookupError):
            os.kill(pid, 0)
        self.assertEqual(self.authenticationPAM.pool().workers, [])
        trace = yield self.login(b"native", b"pw", plugin="mysql_native_password")
        self.assertIsNotNone(trace)
