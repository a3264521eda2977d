# Copyright (c) twisted_mysqlauth developers.
# See LICENSE for details.
"""
Logins tested in memory with twisted_mysqlauth.testing: no sockets, no
threads, no real clock. Run with::

    python -m twisted.trial test_login.py
"""

from twisted.internet.address import UNIXAddress
from twisted.internet.error import ConnectionDone
from twisted.internet.task import Clock
from twisted.trial.unittest import SynchronousTestCase

from twisted_mysqlauth.accounts.directory import AccountManager
from twisted_mysqlauth.accounts.memory import InMemoryAccountStore
from twisted_mysqlauth.accounts.model import Account, AccountName
from twisted_mysqlauth.auth.cachingsha2 import theCachingSHA2PasswordMethod
from twisted_mysqlauth.server import MySQLServerFactory
from twisted_mysqlauth.testing import (
    FakeTLSOptions,
    MySQLTestClient,
    ServerError,
    connectedServerAndClient,
)


class LoginTests(SynchronousTestCase):
    def setUp(self):
        self.clock = Clock()
        alice = Account(
            AccountName("alice", "localhost"),
            "caching_sha2_password",
            theCachingSHA2PasswordMethod.hashPassword(b"secret"),
        )
        accounts = AccountManager(InMemoryAccountStore([alice]))
        self.successResultOf(accounts.start())
        # The Clock stands in for the reactor (it drives the login timeout);
        # FakeTLSOptions lets the simulated transports do STARTTLS.
        self.factory = MySQLServerFactory.forAccounts(
            accounts, self.clock, tlsOptions=FakeTLSOptions()
        )

    def connect(self, client, peerAddress=None):
        client, server, pump = connectedServerAndClient(
            self.factory, client, peerAddress=peerAddress, clock=self.clock
        )
        pump.flush()
        return client, pump

    def test_fullAuthenticationOverTLS(self):
        """
        The first caching_sha2_password login finds the cache empty: the
        server asks for full authentication (0x04) and the client sends the
        password over TLS. The default session then answers queries.
        """
        client, pump = self.connect(MySQLTestClient(b"alice", b"secret", tlsOptions=FakeTLSOptions()))
        trace = self.successResultOf(client.loggedIn)
        self.assertEqual(trace.moreData, [b"\x04"])
        d = client.query("SELECT USER(), CURRENT_USER()")
        pump.flush()
        self.assertEqual(
            self.successResultOf(d),
            (["USER()", "CURRENT_USER()"], [[b"alice@localhost", b"alice@localhost"]]),
        )

    def test_fastPathAfterFullAuthentication(self):
        """
        Once a password has been verified, the next login takes the fast
        path (0x03), even over a UNIX socket without TLS.
        """
        self.connect(MySQLTestClient(b"alice", b"secret", tlsOptions=FakeTLSOptions()))
        client, pump = self.connect(
            MySQLTestClient(b"alice", b"secret"), peerAddress=UNIXAddress(None)
        )
        self.assertEqual(self.successResultOf(client.loggedIn).moreData, [b"\x03"])

    def test_wrongPassword(self):
        """
        A wrong password gets MySQL's error 1045.
        """
        client, pump = self.connect(MySQLTestClient(b"alice", b"wrong", tlsOptions=FakeTLSOptions()))
        error = self.failureResultOf(client.loggedIn, ServerError).value
        self.assertEqual(error.errorCode, 1045)
        self.assertEqual(
            error.message, "Access denied for user 'alice'@'localhost' (using password: YES)"
        )

    def test_loginTimeout(self):
        """
        A client that never answers the greeting is cut off after
        connect_timeout seconds (10 by default).
        """

        class Silent(MySQLTestClient):
            def dataReceived(self, data):
                pass

        client, pump = self.connect(Silent(b"alice"))
        self.clock.advance(10)
        pump.flush()
        self.failureResultOf(client.loggedIn, ConnectionDone)
        self.assertTrue(client.closed.called)
