# -*- test-case-name: tests.test_windows -*-
# Copyright (c) twisted_mysqlauth developers.
# See LICENSE for details.
"""
Tests for C{authentication_windows} (L{twisted_mysqlauth.auth.windows})
and its client side (L{twisted_mysqlauth.auth.windowsclient}), on
L{twisted.test.iosim}: real NTLM through pyspnego on both sides (the
acceptor's credentials from an NTLM user file in a temporary folder), and
scripted security contexts where the framing, the round limit and the
failures need exact control. The acceptor's steps run synchronously here
(C{runInThread} is C{maybeDeferred}); L{tests.test_windows_integration}
runs them in the method's threads over real sockets.
"""

from __future__ import annotations

import grp
import logging
import os
import pwd
import threading
import time
from types import SimpleNamespace
from typing import Any, List, Optional, Tuple

from twisted.internet import defer
from twisted.logger import Logger, formatEvent
from twisted.trial.unittest import SkipTest, SynchronousTestCase, TestCase

from tests.test_proxy import LOCALHOST, SOCKET, ProxyServerMixin, denied
from twisted_mysqlauth.accounts.model import AccountName, PutAccount
from twisted_mysqlauth.auth.mapping import Mapping
from twisted_mysqlauth.auth.native import theNativePasswordMethod
from twisted_mysqlauth.auth.nologin import theNoLoginMethod
from twisted_mysqlauth.auth.registry import MethodRegistry, variablesOf
from twisted_mysqlauth.auth import windows
from twisted_mysqlauth.auth.windows import (
    ACCEPT_COMPLETED,
    ACCEPT_INCOMPLETE,
    NO_PRINCIPAL_NAME,
    REJECT,
    REQUEST_MIC,
    FileGroupResolver,
    GroupFileError,
    NameMatcher,
    OSGroupResolver,
    RefusedToken,
    ThreadRunner,
    WeakNTLMResponse,
    WindowsAuthMethod,
    acceptStep,
    checkNTLMAuthenticate,
    isWholeDERToken,
    ntlmUserFileName,
    parseGroupFile,
    spnegoAcceptorContext,
)
from twisted_mysqlauth.auth.windowsclient import (
    CONNECTOR_NET,
    LIBMYSQLCLIENT,
    WindowsAuthInitiator,
    WindowsClientError,
    WindowsClientHandler,
    frameFirstToken,
    targetFromServerData,
)
from twisted_mysqlauth.testing import ServerError

#: The client plugin, as the test client's handler map names it.
CLIENT = "authentication_windows_client"

#: The NTLM user file of the tests (pyspnego's Heimdal format,
#: DOMAIN:USER:PASSWORD).
NTLM_USERS = {
    "MyDomain\\domain_user": "Domain-pw1",
    "local_user": "Local-pw2",
    "MyDomain\\dev1": "Dev-pw3",
    "admin1": "Admin-pw4",
    "win_user": "Win-pw5",
    "Rafal": "Rafal-pw6",
}


#: The group file of the tests: C{principal: group, group}.
GROUPS = (
    "# principal: groups\n"
    "MyDomain\\dev1: MyDomain\\Developers\n"
    "admin1: BUILTIN\\Administrators, Users\n"
    "win_user: win_group\n"
)


def writeNTLMUserFile(path: str, users: Any = None) -> str:
    """
    Write an NTLM user file (mode 0600).

    @return: C{path}.
    """
    lines = []
    for name, password in (users or NTLM_USERS).items():
        domain, _, user = name.rpartition("\\")
        lines.append(f"{domain}:{user}:{password}\n")
    with open(path, "w", encoding="utf-8") as f:
        f.writelines(lines)
    os.chmod(path, 0o600)
    return path


def windowsFiles(case: Any, groups: str, users: Any = None) -> Tuple[str, str]:
    """
    Give C{case} its own copy of C{os.environ} (pyspnego reads
    C{NTLM_USER_FILE} there, and C{initialize} sets it), and write an NTLM
    user file and a group file in a new temporary folder.

    @return: the paths of the user file and the group file.
    @raise SkipTest: pyspnego is not installed.
    """
    try:
        import spnego  # noqa: F401
    except ImportError:
        raise SkipTest("pyspnego is not installed (pip install 'twisted_mysqlauth[windows]')")
    case.patch(os, "environ", dict(os.environ))
    directory = os.path.abspath(case.mktemp())
    os.makedirs(directory)
    userFile = writeNTLMUserFile(os.path.join(directory, "ntlm_users"), users)
    groupFile = os.path.join(directory, "groups")
    with open(groupFile, "w", encoding="utf-8") as f:
        f.write(groups)
    return userFile, groupFile


def synchronous(function, *args):
    """
    A C{runInThread} that runs at once: steps are deterministic on iosim.
    """
    return defer.maybeDeferred(function, *args)


class LongNegotiateContext:
    """
    A pyspnego NTLM initiator whose NEGOTIATE message names the client's
    domain and workstation (the OEM fields NTLM allows, as SSPI fills
    them in some configurations), long enough that the first token is over
    254 bytes, so libmysqlclient's framing splits it.

    pyspnego offers no option for those fields: the message is rebuilt with
    pyspnego's own NTLM message class and put where the context keeps the
    NEGOTIATE it sent, so that the MIC of the AUTHENTICATE message covers
    the bytes the server received (test code only).
    """

    def __init__(self, username: str, password: str, domain: str, workstation: str) -> None:
        import spnego

        self._context = spnego.client(username, password, protocol="ntlm")
        self._domain = domain
        self._workstation = workstation

    @property
    def complete(self) -> bool:
        return self._context.complete

    def step(self, token: Optional[bytes] = None) -> Optional[bytes]:
        output = self._context.step(token)
        if token is None:
            from spnego._ntlm_raw.messages import Negotiate, Version

            sent = Negotiate.unpack(output)
            negotiate = Negotiate(
                sent.flags,
                domain_name=self._domain,
                workstation=self._workstation,
                version=Version.get_current(),
            )
            self._context._temp_negotiate = negotiate
            output = negotiate.pack()
        return output


def longNegotiateFactory(username: str, password: str, length: int = 150):
    """
    A client context factory of L{LongNegotiateContext}s.
    """

    def factory(target: Optional[str]) -> LongNegotiateContext:
        return LongNegotiateContext(
            username, password, "MYDOMAIN.CORP." + "D" * length, "WS-" + "W" * length
        )

    return factory


class ScriptedAcceptor:
    """
    A stand-in acceptor: records the client's tokens, answers C{S1},
    C{S2}, ... and completes at the step C{completeAt} (never, if
    L{None}) with C{principal}, giving C{final} as its last token.
    """

    instances: List["ScriptedAcceptor"] = []

    def __init__(self, completeAt: Optional[int], principal: str = "win_user", final=None):
        self.completeAt = completeAt
        self.client_principal: Optional[str] = None
        self.negotiated_protocol = "scripted"
        self.principal = principal
        self.final = final
        self.tokens: List[bytes] = []
        self.complete = False

    def step(self, token: bytes) -> Optional[bytes]:
        self.tokens.append(token)
        if self.completeAt is not None and len(self.tokens) >= self.completeAt:
            self.complete = True
            self.client_principal = self.principal
            return self.final
        return b"S%d" % len(self.tokens)


class ClientScript:
    """
    A stand-in initiator: sends C{T1}, C{T2}, ...; the step number
    C{completeAfter} (never, if L{None}) completes it without a token.
    """

    def __init__(self, completeAfter: Optional[int]) -> None:
        self.completeAfter = completeAfter
        self.steps = 0
        self.complete = False

    def step(self, token: Optional[bytes] = None) -> Optional[bytes]:
        self.steps += 1
        if self.completeAfter is not None and self.steps >= self.completeAfter:
            self.complete = True
            return None
        return b"T%d" % self.steps


class RawTokens:
    """
    A test-client handler that sends given first packets and answers each
    server packet with C{C<n>}, without limit.
    """

    def __init__(self, first: List[bytes], answers: Optional[List[bytes]] = None) -> None:
        self.first = first
        self.answers = answers
        self.received: List[bytes] = []

    def __call__(self, client: Any) -> "RawTokens":
        return self

    def start(self, data: bytes) -> List[bytes]:
        self.switchData = data
        return list(self.first)

    def moreData(self, payload: bytes) -> List[bytes]:
        self.received.append(payload)
        if self.answers is not None:
            return [self.answers.pop(0)] if self.answers else []
        return [b"C%d" % len(self.received)]


def spnegoClient(
    user: str, password: str, compatLevel: Optional[int] = None, protocol: str = "negotiate"
) -> Tuple[Any, bytes]:
    """
    A pyspnego initiator and its first token. C{compatLevel}, pyspnego's
    C{LM_COMPAT_LEVEL} for this client alone (0: LM, 1 and 2: NTLMv1), is
    in force while pyspnego makes the client's NTLM context (at its first
    step); the server's stays as it was.
    """
    import spnego

    saved = os.environ.get("LM_COMPAT_LEVEL")
    if compatLevel is not None:
        os.environ["LM_COMPAT_LEVEL"] = str(compatLevel)
    try:
        options = spnego.NegotiateOptions.none
        if protocol == "negotiate":
            options = spnego.NegotiateOptions.use_negotiate
        context = spnego.client(user, password, protocol=protocol, options=options)
        return context, context.step()
    finally:
        if saved is None:
            os.environ.pop("LM_COMPAT_LEVEL", None)
        else:
            os.environ["LM_COMPAT_LEVEL"] = saved


def asn1(tagClass: int, constructed: bool, number: int, contents: bytes) -> bytes:
    """
    One DER value (class 0 universal, 1 application, 2 context-specific).
    """
    from spnego._asn1 import TagClass, pack_asn1

    return pack_asn1(TagClass(tagClass), constructed, number, contents)


def octets(data: bytes) -> bytes:
    return asn1(0, False, 4, data)


def negState(state: int) -> bytes:
    return asn1(0, False, 10, bytes([state]))


def negTokenResp(*fields: Tuple[int, bytes]) -> bytes:
    """
    A NegTokenResp with C{fields}, C{(tag, DER value)}, in that order (any
    tags, repeated or not, as a client may send them).
    """
    body = b"".join(asn1(2, True, tag, value) for tag, value in fields)
    return asn1(2, True, 1, asn1(0, True, 16, body))


def rebuiltAuthenticate(auth: Any, **changes: Any) -> bytes:
    """
    The NTLM AUTHENTICATE C{auth} (pyspnego's C{Authenticate}) with
    C{changes} to its fields; without its NTLM MIC (the LM and NTLMv1
    answers pyspnego checks carry none).
    """
    from spnego._ntlm_raw.messages import Authenticate

    fields = dict(
        flags=auth.flags,
        lm_challenge_response=auth.lm_challenge_response,
        nt_challenge_response=auth.nt_challenge_response,
        domain_name=auth.domain_name,
        username=auth.user_name,
        workstation=auth.workstation,
        encrypted_session_key=auth.encrypted_random_session_key,
        version=auth.version,
    )
    fields.update(changes)
    return Authenticate(**fields).pack()


#: The reviewer's decoy: the start of an AUTHENTICATE message whose NT
#: response is 256 bytes long, as a byte scan would read it.
DECOY = b"NTLMSSP\x00\x03\x00\x00\x00" + bytes(8) + b"\x00\x01\x00\x01" + bytes(8)


def lmWithoutPassword(auth: Any) -> bytes:
    """
    An AUTHENTICATE whose answer needs no password: extended session
    security, no NT response, and as LM response a client challenge and 16
    zero bytes, which pyspnego (at its default C{LM_COMPAT_LEVEL}, 3) checks
    as an NTLMv1 answer with the password left out.
    """
    from spnego._ntlm_raw.messages import NegotiateFlags

    return rebuiltAuthenticate(
        auth,
        flags=auth.flags | NegotiateFlags.extended_session_security,
        lm_challenge_response=b"ABCDEFGH" + bytes(16),
        nt_challenge_response=b"",
    )


def lmOnly(auth: Any) -> bytes:
    """
    C{auth} with its LM response alone (pyspnego then checks the LM hash:
    the password's first 14 characters, in upper case).
    """
    return rebuiltAuthenticate(auth, nt_challenge_response=b"")


def wrapped(
    resp: Any,
    auth: bytes,
    state: Optional[int] = ACCEPT_INCOMPLETE,
    mic: bool = True,
    decoy: bool = False,
) -> bytes:
    """
    A NegTokenResp carrying C{auth}, with the negState C{state}, the
    client's mechListMIC (from C{resp}, pyspnego's NegTokenResp) if
    C{mic}, and, first, the reviewer's decoy in a field SPNEGO does not
    have ([7]) if C{decoy}.
    """
    fields = []
    if decoy:
        fields.append((7, octets(DECOY)))
    if state is not None:
        fields.append((0, negState(state)))
    fields.append((2, octets(auth)))
    if mic:
        fields.append((3, octets(resp.mech_list_mic)))
    return negTokenResp(*fields)


class CraftedClient:
    """
    A test-client handler for a client that crafts its second token:
    pyspnego's SPNEGO initiator makes the first (NTLM's NEGOTIATE) and,
    from the server's CHALLENGE, its AUTHENTICATE; C{craft(resp, auth)}
    (pyspnego's NegTokenResp, and the C{Authenticate} in it) makes the
    token sent instead. It answers nothing after that.
    """

    def __init__(
        self, user: str, password: str, craft: Any, compatLevel: Optional[int] = None
    ) -> None:
        self.user = user
        self.password = password
        self.craft = craft
        self.compatLevel = compatLevel
        self.sent = False

    def __call__(self, client: Any) -> "CraftedClient":
        return self

    def start(self, data: bytes) -> List[bytes]:
        self.context, first = spnegoClient(self.user, self.password, self.compatLevel)
        return [first]

    def moreData(self, payload: bytes) -> List[bytes]:
        from spnego._ntlm_raw.messages import Authenticate
        from spnego._spnego import unpack_token

        if self.sent:
            return []
        self.sent = True
        resp = unpack_token(self.context.step(payload[1:]))
        return [self.craft(resp, Authenticate.unpack(resp.response_token))]


class WindowsServerMixin(ProxyServerMixin):
    """
    A server with C{authentication_windows} (an NTLM user file in a
    temporary folder, steps run synchronously, the log captured) beside
    the native and no-login methods.
    """

    #: Keyword arguments of the L{WindowsAuthMethod}.
    methodOptions: dict = {}

    def setUp(self) -> None:
        self.userFile, self.groupFile = windowsFiles(self, GROUPS)
        os.environ.pop("LM_COMPAT_LEVEL", None)
        self.events: List[dict] = []
        options = dict(
            ntlmUserFile=self.userFile,
            groupSource="file",
            groupFile=self.groupFile,
            runInThread=synchronous,
            logger=Logger(observer=self.events.append),
        )
        options.update(self.methodOptions)
        self.method = WindowsAuthMethod(**options)
        self.method.initialize(None)
        super().setUp()

    def makeFactory(self, **options: Any):
        options.setdefault(
            "methods", MethodRegistry([theNativePasswordMethod, theNoLoginMethod, self.method])
        )
        options.setdefault("defaultPlugin", "mysql_native_password")
        return super().makeFactory(**options)

    def handler(self, user: str, password: Optional[str] = None, **kw: Any) -> WindowsClientHandler:
        """
        A client handler for the Windows user C{user} (its password from
        L{NTLM_USERS} unless given).
        """
        if password is None:
            password = NTLM_USERS[user]
        return WindowsClientHandler(user, password, **kw)

    def windowsLogin(self, mysqlUser: str, handler: Any, peer: Any = LOCALHOST):
        """
        Log in as C{mysqlUser} with C{handler} as the client plugin.

        @return: C{(client, server, result)}.
        """
        return self.login(mysqlUser.encode("utf-8"), peer=peer, authHandlers={CLIENT: handler})

    def windowsIdentity(self, mysqlUser: str, handler: Any, peer: Any = LOCALHOST):
        """
        Log in and read the identity.
        """
        return self.identity(mysqlUser.encode("utf-8"), peer=peer, authHandlers={CLIENT: handler})

    def logText(self) -> str:
        return "\n".join(formatEvent(e) for e in self.events)


class NTLMLoginTests(WindowsServerMixin, SynchronousTestCase):
    """
    Logins with real NTLM tokens (pyspnego on both sides).
    """

    setupStatements = (
        "CREATE USER 'sql_admin'@'%' IDENTIFIED WITH authentication_windows "
        "AS 'Rafal, Tasha, Administrators, \"Power Users\"'",
        "CREATE USER 'dom'@'%' IDENTIFIED WITH authentication_windows AS 'MyDomain\\\\domain_user'",
    )

    def test_switchNamesThePrincipal(self) -> None:
        """
        The server switches the client to C{authentication_windows_client};
        with C{use_principal_name} on and a principal name, the switch data
        is that name (no NUL), which the client takes as its target.
        """
        self.method.variables["authentication_windows_principal_name"] = "mysql@EXAMPLE.COM"
        handler = RawTokens([b"x"])
        client, server, result = self.windowsLogin("sql_admin", handler)
        self.assertEqual(client.trace.switchedTo, [CLIENT])
        self.assertEqual(handler.switchData, b"mysql@EXAMPLE.COM")
        self.assertEqual(targetFromServerData(handler.switchData), "mysql@EXAMPLE.COM")

    def test_switchWithoutPrincipal(self) -> None:
        """
        With C{use_principal_name} off (or no name known) the switch data is
        one 0 byte: no target.
        """
        self.method.variables["authentication_windows_principal_name"] = "mysql@EXAMPLE.COM"
        self.method.variables["authentication_windows_use_principal_name"] = False
        handler = RawTokens([b"x"])
        self.windowsLogin("sql_admin", handler)
        self.assertEqual(handler.switchData, NO_PRINCIPAL_NAME)
        self.assertIsNone(targetFromServerData(handler.switchData))

    def test_rightPassword(self) -> None:
        """
        The right password logs in: the account's own user (a bare name
        maps to it), C{@@external_user} the principal, after two rounds:
        the server's challenge, then its final SPNEGO token before the OK.
        """
        handler = self.handler("Rafal")
        user, current, proxy, external = self.windowsIdentity("sql_admin", handler)
        self.assertEqual(
            (user, current, proxy, external), ("sql_admin@localhost", "sql_admin@%", None, "Rafal")
        )
        self.assertTrue(handler.initiator.complete)
        self.assertEqual(handler.initiator.rounds, 2)

    def test_finalTokenBeforeOK(self) -> None:
        """
        The server's last token comes as AuthMoreData before the OK, and
        completes the client's context (which answers nothing).
        """
        handler = self.handler("Rafal")
        client, server, result = self.windowsLogin("sql_admin", handler)
        self.assertTrue(hasattr(result, "greeting"), result)
        credentials = server._exchange.credentials
        self.assertEqual(credentials.rounds, 2)
        self.assertEqual(handler.initiator.rounds, 2)
        self.assertTrue(handler.initiator.complete)

    def test_domainUser(self) -> None:
        """
        C{MyDomain\\domain_user} logs in to the account that names it.
        """
        result = self.windowsIdentity("dom", self.handler("MyDomain\\domain_user"))
        self.assertEqual(result, ("dom@localhost", "dom@%", None, "MyDomain\\domain_user"))

    def test_caseInsensitive(self) -> None:
        """
        Windows names are case-insensitive: C{RAFAL} is C{Rafal}, and
        C{mydomain\\DOMAIN_USER} matches C{MyDomain\\domain_user}. The
        principal (C{@@external_user}, what mappings and groups see) is
        spelled as the NTLM user file spells it, not as the client typed it.
        """
        result = self.windowsIdentity("sql_admin", self.handler("RAFAL", NTLM_USERS["Rafal"]))
        self.assertEqual(result[1:], ("sql_admin@%", None, "Rafal"))
        result = self.windowsIdentity(
            "dom", self.handler("mydomain\\DOMAIN_USER", NTLM_USERS["MyDomain\\domain_user"])
        )
        self.assertEqual(result[1:], ("dom@%", None, "MyDomain\\domain_user"))

    def test_wrongPassword(self) -> None:
        """
        A wrong password is refused: 1045, (using password: NO), logged as
        a warning without the token.
        """
        handler = self.handler("Rafal", "wrong")
        client, server, result = self.windowsLogin("sql_admin", handler)
        self.assertRefused(result, 1045, denied("sql_admin", using="NO"))
        self.assertIn("authentication of 'sql_admin'@'localhost' failed in round 2", self.logText())

    def test_unknownWindowsUser(self) -> None:
        """
        A Windows user the NTLM file does not know is refused.
        """
        client, server, result = self.windowsLogin("sql_admin", self.handler("Tasha", "pw"))
        self.assertRefused(result, 1045)

    def test_notMapped(self) -> None:
        """
        A user that authenticates but that the string does not name (nor any
        of its groups) is refused: no match is a refusal.
        """
        client, server, result = self.windowsLogin("sql_admin", self.handler("local_user"))
        self.assertRefused(result, 1045)
        self.assertIn("matches no user or group of 'sql_admin'@'%'", self.logText())

    def test_domainNeeded(self) -> None:
        """
        A bare name does not match a user of another domain: C{Rafal} in
        the string is not C{OtherDom\\Rafal}.
        """
        self.sql("ALTER USER dom IDENTIFIED WITH authentication_windows AS 'domain_user'")
        client, server, result = self.windowsLogin("dom", self.handler("MyDomain\\domain_user"))
        self.assertRefused(result, 1045)

    def test_weakNTLMRefused(self) -> None:
        """
        An NTLMv1 response (a client with C{LM_COMPAT_LEVEL} 2) is refused,
        though pyspnego's acceptor would take it.
        """
        os.environ["LM_COMPAT_LEVEL"] = "2"
        client, server, result = self.windowsLogin("sql_admin", self.handler("Rafal"))
        self.assertRefused(result, 1045)
        self.assertIn("NTLMv2 only", self.logText())

    def test_overUNIXSocket(self) -> None:
        """
        The UNIX socket is no different.
        """
        result = self.windowsIdentity("sql_admin", self.handler("Rafal"), peer=SOCKET)
        self.assertEqual(result[1:], ("sql_admin@%", None, "Rafal"))


class MappingTests(WindowsServerMixin, SynchronousTestCase):
    """
    User and group mappings, precedence, and the manual's proxy example.
    """

    setupStatements = (
        "CREATE USER 'local_wlad'@'localhost' IDENTIFIED WITH mysql_no_login",
        "CREATE USER 'local_dev'@'localhost' IDENTIFIED WITH mysql_no_login",
        "CREATE USER 'local_admin'@'localhost' IDENTIFIED WITH mysql_no_login",
        "CREATE USER win_proxy IDENTIFIED WITH  authentication_windows\n"
        "  AS 'local_user = local_wlad,\n"
        "      MyDomain\\\\domain_user = local_wlad,\n"
        "      MyDomain\\\\Developers = local_dev,\n"
        "      BUILTIN\\\\Administrators = local_admin'",
        "GRANT PROXY ON 'local_wlad'@'localhost' TO win_proxy",
        "GRANT PROXY ON 'local_dev'@'localhost' TO win_proxy",
        "GRANT PROXY ON 'local_admin'@'localhost' TO win_proxy",
        "CREATE USER 'sql_user1'@'localhost' IDENTIFIED WITH mysql_no_login",
        "CREATE USER 'sql_user2'@'localhost' IDENTIFIED WITH mysql_no_login",
        "CREATE USER prec IDENTIFIED WITH authentication_windows "
        "AS 'win_group = sql_user1, win_user = sql_user2'",
        "GRANT PROXY ON 'sql_user1'@'localhost' TO prec",
        "GRANT PROXY ON 'sql_user2'@'localhost' TO prec",
    )

    def test_manualProxyExample(self) -> None:
        """
        The manual's C{win_proxy}: C{local_user} and
        C{MyDomain\\domain_user} are C{local_wlad}, a member of
        C{MyDomain\\Developers} is C{local_dev}, a member of
        C{BUILTIN\\Administrators} is C{local_admin}.
        """
        for windowsUser, proxied in (
            ("local_user", "local_wlad"),
            ("MyDomain\\domain_user", "local_wlad"),
            ("MyDomain\\dev1", "local_dev"),
            ("admin1", "local_admin"),
        ):
            result = self.windowsIdentity("win_proxy", self.handler(windowsUser))
            self.assertEqual(
                result,
                ("win_proxy@localhost", f"{proxied}@localhost", "'win_proxy'@'%'", windowsUser),
            )

    def test_proxiedAccountsRefuseDirectLogin(self) -> None:
        """
        The C{mysql_no_login} accounts refuse direct logins.
        """
        client, server, result = self.login(b"local_wlad")
        self.assertRefused(result, 1045)

    def test_noProxyGrant(self) -> None:
        """
        Without the PROXY grant the mapping names, the login is refused.
        """
        self.sql("REVOKE PROXY ON 'local_dev'@'localhost' FROM win_proxy")
        client, server, result = self.windowsLogin("win_proxy", self.handler("MyDomain\\dev1"))
        self.assertRefused(result, 1045)

    def test_userOverGroup(self) -> None:
        """
        C{win_user} is in C{win_group}, listed first; the user mapping wins.
        """
        result = self.windowsIdentity("prec", self.handler("win_user"))
        self.assertEqual(result[1:3], ("sql_user2@localhost", "'prec'@'%'"))

    def test_groupWhenNoUser(self) -> None:
        """
        With the user mapping gone, the group mapping applies.
        """
        self.sql("ALTER USER prec IDENTIFIED WITH authentication_windows AS 'win_group = sql_user1'")
        result = self.windowsIdentity("prec", self.handler("win_user"))
        self.assertEqual(result[1:3], ("sql_user1@localhost", "'prec'@'%'"))

    def test_groupsLookedUpOnlyWithoutUserMatch(self) -> None:
        """
        The groups are not read when a user mapping matches.
        """
        asked: List[str] = []

        class Recording:
            def groupsOf(self, principal: str) -> List[str]:
                asked.append(principal)
                return ["win_group"]

        self.method.groupResolver = Recording()
        self.windowsIdentity("prec", self.handler("win_user"))
        self.assertEqual(asked, [])
        self.windowsLogin("win_proxy", self.handler("admin1"))
        self.assertEqual(asked, ["admin1"])

    def test_groupLookupFails(self) -> None:
        """
        A group source that fails refuses the login (fail closed).
        """

        class Broken:
            def groupsOf(self, principal: str):
                return defer.fail(OSError("directory unreachable"))

        self.method.groupResolver = Broken()
        client, server, result = self.windowsLogin("win_proxy", self.handler("admin1"))
        self.assertRefused(result, 1045)
        self.assertIn("directory unreachable", self.logText())

    def test_defaultProxyUser(self) -> None:
        """
        The default proxy user C{''@''} with the same string serves Windows
        users without an account of their own.
        """
        self.sql(
            "CREATE USER ''@'' IDENTIFIED WITH authentication_windows AS 'local_user = local_wlad'",
            "GRANT PROXY ON 'local_wlad'@'localhost' TO ''@''",
        )
        result = self.windowsIdentity("someone", self.handler("local_user"))
        self.assertEqual(result, ("someone@localhost", "local_wlad@localhost", "''@''", "local_user"))

    def test_malformedStoredString(self) -> None:
        """
        A malformed string that reached the store anyway refuses every
        login, with an error in the log.
        """
        account = self.accounts.directory.get(AccountName("win_proxy", "%"))
        self.successResultOf(
            self.accounts.apply([PutAccount(account.__class__(account.name, account.plugin, b'"open'))])
        )
        client, server, result = self.windowsLogin("win_proxy", self.handler("local_user"))
        self.assertRefused(result, 1045)
        self.assertIn("malformed", self.logText())


class FramingTests(WindowsServerMixin, SynchronousTestCase):
    """
    The first-token split, the round limit and malformed packets, with
    real long NTLM tokens and with scripted contexts.
    """

    setupStatements = (
        "CREATE USER 'sql_admin'@'%' IDENTIFIED WITH authentication_windows AS 'Rafal, win_user'",
    )

    def scripted(self, completeAt: Optional[int], final=None) -> List[ScriptedAcceptor]:
        made: List[ScriptedAcceptor] = []

        def factory() -> ScriptedAcceptor:
            acceptor = ScriptedAcceptor(completeAt, final=final)
            made.append(acceptor)
            return acceptor

        self.method.contextFactory = factory
        return made

    def recordTokens(self) -> List[bytes]:
        """
        Keep the acceptor but record the client tokens it is given.
        """
        stepped: List[bytes] = []
        makeContext = self.method.contextFactory

        class Recording:
            def __init__(self) -> None:
                self.context = makeContext()

            def __getattr__(self, name: str) -> Any:
                return getattr(self.context, name)

            def step(self, token: bytes) -> Optional[bytes]:
                stepped.append(token)
                return self.context.step(token)

        self.method.contextFactory = Recording
        return stepped

    def test_longFirstTokenSplit(self) -> None:
        """
        A real NTLM first token of more than 254 bytes goes as
        libmysqlclient sends it, 255 bytes then the rest, and the server
        joins the halves: the login succeeds.
        """
        handler = WindowsClientHandler(
            "Rafal", contextFactory=longNegotiateFactory("Rafal", NTLM_USERS["Rafal"])
        )
        stepped = self.recordTokens()
        client, server, result = self.windowsLogin("sql_admin", handler)
        self.assertTrue(hasattr(result, "greeting"), result)
        first = handler.initiator.packets[:2]
        self.assertEqual(first[0], 255)
        total = first[0] - 1 + first[1]
        self.assertGreater(total, 254)
        self.assertEqual(len(stepped[0]), total)
        self.assertEqual(server.avatar.externalUser, "Rafal")

    def test_longFirstTokenConnectorNET(self) -> None:
        """
        Connector/NET's framing sends the same long token in one packet.
        """
        handler = WindowsClientHandler(
            "Rafal",
            framing=CONNECTOR_NET,
            contextFactory=longNegotiateFactory("Rafal", NTLM_USERS["Rafal"]),
        )
        client, server, result = self.windowsLogin("sql_admin", handler)
        self.assertTrue(hasattr(result, "greeting"), result)
        self.assertGreater(handler.initiator.packets[0], 255)

    def test_reassembly(self) -> None:
        """
        The acceptor gets the halves joined, without the block-count byte.
        """
        made = self.scripted(1)
        token = bytes(range(256)) * 3
        client, server, result = self.windowsLogin(
            "sql_admin", RawTokens(frameFirstToken(token, LIBMYSQLCLIENT))
        )
        self.assertTrue(hasattr(result, "greeting"), result)
        self.assertEqual(made[0].tokens, [token])

    def test_wholeDERTokenOf255Bytes(self) -> None:
        """
        A 255-byte first packet that is a whole GSS-API token (Connector/NET
        does not split) is taken as it is.
        """
        made = self.scripted(1)
        token = b"\x60\x81\xfc" + b"\x05" * 252
        self.assertEqual(len(token), 255)
        client, server, result = self.windowsLogin("sql_admin", RawTokens([token]))
        self.assertTrue(hasattr(result, "greeting"), result)
        self.assertEqual(made[0].tokens, [token])

    def test_badBlockCount(self) -> None:
        """
        A split whose block count does not fit the length is a handshake
        error (1043).
        """
        self.scripted(1)
        first, second = frameFirstToken(b"\x07" * 600, LIBMYSQLCLIENT)
        first = first[:254] + b"\x01"
        client, server, result = self.windowsLogin("sql_admin", RawTokens([first, second]))
        self.assertRefused(result, 1043)

    def test_emptyFirstToken(self) -> None:
        """
        An empty first packet is a handshake error.
        """
        self.scripted(1)
        client, server, result = self.windowsLogin("sql_admin", RawTokens([b""]))
        self.assertRefused(result, 1043)

    def test_emptyLaterToken(self) -> None:
        """
        An empty packet in a later round is a handshake error.
        """
        self.scripted(None)
        client, server, result = self.windowsLogin("sql_admin", RawTokens([b"t"], answers=[b""]))
        self.assertRefused(result, 1043)

    def test_manyRounds(self) -> None:
        """
        An exchange of 50 client tokens completes; the server's tokens
        carry the 0x01 prefix; the final token comes before the OK.
        """
        made = self.scripted(50, final=b"DONE")
        handler = RawTokens([b"C0"])
        client, server, result = self.windowsLogin("sql_admin", handler)
        self.assertTrue(hasattr(result, "greeting"), result)
        self.assertEqual(len(made[0].tokens), 50)
        self.assertEqual(handler.received[0], b"\x01S1")
        self.assertEqual(len(handler.received), 50)
        self.assertEqual(handler.received[-1], b"\x01DONE")

    def test_tooManyRounds(self) -> None:
        """
        A 51st client token is refused (1045).
        """
        made = self.scripted(None)
        client, server, result = self.windowsLogin("sql_admin", RawTokens([b"C0"]))
        self.assertRefused(result, 1045)
        self.assertEqual(len(made[0].tokens), 50)
        self.assertIn("after 50 rounds", self.logText())

    def test_stalledContext(self) -> None:
        """
        An acceptor that neither completes nor answers refuses.
        """

        class Mute(ScriptedAcceptor):
            def step(self, token: bytes) -> None:
                return None

        self.method.contextFactory = lambda: Mute(None)
        client, server, result = self.windowsLogin("sql_admin", RawTokens([b"t"]))
        self.assertRefused(result, 1045)

    def test_garbageToken(self) -> None:
        """
        A token pyspnego cannot read is refused, 1045.
        """
        client, server, result = self.windowsLogin("sql_admin", RawTokens([b"\x60\x03garbage"]))
        self.assertRefused(result, 1045)

    def test_clientLeavesDuringExchange(self) -> None:
        """
        A client that leaves while the server waits for its next token ends
        the login without a reply.
        """
        self.scripted(None)

        class Leaves(RawTokens):
            def moreData(self, payload: bytes) -> List[bytes]:
                self.client.transport.loseConnection()
                return []

            def __call__(self, client: Any) -> "Leaves":
                self.client = client
                return self

        client, server, result = self.windowsLogin("sql_admin", Leaves([b"t"]))
        self.assertIsNone(server.avatar)
        self.assertNotIsInstance(getattr(result, "value", None), ServerError)


class LogTests(WindowsServerMixin, SynchronousTestCase):
    """
    C{authentication_windows_log_level} and what is never logged.
    """

    setupStatements = (
        "CREATE USER 'sql_admin'@'%' IDENTIFIED WITH authentication_windows AS 'Rafal'",
    )

    def loginTwice(self) -> List[bytes]:
        """
        One good and one wrong login.

        @return: every token either side sent, for searching the log.
        """
        tokens: List[bytes] = []

        class Recording(WindowsClientHandler):
            def start(self, data: bytes) -> List[bytes]:
                packets = super().start(data)
                tokens.extend(packets)
                return packets

            def moreData(self, payload: bytes) -> List[bytes]:
                tokens.append(payload[1:])
                packets = super().moreData(payload)
                tokens.extend(packets)
                return packets

        self.windowsLogin("sql_admin", Recording("Rafal", NTLM_USERS["Rafal"]))
        self.windowsLogin("sql_admin", Recording("Rafal", "not-the-password"))
        return tokens

    def levelLog(self, level: int) -> str:
        self.method.log.level = level
        del self.events[:]
        self.loginTwice()
        return self.logText()

    def test_levels(self) -> None:
        """
        0 logs nothing; 2 the refusal; 3 also the success; 4 also each
        round's sizes.
        """
        self.assertEqual(self.levelLog(0), "")
        warnings = self.levelLog(2)
        self.assertIn("failed in round 2", warnings)
        self.assertNotIn("authenticated by", warnings)
        notes = self.levelLog(3)
        self.assertIn("Rafal ('sql_admin'@'localhost') authenticated by ntlm in 2 rounds", notes)
        self.assertNotIn("bytes in", notes)
        debug = self.levelLog(4)
        self.assertIn("round 1 for 'sql_admin'@'localhost':", debug)

    def test_noSecrets(self) -> None:
        """
        At the highest level no token (raw, hex or base64) and no password
        is logged, by this method or through pyspnego's own logging.
        """
        import base64

        records: List[logging.LogRecord] = []

        class Keep(logging.Handler):
            def emit(self, record: logging.LogRecord) -> None:
                records.append(record)

        keep = Keep(logging.DEBUG)
        spnegoLoggers = [logging.getLogger(n) for n in ("spnego._negotiate", "spnego._ntlm")]
        for logger in spnegoLoggers:
            self.addCleanup(logger.setLevel, logger.level)
            self.addCleanup(logger.removeHandler, keep)
            logger.setLevel(logging.DEBUG)
            logger.addHandler(keep)
        self.method.log.level = 4
        tokens = self.loginTwice()
        text = self.logText() + "\n".join(r.getMessage() for r in records)
        self.assertIn("round 2", text)
        self.assertTrue(tokens)
        for token in tokens:
            for form in (base64.b64encode(token).decode(), token.hex()):
                self.assertNotIn(form[:24], text)
        for password in ("not-the-password", NTLM_USERS["Rafal"]):
            self.assertNotIn(password, text)


class ConfigurationTests(SynchronousTestCase):
    """
    The system variables, read by C{initialize}.
    """

    def setUp(self) -> None:
        self.userFile, self.groupFile = windowsFiles(self, "a: b\n")
        os.environ.pop("NTLM_USER_FILE", None)
        self.method = WindowsAuthMethod(runInThread=synchronous)

    def settings(self, **variables: str) -> SimpleNamespace:
        return SimpleNamespace(
            pluginVariables={f"authentication_windows_{k}": v for k, v in variables.items()}
        )

    def test_declared(self) -> None:
        """
        The manual's two variables, with MySQL's defaults, and ours.
        """
        declared = variablesOf([self.method])
        self.assertEqual(declared["authentication_windows_log_level"][1].default, "2")
        self.assertEqual(declared["authentication_windows_use_principal_name"][1].default, "ON")
        for name in ("ntlm_user_file", "group_source", "group_file", "default_domain", "keytab"):
            self.assertIn(f"authentication_windows_{name}", declared)

    def test_fromSettings(self) -> None:
        """
        Values from the settings apply; the NTLM user file becomes
        pyspnego's C{NTLM_USER_FILE}.
        """
        self.method.initialize(
            self.settings(
                log_level="4",
                use_principal_name="OFF",
                ntlm_user_file=self.userFile,
                group_source="os,file",
                group_file=self.groupFile,
                default_domain="MyDomain, EXAMPLE.COM",
            )
        )
        values = self.method.variables
        self.assertEqual(values["authentication_windows_log_level"], 4)
        self.assertEqual(self.method.log.level, 4)
        self.assertIs(values["authentication_windows_use_principal_name"], False)
        self.assertEqual(self.method.principalNameData(), b"\x00")
        self.assertEqual(os.environ["NTLM_USER_FILE"], os.path.abspath(self.userFile))
        self.assertTrue(self.method.matcher.isLocal("mydomain"))
        self.assertTrue(self.method.matcher.isLocal("example.com"))
        self.assertEqual(
            [type(r) for r in self.method.groupResolver.resolvers],
            [OSGroupResolver, FileGroupResolver],
        )

    def test_principalName(self) -> None:
        """
        A principal name is sent as UTF-8 when C{use_principal_name} is on.
        """
        self.method.initialize(self.settings(principal_name="mysql@EXAMPLE.COM"))
        self.assertEqual(self.method.principalNameData(), b"mysql@EXAMPLE.COM")

    def test_processPrincipalNameOnce(self) -> None:
        """
        Without a principal name configured, the process's UPN (Windows'
        C{GetUserNameExW}, which may ask a domain controller) is looked up
        once, when the method loads, not on the reactor thread at each
        login; again at each new configuration.
        """
        asked: List[int] = []

        def processName() -> str:
            asked.append(1)
            return "svc-mysql@EXAMPLE.COM"

        self.patch(windows, "_processPrincipalName", processName)
        self.method.initialize(self.settings())
        self.assertEqual(len(asked), 1)
        for login in range(3):
            self.assertEqual(self.method.principalNameData(), b"svc-mysql@EXAMPLE.COM")
        self.assertEqual(len(asked), 1)
        self.method.initialize(self.settings(log_level="3"))
        self.assertEqual(len(asked), 2)
        self.method.initialize(self.settings(principal_name="mysql@EXAMPLE.COM"))
        self.method.initialize(self.settings(use_principal_name="OFF"))
        self.assertEqual(len(asked), 2)
        self.assertEqual(self.method.principalNameData(), NO_PRINCIPAL_NAME)

    def test_badValues(self) -> None:
        """
        Bad values are refused with the variable named.
        """
        for variables, text in (
            ({"log_level": "5"}, "authentication_windows_log_level"),
            ({"use_principal_name": "maybe"}, "ON or OFF"),
            ({"group_source": "ldap"}, "authentication_windows_group_source"),
            ({"threads": "0"}, "authentication_windows_threads"),
            ({"default_domain": "a\\b"}, "not a domain name"),
            ({"ntlm_user_file": "/nonexistent/users"}, "not a readable file"),
            ({"group_source": "file"}, "authentication_windows_group_file is not set"),
        ):
            error = self.assertRaises(ValueError, self.method.initialize, self.settings(**variables))
            self.assertIn(text, str(error))

    def test_refusedChangesNothing(self) -> None:
        """
        A refused configuration leaves the method as it was.
        """
        self.method.initialize(self.settings(log_level="3"))
        before = dict(self.method.variables)
        self.assertRaises(
            ValueError,
            self.method.initialize,
            self.settings(log_level="1", ntlm_user_file="/nonexistent/users"),
        )
        self.assertEqual(self.method.variables, before)
        self.assertEqual(self.method.log.level, 3)

    def test_badGroupFile(self) -> None:
        """
        A group file with a malformed line is refused at load.
        """
        with open(self.groupFile, "w") as f:
            f.write("fine: g\nno colon here\n")
        error = self.assertRaises(
            ValueError,
            self.method.initialize,
            self.settings(group_source="file", group_file=self.groupFile),
        )
        self.assertIn("line 2", str(error))

    def test_embedded(self) -> None:
        """
        Embedded, C{initialize(None)} keeps the constructor's configuration.
        """
        method = WindowsAuthMethod(
            logLevel=3, ntlmUserFile=self.userFile, usePrincipalName=False, runInThread=synchronous
        )
        method.initialize(None)
        self.assertEqual(method.log.level, 3)
        self.assertEqual(method.principalNameData(), NO_PRINCIPAL_NAME)
        self.assertEqual(os.environ["NTLM_USER_FILE"], os.path.abspath(self.userFile))

    def test_showVariables(self) -> None:
        """
        C{SHOW VARIABLES} shows the method's current values.
        """
        from twisted_mysqlauth.sql.executor import methodVariables

        self.method.initialize(self.settings(log_level="1"))
        config = SimpleNamespace(methods=[self.method])
        values = methodVariables(config)
        self.assertEqual(values["authentication_windows_log_level"], 1)
        self.assertIs(values["authentication_windows_use_principal_name"], True)


class NameMatcherTests(SynchronousTestCase):
    """
    How Windows names are compared.
    """

    def setUp(self) -> None:
        self.matcher = NameMatcher(["MyDomain"], hostName="dbhost.example.com")

    def test_caseInsensitive(self) -> None:
        self.assertTrue(self.matcher.same("Rafal", "rAFAL"))
        self.assertTrue(self.matcher.same("OtherDom\\Tasha", "otherdom\\TASHA"))
        self.assertFalse(self.matcher.same("Rafal", "Rafael"))

    def test_localDomains(self) -> None:
        """
        Bare names, C{.}, C{BUILTIN}, the host and the default domains are
        one local domain.
        """
        for name in ("Rafal", ".\\Rafal", "BUILTIN\\Rafal", "DBHOST\\Rafal", "mydomain\\rafal"):
            self.assertTrue(self.matcher.same("Rafal", name), name)
            self.assertTrue(self.matcher.same(name, ".\\Rafal"), name)

    def test_otherDomains(self) -> None:
        """
        Another domain matches only itself.
        """
        self.assertFalse(self.matcher.same("Rafal", "OtherDom\\Rafal"))
        self.assertFalse(self.matcher.same("Some\\Rafal", "OtherDom\\Rafal"))
        self.assertTrue(self.matcher.same("rafal@REALM.ORG", "Realm.Org\\Rafal"))

    def test_userBeforeGroup(self) -> None:
        """
        The first user mapping, else the first group mapping in string
        order.
        """
        mappings = [Mapping("g2", "a"), Mapping("g1", "b"), Mapping("u", "c"), Mapping("u", "d")]
        self.assertEqual(self.matcher.userMapping(mappings, "U"), Mapping("u", "c"))
        self.assertEqual(self.matcher.groupMapping(mappings, ["g1", "g2"]), Mapping("g2", "a"))
        self.assertIsNone(self.matcher.groupMapping(mappings, ["g3"]))


class GroupResolverTests(SynchronousTestCase):
    """
    The OS group database and the group file.
    """

    def setUp(self) -> None:
        self.matcher = NameMatcher(["MyDomain"], hostName="dbhost")

    def test_osCandidates(self) -> None:
        """
        A local principal is looked up by its bare name; another domain's
        in winbind's and sssd's forms; each exactly as the principal is
        spelled (Unix names are case-sensitive).
        """
        resolver = OSGroupResolver(self.matcher, synchronous)
        self.assertEqual(resolver.candidates("MyDomain\\Rafal"), ["Rafal"])
        self.assertEqual(resolver.candidates("sync"), ["sync"])
        self.assertEqual(resolver.candidates("Other\\Tasha"), ["Other\\Tasha", "Tasha@Other"])

    def test_osLookupFake(self) -> None:
        """
        The groups are those of the first candidate that exists; a name
        that exists only in another case is not that user.
        """
        users = {"Rafal": SimpleNamespace(pw_name="Rafal", pw_gid=10)}
        groups = {10: "staff", 20: "Power Users"}

        def getpwnam(name: str):
            return users[name]

        resolver = OSGroupResolver(
            self.matcher,
            synchronous,
            getpwnam=getpwnam,
            getgrouplist=lambda name, gid: [gid, 20, 99],
            getgrgid=lambda gid: SimpleNamespace(gr_name=groups[gid]),
        )
        self.assertEqual(self.successResultOf(resolver.groupsOf("Rafal")), ["staff", "Power Users"])
        self.assertEqual(self.successResultOf(resolver.groupsOf("nobody-here")), [])
        self.assertEqual(self.successResultOf(resolver.groupsOf("RAFAL")), [])

    def test_osLookupReal(self) -> None:
        """
        The real database: the current user is in its primary group.
        """
        entry = pwd.getpwuid(os.getuid())
        resolver = OSGroupResolver(self.matcher, synchronous)
        groups = self.successResultOf(resolver.groupsOf(entry.pw_name))
        self.assertIn(grp.getgrgid(entry.pw_gid).gr_name, groups)

    def test_fileFormat(self) -> None:
        """
        C{principal: group, group}; comments and blank lines skipped.
        """
        self.assertEqual(
            parseGroupFile("# c\n\n MyDomain\\dev1 : MyDomain\\Developers, Power Users \nx:\n"),
            [("MyDomain\\dev1", ["MyDomain\\Developers", "Power Users"]), ("x", [])],
        )
        for bad in ("no colon", ": g"):
            self.assertRaises(GroupFileError, parseGroupFile, bad)

    def test_fileLookup(self) -> None:
        """
        Every line naming the principal (as names match) adds its groups;
        edits apply to the next lookup.
        """
        path = self.mktemp()
        with open(path, "w") as f:
            f.write("rafal: A, B\nMYDOMAIN\\Rafal: B, C\nOther\\Rafal: D\n")
        resolver = FileGroupResolver(path, self.matcher, synchronous)
        self.assertEqual(self.successResultOf(resolver.groupsOf("Rafal")), ["A", "B", "C"])
        with open(path, "w") as f:
            f.write("Other\\Rafal: D\n")
        self.assertEqual(self.successResultOf(resolver.groupsOf("other\\RAFAL")), ["D"])
        self.assertEqual(self.successResultOf(resolver.groupsOf("Rafal")), [])


class ClientFramingTests(SynchronousTestCase):
    """
    The client side's framing, and the server's reading of a 255-byte
    first packet.
    """

    def test_split(self) -> None:
        """
        libmysqlclient's rule: up to 254 bytes in one packet; beyond, 254
        bytes and the 512-byte block count, then the rest.
        """
        self.assertEqual(frameFirstToken(b"a" * 254), [b"a" * 254])
        token = bytes(range(255))
        self.assertEqual(frameFirstToken(token), [token[:254] + b"\x01", token[254:]])
        packets = frameFirstToken(b"b" * 600)
        self.assertEqual([len(p) for p in packets], [255, 346])
        self.assertEqual(packets[0][254], 2)
        self.assertEqual(frameFirstToken(b"c" * 1024)[0][254], 2)
        self.assertEqual(frameFirstToken(b"c" * 1025)[0][254], 3)
        self.assertRaises(WindowsClientError, frameFirstToken, b"d" * (512 * 255 + 1))

    def test_connectorNET(self) -> None:
        """
        Connector/NET never splits.
        """
        self.assertEqual(frameFirstToken(b"a" * 600, CONNECTOR_NET), [b"a" * 600])

    def test_target(self) -> None:
        """
        The switch data is the target, unless empty or starting with 0.
        """
        self.assertEqual(targetFromServerData(b"svc@EXAMPLE.COM"), "svc@EXAMPLE.COM")
        self.assertEqual(targetFromServerData(b"svc@EXAMPLE.COM\x00"), "svc@EXAMPLE.COM")
        self.assertIsNone(targetFromServerData(b""))
        self.assertIsNone(targetFromServerData(b"\x00"))
        self.assertIsNone(targetFromServerData(b"\xff\xfe"))

    def test_wholeDER(self) -> None:
        """
        Only a GSS-API token exactly 255 bytes long, not ending in 1, is
        whole.
        """
        whole = b"\x60\x81\xfc" + b"\x05" * 252
        self.assertTrue(isWholeDERToken(whole))
        self.assertFalse(isWholeDERToken(whole[:-1] + b"\x01"))
        self.assertFalse(isWholeDERToken(b"\x60\x82\x01\x2c" + b"\x05" * 251))
        self.assertFalse(isWholeDERToken(b"NTLMSSP\x00" + b"\x05" * 247))

    def test_initiatorAfterComplete(self) -> None:
        """
        A server token that completes the client's context gets no answer;
        data after that is an error.
        """
        context = ClientScript(completeAfter=2)
        initiator = WindowsAuthInitiator(contextFactory=lambda target: context)
        self.assertEqual(initiator.start(b"svc/db.example.com"), [b"T1"])
        self.assertEqual(initiator.target, "svc/db.example.com")
        self.assertEqual(initiator.moreData(b"S1"), [])
        self.assertTrue(initiator.complete)
        self.assertRaises(WindowsClientError, initiator.moreData, b"S2")
        self.assertRaises(WindowsClientError, initiator.start, b"")

    def test_initiatorRoundLimit(self) -> None:
        """
        The client gives up after 50 tokens.
        """
        initiator = WindowsAuthInitiator(contextFactory=lambda target: ClientScript(None))
        initiator.start(b"\x00")
        for n in range(49):
            initiator.moreData(b"S")
        self.assertEqual(initiator.rounds, 50)
        self.assertRaises(WindowsClientError, initiator.moreData, b"S")

    def test_initiatorContextFails(self) -> None:
        """
        A context that fails becomes L{WindowsClientError}.
        """

        def broken(target: Optional[str]) -> Any:
            raise RuntimeError("no credentials")

        initiator = WindowsAuthInitiator(contextFactory=broken)
        error = self.assertRaises(WindowsClientError, initiator.start, b"\x00")
        self.assertIn("no credentials", str(error))


class ForgedNTLMTests(WindowsServerMixin, SynchronousTestCase):
    """
    The review's logins without the password (or with a part of it),
    end to end: each is refused. pyspnego's acceptor, at its default
    C{LM_COMPAT_LEVEL} and with a client's accept-completed, took them all;
    a field SPNEGO does not have, carrying the start of an NTLMv2-looking
    AUTHENTICATE, got them past a search for the message's bytes.
    """

    setupStatements = (
        "CREATE USER 'dom'@'%' IDENTIFIED WITH authentication_windows AS 'MyDomain\\\\domain_user'",
    )

    def assertForgedRefused(
        self,
        craft: Any,
        reason: str,
        password: str = "not-the-password",
        compatLevel: Optional[int] = None,
    ) -> None:
        handler = CraftedClient("MyDomain\\domain_user", password, craft, compatLevel)
        client, server, result = self.windowsLogin("dom", handler)
        self.assertRefused(result, 1045)
        self.assertIn(reason, self.logText())
        self.assertIsNone(server.avatar)

    def test_noPasswordWithDecoyAndAcceptCompleted(self) -> None:
        """
        The review's login with no password: an LM answer anyone can
        compute, behind a decoy field, with negState accept-completed.
        """
        self.assertForgedRefused(
            lambda resp, auth: wrapped(
                resp, lmWithoutPassword(auth), ACCEPT_COMPLETED, mic=False, decoy=True
            ),
            "unexpected field in NegTokenResp",
        )

    def test_noPasswordWithDecoy(self) -> None:
        """
        The same with negState accept-incomplete (pyspnego took the answer
        and waited for the mechListMIC).
        """
        self.assertForgedRefused(
            lambda resp, auth: wrapped(resp, lmWithoutPassword(auth), mic=False, decoy=True),
            "unexpected field in NegTokenResp",
        )

    def test_noPasswordNoDecoy(self) -> None:
        """
        Without the decoy, the answer itself is refused: LM is not NTLMv2.
        """
        self.assertForgedRefused(
            lambda resp, auth: wrapped(resp, lmWithoutPassword(auth), mic=False),
            "NTLMv2 only",
        )

    def test_noPasswordAtPyspnegoDefaultLevel(self) -> None:
        """
        With C{LM_COMPAT_LEVEL} back at pyspnego's default after the method
        loaded (pyspnego's own refusal gone), the check before pyspnego
        still refuses.
        """
        os.environ["LM_COMPAT_LEVEL"] = "3"
        self.assertForgedRefused(
            lambda resp, auth: wrapped(resp, lmWithoutPassword(auth), mic=False),
            "WeakNTLMResponse: LM and NTLMv1 responses are refused: NTLMv2 only",
        )

    def test_ntlmV1WithDecoy(self) -> None:
        """
        An NTLMv1 answer (a client at C{LM_COMPAT_LEVEL} 1) behind a decoy.
        """
        self.assertForgedRefused(
            lambda resp, auth: wrapped(resp, resp.response_token, decoy=True),
            "unexpected field in NegTokenResp",
            password=NTLM_USERS["MyDomain\\domain_user"],
            compatLevel=1,
        )

    def test_lmOnlyWrongCaseWithDecoy(self) -> None:
        """
        An LM answer alone, from the password in the wrong case (LM hashes
        the first 14 characters in upper case), behind a decoy.
        """
        self.assertForgedRefused(
            lambda resp, auth: wrapped(resp, lmOnly(auth), decoy=True),
            "unexpected field in NegTokenResp",
            password=NTLM_USERS["MyDomain\\domain_user"].swapcase(),
            compatLevel=0,
        )

    def test_acceptCompletedWithoutMIC(self) -> None:
        """
        A client's accept-completed without its mechListMIC (pyspnego then
        completes without checking one) is refused, even with an NTLMv2
        answer from the right password.
        """
        self.assertForgedRefused(
            lambda resp, auth: wrapped(resp, resp.response_token, ACCEPT_COMPLETED, mic=False),
            "accept-completed without a mechListMIC",
            password=NTLM_USERS["MyDomain\\domain_user"],
        )

    def test_authenticateWithoutMIC(self) -> None:
        """
        An AUTHENTICATE without the mechListMIC pyspnego requires with NTLM
        is refused at once (pyspnego would wait for it).
        """
        self.assertForgedRefused(
            lambda resp, auth: wrapped(resp, resp.response_token, mic=False),
            "without the mechListMIC",
            password=NTLM_USERS["MyDomain\\domain_user"],
        )

    def test_acceptCompletedWithMIC(self) -> None:
        """
        A client's accept-completed with its mechListMIC (as MIT's and
        pyspnego's initiators send it after the server's MIC) is taken:
        pyspnego checks the MIC, and the right password logs in.
        """
        handler = CraftedClient(
            "MyDomain\\domain_user",
            NTLM_USERS["MyDomain\\domain_user"],
            lambda resp, auth: wrapped(resp, resp.response_token, ACCEPT_COMPLETED),
        )
        self.assertEqual(
            self.windowsIdentity("dom", handler)[3], "MyDomain\\domain_user"
        )

    def test_acceptCompletedWithWrongMIC(self) -> None:
        """
        A wrong mechListMIC is refused, accept-completed or not.
        """
        for state in (ACCEPT_COMPLETED, ACCEPT_INCOMPLETE):
            self.assertForgedRefused(
                lambda resp, auth: negTokenResp(
                    (0, negState(state)),
                    (2, octets(resp.response_token)),
                    (3, octets(b"\x01" + bytes(15))),
                ),
                "failed in round 2",
                password=NTLM_USERS["MyDomain\\domain_user"],
            )


class PyspnegoLevelTests(SynchronousTestCase):
    """
    pyspnego's own acceptor, without this method's checks, once the method
    is loaded: C{LM_COMPAT_LEVEL} 5 makes it refuse LM and NTLMv1 itself.
    """

    def setUp(self) -> None:
        self.userFile, _ = windowsFiles(self, "")
        os.environ.pop("LM_COMPAT_LEVEL", None)
        self.method = WindowsAuthMethod(ntlmUserFile=self.userFile, runInThread=synchronous)
        self.method.initialize(None)

    def assertPyspnegoRefuses(self, compatLevel: Optional[int], password: str, forge: Any) -> None:
        import spnego
        from spnego._ntlm_raw.messages import Authenticate
        from spnego.exceptions import SpnegoError

        client, first = spnegoClient("Rafal", password, compatLevel, protocol="ntlm")
        server = spnego.server(protocol="ntlm")
        auth = Authenticate.unpack(client.step(server.step(first)))
        self.assertRaises(SpnegoError, server.step, forge(auth))
        self.assertFalse(server.complete)

    def test_level(self) -> None:
        """
        Loading the method sets C{LM_COMPAT_LEVEL} to 5.
        """
        self.assertEqual(os.environ["LM_COMPAT_LEVEL"], "5")

    def test_noPassword(self) -> None:
        self.assertPyspnegoRefuses(None, "not-the-password", lmWithoutPassword)

    def test_ntlmV1(self) -> None:
        self.assertPyspnegoRefuses(1, NTLM_USERS["Rafal"], rebuiltAuthenticate)

    def test_lmOnly(self) -> None:
        self.assertPyspnegoRefuses(0, NTLM_USERS["Rafal"].swapcase(), lmOnly)

    def test_ntlmV2(self) -> None:
        """
        NTLMv2 still logs in.
        """
        import spnego

        client, first = spnegoClient("Rafal", NTLM_USERS["Rafal"], protocol="ntlm")
        server = spnego.server(protocol="ntlm")
        server.step(client.step(server.step(first)))
        self.assertTrue(server.complete)

    def test_replacedLevelLogged(self) -> None:
        """
        A different C{LM_COMPAT_LEVEL} in the environment is replaced, with
        a warning.
        """
        events: List[dict] = []
        os.environ["LM_COMPAT_LEVEL"] = "2"
        method = WindowsAuthMethod(
            ntlmUserFile=self.userFile, runInThread=synchronous, logger=Logger(observer=events.append)
        )
        method.initialize(None)
        self.assertEqual(os.environ["LM_COMPAT_LEVEL"], "5")
        self.assertIn(
            "LM_COMPAT_LEVEL 2 replaced by 5", "\n".join(formatEvent(e) for e in events)
        )


class TokenCheckTests(SynchronousTestCase):
    """
    The client tokens the acceptor (L{spnegoAcceptorContext}) refuses
    before pyspnego reads them, stepped as the checker steps them; most are
    made from a real exchange with the right password, which pyspnego
    alone completes.
    """

    def setUp(self) -> None:
        self.userFile, _ = windowsFiles(self, "")
        WindowsAuthMethod(ntlmUserFile=self.userFile, runInThread=synchronous).initialize(None)

    def challenged(
        self,
        password: Optional[str] = None,
        compatLevel: Optional[int] = None,
        protocol: str = "negotiate",
    ) -> Tuple[Any, Any]:
        """
        Run round 1 for C{Rafal}.

        @return: the server's context, and the client's second token
            (pyspnego's NegTokenResp, or the raw AUTHENTICATE).
        """
        from spnego._spnego import unpack_token

        client, first = spnegoClient(
            "Rafal", NTLM_USERS["Rafal"] if password is None else password, compatLevel, protocol
        )
        result = acceptStep(spnegoAcceptorContext, None, first)
        second = client.step(result.output)
        return result.context, second if protocol == "ntlm" else unpack_token(second)

    def assertAccepted(self, context: Any, token: bytes) -> Any:
        result = acceptStep(spnegoAcceptorContext, context, token)
        self.assertTrue(result.complete)
        return result

    def assertTokenRefused(self, context: Any, token: bytes, reason: str) -> None:
        error = self.assertRaises(RefusedToken, acceptStep, spnegoAcceptorContext, context, token)
        self.assertIn(reason, str(error))

    def test_spnego(self) -> None:
        """
        A genuine SPNEGO exchange completes, the principal as the NTLM user
        file spells it.
        """
        context, resp = self.challenged()
        result = self.assertAccepted(context, wrapped(resp, resp.response_token))
        self.assertEqual((result.principal, result.protocol), ("Rafal", "ntlm"))

    def test_rawNTLM(self) -> None:
        """
        Raw NTLM (no SPNEGO) completes too, with no mechListMIC.
        """
        context, auth = self.challenged(protocol="ntlm")
        self.assertEqual(self.assertAccepted(context, auth).principal, "Rafal")

    def test_rawNTLMv1(self) -> None:
        """
        Raw NTLM gets the same check of the answer.
        """
        context, auth = self.challenged(compatLevel=1, protocol="ntlm")
        self.assertRaises(WeakNTLMResponse, acceptStep, spnegoAcceptorContext, context, auth)

    def test_ntlmWithoutSignature(self) -> None:
        """
        pyspnego's NTLM reads a message's type and ignores its signature: a
        response token of AUTHENTICATE's type is checked as one, and one
        without the signature is refused.
        """
        from spnego._ntlm_raw.messages import Authenticate

        context, resp = self.challenged(NTLM_USERS["Rafal"].swapcase(), compatLevel=0)
        forged = b"XXXXXXXX" + lmOnly(Authenticate.unpack(resp.response_token))[8:]
        self.assertTokenRefused(context, wrapped(resp, forged), "without NTLM's signature")

    def test_unknownField(self) -> None:
        context, resp = self.challenged()
        self.assertTokenRefused(
            context, wrapped(resp, resp.response_token, decoy=True), "unexpected field"
        )

    def test_repeatedField(self) -> None:
        """
        pyspnego keeps the last of repeated fields.
        """
        context, resp = self.challenged()
        token = negTokenResp(
            (0, negState(ACCEPT_INCOMPLETE)),
            (2, octets(DECOY)),
            (2, octets(resp.response_token)),
            (3, octets(resp.mech_list_mic)),
        )
        self.assertTokenRefused(context, token, "repeated or misordered field")

    def test_supportedMechFromClient(self) -> None:
        """
        supportedMech is the target's (pyspnego would switch mechanisms).
        """
        context, resp = self.challenged()
        ntlm = asn1(0, False, 6, bytes.fromhex("2b06010401823702020a"))
        token = negTokenResp(
            (0, negState(ACCEPT_INCOMPLETE)),
            (1, ntlm),
            (2, octets(resp.response_token)),
            (3, octets(resp.mech_list_mic)),
        )
        self.assertTokenRefused(context, token, "unexpected field")

    def test_bytesAfterToken(self) -> None:
        context, resp = self.challenged()
        self.assertTokenRefused(
            context, wrapped(resp, resp.response_token) + b"\x00", "bytes after the SPNEGO token"
        )

    def test_bytesAfterValue(self) -> None:
        """
        Bytes after the value in a field (pyspnego ignores them).
        """
        context, resp = self.challenged()
        token = negTokenResp(
            (0, negState(ACCEPT_INCOMPLETE)),
            (2, octets(resp.response_token) + octets(DECOY)),
            (3, octets(resp.mech_list_mic)),
        )
        self.assertTokenRefused(context, token, "malformed responseToken")

    def test_negStates(self) -> None:
        """
        A client's negState is accept-incomplete, or none; reject and
        request-mic are the target's.
        """
        for state in (REJECT, REQUEST_MIC):
            context, resp = self.challenged()
            self.assertTokenRefused(
                context, wrapped(resp, resp.response_token, state), "negState"
            )
        context, resp = self.challenged()
        self.assertAccepted(context, wrapped(resp, resp.response_token, None))

    def test_micEqualToToken(self) -> None:
        """
        pyspnego ignores a mechListMIC equal to the response token.
        """
        context, resp = self.challenged()
        token = negTokenResp((2, octets(resp.response_token)), (3, octets(resp.response_token)))
        self.assertTokenRefused(context, token, "equal to the response token")

    def test_emptyNegTokenResp(self) -> None:
        context, resp = self.challenged()
        self.assertTokenRefused(
            context, negTokenResp((0, negState(ACCEPT_INCOMPLETE))), "an empty NegTokenResp"
        )

    def test_rawAfterSPNEGO(self) -> None:
        """
        A raw AUTHENTICATE in a SPNEGO exchange (pyspnego would complete
        without the mechListMIC).
        """
        context, resp = self.challenged()
        self.assertTokenRefused(context, resp.response_token, "raw and SPNEGO tokens mixed")

    def test_negTokenInitLater(self) -> None:
        context, resp = self.challenged()
        client, first = spnegoClient("Rafal", NTLM_USERS["Rafal"])
        self.assertTokenRefused(context, first, "a NegTokenInit after the first token")

    def test_firstTokens(self) -> None:
        """
        First tokens that are not a GSS-API token holding a well-formed
        NegTokenInit (or raw NTLM or another mechanism's token) are refused.
        """
        spnegoOID = asn1(0, False, 6, bytes.fromhex("2b0601050502"))
        ntlmOID = asn1(0, False, 6, bytes.fromhex("2b06010401823702020a"))
        client, negotiate = spnegoClient("Rafal", NTLM_USERS["Rafal"], protocol="ntlm")

        def init(*fields: Tuple[int, bytes]) -> bytes:
            body = b"".join(asn1(2, True, tag, value) for tag, value in fields)
            return asn1(1, True, 0, spnegoOID + asn1(2, True, 0, asn1(0, True, 16, body)))

        mechTypes = (0, asn1(0, True, 16, ntlmOID))
        good = init(mechTypes, (2, octets(negotiate)))
        self.assertIsNotNone(acceptStep(spnegoAcceptorContext, None, good).output)
        for token, reason in (
            (good + b"\x00", "bytes after"),
            (init((2, octets(negotiate))), "without mechTypes"),
            (init(mechTypes, (3, asn1(0, True, 16, b""))), "malformed mechListMIC"),
            (init(mechTypes, (4, octets(b"mic"))), "unexpected field"),
            (negTokenResp((2, octets(negotiate))), "the first token is a NegTokenResp"),
            (b"\x60\x80" + spnegoOID + b"\x00\x00", "bad ASN.1 length"),
            (b"\x60\x85\x00\x00\x00\x00\x08" + spnegoOID, "bad ASN.1 length"),
            (b"\x60\x10" + spnegoOID, "truncated"),
            (b"\x7f\x21\x00", "unexpected ASN.1 tag"),
            (asn1(0, True, 16, b""), "neither SPNEGO"),
            (b"x", "truncated"),
        ):
            self.assertTokenRefused(None, token, reason)

    def test_ntlmOrder(self) -> None:
        """
        NTLM goes NEGOTIATE, then AUTHENTICATE, once each.
        """
        client, negotiate = spnegoClient("Rafal", NTLM_USERS["Rafal"], protocol="ntlm")
        auth = b"NTLMSSP\x00\x03\x00\x00\x00" + bytes(60)
        self.assertTokenRefused(None, auth, "NTLM messages out of order")
        first = acceptStep(spnegoAcceptorContext, None, negotiate)
        self.assertTokenRefused(first.context, negotiate, "NTLM messages out of order")

    def test_checkNTLMAuthenticate(self) -> None:
        """
        The AUTHENTICATE itself: fields inside the message, an NTLMv2
        answer, a user.
        """
        from spnego._ntlm_raw.messages import Authenticate

        context, resp = self.challenged()
        auth = Authenticate.unpack(resp.response_token)
        self.assertEqual(checkNTLMAuthenticate(resp.response_token), (None, "Rafal"))
        self.assertRaises(
            WeakNTLMResponse,
            checkNTLMAuthenticate,
            rebuiltAuthenticate(auth, nt_challenge_response=bytes(24)),
        )
        anonymous = rebuiltAuthenticate(auth, username=None)
        error = self.assertRaises(RefusedToken, checkNTLMAuthenticate, anonymous)
        self.assertIn("anonymous", str(error))
        truncated = resp.response_token[:-20]
        error = self.assertRaises(RefusedToken, checkNTLMAuthenticate, truncated)
        self.assertIn("malformed", str(error))
        self.assertRaises(RefusedToken, checkNTLMAuthenticate, resp.response_token[:40])


class CanonicalNameTests(WindowsServerMixin, SynchronousTestCase):
    """
    The principal of an NTLM login is spelled as the NTLM user file spells
    it, whatever case the client typed: names match without regard to
    case, but the OS group database does not, and the client must not
    choose which OS user's groups it gets.
    """

    setupStatements = (
        "CREATE USER 'staff_user'@'%' IDENTIFIED WITH authentication_windows AS 'staff'",
        "CREATE USER 'dba_user'@'%' IDENTIFIED WITH authentication_windows AS 'dba'",
    )

    def setUp(self) -> None:
        super().setUp()
        # Two OS users whose names differ only in case: the NTLM user file's
        # Rafal is the first.
        users = {
            "Rafal": SimpleNamespace(pw_name="Rafal", pw_gid=10),
            "rafal": SimpleNamespace(pw_name="rafal", pw_gid=20),
        }
        groups = {10: "staff", 20: "dba"}

        def getpwnam(name: str) -> Any:
            return users[name]

        self.method.groupResolver = OSGroupResolver(
            self.method.matcher,
            synchronous,
            getpwnam=getpwnam,
            getgrouplist=lambda name, gid: [gid],
            getgrgid=lambda gid: SimpleNamespace(gr_name=groups[gid]),
        )

    def test_groupsOfTheFileSpelling(self) -> None:
        """
        However the client spells C{Rafal}, it has the groups of the OS user
        C{Rafal}, and C{@@external_user} is C{Rafal}.
        """
        for typed in ("Rafal", "rafal", "RAFAL"):
            handler = self.handler(typed, NTLM_USERS["Rafal"])
            self.assertEqual(self.windowsIdentity("staff_user", handler)[3], "Rafal")
            client, server, result = self.windowsLogin("dba_user", self.handler(typed, NTLM_USERS["Rafal"]))
            self.assertRefused(result, 1045)
        self.assertIn("Rafal ('dba_user'@'localhost') matches no user or group", self.logText())
        self.assertNotIn("rafal (", self.logText())

    def test_userFileNames(self) -> None:
        """
        L{ntlmUserFileName} finds the line pyspnego takes the hashes from:
        the first whose user and domain are the client's, in any case, in
        either of the file's formats.
        """
        path = self.mktemp()
        with open(path, "w") as f:
            f.write(
                "MyDomain:domain_user:pw\n"
                ":Rafal:pw\n"
                ":rafal:other-pw\n"
                "OTHER\\tasha:1000:" + "0" * 32 + ":" + "1" * 32 + ":[U]:LCT-1\n"
                "not a line\n"
            )
        for domain, user, expected in (
            ("mydomain", "DOMAIN_USER", "MyDomain\\domain_user"),
            (None, "mydomain\\DOMAIN_USER", "MyDomain\\domain_user"),
            (None, "RAFAL", "Rafal"),
            ("", "rafal", "Rafal"),
            ("other", "TASHA", "OTHER\\tasha"),
            (None, "domain_user", None),
            ("Else", "Rafal", None),
            (None, "nobody", None),
        ):
            self.assertEqual(ntlmUserFileName(path, domain, user), expected, (domain, user))

    def test_userGoneFromFile(self) -> None:
        """
        A user whose line is gone by the time the name is read is refused.
        """
        from spnego._spnego import unpack_token

        client, first = spnegoClient("Rafal", NTLM_USERS["Rafal"])
        result = acceptStep(spnegoAcceptorContext, None, first)
        resp = unpack_token(client.step(result.output))
        real = windows.ntlmUserFileName
        self.patch(windows, "ntlmUserFileName", lambda path, domain, user: None)
        token = wrapped(resp, resp.response_token)
        error = self.assertRaises(RefusedToken, acceptStep, spnegoAcceptorContext, result.context, token)
        self.assertIn("no longer in the NTLM user file", str(error))
        self.assertIsNotNone(real(self.userFile, None, "rafal"))


def smbpasswdLine(name: str, password: str, flags: str = "[U          ]", lm: Optional[str] = None) -> str:
    """
    An smbpasswd line (C{USER:UID:LM:NT:FLAGS:LCT}) for C{name}.
    """
    import base64

    from spnego._ntlm_raw.crypto import ntowfv1

    nt = base64.b16encode(ntowfv1(password)).decode()
    return f"{name}:1001:{lm or '0' * 32}:{nt}:{flags}:LCT-5F000000\n"


class UserFileRefusalTests(WindowsServerMixin, SynchronousTestCase):
    """
    What the NTLM user file says that pyspnego does not check: an
    smbpasswd line's account flags, a hash field that is not hex, and the
    empty user name (for which pyspnego takes the file's first line).
    """

    setupStatements = (
        "CREATE USER 'ops'@'%' IDENTIFIED WITH authentication_windows "
        "AS 'MYDOMAIN\\\\olduser, MYDOMAIN\\\\newuser, X, Rafal, MyDomain\\\\domain_user'",
    )

    def writeUsers(self, text: str) -> None:
        with open(self.userFile, "w", encoding="utf-8") as f:
            f.write(text)

    def test_disabledAccountRefused(self) -> None:
        """
        An smbpasswd line flagged C{D} (disabled), or without C{U} (not a
        normal user account: C{W}, a workstation trust), refuses its user
        with the right password, even when a later line for the same user
        is enabled (pyspnego takes the first); an enabled line logs in.
        """
        self.writeUsers(
            smbpasswdLine("MYDOMAIN\\olduser", "Old-pw", "[DU         ]")
            + smbpasswdLine("MYDOMAIN\\olduser", "Old-pw")
            + smbpasswdLine("MYDOMAIN\\machine", "Old-pw", "[W          ]")
            + smbpasswdLine("MYDOMAIN\\newuser", "New-pw")
        )
        for user in ("MYDOMAIN\\olduser", "MYDOMAIN\\machine"):
            client, server, result = self.windowsLogin("ops", self.handler(user, "Old-pw"))
            self.assertRefused(result, 1045)
        self.assertIn("MYDOMAIN\\olduser is refused: the account is disabled", self.logText())
        self.assertIn("MYDOMAIN\\machine is refused: it is not a normal user account", self.logText())
        self.assertEqual(
            self.windowsIdentity("ops", self.handler("MYDOMAIN\\newuser", "New-pw"))[3],
            "MYDOMAIN\\newuser",
        )

    def test_unreadableHashRefused(self) -> None:
        """
        A hash field pyspnego cannot read (C{XXXX...}, C{NO PASSWORD...})
        refuses its user and every user after it, with a reason, and not
        those before it.
        """
        self.writeUsers(
            ":Rafal:Rafal-pw6\n"
            + smbpasswdLine("MYDOMAIN\\olduser", "Old-pw", lm="X" * 32)
            + smbpasswdLine("MYDOMAIN\\newuser", "New-pw", lm="NO PASSWORD" + "X" * 21)
            + "MyDomain:domain_user:Domain-pw1\n"
        )
        for user, password in (
            ("MYDOMAIN\\olduser", "Old-pw"),
            ("MyDomain\\domain_user", "Domain-pw1"),
        ):
            client, server, result = self.windowsLogin("ops", self.handler(user, password))
            self.assertRefused(result, 1045)
        self.assertIn("line 2 of the NTLM user file has a hash that is not hex", self.logText())
        self.assertEqual(self.windowsIdentity("ops", self.handler("Rafal"))[3], "Rafal")
        error = self.assertRaises(RefusedToken, ntlmUserFileName, self.userFile, None, "nobody")
        self.assertIn("line 2", str(error))

    def test_emptySplitUserRefused(self) -> None:
        """
        An AUTHENTICATE whose user name, split as pyspnego splits it, is
        empty (C{X\\\\}, no domain: pyspnego checks it against the first
        line's password) is refused, and a line with an empty user name
        (C{X::}) never names the principal.
        """
        import os as _os

        from spnego._ntlm_raw.crypto import compute_response_v2, ntowfv1, ntowfv2
        from spnego._ntlm_raw.messages import Authenticate, AvId, Challenge

        self.writeUsers("MyDomain:domain_user:Domain-pw1\nX::\n")
        client, first = spnegoClient("x", "y", protocol="ntlm")
        result = acceptStep(spnegoAcceptorContext, None, first)
        challenge = Challenge.unpack(result.output)
        info = challenge.target_info.copy()
        key = ntowfv2("X\\", ntowfv1("Domain-pw1"), None)
        nt, _, _ = compute_response_v2(
            key, challenge.server_challenge, _os.urandom(8), info[AvId.timestamp], info
        )
        token = Authenticate(challenge.flags, bytes(24), nt, username="X\\").pack()
        error = self.assertRaises(RefusedToken, acceptStep, spnegoAcceptorContext, result.context, token)
        self.assertIn("in the NTLM user name is refused", str(error))
        for domain, user in ((None, "X\\"), ("X", ""), (None, "")):
            error = self.assertRaises(RefusedToken, ntlmUserFileName, self.userFile, domain, user)
            self.assertIn("empty NTLM user name", str(error))


class RelayTests(WindowsServerMixin, SynchronousTestCase):
    """
    With a principal name configured, an NTLMv2 response whose
    C{MsvAvTargetName} names another target (a login meant for another
    service, relayed here) is refused; one naming this server, or none, is
    accepted.
    """

    setupStatements = ("CREATE USER 'sql'@'%' IDENTIFIED WITH authentication_windows AS 'Rafal'",)

    def victim(self, service: Optional[str], host: Optional[str]) -> WindowsClientHandler:
        """
        A client whose pyspnego context targets C{service/host} (nothing
        for L{None}), whatever the server sent.
        """
        import spnego

        def context(target: Optional[str]) -> Any:
            # Neither: no target name at all (pyspnego's defaults name one).
            kwargs = {"service": service, "hostname": host}
            return spnego.client(
                "Rafal",
                NTLM_USERS["Rafal"],
                protocol="negotiate",
                options=spnego.NegotiateOptions.use_negotiate,
                **kwargs,
            )

        return WindowsClientHandler(contextFactory=context)

    def test_relayedLoginRefused(self) -> None:
        """
        A login meant for C{cifs/fileserver} or C{HTTP/evil.example} is
        refused by a server named C{MySQL/db.example.com@EXAMPLE.COM} or
        C{mysql@EXAMPLE.COM}.
        """
        for principal in ("MySQL/db.example.com@EXAMPLE.COM", "mysql@EXAMPLE.COM"):
            self.method.variables["authentication_windows_principal_name"] = principal
            for service, host in (("cifs", "fileserver"), ("HTTP", "evil.example")):
                client, server, result = self.windowsLogin("sql", self.victim(service, host))
                self.assertRefused(result, 1045)
                self.assertIn(f"the NTLM response is for '{service}/{host}'", self.logText())

    def test_ownTargetAccepted(self) -> None:
        """
        This package's client logs in: with an SPN it names the SPN without
        its realm, in any case; with a UPN, or no principal name sent, it
        names pyspnego's C{host/unspecified}, taken as no target; so does
        one that names none. A server without a principal name checks
        nothing.
        """
        for principal in ("MySQL/db.example.com@EXAMPLE.COM", "mysql/DB.example.com", "mysql@EXAMPLE.COM"):
            self.method.variables["authentication_windows_principal_name"] = principal
            self.assertEqual(self.windowsIdentity("sql", self.handler("Rafal"))[3], "Rafal")
        self.method.variables["authentication_windows_principal_name"] = "MySQL/db.example.com@EXAMPLE.COM"
        for service, host in (("mysql", "db.example.com"), ("host", "unspecified"), (None, None)):
            self.assertEqual(self.windowsIdentity("sql", self.victim(service, host))[3], "Rafal")
        self.method.variables["authentication_windows_principal_name"] = ""
        self.assertEqual(self.windowsIdentity("sql", self.victim("cifs", "fileserver"))[3], "Rafal")

    def test_sameTarget(self) -> None:
        """
        L{windows.sameTarget} ignores case, and an SPN's realm.
        """
        for expected, sent, same in (
            ("mysql@EXAMPLE.COM", "MYSQL@example.com", True),
            ("MySQL/db@EXAMPLE.COM", "mysql/DB", True),
            ("MySQL/db", "MySQL/db@EXAMPLE.COM", True),
            ("MySQL/db@EXAMPLE.COM", "cifs/db", False),
            ("mysql@EXAMPLE.COM", "mysql", False),
            ("mysql@EXAMPLE.COM", "cifs/fileserver", False),
        ):
            self.assertEqual(windows.sameTarget(expected, sent), same, (expected, sent))


class SessionSecretsTests(WindowsServerMixin, SynchronousTestCase):
    """
    The credentials stay with the connection; the tokens do not.
    """

    setupStatements = (
        "CREATE USER 'sql_admin'@'%' IDENTIFIED WITH authentication_windows AS 'Rafal'",
        "CREATE USER 'proxied'@'localhost' IDENTIFIED WITH mysql_no_login",
        "CREATE USER 'win_proxy'@'%' IDENTIFIED WITH authentication_windows AS 'Rafal = proxied'",
    )

    def assertNoTokens(self, server: Any) -> Any:
        credentials = server.attempt.credentials
        self.assertIs(credentials, server._exchange.credentials)
        self.assertIsNone(credentials.firstToken)
        self.assertIsNone(credentials.finalToken)
        self.assertIsNone(credentials.channel)
        return credentials

    def test_afterSuccess(self) -> None:
        """
        After a login only C{externalUser} (and the round count) remain;
        the final token went to the client.
        """
        handler = self.handler("Rafal")
        client, server, result = self.windowsLogin("sql_admin", handler)
        self.assertTrue(hasattr(result, "greeting"), result)
        self.assertTrue(handler.initiator.complete)
        credentials = self.assertNoTokens(server)
        self.assertEqual(credentials.externalUser, "Rafal")
        self.assertEqual(server.avatar.externalUser, "Rafal")

    def test_afterFailure(self) -> None:
        """
        A wrong password leaves no token either.
        """
        client, server, result = self.windowsLogin("sql_admin", self.handler("Rafal", "wrong"))
        self.assertRefused(result, 1045)
        self.assertNoTokens(server)

    def test_afterRealmRefusal(self) -> None:
        """
        Nor does a login the checker accepted and the realm refused (no
        PROXY grant).
        """
        client, server, result = self.windowsLogin("win_proxy", self.handler("Rafal"))
        self.assertRefused(result, 1045)
        credentials = server.attempt.credentials
        self.assertIsNone(credentials.firstToken)
        self.assertIsNone(credentials.channel)


class ThreadRunnerTests(TestCase):
    """
    L{ThreadRunner} on the real reactor: stopping it never waits on the
    reactor thread for a call stuck in a thread.
    """

    def blocked(self, run: Any) -> Tuple[defer.Deferred, threading.Event]:
        """
        Start a call that blocks (at most 2 seconds) until released.
        """
        started, release = threading.Event(), threading.Event()

        def stuck() -> str:
            started.set()
            release.wait(2)
            return "done"

        call = run(stuck)
        self.assertTrue(started.wait(2))
        self.addCleanup(release.set)
        return call, release

    def test_stopDoesNotWait(self) -> None:
        """
        C{stop} returns at once; its L{Deferred} fires when the threads have
        ended, after the stuck call has finished.
        """
        from twisted.internet import reactor

        runner = ThreadRunner(reactor, 1)
        call, release = self.blocked(runner)
        began = time.monotonic()
        stopped = runner.stop()
        self.assertLess(time.monotonic() - began, 0.5)
        self.assertFalse(stopped.called)
        self.assertIsNone(runner._pool)
        release.set()
        return defer.gatherResults([call, stopped]).addCallback(
            self.assertEqual, ["done", None]
        )

    def test_stopIdle(self) -> None:
        """
        Stopping a runner that never ran (or twice) is immediate.
        """
        from twisted.internet import reactor

        runner = ThreadRunner(reactor, 1)
        self.assertIsNone(self.successResultOf(runner.stop()))
        return runner(lambda: 7).addCallback(lambda seven: runner.stop())

    def test_reinitializeDoesNotWait(self) -> None:
        """
        A new configuration replaces the method's threads without waiting
        for the old ones; a stuck login step finishes in the old pool.
        """
        from twisted.internet import reactor

        userFile, _ = windowsFiles(self, "")
        method = WindowsAuthMethod(ntlmUserFile=userFile, reactor=reactor, threads=1)
        method.initialize(None)
        call, release = self.blocked(method.runInThread)
        began = time.monotonic()
        method.initialize(None)
        self.assertLess(time.monotonic() - began, 0.5)
        release.set()
        return call.addCallback(lambda result: method.stop())
