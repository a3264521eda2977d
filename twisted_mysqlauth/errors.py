# -*- test-case-name: tests.test_errors -*-
# Copyright (c) twisted_mysqlauth developers.
# See LICENSE for details.
"""
MySQL errors as exceptions: each carries the error code, SQLSTATE and the
text MySQL sends, and renders as an ERR packet (the ldaptor C{ldaperrors}
pattern: errors as data).
"""

from __future__ import annotations

from typing import Dict, Type


class MySQLError(Exception):
    """
    An error that the server reports to the client as an ERR packet.

    @cvar errorCode: MySQL's error number.
    @cvar sqlState: the five-character SQLSTATE.
    @cvar template: the message, with C{str.format} fields filled from the
        keyword arguments of the constructor.
    @ivar message: the formatted message.
    """

    errorCode = 1105
    sqlState = "HY000"
    template = "Unknown error"

    #: errorCode -> class, filled by L{__init_subclass__}.
    registry: Dict[int, Type["MySQLError"]] = {}

    def __init_subclass__(cls, **kwargs: object) -> None:
        super().__init_subclass__(**kwargs)
        MySQLError.registry.setdefault(cls.errorCode, cls)

    def __init__(self, message: str | None = None, **fields: object) -> None:
        if message is None:
            message = self.template.format(**fields)
        self.message = message
        super().__init__(message)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.errorCode} ({self.sqlState}) {self.message!r}>"


class UnknownError(MySQLError):
    """
    ER_UNKNOWN_ERROR: a generic failure (never carries details of the cause).
    """

    errorCode = 1105
    sqlState = "HY000"
    template = "Unknown error"


class HandshakeError(MySQLError):
    """
    ER_HANDSHAKE_ERROR: a malformed connection-phase packet.
    """

    errorCode = 1043
    sqlState = "08S01"
    template = "Bad handshake"


class AccessDenied(MySQLError):
    """
    ER_ACCESS_DENIED_ERROR: bad credentials, unknown user, refused proxy.
    """

    errorCode = 1045
    sqlState = "28000"
    template = "Access denied for user '{user}'@'{host}' (using password: {using})"


class AccessDeniedNoPassword(MySQLError):
    """
    ER_ACCESS_DENIED_NO_PASSWORD_ERROR: a refusal by a method that uses no
    password (C{auth_socket}).
    """

    errorCode = 1698
    sqlState = "28000"
    template = "Access denied for user '{user}'@'{host}'"


class HostNotPrivileged(MySQLError):
    """
    ER_HOST_NOT_PRIVILEGED: no account may connect from this host; sent
    instead of the handshake, without SQLSTATE.
    """

    errorCode = 1130
    sqlState = "HY000"
    template = "Host '{host}' is not allowed to connect to this MySQL server"


class NotSupportedAuthMode(MySQLError):
    """
    ER_NOT_SUPPORTED_AUTH_MODE: the client cannot switch authentication
    methods and the account's method is not the one it used.
    """

    errorCode = 1251
    sqlState = "08004"
    template = (
        "Client does not support authentication protocol requested by server; "
        "consider upgrading MySQL client"
    )


class PluginNotLoaded(MySQLError):
    """
    ER_PLUGIN_IS_NOT_LOADED.
    """

    errorCode = 1524
    sqlState = "HY000"
    template = "Plugin '{plugin}' is not loaded"


class AccountLocked(MySQLError):
    """
    ER_ACCOUNT_HAS_BEEN_LOCKED.
    """

    errorCode = 3118
    sqlState = "HY000"
    template = "Access denied for user '{user}'@'{host}'. Account is locked."


class SecureTransportRequired(MySQLError):
    """
    ER_SECURE_TRANSPORT_REQUIRED.
    """

    errorCode = 3159
    sqlState = "HY000"
    template = (
        "Connections using insecure transport are prohibited while "
        "--require_secure_transport=ON."
    )


class ParseError(MySQLError):
    """
    ER_PARSE_ERROR.
    """

    errorCode = 1064
    sqlState = "42000"
    template = (
        "You have an error in your SQL syntax; check the manual that "
        "corresponds to your MySQL server version for the right syntax to use "
        "near '{near}' at line {line}"
    )


class EmptyQuery(MySQLError):
    """
    ER_EMPTY_QUERY.
    """

    errorCode = 1065
    sqlState = "42000"
    template = "Query was empty"


class CannotUser(MySQLError):
    """
    ER_CANNOT_USER: an account statement failed for some of its accounts.
    """

    errorCode = 1396
    sqlState = "HY000"
    template = "Operation {operation} failed for {accounts}"


class SpecificAccessDenied(MySQLError):
    """
    ER_SPECIFIC_ACCESS_DENIED_ERROR: the statement needs a privilege the
    session's account does not hold.
    """

    errorCode = 1227
    sqlState = "42000"
    template = (
        "Access denied; you need (at least one of) the {privilege} "
        "privilege(s) for this operation"
    )


class StackOverrun(MySQLError):
    """
    ER_STACK_OVERRUN_NEED_MORE: a statement nested too deeply to parse or
    evaluate (MySQL runs out of thread stack on such statements).
    """

    errorCode = 1436
    sqlState = "HY000"
    template = "Thread stack overrun: the statement nests too deeply to be run"


class UserDoesNotExist(MySQLError):
    """
    ER_USER_DOES_NOT_EXIST: the note of C{DROP USER IF EXISTS} and C{ALTER
    USER IF EXISTS} for an account that is not there.
    """

    errorCode = 3162
    sqlState = "HY000"
    template = "Authorization ID {account} does not exist."


class UserAlreadyExists(MySQLError):
    """
    ER_USER_ALREADY_EXISTS: the note of C{CREATE USER IF NOT EXISTS} for an
    account that is there.
    """

    errorCode = 3163
    sqlState = "HY000"
    template = "Authorization ID {account} already exists."


class DatabaseAccessDenied(MySQLError):
    """
    ER_DBACCESS_DENIED_ERROR: the statement needs a privilege on a
    database (C{SHOW GRANTS FOR} another account: SELECT on C{mysql}).
    """

    errorCode = 1044
    sqlState = "42000"
    template = "Access denied for user '{user}'@'{host}' to database '{database}'"


class NonExistingGrant(MySQLError):
    """
    ER_NONEXISTING_GRANT: SHOW GRANTS / REVOKE for an account that has no
    such grant.
    """

    errorCode = 1141
    sqlState = "42000"
    template = "There is no such grant defined for user '{user}' on host '{host}'"


class PasswordNoMatch(MySQLError):
    """
    ER_PASSWORD_NO_MATCH: SET PASSWORD FOR an account that does not exist.
    """

    errorCode = 1133
    sqlState = "42000"
    template = "Can't find any matching row in the user table"


class NotSupportedYet(MySQLError):
    """
    ER_NOT_SUPPORTED_YET: a statement this server does not implement.
    """

    errorCode = 1235
    sqlState = "42000"
    template = "This version of MySQL doesn't yet support '{what}'"


class UnknownSystemVariable(MySQLError):
    """
    ER_UNKNOWN_SYSTEM_VARIABLE.
    """

    errorCode = 1193
    sqlState = "HY000"
    template = "Unknown system variable '{name}'"


class NoDatabaseSelected(MySQLError):
    """
    ER_NO_DB_ERROR.
    """

    errorCode = 1046
    sqlState = "3D000"
    template = "No database selected"


class UnknownCommand(MySQLError):
    """
    ER_UNKNOWN_COM_ERROR: a command byte this server does not serve.
    """

    errorCode = 1047
    sqlState = "08S01"
    template = "Unknown command"


class NetPacketTooLarge(MySQLError):
    """
    ER_NET_PACKET_TOO_LARGE.
    """

    errorCode = 1153
    sqlState = "08S01"
    template = "Got a packet bigger than 'max_allowed_packet' bytes"


class NetPacketsOutOfOrder(MySQLError):
    """
    ER_NET_PACKETS_OUT_OF_ORDER.
    """

    errorCode = 1156
    sqlState = "08S01"
    template = "Got packets out of order"


class ReadTimeout(MySQLError):
    """
    ER_NET_READ_INTERRUPTED: the client did not finish in time.
    """

    errorCode = 1159
    sqlState = "08S01"
    template = "Got timeout reading communication packets"


class WrongValueForVar(MySQLError):
    """
    ER_WRONG_VALUE_FOR_VAR.
    """

    errorCode = 1231
    sqlState = "42000"
    template = "Variable '{name}' can't be set to the value of '{value}'"


class PasswordFormat(MySQLError):
    """
    ER_PASSWORD_FORMAT: an C{AS 'hash'} string that is not a valid hash for
    the method.
    """

    errorCode = 1827
    sqlState = "HY000"
    template = (
        "The password hash doesn't have the expected format."
    )


class SetPasswordAuthPlugin(MySQLError):
    """
    ER_SET_PASSWORD_AUTH_PLUGIN: SET PASSWORD for an account whose method
    keeps no password.
    """

    errorCode = 1699
    sqlState = "HY000"
    template = (
        "SET PASSWORD has no significance for user '{user}'@'{host}' as the "
        "authentication method used doesn't store authentication data in the "
        "MySQL server. Please consider using ALTER USER instead if you want to "
        "change authentication parameters."
    )


class CantCreateUserWithGrant(MySQLError):
    """
    ER_CANT_CREATE_USER_WITH_GRANT: GRANT to an account that does not exist.
    """

    errorCode = 1410
    sqlState = "42000"
    template = "You are not allowed to create a user with GRANT"


class NoSuchTable(MySQLError):
    """
    ER_NO_SUCH_TABLE.
    """

    errorCode = 1146
    sqlState = "42S02"
    template = "Table '{schema}.{table}' doesn't exist"


class ReadOnlyVariable(MySQLError):
    """
    ER_INCORRECT_GLOBAL_LOCAL_VAR for a read-only variable.
    """

    errorCode = 1238
    sqlState = "HY000"
    template = "Variable '{name}' is a read only variable"


class IncorrectGlobalLocalVar(MySQLError):
    """
    ER_INCORRECT_GLOBAL_LOCAL_VAR: a variable read or set in a scope it does
    not have.
    """

    errorCode = 1238
    sqlState = "HY000"
    template = "Variable '{name}' is a {scope} variable"


class FunctionDoesNotExist(MySQLError):
    """
    ER_SP_DOES_NOT_EXIST for a function this server does not have.
    """

    errorCode = 1305
    sqlState = "42000"
    template = "FUNCTION {name} does not exist"


class BadFieldError(MySQLError):
    """
    ER_BAD_FIELD_ERROR.
    """

    errorCode = 1054
    sqlState = "42S22"
    template = "Unknown column '{column}' in '{where}'"


class UDFExists(MySQLError):
    """
    ER_UDF_EXISTS, which C{INSTALL PLUGIN} gives for a loaded plugin.
    """

    errorCode = 1125
    sqlState = "HY000"
    template = "Function '{name}' already exists"


class CantOpenLibrary(MySQLError):
    """
    ER_CANT_OPEN_LIBRARY: no plugin library of that name.
    """

    errorCode = 1126
    sqlState = "HY000"
    template = "Can't open shared library '{library}' (errno: 2 No such file or directory)"


class CantFindDLEntry(MySQLError):
    """
    ER_CANT_FIND_DL_ENTRY: the library has no plugin of that name.
    """

    errorCode = 1127
    sqlState = "HY000"
    template = "Can't find symbol '{name}' in library"


class CantInitializeUDF(MySQLError):
    """
    ER_CANT_INITIALIZE_UDF: the plugin failed to initialize.
    """

    errorCode = 1123
    sqlState = "HY000"
    template = "Can't initialize function '{name}'; {reason}"


class PluginDoesNotExist(MySQLError):
    """
    ER_SP_DOES_NOT_EXIST for C{UNINSTALL PLUGIN}.
    """

    errorCode = 1305
    sqlState = "42000"
    template = "PLUGIN {name} does not exist"


class PluginDeleteBuiltin(MySQLError):
    """
    ER_PLUGIN_DELETE_BUILTIN.
    """

    errorCode = 1619
    sqlState = "HY000"
    template = "Built-in plugins cannot be deleted"


class PluginIsPermanent(MySQLError):
    """
    ER_PLUGIN_IS_PERMANENT: a plugin the server cannot run without.
    """

    errorCode = 1702
    sqlState = "HY000"
    template = "Plugin '{name}' is force_plus_permanent and can not be unloaded"


class OptionPreventsStatement(MySQLError):
    """
    ER_OPTION_PREVENTS_STATEMENT.
    """

    errorCode = 1290
    sqlState = "HY000"
    template = "The MySQL server is running with the {option} option so it cannot execute this statement"


class TableAccessDenied(MySQLError):
    """
    ER_TABLEACCESS_DENIED_ERROR.
    """

    errorCode = 1142
    sqlState = "42000"
    template = "{command} command denied to user '{user}'@'{host}' for table '{table}'"


def errorForCode(code: int) -> Type[MySQLError]:
    """
    @param code: a MySQL error number.
    @return: the registered L{MySQLError} subclass for it, or L{MySQLError}.
    """
    return MySQLError.registry.get(code, MySQLError)


class WrongStringLength(MySQLError):
    """
    ER_WRONG_STRING_LENGTH: a user name or host name in an account name is
    too long (the string is shown cut to 70 characters, as MySQL does).
    """

    errorCode = 1470
    sqlState = "HY000"
    template = (
        "String '{string:.70}' is too long for {what} "
        "(should be no longer than {limit})"
    )


class InvalidAuthString(PasswordFormat):
    """
    ER_PASSWORD_FORMAT (1827) for an C{IDENTIFIED WITH m AS 'string'} whose
    string breaks the method's own syntax. MySQL sends 1827 whenever a
    plugin's C{validate_authentication_string} refuses a string; the
    message here says what is wrong instead of MySQL's text about hashes.
    """

    template = "Invalid authentication string for {plugin}: {reason}"
