# -*- test-case-name: tests.test_conversation -*-
# Copyright (c) twisted_mysqlauth developers.
# See LICENSE for details.
"""
Tests for the protocol seams that interactive methods (PAM, Windows) use:
a first packet known only later (a L{Deferred} from C{initialData}), the
exchange's own client plugin, unwrapped plugin data, L{ReadMore}, and a
checker conversing with the client through the L{IAuthChannel} while the
credentials are checked, cancelled when the client goes away.
"""

from __future__ import annotations

import gc
from typing import Any, List

from zope.interface import Interface, implementer

from twisted.cred.checkers import ICredentialsChecker
from twisted.cred.error import UnauthorizedLogin
from twisted.internet import defer
from twisted.internet.address import IPv4Address
from twisted.internet.error import ConnectionDone
from twisted.internet.task import Clock
from twisted.trial.unittest import SynchronousTestCase

from twisted_mysqlauth.accounts.directory import AccountManager
from twisted_mysqlauth.accounts.memory import InMemoryAccountStore
from twisted_mysqlauth.accounts.model import Account
from twisted_mysqlauth.bootstrap import BootstrapSession
from twisted_mysqlauth.sql.executor import Executor
from twisted_mysqlauth.auth.base import ReadMore, TryLogin
from twisted_mysqlauth.auth.native import theNativePasswordMethod
from twisted_mysqlauth.auth.registry import MethodRegistry
from twisted_mysqlauth.interfaces import IAuthChannel, IAuthExchange, IAuthMethod
from twisted_mysqlauth.protocol import authDataPayload
from twisted_mysqlauth.server import MySQLServerFactory
from twisted_mysqlauth.testing import (
    DialogAnswers,
    MySQLTestClient,
    ServerError,
    connectedServerAndClient,
)

LOCALHOST = IPv4Address("TCP", "127.0.0.1", 40000)


def createUser(case: SynchronousTestCase, factory: MySQLServerFactory, statement: str) -> None:
    """
    Run an account statement with every privilege.
    """
    executor = Executor(factory.config)
    case.successResultOf(defer.ensureDeferred(executor.run(statement, BootstrapSession())))


class IChatCredentials(Interface):
    """
    Credentials checked by a conversation.
    """


@implementer(IChatCredentials)
class ChatCredentials:
    """
    Credentials whose check is a conversation: the checker asks questions
    through the channel of the attempt.
    """

    def __init__(self, account: Account, channel: Any, first: bytes) -> None:
        self.account = account
        self.channel = channel
        self.first = first


@implementer(ICredentialsChecker)
class ChatChecker:
    """
    Accept when the first answer is the account's string and the answer to
    a second question is C{b"42"}; a test may hold the check open.
    """

    credentialInterfaces = (IChatCredentials,)

    def __init__(self) -> None:
        self.cancelled: List[Any] = []
        self.hold: Any = None

    def requestAvatarId(self, credentials: ChatCredentials):
        if self.hold is not None:
            held = defer.Deferred(lambda d: self.cancelled.append(d))
            self.hold.append(held)
            return held
        if credentials.first != credentials.account.authString:
            return defer.fail(UnauthorizedLogin())
        credentials.channel.sendAuthData(b"\x02Answer: ", alwaysWrap=False)
        d = credentials.channel.receiveAuthData()

        def check(answer: bytes) -> bytes:
            if answer != b"42\x00":
                raise UnauthorizedLogin()
            return credentials.account.user.encode("utf-8")

        return d.addCallback(check)


@implementer(IAuthExchange)
class ChatExchange:
    clientPluginName = "dialog"

    def __init__(self, method: "ChatMethod", attempt: Any) -> None:
        self.method = method
        self.attempt = attempt

    def initialData(self):
        d = defer.Deferred()
        self.method.pendingFirst.append(d)
        return d

    def responseReceived(self, data: bytes):
        return TryLogin(ChatCredentials(self.attempt.account, self.attempt.channel, data[:-1]))

    def loginFailed(self, reason):
        return reason

    def loginSucceeded(self):
        return None


@implementer(IAuthMethod)
class ChatMethod:
    pluginName = "toy_chat"
    clientPluginName = "mysql_clear_password"
    aliases = ()
    requiresSecureTransport = False
    passwordUsed = True
    canGreet = False

    def __init__(self) -> None:
        self.pendingFirst: List[defer.Deferred] = []
        self.checker = ChatChecker()

    def credentialsCheckers(self):
        return [self.checker]

    def newExchange(self, context):
        return ChatExchange(self, context)

    def hashPassword(self, password: bytes) -> bytes:
        return password

    def checkAuthString(self, authString: bytes) -> bytes:
        return authString


class AuthDataPayloadTests(SynchronousTestCase):
    """
    L{authDataPayload} wraps as MySQL or as MariaDB.
    """

    def test_always(self) -> None:
        self.assertEqual(authDataPayload(b"\x04Password: "), b"\x01\x04Password: ")

    def test_whenNeeded(self) -> None:
        self.assertEqual(authDataPayload(b"\x04Password: ", False), b"\x04Password: ")
        for first in (0x00, 0x01, 0xFE, 0xFF):
            data = bytes([first]) + b"x"
            self.assertEqual(authDataPayload(data, False), b"\x01" + data)
        self.assertEqual(authDataPayload(b"", False), b"\x01")


class ConversationTests(SynchronousTestCase):
    """
    A method whose first packet comes later, and whose checker converses.
    """

    def setUp(self) -> None:
        self.clock = Clock()
        self.accounts = AccountManager(InMemoryAccountStore())
        self.successResultOf(self.accounts.start())
        self.method = ChatMethod()
        self.factory = MySQLServerFactory.forAccounts(
            self.accounts,
            self.clock,
            methods=MethodRegistry([theNativePasswordMethod, self.method]),
            defaultPlugin="mysql_native_password",
        )
        createUser(
            self, self.factory, "CREATE USER chatty@localhost IDENTIFIED WITH toy_chat AS 'sesame'"
        )

    def connect(self, answers=(b"42",)):
        self.dialog = DialogAnswers(answers)
        client = MySQLTestClient(b"chatty", b"sesame", authHandlers={"dialog": self.dialog})
        c, server, pump = connectedServerAndClient(
            self.factory, client, peerAddress=LOCALHOST, clock=self.clock
        )
        pump.flush()
        results: list = []
        client.loggedIn.addBoth(results.append)
        return client, server, pump, results

    def test_lateFirstPacket(self) -> None:
        """
        The AuthSwitchRequest waits for the Deferred of C{initialData},
        names the exchange's client plugin and carries the data unwrapped;
        the checker's second question goes out unwrapped and its answer
        comes back through the channel.
        """
        client, server, pump, results = self.connect()
        self.assertEqual(results, [])
        self.assertEqual(client.trace.switchedTo, [])
        self.method.pendingFirst.pop().callback(b"\x04Password: ")
        pump.flush()
        self.assertEqual(client.trace.switchedTo, ["dialog"])
        self.assertEqual(self.dialog.prompts, [(4, b"Password: "), (2, b"Answer: ")])
        self.assertEqual(len(results), 1)
        self.assertNotIsInstance(results[0], Exception)
        self.assertTrue(IAuthChannel.providedBy(server))
        self.assertEqual(server.avatar.account.user, "chatty")

    def test_wrongSecondAnswer(self) -> None:
        """
        A wrong answer to the checker's question is a refusal, 1045.
        """
        client, server, pump, results = self.connect(answers=(b"41",))
        self.method.pendingFirst.pop().callback(b"\x04Password: ")
        pump.flush()
        failure = results[0]
        failure.trap(ServerError)
        self.assertEqual(failure.value.errorCode, 1045)

    def test_cancelledOnDisconnect(self) -> None:
        """
        A client gone while its credentials are checked cancels the check.
        """
        self.method.checker.hold = []
        client, server, pump, results = self.connect()
        self.method.pendingFirst.pop().callback(b"\x04Password: ")
        pump.flush()
        self.assertEqual(len(self.method.checker.hold), 1)
        client.transport.loseConnection()
        pump.flush()
        self.assertEqual(len(self.method.checker.cancelled), 1)

    def test_cancelledOnTimeout(self) -> None:
        """
        The login timeout cuts off a check that never ends, and cancels it.
        """
        self.method.checker.hold = []
        client, server, pump, results = self.connect()
        self.method.pendingFirst.pop().callback(b"\x04Password: ")
        pump.flush()
        self.clock.advance(self.factory.config.connectTimeout + 1)
        pump.flush()
        self.assertEqual(len(self.method.checker.cancelled), 1)
        self.assertEqual(len(results), 1)

    def test_readerFailsOnDisconnect(self) -> None:
        """
        A conversation waiting for an answer learns that the client left.
        """
        received: list = []
        checker = self.method.checker

        def converse(credentials):
            d = credentials.channel.receiveAuthData()
            d.addBoth(received.append)
            return defer.Deferred()

        checker.requestAvatarId = converse
        client, server, pump, results = self.connect()
        self.method.pendingFirst.pop().callback(b"\x04Password: ")
        pump.flush()
        client.transport.loseConnection()
        pump.flush()
        self.assertEqual(len(received), 1)
        self.assertIsInstance(received[0].value, Exception)

    def test_channelCutOnDisconnect(self) -> None:
        """
        Credentials kept after the login still hold the attempt's channel;
        once the client is gone the channel no longer reaches the
        connection (no reference cycle through them): it sends nothing and
        a read fails as on a closed connection.
        """
        kept: list = []
        check = self.method.checker.requestAvatarId

        def keep(credentials):
            kept.append(credentials)
            return check(credentials)

        self.method.checker.requestAvatarId = keep
        client, server, pump, results = self.connect()
        self.method.pendingFirst.pop().callback(b"\x04Password: ")
        pump.flush()
        self.assertEqual(server.avatar.account.user, "chatty")
        channel = kept[0].channel
        self.assertIs(channel, server.attempt.channel)
        self.assertTrue(IAuthChannel.providedBy(channel))
        sent: list = []
        server.sendAuthData = lambda *a, **kw: sent.append(a)
        client.transport.loseConnection()
        pump.flush()
        self.assertNotIn(server, gc.get_referents(channel))
        channel.sendAuthData(b"\x02More? ")
        self.assertEqual(sent, [])
        self.failureResultOf(channel.receiveAuthData(), ConnectionDone)

    def test_cannotGreet(self) -> None:
        """
        A method that says it cannot greet is refused as the default.
        """
        self.assertRaises(
            ValueError,
            MySQLServerFactory.forAccounts,
            self.accounts,
            self.clock,
            methods=MethodRegistry([theNativePasswordMethod, self.method]),
            defaultPlugin="toy_chat",
        )


@implementer(IAuthExchange)
class TwoPartExchange:
    """
    Reads a token the client split in two packets: the first ends in C{+}.
    """

    def __init__(self, attempt: Any) -> None:
        self.attempt = attempt
        self.parts: List[bytes] = []

    def initialData(self) -> bytes:
        return b"\x00"

    def responseReceived(self, data: bytes):
        self.parts.append(data)
        if data.endswith(b"+"):
            return ReadMore()
        return TryLogin(
            ChatCredentials(self.attempt.account, None, b"".join(p.rstrip(b"+") for p in self.parts))
        )

    def loginFailed(self, reason):
        return reason

    def loginSucceeded(self):
        return None


@implementer(ICredentialsChecker)
class TokenChecker:
    credentialInterfaces = (IChatCredentials,)

    def requestAvatarId(self, credentials):
        if credentials.first == credentials.account.authString:
            return credentials.account.user.encode("utf-8")
        raise UnauthorizedLogin()


@implementer(IAuthMethod)
class TwoPartMethod(ChatMethod):
    pluginName = "two_part"
    clientPluginName = "two_part_client"

    def __init__(self) -> None:
        self.checker = TokenChecker()

    def newExchange(self, context):
        return TwoPartExchange(context)


class SplitToken:
    """
    The client side: sends its token in two packets, with nothing between.
    """

    def __init__(self, client: MySQLTestClient) -> None:
        self.client = client

    def start(self, data: bytes) -> List[bytes]:
        return [b"open+", b"sesame"]

    def moreData(self, payload: bytes) -> List[bytes]:
        raise AssertionError(f"unexpected {payload!r}")


class ReadMoreTests(SynchronousTestCase):
    """
    L{ReadMore} waits for another packet without sending anything.
    """

    def test_twoPackets(self) -> None:
        clock = Clock()
        accounts = AccountManager(InMemoryAccountStore())
        self.successResultOf(accounts.start())
        factory = MySQLServerFactory.forAccounts(
            accounts,
            clock,
            methods=MethodRegistry([theNativePasswordMethod, TwoPartMethod()]),
            defaultPlugin="mysql_native_password",
        )
        createUser(self, factory, "CREATE USER tok@localhost IDENTIFIED WITH two_part AS 'opensesame'")
        client = MySQLTestClient(b"tok", authHandlers={"two_part_client": SplitToken})
        c, server, pump = connectedServerAndClient(factory, client, peerAddress=LOCALHOST, clock=clock)
        pump.flush()
        trace = self.successResultOf(client.loggedIn)
        self.assertEqual(trace.switchedTo, ["two_part_client"])
        self.assertEqual(trace.moreData, [])
        self.assertEqual(server.avatar.account.user, "tok")
