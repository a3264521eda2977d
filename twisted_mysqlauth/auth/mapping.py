# -*- test-case-name: tests.test_winauthstring -*-
# Copyright (c) twisted_mysqlauth developers.
# See LICENSE for details.
"""
The mapping lists of external authentication strings: a comma-separated
list of C{name} or C{name=target} entries, as the MySQL manual describes
them for C{authentication_windows} (C{'Rafal, Tasha, Administrators,
"Power Users"'}, C{'win_group = sql_user1, win_user = sql_user2'}) and
as C{authentication_pam} uses them after its service name.

The rules, in the manual's words and how they are read here:

 - The string consists of one or more mappings separated by commas.
 - A mapping is C{name=target} or a bare C{name} (then the target is
   implicit: L{Mapping.target} is L{None}, and the caller substitutes the
   account's own user name).
 - Leading and trailing spaces not inside double quotes are ignored: around
   each name, target, C{=} and C{,} (tabs and line breaks count as spaces,
   so a string written over several lines reads as on one).
 - An unquoted name or target can contain anything except C{=}, C{,} and a
   space; a backslash in it is an ordinary character (C{MyDomain\\user}).
 - Within double quotes every character is part of the value except C{"}
   and C{\\}, which must be written C{\\"} and C{\\\\}; a backslash before
   anything else is an error, as is a missing closing quote.
 - The doubling of backslashes the manual asks for (C{'domain\\\\user'}) is
   MySQL's string-literal escaping: by the time the string is stored, and
   parsed here, it is one backslash.

Anything else (an empty name or target, a second C{=}, a name with a space
outside quotes, text right after a closing quote) raises
L{MappingSyntaxError} with the position and what was expected.
"""

from __future__ import annotations

from typing import List, Optional

import attr

#: What counts as a space between tokens.
_SPACES = frozenset(" \t\r\n")

#: What ends an unquoted value.
_DELIMITERS = frozenset("=,") | _SPACES


@attr.s(frozen=True, slots=True, auto_attribs=True)
class Mapping:
    """
    One entry of a mapping list.

    @ivar name: the external name (a Windows user or group, a PAM group),
        as written, quotes and escapes removed.
    @ivar target: the name it maps to, or L{None} when the entry is a bare
        name (the implicit target).
    """

    name: str
    target: Optional[str] = None


class MappingSyntaxError(ValueError):
    """
    A mapping list that does not follow the rules.

    @ivar reason: what is wrong.
    @ivar position: the 0-based index in the text where it was found.
    """

    def __init__(self, reason: str, position: int) -> None:
        super().__init__(f"{reason} (at character {position + 1})")
        self.reason = reason
        self.position = position


class _Scanner:
    """
    Reads a mapping list from left to right.
    """

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def peek(self) -> str:
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def skipSpaces(self) -> None:
        while self.peek() in _SPACES and self.peek():
            self.pos += 1

    def value(self, what: str) -> str:
        """
        Read one name or target, quoted or not, and the spaces after it.
        """
        self.skipSpaces()
        start = self.pos
        quoted = self.peek() == '"'
        if quoted:
            text = self.quoted()
        else:
            while self.peek() and self.peek() not in _DELIMITERS:
                self.pos += 1
            text = self.text[start : self.pos]
        if not text:
            raise MappingSyntaxError(f"empty {what}", start)
        self.skipSpaces()
        following = self.peek()
        if following and following not in "=,":
            if quoted:
                raise MappingSyntaxError(
                    f"unexpected {following!r} after the quoted {what} {text!r}: "
                    "entries are separated by commas",
                    self.pos,
                )
            raise MappingSyntaxError(
                f"unexpected {following!r} after the {what} {text!r}: a name with "
                "spaces must be in double quotes, and entries are separated by commas",
                self.pos,
            )
        return text

    def quoted(self) -> str:
        start = self.pos
        self.pos += 1
        chars: List[str] = []
        while True:
            char = self.peek()
            if not char:
                raise MappingSyntaxError("missing closing double quote", start)
            self.pos += 1
            if char == '"':
                return "".join(chars)
            if char == "\\":
                escaped = self.peek()
                if escaped not in ('"', "\\") or not escaped:
                    raise MappingSyntaxError(
                        'inside double quotes a backslash must be followed by " or '
                        "by another backslash",
                        self.pos - 1,
                    )
                self.pos += 1
                chars.append(escaped)
            else:
                chars.append(char)


def parseMappings(text: str) -> List[Mapping]:
    """
    Parse a mapping list.

    @param text: the authentication string (already unescaped as a MySQL
        string literal).
    @return: the mappings in the order written; an empty list for a string
        that is empty or only spaces (the caller decides whether that is
        allowed).
    @raise MappingSyntaxError: the string breaks a rule.
    """
    scanner = _Scanner(text)
    scanner.skipSpaces()
    mappings: List[Mapping] = []
    if not scanner.peek():
        return mappings
    while True:
        name = scanner.value("name")
        target: Optional[str] = None
        if scanner.peek() == "=":
            scanner.pos += 1
            target = scanner.value("target")
            if scanner.peek() == "=":
                raise MappingSyntaxError("a second '=' in one entry", scanner.pos)
        mappings.append(Mapping(name, target))
        if not scanner.peek():
            return mappings
        # value() stops only at the end, '=' or ','.
        scanner.pos += 1
        scanner.skipSpaces()
        if not scanner.peek():
            raise MappingSyntaxError("empty name after the last comma", scanner.pos)
