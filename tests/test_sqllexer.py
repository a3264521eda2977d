# -*- test-case-name: tests.test_sqllexer -*-
# Copyright (c) twisted_mysqlauth developers.
# See LICENSE for details.
"""
Tests for L{twisted_mysqlauth.sql.lexer}.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, List, Tuple

from twisted.trial.unittest import SynchronousTestCase

from twisted_mysqlauth.errors import ParseError
from twisted_mysqlauth.sql.lexer import (
    BITSTRING,
    END,
    HEXSTRING,
    IDENT,
    NUMBER,
    OPERATOR,
    QUOTED_IDENT,
    STRING,
    SYSVAR,
    USERVAR,
    Token,
    statementSpans,
    tokenize,
)

SYNTAX = (
    "You have an error in your SQL syntax; check the manual that corresponds "
    "to your MySQL server version for the right syntax to use near '{}' at "
    "line {}"
)


def kinds(text: str) -> List[Tuple[str, Any]]:
    """
    @return: the C{(kind, value)} of each token of C{text}, without the
        final L{END}.
    """
    tokens = tokenize(text)
    assert tokens[-1].kind == END
    return [(token.kind, token.value) for token in tokens[:-1]]


def only(text: str) -> Token:
    """
    @return: the single token of C{text}.
    """
    tokens = tokenize(text)
    assert len(tokens) == 2, tokens
    return tokens[0]


class LexerErrorMixin:
    """
    Assertions on the syntax errors of the lexer.
    """

    def assertSyntaxError(self, text: str, near: str, line: int = 1) -> None:
        """
        Tokenizing C{text} fails with MySQL's 1064 error naming C{near} and
        C{line}.
        """
        error = self.assertRaises(ParseError, tokenize, text)
        self.assertEqual(error.errorCode, 1064)
        self.assertEqual(error.message, SYNTAX.format(near, line))


class IdentifierTests(SynchronousTestCase):
    """
    Unquoted and quoted identifiers.
    """

    def test_words(self) -> None:
        """
        Words keep their case; L{Token.keyword} upper-cases them.
        """
        tokens = tokenize("select Foo_1 $x")
        self.assertEqual(
            [(t.kind, t.value) for t in tokens[:-1]],
            [(IDENT, "select"), (IDENT, "Foo_1"), (IDENT, "$x")],
        )
        self.assertEqual(tokens[0].keyword, "SELECT")
        self.assertEqual(tokens[1].keyword, "FOO_1")

    def test_nonASCIIWord(self) -> None:
        """
        UTF-8 letters are identifier characters; such a word is never a
        keyword.
        """
        token = only("lımıt")
        self.assertEqual((token.kind, token.value), (IDENT, "lımıt"))
        self.assertIsNone(token.keyword)

    def test_digitFirst(self) -> None:
        """
        A word starting with digits that is not a number is an identifier.
        """
        self.assertEqual(
            kinds("1st 0xg 0X41 1e"),
            [
                (IDENT, "1st"),
                (IDENT, "0xg"),
                (IDENT, "0X41"),
                (IDENT, "1e"),
            ],
        )

    def test_afterDot(self) -> None:
        """
        After an identifier and a dot, the next word is an identifier even
        if it is all digits.
        """
        self.assertEqual(
            kinds("db.1t t.5 a.b.c"),
            [
                (IDENT, "db"),
                (OPERATOR, "."),
                (IDENT, "1t"),
                (IDENT, "t"),
                (OPERATOR, "."),
                (IDENT, "5"),
                (IDENT, "a"),
                (OPERATOR, "."),
                (IDENT, "b"),
                (OPERATOR, "."),
                (IDENT, "c"),
            ],
        )

    def test_quoted(self) -> None:
        """
        Backticks quote an identifier; a doubled backtick stands for one.
        """
        self.assertEqual(
            kinds("`my table` `a``b` ``"),
            [(QUOTED_IDENT, "my table"), (QUOTED_IDENT, "a`b"), (QUOTED_IDENT, "")],
        )

    def test_quotedIsNotKeyword(self) -> None:
        """
        A quoted identifier is never a keyword.
        """
        self.assertIsNone(only("`select`").keyword)


class UnterminatedIdentifierTests(LexerErrorMixin, SynchronousTestCase):
    """
    Errors for quoted identifiers.
    """

    def test_unterminated(self) -> None:
        """
        An unclosed backtick is a syntax error from the backtick on.
        """
        self.assertSyntaxError("SELECT `abc", "`abc")


class StringTests(LexerErrorMixin, SynchronousTestCase):
    """
    String literals.
    """

    def test_singleAndDouble(self) -> None:
        """
        Single and double quotes both make strings, whose values are bytes.
        """
        self.assertEqual(kinds("'a' \"b\""), [(STRING, b"ab")])
        self.assertEqual(
            kinds("'a', \"b\""),
            [
                (STRING, b"a"),
                (OPERATOR, ","),
                (STRING, b"b"),
            ],
        )

    def test_otherQuoteInside(self) -> None:
        """
        The other kind of quote needs no escape.
        """
        self.assertEqual(only("'say \"hi\"'").value, b'say "hi"')
        self.assertEqual(only('"it\'s"').value, b"it's")

    def test_doubledQuote(self) -> None:
        """
        A doubled quote stands for one.
        """
        self.assertEqual(only("'it''s'").value, b"it's")
        self.assertEqual(only('"say ""hi"""').value, b'say "hi"')
        self.assertEqual(only("''").value, b"")

    def test_escapes(self) -> None:
        """
        MySQL's backslash escapes: C{\\0 \\' \\" \\b \\n \\r \\t \\Z \\\\}
        stand for their characters, C{\\%} and C{\\_} keep the backslash, any
        other escaped character stands for itself.
        """
        table = [
            ("\\0", b"\x00"),
            ("\\'", b"'"),
            ('\\"', b'"'),
            ("\\b", b"\x08"),
            ("\\n", b"\n"),
            ("\\r", b"\r"),
            ("\\t", b"\t"),
            ("\\Z", b"\x1a"),
            ("\\\\", b"\\"),
            ("\\%", b"\\%"),
            ("\\_", b"\\_"),
            ("\\x", b"x"),
            ("\\N", b"N"),
            ("\\z", b"z"),
            ("\\é", "é".encode("utf-8")),
        ]
        for escape, value in table:
            self.assertEqual(only("'" + escape + "'").value, value, escape)
            self.assertEqual(only('"' + escape + '"').value, value, escape)

    def test_utf8(self) -> None:
        """
        The text is encoded as UTF-8: a string's value is its UTF-8 bytes.
        """
        self.assertEqual(only("'pässwörd'").value, "pässwörd".encode("utf-8"))

    def test_bytesSource(self) -> None:
        """
        A statement given as bytes is scanned as it is.
        """
        self.assertEqual(
            [t.value for t in tokenize(b"SELECT '\xff'")[:-1]], ["SELECT", b"\xff"]
        )

    def test_adjacentStringsJoined(self) -> None:
        """
        Adjacent strings (even across lines and comments) are one string
        spanning them all.
        """
        tokens = tokenize("SELECT 'a'\n  \"b\" /* c */ 'c' x")
        self.assertEqual(tokens[1].kind, STRING)
        self.assertEqual(tokens[1].value, b"abc")
        self.assertEqual(tokens[1].offset, 7)
        self.assertEqual(tokens[1].end, 28)
        self.assertEqual(tokens[2].value, "x")

    def test_introducer(self) -> None:
        """
        C{_charset} before a string is its introducer, recorded in
        L{Token.charset}; the token starts at the introducer.
        """
        token = only("_utf8mb4'x'")
        self.assertEqual(
            (token.kind, token.value, token.charset), (STRING, b"x", "utf8mb4")
        )
        self.assertEqual(token.offset, 0)
        token = only('_LATIN1 "y"')
        self.assertEqual((token.value, token.charset), (b"y", "latin1"))

    def test_introducerStartsNewString(self) -> None:
        """
        A string with an introducer is not joined to the string before it;
        one without an introducer is joined to it.
        """
        self.assertEqual(
            [(t.value, t.charset) for t in tokenize("'a' _utf8mb4'b' 'c'")[:-1]],
            [(b"a", None), (b"bc", "utf8mb4")],
        )

    def test_notAnIntroducer(self) -> None:
        """
        C{_word} is an identifier if the word is not a character set or no
        string follows.
        """
        self.assertEqual(kinds("_foo 'x'"), [(IDENT, "_foo"), (STRING, b"x")])
        self.assertEqual(kinds("_utf8mb4 x"), [(IDENT, "_utf8mb4"), (IDENT, "x")])

    def test_national(self) -> None:
        """
        C{N'x'} is a string in the national character set (utf8mb3).
        """
        for text in ("N'x'", "n'x'"):
            token = only(text)
            self.assertEqual(
                (token.kind, token.value, token.charset), (STRING, b"x", "utf8mb3")
            )
        self.assertEqual(kinds("N 'x'"), [(IDENT, "N"), (STRING, b"x")])

    def test_unterminated(self) -> None:
        """
        An unclosed string is a syntax error from its quote on.
        """
        self.assertSyntaxError("SELECT 'abc", "'abc")
        self.assertSyntaxError('SELECT "abc', '"abc')
        self.assertSyntaxError("SELECT 'abc\\'", "'abc\\'")
        self.assertSyntaxError("SELECT 'abc\\", "'abc\\")

    def test_unterminatedLine(self) -> None:
        """
        The error names the line of the opening quote.
        """
        self.assertSyntaxError("SELECT 1,\n\n 'abc\ndef", "'abc\ndef", 3)


class NumberTests(LexerErrorMixin, SynchronousTestCase):
    """
    Numbers, hexadecimal and bit literals.
    """

    def test_numbers(self) -> None:
        """
        Integers are C{int}, numbers with a point C{Decimal}, numbers with an
        exponent C{float}.
        """
        self.assertEqual(
            kinds("12 1.5 .5 1. 1e3 1.5e-3 2E+2"),
            [
                (NUMBER, 12),
                (NUMBER, Decimal("1.5")),
                (NUMBER, Decimal("0.5")),
                (NUMBER, Decimal("1")),
                (NUMBER, 1000.0),
                (NUMBER, 0.0015),
                (NUMBER, 200.0),
            ],
        )
        self.assertIsInstance(only("12").value, int)
        self.assertIsInstance(only("1e3").value, float)

    def test_hex(self) -> None:
        """
        C{X'..'}, C{x'..'} and C{0x..} are the bytes they spell; an odd
        C{0x} literal is padded with a leading zero.
        """
        self.assertEqual(
            kinds("X'4142' x'' 0x41 0x414"),
            [
                (HEXSTRING, b"AB"),
                (HEXSTRING, b""),
                (HEXSTRING, b"A"),
                (HEXSTRING, b"\x04\x14"),
            ],
        )

    def test_hexErrors(self) -> None:
        """
        C{X'..'} with an odd number of digits or a non-digit is a syntax
        error.
        """
        self.assertSyntaxError("SELECT X'414'", "X'414'")
        self.assertSyntaxError("SELECT X'4G'", "X'4G'")

    def test_bits(self) -> None:
        """
        C{B'..'} and C{0b..} are the bytes they spell.
        """
        self.assertEqual(
            kinds("B'101' b'' 0b100000001"),
            [(BITSTRING, b"\x05"), (BITSTRING, b""), (BITSTRING, b"\x01\x01")],
        )
        self.assertSyntaxError("SELECT B'102'", "B'102'")

    def test_hexIntroducer(self) -> None:
        """
        An introducer applies to a hexadecimal literal too.
        """
        token = only("_binary X'41'")
        self.assertEqual(
            (token.kind, token.value, token.charset), (HEXSTRING, b"A", "binary")
        )
        token = only("_utf8mb4 0x41")
        self.assertEqual(
            (token.kind, token.value, token.charset), (HEXSTRING, b"A", "utf8mb4")
        )


class VariableTests(LexerErrorMixin, SynchronousTestCase):
    """
    System variables, user variables and host names after C{@}.
    """

    def test_systemVariables(self) -> None:
        """
        C{@@name} and C{@@scope.name}; the scope is lower-cased, the name
        kept as written; other dotted names are component variables.
        """
        self.assertEqual(
            kinds(
                "@@version_comment @@GLOBAL.Max_Connections @@session.x "
                "@@local.y @@persist.z @@persist_only.w "
                "@@validate_password.length @@`quoted`"
            ),
            [
                (SYSVAR, (None, "version_comment")),
                (SYSVAR, ("global", "Max_Connections")),
                (SYSVAR, ("session", "x")),
                (SYSVAR, ("local", "y")),
                (SYSVAR, ("persist", "z")),
                (SYSVAR, ("persist_only", "w")),
                (SYSVAR, (None, "validate_password.length")),
                (SYSVAR, (None, "quoted")),
            ],
        )

    def test_systemVariableWithoutName(self) -> None:
        """
        C{@@} without a name is a syntax error.
        """
        self.assertSyntaxError("SELECT @@", "@@")
        self.assertSyntaxError("SELECT @@ x", "@@ x")

    def test_userVariables(self) -> None:
        """
        C{@name}, and the quoted forms C{@'n'}, C{@"n"}, C{@`n`}.
        """
        tokens = tokenize("@x @'a b' @\"c\" @`d`")[:-1]
        self.assertEqual(
            [(t.kind, t.value, t.quoted) for t in tokens],
            [
                (USERVAR, "x", False),
                (USERVAR, "a b", True),
                (USERVAR, "c", True),
                (USERVAR, "d", True),
            ],
        )

    def test_hostNames(self) -> None:
        """
        After C{@}, letters, digits, dots, C{_} and C{$} make one name, so a
        dotted address is one token; C{%} is not part of it (as in MySQL).
        """
        self.assertEqual(kinds("u@localhost"), [(IDENT, "u"), (USERVAR, "localhost")])
        self.assertEqual(kinds("u@127.0.0.1"), [(IDENT, "u"), (USERVAR, "127.0.0.1")])
        self.assertEqual(kinds("'u'@'%'"), [(STRING, b"u"), (USERVAR, "%")])
        self.assertEqual(
            kinds("u@192.168.0.%"),
            [(IDENT, "u"), (USERVAR, "192.168.0."), (OPERATOR, "%")],
        )

    def test_loneAt(self) -> None:
        """
        C{@} followed by white space is an operator.
        """
        self.assertEqual(
            kinds("'u' @ 'h'"), [(STRING, b"u"), (OPERATOR, "@"), (STRING, b"h")]
        )


class OperatorTests(SynchronousTestCase):
    """
    Punctuation and operators.
    """

    def test_operators(self) -> None:
        """
        The longest operator is taken.
        """
        text = (
            "<=> <= >= <> != << >> && || := -> ->> "
            "( ) , ; . * = < > ! ~ ^ & | + - / % ?"
        )
        self.assertEqual(kinds(text), [(OPERATOR, op) for op in text.split()])
        self.assertEqual(kinds("a<=>b")[1], (OPERATOR, "<=>"))


class CommentTests(SynchronousTestCase):
    """
    Comments and version comments.
    """

    def test_lineComments(self) -> None:
        """
        C{#} and C{-- } run to the end of the line.
        """
        self.assertEqual(
            kinds("SELECT 1 # one\n, 2 -- two\n, 3 --\t3\n, 4 --"),
            [
                (IDENT, "SELECT"),
                (NUMBER, 1),
                (OPERATOR, ","),
                (NUMBER, 2),
                (OPERATOR, ","),
                (NUMBER, 3),
                (OPERATOR, ","),
                (NUMBER, 4),
            ],
        )

    def test_doubleDashWithoutSpace(self) -> None:
        """
        C{--} not followed by white space is two minus signs.
        """
        self.assertEqual(
            kinds("1--1"),
            [(NUMBER, 1), (OPERATOR, "-"), (OPERATOR, "-"), (NUMBER, 1)],
        )

    def test_blockComments(self) -> None:
        """
        C{/* */} comments and optimizer hints C{/*+ */} are dropped.
        """
        self.assertEqual(
            kinds("SELECT /*+ MAX_EXECUTION_TIME(1) */ 1 /* a\nb */, 2"),
            [(IDENT, "SELECT"), (NUMBER, 1), (OPERATOR, ","), (NUMBER, 2)],
        )

    def test_executableComment(self) -> None:
        """
        The content of C{/*! ... */} is read as statement text.
        """
        self.assertEqual(
            kinds("/*! SET x=1 */"),
            [(IDENT, "SET"), (IDENT, "x"), (OPERATOR, "="), (NUMBER, 1)],
        )

    def test_versionComment(self) -> None:
        """
        C{/*!NNNNN ... */} is read if the version is not above the server's
        and skipped otherwise, as C{mysqldump} output needs.
        """
        self.assertEqual(
            kinds("/*!40101 SET NAMES utf8 */ /*!99999 garbage */"),
            [(IDENT, "SET"), (IDENT, "NAMES"), (IDENT, "utf8")],
        )
        self.assertEqual(kinds("/*!80036 a */ /*!80037 b */"), [(IDENT, "a")])
        self.assertEqual(
            [t.value for t in tokenize("/*!80037 b */", serverVersion=80037)[:-1]],
            ["b"],
        )

    def test_sixDigitVersion(self) -> None:
        """
        A six-digit version followed by white space is read as such.
        """
        self.assertEqual(kinds("/*!080036 a */ /*!100000 b */"), [(IDENT, "a")])

    def test_commentInsideVersionComment(self) -> None:
        """
        A regular comment may appear inside a version comment, read or
        skipped.
        """
        self.assertEqual(
            kinds("/*!40101 a /* x */ b */ /*!99999 c /* y */ d */ e"),
            [(IDENT, "a"), (IDENT, "b"), (IDENT, "e")],
        )


class CommentErrorTests(LexerErrorMixin, SynchronousTestCase):
    """
    Errors for comments.
    """

    def test_unterminatedComment(self) -> None:
        """
        An unclosed C{/*} is a syntax error from the comment on.
        """
        self.assertSyntaxError("SELECT 1 /* abc", "/* abc")

    def test_unterminatedVersionComment(self) -> None:
        """
        An unclosed version comment is a syntax error at the end.
        """
        self.assertSyntaxError("/*!40101 SET x=1", "")
        self.assertSyntaxError("/*!99999 SET x=1", "/*!99999 SET x=1")


class PositionTests(SynchronousTestCase):
    """
    Offsets and lines of tokens.
    """

    def test_byteOffsets(self) -> None:
        """
        Offsets count bytes of the UTF-8 text.
        """
        tokens = tokenize("SELECT 'é', x")
        self.assertEqual(
            [(t.offset, t.end) for t in tokens],
            [
                (0, 6),
                (7, 11),
                (11, 12),
                (13, 14),
                (14, 14),
            ],
        )

    def test_lines(self) -> None:
        """
        Each token has the 1-based line it starts on; newlines in strings and
        comments count; the end token is on the last line.
        """
        tokens = tokenize("SELECT\n'a\nb', /* c\n */ x # y\n\n")
        self.assertEqual([t.line for t in tokens], [1, 2, 3, 4, 6])


class StatementSpansTests(SynchronousTestCase):
    """
    Tests for L{statementSpans}.
    """

    def test_spans(self) -> None:
        """
        The script is cut at each C{;} outside strings, identifiers and
        comments.
        """
        source = b"a ';' `;` \";\" -- ;\n # ;\n /* ; */ b; c;"
        spans = statementSpans(source)
        self.assertEqual(
            [source[start:end] for start, end in spans],
            [b"a ';' `;` \";\" -- ;\n # ;\n /* ; */ b", b" c", b""],
        )

    def test_escapedQuote(self) -> None:
        """
        An escaped quote does not end a string.
        """
        source = b"'a\\';b'; c"
        self.assertEqual(
            [source[s:e] for s, e in statementSpans(source)], [b"'a\\';b'", b" c"]
        )

    def test_unterminated(self) -> None:
        """
        An unterminated string or comment runs to the end.
        """
        source = b"a; 'b; c"
        self.assertEqual(
            [source[s:e] for s, e in statementSpans(source)], [b"a", b" 'b; c"]
        )
