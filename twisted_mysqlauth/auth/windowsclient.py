# -*- test-case-name: tests.test_windows -*-
# Copyright (c) twisted_mysqlauth developers.
# See LICENSE for details.
"""
The client side of C{authentication_windows}: the client plugin
C{authentication_windows_client}, on U{pyspnego<https://pypi.org/project/pyspnego/>},
so that Linux users (and the tests) can log in to a server that uses
Windows authentication.

The exchange, as libmysqlclient's C{libmysql/authentication_win} and
Connector/NET's C{WindowsAuthenticationPlugin.cs} run it:

 1. The server's AuthSwitchRequest carries its principal name (the UPN of
    the account the server runs as), UTF-8, or a first byte 0 for none;
    the client uses it as the target name of its security context (none:
    Kerberos cannot be used, NTLM can).
 2. The client sends its first SPNEGO token. libmysqlclient splits a first
    token longer than 254 bytes: a 255-byte packet (the first 254 bytes and
    one byte holding the number of 512-byte blocks the whole token needs),
    then a packet with the rest. Connector/NET never splits. Later tokens
    are never split.
 3. Each AuthMoreData packet from the server (the 0x01 prefix removed) is
    the server's next token; the client answers with its own, until its
    context is complete; at most 50 rounds. A server token that completes
    the client's context gets no answer: the client then waits for the OK.

L{WindowsAuthInitiator} is that exchange without I/O;
L{WindowsClientHandler} plugs it into
L{twisted_mysqlauth.testing.MySQLTestClient}, and L{pymysqlHandler} makes
an C{auth_plugin_map} entry for PyMySQL::

    pymysql.connect(host=..., user="win_proxy", auth_plugin_map={
        "authentication_windows_client": pymysqlHandler("MyDomain\\\\rafal", "pw")})

Without a user name, pyspnego finds the credentials itself: on Windows the
logged-in user (single sign-on, through SSPI), elsewhere a Kerberos ticket
cache or the first entry of the file named by C{NTLM_USER_FILE}.
"""

from __future__ import annotations

import math
import os
from typing import Any, Callable, List, Optional

#: The client plugin's name.
CLIENT_PLUGIN_NAME = "authentication_windows_client"

#: Framing of libmysqlclient: a first token longer than 254 bytes is split.
LIBMYSQLCLIENT = "libmysqlclient"

#: Framing of Connector/NET: tokens are never split.
CONNECTOR_NET = "connector-net"

#: The most rounds either side runs (libmysqlclient's MAX_HANDSHAKE_ROUNDS).
MAX_ROUNDS = 50

#: The longest first token libmysqlclient sends in one packet.
FIRST_PACKET_LIMIT = 254

#: The size of the blocks whose count the split first packet ends with.
SPLIT_BLOCK_SIZE = 512


class WindowsClientError(Exception):
    """
    The client side cannot go on (the server's data is malformed, the
    security context failed, too many rounds).
    """


def frameFirstToken(token: bytes, framing: str = LIBMYSQLCLIENT) -> List[bytes]:
    """
    The packets that carry the first token.

    @param token: the client's first token.
    @param framing: L{LIBMYSQLCLIENT} (split above 254 bytes) or
        L{CONNECTOR_NET} (never split).
    @return: one packet, or two for a split token.
    """
    if framing == CONNECTOR_NET or len(token) <= FIRST_PACKET_LIMIT:
        return [token]
    if framing != LIBMYSQLCLIENT:
        raise ValueError(f"unknown framing {framing!r}")
    blocks = math.ceil(len(token) / SPLIT_BLOCK_SIZE)
    if blocks > 0xFF:
        raise WindowsClientError(f"a first token of {len(token)} bytes cannot be split")
    first = token[:FIRST_PACKET_LIMIT] + bytes([blocks])
    return [first, token[FIRST_PACKET_LIMIT:]]


def targetFromServerData(data: bytes) -> Optional[str]:
    """
    The target name the server sent: its principal name, or L{None} when the
    data is empty or starts with a 0 byte (as libmysqlclient reads it).
    """
    if not data or data[0] == 0:
        return None
    try:
        return data.rstrip(b"\x00").decode("utf-8")
    except UnicodeDecodeError:
        # libmysqlclient then goes on without a target name, too.
        return None


def spnegoClientContext(
    username: Optional[str] = None,
    password: Optional[str] = None,
    target: Optional[str] = None,
    protocol: str = "negotiate",
) -> Any:
    """
    A pyspnego initiator.

    @param username: the Windows user (C{DOMAIN\\\\user} or C{user@REALM}),
        or L{None} for pyspnego's default credentials.
    @param password: its password, or L{None}.
    @param target: the server's principal name. A service principal name
        C{service/host} is used as the Kerberos target; a user principal
        name cannot be given to pyspnego as a target, so it is ignored
        (Kerberos is then not possible; NTLM is).
    @param protocol: C{negotiate} (SPNEGO, as libmysqlclient), or C{ntlm}
        or C{kerberos} for raw tokens.
    """
    import spnego

    kwargs: dict = {}
    if target and "/" in target:
        service, _, host = target.partition("/")
        kwargs["service"] = service
        kwargs["hostname"] = host.partition("@")[0]
    options = spnego.NegotiateOptions.none
    if os.name != "nt" and protocol == "negotiate":
        # pyspnego's own SPNEGO: NTLM in Python, Kerberos through gssapi
        # when it is installed (GSSAPI's SPNEGO would need gss-ntlmssp).
        options = spnego.NegotiateOptions.use_negotiate
    return spnego.client(username, password, protocol=protocol, options=options, **kwargs)


class WindowsAuthInitiator:
    """
    The client plugin's exchange, without I/O.

    @ivar target: the target name the server sent, once started.
    @ivar rounds: the tokens sent so far.
    @ivar packets: the sizes of the packets produced, in order.
    """

    def __init__(
        self,
        username: Optional[str] = None,
        password: Optional[str] = None,
        framing: str = LIBMYSQLCLIENT,
        contextFactory: Optional[Callable[[Optional[str]], Any]] = None,
    ) -> None:
        """
        @param contextFactory: C{target -> context} with C{step(token)} and
            C{complete} (a pyspnego context); by default
            L{spnegoClientContext} with C{username} and C{password}.
        """
        if framing not in (LIBMYSQLCLIENT, CONNECTOR_NET):
            raise ValueError(f"unknown framing {framing!r}")
        if contextFactory is None:

            def contextFactory(target: Optional[str]) -> Any:
                return spnegoClientContext(username, password, target)

        self._contextFactory = contextFactory
        self.framing = framing
        self.target: Optional[str] = None
        self.rounds = 0
        self.packets: List[int] = []
        self._context: Any = None

    @property
    def complete(self) -> bool:
        """
        Whether the client's security context is established.
        """
        return self._context is not None and bool(self._context.complete)

    def start(self, serverData: bytes) -> List[bytes]:
        """
        The server switched to this plugin with C{serverData}.

        @return: the packets that carry the first token.
        """
        if self._context is not None:
            raise WindowsClientError("the exchange has already started")
        self.target = targetFromServerData(serverData)
        try:
            self._context = self._contextFactory(self.target)
            token = self._context.step()
        except WindowsClientError:
            raise
        except Exception as e:
            raise WindowsClientError(f"cannot start the security context: {e}") from e
        if not token:
            raise WindowsClientError("the security context produced no first token")
        self.rounds = 1
        packets = frameFirstToken(token, self.framing)
        self.packets.extend(len(p) for p in packets)
        return packets

    def moreData(self, data: bytes) -> List[bytes]:
        """
        The server sent C{data} (an AuthMoreData payload without its 0x01).

        @return: the packet to answer with, or none when this token
            completed the client's context.
        """
        if self._context is None:
            raise WindowsClientError("the server sent data before the exchange started")
        if self.complete:
            raise WindowsClientError("the server sent data after the exchange completed")
        try:
            token = self._context.step(data)
        except Exception as e:
            raise WindowsClientError(f"the server's token was refused: {e}") from e
        if not token:
            if not self.complete:
                raise WindowsClientError("no token to send but the exchange is not complete")
            return []
        if self.rounds >= MAX_ROUNDS:
            raise WindowsClientError(f"no result after {MAX_ROUNDS} rounds")
        self.rounds += 1
        self.packets.append(len(token))
        return [token]


class WindowsClientHandler:
    """
    C{authentication_windows_client} for
    L{twisted_mysqlauth.testing.MySQLTestClient}: use as
    C{MySQLTestClient(b"win_proxy", authHandlers={"authentication_windows_client":
    WindowsClientHandler("MyDomain\\\\rafal", "pw")})}.

    It takes the arguments of L{WindowsAuthInitiator}.

    @ivar initiator: the L{WindowsAuthInitiator} of the last login.
    """

    def __init__(self, *arguments: Any, **options: Any) -> None:
        self._arguments = arguments
        self._options = options
        self.initiator: Optional[WindowsAuthInitiator] = None

    def __call__(self, client: Any) -> "WindowsClientHandler":
        self.initiator = WindowsAuthInitiator(*self._arguments, **self._options)
        return self

    def start(self, data: bytes) -> List[bytes]:
        assert self.initiator is not None
        return self.initiator.start(data)

    def moreData(self, payload: bytes) -> List[bytes]:
        assert self.initiator is not None
        if payload[:1] != b"\x01":
            raise WindowsClientError(f"unexpected packet type {payload[:1]!r} during the exchange")
        return self.initiator.moreData(payload[1:])


def pymysqlHandler(*arguments: Any, **options: Any) -> type:
    """
    A PyMySQL authentication plugin handler class for
    C{authentication_windows_client}, for C{pymysql.connect(...,
    auth_plugin_map={"authentication_windows_client": cls})}; the arguments
    are those of L{WindowsAuthInitiator}.

    PyMySQL makes one handler per connection and calls its
    C{authenticate(packet)} with the AuthSwitchRequest (read up to the
    plugin data); the handler runs the whole exchange and returns the OK
    packet. A failing client side is reported as PyMySQL's
    C{OperationalError} 2061 (CR_AUTH_PLUGIN_ERR).
    """

    class WindowsAuthPlugin:
        def __init__(self, connection: Any) -> None:
            self.connection = connection
            self.initiator = WindowsAuthInitiator(*arguments, **options)

        def authenticate(self, packet: Any) -> Any:
            from pymysql import err

            try:
                return self._run(packet)
            except WindowsClientError as e:
                raise err.OperationalError(2061, f"authentication_windows_client: {e}") from e

        def _run(self, packet: Any) -> Any:
            connection = self.connection
            if self.initiator.rounds == 0:
                outgoing = self.initiator.start(packet.read_all())
            else:
                outgoing = self.initiator.moreData(packet.read_all()[1:])
            while True:
                for payload in outgoing:
                    connection.write_packet(payload)
                # Raises the server's error for an ERR packet.
                packet = connection._read_packet()
                if not packet.is_extra_auth_data():
                    return packet
                outgoing = self.initiator.moreData(packet.read_all()[1:])

    return WindowsAuthPlugin
