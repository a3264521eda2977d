# -*- test-case-name: tests.test_session -*-
# Copyright (c) twisted_mysqlauth developers.
# See LICENSE for details.
"""
The command phase: what serves a connection after its login.

An application provides L{IMySQLSession} (one per connection, built by the
factory's C{sessionFactory(avatar, connection)}) and answers through the
L{IMySQLConnection} it is given. L{AccountSQLSession} is the session of
C{twistd mysqlauth}: ping, quit, USE, identity and variable reads, and the
account SQL.
"""

from __future__ import annotations

from typing import Any, Sequence

from zope.interface import Attribute, Interface, implementer

from twisted.internet import defer

from twisted_mysqlauth import errors
from twisted_mysqlauth.sql.executor import Executor
from twisted_mysqlauth.wire import constants as C


class IMySQLConnection(Interface):
    """
    A logged-in connection, as a session sees it. Each command gets exactly
    one answer: an OK, an error, or a result set.
    """

    connectionId = Attribute("The connection's id (C{CONNECTION_ID()}).")
    avatar = Attribute("The L{twisted_mysqlauth.interfaces.IMySQLAvatar}.")
    database = Attribute("The current database name (text) or L{None}.")

    def sendOK(affectedRows=0, info=b"", warnings=0):
        """
        Answer the current command with OK.

        @param warnings: how many notes, warnings and errors C{SHOW
            WARNINGS} would list (the client says "1 warning").
        """

    def sendError(error):
        """
        Answer the current command with an ERR.

        @param error: a L{twisted_mysqlauth.errors.MySQLError}.
        """

    def sendResultSet(columns, rows):
        """
        Answer the current command with a text result set.

        @param columns: L{twisted_mysqlauth.wire.packets.Column}s or names.
        @param rows: sequences of bytes or L{None} (NULL).
        """

    def close():
        """
        Close the connection.
        """


class IMySQLSession(Interface):
    """
    Serves one logged-in connection's commands.
    """

    def commandReceived(command, payload):
        """
        A command arrived.

        @param command: the command byte (C{COM_QUERY}, ...); C{COM_QUIT}
            never reaches a session.
        @param payload: the bytes after it.
        @return: L{None} or a L{Deferred}; the next command is not delivered
            until it fires. Raising (or failing with) a
            L{twisted_mysqlauth.errors.MySQLError} answers with that error.
        """

    def connectionLost(reason):
        """
        The connection closed.
        """


@implementer(IMySQLSession)
class AccountSQLSession:
    """
    The default session: C{COM_PING}, C{COM_INIT_DB},
    C{COM_RESET_CONNECTION}, and C{COM_QUERY} for identity and variable
    reads and the account SQL; every other command gets ER_UNKNOWN_COM_ERROR.

    @ivar avatar: who is logged in.
    @ivar connection: the L{IMySQLConnection}.
    @ivar variables: session system variables set with C{SET}.
    @ivar userVariables: C{@name} variables.
    @ivar warnings: the last statement's diagnostics (see
        L{Executor.run}); C{previousWarnings}, those of the one before.
    @ivar releaseAfterAnswer: close once the answer is sent (C{COMMIT
        RELEASE}).
    """

    # (Class defaults: nothing to make for a login that sends no statement.)
    warnings: Sequence[Any] = ()
    previousWarnings: Sequence[Any] = ()
    releaseAfterAnswer = False

    def __init__(self, avatar: Any, connection: Any, config: Any) -> None:
        self.avatar = avatar
        self.connection = connection
        self.config = config
        self.variables: dict = {}
        self.userVariables: dict = {}
        self.executor = Executor(config)

    @property
    def database(self):
        return self.connection.database

    def commandReceived(self, command: int, payload: bytes):
        if command == C.COM_PING or command == C.COM_RESET_CONNECTION:
            if command == C.COM_RESET_CONNECTION:
                self.variables.clear()
                self.userVariables.clear()
                self.warnings = self.previousWarnings = ()
            self.connection.sendOK()
            return None
        if command == C.COM_INIT_DB:
            name = payload.decode("utf-8", "replace")
            if not name:
                raise errors.NoDatabaseSelected()
            self.connection.database = name
            self.connection.sendOK()
            return None
        if command == C.COM_STATISTICS:
            # COM_STATISTICS is answered with a bare string, not an OK.
            self.connection.sendRaw(b"Uptime: 0  Threads: 1  Questions: 0")
            return None
        if command == C.COM_QUERY:
            text = payload.decode("utf-8", "replace")
            d = defer.ensureDeferred(self.executor.run(text, self))
            d.addCallback(self._answer)
            return d
        raise errors.UnknownCommand()

    def _answer(self, result: Any) -> None:
        if result is None or isinstance(result, int):
            if self.warnings:
                self.connection.sendOK(affectedRows=result or 0, warnings=len(self.warnings))
            else:
                # (Without the argument: connections written before it.)
                self.connection.sendOK(affectedRows=result or 0)
        else:
            columns, rows = result
            self.connection.sendResultSet(columns, rows)
        if self.releaseAfterAnswer:
            # COMMIT RELEASE, ROLLBACK RELEASE.
            self.connection.close()

    def connectionLost(self, reason: Any) -> None:
        pass
