# Copyright (c) twisted_mysqlauth developers.
# See LICENSE for details.
"""
A Twisted application with a MySQL-protocol service of its own: the
accounts live in memory, logins are checked by twisted_mysqlauth, and a
session written here answers the logged-in client's commands.

Run it with the UNIX socket to listen on::

    python embedded_server.py /tmp/embedded-demo.sock

and, in another terminal, log in with the mariadb client::

    mariadb -S /tmp/embedded-demo.sock -u app -papp-secret -e "SELECT 42"
"""

import sys

from zope.interface import implementer

from twisted.internet import defer, task
from twisted.internet.endpoints import serverFromString
from twisted.logger import globalLogBeginner, textFileLogObserver

from twisted_mysqlauth import errors
from twisted_mysqlauth.accounts.directory import AccountManager
from twisted_mysqlauth.accounts.memory import InMemoryAccountStore
from twisted_mysqlauth.accounts.model import Account, AccountName, PutAccount
from twisted_mysqlauth.auth.cachingsha2 import theCachingSHA2PasswordMethod
from twisted_mysqlauth.server import MySQLServerFactory
from twisted_mysqlauth.session import IMySQLSession
from twisted_mysqlauth.wire import constants as C


@implementer(IMySQLSession)
class EchoSession:
    """
    Serve one logged-in connection: every query is answered with a row
    saying who asked what.
    """

    def __init__(self, avatar, connection):
        # avatar provides IMySQLAvatar; connection provides IMySQLConnection.
        self.avatar = avatar
        self.connection = connection

    def commandReceived(self, command, payload):
        if command == C.COM_PING:
            self.connection.sendOK()
        elif command == C.COM_INIT_DB:
            self.connection.database = payload.decode("utf-8")
            self.connection.sendOK()
        elif command == C.COM_QUERY:
            avatar = self.avatar
            self.connection.sendResultSet(
                ["user", "account", "secure", "query"],
                [
                    [
                        f"{avatar.user}@{avatar.clientHost}".encode("utf-8"),
                        str(avatar.account.name).encode("utf-8"),
                        b"yes" if avatar.secure else b"no",
                        payload,
                    ]
                ],
            )
        else:
            # Raising a MySQLError answers the command with that ERR packet.
            raise errors.UnknownCommand()

    def connectionLost(self, reason):
        pass


async def main(reactor, socketPath):
    globalLogBeginner.beginLoggingTo([textFileLogObserver(sys.stdout)])

    # The accounts: an in-memory store behind an AccountManager (swap in
    # SQLiteAccountStore(path, reactor) to keep them on disk).
    accounts = AccountManager(InMemoryAccountStore())
    await accounts.start()
    await accounts.apply(
        [
            PutAccount(
                Account(
                    AccountName("app", "localhost"),
                    "caching_sha2_password",
                    theCachingSHA2PasswordMethod.hashPassword(b"app-secret"),
                )
            )
        ]
    )

    # The server: twisted.cred checks the logins, EchoSession serves the
    # connections that got in.
    factory = MySQLServerFactory.forAccounts(accounts, reactor, sessionFactory=EchoSession)
    # Refusals are always logged; successful logins only when asked.
    factory.logSuccessfulLogins = True
    endpoint = serverFromString(reactor, f"unix:{socketPath}")
    await endpoint.listen(factory)

    # Serve until interrupted.
    await defer.Deferred()


if __name__ == "__main__":
    task.react(lambda reactor, path: defer.ensureDeferred(main(reactor, path)), sys.argv[1:])
