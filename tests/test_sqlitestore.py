# -*- test-case-name: tests.test_sqlitestore -*-
# Copyright (c) twisted_mysqlauth developers.
# See LICENSE for details.
"""
Tests for L{twisted_mysqlauth.accounts.sqlite}.

The store does its work on a thread of its own, so these tests use trial's
L{TestCase} and return L{Deferred}s.
"""

import os
import signal
import sqlite3
import stat
import subprocess
import sys
import threading

import attr
from twisted.internet.defer import inlineCallbacks
from twisted.trial.unittest import SynchronousTestCase, TestCase
from zope.interface.verify import verifyObject

import twisted_mysqlauth
from twisted_mysqlauth.accounts import sqlite as sqliteModule
from twisted_mysqlauth.accounts.model import (
    ALL_PRIVILEGES,
    Account,
    AccountName,
    DeleteAccount,
    DeleteProxyGrant,
    ProxyGrant,
    PutAccount,
    PutProxyGrant,
    StoreSnapshot,
)
from twisted_mysqlauth.accounts.sqlite import SQLiteAccountStore, StoreError
from twisted_mysqlauth.interfaces import IAccountStore

PROJECT_ROOT = os.path.dirname(
    os.path.dirname(os.path.abspath(twisted_mysqlauth.__file__))
)


def runningReactor():
    """
    @return: the reactor trial runs (imported late, so that importing this
        module does not install one).
    """
    from twisted.internet import reactor

    return reactor


ALICE = Account(
    AccountName("alice", "%"),
    "caching_sha2_password",
    authString=bytes(range(256)) + b"\x00",
    locked=True,
    privileges=ALL_PRIVILEGES,
    grantOption=True,
)
BOB = Account(
    AccountName("b\u00f6b \u2603", "10.0.0.0/255.0.0.0"),
    "mysql_native_password",
    authString=b"*" + b"\x00" * 20,
    privileges=frozenset(["CREATE USER", "SELECT"]),
)
ANONYMOUS = Account(AccountName("", "localhost"), "auth_socket", authString=b"")
GRANT = ProxyGrant(ALICE.name, BOB.name, withGrantOption=True)
OTHER_GRANT = ProxyGrant(ANONYMOUS.name, ALICE.name)


class RecordingReactor:
    """
    A reactor that records system event triggers and passes calls from
    threads on to the real reactor.

    @ivar triggers: the triggers added and not removed, by id.
    """

    def __init__(self):
        self.triggers = {}

    def addSystemEventTrigger(self, phase, eventType, callable, *args, **kwargs):
        triggerID = object()
        self.triggers[triggerID] = (phase, eventType, callable)
        return triggerID

    def removeSystemEventTrigger(self, triggerID):
        del self.triggers[triggerID]

    def callFromThread(self, f, *args, **kwargs):
        return runningReactor().callFromThread(f, *args, **kwargs)


class SQLiteAccountStoreTests(TestCase):
    """
    Tests for L{SQLiteAccountStore}.
    """

    def setUp(self):
        self.directory = self.mktemp()
        os.mkdir(self.directory)
        self.path = os.path.join(self.directory, "accounts.sqlite")

    def store(self, path=None, reactor=None):
        """
        Open a store that is closed when the test ends.

        @param path: the database file (by default L{path}).
        @param reactor: the reactor to give it (by default the running one).
        @return: the L{SQLiteAccountStore}.
        """
        store = SQLiteAccountStore(path or self.path, reactor or runningReactor())
        self.addCleanup(store.close)
        return store

    def test_interface(self):
        """
        L{SQLiteAccountStore} provides L{IAccountStore}.
        """
        self.assertTrue(verifyObject(IAccountStore, self.store()))

    @inlineCallbacks
    def test_newFileIsEmpty(self):
        """
        A new file loads as an empty snapshot.
        """
        snapshot = yield self.store().load()
        self.assertEqual(snapshot, StoreSnapshot())

    @inlineCallbacks
    def test_fileMode(self):
        """
        The store creates its file (and SQLite its write-ahead log) readable
        and writable by the owner only, whatever the umask.
        """
        oldMask = os.umask(0)
        self.addCleanup(os.umask, oldMask)
        store = self.store()
        yield store.write([PutAccount(ALICE)])
        self.assertEqual(stat.S_IMODE(os.stat(self.path).st_mode), 0o600)
        wal = self.path + "-wal"
        if os.path.exists(wal):
            self.assertEqual(stat.S_IMODE(os.stat(wal).st_mode), 0o600)

    @inlineCallbacks
    def test_existingFileModeKept(self):
        """
        The mode of an existing file is left alone.
        """
        store = self.store()
        yield store.load()
        yield store.close()
        os.chmod(self.path, 0o640)
        yield self.store().load()
        self.assertEqual(stat.S_IMODE(os.stat(self.path).st_mode), 0o640)

    @inlineCallbacks
    def test_walAndSchemaVersion(self):
        """
        The database is in WAL mode and records its schema version.
        """
        yield self.store().load()
        connection = sqlite3.connect(self.path)
        try:
            mode = connection.execute("PRAGMA journal_mode").fetchone()[0]
            version = connection.execute(
                "SELECT version FROM schema_version"
            ).fetchall()
        finally:
            connection.close()
        self.assertEqual(mode, "wal")
        self.assertEqual(version, [(sqliteModule.SCHEMA_VERSION,)])

    @inlineCallbacks
    def test_synchronousFull(self):
        """
        The store asks for C{synchronous=FULL} (rather than relying on
        SQLite's compiled-in default) and the connection runs with it.
        """
        statements = []
        connect = sqlite3.connect

        def tracingConnect(*args, **kwargs):
            connection = connect(*args, **kwargs)
            connection.set_trace_callback(statements.append)
            return connection

        self.patch(sqliteModule.sqlite3, "connect", tracingConnect)
        store = self.store()
        yield store.load()
        self.assertIn("PRAGMA synchronous=FULL", statements)
        level = yield store._call(
            lambda connection: connection.execute("PRAGMA synchronous").fetchone()[0]
        )
        self.assertEqual(level, 2)

    @inlineCallbacks
    def test_grantOrderKept(self):
        """
        Proxy grants load in the order they were granted; granting again
        (changing WITH GRANT OPTION) keeps a grant's place.
        """
        store = self.store()
        yield store.write([PutProxyGrant(OTHER_GRANT), PutProxyGrant(GRANT)])
        flipped = attr.evolve(OTHER_GRANT, withGrantOption=not OTHER_GRANT.withGrantOption)
        yield store.write([PutProxyGrant(flipped)])
        snapshot = yield store.load()
        self.assertEqual([(g.proxy, g.proxied) for g in snapshot.proxyGrants],
                         [(OTHER_GRANT.proxy, OTHER_GRANT.proxied), (GRANT.proxy, GRANT.proxied)])
        self.assertEqual(snapshot.proxyGrants[0].withGrantOption, not OTHER_GRANT.withGrantOption)
        yield store.close()

    @inlineCallbacks
    def test_roundTrip(self):
        """
        Every field of accounts and proxy grants, including binary
        authentication strings with every byte value and non-ASCII names,
        reads back equal from a new store on the same file.
        """
        store = self.store()
        yield store.write(
            [
                PutAccount(ALICE),
                PutAccount(BOB),
                PutAccount(ANONYMOUS),
                PutProxyGrant(GRANT),
                PutProxyGrant(OTHER_GRANT),
            ]
        )
        yield store.close()
        snapshot = yield self.store().load()
        self.assertEqual(
            snapshot,
            StoreSnapshot(
                accounts=tuple(
                    sorted([ALICE, BOB, ANONYMOUS], key=lambda a: (a.user, a.host))
                ),
                # In the order they were granted.
                proxyGrants=(GRANT, OTHER_GRANT),
            ),
        )
        loaded = {a.name: a for a in snapshot.accounts}
        self.assertIsInstance(loaded[ALICE.name].authString, bytes)
        self.assertIs(loaded[ALICE.name].locked, True)
        self.assertIs(loaded[BOB.name].locked, False)
        self.assertIs(loaded[BOB.name].grantOption, False)
        self.assertEqual(loaded[ANONYMOUS.name].privileges, frozenset())

    @inlineCallbacks
    def test_replaceAndDelete(self):
        """
        Puts replace rows with the same key and deletes remove them;
        deleting what is not there is not an error.
        """
        store = self.store()
        yield store.write([PutAccount(ALICE), PutAccount(BOB), PutProxyGrant(GRANT)])
        changedAlice = Account(ALICE.name, "mysql_native_password")
        changedGrant = ProxyGrant(GRANT.proxy, GRANT.proxied, withGrantOption=False)
        yield store.write(
            [
                PutAccount(changedAlice),
                DeleteAccount(BOB.name),
                DeleteAccount(AccountName("nobody", "%")),
                PutProxyGrant(changedGrant),
                PutProxyGrant(OTHER_GRANT),
                DeleteProxyGrant(OTHER_GRANT.proxy, OTHER_GRANT.proxied),
            ]
        )
        snapshot = yield store.load()
        self.assertEqual(
            snapshot,
            StoreSnapshot(accounts=(changedAlice,), proxyGrants=(changedGrant,)),
        )

    @inlineCallbacks
    def test_rollbackWhenLaterChangeFails(self):
        """
        When a change late in a batch fails, the earlier changes of the
        batch are rolled back and what was there before is kept.
        """
        store = self.store()
        yield store.write([PutAccount(ALICE)])
        original = store._writeOne

        def failOnBob(connection, change):
            if isinstance(change, PutAccount) and change.account == BOB:
                raise sqlite3.OperationalError("disk I/O error")
            return original(connection, change)

        store._writeOne = failOnBob
        error = yield self.assertFailure(
            store.write(
                [
                    DeleteAccount(ALICE.name),
                    PutAccount(ANONYMOUS),
                    PutProxyGrant(GRANT),
                    PutAccount(BOB),
                ]
            ),
            StoreError,
        )
        self.assertIn("disk I/O error", str(error))
        self.assertIn(self.path, str(error))
        snapshot = yield store.load()
        self.assertEqual(snapshot, StoreSnapshot(accounts=(ALICE,)))
        # The store is still usable.
        store._writeOne = original
        yield store.write([PutAccount(BOB)])
        snapshot = yield store.load()
        self.assertEqual(len(snapshot.accounts), 2)

    @inlineCallbacks
    def test_rollbackOnNotAChange(self):
        """
        A value that is not a change fails the write with L{TypeError} and
        nothing of the batch is written.
        """
        store = self.store()
        yield self.assertFailure(store.write([PutAccount(ALICE), ALICE]), TypeError)
        snapshot = yield store.load()
        self.assertEqual(snapshot, StoreSnapshot())

    @inlineCallbacks
    def test_unstorablePrivilege(self):
        """
        A privilege name holding a comma cannot be stored; the write fails
        and writes nothing.
        """
        store = self.store()
        odd = Account(AccountName("odd", "%"), "x", privileges=frozenset(["A,B"]))
        yield self.assertFailure(
            store.write([PutAccount(ALICE), PutAccount(odd)]), ValueError
        )
        snapshot = yield store.load()
        self.assertEqual(snapshot, StoreSnapshot())

    @inlineCallbacks
    def test_settings(self):
        """
        Settings can be read, written, replaced and deleted, and persist.
        """
        store = self.store()
        self.assertIsNone((yield store.getSetting("plugins")))
        yield store.putSetting("plugins", "auth_socket")
        yield store.putSetting("other", "x")
        self.assertEqual((yield store.getSetting("plugins")), "auth_socket")
        yield store.putSetting("plugins", "auth_socket,mysql_no_login")
        yield store.putSetting("other", None)
        yield store.putSetting("never-there", None)
        yield store.close()
        store = self.store()
        self.assertEqual(
            (yield store.getSetting("plugins")), "auth_socket,mysql_no_login"
        )
        self.assertIsNone((yield store.getSetting("other")))

    @inlineCallbacks
    def test_notADatabase(self):
        """
        Loading a file that is not a database fails with a L{StoreError}
        naming the path and the reason.
        """
        with open(self.path, "wb") as f:
            f.write(b"this is not an SQLite database, just some text\n" * 100)
        error = yield self.assertFailure(self.store().load(), StoreError)
        self.assertIn(self.path, str(error))
        self.assertIn("not a database", str(error))
        self.assertEqual(error.path, self.path)

    @inlineCallbacks
    def test_newerSchema(self):
        """
        Loading a store written by a newer version fails with a
        L{StoreError} naming the path and the versions.
        """
        store = self.store()
        yield store.load()
        yield store.close()
        connection = sqlite3.connect(self.path)
        with connection:
            connection.execute("UPDATE schema_version SET version = 99")
        connection.close()
        error = yield self.assertFailure(self.store().load(), StoreError)
        self.assertIn(self.path, str(error))
        self.assertIn("schema version 99 is newer", str(error))

    @inlineCallbacks
    def test_foreignDatabase(self):
        """
        Loading an SQLite database of something else fails with a
        L{StoreError}, and the database is left alone.
        """
        connection = sqlite3.connect(self.path)
        with connection:
            connection.execute("CREATE TABLE user (Host TEXT, User TEXT)")
        connection.close()
        error = yield self.assertFailure(self.store().load(), StoreError)
        self.assertIn("not an account store", str(error))
        connection = sqlite3.connect(self.path)
        tables = connection.execute("SELECT name FROM sqlite_master").fetchall()
        connection.close()
        self.assertEqual(tables, [("user",)])

    @inlineCallbacks
    def test_unopenablePath(self):
        """
        A path in a missing directory fails with a L{StoreError}.
        """
        path = os.path.join(self.directory, "missing", "accounts.sqlite")
        error = yield self.assertFailure(self.store(path).load(), StoreError)
        self.assertIn(path, str(error))

    @inlineCallbacks
    def test_oneThread(self):
        """
        Every SQLite call runs on the same thread, which is not the reactor
        thread.
        """
        store = self.store()
        threads = []
        original = store._inThread

        def recording(function, *args):
            threads.append(threading.current_thread())
            return original(function, *args)

        store._inThread = recording
        yield store.load()
        yield store.write([PutAccount(ALICE)])
        yield store.putSetting("a", "b")
        yield store.getSetting("a")
        self.assertEqual(len(threads), 4)
        self.assertEqual(len(set(threads)), 1)
        self.assertIsNot(threads[0], threading.current_thread())

    @inlineCallbacks
    def test_close(self):
        """
        After L{SQLiteAccountStore.close} the thread is stopped, operations
        fail with L{StoreError}, and closing again succeeds.
        """
        store = self.store()
        yield store.load()
        yield store.close()
        self.assertFalse(store._pool.started)
        yield self.assertFailure(store.load(), StoreError)
        yield self.assertFailure(store.write([]), StoreError)
        yield store.close()

    @inlineCallbacks
    def test_closeOnShutdown(self):
        """
        The store closes itself when the reactor shuts down, and closing it
        first removes that trigger.
        """
        recording = RecordingReactor()
        store = self.store(reactor=recording)
        [(phase, event, trigger)] = recording.triggers.values()
        # "before": the only phase whose Deferreds the reactor waits for.
        self.assertEqual((phase, event), ("before", "shutdown"))
        yield store.load()
        yield trigger()
        self.assertFalse(store._pool.started)
        yield self.assertFailure(store.load(), StoreError)
        yield store.close()

        recording = RecordingReactor()
        store = self.store(reactor=recording)
        self.assertEqual(len(recording.triggers), 1)
        yield store.close()
        self.assertEqual(recording.triggers, {})


CHILD = r"""
import os, sys, time
from twisted.internet import reactor
from twisted_mysqlauth.accounts.model import Account, AccountName, PutAccount
from twisted_mysqlauth.accounts.sqlite import SQLiteAccountStore

store = SQLiteAccountStore(sys.argv[1], reactor)

def committed(ignored):
    sys.stdout.write("committed\n")
    sys.stdout.flush()
    time.sleep(120)

def failed(reason):
    sys.stdout.write("failed " + reason.getErrorMessage() + "\n")
    sys.stdout.flush()
    os._exit(1)

def go():
    account = Account(
        AccountName("durable", "%"), "caching_sha2_password", b"\x00\xffsalt")
    store.write([PutAccount(account)]).addCallbacks(committed, failed)

reactor.callLater(60, os._exit, 2)
reactor.callWhenRunning(go)
reactor.run()
"""


class DurabilityTests(TestCase):
    """
    A write whose L{Deferred} has fired survives C{kill -9}.
    """

    def test_survivesSIGKILL(self):
        """
        A child process writes an account and says so once the write's
        L{Deferred} fires; it is then killed with C{SIGKILL}, and the
        account is found in the file.
        """
        directory = self.mktemp()
        os.mkdir(directory)
        path = os.path.join(directory, "accounts.sqlite")
        environment = dict(os.environ)
        environment["PYTHONPATH"] = os.pathsep.join(
            [PROJECT_ROOT] + [p for p in [environment.get("PYTHONPATH")] if p]
        )
        child = subprocess.Popen(
            [sys.executable, "-c", CHILD, path],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=environment,
        )

        def cleanUp():
            if child.poll() is None:
                child.kill()
            child.wait()
            child.stdout.close()
            child.stderr.close()

        self.addCleanup(cleanUp)
        line = child.stdout.readline()
        if line != b"committed\n":
            child.kill()
            self.fail(f"child said {line!r}; stderr: {child.stderr.read()!r}")
        os.kill(child.pid, signal.SIGKILL)
        self.assertEqual(child.wait(), -signal.SIGKILL)

        store = SQLiteAccountStore(path, runningReactor())
        self.addCleanup(store.close)

        def loaded(snapshot):
            self.assertEqual(
                snapshot.accounts,
                (
                    Account(
                        AccountName("durable", "%"),
                        "caching_sha2_password",
                        b"\x00\xffsalt",
                    ),
                ),
            )

        return store.load().addCallback(loaded)


class StoreErrorTests(SynchronousTestCase):
    """
    Tests for L{StoreError}.
    """

    def test_str(self):
        """
        The text of a L{StoreError} names the path and the reason.
        """
        error = StoreError("/var/lib/accounts.sqlite", "file is not a database")
        self.assertEqual(
            str(error), "account store /var/lib/accounts.sqlite: file is not a database"
        )
        self.assertEqual(error.path, "/var/lib/accounts.sqlite")
        self.assertEqual(error.reason, "file is not a database")


class ProcessExitTests(SynchronousTestCase):
    """
    A program that uses the store and never closes it still exits when its
    reactor stops (the store's thread is not a daemon thread).
    """

    def test_exitWithoutClose(self):
        """
        Run such a program in a child process: it prints and exits 0 within
        the time limit instead of hanging.
        """
        import subprocess
        import sys

        path = os.path.abspath(self.mktemp())
        root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        program = (
            "import sys\n"
            f"sys.path.insert(0, {root!r})\n"
            "from twisted.internet import reactor\n"
            "from twisted_mysqlauth.accounts.sqlite import SQLiteAccountStore\n"
            f"store = SQLiteAccountStore({path!r}, reactor)\n"
            "reactor.callWhenRunning(lambda: store.load().addBoth(lambda r: reactor.stop()))\n"
            "reactor.run()\n"
            "print('exited')\n"
        )
        result = subprocess.run([sys.executable, "-c", program], capture_output=True, timeout=30)
        self.assertEqual((result.returncode, result.stdout.strip()), (0, b"exited"), result.stderr)
