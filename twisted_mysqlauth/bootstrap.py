# -*- test-case-name: tests.test_bootstrap -*-
# Copyright (c) twisted_mysqlauth developers.
# See LICENSE for details.
"""
What runs before the first client: the administrative account of a new
datadir, and the statements of C{--init-file} (with full privileges, as
C{mysqld --init-file}).
"""

from __future__ import annotations

import os
from typing import Any, Optional

import attr

from twisted.logger import Logger

from twisted_mysqlauth import errors
from twisted_mysqlauth.accounts.model import ALL_PRIVILEGES, Account, AccountName
from twisted_mysqlauth.sql.executor import Executor, quoteString
from twisted_mysqlauth.sql.parser import splitStatements

_log = Logger()


@attr.s(auto_attribs=True)
class _BootstrapConnection:
    connectionId: int = 0
    database: Optional[str] = None


@attr.s(auto_attribs=True)
class BootstrapSession:
    """
    A session with every privilege, for statements the operator wrote (the
    init file); C{USER()} and C{CURRENT_USER()} answer C{root@localhost}.
    """

    avatar: Any = attr.Factory(
        lambda: _BootstrapAvatar(
            Account(
                AccountName("root", "localhost"),
                "caching_sha2_password",
                privileges=ALL_PRIVILEGES,
                grantOption=True,
            )
        )
    )
    connection: Any = attr.Factory(_BootstrapConnection)
    variables: dict = attr.Factory(dict)
    userVariables: dict = attr.Factory(dict)
    bootstrap: bool = True


@attr.s(auto_attribs=True, frozen=True)
class _BootstrapAvatar:
    account: Account
    user: str = "root"
    clientHost: str = "localhost"
    proxyUser: Any = None
    externalUser: Any = None
    userAtHost: str = "root@localhost"
    currentUser: str = "root@localhost"


def _redacted(error: errors.MySQLError) -> str:
    """
    The message of an init-file error, without the statement text a syntax
    error quotes: it may hold a password, and start-up errors are logged.
    """
    if isinstance(error, errors.ParseError):
        return "You have an error in your SQL syntax (the statement is not shown: it may hold a password)"
    return error.message


class InitFileError(Exception):
    """
    A statement of the init file failed; the message names the file, the
    statement's number and the MySQL error.
    """


async def runInitFile(config: Any, path: str) -> int:
    """
    Run every statement of an init file, in order, stopping at the first
    error.

    @param config: the L{twisted_mysqlauth.server.ServerConfiguration}.
    @param path: the file.
    @return: how many statements ran.
    @raise InitFileError: the file cannot be read or a statement failed.
    """
    try:
        with open(path, encoding="utf-8") as f:
            script = f.read()
    except (OSError, UnicodeDecodeError) as e:
        raise InitFileError(f"cannot read init file {path}: {e}") from None
    try:
        statements = splitStatements(script)
    except errors.MySQLError as e:
        raise InitFileError(
            f"init file {path}: ERROR {e.errorCode} ({e.sqlState}): {_redacted(e)}"
        ) from None
    executor = Executor(config)
    session = BootstrapSession()
    for number, statement in enumerate(statements, 1):
        try:
            await executor.run(statement, session)
        except errors.MySQLError as e:
            raise InitFileError(
                f"init file {path}, statement {number}: "
                f"ERROR {e.errorCode} ({e.sqlState}): {_redacted(e)}"
            ) from None
    _log.info("ran {count} statements from {path}", count=len(statements), path=path)
    return len(statements)


def serverOSUser() -> str:
    """
    @return: the name of the OS user this process runs as.
    """
    import pwd

    try:
        return pwd.getpwuid(os.geteuid()).pw_name
    except KeyError:
        return str(os.geteuid())


async def bootstrapAccounts(
    config: Any, socketPath: Optional[str] = None, osUser: Optional[str] = None
) -> Optional[str]:
    """
    Create the first administrative account of a new datadir, as Debian's
    MariaDB does: C{'root'@'localhost' IDENTIFIED WITH auth_socket AS
    '<the OS user running the server>'} with every privilege, so the
    server's owner logs in over the UNIX socket with no password at all.

    @param config: the L{twisted_mysqlauth.server.ServerConfiguration}.
    @param socketPath: the UNIX socket the server listens on, for the log
        message, or L{None}.
    @param osUser: the OS user to name (default: the one running this
        process).
    @return: the OS user named, or L{None} when accounts exist already.
    """
    if len(config.accounts.directory):
        return None
    if osUser is None:
        osUser = serverOSUser()
    executor = Executor(config)
    session = BootstrapSession()
    await executor.run(
        "CREATE USER 'root'@'localhost' IDENTIFIED WITH auth_socket AS "
        + quoteString(osUser.encode("utf-8")),
        session,
    )
    await executor.run("GRANT ALL PRIVILEGES ON *.* TO 'root'@'localhost' WITH GRANT OPTION", session)
    # As MySQL's --initialize: root may grant PROXY on every account.
    await executor.run("GRANT PROXY ON ''@'' TO 'root'@'localhost' WITH GRANT OPTION", session)
    if socketPath:
        _log.warn(
            "first start: created 'root'@'localhost' IDENTIFIED WITH auth_socket AS "
            "'{osUser}'; as OS user {osUser}, log in with: mariadb -S {socketPath} -u root",
            osUser=osUser,
            socketPath=socketPath,
        )
    else:
        # auth_socket reads the peer of a UNIX socket: over TCP root is
        # always refused.
        _log.warn(
            "first start: created 'root'@'localhost' IDENTIFIED WITH auth_socket AS "
            "'{osUser}', which logs in only over a UNIX socket, and this server "
            "listens on none: add --listen unix:<path> (or make accounts with "
            "--init-file)",
            osUser=osUser,
        )
    return osUser
