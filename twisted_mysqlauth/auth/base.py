# -*- test-case-name: tests.test_methods -*-
# Copyright (c) twisted_mysqlauth developers.
# See LICENSE for details.
"""
What an auth method works with: the L{LoginAttempt} of one connection, and
the steps an exchange returns (L{SendMoreData}, L{TryLogin}).
"""

from __future__ import annotations

from typing import Any, Optional, Tuple

import attr
from twisted.cred.error import LoginFailed, UnauthorizedLogin

from twisted_mysqlauth.accounts.model import Account, ClientAddress


@attr.s(frozen=True, slots=True, auto_attribs=True)
class SendMoreData:
    """
    A step: send C{data} to the client as AuthMoreData and wait for its next
    packet.

    @ivar alwaysWrap: prefix C{0x01} to every packet, as MySQL does (the
        client plugins of C{caching_sha2_password}, C{sha256_password} and
        C{authentication_windows} require it). When false the prefix is
        added only where the first byte could be mistaken for an OK, an ERR,
        an AuthSwitchRequest or the prefix itself (C{0x00}, C{0x01}, C{0xFE},
        C{0xFF}), as MariaDB does: C{dialog} clients such as PyMySQL read the
        first byte as the question type and need the prompt unwrapped.
    """

    data: bytes
    alwaysWrap: bool = True


@attr.s(frozen=True, slots=True, auto_attribs=True)
class ReadMore:
    """
    A step: send nothing and wait for the client's next packet (a token the
    client split over two packets).
    """


@attr.s(frozen=True, slots=True, auto_attribs=True)
class TryLogin:
    """
    A step: hand C{credentials} to the portal.
    """

    credentials: Any


class MalformedResponse(UnauthorizedLogin):
    """
    The client's bytes do not fit the method (MySQL's ER_HANDSHAKE_ERROR
    1043 when C{handshakeError} is set, else an access denial).
    """

    def __init__(self, message: str = "malformed response", handshakeError: bool = False):
        super().__init__(message)
        self.handshakeError = handshakeError


class LoginRefusedWith(LoginFailed):
    """
    A refusal that carries the MySQL error to send (for example account
    locked, 3118), raised by a realm or a method.

    @ivar error: the L{twisted_mysqlauth.errors.MySQLError}.
    """

    def __init__(self, error: Any) -> None:
        super().__init__(error.message)
        self.error = error


class StoredHashMethod:
    """
    The storage side of a password method whose accounts keep a hash made
    and checked by three functions of L{twisted_mysqlauth.auth.hashing}
    (an L{IPasswordMethod<twisted_mysqlauth.interfaces.IPasswordMethod>}
    base: subclasses name the functions and write the exchange). They are
    looked up by name at each call.

    @cvar hashFunctions: the names of C{password -> authentication string},
        of C{string -> string} (raising L{ValueError} when it is not a hash
        of this method: MySQL's error 1827), and of C{(authentication
        string, password) -> bool}.
    """

    hashFunctions: Tuple[str, str, str]

    def _function(self, index: int) -> Any:
        from twisted_mysqlauth.auth import hashing

        return getattr(hashing, self.hashFunctions[index])

    def hashPassword(self, password: bytes) -> bytes:
        return self._function(0)(password)

    def checkAuthString(self, authString: bytes) -> bytes:
        from twisted_mysqlauth import errors

        try:
            return self._function(1)(authString)
        except ValueError:
            raise errors.PasswordFormat() from None

    def verifyPassword(self, authString: bytes, password: bytes) -> bool:
        return bool(self._function(2)(authString, password))


@attr.s(auto_attribs=True, eq=False)
class LoginAttempt:
    """
    Everything known about one connection's login; the exchange reads it,
    the realm gets it as the I{mind}. Checkers never see it: they only see
    credentials.

    @ivar connectionId: the connection's id.
    @ivar client: where the client connects from.
    @ivar handshakeNonce: the 20-byte nonce sent in the greeting.
    @ivar secure: the transport is TLS or a UNIX socket (caching_sha2's
        notion of secure).
    @ivar tls: the transport is TLS (sha256_password's notion of secure).
    @ivar server: the L{twisted_mysqlauth.server.ServerConfiguration}.
    @ivar username: the user name the client sent (text); L{None} until the
        handshake response arrives.
    @ivar account: the matched account (or the decoy for an unknown user);
        L{None} until then.
    @ivar knownUser: whether C{account} is a real account.
    @ivar database: the initial database the client asked for.
    @ivar clientPluginName: the client plugin of the handshake response.
    @ivar connectAttributes: the connection attributes, (key, value) pairs
        of bytes, parsed from C{connectAttributesBlock} when first read
        (a malformed block gives the pairs before the malformed one, as
        MySQL's performance schema keeps them); may be set, until the block
        is replaced. (Not a constructor argument: give the block.)
    @ivar connectAttributesBlock: the attribute block the client sent
        (without its length).
    @ivar passwordUsed: set by exchanges that received a non-empty password
        response: C{(using password: YES)} in a refusal.
    @ivar peerCredentials: the UNIX peer credentials read at connect, or
        L{None}.
    @ivar credentials: the credentials of the login being checked; a
        checker may record on them what it verified (the C{externalUser}).
    @ivar channel: the L{IAuthChannel
        <twisted_mysqlauth.interfaces.IAuthChannel>} through which an
        exchange converses with the client while its credentials are being
        checked (a PAM stack asking a second question); set by the protocol.
        Once the connection is lost it sends nothing and its reads fail, and
        it no longer refers to the connection (credentials may keep it).
    """

    connectionId: int
    client: ClientAddress
    handshakeNonce: bytes
    secure: bool
    tls: bool
    server: Any
    username: Optional[str] = None
    account: Optional[Account] = None
    knownUser: bool = False
    database: Optional[str] = None
    clientPluginName: Optional[str] = None
    connectAttributesBlock: bytes = b""
    passwordUsed: bool = False
    peerCredentials: Any = None
    credentials: Any = None
    channel: Any = None
    # (The block the pairs below were read from, and the pairs.)
    _connectAttributes: Optional[tuple] = attr.ib(default=None, init=False, repr=False)

    @property
    def connectAttributes(self) -> Tuple[Tuple[bytes, bytes], ...]:
        # Parsed only when asked for: most logins never look at them, and
        # parsing was a tenth of a login's Python work. Read again when the
        # block was replaced since.
        block = self.connectAttributesBlock
        cached = self._connectAttributes
        if cached is None or cached[0] is not block:
            from twisted_mysqlauth.wire.packets import parseConnectAttributes

            cached = (block, parseConnectAttributes(block, strict=False))
            self._connectAttributes = cached
        return cached[1]

    @connectAttributes.setter
    def connectAttributes(self, pairs) -> None:
        # Kept until the block is replaced.
        self._connectAttributes = (self.connectAttributesBlock, tuple(pairs))

    @property
    def usernameBytes(self) -> bytes:
        """
        The user name as UTF-8 bytes (a cred avatarId is bytes).
        """
        return (self.username or "").encode("utf-8")
