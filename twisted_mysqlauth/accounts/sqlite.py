# -*- test-case-name: tests.test_sqlitestore -*-
# Copyright (c) twisted_mysqlauth developers.
# See LICENSE for details.
"""
An account store in an SQLite database file.

Every SQLite call runs on one dedicated thread, which alone creates and
uses the connection; the reactor thread only hands work over and gets
L{Deferred}s back. The database runs in WAL mode with C{synchronous=FULL},
and every L{SQLiteAccountStore.write} is a single C{BEGIN IMMEDIATE} ...
C{COMMIT} transaction, so a write whose L{Deferred} has fired survives the
process being killed.

The file holds password hashes: when the store creates it, it is created
readable and writable by its owner only (mode 0600).

Schema, version 1 (the C{schema_version} table holds the version, so that
later versions can migrate older files and refuse newer ones)::

    schema_version(version INTEGER)
    accounts(user TEXT, host TEXT, plugin TEXT, auth_string BLOB,
             locked INTEGER, privileges TEXT, grant_option INTEGER,
             PRIMARY KEY (user, host))
    proxy_grants(proxy_user TEXT, proxy_host TEXT, proxied_user TEXT,
                 proxied_host TEXT, with_grant INTEGER,
                 PRIMARY KEY (proxy_user, proxy_host,
                              proxied_user, proxied_host))
    settings(key TEXT PRIMARY KEY, value TEXT)

C{privileges} holds the privilege names sorted and joined with commas.
"""

from __future__ import annotations

import os
import sqlite3
from typing import Callable, Dict, Iterable, List, Optional

from twisted.internet.defer import Deferred, fail
from twisted.internet.threads import deferToThreadPool
from twisted.python.threadpool import ThreadPool
from zope.interface import implementer

from twisted_mysqlauth.accounts.model import (
    Account,
    AccountName,
    DeleteAccount,
    DeleteProxyGrant,
    ProxyGrant,
    PutAccount,
    PutProxyGrant,
    StoreSnapshot,
)
from twisted_mysqlauth.interfaces import IAccountStore

#: The schema version this module writes.
SCHEMA_VERSION = 1

# The result of closing, before there is one.
_NOT_CLOSED = object()

#: The mode of a database file the store creates.
FILE_MODE = 0o600

_CREATE_V1 = [
    "CREATE TABLE schema_version (version INTEGER NOT NULL)",
    """
    CREATE TABLE accounts (
        user TEXT NOT NULL,
        host TEXT NOT NULL,
        plugin TEXT NOT NULL,
        auth_string BLOB NOT NULL,
        locked INTEGER NOT NULL,
        privileges TEXT NOT NULL,
        grant_option INTEGER NOT NULL,
        PRIMARY KEY (user, host)
    )
    """,
    """
    CREATE TABLE proxy_grants (
        proxy_user TEXT NOT NULL,
        proxy_host TEXT NOT NULL,
        proxied_user TEXT NOT NULL,
        proxied_host TEXT NOT NULL,
        with_grant INTEGER NOT NULL,
        PRIMARY KEY (proxy_user, proxy_host, proxied_user, proxied_host)
    )
    """,
    "CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
]

#: Upgrades of older schemas: C{_MIGRATIONS[n]} turns version C{n} into
#: version C{n + 1} inside the opening transaction. There are none yet.
_MIGRATIONS: Dict[int, Callable[[sqlite3.Connection], None]] = {}


class StoreError(Exception):
    """
    An account store cannot be used: the file is not a database, was
    written by a newer version, or SQLite reported an error.

    @ivar path: the store's file.
    @ivar reason: what is wrong, as text.
    """

    def __init__(self, path: str, reason: str) -> None:
        """
        @param path: the store's file.
        @param reason: what is wrong.
        """
        super().__init__(path, reason)
        self.path = path
        self.reason = reason

    def __str__(self) -> str:
        return f"account store {self.path}: {self.reason}"


def _joinPrivileges(privileges: Iterable[str]) -> str:
    """
    @param privileges: privilege names.
    @return: the names sorted and joined with commas.
    @raise ValueError: if a name is empty or holds a comma.
    """
    names = sorted(privileges)
    for name in names:
        if not name or "," in name:
            raise ValueError(f"privilege name {name!r} cannot be stored")
    return ",".join(names)


def _splitPrivileges(text: str) -> frozenset:
    """
    @param text: the output of L{_joinPrivileges}.
    @return: the privilege names.
    """
    if not text:
        return frozenset()
    return frozenset(text.split(","))


def _asBytes(value: object) -> bytes:
    """
    @param value: an authentication string as read from the database.
    @return: it as bytes (text written by another tool is UTF-8 encoded).
    """
    if isinstance(value, str):
        return value.encode("utf-8")
    if value is None:
        return b""
    return bytes(value)  # type: ignore[arg-type]


@implementer(IAccountStore)
class SQLiteAccountStore:
    """
    An L{IAccountStore} in an SQLite database file.

    The store's thread is not a daemon thread: call L{close} when done, or
    let the reactor shut down, which closes the store.

    @ivar path: the database file.
    """

    def __init__(self, path: str, reactor: object) -> None:
        """
        Start the store's thread; the file is opened (and created, if it
        does not exist) by the first operation.

        @param path: the database file.
        @param reactor: the reactor (an L{IReactorThreads} and
            L{IReactorCore} provider) that results are delivered on; the
            store closes itself when it shuts down.
        """
        self.path = path
        self._reactor = reactor
        self._connection: Optional[sqlite3.Connection] = None
        self._closed = False
        self._closeWaiters: List[Deferred] = []
        self._closeResult: object = _NOT_CLOSED
        self._pool = ThreadPool(1, 1, name=f"SQLiteAccountStore {path}")
        self._pool.start()
        # "before": the only phase whose Deferreds the reactor waits for, so
        # the store's (non-daemon) thread is stopped before the process exits.
        self._shutdownTrigger: Optional[object] = reactor.addSystemEventTrigger(
            "before", "shutdown", self._reactorShutdown
        )

    def __repr__(self) -> str:
        return f"<SQLiteAccountStore {self.path!r}>"

    # Reactor thread.

    def _call(self, function: Callable[..., object], *args: object) -> Deferred:
        """
        Run C{function(connection, *args)} on the store's thread.

        @param function: the work to do.
        @param args: more arguments.
        @return: a L{Deferred} firing with the result, or failing with a
            L{StoreError} (for SQLite errors) or the exception raised.
        """
        if self._closed:
            return fail(StoreError(self.path, "the store is closed"))
        return deferToThreadPool(
            self._reactor, self._pool, self._inThread, function, *args
        )

    def load(self) -> Deferred:
        """
        Read every account and proxy grant.

        @return: a L{Deferred} firing with a L{StoreSnapshot} (accounts and
            grants sorted by name), or failing with L{StoreError} if the
            file is not a usable account store.
        """
        return self._call(self._load)

    def write(self, changes: Iterable[object]) -> Deferred:
        """
        Apply changes in one transaction.

        @param changes: L{PutAccount}, L{DeleteAccount}, L{PutProxyGrant}
            and L{DeleteProxyGrant} values, applied in order.
        @return: a L{Deferred} firing with L{None} once committed (and
            synced to disk), or failing, in which case nothing was written.
        """
        return self._call(self._write, list(changes))

    def getSetting(self, key: str) -> Deferred:
        """
        @param key: the setting's name.
        @return: a L{Deferred} firing with its text value, or L{None}.
        """
        return self._call(self._getSetting, key)

    def putSetting(self, key: str, value: Optional[str]) -> Deferred:
        """
        Write (or, with L{None}, delete) a setting in its own transaction.

        @param key: the setting's name.
        @param value: text, or L{None}.
        @return: a L{Deferred} firing with L{None} once committed.
        """
        return self._call(self._putSetting, key, value)

    def close(self) -> Deferred:
        """
        Close the database and stop the store's thread. Later operations
        fail with L{StoreError}; closing again only waits for the first
        close to finish.

        @return: a L{Deferred} firing with L{None} once closed.
        """
        waiter: Deferred = Deferred()
        self._closeWaiters.append(waiter)
        if not self._closed:
            self._closed = True
            if self._shutdownTrigger is not None:
                self._reactor.removeSystemEventTrigger(self._shutdownTrigger)
                self._shutdownTrigger = None
            done = deferToThreadPool(
                self._reactor, self._pool, self._closeConnection
            )
            done.addBoth(self._stopped)
        elif self._closeResult is not _NOT_CLOSED:
            self._stopped(self._closeResult)
        return waiter

    def _stopped(self, result: object) -> None:
        """
        The connection is closed: stop the thread and tell whoever is
        waiting in L{close}.

        @param result: L{None}, or a L{Failure} if closing the connection
            failed.
        """
        if self._closeResult is _NOT_CLOSED:
            self._pool.stop()
            self._closeResult = result
        waiters, self._closeWaiters = self._closeWaiters, []
        for waiter in waiters:
            waiter.callback(result)

    def _reactorShutdown(self) -> Deferred:
        """
        Close the store when the reactor shuts down.

        @return: a L{Deferred} firing once closed.
        """
        self._shutdownTrigger = None
        return self.close()

    # The store's thread.

    def _inThread(self, function: Callable[..., object], *args: object) -> object:
        """
        Open the database if need be and run C{function(connection,
        *args)}, turning SQLite errors into L{StoreError}.

        @param function: the work to do.
        @param args: more arguments.
        @return: what C{function} returns.
        @raise StoreError: for SQLite and file errors.
        """
        try:
            connection = self._open()
            return function(connection, *args)
        except sqlite3.Error as e:
            raise StoreError(self.path, f"{type(e).__name__}: {e}") from e
        except OSError as e:
            raise StoreError(self.path, str(e)) from e

    def _closeConnection(self) -> None:
        """
        Close the connection, if it is open.

        @raise StoreError: if SQLite fails to close it.
        """
        connection, self._connection = self._connection, None
        if connection is not None:
            try:
                connection.close()
            except sqlite3.Error as e:
                raise StoreError(self.path, f"{type(e).__name__}: {e}") from e

    def _open(self) -> sqlite3.Connection:
        """
        Return the connection, opening the file (creating it with mode
        0600 if missing) and checking, creating or migrating the schema on
        first use.

        @return: the connection.
        @raise StoreError: if the file is not an account store of a version
            this module can use.
        """
        if self._connection is not None:
            return self._connection
        try:
            # The umask can only take permissions away from FILE_MODE.
            descriptor = os.open(
                self.path, os.O_RDWR | os.O_CREAT | os.O_EXCL, FILE_MODE
            )
        except FileExistsError:
            pass
        else:
            os.close(descriptor)
        connection = sqlite3.connect(
            self.path, isolation_level=None, check_same_thread=True
        )
        try:
            connection.execute("PRAGMA journal_mode=WAL").fetchall()
            connection.execute("PRAGMA synchronous=FULL")
            self._prepareSchema(connection)
        except BaseException:
            connection.close()
            raise
        self._connection = connection
        return connection

    def _prepareSchema(self, connection: sqlite3.Connection) -> None:
        """
        Create the schema in an empty database, migrate an older one, and
        refuse anything else.

        @param connection: a new connection.
        @raise StoreError: for a database that is not an account store, or
            one of a newer schema version.
        """
        connection.execute("BEGIN IMMEDIATE")
        try:
            tables = {
                row[0]
                for row in connection.execute(
                    "SELECT name FROM sqlite_master WHERE type = 'table'"
                )
            }
            if "schema_version" not in tables:
                if tables:
                    raise StoreError(
                        self.path,
                        "not an account store: it holds tables ("
                        + ", ".join(sorted(tables))
                        + ") but no schema_version",
                    )
                for statement in _CREATE_V1:
                    connection.execute(statement)
                connection.execute(
                    "INSERT INTO schema_version (version) VALUES (?)",
                    (SCHEMA_VERSION,),
                )
            else:
                rows = connection.execute(
                    "SELECT version FROM schema_version"
                ).fetchall()
                if len(rows) != 1 or not isinstance(rows[0][0], int):
                    raise StoreError(
                        self.path, f"the schema_version table is damaged: {rows!r}"
                    )
                version = rows[0][0]
                if version > SCHEMA_VERSION:
                    raise StoreError(
                        self.path,
                        f"schema version {version} is newer than this version "
                        f"of twisted_mysqlauth supports ({SCHEMA_VERSION}); "
                        "upgrade twisted_mysqlauth",
                    )
                while version < SCHEMA_VERSION:
                    migrate = _MIGRATIONS.get(version)
                    if migrate is None:
                        raise StoreError(
                            self.path, f"unknown old schema version {version}"
                        )
                    migrate(connection)
                    version += 1
                    connection.execute(
                        "UPDATE schema_version SET version = ?", (version,)
                    )
            connection.execute("COMMIT")
        except BaseException:
            _rollback(connection)
            raise

    def _load(self, connection: sqlite3.Connection) -> StoreSnapshot:
        """
        Read everything in one read transaction.

        @param connection: the connection.
        @return: a L{StoreSnapshot}.
        """
        connection.execute("BEGIN")
        try:
            accountRows = connection.execute(
                "SELECT user, host, plugin, auth_string, locked, privileges, "
                "grant_option FROM accounts ORDER BY user, host"
            ).fetchall()
            grantRows = connection.execute(
                "SELECT proxy_user, proxy_host, proxied_user, proxied_host, "
                "with_grant FROM proxy_grants ORDER BY rowid"
            ).fetchall()
            connection.execute("COMMIT")
        except BaseException:
            _rollback(connection)
            raise
        accounts = tuple(
            Account(
                name=AccountName(user, host),
                plugin=plugin,
                authString=_asBytes(authString),
                locked=bool(locked),
                privileges=_splitPrivileges(privileges),
                grantOption=bool(grantOption),
            )
            for (user, host, plugin, authString, locked, privileges, grantOption)
            in accountRows
        )
        grants = tuple(
            ProxyGrant(
                proxy=AccountName(proxyUser, proxyHost),
                proxied=AccountName(proxiedUser, proxiedHost),
                withGrantOption=bool(withGrant),
            )
            for (proxyUser, proxyHost, proxiedUser, proxiedHost, withGrant)
            in grantRows
        )
        return StoreSnapshot(accounts=accounts, proxyGrants=grants)

    def _write(self, connection: sqlite3.Connection, changes: List[object]) -> None:
        """
        Apply changes in one immediate transaction, rolling back on any
        error.

        @param connection: the connection.
        @param changes: the changes.
        """
        connection.execute("BEGIN IMMEDIATE")
        try:
            for change in changes:
                self._writeOne(connection, change)
            connection.execute("COMMIT")
        except BaseException:
            _rollback(connection)
            raise

    def _writeOne(self, connection: sqlite3.Connection, change: object) -> None:
        """
        Apply one change inside the current transaction.

        @param connection: the connection.
        @param change: the change.
        @raise TypeError: if C{change} is not a change.
        """
        if isinstance(change, PutAccount):
            account = change.account
            connection.execute(
                "INSERT OR REPLACE INTO accounts (user, host, plugin, "
                "auth_string, locked, privileges, grant_option) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    account.name.user,
                    account.name.host,
                    account.plugin,
                    bytes(account.authString),
                    int(bool(account.locked)),
                    _joinPrivileges(account.privileges),
                    int(bool(account.grantOption)),
                ),
            )
        elif isinstance(change, DeleteAccount):
            connection.execute(
                "DELETE FROM accounts WHERE user = ? AND host = ?",
                (change.name.user, change.name.host),
            )
        elif isinstance(change, PutProxyGrant):
            grant = change.grant
            connection.execute(
                # An upsert keeps the row (and its rowid, the grant order
                # that server-chosen proxying follows, as MySQL does).
                "INSERT INTO proxy_grants (proxy_user, proxy_host, "
                "proxied_user, proxied_host, with_grant) VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT (proxy_user, proxy_host, proxied_user, proxied_host) "
                "DO UPDATE SET with_grant = excluded.with_grant",
                (
                    grant.proxy.user,
                    grant.proxy.host,
                    grant.proxied.user,
                    grant.proxied.host,
                    int(bool(grant.withGrantOption)),
                ),
            )
        elif isinstance(change, DeleteProxyGrant):
            connection.execute(
                "DELETE FROM proxy_grants WHERE proxy_user = ? AND proxy_host = ? "
                "AND proxied_user = ? AND proxied_host = ?",
                (
                    change.proxy.user,
                    change.proxy.host,
                    change.proxied.user,
                    change.proxied.host,
                ),
            )
        else:
            raise TypeError(f"not an account change: {change!r}")

    def _getSetting(self, connection: sqlite3.Connection, key: str) -> Optional[str]:
        """
        @param connection: the connection.
        @param key: the setting's name.
        @return: its value, or L{None}.
        """
        row = connection.execute(
            "SELECT value FROM settings WHERE key = ?", (key,)
        ).fetchone()
        return None if row is None else row[0]

    def _putSetting(
        self, connection: sqlite3.Connection, key: str, value: Optional[str]
    ) -> None:
        """
        Write or delete a setting in its own transaction.

        @param connection: the connection.
        @param key: the setting's name.
        @param value: its value, or L{None} to delete it.
        """
        connection.execute("BEGIN IMMEDIATE")
        try:
            if value is None:
                connection.execute("DELETE FROM settings WHERE key = ?", (key,))
            else:
                connection.execute(
                    "INSERT OR REPLACE INTO settings (key, value) VALUES (?, ?)",
                    (key, value),
                )
            connection.execute("COMMIT")
        except BaseException:
            _rollback(connection)
            raise


def _rollback(connection: sqlite3.Connection) -> None:
    """
    Roll back the current transaction, if there is one, ignoring errors (the
    error that made us roll back is the one to report).

    @param connection: the connection.
    """
    if connection.in_transaction:
        try:
            connection.execute("ROLLBACK")
        except sqlite3.Error:
            pass


__all__ = ["SQLiteAccountStore", "StoreError", "SCHEMA_VERSION"]
