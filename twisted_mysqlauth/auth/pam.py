# -*- test-case-name: tests.test_pam -*-
# Copyright (c) twisted_mysqlauth developers.
# See LICENSE for details.
"""
PAM logins: MySQL Enterprise's C{authentication_pam} and MariaDB's C{pam}.

The account's authentication string names the PAM service, and for
C{authentication_pam} maps OS groups to MySQL users::

    CREATE USER ''@'' IDENTIFIED WITH authentication_pam
      AS 'mysql, root=developer, users=data_entry';
    CREATE USER bob IDENTIFIED VIA pam USING 'mysql';

The client speaks C{mysql_clear_password} (the password, once) or MariaDB's
C{dialog} (every question of the PAM stack, as many as it asks):
C{authentication_pam} uses C{mysql_clear_password} and C{pam} uses
C{dialog}, unless the client asked for the other in its handshake
(C{--default-auth=dialog}) or C{pam_use_cleartext_plugin} is on. In both
the password travels in clear, so a login over plain TCP is refused before
the client sends it, unless the insecure C{*_allow_insecure_transport}
variable allows it.

Who logs in: PAM authenticates the user name the client sent, then
C{pam_acct_mgmt} must accept the account (an expired or disallowed OS
account is refused). The identity handed to the server (C{authenticated_as})
is the MySQL user of the first mapping in the authentication string whose
group the user is in; without a match, the PAM user name, after any change
a module made to it (C{pam_user_map}). When that differs from the account's
own user, the login proxies through a PROXY grant (see
L{twisted_mysqlauth.realm}). C{@@external_user} is the PAM user name.

PAM runs in worker processes (L{twisted_mysqlauth.auth.pampool}), never on
the reactor thread.
"""

from __future__ import annotations

import os
from typing import Any, List, Optional, Tuple

import attr
from zope.interface import Attribute, implementer

from twisted.cred.checkers import ICredentialsChecker
from twisted.cred.error import UnauthorizedLogin
from twisted.internet import defer
from twisted.logger import Logger
from twisted.plugin import IPlugin

from twisted_mysqlauth import errors
from twisted_mysqlauth.accounts.model import Account, ClientAddress
from twisted_mysqlauth.auth.base import LoginAttempt, MalformedResponse, TryLogin
from twisted_mysqlauth.auth.pampool import (
    ERROR_MSG,
    PROMPT_ECHO_OFF,
    PROMPT_ECHO_ON,
    TEXT_INFO,
    PAMRequest,
    PAMResult,
    PAMWorkerPool,
    WorkerFailed,
)
from twisted_mysqlauth.auth.registry import SystemVariable, numberFrom, parseSwitch, variableValues
from twisted_mysqlauth.credentials import IAccountCredentials
from twisted_mysqlauth.interfaces import IAuthExchange, IAuthMethod

#: The client plugins a PAM login can speak.
CLEAR_PASSWORD = "mysql_clear_password"
DIALOG = "dialog"

#: MariaDB's dialog question types: a question, a password question.
DIALOG_QUESTION = 2
DIALOG_PASSWORD = 4

#: The first dialog question, sent in the AuthSwitchRequest: the answer is
#: given to PAM's first password prompt. (Clients answer this exact text
#: with their password without asking: PyMySQL, Connector/C's first
#: password question.)
FIRST_QUESTION = bytes([DIALOG_PASSWORD]) + b"Password: "

#: The most questions one login may ask the client.
MAX_QUESTIONS = 16

#: The longest answer accepted.
MAX_ANSWER = 4096

#: C{PAM_TTY} as the server sets it.
PAM_TTY = "mysql"


def _directory(text: str) -> Optional[str]:
    path = text.strip()
    if not path:
        return None
    if not os.path.isabs(path):
        raise ValueError(f"{path!r} is not an absolute path")
    if not os.path.isdir(path):
        raise ValueError(f"{path!r} is not a folder")
    return path


@attr.s(frozen=True, auto_attribs=True)
class PAMAuthString:
    """
    An authentication string of a PAM account.

    @ivar service: the PAM service name.
    @ivar mappings: (OS group, MySQL user) pairs, in the string's order.
    """

    service: str
    mappings: Tuple[Tuple[str, str], ...] = ()

    def identityFor(self, user: str, groups: Tuple[str, ...]) -> str:
        """
        @param user: the PAM user name after authentication.
        @param groups: that user's OS groups.
        @return: the MySQL user of the first mapping whose group the user is
            in, else C{user}.
        """
        member = set(groups)
        for group, target in self.mappings:
            if group in member:
                return target
        return user


class IPAMCredentials(IAccountCredentials):
    """
    A PAM login: the user name, the account, where the client is, and a way
    to put PAM's questions to the client.
    """

    authString = Attribute("The account's L{PAMAuthString}.")
    method = Attribute("The L{PAMMethod} of the account: its worker pool and settings.")
    client = Attribute("The L{ClientAddress}.")
    password = Attribute(
        "The client's first answer (bytes): the answer to PAM's first "
        "password prompt."
    )
    externalUser = Attribute("Set by the checker on success: the PAM user name.")

    def ask(kind, text):
        """
        Put a question to the client.

        @param kind: L{DIALOG_QUESTION} or L{DIALOG_PASSWORD}.
        @param text: the prompt, bytes.
        @return: a L{Deferred} firing with the answer (bytes), or with
            L{None} when this client cannot be asked (C{mysql_clear_password}).
        """


@implementer(IPAMCredentials)
class PAMCredentials:
    """
    See L{IPAMCredentials}.
    """

    def __init__(
        self,
        username: bytes,
        account: Account,
        authString: PAMAuthString,
        client: ClientAddress,
        password: bytes,
        method: "PAMMethod",
        channel: Any = None,
    ) -> None:
        self.method = method
        self.username = username
        self.account = account
        self.authString = authString
        self.client = client
        self.password = password
        self.externalUser: Optional[str] = None
        self._channel = channel

    def __repr__(self) -> str:
        return f"<PAMCredentials for {self.account.name}>"

    def ask(self, kind: int, text: bytes) -> defer.Deferred:
        if self._channel is None:
            return defer.succeed(None)
        self._channel.sendAuthData(bytes([kind]) + text, alwaysWrap=False)
        return self._channel.receiveAuthData().addCallback(_answerOf)


def _answerOf(packet: bytes) -> bytes:
    answer = packet[:-1] if packet.endswith(b"\x00") else packet
    if b"\x00" in answer or len(answer) > MAX_ANSWER:
        raise MalformedResponse("a malformed dialog answer")
    return answer


class _Conversation:
    """
    Answers the questions of one PAM transaction: the first password prompt
    with the client's first answer, the others by asking the client.
    Informational messages are shown in front of the next question.
    """

    def __init__(self, credentials: IPAMCredentials) -> None:
        self.credentials = credentials
        self.passwordUnused = True
        self.asked = 0
        self.notes: List[bytes] = []

    async def converse(self, messages: List[Tuple[int, bytes]]) -> Optional[List[Optional[bytes]]]:
        answers: List[Optional[bytes]] = []
        for style, text in messages:
            if style in (ERROR_MSG, TEXT_INFO):
                self.notes.append(text)
                answers.append(None)
                continue
            if style not in (PROMPT_ECHO_OFF, PROMPT_ECHO_ON):
                return None
            if style == PROMPT_ECHO_OFF and self.passwordUnused:
                self.passwordUnused = False
                answers.append(self.credentials.password)
                # Handed to PAM: the connection need not keep it.
                self.credentials.password = b""
                continue
            self.asked += 1
            if self.asked > MAX_QUESTIONS:
                return None
            prompt = b"".join(note + b"\n" for note in self.notes) + text
            self.notes = []
            kind = DIALOG_PASSWORD if style == PROMPT_ECHO_OFF else DIALOG_QUESTION
            answer = await self.credentials.ask(kind, prompt)
            if answer is None:
                return None
            answers.append(answer)
        return answers


@implementer(ICredentialsChecker)
class PAMChecker:
    """
    Run PAM for L{IPAMCredentials} in the worker pool of their method; the
    avatar id is the MySQL user the authentication string maps the PAM user
    to.
    """

    credentialInterfaces = (IPAMCredentials,)

    _log = Logger()

    def requestAvatarId(self, credentials: Any) -> defer.Deferred:
        method = credentials.method
        client = credentials.client
        request = PAMRequest(
            service=credentials.authString.service,
            user=credentials.username.decode("utf-8", "replace"),
            rhost=client.ip or client.displayHost,
            tty=PAM_TTY,
            confdir=method.configDirectory,
        )
        conversation = _Conversation(credentials)

        def converse(messages):
            return defer.ensureDeferred(conversation.converse(messages))

        d = method.pool().authenticate(request, converse)

        def forget(result):
            # Whatever happened, the password is not kept for the session.
            credentials.password = b""
            return result

        d.addBoth(forget)
        d.addCallbacks(self._decide, self._workerFailed, (credentials, request), None, (request,))
        return d

    def _workerFailed(self, reason: Any, request: PAMRequest) -> None:
        # A worker that died, could not start, or was stopped with the
        # server: refused (fail closed), and said so plainly.
        reason.trap(WorkerFailed)
        self._log.info(
            "PAM login of {user} (service {service}) not completed: {why}",
            user=request.user,
            service=request.service,
            why=reason.getErrorMessage(),
        )
        raise UnauthorizedLogin("PAM worker failed")

    def _decide(self, result: PAMResult, credentials: Any, request: PAMRequest) -> bytes:
        if not result.succeeded:
            self._log.info(
                "PAM refused {user} (service {service}): {stage}: {reason}",
                user=request.user,
                service=request.service,
                stage=result.stage,
                reason=result.reason,
            )
            raise UnauthorizedLogin(f"PAM {result.stage}: {result.reason}")
        pamUser = result.user or request.user
        credentials.externalUser = pamUser
        identity = credentials.authString.identityFor(pamUser, result.groups)
        return identity.encode("utf-8")


@implementer(IAuthExchange)
class PAMExchange:
    """
    One PAM login's packets: the first answer (the password), then PAM's
    further questions through the channel while the checker runs.

    @ivar clientPluginName: C{mysql_clear_password} or C{dialog}.
    """

    def __init__(self, method: "PAMMethod", attempt: LoginAttempt) -> None:
        self.method = method
        self.attempt = attempt
        if attempt.clientPluginName in (CLEAR_PASSWORD, DIALOG):
            self.clientPluginName = attempt.clientPluginName
        else:
            self.clientPluginName = method.defaultClientPlugin

    def initialData(self) -> bytes:
        return FIRST_QUESTION if self.clientPluginName == DIALOG else b""

    def responseReceived(self, data: bytes) -> TryLogin:
        attempt = self.attempt
        assert attempt.account is not None
        password = _answerOf(data)
        attempt.passwordUsed = bool(password)
        try:
            authString = self.method.parseAuthString(attempt.account.authString)
        except ValueError:
            # Checked when stored; a store edited by hand fails closed.
            raise UnauthorizedLogin("malformed authentication string") from None
        channel = attempt.channel if self.clientPluginName == DIALOG else None
        return TryLogin(
            PAMCredentials(
                attempt.usernameBytes,
                attempt.account,
                authString,
                attempt.client,
                password,
                self.method,
                channel,
            )
        )

    def loginFailed(self, reason):
        return reason

    def loginSucceeded(self) -> None:
        return None


class PAMMethod:
    """
    The common part of the two PAM methods.

    @ivar poolSize: the most PAM transactions at once.
    @ivar allowInsecureTransport: accept cleartext passwords over plain TCP
        (insecure).
    @ivar configDirectory: a folder of PAM service files read instead of
        C{/etc/pam.d} (Linux-PAM 1.4+), or L{None}.
    """

    clientPluginName: str
    defaultClientPlugin: str
    passwordUsed = True
    canGreet = False
    defaultService = "mysql"
    variablePrefix: str

    _log = Logger()

    def __init__(
        self,
        poolSize: int = 8,
        allowInsecureTransport: bool = False,
        configDirectory: Optional[str] = None,
        reactor: Any = None,
    ) -> None:
        self.poolSize = poolSize
        self.allowInsecureTransport = allowInsecureTransport
        self.configDirectory = configDirectory
        self.reactor = reactor
        self._pool: Optional[PAMWorkerPool] = None
        self.variables = self._currentVariables()

    @property
    def systemVariables(self):
        prefix = self.variablePrefix
        return {
            f"{prefix}_pool_size": SystemVariable(
                "8", numberFrom(1, 1024), "The most PAM transactions at once (worker processes)."
            ),
            f"{prefix}_allow_insecure_transport": SystemVariable(
                "OFF",
                parseSwitch,
                "Accept PAM passwords over plain TCP, where anyone on the path reads "
                "them (insecure).",
            ),
            f"{prefix}_config_dir": SystemVariable(
                "",
                _directory,
                "A folder of PAM service files to use instead of /etc/pam.d.",
            ),
        }

    def _currentVariables(self) -> dict:
        prefix = self.variablePrefix
        return {
            f"{prefix}_pool_size": self.poolSize,
            f"{prefix}_allow_insecure_transport": self.allowInsecureTransport,
            f"{prefix}_config_dir": self.configDirectory or "",
        }

    @property
    def requiresSecureTransport(self) -> bool:
        return not self.allowInsecureTransport

    def initialize(self, settings: Any) -> None:
        """
        Read the system variables (see L{systemVariables}).

        @raise RuntimeError: python-pam is missing.
        @raise ValueError: a variable is malformed.
        """
        try:
            import pam  # noqa: F401
        except ImportError:
            raise RuntimeError(
                "python-pam is not installed (pip install 'twisted_mysqlauth[pam]')"
            ) from None
        values = variableValues(self, settings)
        prefix = self.variablePrefix
        size = values[f"{prefix}_pool_size"]
        if self._pool is not None and size != self.poolSize:
            self._pool.size = size
        self.poolSize = size
        self.allowInsecureTransport = values[f"{prefix}_allow_insecure_transport"]
        self.configDirectory = values[f"{prefix}_config_dir"]
        self.variables = self._currentVariables()
        if self.allowInsecureTransport:
            self._log.warn(
                "{prefix}_allow_insecure_transport is ON: {plugin} accepts passwords in "
                "clear over plain TCP, readable by anyone on the path",
                prefix=prefix,
                plugin=self.pluginName,
            )

    def pool(self) -> PAMWorkerPool:
        """
        @return: the worker pool, started on first use.
        """
        if self._pool is None:
            reactor = self.reactor
            if reactor is None:
                from twisted.internet import reactor  # type: ignore[no-redef]
            self._pool = PAMWorkerPool(reactor, self.poolSize)
        return self._pool

    def shutdown(self) -> defer.Deferred:
        """
        Stop the worker processes.
        """
        pool, self._pool = self._pool, None
        if pool is None:
            return defer.succeed(None)
        return pool.close()

    def credentialsCheckers(self):
        """
        @return: the checker of this method's credentials, for the portal.
        """
        return [PAMChecker()]

    def newExchange(self, context: LoginAttempt) -> PAMExchange:
        return PAMExchange(self, context)

    def hashPassword(self, password: bytes) -> bytes:
        # IDENTIFIED WITH authentication_pam BY 'x' names the service, as AS.
        return self.checkAuthString(password)

    def checkAuthString(self, authString: bytes) -> bytes:
        try:
            self.parseAuthString(authString)
        except ValueError as e:
            raise errors.InvalidAuthString(plugin=self.pluginName, reason=str(e)) from None
        return authString

    def parseAuthString(self, authString: bytes) -> PAMAuthString:
        raise NotImplementedError()


def _decodeAuthString(authString: bytes) -> str:
    try:
        return authString.decode("utf-8")
    except UnicodeDecodeError:
        raise ValueError("not UTF-8") from None


@implementer(IAuthMethod, IPlugin)
class AuthenticationPAMMethod(PAMMethod):
    """
    MySQL Enterprise's C{authentication_pam}: C{'service[, group=user,
    ...]'}.
    """

    pluginName = "authentication_pam"
    clientPluginName = CLEAR_PASSWORD
    defaultClientPlugin = CLEAR_PASSWORD
    aliases = ("authentication_pam.so",)
    library = "authentication_pam.so"
    description = "PAM authentication, with OS groups mapped to MySQL users"
    variablePrefix = "authentication_pam"

    def parseAuthString(self, authString: bytes) -> PAMAuthString:
        """
        C{service[, group=mysql_user, ...]}, with the quoting rules of
        L{twisted_mysqlauth.auth.mapping}; an empty string is the service
        C{mysql}.
        """
        from twisted_mysqlauth.auth.mapping import parseMappings

        text = _decodeAuthString(authString)
        if not text.strip():
            return PAMAuthString(self.defaultService)
        entries = parseMappings(text)
        first, rest = entries[0], entries[1:]
        if first.target is not None:
            raise ValueError("the PAM service name comes first, without '='")
        mappings = []
        for entry in rest:
            if entry.target is None:
                raise ValueError(f"the mapping {entry.name!r} names no MySQL user (group=user)")
            mappings.append((entry.name, entry.target))
        return PAMAuthString(first.name, tuple(mappings))


@implementer(IAuthMethod, IPlugin)
class MariaDBPAMMethod(PAMMethod):
    """
    MariaDB's C{pam}: C{IDENTIFIED VIA pam USING 'service'} (the string is
    the service name alone; group mapping is left to a PAM module such as
    C{pam_user_map}, as in MariaDB).

    @ivar useCleartextPlugin: MariaDB's C{pam_use_cleartext_plugin}: talk
        to C{mysql_clear_password} clients instead of C{dialog}.
    """

    pluginName = "pam"
    clientPluginName = DIALOG
    aliases = ("auth_pam.so", "auth_pam", "auth_pam_v1.so", "auth_pam_v1")
    library = "auth_pam.so"
    description = "PAM based authentication (MariaDB)"
    variablePrefix = "pam"
    useCleartextPlugin = False

    @property
    def defaultClientPlugin(self) -> str:  # type: ignore[override]
        return CLEAR_PASSWORD if self.useCleartextPlugin else DIALOG

    @property
    def systemVariables(self):
        variables = dict(super().systemVariables)
        variables["pam_use_cleartext_plugin"] = SystemVariable(
            "OFF", parseSwitch, "Talk to mysql_clear_password clients instead of dialog."
        )
        return variables

    def _currentVariables(self) -> dict:
        variables = super()._currentVariables()
        variables["pam_use_cleartext_plugin"] = self.useCleartextPlugin
        return variables

    def initialize(self, settings: Any) -> None:
        self.useCleartextPlugin = variableValues(self, settings)["pam_use_cleartext_plugin"]
        super().initialize(settings)

    def parseAuthString(self, authString: bytes) -> PAMAuthString:
        text = _decodeAuthString(authString).strip()
        if not text:
            return PAMAuthString(self.defaultService)
        if any(c in text for c in ",=\"'\x00/") or any(c.isspace() for c in text):
            raise ValueError(f"{text[:40]!r} is not a PAM service name")
        return PAMAuthString(text)


theAuthenticationPAMMethod = AuthenticationPAMMethod()
theMariaDBPAMMethod = MariaDBPAMMethod()
