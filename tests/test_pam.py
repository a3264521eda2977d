# -*- test-case-name: tests.test_pam -*-
# Copyright (c) twisted_mysqlauth developers.
# See LICENSE for details.
"""
Tests for L{twisted_mysqlauth.auth.pam} and L{twisted_mysqlauth.auth.pampool}:
the authentication strings, the conversation, the exchange on iosim, the
system variables, and the worker pool with real worker processes and real
PAM (stacks of C{pam_permit}, C{pam_deny} and the test module in a folder
of the test's own; no OS users needed).
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from typing import Any, List, Optional

from twisted.cred.error import UnauthorizedLogin
from twisted.internet import defer, reactor
from twisted.internet.address import IPv4Address, UNIXAddress
from twisted.internet.task import Clock, deferLater
from twisted.python import usage
from twisted.trial.unittest import SkipTest, SynchronousTestCase, TestCase

from tests import pamtools
from twisted_mysqlauth import errors
from twisted_mysqlauth.accounts.directory import AccountManager
from twisted_mysqlauth.accounts.memory import InMemoryAccountStore
from twisted_mysqlauth.accounts.model import AccountName, ClientAddress
from twisted_mysqlauth.auth.pam import (
    FIRST_QUESTION,
    MAX_QUESTIONS,
    AuthenticationPAMMethod,
    MariaDBPAMMethod,
    PAMAuthString,
    PAMChecker,
    PAMCredentials,
    PAMMethod,
    _Conversation,
)
from twisted_mysqlauth.auth.pampool import (
    ERROR_MSG,
    PROMPT_ECHO_OFF,
    PROMPT_ECHO_ON,
    TEXT_INFO,
    PAMRequest,
    PAMWorkerPool,
    WorkerFailed,
)
from twisted_mysqlauth.auth.registry import MethodRegistry, discoverMethods
from twisted_mysqlauth.bootstrap import BootstrapSession
from twisted_mysqlauth.server import MySQLServerFactory
from twisted_mysqlauth.sql.executor import Executor
from twisted_mysqlauth.tap import Options
from twisted_mysqlauth.testing import (
    DialogAnswers,
    FakeTLSOptions,
    MySQLTestClient,
    ServerError,
    connectedServerAndClient,
)

LOCALHOST = IPv4Address("TCP", "127.0.0.1", 40000)
SOCKET = UNIXAddress(None)


class AuthStringTests(SynchronousTestCase):
    """
    The authentication strings of both methods.
    """

    def setUp(self) -> None:
        self.mysql = AuthenticationPAMMethod()
        self.mariadb = MariaDBPAMMethod()

    def test_serviceOnly(self) -> None:
        self.assertEqual(self.mysql.parseAuthString(b"mysql"), PAMAuthString("mysql"))
        self.assertEqual(self.mysql.parseAuthString(b" other "), PAMAuthString("other"))
        self.assertEqual(self.mariadb.parseAuthString(b"mysql"), PAMAuthString("mysql"))

    def test_emptyIsMySQL(self) -> None:
        """
        No string at all is the service C{mysql}, as in both servers.
        """
        self.assertEqual(self.mysql.parseAuthString(b""), PAMAuthString("mysql"))
        self.assertEqual(self.mariadb.parseAuthString(b""), PAMAuthString("mysql"))

    def test_manualExample(self) -> None:
        """
        The manual's C{'mysql, root=developer, users=data_entry'}.
        """
        self.assertEqual(
            self.mysql.parseAuthString(b"mysql, root=developer, users=data_entry"),
            PAMAuthString("mysql", (("root", "developer"), ("users", "data_entry"))),
        )

    def test_quoted(self) -> None:
        """
        Double-quoted group names may hold spaces and commas.
        """
        self.assertEqual(
            self.mysql.parseAuthString(b'mysql, "domain users"=staff, "a,b"="x y"'),
            PAMAuthString("mysql", (("domain users", "staff"), ("a,b", "x y"))),
        )

    def test_malformed(self) -> None:
        for text in (
            b"svc=x",
            b"mysql, users",
            b"mysql, users=",
            b'mysql, "open=x',
            b"mysql,,users=x",
            b"\xff",
        ):
            self.assertRaises(ValueError, self.mysql.parseAuthString, text)
            self.assertRaises(errors.MySQLError, self.mysql.checkAuthString, text)

    def test_mariadbServiceOnly(self) -> None:
        """
        MariaDB's string is a service name and nothing else.
        """
        for text in (b"mysql, root=developer", b"a b", b"x=y", b"../etc"):
            self.assertRaises(ValueError, self.mariadb.parseAuthString, text)

    def test_firstListedGroupWins(self) -> None:
        string = PAMAuthString("s", (("users", "data_entry"), ("root", "developer")))
        self.assertEqual(string.identityFor("alice", ("root", "users")), "data_entry")
        self.assertEqual(string.identityFor("alice", ("root",)), "developer")
        self.assertEqual(string.identityFor("alice", ("wheel",)), "alice")
        self.assertEqual(PAMAuthString("s").identityFor("bob", ("users",)), "bob")


class FakeCredentials:
    """
    Credentials whose client answers from a list (or cannot be asked).
    """

    def __init__(self, password: bytes, answers: Optional[List[bytes]]) -> None:
        self.password = password
        self.answers = answers
        self.asked: List[tuple] = []

    def ask(self, kind: int, text: bytes):
        self.asked.append((kind, text))
        if self.answers is None:
            return defer.succeed(None)
        return defer.succeed(self.answers.pop(0))


class ConversationTests(SynchronousTestCase):
    """
    L{_Conversation} answers PAM from the first answer and the client.
    """

    def converse(self, conversation, messages):
        return self.successResultOf(defer.ensureDeferred(conversation.converse(messages)))

    def test_firstPasswordPrompt(self) -> None:
        """
        PAM's first password prompt gets the client's first answer without
        a round trip; the second one is asked.
        """
        credentials = FakeCredentials(b"pw", [b"123"])
        conversation = _Conversation(credentials)
        self.assertEqual(self.converse(conversation, [(PROMPT_ECHO_OFF, b"Password: ")]), [b"pw"])
        self.assertEqual(self.converse(conversation, [(PROMPT_ECHO_OFF, b"Code: ")]), [b"123"])
        self.assertEqual(credentials.asked, [(4, b"Code: ")])

    def test_echoOnAsked(self) -> None:
        """
        An echo-on prompt is a plain question, even first.
        """
        credentials = FakeCredentials(b"pw", [b"alice"])
        conversation = _Conversation(credentials)
        self.assertEqual(
            self.converse(conversation, [(PROMPT_ECHO_ON, b"Login: "), (PROMPT_ECHO_OFF, b"Password: ")]),
            [b"alice", b"pw"],
        )
        self.assertEqual(credentials.asked, [(2, b"Login: ")])

    def test_messagesBeforeQuestion(self) -> None:
        """
        PAM's messages go in front of the next question, a line each.
        """
        credentials = FakeCredentials(b"pw", [b"1"])
        conversation = _Conversation(credentials)
        self.assertEqual(
            self.converse(conversation, [(TEXT_INFO, b"Hello"), (ERROR_MSG, b"Careful")]),
            [None, None],
        )
        self.converse(conversation, [(PROMPT_ECHO_ON, b"Code: ")])
        self.assertEqual(credentials.asked, [(2, b"Hello\nCareful\nCode: ")])

    def test_clearPasswordCannotAsk(self) -> None:
        """
        A C{mysql_clear_password} client cannot answer a second question:
        the transaction is aborted.
        """
        credentials = FakeCredentials(b"pw", None)
        conversation = _Conversation(credentials)
        self.converse(conversation, [(PROMPT_ECHO_OFF, b"Password: ")])
        self.assertIsNone(self.converse(conversation, [(PROMPT_ECHO_OFF, b"Again: ")]))

    def test_questionLimit(self) -> None:
        credentials = FakeCredentials(b"pw", [b"x"] * (MAX_QUESTIONS + 1))
        conversation = _Conversation(credentials)
        for _ in range(MAX_QUESTIONS):
            self.converse(conversation, [(PROMPT_ECHO_ON, b"?")])
        self.assertIsNone(self.converse(conversation, [(PROMPT_ECHO_ON, b"?")]))

    def test_unknownStyle(self) -> None:
        self.assertIsNone(self.converse(_Conversation(FakeCredentials(b"", [])), [(99, b"?")]))


class FakePool:
    """
    A pool that records requests and answers with a scripted conversation.
    """

    def __init__(self, script, result) -> None:
        self.script = script
        self.result = result
        self.requests: List[PAMRequest] = []

    def authenticate(self, request, converse):
        from twisted_mysqlauth.auth.pampool import PAMResult

        self.requests.append(request)

        async def run():
            for messages in self.script:
                answers = await converse(messages)
                if answers is None:
                    return PAMResult(code=19, stage="authenticate", reason="Conversation error")
                self.answers.append(answers)
            return self.result

        self.answers: List[Any] = []
        return defer.ensureDeferred(run())


class ExchangeTests(SynchronousTestCase):
    """
    PAM logins on iosim, with a scripted pool.
    """

    def setUp(self) -> None:
        from twisted_mysqlauth.auth.pampool import PAMResult

        self.clock = Clock()
        self.accounts = AccountManager(InMemoryAccountStore())
        self.successResultOf(self.accounts.start())
        self.mysqlPAM = AuthenticationPAMMethod()
        self.mariadbPAM = MariaDBPAMMethod()
        self.pool = FakePool(
            [[(PROMPT_ECHO_OFF, b"Password: ")]],
            PAMResult(code=0, stage="acct_mgmt", reason="Success", user=None, groups=("users",)),
        )
        for method in (self.mysqlPAM, self.mariadbPAM):
            method._pool = self.pool  # type: ignore[assignment]
        methods = [m for m in discoverMethods() if not isinstance(m, PAMMethod)]
        self.factory = MySQLServerFactory.forAccounts(
            self.accounts,
            self.clock,
            methods=MethodRegistry(methods + [self.mysqlPAM, self.mariadbPAM]),
            tlsOptions=FakeTLSOptions(),
        )
        executor = Executor(self.factory.config)
        for statement in (
            "CREATE USER alice@localhost IDENTIFIED WITH authentication_pam AS 'svc'",
            "CREATE USER bob@localhost IDENTIFIED VIA pam USING 'svc2'",
        ):
            self.successResultOf(defer.ensureDeferred(executor.run(statement, BootstrapSession())))

    def login(self, user: bytes, password: bytes, peer=SOCKET, **kw):
        client = MySQLTestClient(user, password, **kw)
        c, server, pump = connectedServerAndClient(self.factory, client, peerAddress=peer, clock=self.clock)
        pump.flush()
        results: list = []
        client.loggedIn.addBoth(results.append)
        self.assertEqual(len(results), 1)
        return client, server, results[0]

    def test_clearPassword(self) -> None:
        """
        C{authentication_pam} switches to C{mysql_clear_password} with no
        data; the password answers PAM's first prompt; the request names the
        service, the user, the client's host and the tty.
        """
        client, server, trace = self.login(b"alice", b"s3cret")
        self.assertEqual(trace.switchedTo, ["mysql_clear_password"])
        self.assertEqual(self.pool.answers, [[b"s3cret"]])
        self.assertEqual(
            self.pool.requests,
            [PAMRequest(service="svc", user="alice", rhost="localhost", tty="mysql", confdir=None)],
        )
        self.assertEqual(server.avatar.externalUser, "alice")

    def test_rhostIsTheIP(self) -> None:
        self.login(b"alice", b"s3cret", peer=LOCALHOST, tlsOptions=FakeTLSOptions())
        self.assertEqual(self.pool.requests[0].rhost, "127.0.0.1")

    def test_dialog(self) -> None:
        """
        C{pam} switches to C{dialog} with the password question, unwrapped.
        """
        dialog = DialogAnswers()
        client, server, trace = self.login(b"bob", b"pw2", authHandlers={"dialog": dialog})
        self.assertEqual(trace.switchedTo, ["dialog"])
        self.assertEqual(dialog.prompts, [(FIRST_QUESTION[0], FIRST_QUESTION[1:])])
        self.assertEqual(self.pool.answers, [[b"pw2"]])
        self.assertEqual(self.pool.requests[0].service, "svc2")

    def test_clientAsksForDialog(self) -> None:
        """
        A client that announces C{dialog} gets it from C{authentication_pam}.
        """
        dialog = DialogAnswers()
        client, server, trace = self.login(
            b"alice", b"pw", plugin="dialog", authHandlers={"dialog": dialog}
        )
        self.assertEqual(trace.switchedTo, ["dialog"])

    def test_clientAlreadyClearPassword(self) -> None:
        """
        A client that opened with C{mysql_clear_password} is not switched.
        """
        client, server, trace = self.login(b"alice", b"pw", plugin="mysql_clear_password")
        self.assertEqual(trace.switchedTo, [])
        self.assertEqual(self.pool.answers, [[b"pw"]])

    def test_plainTCPRefused(self) -> None:
        """
        Over plain TCP: refused at once (1045, no password), no switch, no
        PAM.
        """
        client, server, failure = self.login(b"alice", b"pw", peer=LOCALHOST)
        failure.trap(ServerError)
        self.assertEqual(
            (failure.value.errorCode, failure.value.message),
            (1045, "Access denied for user 'alice'@'localhost' (using password: NO)"),
        )
        self.assertEqual(client.trace.switchedTo, [])
        self.assertEqual(self.pool.requests, [])

    def test_insecureAllowed(self) -> None:
        self.mysqlPAM.allowInsecureTransport = True
        client, server, trace = self.login(b"alice", b"pw", peer=LOCALHOST)
        self.assertEqual(trace.switchedTo, ["mysql_clear_password"])

    def test_refused(self) -> None:
        from twisted_mysqlauth.auth.pampool import PAMResult

        self.pool.result = PAMResult(code=7, stage="authenticate", reason="Authentication failure")
        client, server, failure = self.login(b"alice", b"bad")
        failure.trap(ServerError)
        self.assertEqual(failure.value.errorCode, 1045)
        self.assertIn("using password: YES", failure.value.message)

    def test_secondQuestionOverClearPassword(self) -> None:
        """
        A stack asking more than the password cannot do it over
        C{mysql_clear_password}: refused.
        """
        self.pool.script.append([(PROMPT_ECHO_ON, b"Code: ")])
        client, server, failure = self.login(b"alice", b"pw")
        failure.trap(ServerError)
        self.assertEqual(failure.value.errorCode, 1045)

    def test_secondQuestionOverDialog(self) -> None:
        self.pool.script.append([(PROMPT_ECHO_ON, b"Code: ")])
        dialog = DialogAnswers([b"777"])
        client, server, trace = self.login(b"bob", b"pw", authHandlers={"dialog": dialog})
        self.assertEqual(self.pool.answers, [[b"pw"], [b"777"]])
        self.assertEqual(dialog.prompts[-1], (2, b"Code: "))

    def test_malformedAnswer(self) -> None:
        """
        An answer with a NUL inside is malformed: refused.
        """
        client, server, failure = self.login(b"alice", b"p\x00w", plugin="mysql_clear_password")
        failure.trap(ServerError)
        self.assertEqual(self.pool.requests, [])

    def test_cannotGreet(self) -> None:
        self.assertRaises(
            ValueError,
            MySQLServerFactory.forAccounts,
            self.accounts,
            self.clock,
            methods=MethodRegistry([self.mysqlPAM]),
            defaultPlugin="authentication_pam",
        )

    def test_createUserRefusesMalformed(self) -> None:
        executor = Executor(self.factory.config)
        failure = self.failureResultOf(
            defer.ensureDeferred(
                executor.run(
                    "CREATE USER carol IDENTIFIED WITH authentication_pam AS 'svc, users'",
                    BootstrapSession(),
                )
            ),
            errors.MySQLError,
        )
        self.assertEqual(
            (failure.value.errorCode, failure.value.sqlState, failure.value.message),
            (
                1827,
                "HY000",
                "Invalid authentication string for authentication_pam: the mapping 'users' "
                "names no MySQL user (group=user)",
            ),
        )


class VariablesTests(SynchronousTestCase):
    """
    The methods' system variables.
    """

    def test_defaults(self) -> None:
        method = AuthenticationPAMMethod()
        method.initialize(None)
        self.assertEqual(
            method.variables,
            {
                "authentication_pam_pool_size": 8,
                "authentication_pam_allow_insecure_transport": False,
                "authentication_pam_config_dir": "",
            },
        )
        self.assertTrue(method.requiresSecureTransport)

    def test_fromSettings(self) -> None:
        from twisted_mysqlauth.tap import ServerSettings

        folder = os.path.abspath(self.mktemp())
        os.makedirs(folder)
        settings = ServerSettings(
            pluginVariables={
                "pam_pool_size": "3",
                "pam_allow_insecure_transport": "ON",
                "pam_use_cleartext_plugin": "on",
                "pam_config_dir": folder,
            }
        )
        method = MariaDBPAMMethod()
        logged: List[dict] = []
        from twisted.logger import globalLogPublisher

        globalLogPublisher.addObserver(logged.append)
        self.addCleanup(globalLogPublisher.removeObserver, logged.append)
        method.initialize(settings)
        self.assertEqual(method.poolSize, 3)
        self.assertFalse(method.requiresSecureTransport)
        self.assertEqual(method.defaultClientPlugin, "mysql_clear_password")
        self.assertEqual(method.configDirectory, folder)
        # Insecure on purpose: said at start.
        from twisted.logger import formatEvent

        self.assertTrue(
            any("pam_allow_insecure_transport is ON" in formatEvent(e) for e in logged), logged
        )

    def test_badValues(self) -> None:
        from twisted_mysqlauth.tap import ServerSettings

        for name, value in (
            ("pam_pool_size", "0"),
            ("pam_pool_size", "lots"),
            ("pam_allow_insecure_transport", "maybe"),
            ("pam_config_dir", "relative/pam.d"),
            ("pam_config_dir", "/no/such/folder"),
        ):
            settings = ServerSettings(pluginVariables={name: value})
            self.assertRaises(ValueError, MariaDBPAMMethod().initialize, settings)

    def test_withoutPythonPAM(self) -> None:
        """
        Without python-pam the method does not load, saying why.
        """
        saved = sys.modules.get("pam")
        sys.modules["pam"] = None  # type: ignore[assignment]
        self.addCleanup(sys.modules.__setitem__, "pam", saved)
        with self.assertRaises(RuntimeError) as raised:
            AuthenticationPAMMethod().initialize(None)
        self.assertIn("python-pam is not installed", str(raised.exception))

    def test_twistdOptions(self) -> None:
        """
        C{--set-variable} takes the PAM variables; unknown names and bad
        values are startup errors.
        """
        options = Options()
        options.parseOptions(
            ["--set-variable", "authentication_pam_pool_size=4",
             "--set-variable", "pam-use-cleartext-plugin=ON"]
        )
        self.assertEqual(
            options["settings"].pluginVariables,
            {"authentication_pam_pool_size": "4", "pam_use_cleartext_plugin": "ON"},
        )
        with self.assertRaises(usage.UsageError) as raised:
            Options().parseOptions(["--set-variable", "authentication_pam_pool_size=none"])
        self.assertIn("authentication_pam_pool_size", str(raised.exception))
        with self.assertRaises(usage.UsageError) as raised:
            Options().parseOptions(["--set-variable", "no_such_variable=1"])
        self.assertIn("unknown variable 'no_such_variable'", str(raised.exception))
        self.assertRaises(usage.UsageError, Options().parseOptions, ["--set-variable", "novalue"])

    def test_myCnf(self) -> None:
        path = self.mktemp()

        def variablesFrom(text):
            with open(path, "w") as f:
                f.write(text)
            options = Options()
            options.parseOptions(["--defaults-file", path])
            return options["settings"].pluginVariables

        def errorFrom(text):
            with self.assertRaises(usage.UsageError) as raised:
                variablesFrom(text)
            return str(raised.exception)

        self.assertEqual(
            variablesFrom("[mysqld]\npam_pool_size = 2\nplugin_load_add = auth_pam.so\n"),
            {"pam_pool_size": "2"},
        )
        self.assertEqual(
            errorFrom("[mysqld]\npam_pool_size = -1\n"),
            f"option {path}:2: pam_pool_size: must be a number from 1 to 1024, not '-1'",
        )
        # MySQL's loose- prefix: known names apply, unknown ones are skipped.
        self.patch(sys, "stderr", open(os.devnull, "w"))
        self.assertEqual(
            variablesFrom("[mysqld]\nloose-pam_pool_size = 5\nloose-no_such_option = 1\n"),
            {"pam_pool_size": "5"},
        )
        self.assertIn("unknown option 'pam_pool_sizes'", errorFrom("[mysqld]\npam_pool_sizes = 1\n"))
        # A bare name: ON for an ON/OFF variable, an error for any other.
        self.assertEqual(
            variablesFrom("[mysqld]\npam-use-cleartext-plugin\n"), {"pam_use_cleartext_plugin": "ON"}
        )
        self.assertEqual(
            errorFrom("[mysqld]\npam_pool_size\n"),
            f"{path}:2: option 'pam_pool_size' requires an argument",
        )


class InstallTests(SynchronousTestCase):
    """
    The PAM methods load on request, as in MySQL and MariaDB.
    """

    def setUp(self) -> None:
        from twisted_mysqlauth.auth.registry import DEFAULT_METHODS, PluginCatalog

        self.accounts = AccountManager(InMemoryAccountStore())
        self.successResultOf(self.accounts.start())
        catalog = PluginCatalog.discover()
        for name in DEFAULT_METHODS:
            catalog.load(catalog.find(name))
        self.factory = MySQLServerFactory.forAccounts(self.accounts, Clock(), plugins=catalog)
        self.executor = Executor(self.factory.config)

    def sql(self, statement: str) -> Any:
        return self.successResultOf(
            defer.ensureDeferred(self.executor.run(statement, BootstrapSession()))
        )

    def test_notLoadedByDefault(self) -> None:
        self.assertIsNone(self.factory.config.methods.get("authentication_pam"))
        self.assertIsNone(self.factory.config.methods.get("pam"))

    def test_installPlugin(self) -> None:
        self.sql("INSTALL PLUGIN authentication_pam SONAME 'authentication_pam.so'")
        self.sql("CREATE USER ''@'' IDENTIFIED WITH authentication_pam AS 'mysql, root=developer'")
        names, rows = self.sql("SHOW VARIABLES LIKE 'authentication_pam%'")
        self.assertEqual(
            rows,
            [
                [b"authentication_pam_allow_insecure_transport", b"OFF"],
                [b"authentication_pam_config_dir", b""],
                [b"authentication_pam_pool_size", b"8"],
            ],
        )
        names, rows = self.sql("SELECT @@authentication_pam_pool_size")
        self.assertEqual(rows, [[b"8"]])

    def test_installSoname(self) -> None:
        """
        MariaDB's C{INSTALL SONAME 'auth_pam'}, then C{IDENTIFIED VIA pam
        USING 'mariadb'}.
        """
        self.sql("INSTALL SONAME 'auth_pam'")
        self.sql("CREATE USER bob IDENTIFIED VIA pam USING 'mariadb'")
        account = self.accounts.directory.get(AccountName("bob", "%"))
        self.assertEqual((account.plugin, account.authString), ("pam", b"mariadb"))


def _skipWithoutPAM() -> None:
    reason = pamtools.pamReason()
    if reason is not None:
        raise SkipTest(reason)


class PoolTests(TestCase):
    """
    L{PAMWorkerPool} with real worker processes and real PAM.
    """

    def setUp(self) -> None:
        _skipWithoutPAM()
        self.confdir = tempfile.mkdtemp(prefix="mysqlauth-pampool-")
        self.addCleanup(shutil.rmtree, self.confdir, True)
        pamtools.writeService(
            self.confdir, "permit", ("auth required pam_permit.so", "account required pam_permit.so")
        )
        pamtools.writeService(
            self.confdir, "deny", ("auth required pam_deny.so", "account required pam_permit.so")
        )
        pamtools.writeService(
            self.confdir, "noacct", ("auth required pam_permit.so", "account required pam_deny.so")
        )
        self.pool = PAMWorkerPool(reactor, 2)
        self.addCleanup(self.pool.close)

    def request(self, service: str, user: str = "nobody") -> PAMRequest:
        return PAMRequest(service, user, "192.0.2.1", "mysql", self.confdir)

    def module(self) -> str:
        from tests.test_pam_integration import testModule

        return testModule()

    def answer(self, *answers):
        def converse(messages):
            return defer.succeed(list(answers) if answers else [None] * len(messages))

        return converse

    @defer.inlineCallbacks
    def test_permitDeny(self):
        result = yield self.pool.authenticate(self.request("permit"), self.answer())
        self.assertEqual((result.code, result.stage, result.user), (0, "acct_mgmt", "nobody"))
        self.assertIn("nogroup", result.groups)
        result = yield self.pool.authenticate(self.request("deny"), self.answer())
        self.assertEqual((result.succeeded, result.stage), (False, "authenticate"))
        result = yield self.pool.authenticate(self.request("noacct"), self.answer())
        self.assertEqual((result.succeeded, result.stage), (False, "acct_mgmt"))

    @defer.inlineCallbacks
    def test_unknownService(self):
        """
        A service with no file falls back to PAM's C{other}, not here:
        refused.
        """
        result = yield self.pool.authenticate(self.request("no-such-service"), self.answer())
        self.assertFalse(result.succeeded)

    @defer.inlineCallbacks
    def test_workersReused(self):
        for _ in range(3):
            yield self.pool.authenticate(self.request("permit"), self.answer())
        self.assertEqual(len(self.pool.workers), 1)

    @defer.inlineCallbacks
    def test_conversation(self):
        """
        The module's question reaches the conversation; the answer decides.
        """
        pamtools.writeService(
            self.confdir,
            "ask",
            (f"auth required {self.module()} [info=Hello there] ask=Code: expect=42",
             "account required pam_permit.so"),
        )
        seen: List[Any] = []

        def converse(messages):
            seen.append(messages)
            return defer.succeed([b"42" if style == PROMPT_ECHO_OFF else None for style, text in messages])

        result = yield self.pool.authenticate(self.request("ask"), converse)
        self.assertTrue(result.succeeded)
        self.assertEqual(seen, [[(TEXT_INFO, b"Hello there")], [(PROMPT_ECHO_OFF, b"Code:")]])
        result = yield self.pool.authenticate(self.request("ask"), lambda m: defer.succeed(None))
        self.assertEqual(result.code, 19)

    @defer.inlineCallbacks
    def test_bounded(self):
        """
        Four held transactions with a pool of two: two run, two wait; each
        released one lets a waiting one in.
        """
        marker = os.path.join(self.confdir, "in")
        release = os.path.join(self.confdir, "go")
        pamtools.writeService(
            self.confdir,
            "held",
            (f"auth required {self.module()} touch={marker} waitfor={release}",
             "account required pam_permit.so"),
        )
        jobs = [self.pool.authenticate(self.request("held"), self.answer()) for _ in range(4)]
        yield self.waitFor(lambda: self.markers() == 2)
        yield deferLater(reactor, 0.2, lambda: None)
        self.assertEqual(self.markers(), 2)
        self.assertEqual(len(self.pool.workers), 2)
        self.assertFalse(any(job.called for job in jobs))
        open(release, "w").close()
        results = yield defer.gatherResults(jobs)
        self.assertTrue(all(r.succeeded for r in results))

    @defer.inlineCallbacks
    def test_cancelKills(self):
        """
        Cancelling a running transaction kills its worker; cancelling a
        waiting one drops it.
        """
        pamtools.writeService(
            self.confdir,
            "hang",
            (f"auth required {self.module()} sleep=3600", "account required pam_permit.so"),
        )
        running = [self.pool.authenticate(self.request("hang"), self.answer()) for _ in range(2)]
        waiting = self.pool.authenticate(self.request("hang"), self.answer())
        yield self.waitFor(lambda: all(w.ready.called for w in self.pool.workers))
        yield deferLater(reactor, 0.3, lambda: None)
        workers = self.pool.workers
        waiting.cancel()
        self.failureResultOf(waiting, defer.CancelledError)
        for job in running:
            job.cancel()
            self.failureResultOf(job, defer.CancelledError)
        yield defer.gatherResults([w.ended for w in workers])
        self.assertEqual(self.pool.workers, [])
        result = yield self.pool.authenticate(self.request("permit"), self.answer())
        self.assertTrue(result.succeeded)

    @defer.inlineCallbacks
    def test_brokenWorker(self):
        """
        A worker that dies or talks nonsense fails its transaction (closed,
        never accepted).
        """
        for program in ("import sys; sys.exit(3)", "import sys; sys.stdout.write('garbage!' * 4)"):
            pool = PAMWorkerPool(reactor, 1, command=[sys.executable, "-c", program])
            with self.assertRaises(WorkerFailed):
                yield pool.authenticate(self.request("permit"), self.answer())
            yield pool.close()

    @defer.inlineCallbacks
    def test_spawnFails(self):
        """
        A worker that cannot be started (no file descriptors left) fails its
        login and holds no slot: once processes can start again, logins go
        on.
        """
        failing = []

        class Reactor:
            def __getattr__(self, name):
                return getattr(reactor, name)

            def spawnProcess(self, *args, **kwargs):
                if failing:
                    raise OSError(24, "Too many open files")
                return reactor.spawnProcess(*args, **kwargs)

        pool = PAMWorkerPool(Reactor(), 1)
        self.addCleanup(pool.close)
        failing.append(True)
        for _ in range(3):
            with self.assertRaises(WorkerFailed):
                yield pool.authenticate(self.request("permit"), self.answer())
        self.assertEqual((pool.workers, pool.busy), ([], 0))
        failing.clear()
        result = yield pool.authenticate(self.request("permit"), self.answer())
        self.assertTrue(result.succeeded)

    def test_workerDiesWithServer(self):
        """
        A server killed with SIGKILL while a worker is inside a PAM module
        that never returns takes the worker with it (PR_SET_PDEATHSIG).
        """
        import signal
        import subprocess

        if not sys.platform.startswith("linux"):
            raise SkipTest("PR_SET_PDEATHSIG is Linux's")
        pamtools.writeService(
            self.confdir,
            "hang",
            (f"auth required {self.module()} sleep=3600", "account required pam_permit.so"),
        )
        program = (
            "import sys\n"
            "from twisted.internet import reactor, defer\n"
            "from twisted_mysqlauth.auth.pampool import PAMWorkerPool, PAMRequest\n"
            "pool = PAMWorkerPool(reactor, 1)\n"
            f"pool.authenticate(PAMRequest('hang', 'nobody', confdir={self.confdir!r}),"
            " lambda m: defer.succeed([None] * len(m)))\n"
            "def report():\n"
            "    w = pool.workers[0]\n"
            "    if w.ready.called:\n"
            "        print(w.transport.pid, flush=True)\n"
            "    else:\n"
            "        reactor.callLater(0.05, report)\n"
            "reactor.callLater(0.05, report)\n"
            "reactor.run()\n"
        )
        root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        env = dict(os.environ, PYTHONPATH=root)
        server = subprocess.Popen([sys.executable, "-c", program], stdout=subprocess.PIPE, env=env)
        self.addCleanup(server.wait)
        self.addCleanup(lambda: server.poll() is None and server.kill())
        workerPid = int(server.stdout.readline())
        os.kill(workerPid, 0)
        server.send_signal(signal.SIGKILL)
        server.wait()
        for _ in range(250):
            try:
                os.kill(workerPid, 0)
            except ProcessLookupError:
                return
            # A zombie until init reaps it: dead all the same.
            with open(f"/proc/{workerPid}/stat") as f:
                if f.read().split(") ")[1].startswith("Z"):
                    return
            import time

            time.sleep(0.02)
        self.fail(f"the PAM worker {workerPid} outlived its server")

    @defer.inlineCallbacks
    def test_close(self):
        yield self.pool.authenticate(self.request("permit"), self.answer())
        workers = self.pool.workers
        yield self.pool.close()
        self.assertTrue(all(w._dead or w.ended.called for w in workers))
        with self.assertRaises(WorkerFailed):
            yield self.pool.authenticate(self.request("permit"), self.answer())

    def markers(self) -> int:
        return len([n for n in os.listdir(self.confdir) if n.startswith("in.")])

    @defer.inlineCallbacks
    def waitFor(self, condition):
        for _ in range(500):
            if condition():
                return
            yield deferLater(reactor, 0.02, lambda: None)
        self.fail("condition never met")


class CheckerTests(SynchronousTestCase):
    """
    L{PAMChecker} turns a PAM result into an identity.
    """

    def check(self, result, authString: PAMAuthString, pool: Any = None):
        from twisted_mysqlauth.accounts.model import Account

        method = AuthenticationPAMMethod()
        method._pool = pool or FakePool([], result)  # type: ignore[assignment]
        credentials = PAMCredentials(
            b"alice",
            Account(name=AccountName("", ""), plugin="authentication_pam"),
            authString,
            ClientAddress(hostName="localhost", ip=None, isUNIXSocket=True),
            b"pw",
            method,
        )
        return credentials, PAMChecker().requestAvatarId(credentials)

    def test_mapped(self) -> None:
        from twisted_mysqlauth.auth.pampool import PAMResult

        credentials, d = self.check(
            PAMResult(code=0, stage="acct_mgmt", user="alice", groups=("wheel", "devs")),
            PAMAuthString("s", (("devs", "developer"),)),
        )
        self.assertEqual(self.successResultOf(d), b"developer")
        self.assertEqual(credentials.externalUser, "alice")
        # The password is not kept once PAM is done.
        self.assertEqual(credentials.password, b"")

    def test_renamed(self) -> None:
        from twisted_mysqlauth.auth.pampool import PAMResult

        credentials, d = self.check(
            PAMResult(code=0, stage="acct_mgmt", user="dba", groups=()), PAMAuthString("s")
        )
        self.assertEqual(self.successResultOf(d), b"dba")
        self.assertEqual(credentials.externalUser, "dba")

    def test_workerFailed(self) -> None:
        """
        A worker that died is a refusal, not an unexpected error.
        """

        class DeadPool:
            def authenticate(self, request, converse):
                return defer.fail(WorkerFailed("the PAM worker ended"))

        credentials, d = self.check(None, PAMAuthString("s"), DeadPool())
        self.failureResultOf(d, UnauthorizedLogin)
        self.assertEqual(credentials.password, b"")

    def test_refused(self) -> None:
        from twisted_mysqlauth.auth.pampool import PAMResult

        credentials, d = self.check(
            PAMResult(code=13, stage="acct_mgmt", reason="User account has expired"),
            PAMAuthString("s"),
        )
        self.failureResultOf(d, UnauthorizedLogin)
        self.assertIsNone(credentials.externalUser)
        self.assertEqual(credentials.password, b"")


class ServiceShutdownTests(TestCase):
    """
    C{twistd mysqlauth} stops the PAM workers when it stops.
    """

    @defer.inlineCallbacks
    def test_workersStop(self):
        _skipWithoutPAM()
        from twisted_mysqlauth.auth.pam import theAuthenticationPAMMethod
        from twisted_mysqlauth.tap import MySQLAuthService, ServerSettings

        confdir = tempfile.mkdtemp(prefix="mysqlauth-pamsvc-")
        self.addCleanup(shutil.rmtree, confdir, True)
        pamtools.writeService(
            confdir, "permit", ("auth required pam_permit.so", "account required pam_permit.so")
        )
        socketPath = os.path.join(confdir, "s.sock")
        settings = ServerSettings(
            datadir=os.path.abspath(self.mktemp()),
            listen=[f"unix:{socketPath}"],
            pluginLoad=["authentication_pam.so"],
            pluginVariables={"authentication_pam_config_dir": confdir},
        )
        service = MySQLAuthService(settings, reactor, stopReactorOnFailure=False)
        service.startService()
        yield service.started
        method = service.factory.config.methods.get("authentication_pam")
        self.assertIs(method, theAuthenticationPAMMethod)
        # The dropin's method is shared: put its defaults back after.
        self.addCleanup(method.initialize, None)
        self.assertEqual(method.configDirectory, confdir)
        pool = method.pool()
        result = yield pool.authenticate(
            PAMRequest("permit", "nobody", confdir=confdir), lambda m: defer.succeed([None] * len(m))
        )
        self.assertTrue(result.succeeded)
        workers = pool.workers
        self.assertEqual(len(workers), 1)
        yield service.stopService()
        yield workers[0].ended
        self.assertIsNone(method._pool)
