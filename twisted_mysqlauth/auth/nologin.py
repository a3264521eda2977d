# -*- test-case-name: tests.test_proxy -*-
# Copyright (c) twisted_mysqlauth developers.
# See LICENSE for details.
"""
C{mysql_no_login}: every direct login to the account is refused right
after the handshake response (ERR 1045, "using password: NO"); the account
stays usable as a proxied target.
"""

from __future__ import annotations

from zope.interface import implementer

from twisted.cred.error import UnauthorizedLogin
from twisted.plugin import IPlugin

from twisted_mysqlauth import errors
from twisted_mysqlauth.auth.base import LoginAttempt
from twisted_mysqlauth.interfaces import IAuthExchange, IAuthMethod


@implementer(IAuthExchange)
class NoLoginExchange:
    """
    Refuse, without reading anything.
    """

    def __init__(self, attempt: LoginAttempt) -> None:
        self.attempt = attempt

    def initialData(self) -> bytes:
        return b""

    def responseReceived(self, data: bytes):
        raise UnauthorizedLogin("mysql_no_login accounts cannot log in")

    def loginFailed(self, reason):
        return reason

    def loginSucceeded(self) -> None:
        return None


@implementer(IAuthMethod, IPlugin)
class NoLoginMethod:
    """
    The server side of C{mysql_no_login}.
    """

    pluginName = "mysql_no_login"
    clientPluginName = None
    aliases = ("mysql_no_login.so",)
    library = "mysql_no_login.so"
    requiresSecureTransport = False
    passwordUsed = True
    description = "No login authentication"

    def newExchange(self, context: LoginAttempt) -> NoLoginExchange:
        return NoLoginExchange(context)

    def hashPassword(self, password: bytes) -> bytes:
        raise errors.NotSupportedYet(what="a password for a mysql_no_login account")

    def checkAuthString(self, authString: bytes) -> bytes:
        return authString


theNoLoginMethod = NoLoginMethod()
