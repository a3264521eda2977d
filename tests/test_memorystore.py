# -*- test-case-name: tests.test_memorystore -*-
# Copyright (c) twisted_mysqlauth developers.
# See LICENSE for details.
"""
Tests for L{twisted_mysqlauth.accounts.memory}.
"""

from twisted.trial.unittest import SynchronousTestCase
from zope.interface.verify import verifyObject

from twisted_mysqlauth.accounts.memory import InMemoryAccountStore
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

ALICE = Account(
    AccountName("alice", "%"),
    "caching_sha2_password",
    authString=bytes(range(256)),
    locked=True,
    privileges=frozenset(["CREATE USER"]),
    grantOption=True,
)
BOB = Account(AccountName("bob", "localhost"), "mysql_native_password")
GRANT = ProxyGrant(ALICE.name, BOB.name, withGrantOption=True)


class InMemoryAccountStoreTests(SynchronousTestCase):
    """
    Tests for L{InMemoryAccountStore}.
    """

    def test_interface(self):
        """
        L{InMemoryAccountStore} provides L{IAccountStore}.
        """
        self.assertTrue(verifyObject(IAccountStore, InMemoryAccountStore()))

    def test_initialContents(self):
        """
        The accounts, grants and settings given to the constructor are
        loaded, accounts and grants sorted by name.
        """
        store = InMemoryAccountStore([BOB, ALICE], [GRANT], {"k": "v"})
        self.assertEqual(
            self.successResultOf(store.load()),
            StoreSnapshot(accounts=(ALICE, BOB), proxyGrants=(GRANT,)),
        )
        self.assertEqual(self.successResultOf(store.getSetting("k")), "v")

    def test_write(self):
        """
        Changes are applied in order.
        """
        store = InMemoryAccountStore([ALICE])
        changedAlice = Account(ALICE.name, "auth_socket")
        self.successResultOf(
            store.write(
                [
                    PutAccount(BOB),
                    PutAccount(changedAlice),
                    PutProxyGrant(GRANT),
                    DeleteAccount(BOB.name),
                    DeleteAccount(AccountName("nobody", "%")),
                    PutProxyGrant(ProxyGrant(BOB.name, ALICE.name)),
                    DeleteProxyGrant(BOB.name, ALICE.name),
                ]
            )
        )
        self.assertEqual(
            self.successResultOf(store.load()),
            StoreSnapshot(accounts=(changedAlice,), proxyGrants=(GRANT,)),
        )

    def test_allOrNothing(self):
        """
        When a change of a batch fails, none of the batch is applied.
        """
        store = InMemoryAccountStore([ALICE])
        self.failureResultOf(
            store.write([DeleteAccount(ALICE.name), PutProxyGrant(GRANT), BOB]),
            TypeError,
        )
        self.assertEqual(
            self.successResultOf(store.load()), StoreSnapshot(accounts=(ALICE,))
        )

    def test_settings(self):
        """
        Settings can be read, written, replaced and deleted.
        """
        store = InMemoryAccountStore()
        self.assertIsNone(self.successResultOf(store.getSetting("a")))
        self.successResultOf(store.putSetting("a", "1"))
        self.successResultOf(store.putSetting("a", "2"))
        self.assertEqual(self.successResultOf(store.getSetting("a")), "2")
        self.successResultOf(store.putSetting("a", None))
        self.successResultOf(store.putSetting("b", None))
        self.assertIsNone(self.successResultOf(store.getSetting("a")))

    def test_close(self):
        """
        L{InMemoryAccountStore.close} succeeds and records the close.
        """
        store = InMemoryAccountStore()
        self.assertIsNone(self.successResultOf(store.close()))
        self.assertTrue(store.closed)
