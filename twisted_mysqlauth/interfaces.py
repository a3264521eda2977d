# -*- test-case-name: tests.test_interfaces -*-
# Copyright (c) twisted_mysqlauth developers.
# See LICENSE for details.
"""
The seams of twisted_mysqlauth, as L{zope.interface} interfaces.

Naming: following Twisted's coding standard, I{plugin} in code means a
L{twisted.plugin} dropin; what MySQL calls an "authentication plugin" is an
I{auth method} here (L{IAuthMethod}), and keeps its MySQL wire name
(C{"caching_sha2_password"}).
"""

from zope.interface import Attribute, Interface


class IAccountStore(Interface):
    """
    Persistent storage of accounts and proxy grants.

    Logins never read a store: they read the in-memory
    L{twisted_mysqlauth.accounts.directory.AccountDirectory} built from
    L{IAccountStore.load}, rebuilt when accounts change (MySQL's ACL
    cache). A store's methods return L{Deferred}s and do their disk work off
    the reactor thread.
    """

    def load():
        """
        Read everything the store holds.

        @return: a L{Deferred} firing with a
            L{twisted_mysqlauth.accounts.model.StoreSnapshot}.
        """

    def write(changes):
        """
        Apply changes in one transaction: all of them, durably (a committed
        write survives C{kill -9}), or none.

        @param changes: a sequence of
            L{twisted_mysqlauth.accounts.model.PutAccount},
            L{DeleteAccount<twisted_mysqlauth.accounts.model.DeleteAccount>},
            L{PutProxyGrant<twisted_mysqlauth.accounts.model.PutProxyGrant>}
            and L{DeleteProxyGrant
            <twisted_mysqlauth.accounts.model.DeleteProxyGrant>}, applied in
            order.
        @return: a L{Deferred} firing with L{None} once committed, or failing
            (nothing is then written).
        """

    def getSetting(key):
        """
        Read a persistent server setting (for example the plugins recorded by
        C{INSTALL PLUGIN}).

        @param key: the setting's name (text).
        @return: a L{Deferred} firing with the text value or L{None}.
        """

    def putSetting(key, value):
        """
        Write a persistent server setting in a transaction of its own.

        @param key: the setting's name (text).
        @param value: text, or L{None} to delete it.
        @return: a L{Deferred} firing with L{None} once committed.
        """

    def close():
        """
        Release the store's resources (threads, file handles).

        @return: a L{Deferred} firing when closed.
        """


class IAuthMethod(Interface):
    """
    The server side of one MySQL authentication plugin, as a
    L{twisted.plugin} dropin in L{twisted_mysqlauth.plugins}.

    A method turns wire bytes into L{twisted.cred} credentials; it never
    decides who gets in: the portal's checkers and the realm do.
    """

    pluginName = Attribute("The server-side plugin name, text (C{mysql.user.plugin}).")
    clientPluginName = Attribute(
        "The client-side plugin name the method talks to (text), or L{None} "
        "when the method needs no client plugin and answers right after the "
        "handshake response (C{auth_socket}, C{mysql_no_login})."
    )
    aliases = Attribute(
        "Other names this method answers to (text): MariaDB's names and the "
        "library names the manual uses, such as C{auth_socket.so}."
    )
    requiresSecureTransport = Attribute(
        "Whether the method may only run over TLS or a UNIX socket."
    )
    passwordUsed = Attribute(
        "Whether a refusal reports C{(using password: YES/NO)} (1045) or no "
        "password mention at all (1698, as C{auth_socket})."
    )

    # Optional: canGreet (false for a method that cannot be the default
    # plugin: its first packet is not a nonce, or not known at once),
    # library (the name C{INSTALL PLUGIN ... SONAME} uses; the
    # dropin's file name by default), description, author, license,
    # version (for SHOW PLUGINS), initialize(settings) (may raise: the
    # method is then DISABLED), and credentialsCheckers() (the
    # ICredentialsChecker providers for credentials of the method's own
    # kind; the server registers them on its portal).

    def newExchange(context):
        """
        Start one authentication exchange for one connection attempt.

        @param context: the L{twisted_mysqlauth.auth.base.LoginAttempt}.
        @return: an L{IAuthExchange} provider.
        """

    def hashPassword(password):
        """
        Make the authentication string stored for C{IDENTIFIED [WITH this]
        BY 'password'}.

        @param password: the cleartext password, bytes.
        @return: the authentication string, bytes.
        @raise twisted_mysqlauth.errors.MySQLError: when the method stores no
            password (C{ER_..} as MySQL gives).
        """

    def checkAuthString(authString):
        """
        Validate the authentication string of C{IDENTIFIED WITH this AS
        'string'} before it is stored.

        @param authString: bytes.
        @return: the string to store (normalised), bytes.
        @raise twisted_mysqlauth.errors.MySQLError: when it is malformed.
        """


class IPasswordMethod(IAuthMethod):
    """
    An auth method whose accounts store a password hash, so a cleartext
    password (caching_sha2 full authentication, C{SET PASSWORD}) can be
    checked against the authentication string.
    """

    def verifyPassword(authString, password):
        """
        @param authString: the account's stored string, bytes.
        @param password: a cleartext password, bytes.
        @return: whether they match (compared in constant time).
        """


class IAuthExchange(Interface):
    """
    One connection attempt's run of an L{IAuthMethod}.

    An exchange may have a C{clientPluginName} attribute of its own: the
    client plugin this attempt talks to when the method speaks more than one
    (C{authentication_pam} answers a client that asks for C{dialog} in
    C{dialog}); otherwise the method's is used.
    """

    def initialData():
        """
        @return: the bytes that go in the HandshakeV10 (for the default
            method) or in the AuthSwitchRequest: for the password methods
            the 20-byte nonce and a NUL. A method that cannot greet may
            return a L{Deferred} firing with them.
        """

    def responseReceived(data):
        """
        The client sent the bytes C{data} (the auth response of the
        handshake response, an AuthSwitchResponse, or a later packet).

        @return: a step, or a L{Deferred} firing with one:
            L{twisted_mysqlauth.auth.base.SendMoreData} to send AuthMoreData
            and wait for the next packet, or
            L{twisted_mysqlauth.auth.base.TryLogin} to hand credentials to
            the portal.
        @raise twisted.cred.error.LoginFailed: the bytes are malformed for
            this method (ERR 1043 or 1045 as the method says).
        """

    def loginFailed(reason):
        """
        The portal refused the credentials of the last L{TryLogin}.

        @param reason: a L{twisted.python.failure.Failure}.
        @return: a step to go on with (for example caching_sha2's request for
            full authentication), or raise/return C{reason} to refuse.
        """

    def loginSucceeded():
        """
        The portal accepted the credentials.

        @return: bytes to send as AuthMoreData before the OK packet (for
            example caching_sha2's fast-auth success C{0x03}), or L{None}.
        """


class IAuthChannel(Interface):
    """
    The client, as an exchange sees it while its credentials are being
    checked: a conversation the checker drives through the credentials
    (twisted.conch's keyboard-interactive pattern: the credentials carry a
    conversation callback, the checker calls it).
    """

    def sendAuthData(data, alwaysWrap=True):
        """
        Send plugin data to the client (see
        L{twisted_mysqlauth.auth.base.SendMoreData} for C{alwaysWrap}).
        """

    def receiveAuthData():
        """
        @return: a L{Deferred} firing with the client's next packet, or
            failing if the connection is lost or the login times out first.
        """


class IMySQLAvatar(Interface):
    """
    Who logged in: what the realm gives an application after a login.
    """

    user = Attribute(
        "The user name the client sent (text): the user part of C{USER()}."
    )
    clientHost = Attribute("The client's host as MySQL prints it (text).")
    account = Attribute(
        "The L{twisted_mysqlauth.accounts.model.Account} whose privileges "
        "apply (the proxied account while proxying): C{CURRENT_USER()}."
    )
    proxyUser = Attribute(
        "The proxy account's name while proxying "
        "(L{twisted_mysqlauth.accounts.model.AccountName}), else L{None}: "
        "C{@@proxy_user}."
    )
    externalUser = Attribute(
        "The external identity the method authenticated (OS user, PAM user, "
        "Windows principal) as text, or L{None}: C{@@external_user}."
    )
    secure = Attribute("Whether the connection is over TLS or a UNIX socket.")
