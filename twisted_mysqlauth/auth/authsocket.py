# -*- test-case-name: tests.test_authsocket -*-
# Copyright (c) twisted_mysqlauth developers.
# See LICENSE for details.
"""
C{auth_socket} (MariaDB: C{unix_socket}): the client's OS user, read from
the UNIX socket's peer credentials, must be the MySQL user name it asks
for, or the name in the account's authentication string
(C{IDENTIFIED WITH auth_socket AS 'stephanie'}).

The client needs no client plugin and sends no password: the server
answers OK or ERR 1698 right after the handshake response. Over TCP there
are no peer credentials and every login is refused.
"""

from __future__ import annotations

from typing import Any, Optional

from zope.interface import Attribute, implementer

from twisted.cred.error import UnauthorizedLogin
from twisted.plugin import IPlugin

from twisted_mysqlauth import errors
from twisted_mysqlauth.accounts.model import Account
from twisted_mysqlauth.auth.base import LoginAttempt, TryLogin
from twisted_mysqlauth.credentials import IAccountCredentials
from twisted_mysqlauth.interfaces import IAuthExchange, IAuthMethod
from twisted_mysqlauth.peercred import (
    IUNIXPeerCredentials,
    PeerCredentials,
    PeerCredentialsChecker,
)

#: The longest OS user name accepted in an authentication string.
MAX_OS_USER_LENGTH = 255


class ISocketPeerCredentials(IUNIXPeerCredentials, IAccountCredentials):
    """
    Peer credentials offered for a MySQL account.
    """

    externalUser = Attribute(
        "Set by the checker on success: the OS user name (C{@@external_user})."
    )


@implementer(ISocketPeerCredentials)
class SocketPeerCredentials:
    """
    The peer credentials of a connection, for the account it asks for.
    """

    def __init__(self, username: bytes, account: Account, peer: Optional[PeerCredentials]):
        self.username = username
        self.account = account
        self.peer = peer
        self.externalUser: Optional[str] = None

    def __repr__(self) -> str:
        return f"<SocketPeerCredentials {self.peer!r} for {self.account.name}>"


class AuthSocketChecker(PeerCredentialsChecker):
    """
    Permit a socket peer whose OS user name is the MySQL user name it sent,
    or the account's authentication string; the avatar id is the account's
    user name (no proxying) and the OS user name is recorded as the external
    user.
    """

    credentialInterfaces = (ISocketPeerCredentials,)

    def requestAvatarId(self, credentials: Any):
        if credentials.peer is None:
            raise UnauthorizedLogin("auth_socket needs a UNIX socket")
        requested = credentials.username.decode("utf-8", "replace")
        allowed = credentials.account.authString.decode("utf-8", "replace")

        def check(osUser: str) -> bytes:
            if osUser == requested or (allowed and osUser == allowed):
                credentials.externalUser = osUser
                return credentials.account.user.encode("utf-8")
            raise UnauthorizedLogin("OS user does not match")

        return self.userName(credentials.peer.uid).addCallback(check)


@implementer(IAuthExchange)
class AuthSocketExchange:
    """
    One C{auth_socket} login: no packets, just the peer credentials read
    when the connection was made.
    """

    def __init__(self, attempt: LoginAttempt) -> None:
        self.attempt = attempt

    def initialData(self) -> bytes:
        return b""

    def responseReceived(self, data: bytes) -> TryLogin:
        attempt = self.attempt
        assert attempt.account is not None
        return TryLogin(
            SocketPeerCredentials(attempt.usernameBytes, attempt.account, attempt.peerCredentials)
        )

    def loginFailed(self, reason):
        return reason

    def loginSucceeded(self) -> None:
        return None


@implementer(IAuthMethod, IPlugin)
class AuthSocketMethod:
    """
    The server side of C{auth_socket}.
    """

    pluginName = "auth_socket"
    clientPluginName = None
    aliases = ("auth_socket.so", "unix_socket", "auth_socket.dll")
    library = "auth_socket.so"
    requiresSecureTransport = False
    passwordUsed = False
    description = "Unix Socket based authentication"

    def credentialsCheckers(self):
        """
        @return: the checker of this method's credentials, for the portal.
        """
        return [AuthSocketChecker()]

    def newExchange(self, context: LoginAttempt) -> AuthSocketExchange:
        return AuthSocketExchange(context)

    def hashPassword(self, password: bytes) -> bytes:
        # auth_socket keeps no password: IDENTIFIED WITH auth_socket BY 'x'
        # stores the OS user name as given, like AS 'x'.
        return self.checkAuthString(password)

    def checkAuthString(self, authString: bytes) -> bytes:
        try:
            text = authString.decode("utf-8")
        except UnicodeDecodeError:
            raise errors.WrongValueForVar(name="authentication_string", value="not UTF-8") from None
        if "\x00" in text or len(text) > MAX_OS_USER_LENGTH:
            raise errors.WrongValueForVar(name="authentication_string", value=text[:64])
        return authString


theAuthSocketMethod = AuthSocketMethod()
