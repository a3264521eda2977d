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

#: The file of a new datadir that holds the first account's password.
INITIAL_PASSWORD_FILE = "initial-root-password"


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


async def bootstrapAccounts(config: Any, datadir: str) -> Optional[str]:
    """
    Create the first administrative account of a new datadir:
    C{'root'@'localhost'} with every privilege and a random password,
    written to a file only its owner can read (the password is never
    logged).

    @param config: the L{twisted_mysqlauth.server.ServerConfiguration}.
    @param datadir: the datadir.
    @return: the path of the password file, or L{None} when accounts exist
        already.
    """
    if len(config.accounts.directory):
        return None
    from twisted_mysqlauth.tap import makeTemporaryPassword

    password = makeTemporaryPassword()
    path = os.path.join(datadir, INITIAL_PASSWORD_FILE)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    # An existing file keeps its mode through O_CREAT: restrict it before
    # the password is written, not after.
    os.fchmod(fd, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(password + "\n")
    executor = Executor(config)
    session = BootstrapSession()
    await executor.run(
        "CREATE USER 'root'@'localhost' IDENTIFIED BY "
        + quoteString(password.encode("ascii")),
        session,
    )
    await executor.run("GRANT ALL PRIVILEGES ON *.* TO 'root'@'localhost' WITH GRANT OPTION", session)
    _log.warn(
        "first start: created 'root'@'localhost' with a random password, "
        "saved in {path} (readable by its owner only). Log in with: "
        "mariadb -h 127.0.0.1 -u root -p\"$(cat {path})\"",
        path=os.path.abspath(path),
    )
    return path
