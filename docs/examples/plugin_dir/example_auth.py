# Copyright (c) twisted_mysqlauth developers.
# See LICENSE for details.
"""
C{example_shared_secret}: a third-party auth method, as a dropin for
C{twistd mysqlauth --plugin-dir}.

The client sends its secret in clear text (client plugin
C{mysql_clear_password}), so the method runs only over TLS or a UNIX
socket. The account's authentication string is the SHA-256 of the secret,
in hex::

    INSTALL PLUGIN example_shared_secret SONAME 'example_auth.py';
    CREATE USER 'ci'@'localhost' IDENTIFIED WITH example_shared_secret BY 's3cret';
"""

import hashlib
import hmac
import string

from zope.interface import Attribute, implementer

from twisted.cred.checkers import ICredentialsChecker
from twisted.cred.error import UnauthorizedLogin
from twisted.plugin import IPlugin

from twisted_mysqlauth import errors
from twisted_mysqlauth.auth.base import MalformedResponse, TryLogin
from twisted_mysqlauth.credentials import IAccountCredentials
from twisted_mysqlauth.interfaces import IAuthExchange, IPasswordMethod


def secretDigest(secret):
    """
    @param secret: a secret, bytes.
    @return: the authentication string stored for it: its SHA-256 in hex,
        as ASCII bytes.
    """
    return hashlib.sha256(secret).hexdigest().encode("ascii")


def secretMatches(authString, secret):
    """
    @return: whether C{secret} is the one C{authString} was made from
        (compared in constant time).
    """
    return hmac.compare_digest(secretDigest(secret), authString)


class ISharedSecret(IAccountCredentials):
    """
    The secret a client sent for an account.
    """

    secret = Attribute("The secret, bytes.")


@implementer(ISharedSecret)
class SharedSecret:
    """
    See L{ISharedSecret}. Its C{repr} never shows the secret.
    """

    def __init__(self, username, account, secret):
        self.username = username
        self.account = account
        self.secret = secret

    def __repr__(self):
        return f"<SharedSecret for {self.account.name}>"


@implementer(ICredentialsChecker)
class SharedSecretChecker:
    """
    Accept the secret whose SHA-256 is the account's authentication string;
    the identity is the account's user name (no proxying).
    """

    credentialInterfaces = (ISharedSecret,)

    def requestAvatarId(self, credentials):
        account = credentials.account
        if secretMatches(account.authString, credentials.secret):
            return account.user.encode("utf-8")
        raise UnauthorizedLogin()


@implementer(IAuthExchange)
class SharedSecretExchange:
    """
    One login: one packet from the client, its secret and a NUL.

    @ivar attempt: the L{twisted_mysqlauth.auth.base.LoginAttempt}.
    """

    def __init__(self, attempt):
        self.attempt = attempt

    def initialData(self):
        # mysql_clear_password reads nothing from the server.
        return b""

    def responseReceived(self, data):
        secret = data[:-1] if data.endswith(b"\x00") else data
        if b"\x00" in secret:
            raise MalformedResponse("NUL inside the secret")
        self.attempt.passwordUsed = bool(secret)
        attempt = self.attempt
        return TryLogin(SharedSecret(attempt.usernameBytes, attempt.account, secret))

    def loginFailed(self, reason):
        # Nothing else to try: refuse (ERR 1045).
        return reason

    def loginSucceeded(self):
        # Nothing to send before the OK.
        return None


@implementer(IPasswordMethod, IPlugin)
class SharedSecretMethod:
    """
    The server side of C{example_shared_secret}.
    """

    pluginName = "example_shared_secret"
    clientPluginName = "mysql_clear_password"
    aliases = ()
    library = "example_auth.py"
    requiresSecureTransport = True
    passwordUsed = True
    description = "Example: a shared secret, checked against its SHA-256"
    author = "twisted_mysqlauth developers"
    license = "MIT"
    version = "1.0"

    def initialize(self, settings):
        """
        Called once when the method loads (at start-up, or by C{INSTALL
        PLUGIN}). Raising refuses the load: the reason is logged, the method
        is shown C{DISABLED} and C{INSTALL PLUGIN} fails with error 1123.

        @param settings: the server's settings.
        """
        # Refuse to load where SHA-256 is not available.
        hashlib.new("sha256")

    def credentialsCheckers(self):
        """
        @return: the checkers of this method's credentials, which the
            server registers on its portal.
        """
        return [SharedSecretChecker()]

    def newExchange(self, context):
        return SharedSecretExchange(context)

    def hashPassword(self, password):
        # IDENTIFIED WITH example_shared_secret BY 'secret', SET PASSWORD
        return secretDigest(password)

    def checkAuthString(self, authString):
        # IDENTIFIED WITH example_shared_secret AS '<sha-256 hex>'
        text = authString.decode("ascii", "replace").lower()
        if len(text) != 64 or not set(text) <= set(string.hexdigits):
            raise errors.PasswordFormat()
        return text.encode("ascii")

    def verifyPassword(self, authString, password):
        return secretMatches(authString, password)


theSharedSecretMethod = SharedSecretMethod()
