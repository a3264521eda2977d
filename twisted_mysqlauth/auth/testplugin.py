# -*- test-case-name: tests.test_proxy -*-
# Copyright (c) twisted_mysqlauth developers.
# See LICENSE for details.
"""
C{test_plugin_server} (client plugin C{auth_test_plugin}), MySQL's test
authentication plugin, as the manual's proxy-user examples use it.

The server sends one byte, C{0x05} (a dialog "password, last" prompt); the
client answers with its password and a NUL. The password must equal the
account's authentication string, and that string is returned as the
authenticated identity (C{authenticated_as}) and the external user: an
account C{IDENTIFIED WITH test_plugin_server AS 'employee'} proxies to
C{employee} through its PROXY grant. The string is kept as given: this is
a test plugin, never a way to store a real password.
"""

from __future__ import annotations

import hmac
from typing import Any, Optional

from zope.interface import Attribute, implementer

from twisted.cred.checkers import ICredentialsChecker
from twisted.cred.error import UnauthorizedLogin
from twisted.plugin import IPlugin

from twisted_mysqlauth.accounts.model import Account
from twisted_mysqlauth.auth.base import LoginAttempt, MalformedResponse, TryLogin
from twisted_mysqlauth.credentials import IAccountCredentials
from twisted_mysqlauth.interfaces import IAuthExchange, IAuthMethod

#: The dialog type byte the server sends: a password question, the last.
PASSWORD_LAST_QUESTION = b"\x05"


class ITestPluginCredentials(IAccountCredentials):
    """
    The answer of an C{auth_test_plugin} client.
    """

    password = Attribute("The bytes the client answered.")
    externalUser = Attribute("Set by the checker on success.")


@implementer(ITestPluginCredentials)
class TestPluginCredentials:
    """
    See L{ITestPluginCredentials}.
    """

    def __init__(self, username: bytes, account: Account, password: bytes) -> None:
        self.username = username
        self.account = account
        self.password = password
        self.externalUser: Optional[str] = None

    def __repr__(self) -> str:
        return f"<TestPluginCredentials for {self.account.name}>"


@implementer(ICredentialsChecker)
class TestPluginChecker:
    """
    Accept the answer that equals the account's authentication string; the
    identity is that string.
    """

    credentialInterfaces = (ITestPluginCredentials,)

    def requestAvatarId(self, credentials: Any) -> bytes:
        expected = credentials.account.authString
        if expected and hmac.compare_digest(credentials.password, expected):
            credentials.externalUser = expected.decode("utf-8", "replace")
            return expected
        raise UnauthorizedLogin()


@implementer(IAuthExchange)
class TestPluginExchange:
    """
    One run of C{test_plugin_server}.
    """

    def __init__(self, attempt: LoginAttempt) -> None:
        self.attempt = attempt

    def initialData(self) -> bytes:
        return PASSWORD_LAST_QUESTION

    def responseReceived(self, data: bytes) -> TryLogin:
        if b"\x00" in data[:-1]:
            raise MalformedResponse("NUL inside the answer")
        password = data[:-1] if data.endswith(b"\x00") else data
        self.attempt.passwordUsed = bool(password)
        attempt = self.attempt
        assert attempt.account is not None
        return TryLogin(TestPluginCredentials(attempt.usernameBytes, attempt.account, password))

    def loginFailed(self, reason):
        return reason

    def loginSucceeded(self) -> None:
        return None


@implementer(IAuthMethod, IPlugin)
class TestPluginMethod:
    """
    The server side of C{test_plugin_server}.
    """

    pluginName = "test_plugin_server"
    clientPluginName = "auth_test_plugin"
    aliases = ("auth_test_plugin", "auth_test_plugin.so")
    library = "auth_test_plugin.so"
    requiresSecureTransport = False
    passwordUsed = True
    description = "plugin API test plugin"

    def credentialsCheckers(self):
        """
        @return: the checker of this method's credentials, for the portal.
        """
        return [TestPluginChecker()]

    def newExchange(self, context: LoginAttempt) -> TestPluginExchange:
        return TestPluginExchange(context)

    def hashPassword(self, password: bytes) -> bytes:
        return password

    def checkAuthString(self, authString: bytes) -> bytes:
        return authString


theTestPluginMethod = TestPluginMethod()
