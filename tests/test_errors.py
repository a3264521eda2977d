# Copyright (c) twisted_mysqlauth developers.
# See LICENSE for details.
"""
Tests for L{twisted_mysqlauth.errors}: every error renders its template,
and the connection-phase errors carry MySQL's codes, SQLSTATEs and texts.
"""

from __future__ import annotations

import string

from twisted.trial.unittest import SynchronousTestCase

from twisted_mysqlauth import errors


def allErrorClasses():
    """
    Every subclass of L{errors.MySQLError} defined in L{errors}, however
    deep.
    """
    found = []
    pending = [errors.MySQLError]
    while pending:
        cls = pending.pop()
        for sub in cls.__subclasses__():
            if sub.__module__ == errors.__name__ and sub not in found:
                found.append(sub)
                pending.append(sub)
    return found


def fieldsOf(template):
    """
    The names of the format fields of C{template}.
    """
    return [name for _, name, _, _ in string.Formatter().parse(template) if name]


#: (class, fields, code, SQLSTATE, text) as MySQL 8.0 sends them.
MYSQL_ERRORS = [
    (
        errors.AccessDenied,
        {"user": "bob", "host": "localhost", "using": "YES"},
        1045,
        "28000",
        "Access denied for user 'bob'@'localhost' (using password: YES)",
    ),
    (
        errors.AccessDenied,
        {"user": "bob", "host": "192.0.2.7", "using": "NO"},
        1045,
        "28000",
        "Access denied for user 'bob'@'192.0.2.7' (using password: NO)",
    ),
    (
        errors.AccessDeniedNoPassword,
        {"user": "bob", "host": "localhost"},
        1698,
        "28000",
        "Access denied for user 'bob'@'localhost'",
    ),
    (errors.HandshakeError, {}, 1043, "08S01", "Bad handshake"),
    (
        errors.HostNotPrivileged,
        {"host": "192.0.2.7"},
        1130,
        "HY000",
        "Host '192.0.2.7' is not allowed to connect to this MySQL server",
    ),
    (
        errors.NotSupportedAuthMode,
        {},
        1251,
        "08004",
        "Client does not support authentication protocol requested by server; "
        "consider upgrading MySQL client",
    ),
    (
        errors.PluginNotLoaded,
        {"plugin": "auth_pam"},
        1524,
        "HY000",
        "Plugin 'auth_pam' is not loaded",
    ),
    (
        errors.AccountLocked,
        {"user": "bob", "host": "localhost"},
        3118,
        "HY000",
        "Access denied for user 'bob'@'localhost'. Account is locked.",
    ),
    (
        errors.SecureTransportRequired,
        {},
        3159,
        "HY000",
        "Connections using insecure transport are prohibited while "
        "--require_secure_transport=ON.",
    ),
    (
        errors.ParseError,
        {"near": "FOO BAR", "line": 1},
        1064,
        "42000",
        "You have an error in your SQL syntax; check the manual that corresponds "
        "to your MySQL server version for the right syntax to use near 'FOO BAR' "
        "at line 1",
    ),
    (
        errors.PasswordFormat,
        {},
        1827,
        "HY000",
        "The password hash doesn't have the expected format.",
    ),
    (errors.NetPacketTooLarge, {}, 1153, "08S01", "Got a packet bigger than 'max_allowed_packet' bytes"),
    (errors.NetPacketsOutOfOrder, {}, 1156, "08S01", "Got packets out of order"),
    (errors.UnknownError, {}, 1105, "HY000", "Unknown error"),
]


class RenderingTests(SynchronousTestCase):
    """
    Every L{errors.MySQLError} subclass renders its template.
    """

    def test_found(self):
        """
        The subclass walk finds the errors (so the other tests see them).
        """
        classes = allErrorClasses()
        self.assertIn(errors.AccessDenied, classes)
        self.assertIn(errors.WrongStringLength, classes)
        self.assertGreater(len(classes), 20)

    def test_templates(self):
        """
        Each error formats its template with the fields given, and every
        field value shows in the message; C{str} is the message.
        """
        for cls in [errors.MySQLError] + allErrorClasses():
            names = fieldsOf(cls.template)
            fields = {name: f"<{name}-value>" for name in names}
            error = cls(**fields)
            self.assertEqual(error.message, cls.template.format(**fields), cls)
            self.assertEqual(str(error), error.message, cls)
            for value in fields.values():
                self.assertIn(value, error.message, cls)
            self.assertNotIn("{", error.message, cls)
            self.assertIsInstance(error, Exception)

    def test_missingField(self):
        """
        A template field left out is an error of the caller, not a message
        with a hole.
        """
        self.assertRaises(KeyError, errors.AccessDenied, user="bob", host="localhost")

    def test_sqlStates(self):
        """
        Each error has a 5-character SQLSTATE of digits and capitals, and an
        integer code.
        """
        for cls in [errors.MySQLError] + allErrorClasses():
            self.assertIsInstance(cls.errorCode, int, cls)
            self.assertEqual(len(cls.sqlState), 5, cls)
            self.assertTrue(
                all(c in string.digits + string.ascii_uppercase for c in cls.sqlState), cls
            )
            self.assertNotEqual(cls.sqlState[:2], "00", cls)

    def test_explicitMessage(self):
        """
        A message given outright is used as it is, not formatted.
        """
        error = errors.AccessDenied("something {else}")
        self.assertEqual(error.message, "something {else}")
        self.assertEqual(error.errorCode, 1045)

    def test_repr(self):
        """
        The C{repr} shows the class, code, SQLSTATE and message.
        """
        error = errors.HandshakeError()
        self.assertEqual(repr(error), "<HandshakeError 1043 (08S01) 'Bad handshake'>")

    def test_wrongStringLengthCut(self):
        """
        L{errors.WrongStringLength} shows the string cut to 70 characters,
        as MySQL's C{%-.70s}.
        """
        error = errors.WrongStringLength(string="x" * 100, what="user name", limit=32)
        self.assertEqual(
            error.message,
            f"String '{'x' * 70}' is too long for user name (should be no longer than 32)",
        )


class MySQLTextTests(SynchronousTestCase):
    """
    The connection-phase errors are MySQL's: code, SQLSTATE and English
    text (see the reference's error table).
    """

    def test_mysqlErrors(self):
        """
        Each error has MySQL's code, SQLSTATE and text.
        """
        for cls, fields, code, sqlState, text in MYSQL_ERRORS:
            error = cls(**fields)
            self.assertEqual(
                (error.errorCode, error.sqlState, error.message), (code, sqlState, text)
            )

    def test_errorForCode(self):
        """
        L{errors.errorForCode} finds the class of each of these codes.
        """
        for cls, fields, code, sqlState, text in MYSQL_ERRORS:
            self.assertIs(errors.errorForCode(code), cls)

    def test_errorForEveryCode(self):
        """
        For every error class, L{errors.errorForCode} gives a class with the
        same code and SQLSTATE (the first defined, where two share a code).
        """
        for cls in allErrorClasses():
            found = errors.errorForCode(cls.errorCode)
            self.assertTrue(issubclass(found, errors.MySQLError), cls)
            self.assertEqual(found.errorCode, cls.errorCode, cls)
            self.assertEqual(found.sqlState, cls.sqlState, cls)

    def test_errorForUnknownCode(self):
        """
        An unknown code gives the base class.
        """
        self.assertIs(errors.errorForCode(9999), errors.MySQLError)
        self.assertIs(errors.errorForCode(0), errors.MySQLError)
