# -*- test-case-name: tests.test_directory -*-
# Copyright (c) twisted_mysqlauth developers.
# See LICENSE for details.
"""
Tests for L{twisted_mysqlauth.accounts.directory}.
"""

import random

from twisted.internet.defer import Deferred, fail
from twisted.trial.unittest import SynchronousTestCase

from twisted_mysqlauth.accounts import directory as directoryModule
from twisted_mysqlauth.accounts.directory import AccountDirectory, AccountManager
from twisted_mysqlauth.accounts.hosts import hostMatches, specificityKey
from twisted_mysqlauth.accounts.memory import InMemoryAccountStore
from twisted_mysqlauth.accounts.model import (
    Account,
    AccountName,
    ClientAddress,
    DeleteAccount,
    DeleteProxyGrant,
    ProxyGrant,
    PutAccount,
    PutProxyGrant,
    StoreSnapshot,
)

SOCKET = ClientAddress(hostName="localhost", ip=None, isUNIXSocket=True)
LOOPBACK = ClientAddress(hostName="localhost", ip="127.0.0.1")


def remote(ip, hostName=None):
    """
    @param ip: an IP address text.
    @param hostName: the client's host name, if any.
    @return: a TCP L{ClientAddress}.
    """
    return ClientAddress(hostName=hostName, ip=ip)


def account(user, host, plugin="caching_sha2_password", **kwargs):
    """
    @return: an L{Account} named C{user@host}.
    """
    return Account(AccountName(user, host), plugin, **kwargs)


def directoryOf(*accounts, grants=()):
    """
    @return: an L{AccountDirectory} holding C{accounts} and C{grants}.
    """
    return AccountDirectory.fromSnapshot(
        StoreSnapshot(accounts=tuple(accounts), proxyGrants=tuple(grants))
    )


def referenceLookup(accounts, user, client):
    """
    The account selection rule, written as plainly as possible: sort the
    user's and the anonymous accounts by specificity and take the first
    whose host matches.

    @return: the L{Account} or L{None}.
    """
    candidates = [a for a in accounts if a.user == user or a.user == ""]
    candidates.sort(key=lambda a: specificityKey(a.name))
    for candidate in candidates:
        if hostMatches(candidate.host, client):
            return candidate
    return None


class CountingMatches:
    """
    A stand-in for the directory's pattern matcher that counts calls.

    @ivar calls: how many host patterns were tried.
    """

    def __init__(self, testCase):
        self.calls = 0
        original = directoryModule._patternMatches

        def counting(pattern, client):
            self.calls += 1
            return original(pattern, client)

        testCase.patch(directoryModule, "_patternMatches", counting)

    def count(self, function, *args):
        """
        @return: C{(function(*args), number of patterns tried)}.
        """
        before = self.calls
        result = function(*args)
        return result, self.calls - before


class LookupTests(SynchronousTestCase):
    """
    Tests for L{AccountDirectory.lookup}.
    """

    def test_exactUserAndHost(self):
        """
        A user's account whose host matches is found.
        """
        alice = account("alice", "localhost")
        directory = directoryOf(alice, account("bob", "localhost"))
        self.assertIs(directory.lookup("alice", SOCKET), alice)

    def test_noMatch(self):
        """
        With no anonymous accounts, an unknown user, or a known user from a
        host none of their accounts match, gets L{None}.
        """
        directory = directoryOf(account("alice", "localhost"))
        self.assertIsNone(directory.lookup("mallory", SOCKET))
        self.assertIsNone(directory.lookup("alice", remote("10.0.0.1")))

    def test_userNamesAreExact(self):
        """
        User names match exactly: not without regard to case, and not as
        patterns.
        """
        directory = directoryOf(account("Alice", "%"), account("a%", "%"))
        self.assertIsNone(directory.lookup("alice", SOCKET))
        self.assertIsNone(directory.lookup("ab", SOCKET))
        self.assertIsNotNone(directory.lookup("a%", SOCKET))

    def test_anonymousShadowsNamedWildcard(self):
        """
        The manual's example: with C{'u'@'%'} and C{''@'localhost'}, C{u}
        connecting from localhost gets the anonymous account (its host is
        more specific), and from elsewhere gets C{'u'@'%'}.
        """
        named = account("u", "%")
        anonymous = account("", "localhost")
        directory = directoryOf(named, anonymous)
        self.assertIs(directory.lookup("u", SOCKET), anonymous)
        self.assertIs(directory.lookup("u", LOOPBACK), anonymous)
        self.assertIs(directory.lookup("u", remote("10.1.2.3")), named)

    def test_unknownUserGetsAnonymous(self):
        """
        A user with no accounts of their own is matched against the
        anonymous accounts only.
        """
        anonymous = account("", "localhost")
        directory = directoryOf(account("u", "%"), anonymous)
        self.assertIs(directory.lookup("nobody", SOCKET), anonymous)
        self.assertIsNone(directory.lookup("nobody", remote("10.1.2.3")))

    def test_namedBeforeAnonymousOnSameHost(self):
        """
        For equally specific hosts, the user's own account wins over the
        anonymous one.
        """
        named = account("u", "localhost")
        directory = directoryOf(account("", "localhost"), named)
        self.assertIs(directory.lookup("u", SOCKET), named)
        wildNamed = account("u", "10.%")
        directory = directoryOf(account("", "10.%"), wildNamed)
        self.assertIs(directory.lookup("u", remote("10.0.0.1")), wildNamed)

    def test_anonymousUserName(self):
        """
        A client that sends the empty user name is matched against the
        anonymous accounts.
        """
        anonymous = account("", "%")
        directory = directoryOf(account("u", "%"), anonymous)
        self.assertIs(directory.lookup("", SOCKET), anonymous)

    def test_mostSpecificHostWins(self):
        """
        Of several matching hosts, the literal one wins over patterns, and
        the pattern with the longer literal prefix over shorter ones.
        """
        exact = account("u", "10.1.2.3")
        subnet = account("u", "10.1.%")
        everywhere = account("u", "%")
        directory = directoryOf(everywhere, subnet, exact)
        self.assertIs(directory.lookup("u", remote("10.1.2.3")), exact)
        self.assertIs(directory.lookup("u", remote("10.1.9.9")), subnet)
        self.assertIs(directory.lookup("u", remote("10.2.0.1")), everywhere)

    def test_networks(self):
        """
        Plain addresses win over networks, CIDR networks over netmask
        networks, and the pattern-less network over wildcard patterns.
        """
        plainAnonymous = account("", "10.1.2.3")
        cidr = account("u", "10.0.0.0/8")
        netmask = account("u", "10.1.0.0/255.255.0.0")
        wildcard = account("u", "10.1.2.%")
        directory = directoryOf(wildcard, netmask, cidr, plainAnonymous)
        self.assertIs(directory.lookup("u", remote("10.1.2.3")), plainAnonymous)
        self.assertIs(directory.lookup("u", remote("10.1.2.4")), cidr)
        self.assertIs(directory.lookup("u", remote("11.1.2.4")), None)
        directory = directoryOf(wildcard, netmask)
        self.assertIs(directory.lookup("u", remote("10.1.2.4")), netmask)
        self.assertIs(directory.lookup("u", remote("10.2.2.4")), None)

    def test_literalHostNameIgnoresCase(self):
        """
        A literal host matches the client's host name without regard to
        case, and a client's IP address with regard to case.
        """
        mixed = account("u", "LocalHost")
        directory = directoryOf(mixed, account("u", "FE80::1"))
        self.assertIs(directory.lookup("u", SOCKET), mixed)
        self.assertIsNone(directory.lookup("u", remote("fe80::1")))

    def test_literalIPAddress(self):
        """
        A literal IP address matches TCP clients with that address but not
        socket clients.
        """
        ip = account("u", "127.0.0.1")
        directory = directoryOf(ip)
        self.assertIs(directory.lookup("u", LOOPBACK), ip)
        self.assertIsNone(directory.lookup("u", SOCKET))

    def test_escapedLiteral(self):
        """
        A literal host with an escaped wildcard matches only the unescaped
        text.
        """
        escaped = account("u", "a\\_b")
        directory = directoryOf(escaped)
        self.assertIs(directory.lookup("u", remote("10.0.0.1", "a_b")), escaped)
        self.assertIsNone(directory.lookup("u", remote("10.0.0.1", "axb")))

    def test_agreesWithReference(self):
        """
        Over random sets of accounts and random clients, the directory
        picks the same account as a plain sort-and-scan of the candidates.
        """
        rng = random.Random(20240601)
        users = ["", "u", "v", "w"]
        hosts = [
            "",
            "%",
            "localhost",
            "LOCALHOST",
            "127.0.0.1",
            "::1",
            "10.1.2.3",
            "10.1.%",
            "10.1.2._",
            "10.0.0.0/8",
            "10.1.0.0/16",
            "10.1.0.0/255.255.0.0",
            "%.example.com",
            "db.example.com",
            "DB.example.%",
            "local%",
        ]
        clients = [
            SOCKET,
            LOOPBACK,
            ClientAddress("localhost", "::1"),
            remote("10.1.2.3"),
            remote("10.1.2.4", "db.example.com"),
            remote("10.200.0.1", "web.example.com"),
            remote("192.0.2.1"),
            remote("10.1.2.3", "LocalHost.example.com"),
        ]
        for _ in range(300):
            accounts = {}
            for _ in range(rng.randint(0, 12)):
                a = account(rng.choice(users), rng.choice(hosts))
                accounts[a.name] = a
            directory = directoryOf(*accounts.values())
            for user in users + ["x"]:
                for client in clients:
                    self.assertEqual(
                        directory.lookup(user, client),
                        referenceLookup(accounts.values(), user, client),
                        (sorted(accounts), user, client),
                    )

    def test_answersKept(self):
        """
        The answer for a user name and client is worked out once per
        directory, then kept.
        """
        directory = directoryOf(account("u", "%"), account("u", "localhost"))
        chosen = []
        choose = directory._choose

        def counting(user, client):
            chosen.append((user, client))
            return choose(user, client)

        directory._choose = counting
        first = directory.lookup("u", LOOPBACK)
        self.assertEqual(first.name, AccountName("u", "localhost"))
        self.assertIs(directory.lookup("u", LOOPBACK), first)
        self.assertIs(directory.lookup("u", LOOPBACK), first)
        self.assertIsNone(directory.lookup("nobody", LOOPBACK))
        self.assertIsNone(directory.lookup("nobody", LOOPBACK))
        self.assertEqual(chosen, [("u", LOOPBACK), ("nobody", LOOPBACK)])

    def test_keptPerClientAddress(self):
        """
        Answers are kept by every part of the client address: the same
        host name from a UNIX socket, over loopback or from elsewhere can
        match different accounts.
        """
        directory = directoryOf(
            account("u", "%"), account("u", "127.0.0.1"), account("u", "web")
        )
        lookups = [
            (SOCKET, "%"),
            (LOOPBACK, "127.0.0.1"),
            (ClientAddress("localhost", "::1"), "%"),
            (remote("10.0.0.1", "web"), "web"),
            (remote("10.0.0.1"), "%"),
        ]
        for _ in range(2):
            for client, host in lookups:
                self.assertEqual(directory.lookup("u", client).host, host, client)

    def test_changesAnsweredAfresh(self):
        """
        A directory derived with changes answers from its own accounts, not
        from what the one it came from kept.
        """
        before = directoryOf(account("u", "%"))
        self.assertEqual(before.lookup("u", LOOPBACK).host, "%")
        after = before.withChanges([PutAccount(account("u", "localhost"))])
        self.assertEqual(after.lookup("u", LOOPBACK).host, "localhost")
        gone = after.withChanges(
            [DeleteAccount(AccountName("u", "localhost")), DeleteAccount(AccountName("u", "%"))]
        )
        self.assertIsNone(gone.lookup("u", LOOPBACK))
        self.assertEqual(before.lookup("u", LOOPBACK).host, "%")

    def test_unknownNamesShareAnAnswer(self):
        """
        User names without an account of their own share one kept answer
        per client address (an anonymous account's, or none): a client
        sending many long made-up names makes the directory keep nothing
        more.
        """
        directory = directoryOf(account("", "localhost"), account("u", "%"))
        for i in range(50):
            name = f"{i}" + "\U0001f600" * 20000
            self.assertEqual(directory.lookup(name, LOOPBACK).user, "")
            self.assertIsNone(directory.lookup(name, remote("10.0.0.1")))
        self.assertEqual(directory.lookup("", LOOPBACK).user, "")
        self.assertEqual(directory.lookup("u", remote("10.0.0.1")).user, "u")
        self.assertEqual(len(directory._lookups), 4)
        self.assertLess(sum(len(key[0] or "") for key in directory._lookups), 10)

    def test_keptBounded(self):
        """
        A directory keeps at most L{directoryModule.LOOKUPS_KEPT} answers
        (clients may come from any number of addresses), and answers rightly
        after dropping them.
        """
        self.patch(directoryModule, "LOOKUPS_KEPT", 3)
        directory = directoryOf(account("", "%"), account("u", "%"))
        for i in range(10):
            self.assertEqual(directory.lookup("n", remote(f"10.0.0.{i}")).user, "")
            self.assertLessEqual(len(directory._lookups), 3)
        self.assertEqual(directory.lookup("u", LOOPBACK).user, "u")


_built = {}


def built(name, build):
    """
    Build a (large, immutable) directory once for all the tests using it.

    @param name: the cache key.
    @param build: a callable returning the directory.
    @return: the directory.
    """
    if name not in _built:
        _built[name] = build()
    return _built[name]


def lookupCostDirectories():
    """
    @return: a small and a large directory that agree on the accounts of
        the users L{LookupCostTests} looks up.
    """
    relevant = [
        account("u1", "10.1.%"),
        account("u1", "10.%"),
        account("u1", "%"),
        account("many", "%"),
        account("", "%.example.com"),
    ]
    manyLiterals = [account("many", f"host{i:05d}") for i in range(10000)]
    filler = []
    for i in range(30000):
        user = f"user{i:05d}"
        filler.append(account(user, f"h{i}.example.com"))
        filler.append(account(user, f"10.{i % 250}.%"))
        filler.append(account(user, f"10.{i % 250}.0.0/16"))
    return (
        directoryOf(*relevant, *manyLiterals[:5]),
        directoryOf(*relevant, *manyLiterals, *filler),
    )


class LookupCostTests(SynchronousTestCase):
    """
    A lookup does not scan all accounts: with 100,000 accounts it tries as
    many host patterns as with 10.
    """

    def setUp(self):
        """
        Get the small and large directories and count the host patterns
        tried.
        """
        self.small, self.large = built("lookup", lookupCostDirectories)
        self.assertEqual(len(self.small), 10)
        self.assertEqual(len(self.large), 100005)
        self.counter = CountingMatches(self)

    def assertSameCost(self, user, client):
        """
        Assert that looking up C{user} from C{client} gives equal accounts
        in both directories and tries the same number of host patterns.
        """
        # (_choose: the work of a lookup whose answer is not kept yet.)
        smallResult, smallCost = self.counter.count(self.small._choose, user, client)
        largeResult, largeCost = self.counter.count(self.large._choose, user, client)
        self.assertEqual(self.large.lookup(user, client), largeResult)
        self.assertEqual(smallResult, largeResult)
        self.assertEqual(smallCost, largeCost)
        return smallCost

    def test_wildcardUser(self):
        """
        A user with wildcard hosts costs the same in both directories.
        """
        self.assertEqual(self.assertSameCost("u1", remote("10.1.2.3")), 1)
        self.assertEqual(self.assertSameCost("u1", remote("10.2.2.3")), 2)
        self.assertEqual(self.assertSameCost("u1", remote("192.0.2.1")), 4)

    def test_manyLiteralHosts(self):
        """
        A user with 10,000 literal hosts is found through a dictionary: a
        literal match tries no pattern at all, and a miss only the user's
        and the anonymous patterns.
        """
        self.assertEqual(
            self.assertSameCost("many", remote("10.0.0.1", "host00003")), 0
        )
        self.assertEqual(self.assertSameCost("many", remote("10.0.0.1")), 2)

    def test_unknownUser(self):
        """
        An unknown user tries only the anonymous patterns.
        """
        self.assertEqual(
            self.assertSameCost("nobody", remote("10.0.0.1", "x.example.com")), 1
        )
        self.assertEqual(self.assertSameCost("nobody", remote("10.0.0.1")), 1)


class HostAllowedTests(SynchronousTestCase):
    """
    Tests for L{AccountDirectory.hostAllowed}, MySQL's C{acl_check_host}.
    """

    def test_empty(self):
        """
        With no accounts no TCP client is allowed.
        """
        self.assertFalse(directoryOf().hostAllowed(LOOPBACK))

    def test_socketAlwaysAllowed(self):
        """
        UNIX-socket clients are not checked.
        """
        self.assertTrue(directoryOf().hostAllowed(SOCKET))
        self.assertTrue(directoryOf(account("u", "10.0.0.1")).hostAllowed(SOCKET))

    def test_matchAll(self):
        """
        An account with host C{%} or C{""} allows every client without any
        pattern being tried.
        """
        counter = CountingMatches(self)
        for host in ["%", ""]:
            directory = directoryOf(account("u", "10.1.%"), account("v", host))
            allowed, cost = counter.count(directory.hostAllowed, remote("192.0.2.1"))
            self.assertTrue(allowed)
            self.assertEqual(cost, 0)

    def test_literal(self):
        """
        A literal host allows clients with that host name (in any case) or
        IP address, without any pattern being tried.
        """
        counter = CountingMatches(self)
        directory = directoryOf(
            account("u", "LOCALHOST"), account("v", "10.1.2.3"), account("w", "10.%")
        )
        allowed, cost = counter.count(directory.hostAllowed, LOOPBACK)
        self.assertEqual((allowed, cost), (True, 0))
        allowed, cost = counter.count(directory.hostAllowed, remote("10.1.2.3"))
        self.assertEqual((allowed, cost), (True, 0))
        self.assertFalse(directory.hostAllowed(remote("192.0.2.1")))

    def test_patterns(self):
        """
        Wildcard and network hosts allow the clients they match.
        """
        directory = directoryOf(account("u", "10.1.%"), account("v", "192.0.2.0/24"))
        self.assertTrue(directory.hostAllowed(remote("10.1.2.3")))
        self.assertTrue(directory.hostAllowed(remote("192.0.2.77")))
        self.assertFalse(directory.hostAllowed(remote("10.2.2.3")))
        self.assertFalse(directory.hostAllowed(remote("192.0.3.1")))

    def test_anonymousCounts(self):
        """
        Anonymous accounts' hosts are allowed too.
        """
        directory = directoryOf(account("", "10.%"))
        self.assertTrue(directory.hostAllowed(remote("10.0.0.1")))

    def test_followsChanges(self):
        """
        A host stays allowed while any account uses it.
        """
        first = account("u", "10.%")
        second = account("v", "10.%")
        literal = account("u", "192.0.2.1")
        directory = directoryOf(first, second, literal)
        directory = directory.withChanges([DeleteAccount(first.name)])
        self.assertTrue(directory.hostAllowed(remote("10.0.0.1")))
        directory = directory.withChanges([DeleteAccount(second.name)])
        self.assertFalse(directory.hostAllowed(remote("10.0.0.1")))
        directory = directory.withChanges([DeleteAccount(literal.name)])
        self.assertFalse(directory.hostAllowed(remote("192.0.2.1")))
        directory = directory.withChanges([PutAccount(account("w", "%"))])
        self.assertTrue(directory.hostAllowed(remote("192.0.2.1")))

    def test_unlistedAddressTriesFew(self):
        """
        Among thousands of distinct wildcard and network hosts, a client
        is tried only against those whose literal prefix, or network, it
        has: an unlisted address costs no scan of every pattern.
        """
        hosts = []
        for i in range(2000):
            hosts += [
                f"10.{i // 256}.{i % 256}.%",
                f"%.dc{i}.example.org",
                f"10.{i % 256}.{i // 256}.0/255.255.255.0",
                f"db-{i}-%.internal",
            ]
        directory = directoryOf(*[account(f"u{i}", host) for i, host in enumerate(hosts)])
        counter = CountingMatches(self)
        allowed, cost = counter.count(directory.hostAllowed, remote("192.0.2.1", "x.example.net"))
        self.assertEqual((allowed, cost), (False, 0))
        allowed, cost = counter.count(directory.hostAllowed, remote("10.3.7.9"))
        self.assertTrue(allowed)
        self.assertLessEqual(cost, 2)
        allowed, cost = counter.count(directory.hostAllowed, remote("192.0.2.1", "A.DC17.example.ORG"))
        self.assertTrue(allowed)
        self.assertLessEqual(cost, 4000)

    def test_sameAsTryingEveryPattern(self):
        """
        Over random host patterns and clients, the answer is the one of
        trying every host in use.
        """
        rng = random.Random(8)
        parts = ["10", "1", "%", "_", "a", "B", "\\%", "2", "."]

        def randomHost():
            kind = rng.randrange(4)
            if kind == 0:
                return ".".join(str(rng.randrange(3)) for _ in range(4)) + rng.choice(
                    ["/8", "/16", "/24", "/255.255.0.0", "/32"]
                )
            return "".join(rng.choice(parts) for _ in range(rng.randrange(1, 7)))

        def randomClient():
            ip = ".".join(str(rng.randrange(3)) for _ in range(4))
            name = rng.choice([None, "a.b", "AB", "10.1", "ab%", "x"])
            return remote(ip, name)

        for trial in range(60):
            hosts = {randomHost() for _ in range(rng.randrange(1, 30))}
            directory = directoryOf(*[account(f"u{i}", host) for i, host in enumerate(hosts)])
            for _ in range(30):
                client = randomClient()
                expected = any(hostMatches(host, client) for host in hosts)
                self.assertEqual(directory.hostAllowed(client), expected, (hosts, client))


class AccessorTests(SynchronousTestCase):
    """
    Tests for L{AccountDirectory.get}, L{AccountDirectory.accounts} and
    C{len}.
    """

    def test_get(self):
        """
        L{AccountDirectory.get} finds accounts by exact name only.
        """
        alice = account("alice", "%.example.com")
        directory = directoryOf(alice, account("bob", "%"))
        self.assertIs(directory.get(AccountName("alice", "%.example.com")), alice)
        self.assertIsNone(directory.get(AccountName("alice", "db.example.com")))
        self.assertIsNone(directory.get(AccountName("alice", "%")))
        self.assertIsNone(directory.get(AccountName("carol", "%")))

    def test_accountsSorted(self):
        """
        L{AccountDirectory.accounts} returns every account sorted by name.
        """
        accounts = [account(u, h) for u in ["b", "", "a"] for h in ["%", "localhost"]]
        directory = directoryOf(*accounts)
        self.assertEqual(
            list(directory.accounts()), sorted(accounts, key=lambda a: a.name)
        )
        self.assertEqual(len(directory), 6)

    def test_lastDuplicateWins(self):
        """
        When a snapshot names an account twice, the last one counts.
        """
        first = account("u", "%", plugin="mysql_native_password")
        second = account("u", "%")
        directory = directoryOf(first, second)
        self.assertEqual(len(directory), 1)
        self.assertIs(directory.get(first.name), second)


class ProxyGrantTests(SynchronousTestCase):
    """
    Tests for the proxy grant accessors of L{AccountDirectory}.
    """

    def setUp(self):
        self.proxy = AccountName("proxy", "%")
        self.other = AccountName("proxy", "localhost")
        self.grants = [
            ProxyGrant(self.proxy, AccountName("b", "%")),
            ProxyGrant(self.proxy, AccountName("a", "%"), withGrantOption=True),
            ProxyGrant(self.other, AccountName("c", "%")),
        ]
        self.directory = directoryOf(grants=self.grants)

    def test_proxyGrants(self):
        """
        L{AccountDirectory.proxyGrants} returns every grant sorted by proxy
        and proxied account.
        """
        self.assertEqual(
            list(self.directory.proxyGrants()),
            sorted(self.grants, key=lambda g: (g.proxy, g.proxied)),
        )

    def test_proxyGrantsForIsExact(self):
        """
        L{AccountDirectory.proxyGrantsFor} returns the grants of exactly
        that account name, in the order they were granted (MySQL's
        server-chosen proxying takes the first that fits).
        """
        self.assertEqual(
            list(self.directory.proxyGrantsFor(self.proxy)),
            [self.grants[0], self.grants[1]],
        )
        self.assertEqual(
            list(self.directory.proxyGrantsFor(self.other)), [self.grants[2]]
        )
        self.assertEqual(
            list(self.directory.proxyGrantsFor(AccountName("proxy", "10.%"))), []
        )

    def test_proxyGrant(self):
        """
        L{AccountDirectory.proxyGrant} finds one grant by both names.
        """
        self.assertIs(
            self.directory.proxyGrant(self.proxy, AccountName("a", "%")), self.grants[1]
        )
        self.assertIsNone(self.directory.proxyGrant(self.other, AccountName("a", "%")))

    def test_changes(self):
        """
        Grants are replaced and deleted by L{AccountDirectory.withChanges};
        deleting an account leaves its grants alone.
        """
        replacement = ProxyGrant(self.proxy, AccountName("a", "%"))
        changed = self.directory.withChanges(
            [
                PutProxyGrant(replacement),
                DeleteProxyGrant(self.other, AccountName("c", "%")),
                DeleteAccount(self.proxy),
            ]
        )
        self.assertIs(
            changed.proxyGrant(self.proxy, AccountName("a", "%")), replacement
        )
        self.assertEqual(list(changed.proxyGrantsFor(self.other)), [])
        self.assertEqual(len(changed.proxyGrants()), 2)
        self.assertEqual(len(self.directory.proxyGrants()), 3)


class WithChangesTests(SynchronousTestCase):
    """
    Tests for L{AccountDirectory.withChanges}.
    """

    def test_putAndDelete(self):
        """
        Puts add or replace accounts, deletes remove them, in order.
        """
        old = account("u", "%", plugin="mysql_native_password")
        new = account("u", "%")
        directory = directoryOf(old).withChanges(
            [
                PutAccount(new),
                PutAccount(account("v", "%")),
                DeleteAccount(AccountName("v", "%")),
            ]
        )
        self.assertEqual(list(directory.accounts()), [new])
        self.assertEqual(len(directory), 1)
        self.assertIs(directory.lookup("u", SOCKET), new)

    def test_deleteMissing(self):
        """
        Deleting an account that does not exist changes nothing.
        """
        directory = directoryOf(account("u", "%"))
        changed = directory.withChanges([DeleteAccount(AccountName("u", "localhost"))])
        self.assertEqual(changed.accounts(), directory.accounts())
        self.assertEqual(len(changed), 1)

    def test_originalUnchanged(self):
        """
        The directory changes are derived from is left as it was.
        """
        original = account("u", "%")
        directory = directoryOf(original)
        directory.withChanges(
            [
                PutAccount(account("u", "localhost")),
                DeleteAccount(original.name),
                PutProxyGrant(ProxyGrant(original.name, AccountName("v", "%"))),
            ]
        )
        self.assertEqual(list(directory.accounts()), [original])
        self.assertIs(directory.lookup("u", SOCKET), original)
        self.assertEqual(directory.proxyGrants(), ())
        self.assertTrue(directory.hostAllowed(remote("10.0.0.1")))

    def test_notAChange(self):
        """
        A value that is not a change raises L{TypeError}.
        """
        self.assertRaises(TypeError, directoryOf().withChanges, [account("u", "%")])

    def test_randomSequencesMatchFromSnapshot(self):
        """
        After any sequence of batches of random changes, the directory
        derived change by change behaves exactly like one built from
        scratch from the same accounts and grants.
        """
        rng = random.Random(7)
        users = ["", "u", "v", "w"]
        hosts = [
            "",
            "%",
            "localhost",
            "127.0.0.1",
            "10.%",
            "10.1.0.0/16",
            "%.example.com",
            "db.example.com",
        ]
        names = [AccountName(u, h) for u in users for h in hosts]
        clients = [
            SOCKET,
            LOOPBACK,
            remote("10.1.2.3"),
            remote("10.2.0.1", "db.example.com"),
            remote("192.0.2.1"),
        ]
        plugins = ["caching_sha2_password", "mysql_native_password"]
        accounts = {}
        grants = {}
        directory = directoryOf()
        for _ in range(400):
            batch = []
            for _ in range(rng.randint(0, 6)):
                kind = rng.randrange(4)
                if kind == 0:
                    a = Account(rng.choice(names), rng.choice(plugins))
                    batch.append(PutAccount(a))
                    accounts[a.name] = a
                elif kind == 1:
                    name = rng.choice(names)
                    batch.append(DeleteAccount(name))
                    accounts.pop(name, None)
                elif kind == 2:
                    g = ProxyGrant(
                        rng.choice(names), rng.choice(names), rng.random() < 0.5
                    )
                    batch.append(PutProxyGrant(g))
                    grants[(g.proxy, g.proxied)] = g
                else:
                    proxy, proxied = rng.choice(names), rng.choice(names)
                    batch.append(DeleteProxyGrant(proxy, proxied))
                    grants.pop((proxy, proxied), None)
            directory = directory.withChanges(batch)
            rebuilt = directoryOf(*accounts.values(), grants=grants.values())
            self.assertEqual(len(directory), len(rebuilt))
            self.assertEqual(directory.accounts(), rebuilt.accounts())
            self.assertEqual(directory.proxyGrants(), rebuilt.proxyGrants())
            for name in names:
                self.assertEqual(directory.get(name), rebuilt.get(name))
                self.assertEqual(
                    directory.proxyGrantsFor(name), rebuilt.proxyGrantsFor(name)
                )
            for user in users + ["x"]:
                for client in clients:
                    self.assertEqual(
                        directory.lookup(user, client), rebuilt.lookup(user, client)
                    )
                    self.assertEqual(
                        directory.lookup(user, client),
                        referenceLookup(accounts.values(), user, client),
                    )
            for client in clients:
                self.assertEqual(
                    directory.hostAllowed(client), rebuilt.hostAllowed(client)
                )


def changesCostDirectory():
    """
    @return: the directory of 100,001 accounts L{WithChangesCostTests}
        changes.
    """
    accounts = [account("many", f"host{i:05d}") for i in range(10000)]
    accounts.append(account("many", "%"))
    for i in range(30000):
        user = f"user{i:05d}"
        accounts.append(account(user, f"h{i}.example.com"))
        accounts.append(account(user, f"10.{i % 250}.%"))
        accounts.append(account(user, "%"))
    return directoryOf(*accounts)


class WithChangesCostTests(SynchronousTestCase):
    """
    L{AccountDirectory.withChanges} rebuilds only the touched users' index
    entries.
    """

    def setUp(self):
        """
        Get a directory of 100,000 accounts, one user having 10,000 of
        them, and count the sorting and key computations done afterwards.
        """
        self.directory = built("changes", changesCostDirectory)
        self.assertEqual(len(self.directory), 100001)

        self.sorted = 0
        self.keys = 0
        originalSort = directoryModule._sortRows
        originalKey = directoryModule._specificityKeyOf

        def countingSort(rows):
            self.sorted += len(rows)
            return originalSort(rows)

        def countingKey(user, pattern):
            self.keys += 1
            return originalKey(user, pattern)

        self.patch(directoryModule, "_sortRows", countingSort)
        self.patch(directoryModule, "_specificityKeyOf", countingKey)

    def test_newUser(self):
        """
        Adding an account for a new user sorts and keys only that account.
        """
        changed = self.directory.withChanges([PutAccount(account("new", "10.%"))])
        self.assertLessEqual(self.sorted, 1)
        self.assertEqual(self.keys, 1)
        self.assertEqual(len(changed), 100002)
        self.assertEqual(changed.lookup("new", remote("10.0.0.1")).user, "new")

    def test_existingUser(self):
        """
        Changing one of a user's accounts re-indexes that user only.
        """
        changed = self.directory.withChanges(
            [
                DeleteAccount(AccountName("user00007", "%")),
                PutAccount(account("user00007", "10.7.1.%")),
            ]
        )
        self.assertLessEqual(self.sorted, 3)
        self.assertEqual(self.keys, 3)
        self.assertEqual(len(changed), 100001)
        found = changed.lookup("user00007", remote("10.7.1.2"))
        self.assertEqual(found.host, "10.7.1.%")
        self.assertIsNone(changed.lookup("user00007", remote("10.8.1.2")))

    def test_userWithManyAccounts(self):
        """
        Changing the user with 10,000 accounts costs in proportion to that
        user's accounts, not to all accounts, and sorts only its patterns.
        """
        self.directory.withChanges([PutAccount(account("many", "10.%"))])
        self.assertLessEqual(self.sorted, 2)
        self.assertEqual(self.keys, 10002)


class FakeStore:
    """
    An account store whose writes wait until the test commits or fails
    them.

    @ivar inner: the L{InMemoryAccountStore} holding what was committed.
    @ivar pending: C{(changes, Deferred)} for each write not yet answered.
    @ivar loads: how many times L{load} was called.
    """

    def __init__(self, accounts=()):
        self.inner = InMemoryAccountStore(accounts)
        self.pending = []
        self.loads = 0

    def load(self):
        self.loads += 1
        return self.inner.load()

    def write(self, changes):
        d = Deferred()
        self.pending.append((list(changes), d))
        return d

    def commit(self):
        """
        Commit the oldest pending write.
        """
        changes, d = self.pending.pop(0)
        self.inner.write(changes)
        d.callback(None)

    def failWrite(self, exception):
        """
        Fail the oldest pending write with C{exception}.
        """
        changes, d = self.pending.pop(0)
        d.errback(exception)


class AccountManagerTests(SynchronousTestCase):
    """
    Tests for L{AccountManager}.
    """

    def setUp(self):
        self.alice = account("alice", "%")
        self.store = FakeStore([self.alice])
        self.manager = AccountManager(self.store)
        self.notifications = []
        self.manager.addObserver(self.notifications.append)

    def start(self):
        """
        Start the manager and check it started.
        """
        self.assertIsInstance(
            self.successResultOf(self.manager.start()), AccountDirectory
        )

    def test_emptyBeforeStart(self):
        """
        Before L{AccountManager.start} the directory is empty.
        """
        self.assertEqual(len(self.manager.directory), 0)

    def test_start(self):
        """
        L{AccountManager.start} loads the store into the directory and
        tells observers with L{None}.
        """
        directory = self.successResultOf(self.manager.start())
        self.assertIs(directory, self.manager.directory)
        self.assertIs(self.manager.directory.lookup("alice", SOCKET), self.alice)
        self.assertEqual(self.notifications, [None])

    def test_applyWaitsForCommit(self):
        """
        L{AccountManager.apply} writes the changes; only once the store has
        committed them is the new directory swapped in, the observers told
        with the changes, and the result fired with L{None}.
        """
        self.start()
        before = self.manager.directory
        bob = account("bob", "%")
        changes = [PutAccount(bob)]
        d = self.manager.apply(changes)
        self.assertEqual([c for c, _ in self.store.pending], [changes])
        self.assertNoResult(d)
        self.assertIs(self.manager.directory, before)
        self.assertEqual(self.notifications, [None])
        self.store.commit()
        self.assertIsNone(self.successResultOf(d))
        self.assertIs(self.manager.directory.get(bob.name), bob)
        self.assertIs(self.manager.directory.get(self.alice.name), self.alice)
        self.assertEqual(self.notifications, [None, changes])
        self.assertIsNone(before.get(bob.name))

    def test_applyFailure(self):
        """
        When the store fails the write, the directory is unchanged, no
        observer is told, and the result fails with the store's error.
        """
        self.start()
        before = self.manager.directory
        d = self.manager.apply([DeleteAccount(self.alice.name)])
        self.store.failWrite(IOError("disk full"))
        self.failureResultOf(d, IOError)
        self.assertIs(self.manager.directory, before)
        self.assertEqual(self.notifications, [None])

    def test_applyNotAChange(self):
        """
        A value that is not a change fails the result with L{TypeError}
        before anything is written.
        """
        self.start()
        d = self.manager.apply([self.alice])
        self.failureResultOf(d, TypeError)
        self.assertEqual(self.store.pending, [])

    def test_applyNothing(self):
        """
        Applying no changes writes nothing and tells no observer.
        """
        self.start()
        self.assertIsNone(self.successResultOf(self.manager.apply([])))
        self.assertEqual(self.store.pending, [])
        self.assertEqual(self.notifications, [None])

    def test_reload(self):
        """
        L{AccountManager.reload} re-reads the store (seeing changes made
        behind the manager's back) and tells observers with L{None}.
        """
        self.start()
        bob = account("bob", "%")
        self.store.inner.write([PutAccount(bob), DeleteAccount(self.alice.name)])
        self.assertIsNone(self.manager.directory.get(bob.name))
        directory = self.successResultOf(self.manager.reload())
        self.assertIs(directory, self.manager.directory)
        self.assertEqual(list(directory.accounts()), [bob])
        self.assertEqual(self.notifications, [None, None])
        self.assertEqual(self.store.loads, 2)

    def test_reloadFailure(self):
        """
        When the store cannot be read, L{AccountManager.reload} fails and
        the directory is kept.
        """
        self.start()
        before = self.manager.directory
        self.store.load = lambda: fail(IOError("gone"))
        self.failureResultOf(self.manager.reload(), IOError)
        self.assertIs(self.manager.directory, before)

    def test_serialized(self):
        """
        A second apply, a reload and a run wait until the first apply is
        done, and then see its result.
        """
        self.start()
        bob = account("bob", "%")
        carol = account("carol", "%")
        first = self.manager.apply([PutAccount(bob)])
        second = self.manager.apply([PutAccount(carol)])
        seen = []
        ran = self.manager.run(lambda directory: seen.append(directory) or [])
        reloaded = self.manager.reload()
        self.assertEqual(len(self.store.pending), 1)
        self.assertEqual(seen, [])
        self.assertEqual(self.store.loads, 1)

        self.store.commit()
        self.successResultOf(first)
        self.assertNoResult(second)
        self.assertEqual(len(self.store.pending), 1)
        self.assertEqual(seen, [])

        self.store.commit()
        self.successResultOf(second)
        self.assertEqual(self.successResultOf(ran), [])
        self.assertEqual(len(seen), 1)
        self.assertIs(seen[0].get(carol.name), carol)
        self.assertIs(seen[0].get(bob.name), bob)
        self.successResultOf(reloaded)
        self.assertEqual(self.store.loads, 2)

    def test_runAppliesReturnedChanges(self):
        """
        L{AccountManager.run} calls the function with the current directory
        and applies the changes it returns, firing with them; a function
        returning no changes writes nothing.
        """
        self.start()
        bob = account("bob", "%")

        def createIfMissing(directory):
            if directory.get(bob.name) is None:
                return [PutAccount(bob)]
            return []

        d = self.manager.run(createIfMissing)
        self.store.commit()
        self.assertEqual(self.successResultOf(d), [PutAccount(bob)])
        self.assertIs(self.manager.directory.get(bob.name), bob)
        self.assertEqual(self.successResultOf(self.manager.run(createIfMissing)), [])
        self.assertEqual(self.store.pending, [])
        self.assertEqual(self.notifications, [None, [PutAccount(bob)]])

    def test_runAsynchronousFunction(self):
        """
        The function given to L{AccountManager.run} may return a
        L{Deferred} of the changes; nothing else runs meanwhile.
        """
        self.start()
        bob = account("bob", "%")
        answer = Deferred()
        d = self.manager.run(lambda directory: answer)
        other = self.manager.apply([DeleteAccount(self.alice.name)])
        self.assertEqual(self.store.pending, [])
        answer.callback([PutAccount(bob)])
        self.assertEqual(len(self.store.pending), 1)
        self.store.commit()
        self.successResultOf(d)
        self.store.commit()
        self.successResultOf(other)
        self.assertEqual(list(self.manager.directory.accounts()), [bob])

    def test_runFunctionRaises(self):
        """
        When the function raises, nothing is written, the result fails, and
        the manager is free for the next statement.
        """
        self.start()

        def refuse(directory):
            raise ValueError("account exists")

        self.failureResultOf(self.manager.run(refuse), ValueError)
        self.assertEqual(self.store.pending, [])
        d = self.manager.apply([DeleteAccount(self.alice.name)])
        self.store.commit()
        self.successResultOf(d)
        self.assertEqual(len(self.manager.directory), 0)

    def test_runWriteFails(self):
        """
        When the write of a run's changes fails, the result fails and the
        directory is unchanged.
        """
        self.start()
        before = self.manager.directory
        d = self.manager.run(lambda directory: [DeleteAccount(self.alice.name)])
        self.store.failWrite(IOError("disk full"))
        self.failureResultOf(d, IOError)
        self.assertIs(self.manager.directory, before)

    def test_observerErrorsLogged(self):
        """
        An observer's exception is logged; the other observers are still
        told and the change still succeeds.
        """
        self.start()
        later = []
        self.manager.addObserver(lambda changes: 1 // 0)
        self.manager.addObserver(later.append)
        changes = [DeleteAccount(self.alice.name)]
        d = self.manager.apply(changes)
        self.store.commit()
        self.assertIsNone(self.successResultOf(d))
        self.assertEqual(later, [changes])
        self.assertEqual(len(self.flushLoggedErrors(ZeroDivisionError)), 1)

    def test_removeObserver(self):
        """
        A removed observer is no longer told.
        """
        self.manager.removeObserver(self.notifications.append)
        self.start()
        self.assertEqual(self.notifications, [])

    def test_inMemoryStore(self):
        """
        The manager works with L{InMemoryAccountStore} end to end.
        """
        store = InMemoryAccountStore([self.alice])
        manager = AccountManager(store)
        self.successResultOf(manager.start())
        bob = account("bob", "%")
        self.successResultOf(manager.apply([PutAccount(bob)]))
        self.assertIs(manager.directory.get(bob.name), bob)
        snapshot = self.successResultOf(store.load())
        self.assertEqual(snapshot.accounts, (self.alice, bob))
