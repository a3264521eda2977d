# -*- test-case-name: tests.test_windows -*-
# Copyright (c) twisted_mysqlauth developers.
# See LICENSE for details.
"""
C{authentication_windows} (client plugin C{authentication_windows_client}):
MySQL's Windows pluggable authentication, on any OS, with
U{pyspnego<https://pypi.org/project/pyspnego/>} as the acceptor: SPNEGO
carrying Kerberos (where python-gssapi and a keytab are available, or SSPI
on Windows) or NTLM (pyspnego's own, checked against an NTLM user file).

The pieces, in the shape of L{twisted.cred}:

 - L{WindowsAuthMethod}, the method: its exchange (L{WindowsExchange})
   switches the client to C{authentication_windows_client} with the
   server's principal name, reads the client's first token (joining the
   two halves libmysqlclient splits a long one into) and hands
   L{WindowsCredentials} to the portal;
 - L{WindowsChecker}, the checker: it runs the security context off the
   reactor thread, converses with the client through the login's
   L{IAuthChannel<twisted_mysqlauth.interfaces.IAuthChannel>} (the
   server's tokens in AuthMoreData, at most 50 rounds), and answers with
   the MySQL user the account's authentication string maps the
   authenticated Windows principal to: MySQL's C{authenticated_as}. The
   realm then proxies through C{PROXY} grants, as for any external method,
   and C{@@external_user} is the principal;
 - L{IWindowsGroupResolver} providers, where group membership comes from:
   the OS group database (L{OSGroupResolver}) or a mapping file
   (L{FileGroupResolver}).

Name matching follows Windows: case-insensitive, with C{DOMAIN\\\\name},
C{name@DOMAIN} and bare names (see L{NameMatcher}); the name matched is
the principal as the acceptor spells it (the NTLM user file's line, the
KDC's ticket), never as the client typed it.

pyspnego's acceptor is lenient where this server must not be: every client
token passes L{GuardedAcceptor}'s checks first (strict SPNEGO, NTLMv2
only, no completion on the client's word, the mechListMIC with NTLM), and
pyspnego itself runs with C{LM_COMPAT_LEVEL} 5.
"""

from __future__ import annotations

import base64
import os
import socket
import stat
import struct
import threading
from typing import Any, Callable, Dict, Iterable, List, Optional, Sequence, Tuple

import attr
from zope.interface import Attribute, Interface, implementer

from twisted.cred.checkers import ICredentialsChecker
from twisted.cred.error import UnauthorizedLogin
from twisted.internet import defer
from twisted.logger import Logger
from twisted.plugin import IPlugin

from twisted_mysqlauth import errors
from twisted_mysqlauth.accounts.model import Account
from twisted_mysqlauth.auth.base import LoginAttempt, MalformedResponse, ReadMore, TryLogin
from twisted_mysqlauth.auth.mapping import Mapping, MappingSyntaxError, parseMappings
from twisted_mysqlauth.auth.registry import SystemVariable, numberFrom, parseSwitch, variableValues
from twisted_mysqlauth.auth.windowsclient import (
    CLIENT_PLUGIN_NAME,
    FIRST_PACKET_LIMIT,
    MAX_ROUNDS,
    SPLIT_BLOCK_SIZE,
)
from twisted_mysqlauth.credentials import IAccountCredentials
from twisted_mysqlauth.interfaces import IAuthExchange, IAuthMethod

#: The server plugin's name.
PLUGIN_NAME = "authentication_windows"

#: The size of a first packet that libmysqlclient continues in a second.
SPLIT_PACKET_SIZE = FIRST_PACKET_LIMIT + 1

#: What the AuthSwitchRequest carries when no principal name is sent.
NO_PRINCIPAL_NAME = b"\x00"

#: The log levels of C{authentication_windows_log_level}.
LOG_NOTHING, LOG_ERRORS, LOG_WARNINGS, LOG_NOTES, LOG_DEBUG = range(5)

#: The group sources C{authentication_windows_group_source} may name.
GROUP_SOURCES = ("os", "file")

#: The group source by default: the OS group database, where there is one.
DEFAULT_GROUP_SOURCE = "none" if os.name == "nt" else "os"

#: The signature that starts every NTLM message.
_NTLM_SIGNATURE = b"NTLMSSP\x00"

#: The C{LM_COMPAT_LEVEL} pyspnego's NTLM acceptor runs with: 5, NTLMv2
#: only (pyspnego's default, 3, accepts LM and NTLMv1 answers).
LM_COMPAT_LEVEL = "5"

#: An NTLMv1 or LM response is 24 bytes; an NTLMv2 response is longer.
_NTLMV1_RESPONSE_LENGTH = 24


# -- names -----------------------------------------------------------------------


def splitQualifiedName(name: str) -> Tuple[Optional[str], str]:
    """
    Split a Windows principal or group name into its domain and its name:
    C{DOMAIN\\\\name} and C{name@DOMAIN} give C{("DOMAIN", "name")},
    C{.\\\\name} gives C{(".", "name")}, a bare name C{(None, "name")}.
    """
    domain, backslash, rest = name.partition("\\")
    if backslash:
        return domain, rest
    user, at, realm = name.rpartition("@")
    if at and user and realm:
        return realm, user
    return None, name


class NameMatcher:
    """
    Whether two Windows names (users or groups) are the same, as Windows
    compares them: case-insensitively, the domains as well as the names.

    A name without a domain (C{Rafal}), C{.\\\\Rafal}, C{BUILTIN\\\\x} and a
    name in one of the server's I{local domains} all belong to the local
    domain, so they match one another: a bare name in an authentication
    string matches a principal with no domain or with a local one, as the
    manual says a user of the server's own domain needs no domain name.
    The local domains are C{.}, C{BUILTIN}, the host name (its first label
    too) and the names of C{authentication_windows_default_domain}. Names
    of other domains match only with the same domain (C{MyDomain\\\\user});
    C{user@REALM} is read as C{REALM\\\\user}.

    The principal compared is the acceptor's spelling of it (see
    L{GuardedAcceptor}): ignoring case here is Windows' rule for names,
    not the client's choice of a spelling.
    """

    def __init__(self, defaultDomains: Iterable[str] = (), hostName: Optional[str] = None) -> None:
        host = hostName if hostName is not None else socket.gethostname()
        local = {"", ".", "builtin", host.casefold(), host.partition(".")[0].casefold()}
        local.update(d.strip().casefold() for d in defaultDomains if d.strip())
        self.localDomains = frozenset(local)

    def isLocal(self, domain: Optional[str]) -> bool:
        """
        @return: whether C{domain} (L{None} for none) is a local domain.
        """
        return domain is None or domain.casefold() in self.localDomains

    def same(self, one: str, other: str) -> bool:
        """
        @return: whether the names C{one} and C{other} name the same user or
            group.
        """
        domainA, nameA = splitQualifiedName(one)
        domainB, nameB = splitQualifiedName(other)
        if nameA.casefold() != nameB.casefold():
            return False
        if domainA is not None and domainB is not None and domainA.casefold() == domainB.casefold():
            return True
        return self.isLocal(domainA) and self.isLocal(domainB)

    def userMapping(self, mappings: Sequence[Mapping], principal: str) -> Optional[Mapping]:
        """
        @return: the first mapping that names C{principal} itself.
        """
        for mapping in mappings:
            if self.same(mapping.name, principal):
                return mapping
        return None

    def groupMapping(self, mappings: Sequence[Mapping], groups: Iterable[str]) -> Optional[Mapping]:
        """
        @return: the first mapping, in the string's order, that names one of
            C{groups}.
        """
        groups = list(groups)
        for mapping in mappings:
            if any(self.same(mapping.name, group) for group in groups):
                return mapping
        return None


# -- group membership ----------------------------------------------------------------


class IWindowsGroupResolver(Interface):
    """
    Where the groups of an authenticated principal come from.
    """

    def groupsOf(principal):
        """
        @param principal: the authenticated name (C{DOMAIN\\\\user},
            C{user@REALM} or C{user}).
        @return: the names of its groups (a list, or a L{Deferred} firing
            with one); names may carry a domain (C{MyDomain\\\\Developers}).
            A resolver that does blocking work runs it off the reactor
            thread.
        """


@implementer(IWindowsGroupResolver)
class NoGroupResolver:
    """
    No group membership: only user names in an authentication string match.
    """

    def groupsOf(self, principal: str) -> List[str]:
        return []


@implementer(IWindowsGroupResolver)
class OSGroupResolver:
    """
    The groups of the OS user that the principal is, from the OS group
    database (C{getpwnam} and C{getgrouplist}: C{/etc/group}, LDAP or
    winbind/sssd through NSS), looked up in a thread.

    The OS user is, for a principal of a local domain (see
    L{NameMatcher}), its bare name; for another domain C{D\\\\user}
    (winbind's form), then C{user@D} (sssd's); the first that exists is
    used. Names are looked up exactly as the principal spells them, which
    is the acceptor's spelling (the NTLM user file's, the KDC's), never
    the client's: Unix names are case-sensitive, and a client choosing
    C{rafal} rather than C{Rafal} must not get the groups of another OS
    user (NSS modules such as winbind may ignore case themselves). An
    unknown user has no groups. POSIX only.
    """

    def __init__(
        self,
        matcher: NameMatcher,
        runInThread: Callable[..., Any],
        getpwnam: Optional[Callable[[str], Any]] = None,
        getgrouplist: Optional[Callable[[str, int], List[int]]] = None,
        getgrgid: Optional[Callable[[int], Any]] = None,
    ) -> None:
        self.matcher = matcher
        self._runInThread = runInThread
        self._getpwnam = getpwnam
        self._getgrouplist = getgrouplist
        self._getgrgid = getgrgid

    def candidates(self, principal: str) -> List[str]:
        """
        @return: the OS user names tried for C{principal}, in order.
        """
        domain, name = splitQualifiedName(principal)
        if self.matcher.isLocal(domain):
            return [name]
        return [f"{domain}\\{name}", f"{name}@{domain}"]

    def groupsOf(self, principal: str) -> defer.Deferred:
        return self._runInThread(self.lookUp, principal)

    def lookUp(self, principal: str) -> List[str]:
        """
        The blocking lookup (run in a thread by L{groupsOf}).
        """
        getpwnam, getgrouplist, getgrgid = self._getpwnam, self._getgrouplist, self._getgrgid
        if getpwnam is None or getgrouplist is None or getgrgid is None:
            import grp
            import pwd

            getpwnam = getpwnam or pwd.getpwnam
            getgrouplist = getgrouplist or os.getgrouplist
            getgrgid = getgrgid or grp.getgrgid
        for candidate in self.candidates(principal):
            try:
                entry = getpwnam(candidate)
            except (KeyError, UnicodeError, ValueError):
                continue
            names: List[str] = []
            for gid in getgrouplist(entry.pw_name, entry.pw_gid):
                try:
                    name = getgrgid(gid).gr_name
                except KeyError:
                    continue
                if name not in names:
                    names.append(name)
            return names
        return []


class GroupFileError(ValueError):
    """
    A group mapping file that cannot be read.
    """


def parseGroupFile(text: str) -> List[Tuple[str, List[str]]]:
    """
    Read a group mapping file: one C{principal: group, group, ...} per line;
    blank lines and lines starting with C{#} are ignored; names are trimmed
    (a group name may contain spaces: C{Power Users}).

    @return: (principal, groups) pairs in file order.
    @raise GroupFileError: a line without a C{:} or with no principal.
    """
    entries: List[Tuple[str, List[str]]] = []
    for number, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        principal, colon, rest = stripped.partition(":")
        principal = principal.strip()
        if not colon or not principal:
            raise GroupFileError(f"line {number}: expected 'principal: group, group, ...'")
        groups = [g.strip() for g in rest.split(",") if g.strip()]
        entries.append((principal, groups))
    return entries


@implementer(IWindowsGroupResolver)
class FileGroupResolver:
    """
    Groups listed in a mapping file (see L{parseGroupFile}), read in a
    thread at each lookup, so edits apply to the next login. A principal
    matches a line as names match in authentication strings (see
    L{NameMatcher}); every matching line adds its groups.
    """

    def __init__(self, path: str, matcher: NameMatcher, runInThread: Callable[..., Any]) -> None:
        self.path = path
        self.matcher = matcher
        self._runInThread = runInThread

    def groupsOf(self, principal: str) -> defer.Deferred:
        return self._runInThread(self.lookUp, principal)

    def lookUp(self, principal: str) -> List[str]:
        """
        The blocking lookup (run in a thread by L{groupsOf}).
        """
        with open(self.path, encoding="utf-8") as f:
            entries = parseGroupFile(f.read())
        names: List[str] = []
        for name, groups in entries:
            if self.matcher.same(name, principal):
                names.extend(g for g in groups if g not in names)
        return names


@implementer(IWindowsGroupResolver)
class CombinedGroupResolver:
    """
    The groups every resolver finds, in order.
    """

    def __init__(self, resolvers: Sequence[Any]) -> None:
        self.resolvers = list(resolvers)

    @defer.inlineCallbacks
    def groupsOf(self, principal: str):
        names: List[str] = []
        for resolver in self.resolvers:
            found = yield defer.maybeDeferred(resolver.groupsOf, principal)
            names.extend(g for g in found if g not in names)
        return names


# -- the security context ----------------------------------------------------------


class RefusedToken(Exception):
    """
    A client token refused before pyspnego's acceptor sees it (see
    L{GuardedAcceptor}).
    """


class WeakNTLMResponse(RefusedToken):
    """
    An NTLM AUTHENTICATE message with an LM or NTLMv1 response (only NTLMv2
    is accepted).
    """


@attr.s(frozen=True, slots=True, auto_attribs=True)
class ClientToken:
    """
    A client token as L{parseClientToken} read it.

    @ivar kind: C{"init"} (SPNEGO's NegTokenInit), C{"resp"} (NegTokenResp)
        or C{"raw"} (a mechanism's own token, not in SPNEGO).
    @ivar mechToken: the token for the mechanism (NegTokenInit's
        mechToken, NegTokenResp's responseToken, or the raw token), or
        L{None}.
    @ivar negState: NegTokenResp's negState, or L{None}.
    @ivar mechListMIC: the SPNEGO mechListMIC, or L{None}.
    @ivar mechTypes: NegTokenInit's mechanism OIDs (dotted), or C{()}.
    """

    kind: str
    mechToken: Optional[bytes] = None
    negState: Optional[int] = None
    mechListMIC: Optional[bytes] = None
    mechTypes: Tuple[str, ...] = ()

    @property
    def spnego(self) -> bool:
        return self.kind != "raw"


def _readTLV(data: bytes, at: int, end: int) -> Tuple[int, bool, int, int, int]:
    """
    Read one ASN.1 value with a definite length from C{data[at:end]}.

    @return: its class (0 universal, 1 application, 2 context-specific),
        whether it is constructed, its tag number, and where its contents
        start and end.
    @raise RefusedToken: a high tag number, an indefinite or overlong
        length, or contents past C{end}.
    """
    if at + 2 > end:
        raise RefusedToken("truncated SPNEGO token")
    first, length = data[at], data[at + 1]
    if first & 0x1F == 0x1F:
        raise RefusedToken("unexpected ASN.1 tag in SPNEGO token")
    at += 2
    if length & 0x80:
        count = length & 0x7F
        if not 1 <= count <= 4 or at + count > end:
            raise RefusedToken("bad ASN.1 length in SPNEGO token")
        length = int.from_bytes(data[at : at + count], "big")
        at += count
    if at + length > end:
        raise RefusedToken("truncated SPNEGO token")
    return first >> 6, bool(first & 0x20), first & 0x1F, at, at + length


#: ASN.1 classes and universal tags of SPNEGO's structures (RFC 4178).
_UNIVERSAL, _APPLICATION, _CONTEXT = 0, 1, 2
_BIT_STRING, _OCTET_STRING, _OID, _ENUMERATED, _SEQUENCE = 3, 4, 6, 10, 16

#: The DER contents of SPNEGO's OID, 1.3.6.1.5.5.2.
_SPNEGO_OID = b"\x2b\x06\x01\x05\x05\x02"

#: The fields a client may send, by tag: (universal type, name). A client
#: never sends NegTokenResp's supportedMech ([1], the target's first reply
#: only) nor NegTokenInit2's negHints ([3] as a SEQUENCE) and mechListMIC
#: at [4] (NegTokenInit2 is the target's).
_NEG_TOKEN_INIT_FIELDS = {
    0: (_SEQUENCE, "mechTypes"),
    1: (_BIT_STRING, "reqFlags"),
    2: (_OCTET_STRING, "mechToken"),
    3: (_OCTET_STRING, "mechListMIC"),
}
_NEG_TOKEN_RESP_FIELDS = {
    0: (_ENUMERATED, "negState"),
    2: (_OCTET_STRING, "responseToken"),
    3: (_OCTET_STRING, "mechListMIC"),
}

#: NegTokenResp's negState values.
ACCEPT_COMPLETED, ACCEPT_INCOMPLETE, REJECT, REQUEST_MIC = range(4)


def _whole(data: bytes, start: int, end: int, kind: Tuple[int, bool, int], what: str) -> Tuple[int, int]:
    """
    The contents of the one value of type C{kind} (class, constructed, tag)
    that fills C{data[start:end]}.
    """
    tagClass, constructed, number, begin, stop = _readTLV(data, start, end)
    if (tagClass, constructed, number) != kind or stop != end:
        raise RefusedToken(f"malformed {what} in SPNEGO token")
    return begin, stop


def _taggedFields(
    data: bytes, start: int, end: int, allowed: Dict[int, Tuple[int, str]], what: str
) -> Dict[int, bytes]:
    """
    The fields of a SEQUENCE of explicitly tagged fields filling
    C{data[start:end]}: each tag allowed, once, in increasing order, each
    holding exactly one value of its universal type.

    @return: the fields' contents by tag.
    """
    begin, stop = _whole(data, start, end, (_UNIVERSAL, True, _SEQUENCE), what)
    fields: Dict[int, bytes] = {}
    at = begin
    while at < stop:
        tagClass, constructed, number, inner, after = _readTLV(data, at, stop)
        if tagClass != _CONTEXT or not constructed or number not in allowed:
            raise RefusedToken(f"unexpected field in {what}")
        if fields and number <= max(fields):
            raise RefusedToken(f"repeated or misordered field in {what}")
        universal, name = allowed[number]
        valueStart, valueEnd = _whole(
            data, inner, after, (_UNIVERSAL, universal == _SEQUENCE, universal), f"{name} of {what}"
        )
        fields[number] = data[valueStart:valueEnd]
        at = after
    return fields


def _negTokenInit(data: bytes, start: int, end: int) -> ClientToken:
    from spnego._asn1 import unpack_asn1_object_identifier

    fields = _taggedFields(data, start, end, _NEG_TOKEN_INIT_FIELDS, "NegTokenInit")
    if 0 not in fields:
        raise RefusedToken("NegTokenInit without mechTypes")
    oids: List[str] = []
    listed, at = fields[0], 0
    while at < len(listed):
        tagClass, constructed, number, begin, stop = _readTLV(listed, at, len(listed))
        if (tagClass, constructed, number) != (_UNIVERSAL, False, _OID) or begin == stop:
            raise RefusedToken("malformed mechTypes in NegTokenInit")
        try:
            oids.append(unpack_asn1_object_identifier(listed[begin:stop]))
        except (ValueError, IndexError, struct.error):
            raise RefusedToken("malformed mechTypes in NegTokenInit") from None
        at = stop
    if not oids:
        raise RefusedToken("NegTokenInit without mechTypes")
    return ClientToken("init", fields.get(2), None, fields.get(3), tuple(oids))


def _negTokenResp(data: bytes, start: int, end: int) -> ClientToken:
    fields = _taggedFields(data, start, end, _NEG_TOKEN_RESP_FIELDS, "NegTokenResp")
    negState = None
    if 0 in fields:
        if len(fields[0]) != 1:
            raise RefusedToken("malformed negState in NegTokenResp")
        negState = fields[0][0]
    return ClientToken("resp", fields.get(2), negState, fields.get(3))


def parseClientToken(token: bytes) -> ClientToken:
    """
    Read a client token strictly, and check that pyspnego reads the same.

    The token is an NTLM message (raw NTLM), a GSS-API initial context
    token holding SPNEGO's NegTokenInit or another mechanism's token (raw
    Kerberos), or a NegTokenResp. The SPNEGO structures must be DER-like:
    definite lengths, nothing after a value, only the fields a client sends
    (see L{_NEG_TOKEN_INIT_FIELDS}), each once and in order, and of their
    type. pyspnego's own parser (C{spnego._spnego.unpack_token}) keeps the
    last of repeated fields, ignores unknown ones and what follows a value;
    so that a check here applies to what pyspnego then processes, it must
    also read the same mechanism token, negState and mechListMIC.

    @raise RefusedToken: anything else.
    """
    if token.startswith(_NTLM_SIGNATURE):
        parsed = ClientToken("raw", token)
    else:
        tagClass, constructed, number, begin, end = _readTLV(token, 0, len(token))
        if end != len(token):
            raise RefusedToken("bytes after the SPNEGO token")
        if (tagClass, constructed, number) == (_APPLICATION, True, 0):
            oidClass, oidConstructed, oidNumber, oidStart, oidEnd = _readTLV(token, begin, end)
            if (oidClass, oidConstructed, oidNumber) != (_UNIVERSAL, False, _OID):
                raise RefusedToken("malformed GSS-API token")
            if token[oidStart:oidEnd] == _SPNEGO_OID:
                inner, innerEnd = _whole(token, oidEnd, end, (_CONTEXT, True, 0), "NegTokenInit")
                parsed = _negTokenInit(token, inner, innerEnd)
            else:
                # Another mechanism's token (Kerberos's AP-REQ): the
                # mechanism reads it.
                parsed = ClientToken("raw", token)
        elif (tagClass, constructed, number) == (_CONTEXT, True, 1):
            parsed = _negTokenResp(token, begin, end)
        else:
            raise RefusedToken("neither SPNEGO, NTLM nor a GSS-API token")
    _sameForPyspnego(token, parsed)
    return parsed


def _sameForPyspnego(token: bytes, parsed: ClientToken) -> None:
    """
    @raise RefusedToken: pyspnego reads C{token} otherwise than C{parsed}.
    """
    from spnego._spnego import NegTokenInit, NegTokenResp, unpack_token

    try:
        seen = unpack_token(token)
    except Exception:
        raise RefusedToken("pyspnego cannot read the token") from None
    if parsed.kind == "raw":
        same = seen == token
    elif parsed.kind == "init":
        same = (
            isinstance(seen, NegTokenInit)
            and tuple(seen.mech_types) == parsed.mechTypes
            and seen.mech_token == parsed.mechToken
            and seen.mech_list_mic == parsed.mechListMIC
        )
    else:
        same = (
            isinstance(seen, NegTokenResp)
            and seen.supported_mech is None
            and seen.response_token == parsed.mechToken
            and seen.mech_list_mic == parsed.mechListMIC
            and (None if seen.neg_state is None else int(seen.neg_state)) == parsed.negState
        )
    if not same:
        raise RefusedToken("pyspnego reads the token otherwise")


def checkNTLMAuthenticate(token: bytes) -> Any:
    """
    Check an NTLM AUTHENTICATE message as pyspnego's acceptor will read it
    (C{spnego._ntlm_raw.messages.Authenticate}): its fields inside the
    message, a user name (pyspnego has no anonymous NTLM), and an NTLMv2
    response: an NT response longer than 24 bytes. An LM response (with an
    empty NT response: LM alone, or with extended session security, which
    pyspnego checks as a value anyone can compute), or an NTLMv1 response
    is refused, whatever C{LM_COMPAT_LEVEL} says.

    @return: the message's domain (or L{None}) and user name, as pyspnego
        reads them.
    @raise WeakNTLMResponse: LM or NTLMv1.
    @raise RefusedToken: malformed, or anonymous.
    """
    from spnego._ntlm_raw.messages import Authenticate

    if len(token) < 64 or not token.startswith(_NTLM_SIGNATURE):
        raise RefusedToken("malformed NTLM AUTHENTICATE message")
    for field in (12, 20, 28, 36, 44, 52):
        length = int.from_bytes(token[field : field + 2], "little")
        offset = int.from_bytes(token[field + 4 : field + 8], "little")
        if length and offset + length > len(token):
            raise RefusedToken("malformed NTLM AUTHENTICATE message")
    try:
        message = Authenticate.unpack(token)
        ntResponse = message.nt_challenge_response or b""
        user, domain = message.user_name, message.domain_name
    except (ValueError, UnicodeError, struct.error):
        raise RefusedToken("malformed NTLM AUTHENTICATE message") from None
    if len(ntResponse) <= _NTLMV1_RESPONSE_LENGTH:
        raise WeakNTLMResponse("LM and NTLMv1 responses are refused: NTLMv2 only")
    if not user:
        raise RefusedToken("anonymous NTLM is refused")
    if "\\" in user:
        # No Windows name has one; the domain has its own field. pyspnego
        # would split D\u (X\ into an empty user, whom it reads as the
        # user file's first line) where NTLMv2 hashes the whole field.
        raise RefusedToken("a \\ in the NTLM user name is refused")
    return domain, user


def ntlmTargetName(token: bytes) -> Optional[str]:
    """
    The target the client meant its NTLM AUTHENTICATE for: the
    C{MsvAvTargetName} of its NTLMv2 response's C{AV_PAIR}s (the SPN the
    client gave its security context: pyspnego's initiator sends
    C{service/host}, or an empty name without one; Windows' SSPI the
    target name it was given: libmysqlclient's is the server's principal
    name from the AuthSwitchRequest).

    pyspnego's initiator names C{host/unspecified} when it was given no
    target (its defaults), as this package's client does for a server that
    sends a UPN or no name: that is read as no target.

    @param token: an AUTHENTICATE that L{checkNTLMAuthenticate} accepted.
    @return: the name, or L{None} when the response names no target (an
        empty one, or pyspnego's C{host/unspecified}).
    @raise RefusedToken: the NTLMv2 response cannot be read.
    """
    from spnego._ntlm_raw.messages import Authenticate, AvId, NTClientChallengeV2

    try:
        ntResponse = Authenticate.unpack(token).nt_challenge_response or b""
        pairs = NTClientChallengeV2.unpack(ntResponse[16:]).av_pairs
        target = pairs.get(AvId.target_name)
    except (ValueError, UnicodeError, struct.error, IndexError):
        raise RefusedToken("malformed NTLMv2 response") from None
    if not target or str(target).casefold() == _UNSPECIFIED_TARGET:
        return None
    return str(target)


#: The target pyspnego's initiator names when given none.
_UNSPECIFIED_TARGET = "host/unspecified"


def _targetKey(name: str) -> str:
    """
    A target name as compared: case-insensitive, and an SPN
    (C{service/host}) without its C{@REALM} (pyspnego's initiator drops it).
    """
    name = name.casefold()
    if "/" in name:
        name = name.partition("@")[0]
    return name


def sameTarget(expected: str, sent: str) -> bool:
    """
    Whether the target name C{sent} in a client's NTLMv2 response names the
    server whose principal name is C{expected}.
    """
    return _targetKey(expected) == _targetKey(sent)


def _smbpasswdFlags(flags: str) -> Optional[str]:
    """
    Why the account flags of an smbpasswd line (such as C{[DU]}) refuse
    its account, or L{None}: C{D} (disabled) or no C{U} (not a normal
    user account: a machine or trust account, or flags that cannot be
    read). pyspnego ignores the flags.
    """
    flags = flags.strip()
    if not (flags.startswith("[") and flags.endswith("]")):
        return "its account flags cannot be read"
    if "D" in flags[1:-1]:
        return "the account is disabled"
    if "U" not in flags[1:-1]:
        return "it is not a normal user account"
    return None


def _hexHash(text: str) -> bool:
    """
    Whether pyspnego reads an smbpasswd hash field (C{base64.b16decode} of
    it in upper case) without an error.
    """
    import binascii

    try:
        base64.b16decode(text.upper())
    except (binascii.Error, ValueError):
        return False
    return True


def ntlmUserFileName(path: str, domain: Optional[str], user: str) -> Optional[str]:
    """
    The name of an NTLM user as the NTLM user file spells it: the line
    pyspnego's acceptor takes the hashes from (C{spnego._ntlm._get_credential}:
    the first Heimdal or smbpasswd line whose user and domain are the
    client's, compared with C{str.upper}).

    What pyspnego does not check is refused here: an empty user name (for
    which pyspnego takes the file's first line), an smbpasswd line whose
    flags mark its account disabled (C{D}) or not a normal user's (no
    C{U}), and a hash field that is not hex (C{XXXX...} or C{NO PASSWORD...}:
    pyspnego raises on it, for its own user and for every one after it).
    The first matching line decides, as for pyspnego: a later one is never
    used instead.

    @param domain: the AUTHENTICATE message's domain (or L{None}).
    @param user: its user name.
    @return: C{DOMAIN\\user} or C{user}, as in the file; L{None} when no
        line matches.
    @raise RefusedToken: refused, as above.
    """
    from spnego._context import split_username

    wantedDomain, wantedUser = split_username(f"{domain}\\{user}" if domain else user)
    wantedDomain, wantedUser = (wantedDomain or "").upper(), (wantedUser or "").upper()
    if not wantedUser:
        raise RefusedToken("an empty NTLM user name is refused")
    with open(path, mode="rb") as f:
        text = f.read().decode()
    for number, line in enumerate(text.splitlines(), 1):
        fields = line.split(":")
        if len(fields) == 3:
            lineDomain, lineUser = fields[0], fields[1]
        elif len(fields) == 6:
            lineDomain, lineUser = split_username(fields[0])
            if not (_hexHash(fields[2]) and _hexHash(fields[3])):
                raise RefusedToken(
                    f"line {number} of the NTLM user file has a hash that is not hex "
                    "(no password set?): pyspnego cannot read it or any line after it"
                )
        else:
            continue
        lineDomain, lineUser = lineDomain or "", lineUser or ""
        if not lineUser:
            continue
        if lineUser.upper() == wantedUser and lineDomain.upper() == wantedDomain:
            name = f"{lineDomain}\\{lineUser}" if lineDomain else lineUser
            if len(fields) == 6:
                why = _smbpasswdFlags(fields[4])
                if why is not None:
                    raise RefusedToken(f"{name} is refused: {why} (NTLM user file line {number})")
            return name
    return None


class GuardedAcceptor:
    """
    pyspnego's acceptor, behind checks of each client token
    (L{spnegoAcceptorContext} makes them).

    pyspnego's acceptor, as this server uses it, would take an NTLM
    AUTHENTICATE whose LM response needs no password, NTLMv1 and LM
    responses, a client's word that the exchange is complete (a
    NegTokenResp with negState accept-completed, which skips the
    mechListMIC), fields it ignores, and raw tokens in a SPNEGO exchange.
    Each token is therefore read first (L{parseClientToken}), and refused
    (L{RefusedToken}) unless:

     - the first token is a NegTokenInit or a raw NTLM or GSS-API token,
       and the later ones are NegTokenResps, or raw tokens of the same
       mechanism when the first was raw;
     - a NegTokenResp says accept-incomplete or nothing (a client's
       accept-completed only with a mechListMIC, which pyspnego then
       verifies: MIT's and pyspnego's initiators send it so, after the
       target's MIC), carries a token or a mechListMIC, and not a
       mechListMIC equal to its token (pyspnego ignores such a MIC);
     - NTLM goes NEGOTIATE then AUTHENTICATE, which L{checkNTLMAuthenticate}
       accepts and which, in SPNEGO, comes with the mechListMIC (pyspnego
       requires that MIC with NTLM; a client without it would never
       finish). Any mechanism token with NTLM's AUTHENTICATE type where
       NTLM reads it (bytes 8 to 11) is taken as one: pyspnego does not
       check NTLM's signature.

    Once complete, the principal of an NTLM login (pyspnego's own NTLM,
    not SSPI's) is the name of the NTLM user file's line (see
    L{ntlmUserFileName}), not the text the client sent: pyspnego compares
    names without regard to case and answers with the client's spelling.
    Kerberos's principal is the one the ticket names, as the KDC issued it.
    The user file's line is also looked up before pyspnego sees the
    AUTHENTICATE, so that what L{ntlmUserFileName} refuses (a disabled
    account, an unreadable hash, an empty user) is refused first.

    With C{expectedTarget} (the server's principal name, as sent in the
    AuthSwitchRequest), an NTLMv2 response that names another target
    (L{ntlmTargetName}, compared by L{sameTarget}) is refused: a login
    relayed from another service. One that names none is accepted: such a
    relay cannot be told without channel bindings.
    """

    def __init__(
        self, context: Any, ntlmNamesFromUserFile: bool = True, expectedTarget: Optional[str] = None
    ) -> None:
        self._context = context
        self._namesFromFile = ntlmNamesFromUserFile
        self.expectedTarget = expectedTarget
        self._tokens = 0
        self._spnego: Optional[bool] = None
        self._rawNTLM: Optional[bool] = None
        self._ntlm: Optional[str] = None
        self._ntlmUser: Optional[Tuple[Optional[str], str]] = None
        self._principal: Optional[str] = None

    @property
    def complete(self) -> bool:
        return bool(self._context.complete)

    @property
    def negotiated_protocol(self) -> Optional[str]:
        return getattr(self._context, "negotiated_protocol", None)

    @property
    def client_principal(self) -> Optional[str]:
        return self._principal

    def step(self, token: bytes) -> Optional[bytes]:
        self._tokens += 1
        parsed = parseClientToken(token)
        self._checkFraming(parsed)
        if parsed.mechToken:
            self._checkMechanismToken(parsed)
        output = self._context.step(token)
        if self._context.complete:
            self._principal = self._principalOnceComplete()
        return output

    def _checkFraming(self, parsed: ClientToken) -> None:
        first = self._tokens == 1
        if first:
            if parsed.kind == "resp":
                raise RefusedToken("the first token is a NegTokenResp")
            self._spnego = parsed.spnego
            if not parsed.spnego:
                self._rawNTLM = parsed.mechToken is not None and _isNTLMMessage(parsed.mechToken)
            return
        if parsed.kind == "init":
            raise RefusedToken("a NegTokenInit after the first token")
        if parsed.spnego != self._spnego:
            raise RefusedToken("raw and SPNEGO tokens mixed")
        if not parsed.spnego and _isNTLMMessage(parsed.mechToken or b"") != self._rawNTLM:
            raise RefusedToken("raw tokens of two mechanisms")
        if parsed.kind == "resp":
            if parsed.negState not in (None, ACCEPT_INCOMPLETE, ACCEPT_COMPLETED):
                raise RefusedToken("a client's negState must be accept-incomplete")
            if parsed.negState == ACCEPT_COMPLETED and not parsed.mechListMIC:
                raise RefusedToken("a client's accept-completed without a mechListMIC")
            if not parsed.mechToken and not parsed.mechListMIC:
                raise RefusedToken("an empty NegTokenResp")
            if parsed.mechToken and parsed.mechListMIC == parsed.mechToken:
                raise RefusedToken("a mechListMIC equal to the response token")

    def _checkMechanismToken(self, parsed: ClientToken) -> None:
        token = parsed.mechToken or b""
        if not _isNTLMMessage(token):
            return
        if not token.startswith(_NTLM_SIGNATURE):
            raise RefusedToken("an NTLM message without NTLM's signature")
        kind = int.from_bytes(token[8:12], "little")
        if kind == 1 and self._ntlm is None:
            self._ntlm = "negotiated"
        elif kind == 3 and self._ntlm == "negotiated":
            user = checkNTLMAuthenticate(token)
            if parsed.spnego and not parsed.mechListMIC:
                raise RefusedToken("NTLM AUTHENTICATE in SPNEGO without the mechListMIC")
            if self.expectedTarget:
                sent = ntlmTargetName(token)
                if sent is not None and not sameTarget(self.expectedTarget, sent):
                    raise RefusedToken(
                        f"the NTLM response is for {sent!r}, not this server "
                        f"({self.expectedTarget!r}): a relayed login?"
                    )
            if self._namesFromFile:
                from spnego._ntlm import _get_credential_file

                path = _get_credential_file()
                if path:
                    # Refuses what pyspnego would accept or fail on.
                    ntlmUserFileName(path, *user)
            self._ntlm = "authenticated"
            self._ntlmUser = user
        else:
            raise RefusedToken("NTLM messages out of order")

    def _principalOnceComplete(self) -> Optional[str]:
        if self._ntlmUser is None and (self._ntlm is not None or self.negotiated_protocol == "ntlm"):
            raise RefusedToken("complete without an NTLM AUTHENTICATE")
        if self._ntlmUser is None or not self._namesFromFile:
            return self._context.client_principal
        from spnego._ntlm import _get_credential_file

        path = _get_credential_file()
        name = ntlmUserFileName(path, *self._ntlmUser) if path else None
        if name is None:
            raise RefusedToken("the NTLM user is no longer in the NTLM user file")
        return name


def _isNTLMMessage(token: bytes) -> bool:
    """
    Whether pyspnego's NTLM would take C{token} as an AUTHENTICATE (its
    type, bytes 8 to 11, is 3), or it has NTLM's signature.
    """
    return token.startswith(_NTLM_SIGNATURE) or token[8:12] == b"\x03\x00\x00\x00"


def spnegoAcceptorContext(expectedTarget: Optional[str] = None) -> GuardedAcceptor:
    """
    A pyspnego acceptor for SPNEGO (or raw NTLM or Kerberos tokens) behind
    a L{GuardedAcceptor}: SSPI on Windows; elsewhere pyspnego's own SPNEGO
    with its NTLM (credentials from C{NTLM_USER_FILE}, NTLMv2 only:
    C{LM_COMPAT_LEVEL} 5, which L{WindowsAuthMethod.initialize} sets) and
    Kerberos through python-gssapi when it is installed (keys from the
    keytab, C{KRB5_KTNAME}).

    @param expectedTarget: the server's principal name, which an NTLMv2
        response that names a target must name (see L{GuardedAcceptor}).
    """
    import spnego

    options = spnego.NegotiateOptions.none
    if os.name != "nt":
        options = spnego.NegotiateOptions.use_negotiate
    context = spnego.server(protocol="negotiate", options=options)
    return GuardedAcceptor(
        context, ntlmNamesFromUserFile=os.name != "nt", expectedTarget=expectedTarget
    )


@attr.s(frozen=True, slots=True, auto_attribs=True)
class StepResult:
    """
    What one step of the acceptor gave.

    @ivar context: the security context (made by the first step).
    @ivar output: the token for the client, or L{None}.
    @ivar complete: whether the context is established.
    @ivar principal: the client's name once complete.
    @ivar protocol: the mechanism used (C{ntlm}, C{kerberos}) once complete.
    """

    context: Any
    output: Optional[bytes]
    complete: bool
    principal: Optional[str] = None
    protocol: Optional[str] = None


def acceptStep(contextFactory: Callable[[], Any], context: Any, token: bytes) -> StepResult:
    """
    Step an acceptor once with the client's C{token}, making it first if
    C{context} is L{None}. Blocking: run in a thread, and for one context
    never in two threads at once (the checker waits for each step).
    """
    if context is None:
        context = contextFactory()
    output = context.step(token)
    complete = bool(context.complete)
    if not complete:
        return StepResult(context, output, False)
    return StepResult(
        context,
        output,
        True,
        context.client_principal,
        getattr(context, "negotiated_protocol", None),
    )


class ThreadRunner:
    """
    Run blocking calls in a small dedicated thread pool, started on first
    use and stopped when the reactor shuts down (or by L{stop}).

    Stopping never waits on the reactor thread: a call stuck in a thread
    (a group lookup hanging in NSS, a KDC that does not answer) must not
    freeze the server. The pool is told to stop and joined in a thread of
    its own; the shutdown trigger waits for that without blocking.
    """

    def __init__(self, reactor: Any = None, size: int = 4) -> None:
        self._reactor = reactor
        self.size = size
        self._pool: Any = None
        self._trigger: Any = None

    def __call__(self, function: Callable[..., Any], *args: Any) -> defer.Deferred:
        from twisted.internet.threads import deferToThreadPool
        from twisted.python.threadpool import ThreadPool

        reactor = self._reactor
        if reactor is None:
            from twisted.internet import reactor  # type: ignore[no-redef]
        if self._pool is None:
            self._pool = ThreadPool(0, self.size, name=PLUGIN_NAME)
            self._pool.start()
            self._trigger = reactor.addSystemEventTrigger("during", "shutdown", self.stop)
        return deferToThreadPool(reactor, self._pool, function, *args)

    def stop(self) -> defer.Deferred:
        """
        Stop the pool (a new call starts another pool): it takes no new
        work, finishes what it was given, and its threads end. Returns at
        once.

        @return: a L{Deferred} that fires once the pool's threads have
            ended.
        """
        pool, self._pool = self._pool, None
        trigger, self._trigger = self._trigger, None
        reactor = self._reactor
        if reactor is None:
            from twisted.internet import reactor  # type: ignore[no-redef]
        if trigger is not None:
            try:
                reactor.removeSystemEventTrigger(trigger)
            except (ValueError, KeyError):
                pass
        if pool is None:
            return defer.succeed(None)
        stopped: defer.Deferred = defer.Deferred()

        def stopAndJoin() -> None:
            # ThreadPool.stop is safe from any thread: it joins its threads.
            try:
                pool.stop()
            finally:
                reactor.callFromThread(stopped.callback, None)

        threading.Thread(target=stopAndJoin, name=f"{PLUGIN_NAME}-stop", daemon=True).start()
        return stopped


# -- logging -------------------------------------------------------------------------


class WindowsLog:
    """
    The method's log, filtered by C{authentication_windows_log_level}: 0
    nothing, 1 errors, 2 and warnings (refusals), 3 and notes (successful
    logins), 4 and debug messages (each round's token sizes). Tokens,
    passwords and keys are never logged, at any level: only sizes, names
    and error classes.
    """

    def __init__(self, level: int = LOG_WARNINGS, logger: Optional[Logger] = None) -> None:
        self.level = level
        self.logger = logger if logger is not None else Logger(namespace=__name__)

    def error(self, text: str, **fields: Any) -> None:
        if self.level >= LOG_ERRORS:
            self.logger.error(text, **fields)

    def warning(self, text: str, **fields: Any) -> None:
        if self.level >= LOG_WARNINGS:
            self.logger.warn(text, **fields)

    def note(self, text: str, **fields: Any) -> None:
        if self.level >= LOG_NOTES:
            self.logger.info(text, **fields)

    def debug(self, text: str, **fields: Any) -> None:
        if self.level >= LOG_DEBUG:
            self.logger.debug(text, **fields)


def _describe(error: BaseException) -> str:
    # Exception texts of pyspnego name what failed, never the token; cut
    # them short anyway.
    text = str(error).replace("\n", " ")
    if len(text) > 200:
        text = text[:200] + "..."
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


class _SpnegoLogFilter:
    """
    Drops pyspnego's debug records of whole tokens (C{... step input: <base64>}).
    """

    def filter(self, record: Any) -> bool:
        message = str(getattr(record, "msg", ""))
        return "step input" not in message and "step output" not in message


def _silencePyspnegoTokens() -> None:
    """
    pyspnego logs every token at DEBUG through the standard library's
    logging; keep those records out of any log, once per process.
    """
    import logging

    for name in ("spnego._negotiate", "spnego._ntlm", "spnego._gss", "spnego._sspi", "spnego._credssp"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, _SpnegoLogFilter) for f in logger.filters):
            logger.addFilter(_SpnegoLogFilter())


# -- credentials and checker -----------------------------------------------------------


class IWindowsCredentials(IAccountCredentials):
    """
    The first token of an C{authentication_windows_client}, with the way to
    the client for the next ones.
    """

    firstToken = Attribute(
        "The client's first token, reassembled, bytes; L{None} once the "
        "checker has answered."
    )
    channel = Attribute(
        "The L{twisted_mysqlauth.interfaces.IAuthChannel} of the login: the "
        "checker sends the server's tokens and reads the client's through it; "
        "L{None} once the checker has answered."
    )
    method = Attribute("The L{WindowsAuthMethod} whose configuration applies.")
    clientHost = Attribute("Where the client connects from (text), for the log.")
    externalUser = Attribute("Set by the checker on success: the Windows principal.")
    finalToken = Attribute(
        "Set by the checker on success: the server's last token (sent before "
        "the OK), or L{None}; the exchange takes it."
    )
    rounds = Attribute("Set by the checker: the client tokens processed.")


@implementer(IWindowsCredentials)
class WindowsCredentials:
    """
    See L{IWindowsCredentials}.
    """

    def __init__(
        self,
        username: bytes,
        account: Account,
        firstToken: bytes,
        channel: Any,
        method: "WindowsAuthMethod",
        clientHost: str = "",
    ) -> None:
        self.username = username
        self.account = account
        self.firstToken: Optional[bytes] = firstToken
        self.channel: Any = channel
        self.method = method
        self.clientHost = clientHost
        self.externalUser: Optional[str] = None
        self.finalToken: Optional[bytes] = None
        self.rounds = 0

    def __repr__(self) -> str:
        return f"<WindowsCredentials for {self.account.name}>"


@implementer(ICredentialsChecker)
class WindowsChecker:
    """
    Authenticate a Windows principal with SPNEGO and map it to a MySQL user
    through the account's authentication string.

    The acceptor's steps (CPU work, and network work for Kerberos) run in
    the method's thread pool, one at a time for a login. A user mapping
    wins over a group mapping wherever they stand in the string; among
    each kind the leftmost wins; the groups are only looked up when no
    user mapping matched. No match, a failed context or more than 50
    rounds is a refusal (1045); an empty client packet is a handshake
    error (1043).
    """

    credentialInterfaces = (IWindowsCredentials,)

    def requestAvatarId(self, credentials: Any) -> defer.Deferred:
        return defer.ensureDeferred(self._checkAndForget(credentials))

    async def _checkAndForget(self, credentials: Any) -> bytes:
        """
        L{_check}, then, whatever the result, drop from C{credentials} the
        client's token and the way to the client: the protocol keeps the
        credentials as long as the connection, and the realm needs only
        C{externalUser} (and the exchange C{finalToken}, which it takes).
        """
        try:
            return await self._check(credentials)
        finally:
            credentials.firstToken = None
            credentials.channel = None

    async def _check(self, credentials: Any) -> bytes:
        method: WindowsAuthMethod = credentials.method
        log = method.log
        account = credentials.account
        user = credentials.username.decode("utf-8", "replace")
        who = f"'{user}'@'{credentials.clientHost}'"
        try:
            mappings = parseMappings(account.authString.decode("utf-8"))
        except (UnicodeDecodeError, MappingSyntaxError) as e:
            log.error(
                "authentication_windows: the authentication string of {account} is "
                "malformed ({error}); login refused",
                account=str(account.name),
                error=_describe(e),
            )
            raise UnauthorizedLogin("malformed authentication string") from None
        if not mappings:
            log.warning(
                "authentication_windows: {account} maps no Windows user or group; "
                "login of {who} refused",
                account=str(account.name),
                who=who,
            )
            raise UnauthorizedLogin("no mapping")
        result = await self._establish(credentials, who)
        principal = result.principal
        if not principal:
            log.error("authentication_windows: the security context named no client")
            raise UnauthorizedLogin("no principal")
        chosen = method.matcher.userMapping(mappings, principal)
        if chosen is None:
            try:
                groups = await defer.maybeDeferred(method.groupResolver.groupsOf, principal)
            except defer.CancelledError:
                raise
            except Exception as e:
                log.error(
                    "authentication_windows: the groups of {principal} could not be "
                    "read ({error})",
                    principal=principal,
                    error=_describe(e),
                )
                raise UnauthorizedLogin("group lookup failed") from None
            log.debug(
                "authentication_windows: {principal} is in the groups {groups}",
                principal=principal,
                groups=", ".join(groups) or "(none)",
            )
            chosen = method.matcher.groupMapping(mappings, groups)
        if chosen is None:
            log.warning(
                "authentication_windows: {principal} ({who}) matches no user or group "
                "of {account}; login refused",
                principal=principal,
                who=who,
                account=str(account.name),
            )
            raise UnauthorizedLogin("no mapping matches")
        target = chosen.target if chosen.target is not None else account.user
        credentials.externalUser = principal
        credentials.finalToken = result.output or None
        log.note(
            "authentication_windows: {principal} ({who}) authenticated by {protocol} "
            "in {rounds} rounds, as '{target}' through the mapping '{mapping}'",
            principal=principal,
            who=who,
            protocol=result.protocol or "SPNEGO",
            rounds=credentials.rounds,
            target=target,
            mapping=chosen.name,
        )
        return target.encode("utf-8")

    async def _establish(self, credentials: Any, who: str) -> StepResult:
        """
        Run the security context to completion.
        """
        method: WindowsAuthMethod = credentials.method
        log = method.log
        token = credentials.firstToken
        context = None
        while True:
            credentials.rounds += 1
            if credentials.rounds > MAX_ROUNDS:
                log.warning(
                    "authentication_windows: no result for {who} after {rounds} rounds; "
                    "login refused",
                    who=who,
                    rounds=MAX_ROUNDS,
                )
                raise UnauthorizedLogin("too many rounds")
            try:
                result = await method.runInThread(
                    acceptStep, method.newAcceptor, context, token
                )
            except defer.CancelledError:
                # The client left or the login timed out.
                raise
            except Exception as e:
                # A bad token or a wrong password (pyspnego's SpnegoError), a
                # weak NTLM response, or the acceptor cannot work: all refuse.
                report = log.warning if _isClientFailure(e) else log.error
                report(
                    "authentication_windows: authentication of {who} failed in round "
                    "{round}: {error}",
                    who=who,
                    round=credentials.rounds,
                    error=_describe(e),
                )
                raise UnauthorizedLogin("security context failed") from None
            context = result.context
            log.debug(
                "authentication_windows: round {round} for {who}: {inSize} bytes in, "
                "{outSize} bytes out{done}",
                round=credentials.rounds,
                who=who,
                inSize=len(token),
                outSize=len(result.output or b""),
                done=", complete" if result.complete else "",
            )
            if result.complete:
                return result
            if not result.output:
                log.warning(
                    "authentication_windows: the exchange with {who} stalled (no token "
                    "to send, not complete); login refused",
                    who=who,
                )
                raise UnauthorizedLogin("stalled")
            credentials.channel.sendAuthData(result.output)
            token = await credentials.channel.receiveAuthData()
            if not token:
                raise MalformedResponse("empty token from the client", handshakeError=True)


def _isClientFailure(error: BaseException) -> bool:
    """
    Whether a failed step is the client's doing (a bad token, wrong
    credentials) rather than the server's (pyspnego missing, no keytab).
    """
    if isinstance(error, RefusedToken):
        return True
    try:
        from spnego.exceptions import SpnegoError
    except ImportError:
        return False
    return isinstance(error, SpnegoError)


# -- the exchange ----------------------------------------------------------------------


def isWholeDERToken(packet: bytes) -> bool:
    """
    Whether a 255-byte first packet is a whole token: a GSS-API token
    (C{0x60}, DER length) exactly that long whose last byte is not C{1}.
    libmysqlclient ends the first half of a split token with the number of
    512-byte blocks, which is 1 for the one token length (255) where the
    halves could look whole; Connector/NET never splits, and its 255-byte
    tokens are whole.
    """
    if len(packet) < 2 or packet[0] != 0x60 or packet[-1] == 1:
        return False
    first = packet[1]
    if first < 0x80:
        length, header = first, 2
    elif first == 0x81 and len(packet) > 2:
        length, header = packet[2], 3
    elif first == 0x82 and len(packet) > 3:
        length, header = int.from_bytes(packet[2:4], "big"), 4
    else:
        return False
    return header + length == len(packet)


@implementer(IAuthExchange)
class WindowsExchange:
    """
    One login with C{authentication_windows}: the switch with the server's
    principal name, the client's first token (one packet, or the two
    halves of libmysqlclient's split), then the checker's conversation.
    """

    clientPluginName = CLIENT_PLUGIN_NAME

    def __init__(self, method: "WindowsAuthMethod", attempt: LoginAttempt) -> None:
        self.method = method
        self.attempt = attempt
        self.credentials: Optional[WindowsCredentials] = None
        self._firstHalf: Optional[bytes] = None

    def initialData(self) -> bytes:
        return self.method.principalNameData()

    def responseReceived(self, data: bytes) -> Any:
        if self.credentials is not None:
            raise MalformedResponse("a packet after the first token", handshakeError=True)
        if self._firstHalf is None:
            if not data:
                raise MalformedResponse("empty first token", handshakeError=True)
            if len(data) == SPLIT_PACKET_SIZE and not isWholeDERToken(data):
                self._firstHalf = data
                return ReadMore()
            return self._tryLogin(data)
        first, self._firstHalf = self._firstHalf, None
        token = first[:FIRST_PACKET_LIMIT] + data
        blocks = -(-len(token) // SPLIT_BLOCK_SIZE)
        if not data or first[FIRST_PACKET_LIMIT] != blocks:
            raise MalformedResponse("the split first token is inconsistent", handshakeError=True)
        return self._tryLogin(token)

    def _tryLogin(self, token: bytes) -> TryLogin:
        attempt = self.attempt
        assert attempt.account is not None
        self.credentials = WindowsCredentials(
            attempt.usernameBytes,
            attempt.account,
            token,
            attempt.channel,
            self.method,
            attempt.client.displayHost,
        )
        return TryLogin(self.credentials)

    def loginFailed(self, reason: Any) -> Any:
        if self.credentials is not None:
            self.credentials.finalToken = None
        return reason

    def loginSucceeded(self) -> Optional[bytes]:
        # The acceptor's last token (SPNEGO's accept-completed, Kerberos's
        # AP-REP) goes as AuthMoreData before the OK: the client's context
        # needs it to complete, and both libmysqlclient and Connector/NET
        # read it without answering. Taken, not kept: the credentials live
        # as long as the connection.
        credentials = self.credentials
        if credentials is None:
            return None
        token, credentials.finalToken = credentials.finalToken, None
        return token


# -- the method ---------------------------------------------------------------------


#: C{authentication_windows_log_level}: 0 to 4.
parseLogLevel = numberFrom(LOG_NOTHING, LOG_DEBUG)

#: C{authentication_windows_threads}: 1 to 64.
parseThreads = numberFrom(1, 64)


def parseGroupSource(text: str) -> str:
    """
    C{authentication_windows_group_source}: C{os}, C{file}, C{os,file} or
    C{none}; normalised to lower case without spaces.
    """
    names = [n.strip().lower() for n in text.split(",") if n.strip()]
    if names == ["none"]:
        return "none"
    unknown = [n for n in names if n not in GROUP_SOURCES]
    if not names or unknown or len(set(names)) != len(names):
        raise ValueError(f"must be os, file, os,file or none, not {text!r}")
    return ",".join(names)


def parseDomainList(text: str) -> str:
    """
    C{authentication_windows_default_domain}: domain names, comma-separated.
    """
    names = [n.strip() for n in text.split(",") if n.strip()]
    for name in names:
        if any(c in name for c in "\\@ "):
            raise ValueError(f"{name!r} is not a domain name")
    return ",".join(names)


def _processPrincipalName() -> Optional[str]:
    """
    The UPN of the account this process runs as, on Windows (what MySQL
    sends); L{None} elsewhere or when it has none.
    """
    if os.name != "nt":
        return None
    try:
        import ctypes

        size = ctypes.c_ulong(1024)
        buffer = ctypes.create_unicode_buffer(size.value)
        secur32 = ctypes.windll.secur32  # type: ignore[attr-defined]
        # 8: NameUserPrincipal.
        if not secur32.GetUserNameExW(8, buffer, ctypes.byref(size)):
            return None
        return buffer.value or None
    except Exception:
        return None


def _checkReadableFile(path: str, what: str, log: WindowsLog) -> str:
    path = os.path.abspath(path)
    if not os.path.isfile(path) or not os.access(path, os.R_OK):
        raise ValueError(f"{what} {path!r} is not a readable file")
    mode = os.stat(path).st_mode
    if mode & (stat.S_IRWXG | stat.S_IRWXO) and what.startswith("NTLM"):
        log.warning(
            "authentication_windows: {what} {path} can be read by other users; "
            "make it mode 0600",
            what=what,
            path=path,
        )
    return path


@implementer(IAuthMethod, IPlugin)
class WindowsAuthMethod:
    """
    The server side of C{authentication_windows}.

    Configured by its system variables (C{initialize(settings)}: from the
    my.cnf and C{twistd mysqlauth --set-variable}), or, embedded, by its
    constructor's arguments (then C{initialize(None)} only checks them).

    @ivar log: the L{WindowsLog}.
    @ivar matcher: the L{NameMatcher}.
    @ivar groupResolver: the L{IWindowsGroupResolver}.
    @ivar contextFactory: makes the acceptor (L{spnegoAcceptorContext}).
    @ivar runInThread: C{(function, *args) -> Deferred}, where blocking
        work runs (a L{ThreadRunner}).
    @ivar variables: the system variables' current values, by name.
    """

    pluginName = PLUGIN_NAME
    clientPluginName = CLIENT_PLUGIN_NAME
    aliases = ("authentication_windows.dll", "authentication_windows.so")
    library = "authentication_windows.dll"
    requiresSecureTransport = False
    passwordUsed = True
    canGreet = False
    description = "Windows authentication (SPNEGO: Kerberos or NTLM, through pyspnego)"

    systemVariables = {
        "authentication_windows_log_level": SystemVariable(
            "2", parseLogLevel, "0 nothing, 1 errors, 2 and warnings, 3 and notes, 4 and debug"
        ),
        "authentication_windows_use_principal_name": SystemVariable(
            "ON", parseSwitch, "send the server's principal name to the client (OFF: none)"
        ),
        "authentication_windows_principal_name": SystemVariable(
            "", str.strip, "the principal name sent (empty: the process's UPN on Windows)"
        ),
        "authentication_windows_ntlm_user_file": SystemVariable(
            "", str.strip, "pyspnego's NTLM credential file (empty: $NTLM_USER_FILE)"
        ),
        "authentication_windows_keytab": SystemVariable(
            "", str.strip, "the Kerberos keytab (empty: $KRB5_KTNAME or the default)"
        ),
        "authentication_windows_group_source": SystemVariable(
            DEFAULT_GROUP_SOURCE, parseGroupSource, "where groups come from: os, file, os,file or none"
        ),
        "authentication_windows_group_file": SystemVariable(
            "", str.strip, "the group mapping file (principal: group, group)"
        ),
        "authentication_windows_default_domain": SystemVariable(
            "", parseDomainList, "domains whose users match names without a domain"
        ),
        "authentication_windows_threads": SystemVariable(
            "4", parseThreads, "threads that run the security contexts"
        ),
    }

    def __init__(
        self,
        logLevel: int = LOG_WARNINGS,
        usePrincipalName: bool = True,
        principalName: Optional[str] = None,
        ntlmUserFile: Optional[str] = None,
        keytab: Optional[str] = None,
        groupSource: str = DEFAULT_GROUP_SOURCE,
        groupFile: Optional[str] = None,
        defaultDomains: Sequence[str] = (),
        threads: int = 4,
        groupResolver: Any = None,
        contextFactory: Optional[Callable[[], Any]] = None,
        runInThread: Optional[Callable[..., Any]] = None,
        reactor: Any = None,
        logger: Optional[Logger] = None,
    ) -> None:
        """
        @param groupResolver: an L{IWindowsGroupResolver} to use instead of
            the one C{groupSource} names.
        @param contextFactory: makes an acceptor (by default
            L{spnegoAcceptorContext}).
        @param runInThread: where blocking calls run (by default a
            L{ThreadRunner} of C{threads} threads on C{reactor}).
        """
        self._reactor = reactor
        self._customResolver = groupResolver
        self._customRunner = runInThread
        self._runner: Optional[ThreadRunner] = None
        self._processName: Optional[str] = None
        self.contextFactory = contextFactory or spnegoAcceptorContext
        self.log = WindowsLog(logLevel, logger)
        _silencePyspnegoTokens()
        self.variables: Dict[str, Any] = {
            "authentication_windows_log_level": logLevel,
            "authentication_windows_use_principal_name": usePrincipalName,
            "authentication_windows_principal_name": principalName or "",
            "authentication_windows_ntlm_user_file": ntlmUserFile or "",
            "authentication_windows_keytab": keytab or "",
            "authentication_windows_group_source": parseGroupSource(groupSource),
            "authentication_windows_group_file": groupFile or "",
            "authentication_windows_default_domain": parseDomainList(",".join(defaultDomains)),
            "authentication_windows_threads": threads,
        }
        self._configure()

    # -- configuration ---------------------------------------------------------------

    def _configure(self) -> None:
        values = self.variables
        self.log.level = values["authentication_windows_log_level"]
        domains = values["authentication_windows_default_domain"].split(",")
        self.matcher = NameMatcher([d for d in domains if d])
        if self._customRunner is not None:
            self.runInThread = self._customRunner
        else:
            if self._runner is not None:
                self._runner.stop()
            self._runner = ThreadRunner(self._reactor, values["authentication_windows_threads"])
            self.runInThread = self._runner
        if self._customResolver is not None:
            self.groupResolver = self._customResolver
        else:
            self.groupResolver = self._resolverFor(values["authentication_windows_group_source"])

    def _resolverFor(self, source: str) -> Any:
        resolvers: List[Any] = []
        for name in source.split(","):
            if name == "os":
                resolvers.append(OSGroupResolver(self.matcher, self.runInThread))
            elif name == "file":
                groupFile = self.variables["authentication_windows_group_file"]
                if not groupFile:
                    raise ValueError(
                        "authentication_windows_group_source names file but "
                        "authentication_windows_group_file is not set"
                    )
                resolvers.append(FileGroupResolver(groupFile, self.matcher, self.runInThread))
        if not resolvers:
            return NoGroupResolver()
        return resolvers[0] if len(resolvers) == 1 else CombinedGroupResolver(resolvers)

    def initialize(self, settings: Any) -> None:
        """
        Load: read the system variables from C{settings} (its
        C{pluginVariables}), or keep the constructor's configuration when
        C{settings} is L{None}; check that pyspnego is importable and the
        files exist; point pyspnego at the NTLM user file and the keytab.

        pyspnego reads its NTLM credentials only from the C{NTLM_USER_FILE}
        environment variable (and GSSAPI its keytab from C{KRB5_KTNAME}),
        and which NTLM answers its acceptor takes from C{LM_COMPAT_LEVEL},
        at every login: the environment is set here, once, on the reactor
        thread, before this method serves a login (C{LM_COMPAT_LEVEL} to
        5, NTLMv2 only, always; the two others when the variables name
        files); it is never changed per login.

        @raise ValueError: a bad value, a missing file or no pyspnego.
        """
        # Checked on a copy: a refused configuration changes nothing.
        values = dict(self.variables if settings is None else variableValues(self, settings))
        try:
            import spnego  # noqa: F401
        except ImportError:
            raise ValueError("authentication_windows needs pyspnego: pip install pyspnego") from None
        if values["authentication_windows_group_file"]:
            path = _checkReadableFile(
                values["authentication_windows_group_file"], "group file", self.log
            )
            values["authentication_windows_group_file"] = path
            with open(path, encoding="utf-8") as f:
                try:
                    parseGroupFile(f.read())
                except GroupFileError as e:
                    raise ValueError(f"group file {path}: {e}") from None
        if "os" in values["authentication_windows_group_source"].split(",") and os.name == "nt":
            raise ValueError(
                "authentication_windows_group_source=os needs the POSIX group "
                "database; use file on Windows"
            )
        if (
            "file" in values["authentication_windows_group_source"].split(",")
            and not values["authentication_windows_group_file"]
        ):
            raise ValueError(
                "authentication_windows_group_source names file but "
                "authentication_windows_group_file is not set"
            )
        # pyspnego's NTLM acceptor reads LM_COMPAT_LEVEL when a context is
        # made: 5 refuses LM and NTLMv1 answers (pyspnego's initiators
        # behave at 5 as at its default, 3).
        environment: Dict[str, str] = {"LM_COMPAT_LEVEL": LM_COMPAT_LEVEL}
        if values["authentication_windows_ntlm_user_file"]:
            path = _checkReadableFile(
                values["authentication_windows_ntlm_user_file"], "NTLM user file", self.log
            )
            values["authentication_windows_ntlm_user_file"] = path
            environment["NTLM_USER_FILE"] = path
        if values["authentication_windows_keytab"]:
            path = _checkReadableFile(values["authentication_windows_keytab"], "keytab", self.log)
            values["authentication_windows_keytab"] = path
            environment["KRB5_KTNAME"] = "FILE:" + path
        self.variables = values
        self._configure()
        # The process's UPN (Windows; it may ask a domain controller) is
        # looked up once here, not on the reactor thread at each login.
        self._processName = None
        if (
            values["authentication_windows_use_principal_name"]
            and not values["authentication_windows_principal_name"]
        ):
            self._processName = _processPrincipalName()
        previous = os.environ.get("LM_COMPAT_LEVEL")
        if previous not in (None, LM_COMPAT_LEVEL):
            self.log.warning(
                "authentication_windows: LM_COMPAT_LEVEL {previous} replaced by {wanted} "
                "(NTLMv2 only)",
                previous=previous,
                wanted=LM_COMPAT_LEVEL,
            )
        for name, value in environment.items():
            os.environ[name] = value
        if os.name != "nt" and not os.environ.get("NTLM_USER_FILE"):
            self.log.warning(
                "authentication_windows: no NTLM user file (authentication_windows_"
                "ntlm_user_file or NTLM_USER_FILE): NTLM logins will fail"
            )

    def stop(self) -> defer.Deferred:
        """
        Stop the method's threads (they start again when needed), without
        waiting for them.

        @return: a L{Deferred} that fires once they have ended.
        """
        if self._runner is not None:
            return self._runner.stop()
        return defer.succeed(None)

    def principalNameData(self) -> bytes:
        """
        The data of the AuthSwitchRequest: the principal name in UTF-8,
        without a terminating NUL (libmysqlclient takes the whole packet as
        the name), or a single 0 byte when none is sent. Without a name
        configured, the process's UPN (on Windows), as L{initialize} found
        it: none before.
        """
        values = self.variables
        if not values["authentication_windows_use_principal_name"]:
            return NO_PRINCIPAL_NAME
        name = values["authentication_windows_principal_name"] or self._processName
        if not name:
            return NO_PRINCIPAL_NAME
        return name.encode("utf-8")

    def expectedTargetName(self) -> Optional[str]:
        """
        The principal name sent in the AuthSwitchRequest (see
        L{principalNameData}), or L{None} when none is sent.
        """
        data = self.principalNameData()
        if data == NO_PRINCIPAL_NAME:
            return None
        return data.decode("utf-8")

    def newAcceptor(self) -> Any:
        """
        A new acceptor from L{contextFactory}, told the principal name the
        clients were sent (an acceptor with an C{expectedTarget}: see
        L{GuardedAcceptor}).
        """
        context = self.contextFactory()
        if isinstance(context, GuardedAcceptor):
            context.expectedTarget = self.expectedTargetName()
        return context

    # -- IAuthMethod -----------------------------------------------------------------------

    def credentialsCheckers(self) -> List[WindowsChecker]:
        """
        @return: the checker of L{IWindowsCredentials}.
        """
        return [WindowsChecker()]

    def newExchange(self, context: LoginAttempt) -> WindowsExchange:
        return WindowsExchange(self, context)

    def hashPassword(self, password: bytes) -> bytes:
        # No password is stored: IDENTIFIED WITH authentication_windows BY
        # 'x' stores the mapping list as given, like AS 'x'.
        return self.checkAuthString(password)

    def checkAuthString(self, authString: bytes) -> bytes:
        """
        Refuse a malformed mapping list at C{CREATE USER} / C{ALTER USER}
        (1827, with what is wrong); store a good one as written.
        """
        try:
            text = authString.decode("utf-8")
        except UnicodeDecodeError:
            raise errors.InvalidAuthString(plugin=PLUGIN_NAME, reason="not UTF-8") from None
        try:
            mappings = parseMappings(text)
        except MappingSyntaxError as e:
            raise errors.InvalidAuthString(plugin=PLUGIN_NAME, reason=str(e)) from None
        if not mappings:
            raise errors.InvalidAuthString(
                plugin=PLUGIN_NAME,
                reason="name at least one Windows user or group: "
                "'win_user_or_group[=mysql_user], ...'",
            )
        return authString


theWindowsMethod = WindowsAuthMethod()
