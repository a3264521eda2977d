# -*- test-case-name: tests.test_hosts -*-
# Copyright (c) twisted_mysqlauth developers.
# See LICENSE for details.
"""
Tests for L{twisted_mysqlauth.accounts.hosts}.
"""

import random

from twisted.trial.unittest import SynchronousTestCase

from twisted_mysqlauth.accounts.hosts import (
    MAX_HOST_LENGTH,
    hostMatches,
    isWildcardHost,
    specificityKey,
    validateHostPattern,
    wildcardMatches,
)
from twisted_mysqlauth.accounts.model import AccountName, ClientAddress

SOCKET = ClientAddress(hostName="localhost", ip=None, isUNIXSocket=True)
LOOPBACK4 = ClientAddress(hostName="localhost", ip="127.0.0.1")
LOOPBACK6 = ClientAddress(hostName="localhost", ip="::1")


def remote(ip, hostName=None):
    """
    @param ip: an IP address text.
    @param hostName: the client's host name, if any.
    @return: a TCP L{ClientAddress}.
    """
    return ClientAddress(hostName=hostName, ip=ip)


def named(hostName):
    """
    @param hostName: the client's host name.
    @return: a TCP L{ClientAddress} with that host name.
    """
    return remote("10.0.0.1", hostName)


class HostMatchesTests(SynchronousTestCase):
    """
    Tests for L{hostMatches}, MySQL's C{compare_hostname}.
    """

    def test_emptyMatchesEverything(self):
        """
        The empty host pattern matches every client, including a client
        with neither host name nor IP address.
        """
        clients = [SOCKET, LOOPBACK4, remote("10.1.2.3"), ClientAddress(None, None)]
        for client in clients:
            self.assertTrue(hostMatches("", client), client)

    def test_percentMatchesEverything(self):
        """
        C{%} matches every client, including a client with neither host
        name nor IP address.
        """
        clients = [SOCKET, LOOPBACK4, remote("10.1.2.3"), ClientAddress(None, None)]
        for client in clients:
            self.assertTrue(hostMatches("%", client), client)

    def test_literalHostNameIgnoresCase(self):
        """
        A literal host name matches the client's host name without regard
        to case, and nothing else.
        """
        self.assertTrue(hostMatches("LocalHost", SOCKET))
        self.assertTrue(hostMatches("db.example.com", named("DB.Example.COM")))
        self.assertFalse(hostMatches("db.example.com", named("db.example.org")))
        self.assertFalse(hostMatches("localhos", SOCKET))
        self.assertFalse(hostMatches("localhostt", SOCKET))

    def test_literalHostNameNeedsHostName(self):
        """
        A host name pattern does not match a client without a host name
        (a TCP client when no name resolution is done).
        """
        self.assertFalse(hostMatches("localhost", remote("127.0.0.1")))

    def test_literalIPAddress(self):
        """
        A literal IP address matches a client with exactly that address.
        """
        self.assertTrue(hostMatches("10.1.2.3", remote("10.1.2.3")))
        self.assertTrue(hostMatches("127.0.0.1", LOOPBACK4))
        self.assertFalse(hostMatches("10.1.2.3", remote("10.1.2.30")))
        self.assertFalse(hostMatches("10.1.2.3", remote("110.1.2.3")))
        self.assertFalse(hostMatches("127.0.0.1", SOCKET))

    def test_IPv6ComparesAsText(self):
        """
        IPv6 hosts are compared as text: C{::1} matches the client whose IP
        text is C{::1}, but not an equal address spelled differently, and
        the comparison with the IP address respects case.
        """
        self.assertTrue(hostMatches("::1", LOOPBACK6))
        self.assertFalse(hostMatches("::1", LOOPBACK4))
        self.assertFalse(hostMatches("0:0:0:0:0:0:0:1", LOOPBACK6))
        self.assertTrue(hostMatches("fe80::1", remote("fe80::1")))
        self.assertFalse(hostMatches("FE80::1", remote("fe80::1")))

    def test_percentWildcard(self):
        """
        C{%} matches any run of characters, including none.
        """
        self.assertTrue(hostMatches("%.example.com", named("db.example.com")))
        self.assertTrue(hostMatches("%.example.com", named("a.b.example.com")))
        self.assertFalse(hostMatches("%.example.com", named("example.com")))
        self.assertTrue(hostMatches("db%", remote("10.0.0.1", "db")))
        self.assertTrue(hostMatches("d%m", remote("10.0.0.1", "db.example.com")))
        self.assertFalse(hostMatches("d%x", remote("10.0.0.1", "db.example.com")))
        self.assertTrue(hostMatches("10.1.%", remote("10.1.2.3")))
        self.assertFalse(hostMatches("10.1.%", remote("10.10.2.3")))

    def test_underscoreWildcard(self):
        """
        C{_} matches exactly one character.
        """
        self.assertTrue(hostMatches("10.0.0._", remote("10.0.0.5")))
        self.assertFalse(hostMatches("10.0.0._", remote("10.0.0.55")))
        self.assertFalse(hostMatches("10.0.0._", remote("10.0.0.")))
        self.assertTrue(hostMatches("h_st", remote("10.0.0.1", "host")))

    def test_wildcardHostNameIgnoresCase(self):
        """
        A wildcard pattern matches the host name without regard to case.
        """
        self.assertTrue(hostMatches("%.EXAMPLE.com", named("db.example.COM")))
        self.assertTrue(hostMatches("D_.example.com", named("db.example.com")))

    def test_wildcardIPRespectsCase(self):
        """
        A wildcard pattern matches the IP address text with regard to case.
        """
        self.assertTrue(hostMatches("fe80::%", remote("fe80::1")))
        self.assertFalse(hostMatches("FE80::%", remote("fe80::1")))

    def test_escapes(self):
        """
        A backslash makes the character after it literal: an escaped C{_}
        or C{%} matches only itself, an escaped ordinary character matches
        that character, and a trailing backslash is literal.
        """
        self.assertTrue(hostMatches("a\\_b", remote("10.0.0.1", "a_b")))
        self.assertFalse(hostMatches("a\\_b", remote("10.0.0.1", "axb")))
        self.assertTrue(hostMatches("a\\%", remote("10.0.0.1", "a%")))
        self.assertFalse(hostMatches("a\\%", remote("10.0.0.1", "ab")))
        self.assertTrue(hostMatches("a\\b%", remote("10.0.0.1", "abc")))
        self.assertTrue(hostMatches("a\\\\b", remote("10.0.0.1", "a\\b")))
        self.assertFalse(hostMatches("a\\\\b", remote("10.0.0.1", "ab")))
        self.assertTrue(hostMatches("a\\", remote("10.0.0.1", "a\\")))
        self.assertTrue(hostMatches("%\\_x", remote("10.0.0.1", "y_x")))
        self.assertFalse(hostMatches("%\\_x", remote("10.0.0.1", "yzx")))

    def test_netmask(self):
        """
        An C{a.b.c.d/m.m.m.m} pattern matches the IPv4 clients whose
        address ANDed with the mask is C{a.b.c.d}.
        """
        pattern = "10.1.0.0/255.255.0.0"
        self.assertTrue(hostMatches(pattern, remote("10.1.0.0")))
        self.assertTrue(hostMatches(pattern, remote("10.1.255.255")))
        self.assertFalse(hostMatches(pattern, remote("10.2.0.1")))
        self.assertFalse(hostMatches(pattern, remote("11.1.0.1")))
        self.assertTrue(hostMatches("10.1.2.3/255.255.255.255", remote("10.1.2.3")))
        self.assertFalse(hostMatches("10.1.2.3/255.255.255.255", remote("10.1.2.4")))

    def test_cidr(self):
        """
        An C{a.b.c.d/n} pattern matches the IPv4 clients in that network.
        """
        self.assertTrue(hostMatches("10.1.0.0/16", remote("10.1.200.3")))
        self.assertFalse(hostMatches("10.1.0.0/16", remote("10.2.0.3")))
        self.assertTrue(hostMatches("192.168.1.64/26", remote("192.168.1.127")))
        self.assertFalse(hostMatches("192.168.1.64/26", remote("192.168.1.128")))
        self.assertFalse(hostMatches("192.168.1.64/26", remote("192.168.1.63")))
        self.assertTrue(hostMatches("10.1.2.3/32", remote("10.1.2.3")))
        self.assertFalse(hostMatches("10.1.2.3/32", remote("10.1.2.2")))

    def test_networkWithHostBitsNeverMatches(self):
        """
        As in MySQL, the network address is compared as written: one with
        bits outside the mask matches no client.
        """
        self.assertFalse(hostMatches("10.1.2.3/255.255.0.0", remote("10.1.2.3")))
        self.assertFalse(hostMatches("10.1.2.3/16", remote("10.1.2.3")))

    def test_networkNeverMatchesUNIXSocket(self):
        """
        A network pattern never matches a UNIX-socket client, even one
        that (oddly) carries an address.
        """
        self.assertFalse(hostMatches("127.0.0.0/255.0.0.0", SOCKET))
        self.assertFalse(hostMatches("127.0.0.0/8", SOCKET))
        odd = ClientAddress(hostName="localhost", ip="127.0.0.1", isUNIXSocket=True)
        self.assertFalse(hostMatches("127.0.0.0/8", odd))
        self.assertTrue(hostMatches("127.0.0.0/8", LOOPBACK4))

    def test_networkNeverMatchesIPv6(self):
        """
        A network pattern never matches a client with an IPv6 address.
        """
        self.assertFalse(hostMatches("0.0.0.0/1", LOOPBACK6))
        self.assertFalse(hostMatches("127.0.0.0/8", remote("::ffff:127.0.0.1")))

    def test_malformedNetworkIsText(self):
        """
        A malformed network (which L{validateHostPattern} refuses, but
        which may be in a store) is compared as text, as MySQL does, and so
        matches no real client.
        """
        self.assertFalse(hostMatches("10.0.0.1/33", remote("10.0.0.1")))
        self.assertFalse(hostMatches("1.2.3.4/255.0.255.0", remote("1.2.3.4")))
        self.assertTrue(hostMatches("10.0.0.1/33", remote("x", "10.0.0.1/33")))

    def test_noCatastrophicBacktracking(self):
        """
        Matching a pattern with many C{%} against a long text that fails
        near the end takes at most about as many character comparisons as
        the product of the lengths, not exponentially many.
        """

        class CountingText(str):
            reads = 0

            def __getitem__(self, index):
                CountingText.reads += 1
                return str.__getitem__(self, index)

        pattern = "%a" * 6 + "%b"
        text = CountingText("a" * 30)
        self.assertFalse(wildcardMatches(pattern, text))
        self.assertLessEqual(CountingText.reads, len(pattern) * len(text))

    def test_pathologicalPatternIsQuick(self):
        """
        A pathological pattern against a long host name still gives the
        right answers.
        """
        pattern = "%a%a%a%a%a%a%a%a%a%a%b"
        self.assertFalse(hostMatches(pattern, remote("10.0.0.1", "a" * 250)))
        self.assertTrue(hostMatches(pattern, remote("10.0.0.1", "a" * 250 + "b")))


class WildcardMatchesTests(SynchronousTestCase):
    """
    Tests for L{wildcardMatches}.
    """

    def test_caseSensitivity(self):
        """
        Case matters unless C{caseSensitive} is false.
        """
        self.assertFalse(wildcardMatches("AB%", "abc"))
        self.assertTrue(wildcardMatches("AB%", "abc", caseSensitive=False))

    def test_agreesWithRegularExpressions(self):
        """
        Over random patterns and texts the matcher agrees with an
        equivalent anchored regular expression.
        """
        import re

        rng = random.Random(1234)
        alphabet = "ab%_\\"
        for _ in range(3000):
            pattern = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 7)))
            text = "".join(rng.choice("ab%_\\") for _ in range(rng.randint(0, 7)))
            expression = []
            index = 0
            while index < len(pattern):
                character = pattern[index]
                if character == "\\" and index + 1 < len(pattern):
                    index += 1
                    expression.append(re.escape(pattern[index]))
                elif character == "%":
                    expression.append(".*")
                elif character == "_":
                    expression.append(".")
                else:
                    expression.append(re.escape(character))
                index += 1
            expected = re.fullmatch("".join(expression), text, re.DOTALL) is not None
            self.assertEqual(wildcardMatches(pattern, text), expected, (pattern, text))


class ValidateHostPatternTests(SynchronousTestCase):
    """
    Tests for L{validateHostPattern}.
    """

    def test_lowerCases(self):
        """
        The pattern is returned in lower case.
        """
        self.assertEqual(validateHostPattern("LocalHost"), "localhost")
        self.assertEqual(validateHostPattern("%.Example.COM"), "%.example.com")
        self.assertEqual(validateHostPattern("FE80::1"), "fe80::1")

    def test_acceptsEveryForm(self):
        """
        Every form of host pattern MySQL accepts is accepted unchanged.
        """
        for pattern in [
            "",
            "%",
            "localhost",
            "db.example.com",
            "%.example.com",
            "10.1.2._",
            "a\\_b",
            "10.0.0.0/255.255.255.0",
            "10.0.0.0/255.0.0.0",
            "10.0.0.0/8",
            "10.0.0.1/32",
            "10.0.0.1/255.255.255.255",
            "::1",
            "a" * MAX_HOST_LENGTH,
        ]:
            self.assertEqual(validateHostPattern(pattern), pattern)

    def test_tooLong(self):
        """
        A host longer than 255 characters is refused, with MySQL's wording.
        """
        error = self.assertRaises(
            ValueError, validateHostPattern, "a" * (MAX_HOST_LENGTH + 1)
        )
        self.assertIn("too long for host name", str(error))

    def test_malformedNetworks(self):
        """
        An IPv4 address followed by a malformed mask is refused, and the
        message names the pattern.
        """
        for pattern in [
            "10.0.0.1/33",
            "10.0.0.1/100",
            "1.2.3.4/255.0.255.0",
            "1.2.3.4/0.255.255.255",
            "10.0.0.0/0",
            "10.0.0.0/0.0.0.0",
            "10.0.0.0/abc",
            "10.0.0.0/",
            "10.0.0.0/255.255.256.0",
            "10.0.0.0/-8",
        ]:
            error = self.assertRaises(ValueError, validateHostPattern, pattern)
            self.assertIn(repr(pattern), str(error))

    def test_nul(self):
        """
        A host holding a NUL character is refused.
        """
        self.assertRaises(ValueError, validateHostPattern, "a\x00b")

    def test_notText(self):
        """
        A host that is not text is refused.
        """
        self.assertRaises(ValueError, validateHostPattern, b"localhost")


class IsWildcardHostTests(SynchronousTestCase):
    """
    Tests for L{isWildcardHost}.
    """

    def test_literals(self):
        """
        Host names and addresses, including ones with escaped wildcards,
        are not wildcard hosts.
        """
        for pattern in ["localhost", "10.0.0.1", "::1", "a\\_b", "a\\%b"]:
            self.assertFalse(isWildcardHost(pattern), pattern)

    def test_wildcards(self):
        """
        Match-all hosts, patterns with wildcards and networks are wildcard
        hosts.
        """
        for pattern in ["", "%", "h%", "h_st", "10.0.0.0/8", "10.0.0.0/255.0.0.0"]:
            self.assertTrue(isWildcardHost(pattern), pattern)


class SpecificityKeyTests(SynchronousTestCase):
    """
    Tests for L{specificityKey}, MySQL's C{get_sort(2, host, user)} order.
    """

    def assertOrder(self, expected, seed=0):
        """
        Assert that sorting shuffled copies of C{expected} by
        L{specificityKey} gives back C{expected}.

        @param expected: account names, most specific first.
        @param seed: the shuffling seed.
        """
        rng = random.Random(seed)
        for _ in range(20):
            names = list(expected)
            rng.shuffle(names)
            self.assertEqual(sorted(names, key=specificityKey), expected)

    def test_order(self):
        """
        Literal hosts come first (named users before anonymous), then
        CIDR networks (longer prefix first), then netmask networks, then
        patterns by the length of their literal prefix, then C{%}, then the
        empty host.
        """
        expected = [
            AccountName("u", "10.1.2.3"),
            AccountName("u", "localhost"),
            AccountName("", "localhost"),
            AccountName("u", "10.1.0.0/16"),
            AccountName("u", "10.0.0.0/8"),
            AccountName("", "10.0.0.0/8"),
            AccountName("u", "10.1.0.0/255.255.0.0"),
            AccountName("u", "10.0.0.0/255.0.0.0"),
            AccountName("u", "10.1.2.%"),
            AccountName("u", "10.1.%"),
            AccountName("", "10.1.%"),
            AccountName("u", "%.example.com"),
            AccountName("u", "_.example.com"),
            AccountName("u", "%"),
            AccountName("", "%"),
            AccountName("u", ""),
            AccountName("", ""),
        ]
        self.assertOrder(expected)
        self.assertOrder(expected, seed=99)

    def test_anonymousLiteralBeforeNamedPattern(self):
        """
        The host decides before the user: C{''@'localhost'} comes before
        C{'u'@'%'} (the manual's example of an anonymous account shadowing
        a named one).
        """
        self.assertOrder([AccountName("", "localhost"), AccountName("u", "%")])

    def test_escapedWildcardIsLiteral(self):
        """
        An escaped wildcard does not make a host a pattern.
        """
        self.assertOrder([AccountName("u", "a\\%b"), AccountName("u", "a%")])

    def test_prefixLengthCapped(self):
        """
        Like MySQL, literal prefixes count up to 125 characters only:
        longer ones are equally specific (and so ordered by text), but
        still more specific than shorter ones.
        """
        self.assertOrder(
            [
                AccountName("u", "a" * 130 + "%"),
                AccountName("u", "b" * 200 + "%"),
                AccountName("u", "c" * 124 + "%"),
                AccountName("u", "d" * 10 + "%"),
            ]
        )

    def test_deterministicTies(self):
        """
        Equally specific names are ordered by host, then user, so that the
        order does not depend on the input order.
        """
        self.assertOrder(
            [
                AccountName("u", "a.example.com"),
                AccountName("u", "b.example.com"),
                AccountName("u", "a%"),
                AccountName("v", "a%"),
                AccountName("u", "b%"),
            ]
        )

    def test_keysDiffer(self):
        """
        Distinct account names have distinct keys.
        """
        names = [
            AccountName(user, host)
            for user in ["", "u", "v"]
            for host in ["", "%", "localhost", "LOCALHOST", "10.0.0.0/8"]
        ]
        self.assertEqual(len({specificityKey(name) for name in names}), len(names))
