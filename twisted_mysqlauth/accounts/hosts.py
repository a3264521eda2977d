# -*- test-case-name: tests.test_hosts -*-
# Copyright (c) twisted_mysqlauth developers.
# See LICENSE for details.
"""
Host patterns of account names: how MySQL decides whether the host part of
C{'user'@'host'} matches a connecting client, and which of several matching
accounts is the most specific.

A host pattern is one of:

  - C{""} or C{"%"}: every client;
  - an IPv4 network, C{a.b.c.d/m.m.m.m} (netmask) or C{a.b.c.d/n} (CIDR),
    which matches a client whose IPv4 address ANDed with the mask equals
    C{a.b.c.d};
  - a wildcard pattern: C{%} matches any run of characters, C{_} exactly
    one, and C{\\} makes the character after it literal; it is matched
    without regard to case against the client's host name and with regard
    to case against the client's IP address text;
  - anything else is a literal: a host name, an IPv4 address or IPv6 text
    (C{"::1"}), compared as text in the same two ways.

The wildcard matcher is a greedy two-pointer matcher that keeps one
backtracking point, so its cost is bounded by the product of the two lengths
(there is no exponential backtracking on patterns such as C{%a%a%a%b}).
"""

from __future__ import annotations

import functools
import re
from typing import Optional, Sequence, Tuple

import attr

from twisted_mysqlauth.accounts.model import AccountName, ClientAddress

#: The longest host part MySQL accepts (C{HOSTNAME_LENGTH} since 8.0.17).
MAX_HOST_LENGTH = 255

# What a host pattern is; see L{HostPattern.kind}.
ANY = "any"
LITERAL = "literal"
NETWORK = "network"
WILDCARD = "wildcard"

# How a network pattern spells its mask; see L{HostPattern.maskType}.
NO_MASK = 0
CIDR_MASK = 1
NETMASK_MASK = 2

_WILD_MANY = "%"
_WILD_ONE = "_"
_ESCAPE = "\\"

# Tokens of a compiled wildcard pattern other than literal characters.
_MANY = object()
_ONE = object()

_DOTTED_QUAD = re.compile(r"([0-9]{1,3})\.([0-9]{1,3})\.([0-9]{1,3})\.([0-9]{1,3})\Z")
_PREFIX_LENGTH = re.compile(r"[0-9]{1,2}\Z")


def _foldChar(character: str) -> str:
    """
    Fold one character for a case-insensitive comparison.

    Each character is folded on its own (rather than the whole string at
    once) so that the folded forms of a text and of a pattern line up
    character for character, as MySQL's per-character C{toupper} does.

    @param character: a single character.
    @return: its lower-case form (possibly more than one character).
    """
    return character.lower()


def _foldText(text: str) -> str:
    """
    Fold a whole text, character by character, with L{_foldChar}.

    @param text: any text.
    @return: the folded text, usable as a case-insensitive dictionary key.
    """
    if text.isascii():
        return text.lower()
    return "".join([_foldChar(character) for character in text])


def _parseIPv4(text: str) -> Optional[int]:
    """
    Parse dotted-quad IPv4 text (each part 0-255, one to three digits).

    @param text: the text to parse.
    @return: the address as a 32-bit integer, or L{None} when C{text} is
        not exactly a dotted quad.
    """
    match = _DOTTED_QUAD.match(text)
    if match is None:
        return None
    value = 0
    for part in match.groups():
        number = int(part)
        if number > 255:
            return None
        value = (value << 8) | number
    return value


def _contiguousPrefixLength(mask: int) -> Optional[int]:
    """
    Find the prefix length of a netmask.

    @param mask: a 32-bit mask.
    @return: the number of leading one bits if the mask is that many ones
        followed only by zeros, else L{None}.
    """
    inverted = ~mask & 0xFFFFFFFF
    if inverted & (inverted + 1):
        return None
    return 32 - inverted.bit_length()


def _parseNetwork(
    pattern: str,
) -> Tuple[Optional[Tuple[int, int, int, int]], Optional[str]]:
    """
    Parse the IPv4 network forms of a host pattern.

    @param pattern: a host pattern.
    @return: C{(network, None)} where C{network} is C{(address, mask,
        prefixLength, maskType)} for a well-formed network pattern;
        C{(None, reason)} when C{pattern} is an IPv4 address followed by a
        slash and a malformed mask (C{reason} says what is wrong); and
        C{(None, None)} when C{pattern} is not of the network form at all.
    """
    address, slash, maskText = pattern.partition("/")
    if not slash:
        return None, None
    network = _parseIPv4(address)
    if network is None:
        return None, None
    mask = _parseIPv4(maskText)
    if mask is not None:
        prefixLength = _contiguousPrefixLength(mask)
        if prefixLength is None:
            return None, f"netmask {maskText!r} is not a contiguous run of one bits"
        maskType = NETMASK_MASK
    elif _PREFIX_LENGTH.match(maskText):
        prefixLength = int(maskText)
        if prefixLength > 32:
            return None, f"CIDR prefix length {prefixLength} is larger than 32"
        mask = (0xFFFFFFFF << (32 - prefixLength)) & 0xFFFFFFFF
        maskType = CIDR_MASK
    else:
        return None, f"{maskText!r} is neither a netmask nor a CIDR prefix length"
    if prefixLength == 0:
        # MySQL does not treat an all-zero mask as a network: it would
        # compare the pattern as text and never match.  Refuse it outright
        # when validating; "%" is the way to say "every host".
        return None, "a network mask of zero bits is not allowed (use '%')"
    return (network, mask, prefixLength, maskType), None


def _tokenize(pattern: str, fold: bool) -> Tuple[object, ...]:
    """
    Compile a wildcard pattern into tokens.

    @param pattern: the pattern text.
    @param fold: whether literal characters are folded with L{_foldChar}.
    @return: a tuple of tokens: L{_MANY} for C{%}, L{_ONE} for C{_}, and
        strings for literal characters (a C{\\} makes the next character
        literal; a trailing C{\\} is itself literal).
    """
    tokens = []
    index = 0
    length = len(pattern)
    while index < length:
        character = pattern[index]
        if character == _ESCAPE and index + 1 < length:
            index += 1
            character = pattern[index]
            tokens.append(_foldChar(character) if fold else character)
        elif character == _WILD_MANY:
            # Consecutive "%" are one "%".
            if not tokens or tokens[-1] is not _MANY:
                tokens.append(_MANY)
        elif character == _WILD_ONE:
            tokens.append(_ONE)
        else:
            tokens.append(_foldChar(character) if fold else character)
        index += 1
    return tuple(tokens)


def _hasWildcard(pattern: str) -> bool:
    """
    @param pattern: a host pattern.
    @return: whether C{pattern} holds an unescaped C{%} or C{_}.
    """
    index = 0
    length = len(pattern)
    while index < length:
        character = pattern[index]
        if character == _ESCAPE and index + 1 < length:
            index += 2
            continue
        if character == _WILD_MANY or character == _WILD_ONE:
            return True
        index += 1
    return False


def _unescape(pattern: str) -> str:
    """
    Remove the escapes from a pattern that holds no wildcard.

    @param pattern: a literal host pattern.
    @return: the text it matches.
    """
    if _ESCAPE not in pattern:
        return pattern
    return "".join(token for token in _tokenize(pattern, False))  # type: ignore


def _wildMatch(tokens: Sequence[object], text: Sequence[str]) -> bool:
    """
    Match text against compiled wildcard tokens.

    Greedy two-pointer matching: on a mismatch after a C{%} the C{%} is
    made to swallow one more character and matching resumes after it. Only
    the most recent C{%} needs to be remembered, so the cost is at most
    C{len(tokens) * len(text)} steps.

    @param tokens: tokens from L{_tokenize}.
    @param text: the characters to match (already folded if the tokens
        are), as a string or a list of one-character (folded) strings.
    @return: whether the whole text matches the whole pattern.
    """
    textIndex = 0
    tokenIndex = 0
    starToken = -1
    starText = 0
    textLength = len(text)
    tokenCount = len(tokens)
    while textIndex < textLength:
        if tokenIndex < tokenCount:
            token = tokens[tokenIndex]
            if token is _MANY:
                starToken = tokenIndex
                starText = textIndex
                tokenIndex += 1
                continue
            if token is _ONE or token == text[textIndex]:
                textIndex += 1
                tokenIndex += 1
                continue
        if starToken < 0:
            return False
        starText += 1
        textIndex = starText
        tokenIndex = starToken + 1
    while tokenIndex < tokenCount and tokens[tokenIndex] is _MANY:
        tokenIndex += 1
    return tokenIndex == tokenCount


def _literalEnds(tokens: Sequence[object]) -> Tuple[str, str]:
    """
    @param tokens: tokens from L{_tokenize}.
    @return: the literal characters before the first wildcard and those
        after the last, each joined (both the whole text when there is no
        wildcard).
    """
    wild = [i for i, token in enumerate(tokens) if token is _MANY or token is _ONE]
    if not wild:
        text = "".join(tokens)  # type: ignore[arg-type]
        return text, text
    return (
        "".join(tokens[: wild[0]]),  # type: ignore[arg-type]
        "".join(tokens[wild[-1] + 1 :]),  # type: ignore[arg-type]
    )


def wildcardMatches(pattern: str, text: str, caseSensitive: bool = True) -> bool:
    """
    Match C{text} against a MySQL wildcard pattern (C{%}, C{_}, C{\\}).

    @param pattern: the pattern.
    @param text: the text.
    @param caseSensitive: whether letters must agree in case.
    @return: whether the whole of C{text} matches.
    """
    if caseSensitive:
        return _wildMatch(_tokenize(pattern, False), text)
    return _wildMatch(_tokenize(pattern, True), [_foldChar(c) for c in text])


def _sortByte(value: str) -> int:
    """
    MySQL's C{get_sort} value of one string.

    @param value: a host pattern or a user name.
    @return: 0 for an empty string; 1 for a lone C{%}; 2 + the (0-based)
        position of the first unescaped wildcard, at most 127, for other
        strings holding a wildcard; 128 for strings without one.
    """
    if not value:
        return 0
    index = 0
    length = len(value)
    while index < length:
        character = value[index]
        if character == _ESCAPE and index + 1 < length:
            index += 2
            continue
        if character == _WILD_MANY or character == _WILD_ONE:
            if index == 0 and character == _WILD_MANY and length == 1:
                return 1
            return min(index + 2, 127)
        index += 1
    return 128


@attr.s(frozen=True, slots=True, auto_attribs=True, eq=False, repr=False)
class HostPattern:
    """
    A host pattern, parsed once so that it can be matched many times.

    @ivar text: the pattern as stored.
    @ivar kind: L{ANY} (C{""} or C{"%"}), L{NETWORK}, L{WILDCARD} or
        L{LITERAL}.
    @ivar literal: for L{LITERAL} patterns the text matched (escapes
        removed), else L{None}.
    @ivar foldedLiteral: L{literal} folded for case-insensitive comparison
        with host names.
    @ivar network: for L{NETWORK} patterns the network address (32-bit
        integer), else 0.
    @ivar mask: for L{NETWORK} patterns the mask (32-bit integer), else 0.
    @ivar prefixLength: for L{NETWORK} patterns the number of one bits of
        the mask, else 0.
    @ivar maskType: L{CIDR_MASK}, L{NETMASK_MASK}, or L{NO_MASK}.
    @ivar sortValue: MySQL's C{get_sort} value of the pattern.
    """

    text: str
    kind: str
    literal: Optional[str] = None
    foldedLiteral: Optional[str] = None
    network: int = 0
    mask: int = 0
    prefixLength: int = 0
    maskType: int = NO_MASK
    sortValue: int = 0
    _tokens: Tuple[object, ...] = ()
    _foldedTokens: Tuple[object, ...] = ()

    def __repr__(self) -> str:
        return f"<HostPattern {self.text!r} {self.kind}>"

    def literalEnds(self) -> Tuple[Tuple[str, str], Tuple[str, str]]:
        """
        For a L{WILDCARD} pattern, the text every host name and every IP
        address it matches begin and end with: the literal characters
        before its first wildcard and after its last, folded (a host name's
        folded text starts and ends with them) and as written (an IP
        address's text does).

        @return: C{((foldedPrefix, foldedSuffix), (prefix, suffix))}.
        """
        return _literalEnds(self._foldedTokens), _literalEnds(self._tokens)

    def matches(self, client: ClientAddress) -> bool:
        """
        Whether a client's address matches this pattern.

        @param client: where the client connects from.
        @return: L{True} if it matches.
        """
        kind = self.kind
        if kind == ANY:
            return True
        if kind == NETWORK:
            if client.isUNIXSocket or client.ip is None:
                return False
            address = _parseIPv4(client.ip)
            if address is None:
                return False
            return (address & self.mask) == self.network
        if kind == LITERAL:
            if client.hostName is not None:
                if _foldText(client.hostName) == self.foldedLiteral:
                    return True
            return client.ip is not None and client.ip == self.literal
        hostName = client.hostName
        if hostName is not None:
            if hostName.isascii():
                # Each ASCII character folds to one: the folded text lines
                # up with the tokens as the list of folded characters does.
                folded: Sequence[str] = hostName.lower()
            else:
                folded = [_foldChar(character) for character in hostName]
            if _wildMatch(self._foldedTokens, folded):
                return True
        return client.ip is not None and _wildMatch(self._tokens, client.ip)


@functools.lru_cache(maxsize=8192)
def parseHostPattern(pattern: str) -> HostPattern:
    """
    Parse a host pattern as stored in an account name.

    Parsing never fails: a pattern that L{validateHostPattern} would refuse
    (say C{10.0.0.1/33}) is taken as literal text, which is how MySQL
    treats such a host (it matches no real client).

    @param pattern: the host part of an account name.
    @return: the parsed L{HostPattern}.
    """
    sortValue = _sortByte(pattern)
    if pattern == "" or pattern == _WILD_MANY:
        return HostPattern(text=pattern, kind=ANY, sortValue=sortValue)
    network, _ = _parseNetwork(pattern)
    if network is not None:
        address, mask, prefixLength, maskType = network
        return HostPattern(
            text=pattern,
            kind=NETWORK,
            network=address,
            mask=mask,
            prefixLength=prefixLength,
            maskType=maskType,
            sortValue=sortValue,
        )
    if _hasWildcard(pattern):
        return HostPattern(
            text=pattern,
            kind=WILDCARD,
            sortValue=sortValue,
            tokens=_tokenize(pattern, False),
            foldedTokens=_tokenize(pattern, True),
        )
    literal = _unescape(pattern)
    return HostPattern(
        text=pattern,
        kind=LITERAL,
        literal=literal,
        foldedLiteral=_foldText(literal),
        sortValue=sortValue,
    )


def hostMatches(pattern: str, client: ClientAddress) -> bool:
    """
    Whether the host part of an account matches a client, as MySQL's
    C{compare_hostname} decides.

    A netmask or CIDR pattern matches only a client with an IPv4 address
    inside the network (never a UNIX-socket client); C{""} and C{"%"}
    match every client; any other pattern matches if it matches the
    client's host name without regard to case, or the client's IP address
    text with regard to case.

    @param pattern: the host part of an account name.
    @param client: where the client connects from.
    @return: L{True} if the pattern matches the client.
    """
    return parseHostPattern(pattern).matches(client)


def isWildcardHost(pattern: str) -> bool:
    """
    Whether a host pattern may match more than one host name or address.

    @param pattern: the host part of an account name.
    @return: L{True} for C{""}, C{"%"}, netmask and CIDR networks and
        patterns with an unescaped C{%} or C{_}; L{False} for literal host
        names and addresses.
    """
    return parseHostPattern(pattern).kind != LITERAL


def validateHostPattern(pattern: str) -> str:
    """
    Check the host part of an account name the way C{CREATE USER} does and
    normalise it (MySQL keeps host names in lower case).

    @param pattern: the host part as written in a statement.
    @return: the pattern to store: C{pattern} in lower case.
    @raise ValueError: if the pattern is longer than L{MAX_HOST_LENGTH}
        characters, holds a NUL character, or is an IPv4 address followed by
        a malformed mask: a netmask that is not contiguous
        (C{1.2.3.4/255.0.255.0}), a CIDR prefix over 32 (C{10.0.0.1/33}),
        a zero mask, or something that is neither.
    """
    if not isinstance(pattern, str):
        raise ValueError(f"host name must be text, not {type(pattern).__name__}")
    if len(pattern) > MAX_HOST_LENGTH:
        raise ValueError(
            f"String {pattern!r} is too long for host name "
            f"(should be no longer than {MAX_HOST_LENGTH})"
        )
    if "\x00" in pattern:
        raise ValueError(f"host name {pattern!r} holds a NUL character")
    _, reason = _parseNetwork(pattern)
    if reason is not None:
        raise ValueError(f"malformed network in host name {pattern!r}: {reason}")
    return pattern.lower()


def _specificityKeyOf(user: str, pattern: HostPattern) -> tuple:
    """
    The sort key of L{specificityKey} for an already parsed host pattern.

    @param user: the account's user name.
    @param pattern: the account's parsed host pattern.
    @return: the key (lower sorts first, that is, is more specific).
    """
    return (
        -pattern.sortValue,
        pattern.maskType,
        -pattern.prefixLength,
        -_sortByte(user),
        pattern.text,
        user,
    )


def specificityKey(name: AccountName) -> tuple:
    """
    The order in which MySQL tries accounts: sorting account names by this
    key (ascending) puts the most specific first.

    This is MySQL's C{get_sort(2, host, user)} in descending order:

      1. hosts without wildcards (names and addresses, networks included)
         before hosts with one, and of those, the longer the literal
         prefix before the first wildcard the earlier; then C{%}; then
         C{""};
      2. among hosts without wildcards, plain names and addresses before
         CIDR networks before netmask networks (as MySQL 8.0.23 and later
         document), and of networks the longer mask first;
      3. for equally specific hosts, a named user before the anonymous
         user;
      4. ties are broken by the host and then the user text, so that the
         order, and so every lookup, is stable.

    @param name: an account name.
    @return: a tuple to sort by.
    """
    return _specificityKeyOf(name.user, parseHostPattern(name.host))


__all__ = [
    "MAX_HOST_LENGTH",
    "HostPattern",
    "parseHostPattern",
    "hostMatches",
    "isWildcardHost",
    "validateHostPattern",
    "specificityKey",
    "wildcardMatches",
    "ANY",
    "LITERAL",
    "NETWORK",
    "WILDCARD",
    "NO_MASK",
    "CIDR_MASK",
    "NETMASK_MASK",
]
