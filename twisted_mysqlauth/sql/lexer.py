# -*- test-case-name: tests.test_sqllexer -*-
# Copyright (c) twisted_mysqlauth developers.
# See LICENSE for details.
"""
A tokenizer for the MySQL statements this server understands.

It follows MySQL's own lexer (C{sql_lex.cc}) where clients can tell the
difference:

  - The statement is scanned as bytes: the text is encoded as UTF-8 (the
    connection character set), token offsets are byte offsets, and string
    values are bytes with MySQL's backslash escapes applied.
  - C{'...'} and C{"..."} are strings (no C{ANSI_QUOTES}); a quote is
    doubled or escaped to include it; adjacent strings are one string.
  - C{`...`} is a quoted identifier (C{``} for a backtick).
  - C{-- } (two dashes then a space or control character), C{#} and
    C{/* */} are comments; C{/*!...*/} and C{/*!NNNNN ...*/} (version
    comments, as C{mysqldump} writes) are read as their content when the
    version is not above L{SERVER_VERSION_ID}.
  - After C{@}, a host name or user variable name is letters, digits, C{.},
    C{_} and C{$}; so C{u@127.0.0.1} is an identifier and a L{USERVAR}.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Dict, FrozenSet, List, Optional, Tuple, Union

import attr

from twisted_mysqlauth.errors import ParseError

#: The C{MYSQL_VERSION_ID} of the server this one presents itself as (see
#: L{twisted_mysqlauth.server.SERVER_VERSION}): version comments for later
#: versions are skipped.
SERVER_VERSION_ID = 80036

# Token kinds.

#: An unquoted word: a keyword or an identifier.  The value is the text as
#: written.
IDENT = "IDENT"
#: A C{`quoted`} identifier.  The value is the text, with C{``} undoubled.
QUOTED_IDENT = "QUOTED_IDENT"
#: A string literal.  The value is C{bytes}; L{Token.charset} holds its
#: introducer, if any.
STRING = "STRING"
#: A number.  The value is an C{int}, a C{Decimal} (C{1.5}, C{.5}) or a
#: C{float} (C{1e3}).
NUMBER = "NUMBER"
#: C{X'4142'} or C{0x4142}.  The value is the C{bytes} it spells.
HEXSTRING = "HEXSTRING"
#: C{B'0101'} or C{0b0101}.  The value is the C{bytes} it spells.
BITSTRING = "BITSTRING"
#: C{@@name}, C{@@scope.name}.  The value is C{(scope, name)}: C{scope} is
#: C{None} or the lower-cased scope word (C{"global"}, C{"session"},
#: C{"local"}, C{"persist"}, C{"persist_only"}).
SYSVAR = "SYSVAR"
#: C{@name}, C{@'name'}, C{@"name"}, C{@`name`}.  The value is the name;
#: L{Token.quoted} tells the quoted forms apart.
USERVAR = "USERVAR"
#: Punctuation and operators.  The value is the operator text, e.g. C{"<=>"}.
OPERATOR = "OPERATOR"
#: The end of the statement.  The value is C{None}.
END = "END"

#: The character sets MySQL knows, for C{_charset'string'} introducers.
CHARSETS: FrozenSet[str] = frozenset("""
    armscii8 ascii big5 binary cp1250 cp1251 cp1256 cp1257 cp850 cp852 cp866
    cp932 dec8 eucjpms euckr gb18030 gb2312 gbk geostd8 greek hebrew hp8
    keybcs2 koi8r koi8u latin1 latin2 latin5 latin7 macce macroman sjis swe7
    tis620 ucs2 ujis utf16 utf16le utf32 utf8 utf8mb3 utf8mb4
    """.split())

#: The scope words that may follow C{@@}.
SYSVAR_SCOPES: FrozenSet[str] = frozenset(
    ["global", "session", "local", "persist", "persist_only"]
)

#: What a backslash followed by a character stands for inside a string.
#: C{\\%} and C{\\_} keep their backslash (they are C{LIKE} escapes); any
#: other character stands for itself.
ESCAPES: Dict[int, bytes] = {
    ord("0"): b"\x00",
    ord("'"): b"'",
    ord('"'): b'"',
    ord("b"): b"\x08",
    ord("n"): b"\n",
    ord("r"): b"\r",
    ord("t"): b"\t",
    ord("Z"): b"\x1a",
    ord("\\"): b"\\",
    ord("%"): b"\\%",
    ord("_"): b"\\_",
}

_DIGITS = frozenset(b"0123456789")
_HEX_DIGITS = frozenset(b"0123456789abcdefABCDEF")
_BINARY_DIGITS = frozenset(b"01")
_SIGNS = frozenset(b"+-")
_EXPONENTS = frozenset(b"eE")
_HEX_OR_BIT = frozenset(b"XxBb")
_LETTERS = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
_HIGH = frozenset(range(0x80, 0x100))
# Bytes of an unquoted identifier (MySQL's ident_map): multi-byte UTF-8
# characters are identifier characters.
_IDENT_BYTES = _LETTERS | _DIGITS | frozenset(b"_$") | _HIGH
# Bytes of a host name or variable name after '@'.
_NAME_BYTES = _IDENT_BYTES | frozenset(b".")
_SPACE = frozenset(b" \t\n\r\f\v")
_QUOTES = frozenset(b"'\"")

_OPERATORS_3 = frozenset([b"<=>", b"->>"])
_OPERATORS_2 = frozenset(
    [b"<=", b">=", b"<>", b"!=", b"<<", b">>", b"&&", b"||", b":=", b"->"]
)

#: Longest "near" text of a syntax error, in characters.
NEAR_LENGTH = 80


@attr.s(frozen=True, slots=True, auto_attribs=True)
class Token:
    """
    One token of a statement.

    @ivar kind: one of L{IDENT}, L{QUOTED_IDENT}, L{STRING}, L{NUMBER},
        L{HEXSTRING}, L{BITSTRING}, L{SYSVAR}, L{USERVAR}, L{OPERATOR},
        L{END}.
    @ivar value: what the token stands for; see the kinds.
    @ivar offset: the byte offset of the token's first byte in the
        statement (for a string with an introducer, the introducer's).
    @ivar end: the byte offset just after the token.
    @ivar line: the 1-based line of the token's first byte.
    @ivar charset: for L{STRING}, L{HEXSTRING} and L{BITSTRING}, the
        lower-cased introducer (C{"utf8mb3"} for C{N'...'}), or C{None}.
    @ivar quoted: for L{USERVAR}, whether the name was quoted.
    """

    kind: str
    value: Any
    offset: int
    end: int
    line: int
    charset: Optional[str] = None
    quoted: bool = False

    @property
    def keyword(self) -> Optional[str]:
        """
        The upper-cased word, if this is an unquoted ASCII word (which may be
        a keyword), else C{None}.
        """
        if self.kind == IDENT and self.value.isascii():
            return self.value.upper()
        return None


def encodeSource(text: Union[str, bytes]) -> bytes:
    """
    Give the bytes of a statement as the lexer scans them.

    @param text: the statement; text is encoded as UTF-8 (characters that
        a decoder escaped with C{surrogateescape} become their bytes again),
        bytes are taken as they are.
    @return: the statement's bytes.
    """
    if isinstance(text, bytes):
        return text
    try:
        return text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        return text.encode("utf-8", "replace")


def decodeText(data: bytes) -> str:
    """
    Decode a name or other text taken from a statement.

    @param data: UTF-8 bytes.
    @return: the text; invalid bytes are kept as C{surrogateescape}
        characters.
    """
    return data.decode("utf-8", "surrogateescape")


def syntaxError(source: bytes, offset: int, line: int) -> ParseError:
    """
    Build MySQL's syntax error for a statement that cannot be read from a
    given point on.

    @param source: the statement's bytes.
    @param offset: the byte offset of the offending token.
    @param line: the 1-based line of that token.
    @return: a L{ParseError} (1064) whose "near" text is the statement from
        C{offset} to its end, cut to L{NEAR_LENGTH} characters.
    """
    near = source[offset:].decode("utf-8", "replace")[:NEAR_LENGTH]
    return ParseError(near=near, line=line)


def tokenize(
    source: Union[str, bytes], serverVersion: int = SERVER_VERSION_ID
) -> List[Token]:
    """
    Split one statement into tokens.

    @param source: the statement, as text or as UTF-8 bytes.
    @param serverVersion: the C{MYSQL_VERSION_ID} that version comments are
        compared with.
    @return: the tokens, the last of kind L{END}.  Comments are dropped;
        version comments contribute their content.
    @raise ParseError: for an unterminated string, quoted identifier or
        comment, an odd-length or non-hexadecimal C{X'...'}, a non-binary
        C{B'...'}, or C{@@} without a name.
    """
    lexer = _Lexer(encodeSource(source), serverVersion)
    return lexer.run()


class _Lexer:
    """
    The scanning state for one statement.

    @ivar source: the statement's bytes.
    @ivar pos: the offset of the next byte to scan.
    @ivar inVersionComment: whether the scan is inside the content of a
        C{/*! ... */} comment, whose C{*/} is to be skipped.
    @ivar tokens: the tokens found so far.
    """

    def __init__(self, source: bytes, serverVersion: int) -> None:
        self.source = source
        self.length = len(source)
        self.serverVersion = serverVersion
        self.pos = 0
        self.inVersionComment = False
        self.tokens: List[Token] = []
        self._lineOffset = 0
        self._line = 1

    def lineAt(self, offset: int) -> int:
        """
        @param offset: a byte offset, normally not before the last one asked
            about.
        @return: the 1-based line that offset is on.
        """
        if offset < self._lineOffset:
            return self.source.count(b"\n", 0, offset) + 1
        self._line += self.source.count(b"\n", self._lineOffset, offset)
        self._lineOffset = offset
        return self._line

    def error(self, offset: int) -> ParseError:
        """
        @return: the syntax error for a token starting at C{offset}.
        """
        return syntaxError(self.source, offset, self.lineAt(offset))

    def peek(self, offset: int) -> int:
        """
        @return: the byte at C{offset}, or -1 past the end.
        """
        if offset < self.length:
            return self.source[offset]
        return -1

    def emit(
        self,
        kind: str,
        value: Any,
        start: int,
        end: int,
        charset: Optional[str] = None,
        quoted: bool = False,
    ) -> None:
        """
        Add a token and move the scan to its end.
        """
        self.tokens.append(
            Token(kind, value, start, end, self.lineAt(start), charset, quoted)
        )
        self.pos = end

    def run(self) -> List[Token]:
        """
        Scan the whole statement.

        @return: the tokens.
        """
        while True:
            self.skipBlanks()
            if self.pos >= self.length:
                if self.inVersionComment:
                    # MySQL: an unclosed version comment is a syntax error
                    # at the end of the statement.
                    raise self.error(self.length)
                self.emit(END, None, self.length, self.length)
                break
            self.scanToken()
        return _joinStrings(self.tokens)

    # Blanks and comments.

    def skipBlanks(self) -> None:
        """
        Skip white space and comments, and enter or leave version comments.
        """
        source = self.source
        while self.pos < self.length:
            byte = source[self.pos]
            following = self.peek(self.pos + 1)
            if byte in _SPACE:
                self.pos += 1
            elif byte == ord("#"):
                self.skipLine()
            elif (
                byte == ord("-")
                and following == ord("-")
                and _endsDashes(self.peek(self.pos + 2))
            ):
                self.skipLine()
            elif byte == ord("/") and following == ord("*"):
                self.skipBlockComment()
            elif byte == ord("*") and following == ord("/") and self.inVersionComment:
                self.pos += 2
                self.inVersionComment = False
            else:
                return

    def skipLine(self) -> None:
        """
        Skip to the end of the line (a C{#} or C{-- } comment).
        """
        newline = self.source.find(b"\n", self.pos)
        self.pos = self.length if newline < 0 else newline + 1

    def skipBlockComment(self) -> None:
        """
        Skip a C{/* */} comment, or enter a version comment.

        @raise ParseError: if the comment is not closed.
        """
        start = self.pos
        if self.peek(start + 2) == ord("!") and not self.inVersionComment:
            digitsAt = start + 3
            if all(self.peek(digitsAt + i) in _DIGITS for i in range(5)):
                width = 5
                if (
                    self.peek(digitsAt + 5) in _DIGITS
                    and self.peek(digitsAt + 6) in _SPACE
                ):
                    width = 6
                version = int(self.source[digitsAt : digitsAt + width])
                if version <= self.serverVersion:
                    self.pos = digitsAt + width
                    self.inVersionComment = True
                else:
                    self.skipFutureComment(start)
            else:
                self.pos = digitsAt
                self.inVersionComment = True
            return
        close = self.source.find(b"*/", start + 2)
        if close < 0:
            raise self.error(start)
        self.pos = close + 2

    def skipFutureComment(self, start: int) -> None:
        """
        Skip a version comment for a later server version; like MySQL, allow
        one regular comment inside it.

        @param start: the offset of its C{/*}.
        """
        depth = 1
        index = start + 3
        while index < self.length:
            if self.source.startswith(b"*/", index):
                depth -= 1
                index += 2
                if depth == 0:
                    self.pos = index
                    return
            elif self.source.startswith(b"/*", index) and depth == 1:
                depth += 1
                index += 2
            else:
                index += 1
        raise self.error(start)

    # Tokens.

    def scanToken(self) -> None:
        """
        Scan the token at the current offset.
        """
        start = self.pos
        byte = self.source[start]
        following = self.peek(start + 1)
        if following == ord("'") and byte in b"NnXxBb":
            self.scanPrefixedLiteral(start, start, None)
        elif byte in _DIGITS:
            self.scanNumberOrIdentifier(start)
        elif byte in _IDENT_BYTES:
            self.scanIdentifier(start)
        elif byte == ord(".") and following in _DIGITS:
            self.scanReal(start, start)
        elif byte in _QUOTES:
            value, end = self.readString(start)
            self.emit(STRING, value, start, end)
        elif byte == ord("`"):
            value, end = self.readQuotedIdentifier(start)
            self.emit(QUOTED_IDENT, value, start, end)
            self.checkSeparator(end)
        elif byte == ord("@"):
            self.scanVariable(start)
        else:
            self.scanOperator(start)

    def scanOperator(self, start: int) -> None:
        """
        Scan punctuation or an operator.
        """
        for width, table in ((3, _OPERATORS_3), (2, _OPERATORS_2)):
            text = self.source[start : start + width]
            if text in table:
                self.emit(OPERATOR, text.decode("ascii"), start, start + width)
                return
        text = self.source[start : start + 1].decode("latin-1")
        self.emit(OPERATOR, text, start, start + 1)

    def identifierEnd(self, start: int) -> int:
        """
        @return: the offset after the run of identifier bytes at C{start}.
        """
        end = start
        while end < self.length and self.source[end] in _IDENT_BYTES:
            end += 1
        return end

    def checkSeparator(self, end: int) -> None:
        """
        After an identifier: if a C{.} and another identifier follow
        directly, emit the C{.} and scan the next word as an identifier
        (even if it is all digits, like C{db.1t} or C{t.5}), as MySQL does.

        @param end: the offset after the identifier.
        """
        if self.peek(end) == ord(".") and self.peek(end + 1) in _IDENT_BYTES:
            self.emit(OPERATOR, ".", end, end + 1)
            wordEnd = self.identifierEnd(end + 1)
            word = decodeText(self.source[end + 1 : wordEnd])
            self.emit(IDENT, word, end + 1, wordEnd)
            self.checkSeparator(wordEnd)

    def scanIdentifier(self, start: int) -> None:
        """
        Scan a word; a word C{_charset} in front of a string is an
        introducer.
        """
        end = self.identifierEnd(start)
        word = decodeText(self.source[start:end])
        if word.startswith("_") and word[1:].lower() in CHARSETS:
            literalAt = end
            while self.peek(literalAt) in _SPACE:
                literalAt += 1
            if self.literalStartsAt(literalAt):
                self.pos = literalAt
                self.scanPrefixedLiteral(start, literalAt, word[1:].lower())
                return
        self.emit(IDENT, word, start, end)
        self.checkSeparator(end)

    def literalStartsAt(self, offset: int) -> bool:
        """
        @return: whether a string, hexadecimal or bit literal starts at
            C{offset} (what may follow a character set introducer).
        """
        byte = self.peek(offset)
        if byte in _QUOTES:
            return True
        if byte in _HEX_OR_BIT and self.peek(offset + 1) == ord("'"):
            return True
        return self.prefixedNumberEnd(offset) is not None

    def scanPrefixedLiteral(
        self, start: int, literalAt: int, charset: Optional[str]
    ) -> None:
        """
        Scan C{N'...'}, C{X'...'}, C{B'...'}, or (after an introducer) a
        string, C{0x...} or C{0b...}.

        @param start: the offset of the token (of its introducer, if any).
        @param literalAt: the offset of the literal itself.
        @param charset: the introducer's character set, or C{None}.
        """
        byte = self.source[literalAt]
        if byte in _QUOTES:
            value, end = self.readString(literalAt)
            self.emit(STRING, value, start, end, charset)
        elif byte in b"Nn":
            value, end = self.readString(literalAt + 1)
            self.emit(STRING, value, start, end, "utf8mb3")
        elif byte in b"Xx" and self.peek(literalAt + 1) == ord("'"):
            close = literalAt + 2
            while self.peek(close) in _HEX_DIGITS:
                close += 1
            digits = self.source[literalAt + 2 : close]
            if self.peek(close) != ord("'") or len(digits) % 2:
                raise self.error(start)
            value = bytes.fromhex(digits.decode("ascii"))
            self.emit(HEXSTRING, value, start, close + 1, charset)
        elif byte in b"Bb" and self.peek(literalAt + 1) == ord("'"):
            close = literalAt + 2
            while self.peek(close) in _BINARY_DIGITS:
                close += 1
            if self.peek(close) != ord("'"):
                raise self.error(start)
            digits = self.source[literalAt + 2 : close]
            self.emit(BITSTRING, _bitsToBytes(digits), start, close + 1, charset)
        else:
            self.scanPrefixedNumber(start, literalAt, charset)

    def prefixedNumberEnd(self, offset: int) -> Optional[int]:
        """
        @return: the offset after the C{0x...} or C{0b...} literal at
            C{offset}, or C{None} if there is none there (C{0xg} and C{0b2}
            are identifiers).
        """
        if self.peek(offset) != ord("0"):
            return None
        marker = self.peek(offset + 1)
        if marker == ord("x"):
            allowed = _HEX_DIGITS
        elif marker == ord("b"):
            allowed = _BINARY_DIGITS
        else:
            return None
        end = offset + 2
        while self.peek(end) in allowed:
            end += 1
        if end == offset + 2 or self.peek(end) in _IDENT_BYTES:
            return None
        return end

    def scanPrefixedNumber(
        self, start: int, literalAt: int, charset: Optional[str]
    ) -> None:
        """
        Scan the C{0x...} or C{0b...} literal at C{literalAt}, which
        L{prefixedNumberEnd} has found.
        """
        end = self.prefixedNumberEnd(literalAt)
        assert end is not None
        digits = self.source[literalAt + 2 : end]
        if self.source[literalAt + 1] == ord("x"):
            if len(digits) % 2:
                digits = b"0" + digits
            value = bytes.fromhex(digits.decode("ascii"))
            self.emit(HEXSTRING, value, start, end, charset)
        else:
            self.emit(BITSTRING, _bitsToBytes(digits), start, end, charset)

    def scanNumberOrIdentifier(self, start: int) -> None:
        """
        Scan a word that starts with a digit: a number (C{12}, C{1.5},
        C{1e3}, C{0x1F}, C{0b101}) or an identifier (C{1st}).
        """
        if self.prefixedNumberEnd(start) is not None:
            self.scanPrefixedNumber(start, start, None)
            return
        end = start
        while self.peek(end) in _DIGITS:
            end += 1
        following = self.peek(end)
        if following not in _IDENT_BYTES:
            if following == ord("."):
                self.scanReal(start, end)
            else:
                self.emit(NUMBER, int(self.source[start:end]), start, end)
            return
        if following in _EXPONENTS:
            exponentEnd = self.exponentEnd(end)
            if exponentEnd is not None:
                text = self.source[start:exponentEnd].decode("ascii")
                self.emit(NUMBER, float(text), start, exponentEnd)
                return
        self.scanIdentifier(start)

    def exponentEnd(self, at: int) -> Optional[int]:
        """
        @param at: the offset of an C{e} or C{E}.
        @return: the offset after the exponent that starts there, or
            C{None} if there is none (C{1e}, C{1e+}).
        """
        index = at + 1
        if self.peek(index) in _SIGNS:
            index += 1
        if self.peek(index) not in _DIGITS:
            return None
        while self.peek(index) in _DIGITS:
            index += 1
        return index

    def scanReal(self, start: int, point: int) -> None:
        """
        Scan a number with a decimal point (C{1.5}, C{1.}, C{.5}, C{1.5e3}).

        @param point: the offset of the C{.}.
        """
        end = point + 1
        while self.peek(end) in _DIGITS:
            end += 1
        if self.peek(end) in _EXPONENTS:
            exponentEnd = self.exponentEnd(end)
            if exponentEnd is not None:
                text = self.source[start:exponentEnd].decode("ascii")
                self.emit(NUMBER, float(text), start, exponentEnd)
                return
        text = self.source[start:end].decode("ascii")
        self.emit(NUMBER, Decimal(text), start, end)

    def readString(self, start: int) -> Tuple[bytes, int]:
        """
        Read a quoted string.

        @param start: the offset of the opening quote.
        @return: the string's value and the offset after its closing quote.
        @raise ParseError: if it is not closed (MySQL reports the error at
            the opening quote).
        """
        source = self.source
        quote = source[start : start + 1]
        value = bytearray()
        index = start + 1
        while True:
            close = source.find(quote, index)
            backslash = source.find(b"\\", index, close if close >= 0 else self.length)
            if backslash >= 0:
                if backslash + 1 >= self.length:
                    raise self.error(start)
                value += source[index:backslash]
                escaped = source[backslash + 1]
                value += ESCAPES.get(escaped, bytes([escaped]))
                index = backslash + 2
                continue
            if close < 0:
                raise self.error(start)
            value += source[index:close]
            if source[close + 1 : close + 2] == quote:
                value += quote
                index = close + 2
                continue
            return bytes(value), close + 1

    def readQuotedIdentifier(self, start: int) -> Tuple[str, int]:
        """
        Read a C{`quoted`} identifier.

        @param start: the offset of the opening backtick.
        @return: the identifier and the offset after the closing backtick.
        @raise ParseError: if it is not closed.
        """
        parts = []
        index = start + 1
        while True:
            close = self.source.find(b"`", index)
            if close < 0:
                raise self.error(start)
            parts.append(self.source[index:close])
            if self.peek(close + 1) == ord("`"):
                parts.append(b"`")
                index = close + 2
                continue
            return decodeText(b"".join(parts)), close + 1

    def scanVariable(self, start: int) -> None:
        """
        Scan what starts with C{@}: a system variable, a user variable (also
        the host part of an account name), or a lone C{@}.
        """
        following = self.peek(start + 1)
        if following == ord("@"):
            self.scanSystemVariable(start)
        elif following in _QUOTES:
            value, end = self.readString(start + 1)
            self.emit(USERVAR, decodeText(value), start, end, quoted=True)
        elif following == ord("`"):
            name, end = self.readQuotedIdentifier(start + 1)
            self.emit(USERVAR, name, start, end, quoted=True)
        elif following in _NAME_BYTES:
            end = start + 1
            while self.peek(end) in _NAME_BYTES:
                end += 1
            self.emit(USERVAR, decodeText(self.source[start + 1 : end]), start, end)
        else:
            self.emit(OPERATOR, "@", start, start + 1)

    def scanSystemVariable(self, start: int) -> None:
        """
        Scan C{@@name}, C{@@scope.name} or C{@@component.name}.

        @raise ParseError: if no name follows.
        """
        parts = []
        index = start + 2
        while True:
            if self.peek(index) == ord("`"):
                part, index = self.readQuotedIdentifier(index)
            else:
                end = self.identifierEnd(index)
                if end == index:
                    raise self.error(start)
                part = decodeText(self.source[index:end])
                index = end
            parts.append(part)
            if self.peek(index) == ord(".") and (
                self.peek(index + 1) in _IDENT_BYTES or self.peek(index + 1) == ord("`")
            ):
                index += 1
                continue
            break
        scope = None
        if len(parts) > 1 and parts[0].lower() in SYSVAR_SCOPES:
            scope = parts.pop(0).lower()
        self.emit(SYSVAR, (scope, ".".join(parts)), start, index)


def _endsDashes(byte: int) -> bool:
    """
    @param byte: the byte after C{--}, or -1 at the end.
    @return: whether C{--} followed by it starts a comment (white space or a
        control character, as in MySQL).
    """
    return byte < 0x20 or byte == 0x7F or byte in _SPACE


def _bitsToBytes(digits: bytes) -> bytes:
    """
    @param digits: binary digits.
    @return: the bytes they spell, big-endian, as few as hold them.
    """
    if not digits:
        return b""
    number = int(digits, 2)
    return number.to_bytes((len(digits) + 7) // 8, "big")


def _joinStrings(tokens: List[Token]) -> List[Token]:
    """
    Join adjacent string literals into one, as MySQL does (C{'a' 'b'} is
    C{'ab'}); a string with an introducer starts a new literal.

    @param tokens: the tokens of a statement.
    @return: the tokens with the strings joined.
    """
    joined: List[Token] = []
    for token in tokens:
        if (
            token.kind == STRING
            and token.charset is None
            and joined
            and joined[-1].kind == STRING
        ):
            last = joined[-1]
            joined[-1] = attr.evolve(
                last, value=last.value + token.value, end=token.end
            )
        else:
            joined.append(token)
    return joined


def statementSpans(source: bytes) -> List[Tuple[int, int]]:
    """
    Find where the statements of a script are: the script is cut at each
    C{;} outside strings, quoted identifiers and comments.

    @param source: the script's bytes.
    @return: C{(start, end)} byte offsets of each piece, without its C{;};
        the pieces cover the script.  Unterminated strings or comments run
        to the end of the script (parsing that piece reports the error).
    """
    spans = []
    length = len(source)
    start = 0
    index = 0
    while index < length:
        byte = source[index]
        following = source[index + 1] if index + 1 < length else -1
        if byte == ord(";"):
            spans.append((start, index))
            index += 1
            start = index
        elif byte in _QUOTES:
            index = _skipQuoted(source, index, escapes=True)
        elif byte == ord("`"):
            index = _skipQuoted(source, index, escapes=False)
        elif byte == ord("#") or (
            byte == ord("-")
            and following == ord("-")
            and _endsDashes(source[index + 2] if index + 2 < length else -1)
        ):
            newline = source.find(b"\n", index)
            index = length if newline < 0 else newline + 1
        elif byte == ord("/") and following == ord("*"):
            close = source.find(b"*/", index + 2)
            index = length if close < 0 else close + 2
        else:
            index += 1
    spans.append((start, length))
    return spans


def _skipQuoted(source: bytes, start: int, escapes: bool) -> int:
    """
    @param source: a script.
    @param start: the offset of an opening quote or backtick.
    @param escapes: whether a backslash escapes the next byte.
    @return: the offset after the closing quote, or the script's length if
        there is none.
    """
    quote = source[start]
    index = start + 1
    length = len(source)
    while index < length:
        byte = source[index]
        if escapes and byte == ord("\\"):
            index += 2
        elif byte == quote:
            if index + 1 < length and source[index + 1] == quote:
                index += 2
            else:
                return index + 1
        else:
            index += 1
    return length
