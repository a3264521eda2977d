# -*- test-case-name: tests.test_directory -*-
# Copyright (c) twisted_mysqlauth developers.
# See LICENSE for details.
"""
The in-memory account directory (MySQL's ACL cache) and the manager that
keeps it in step with an account store.

Logins read only an L{AccountDirectory}: an immutable, indexed view of
every account and proxy grant. Account statements go through an
L{AccountManager}, which writes changes to its L{IAccountStore} and, once
they are committed, swaps in a new directory derived from the old one.

Account selection follows MySQL: for a user name, the candidates are that
user's accounts and every anonymous (C{''}) account, tried from the most
specific host (L{specificityKey}) to the least, and the first whose host
matches the client wins. Literal hosts are found through dictionaries, so
only wildcard and network hosts are ever tried one by one, and only those
of the user concerned and of the anonymous user.
"""

from __future__ import annotations

import heapq
from operator import attrgetter
from typing import Callable, Dict, Iterable, List, Optional, Tuple

from twisted.internet.defer import Deferred, DeferredLock, fail, maybeDeferred, succeed
from twisted.logger import Logger

from twisted_mysqlauth.accounts.hosts import (
    ANY,
    LITERAL,
    NETWORK,
    _parseIPv4,
    HostPattern,
    _foldText,
    _specificityKeyOf,
    parseHostPattern,
)
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


class _Row:
    """
    One account in a user's index, with its parsed host and sort key.

    @ivar key: the account's L{specificityKey}.
    @ivar account: the L{Account}.
    @ivar pattern: the account's parsed L{HostPattern}.
    """

    __slots__ = ("key", "account", "pattern")

    def __init__(self, key: tuple, account: Account, pattern: HostPattern) -> None:
        self.key = key
        self.account = account
        self.pattern = pattern


def _rowKey(row: _Row) -> tuple:
    """
    @param row: a L{_Row}.
    @return: its sort key.
    """
    return row.key


def _sortRows(rows: List[_Row]) -> None:
    """
    Sort rows in place, most specific first.

    Every sort the directory does goes through here, so that tests can
    count how much sorting an operation costs.

    @param rows: the rows to sort.
    """
    rows.sort(key=_rowKey)


def _patternMatches(pattern: HostPattern, client: ClientAddress) -> bool:
    """
    Match one wildcard or network host against a client.

    Every host pattern the directory tries one by one goes through here, so
    that tests can count how many were tried.

    @param pattern: the parsed host pattern.
    @param client: the client's address.
    @return: whether it matches.
    """
    return pattern.matches(client)


class _UserIndex:
    """
    The accounts of one user name, indexed for lookup.

    @ivar byHost: the accounts, keyed by their exact host text.
    @ivar byName: the rows with literal hosts, keyed by the folded host text
        (for matching a client's host name); each value is sorted.
    @ivar byIP: the rows with literal hosts, keyed by the exact host text
        with escapes removed (for matching a client's IP address); each
        value is sorted.
    @ivar scanned: the rows with wildcard, network and match-all hosts,
        sorted most specific first.
    """

    __slots__ = ("byHost", "byName", "byIP", "scanned")

    def __init__(self, byHost: Dict[str, Account]) -> None:
        self.byHost = byHost
        self.byName: Dict[str, List[_Row]] = {}
        self.byIP: Dict[str, List[_Row]] = {}
        self.scanned: List[_Row] = []
        for host, account in byHost.items():
            pattern = parseHostPattern(host)
            row = _Row(_specificityKeyOf(account.user, pattern), account, pattern)
            if pattern.kind == LITERAL:
                self.byName.setdefault(pattern.foldedLiteral, []).append(row)
                self.byIP.setdefault(pattern.literal, []).append(row)
            else:
                self.scanned.append(row)
        for rows in self.byName.values():
            if len(rows) > 1:
                _sortRows(rows)
        for rows in self.byIP.values():
            if len(rows) > 1:
                _sortRows(rows)
        _sortRows(self.scanned)


class _HostIndex:
    """
    Every host pattern in use, for L{AccountDirectory.hostAllowed}.

    @ivar counts: how many accounts use each host text.
    @ivar anyHosts: how many of the match-all hosts (C{""}, C{"%"}) are in
        use.
    @ivar literalNames: for literal hosts, folded text to the number of
        host texts in use that fold to it.
    @ivar literalIPs: for literal hosts, unescaped text to the number of
        host texts in use with that text.
    @ivar patterns: wildcard and network hosts in use, by host text.
    """

    __slots__ = ("counts", "anyHosts", "literalNames", "literalIPs", "patterns", "_candidates")

    def __init__(self) -> None:
        self.counts: Dict[str, int] = {}
        self.anyHosts = 0
        self.literalNames: Dict[str, int] = {}
        self.literalIPs: Dict[str, int] = {}
        self.patterns: Dict[str, HostPattern] = {}
        self._candidates: Optional[_PatternCandidates] = None

    def candidates(self) -> _PatternCandidates:
        """
        @return: the wildcard and network patterns indexed by what a client
            must have to match them (made on first use; an index is not
            changed once its directory is built).
        """
        if self._candidates is None:
            self._candidates = _PatternCandidates(self.patterns.values())
        return self._candidates

    def copy(self) -> _HostIndex:
        """
        @return: a copy whose dictionaries can be changed independently.
        """
        other = _HostIndex()
        other.counts = dict(self.counts)
        other.anyHosts = self.anyHosts
        other.literalNames = dict(self.literalNames)
        other.literalIPs = dict(self.literalIPs)
        other.patterns = dict(self.patterns)
        return other

    def add(self, host: str) -> None:
        """
        Record one more account using C{host}.

        @param host: a host pattern.
        """
        count = self.counts.get(host, 0)
        self.counts[host] = count + 1
        if count:
            return
        self._candidates = None
        pattern = parseHostPattern(host)
        if pattern.kind == ANY:
            self.anyHosts += 1
        elif pattern.kind == LITERAL:
            _increment(self.literalNames, pattern.foldedLiteral, 1)
            _increment(self.literalIPs, pattern.literal, 1)
        else:
            self.patterns[host] = pattern

    def remove(self, host: str) -> None:
        """
        Record one account fewer using C{host}.

        @param host: a host pattern that L{add} recorded.
        """
        count = self.counts[host]
        if count > 1:
            self.counts[host] = count - 1
            return
        del self.counts[host]
        self._candidates = None
        pattern = parseHostPattern(host)
        if pattern.kind == ANY:
            self.anyHosts -= 1
        elif pattern.kind == LITERAL:
            _increment(self.literalNames, pattern.foldedLiteral, -1)
            _increment(self.literalIPs, pattern.literal, -1)
        else:
            del self.patterns[host]


class _PatternCandidates:
    """
    Wildcard and network host patterns indexed so that a client is tried
    only against those it could match (MySQL's C{acl_check_host} tries them
    all; with many distinct patterns, a client from an unlisted address
    cost a scan of every one).

    A wildcard pattern can match only a host name whose folded text starts
    with its folded literal prefix (the characters before its first
    wildcard) and ends with its folded literal suffix (those after its
    last), and only an IP address that starts and ends with its literal
    prefix and suffix; a network pattern only an IPv4 address that, masked
    with its mask, is its network. Each wildcard pattern is filed under its
    prefix if it has one, else under its suffix, else with those always
    tried.

    @ivar hostNames: the index used for host names (folded).
    @ivar addresses: the index used for IP addresses (as written).
    @ivar networks: network patterns by mask, then by network address.
    """

    __slots__ = ("hostNames", "addresses", "networks")

    def __init__(self, patterns: Iterable[HostPattern]) -> None:
        self.hostNames = _EndsIndex()
        self.addresses = _EndsIndex()
        self.networks: Dict[int, Dict[int, List[HostPattern]]] = {}
        for pattern in patterns:
            if pattern.kind == NETWORK:
                self.networks.setdefault(pattern.mask, {}).setdefault(pattern.network, []).append(
                    pattern
                )
            else:
                folded, raw = pattern.literalEnds()
                self.hostNames.add(pattern, *folded)
                self.addresses.add(pattern, *raw)
        self.hostNames.freeze()
        self.addresses.freeze()

    def anyMatches(self, client: ClientAddress) -> bool:
        """
        @return: whether a pattern matches C{client} (each candidate is
            tried with L{_patternMatches}).
        """
        if client.hostName is not None:
            if self.hostNames.anyMatches(_foldText(client.hostName), client):
                return True
        ip = client.ip
        if ip is None:
            return False
        if self.addresses.anyMatches(ip, client):
            return True
        if self.networks:
            address = _parseIPv4(ip)
            if address is not None:
                for mask, networks in self.networks.items():
                    for pattern in networks.get(address & mask, ()):
                        if _patternMatches(pattern, client):
                            return True
        return False


class _EndsIndex:
    """
    Wildcard patterns by the literal text a matching text must start (or
    else end) with; see L{_PatternCandidates}.
    """

    __slots__ = ("prefixes", "suffixes", "rest", "prefixLengths", "suffixLengths")

    def __init__(self) -> None:
        self.prefixes: Dict[str, List[HostPattern]] = {}
        self.suffixes: Dict[str, List[HostPattern]] = {}
        self.rest: List[HostPattern] = []
        self.prefixLengths: List[int] = []
        self.suffixLengths: List[int] = []

    def add(self, pattern: HostPattern, prefix: str, suffix: str) -> None:
        if prefix:
            self.prefixes.setdefault(prefix, []).append(pattern)
        elif suffix:
            self.suffixes.setdefault(suffix, []).append(pattern)
        else:
            self.rest.append(pattern)

    def freeze(self) -> None:
        self.prefixLengths = sorted({len(prefix) for prefix in self.prefixes})
        self.suffixLengths = sorted({len(suffix) for suffix in self.suffixes})

    def anyMatches(self, text: str, client: ClientAddress) -> bool:
        size = len(text)
        for length in self.prefixLengths:
            if length > size:
                break
            for pattern in self.prefixes.get(text[:length], ()):
                if _patternMatches(pattern, client):
                    return True
        for length in self.suffixLengths:
            if length > size:
                break
            for pattern in self.suffixes.get(text[size - length :], ()):
                if _patternMatches(pattern, client):
                    return True
        for pattern in self.rest:
            if _patternMatches(pattern, client):
                return True
        return False


def _increment(counts: Dict[str, int], key: str, delta: int) -> None:
    """
    Add C{delta} to C{counts[key]}, dropping the key when it reaches 0.

    @param counts: a dictionary of counts.
    @param key: the key.
    @param delta: the amount to add.
    """
    value = counts.get(key, 0) + delta
    if value:
        counts[key] = value
    else:
        del counts[key]


#: How many answers of L{AccountDirectory.lookup} a directory keeps (all are
#: dropped when there would be more).
LOOKUPS_KEPT = 8192


class AccountDirectory:
    """
    An immutable, indexed view of all accounts and proxy grants: what
    logins read (MySQL's ACL cache).

    Build one with L{AccountDirectory.fromSnapshot} and derive changed ones
    with L{AccountDirectory.withChanges}; never change one in place.
    """

    def __init__(
        self,
        users: Dict[str, _UserIndex],
        count: int,
        hosts: _HostIndex,
        grants: Dict[Tuple[AccountName, AccountName], ProxyGrant],
        grantsByProxy: Dict[AccountName, Dict[AccountName, ProxyGrant]],
    ) -> None:
        """
        Use L{fromSnapshot} or L{withChanges} rather than this.

        @param users: the per-user indexes.
        @param count: the number of accounts.
        @param hosts: the host index.
        @param grants: the proxy grants by C{(proxy, proxied)}.
        @param grantsByProxy: the proxy grants by proxy, then proxied.
        """
        self._users = users
        self._count = count
        self._hosts = hosts
        self._grants = grants
        self._grantsByProxy = grantsByProxy
        self._sortedAccounts: Optional[Tuple[Account, ...]] = None
        self._sortedGrants: Optional[Tuple[ProxyGrant, ...]] = None
        # The answers of lookup, by user name and client address (this
        # directory never changes, so neither do they).
        self._lookups: Dict[tuple, Optional[Account]] = {}

    @classmethod
    def fromSnapshot(cls, snapshot: StoreSnapshot) -> AccountDirectory:
        """
        Build a directory from everything a store holds.

        @param snapshot: a L{StoreSnapshot}; where it names an account or a
            grant twice, the last one wins.
        @return: the new directory.
        """
        changes: List[object] = [PutAccount(account) for account in snapshot.accounts]
        changes.extend(PutProxyGrant(grant) for grant in snapshot.proxyGrants)
        return _EMPTY.withChanges(changes)

    def __len__(self) -> int:
        """
        @return: the number of accounts.
        """
        return self._count

    def __repr__(self) -> str:
        return (
            f"<AccountDirectory: {self._count} accounts, "
            f"{len(self._grants)} proxy grants>"
        )

    def lookup(self, user: str, client: ClientAddress) -> Optional[Account]:
        """
        Choose the account a login as C{user} from C{client} uses.

        The candidates are C{user}'s accounts and every anonymous account;
        the most specific one whose host matches the client wins, so an
        anonymous account can win over one of the user's own (the
        manual's C{''@'localhost'} and C{'u'@'%'}).

        @param user: the user name the client sent.
        @param client: where the client connects from.
        @return: the L{Account}, or L{None} if no account matches.
        """
        # A name with no account of its own can only match the anonymous
        # accounts: all such names share one answer per client, so a
        # client sending made-up names (up to 96 KiB each) adds nothing.
        key = (
            user if user in self._users else None,
            client.hostName,
            client.ip,
            client.isUNIXSocket,
        )
        lookups = self._lookups
        try:
            return lookups[key]
        except KeyError:
            pass
        account = self._choose(user, client)
        if len(lookups) >= LOOKUPS_KEPT:
            # (Bounded: clients may come from any number of addresses.)
            lookups.clear()
        lookups[key] = account
        return account

    def _choose(self, user: str, client: ClientAddress) -> Optional[Account]:
        """
        L{lookup}, worked out.
        """
        indexes = []
        own = self._users.get(user)
        if own is not None:
            indexes.append(own)
        if user:
            anonymous = self._users.get("")
            if anonymous is not None:
                indexes.append(anonymous)
        if not indexes:
            return None

        # Literal hosts sort before every other kind, so the best literal
        # match, if there is one, is the answer.
        best: Optional[_Row] = None
        hostName = client.hostName
        folded = _foldText(hostName) if hostName is not None else None
        ip = client.ip
        for index in indexes:
            if folded is not None:
                rows = index.byName.get(folded)
                if rows and (best is None or rows[0].key < best.key):
                    best = rows[0]
            if ip is not None:
                rows = index.byIP.get(ip)
                if rows and (best is None or rows[0].key < best.key):
                    best = rows[0]
        if best is not None:
            return best.account

        candidates: Iterable[_Row]
        if len(indexes) == 1:
            candidates = indexes[0].scanned
        else:
            candidates = heapq.merge(
                indexes[0].scanned, indexes[1].scanned, key=_rowKey
            )
        for row in candidates:
            if _patternMatches(row.pattern, client):
                return row.account
        return None

    def get(self, name: AccountName) -> Optional[Account]:
        """
        Find an account by its exact name.

        @param name: the account's name.
        @return: the L{Account}, or L{None}.
        """
        index = self._users.get(name.user)
        if index is None:
            return None
        return index.byHost.get(name.host)

    def accounts(self) -> Tuple[Account, ...]:
        """
        @return: every account, sorted by name.
        """
        if self._sortedAccounts is None:
            everything = [
                account
                for index in self._users.values()
                for account in index.byHost.values()
            ]
            everything.sort(key=attrgetter("name"))
            self._sortedAccounts = tuple(everything)
        return self._sortedAccounts

    def hostAllowed(self, client: ClientAddress) -> bool:
        """
        Whether any account could match a client's host: MySQL's
        C{acl_check_host}, whose failure is answered with error 1130 before
        the handshake.

        As in MySQL, UNIX-socket clients are not checked (the result is
        always L{True}).

        @param client: where the client connects from.
        @return: L{True} if some account's host matches the client.
        """
        if client.isUNIXSocket:
            return True
        hosts = self._hosts
        if hosts.anyHosts:
            return True
        if client.hostName is not None:
            if _foldText(client.hostName) in hosts.literalNames:
                return True
        if client.ip is not None and client.ip in hosts.literalIPs:
            return True
        if not hosts.patterns:
            return False
        return hosts.candidates().anyMatches(client)

    def proxyGrants(self) -> Tuple[ProxyGrant, ...]:
        """
        @return: every proxy grant, sorted by proxy and then proxied
            account.
        """
        if self._sortedGrants is None:
            self._sortedGrants = tuple(
                self._grants[key] for key in sorted(self._grants)
            )
        return self._sortedGrants

    def proxyGrantsFor(self, proxy: AccountName) -> Tuple[ProxyGrant, ...]:
        """
        @param proxy: a proxy account's exact name.
        @return: the grants that let C{proxy} act as another account, in
            the order they were granted (MySQL's server-chosen proxying takes
            the first that fits).
        """
        grants = self._grantsByProxy.get(proxy)
        if not grants:
            return ()
        return tuple(grants.values())

    def proxyGrant(
        self, proxy: AccountName, proxied: AccountName
    ) -> Optional[ProxyGrant]:
        """
        @param proxy: the proxy account's exact name.
        @param proxied: the proxied account's exact name.
        @return: the L{ProxyGrant} of C{proxy} on C{proxied}, or L{None}.
        """
        return self._grants.get((proxy, proxied))

    def withChanges(self, changes: Iterable[object]) -> AccountDirectory:
        """
        Derive the directory that results from applying changes.

        Only the index entries of the user names the changes touch are
        rebuilt; the rest are shared with this directory, which is not
        changed.

        @param changes: L{PutAccount}, L{DeleteAccount}, L{PutProxyGrant}
            and L{DeleteProxyGrant} values, applied in order.
        @return: the new directory.
        @raise TypeError: if a change is of another type.
        """
        count = self._count
        hosts: Optional[_HostIndex] = None
        touched: Dict[str, Dict[str, Account]] = {}
        grants: Optional[Dict[Tuple[AccountName, AccountName], ProxyGrant]] = None
        grantsByProxy: Optional[Dict[AccountName, Dict[AccountName, ProxyGrant]]]
        grantsByProxy = None
        copiedProxies = set()

        def rowsOf(user: str) -> Dict[str, Account]:
            rows = touched.get(user)
            if rows is None:
                index = self._users.get(user)
                rows = dict(index.byHost) if index is not None else {}
                touched[user] = rows
            return rows

        for change in changes:
            if isinstance(change, PutAccount):
                account = change.account
                rows = rowsOf(account.user)
                if account.host not in rows:
                    if hosts is None:
                        hosts = self._hosts.copy()
                    hosts.add(account.host)
                    count += 1
                rows[account.host] = account
            elif isinstance(change, DeleteAccount):
                rows = rowsOf(change.name.user)
                if change.name.host in rows:
                    if hosts is None:
                        hosts = self._hosts.copy()
                    hosts.remove(change.name.host)
                    count -= 1
                    del rows[change.name.host]
            elif isinstance(change, (PutProxyGrant, DeleteProxyGrant)):
                if grants is None or grantsByProxy is None:
                    grants = dict(self._grants)
                    grantsByProxy = dict(self._grantsByProxy)
                if isinstance(change, PutProxyGrant):
                    proxy, proxied = change.grant.proxy, change.grant.proxied
                else:
                    proxy, proxied = change.proxy, change.proxied
                if proxy not in copiedProxies:
                    grantsByProxy[proxy] = dict(grantsByProxy.get(proxy, {}))
                    copiedProxies.add(proxy)
                if isinstance(change, PutProxyGrant):
                    grants[(proxy, proxied)] = change.grant
                    grantsByProxy[proxy][proxied] = change.grant
                else:
                    grants.pop((proxy, proxied), None)
                    grantsByProxy[proxy].pop(proxied, None)
                    if not grantsByProxy[proxy]:
                        # A later put for this proxy starts a new dictionary.
                        del grantsByProxy[proxy]
                        copiedProxies.discard(proxy)
            else:
                raise TypeError(f"not an account change: {change!r}")

        users = self._users
        if touched:
            users = dict(users)
            for user, rows in touched.items():
                if rows:
                    users[user] = _UserIndex(rows)
                else:
                    users.pop(user, None)
        return AccountDirectory(
            users,
            count,
            hosts if hosts is not None else self._hosts,
            grants if grants is not None else self._grants,
            grantsByProxy if grantsByProxy is not None else self._grantsByProxy,
        )


_EMPTY = AccountDirectory({}, 0, _HostIndex(), {}, {})


_log = Logger()


class AccountManager:
    """
    Keeps an L{AccountDirectory} in step with an account store.

    Changes are written to the store first; only once they are committed
    is the new directory swapped in and are observers told. Loads, reloads
    and changes are serialized, so the read-check-write of one statement
    (L{run}) never interleaves with another's.

    @ivar store: the L{IAccountStore} provider.
    @ivar directory: the current L{AccountDirectory}; logins read it
        synchronously. It is empty until L{start} has loaded the store.
    """

    def __init__(self, store: object) -> None:
        """
        @param store: an L{IAccountStore} provider.
        """
        self.store = store
        self.directory: AccountDirectory = _EMPTY
        self._lock = DeferredLock()
        self._observers: List[Callable[[Optional[List[object]]], object]] = []

    def addObserver(self, observer: Callable[[Optional[List[object]]], object]) -> None:
        """
        Call C{observer} after every change of the directory.

        @param observer: a callable taking the list of changes applied, or
            L{None} when the whole directory was (re)loaded. Its exceptions
            are logged and otherwise ignored.
        """
        self._observers.append(observer)

    def removeObserver(
        self, observer: Callable[[Optional[List[object]]], object]
    ) -> None:
        """
        Stop calling an observer added with L{addObserver}.

        @param observer: the observer.
        @raise ValueError: if it was not added.
        """
        self._observers.remove(observer)

    def _notify(self, changes: Optional[List[object]]) -> None:
        """
        Call every observer.

        @param changes: the changes applied, or L{None} for a (re)load.
        """
        for observer in list(self._observers):
            try:
                observer(changes)
            except BaseException:
                _log.failure(
                    "account directory observer {observer!r} failed",
                    observer=observer,
                )

    def start(self) -> Deferred:
        """
        Load the store and build the directory from it; observers are told
        with L{None}.

        @return: a L{Deferred} firing with the new L{AccountDirectory}.
        """
        return self._lock.run(self._load)

    def reload(self) -> Deferred:
        """
        Re-read the store and rebuild the directory (C{FLUSH PRIVILEGES});
        observers are told with L{None}, meaning "everything".

        @return: a L{Deferred} firing with the new L{AccountDirectory}.
        """
        return self._lock.run(self._load)

    def _load(self) -> Deferred:
        """
        Load the store and swap in a directory built from it (under the
        lock).

        @return: a L{Deferred} firing with the new directory.
        """

        def loaded(snapshot: StoreSnapshot) -> AccountDirectory:
            directory = AccountDirectory.fromSnapshot(snapshot)
            self.directory = directory
            self._notify(None)
            return directory

        return self.store.load().addCallback(loaded)

    def apply(self, changes: Iterable[object]) -> Deferred:
        """
        Write changes to the store and, once they are committed, swap in
        the directory with the changes applied and tell the observers.

        @param changes: L{PutAccount}, L{DeleteAccount}, L{PutProxyGrant}
            and L{DeleteProxyGrant} values, applied in order.
        @return: a L{Deferred} firing with L{None} once done, or failing
            (with the store's error, or L{TypeError} for a value that is not
            a change), in which case neither the store nor the directory has
            changed.
        """
        changes = list(changes)
        return self._lock.run(self._apply, changes).addCallback(lambda _: None)

    def _apply(self, changes: List[object]) -> Deferred:
        """
        Apply changes (under the lock).

        @param changes: the changes.
        @return: a L{Deferred} firing with C{changes} once committed.
        """
        # Derive the new directory first: it validates the changes before
        # anything is written.
        try:
            newDirectory = self.directory.withChanges(changes)
        except BaseException:
            return fail()
        if not changes:
            return succeed(changes)

        def committed(_: object) -> List[object]:
            self.directory = newDirectory
            self._notify(changes)
            return changes

        return self.store.write(changes).addCallback(committed)

    def run(
        self, function: Callable[[AccountDirectory], object]
    ) -> Deferred:
        """
        Run a read-check-write under the lock: call C{function} with the
        current directory and apply the changes it returns, with no other
        change, load or reload in between.

        @param function: a callable taking the current L{AccountDirectory}
            and returning a sequence of changes (or a L{Deferred} firing
            with one; L{None} means no changes). If it raises, nothing is
            written.
        @return: a L{Deferred} firing with the list of changes applied once
            they are committed, or failing with what C{function} or the
            store raised.
        """

        def locked() -> Deferred:
            result = maybeDeferred(function, self.directory)
            result.addCallback(lambda changes: self._apply(list(changes or ())))
            return result

        return self._lock.run(locked)


__all__ = ["AccountDirectory", "AccountManager"]
