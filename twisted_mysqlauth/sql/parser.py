# -*- test-case-name: tests.test_sqlparser -*-
# Copyright (c) twisted_mysqlauth developers.
# See LICENSE for details.
"""
A recursive-descent parser for the statements this server understands:
MySQL's account management (C{CREATE USER}, C{ALTER USER}, C{DROP USER},
C{RENAME USER}, C{SET PASSWORD}, C{GRANT}, C{REVOKE}, C{SHOW GRANTS},
C{SHOW CREATE USER}, C{FLUSH PRIVILEGES}), plugin management, and the
session statements and simple queries that client libraries send when they
connect (C{SET NAMES}, C{SET autocommit=1}, C{SELECT @@version_comment
LIMIT 1}, C{SELECT USER()}, C{SHOW VARIABLES LIKE ...}).

L{parse} returns one of the nodes of L{twisted_mysqlauth.sql.statements}.
Other statements MySQL has (C{CREATE TABLE}, C{INSERT}, C{COMMIT}, ...)
parse as L{Unsupported}; anything else is a L{ParseError} with MySQL's
message, naming the text from the first token that cannot be read.

The C{options} of L{CreateUser} and L{AlterUser} are C{(name, value)} pairs,
in the order written:

  - C{("DEFAULT ROLE", roles)}: a tuple of L{AccountName}, or C{"NONE"} or
    C{"ALL"} (C{ALTER USER user DEFAULT ROLE ...}).
  - C{("REQUIRE", "NONE" | "SSL" | "X509")}, C{("REQUIRE ISSUER", bytes)},
    C{("REQUIRE SUBJECT", bytes)}, C{("REQUIRE CIPHER", bytes)}.
  - C{("MAX_QUERIES_PER_HOUR", int)}, C{("MAX_UPDATES_PER_HOUR", int)},
    C{("MAX_CONNECTIONS_PER_HOUR", int)}, C{("MAX_USER_CONNECTIONS", int)}.
  - C{("PASSWORD EXPIRE", None | "DEFAULT" | "NEVER")},
    C{("PASSWORD EXPIRE INTERVAL", days)}.
  - C{("PASSWORD HISTORY", int | "DEFAULT")}, C{("PASSWORD REUSE
    INTERVAL", days | "DEFAULT")}, C{("PASSWORD REQUIRE CURRENT", None |
    "DEFAULT" | "OPTIONAL")}.
  - C{("FAILED_LOGIN_ATTEMPTS", int)}, C{("PASSWORD_LOCK_TIME", int |
    "UNBOUNDED")}.
  - C{("COMMENT", bytes)}, C{("ATTRIBUTE", bytes)}.

C{ACCOUNT LOCK} and C{ACCOUNT UNLOCK} set C{accountLock} instead.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Callable, Dict, FrozenSet, List, Optional, Tuple, Union

from twisted_mysqlauth.accounts.model import AccountName
from twisted_mysqlauth.errors import EmptyQuery, ParseError, WrongStringLength
from twisted_mysqlauth.sql import statements as ast
from twisted_mysqlauth.sql.lexer import (
    BITSTRING,
    END,
    HEXSTRING,
    IDENT,
    NUMBER,
    OPERATOR,
    QUOTED_IDENT,
    SERVER_VERSION_ID,
    STRING,
    SYSVAR,
    USERVAR,
    Token,
    decodeText,
    encodeSource,
    statementSpans,
    syntaxError,
    tokenize,
)

#: The longest user name MySQL accepts, in characters (C{USERNAME_CHAR_LENGTH}).
USERNAME_LENGTH = 32

#: The longest host name MySQL accepts, in characters (C{HOSTNAME_LENGTH}).
HOSTNAME_LENGTH = 255

#: MySQL 8.0's reserved words: they cannot be unquoted identifiers or
#: aliases.
RESERVED_WORDS: FrozenSet[str] = frozenset("""
    ACCESSIBLE ADD ALL ALTER ANALYZE AND AS ASC ASENSITIVE BEFORE BETWEEN
    BIGINT BINARY BLOB BOTH BY CALL CASCADE CASE CHANGE CHAR CHARACTER CHECK
    COLLATE COLUMN CONDITION CONSTRAINT CONTINUE CONVERT CREATE CROSS CUBE
    CUME_DIST CURRENT_DATE CURRENT_TIME CURRENT_TIMESTAMP CURRENT_USER CURSOR
    DATABASE DATABASES DAY_HOUR DAY_MICROSECOND DAY_MINUTE DAY_SECOND DEC
    DECIMAL DECLARE DEFAULT DELAYED DELETE DENSE_RANK DESC DESCRIBE
    DETERMINISTIC DISTINCT DISTINCTROW DIV DOUBLE DROP DUAL EACH ELSE ELSEIF
    EMPTY ENCLOSED ESCAPED EXCEPT EXISTS EXIT EXPLAIN FALSE FETCH FIRST_VALUE
    FLOAT FLOAT4 FLOAT8 FOR FORCE FOREIGN FROM FULLTEXT FUNCTION GENERATED GET
    GRANT GROUP GROUPING GROUPS HAVING HIGH_PRIORITY HOUR_MICROSECOND
    HOUR_MINUTE HOUR_SECOND IF IGNORE IN INDEX INFILE INNER INOUT INSENSITIVE
    INSERT INT INT1 INT2 INT3 INT4 INT8 INTEGER INTERSECT INTERVAL INTO
    IO_AFTER_GTIDS IO_BEFORE_GTIDS IS ITERATE JOIN JSON_TABLE KEY KEYS KILL
    LAG LAST_VALUE LATERAL LEAD LEADING LEAVE LEFT LIKE LIMIT LINEAR LINES
    LOAD LOCALTIME LOCALTIMESTAMP LOCK LONG LONGBLOB LONGTEXT LOOP
    LOW_PRIORITY MASTER_BIND MASTER_SSL_VERIFY_SERVER_CERT MATCH MAXVALUE
    MEDIUMBLOB MEDIUMINT MEDIUMTEXT MIDDLEINT MINUTE_MICROSECOND MINUTE_SECOND
    MOD MODIFIES NATURAL NOT NO_WRITE_TO_BINLOG NTH_VALUE NTILE NULL NUMERIC
    OF ON OPTIMIZE OPTIMIZER_COSTS OPTION OPTIONALLY OR ORDER OUT OUTER
    OUTFILE OVER PARTITION PERCENT_RANK PRECISION PRIMARY PROCEDURE PURGE
    RANGE RANK READ READS READ_WRITE REAL RECURSIVE REFERENCES REGEXP RELEASE
    RENAME REPEAT REPLACE REQUIRE RESIGNAL RESTRICT RETURN REVOKE RIGHT RLIKE
    ROW ROWS ROW_NUMBER SCHEMA SCHEMAS SECOND_MICROSECOND SELECT SENSITIVE
    SEPARATOR SET SHOW SIGNAL SMALLINT SPATIAL SPECIFIC SQL SQLEXCEPTION
    SQLSTATE SQLWARNING SQL_BIG_RESULT SQL_CALC_FOUND_ROWS SQL_SMALL_RESULT
    SSL STARTING STORED STRAIGHT_JOIN SYSTEM TABLE TERMINATED THEN TINYBLOB
    TINYINT TINYTEXT TO TRAILING TRIGGER TRUE UNDO UNION UNIQUE UNLOCK
    UNSIGNED UPDATE USAGE USE USING UTC_DATE UTC_TIME UTC_TIMESTAMP VALUES
    VARBINARY VARCHAR VARCHARACTER VARYING VIRTUAL WHEN WHERE WHILE WINDOW
    WITH WRITE XOR YEAR_MONTH ZEROFILL
    """.split())

#: First words of the statements MySQL has; those this module does not
#: parse become L{ast.Unsupported}.
STATEMENT_WORDS: FrozenSet[str] = frozenset("""
    ALTER ANALYZE BEGIN BINLOG CACHE CALL CHANGE CHECK CHECKSUM CLONE COMMIT
    CREATE DEALLOCATE DELETE DESC DESCRIBE DO DROP EXECUTE EXPLAIN FLUSH GET
    GRANT HANDLER HELP IMPORT INSERT INSTALL KILL LOAD LOCK OPTIMIZE PREPARE
    PURGE RELEASE RENAME REPAIR REPLACE RESET RESIGNAL RESTART REVOKE ROLLBACK
    SAVEPOINT SELECT SET SHOW SHUTDOWN SIGNAL START STOP TABLE TRUNCATE
    UNINSTALL UNLOCK UPDATE USE VALUES WITH XA
    """.split())

# Statements named by their first two words in Unsupported ("CREATE TABLE").
_TWO_WORD_STATEMENTS = frozenset("""
    ALTER CHANGE CREATE DROP IMPORT INSTALL LOAD LOCK PURGE RENAME RESET SET
    SHOW START STOP UNINSTALL UNLOCK XA
    """.split())

# What may follow CREATE, ALTER or DROP (besides _STATEMENT_MODIFIERS), in
# MySQL 8.0 or MariaDB: any other word is a syntax error there, not an
# unsupported statement.
_OBJECT_WORDS = frozenset("""
    AGGREGATE ALGORITHM DATABASE DEFINER EVENT FUNCTION GROUP IGNORE INDEX INSTANCE
    LOGFILE OFFLINE ONLINE PACKAGE PREPARE PROCEDURE REFERENCE RESOURCE ROLE SCHEMA
    SEQUENCE SERVER SQL TABLE TABLES TABLESPACE TRIGGER UNDO USER VIEW
    """.split())
_OBJECT_STATEMENTS = frozenset(("CREATE", "ALTER", "DROP"))

# Words that qualify the second word of a statement rather than name it.
_STATEMENT_MODIFIERS = frozenset("""
    BINARY CHARACTER CREATE DEFAULT EXTENDED FULL FULLTEXT GLOBAL LOCAL
    MASTER OPEN OR REPLACE REPLICA RESOURCE SESSION SLAVE SPATIAL STORAGE
    TEMPORARY UNDO UNIQUE
    """.split())

# Static privileges of one word.
_SIMPLE_PRIVILEGES = frozenset("""
    SELECT INSERT UPDATE DELETE REFERENCES INDEX EXECUTE EVENT TRIGGER RELOAD
    SHUTDOWN PROCESS FILE SUPER USAGE
    """.split())

# Static privileges of several words, by first word; the first word alone
# is a privilege too if it is in _PRIVILEGE_PREFIXES_ALONE.
_COMPOUND_PRIVILEGES: Dict[str, Tuple[Tuple[str, ...], ...]] = {
    "CREATE": (
        ("TEMPORARY", "TABLES"),
        ("VIEW",),
        ("ROUTINE",),
        ("USER",),
        ("TABLESPACE",),
        ("ROLE",),
    ),
    "DROP": (("ROLE",),),
    "ALTER": (("ROUTINE",),),
    "SHOW": (("DATABASES",), ("VIEW",)),
    "LOCK": (("TABLES",),),
    "REPLICATION": (("SLAVE",), ("CLIENT",), ("REPLICA",)),
    "GRANT": (("OPTION",),),
}
_PRIVILEGE_PREFIXES_ALONE = frozenset(["CREATE", "DROP", "ALTER"])
_PRIVILEGE_SYNONYMS = {"REPLICATION REPLICA": "REPLICATION SLAVE"}
_GRANT_OPTION = "GRANT OPTION"

# Scope words of SET, and the scope each stands for.
_SET_SCOPES = {
    "GLOBAL": "global",
    "SESSION": "session",
    "LOCAL": "session",
    "PERSIST": "persist",
    "PERSIST_ONLY": "persist_only",
}

# Words a system variable may be set to that MySQL reads as that word
# although they are reserved.
_RESERVED_SET_WORDS = frozenset(["ON", "ALL", "BINARY", "ROW", "SYSTEM"])

# Functions MySQL lets be called without parentheses.
_NILADIC_FUNCTIONS = frozenset("""
    CURRENT_USER CURRENT_DATE CURRENT_TIME CURRENT_TIMESTAMP LOCALTIME
    LOCALTIMESTAMP UTC_DATE UTC_TIME UTC_TIMESTAMP
    """.split())

# Words that are not function names even if "(" follows.
_NOT_FUNCTIONS = frozenset(["NOT", "EXISTS", "ROW", "SELECT", "INTERVAL", "CASE"])

# SELECT modifiers that do not change the result of a single-table query.
_SELECT_MODIFIERS = frozenset("""
    ALL HIGH_PRIORITY STRAIGHT_JOIN SQL_SMALL_RESULT SQL_BIG_RESULT
    SQL_BUFFER_RESULT SQL_NO_CACHE SQL_CACHE SQL_CALC_FOUND_ROWS
    """.split())

# FLUSH options other than TABLES, with the words that must follow them.
_FLUSH_OPTIONS: Dict[str, Tuple[str, ...]] = {
    "BINARY": ("LOGS",),
    "ENGINE": ("LOGS",),
    "ERROR": ("LOGS",),
    "GENERAL": ("LOGS",),
    "RELAY": ("LOGS",),
    "SLOW": ("LOGS",),
    "HOSTS": (),
    "LOGS": (),
    "PRIVILEGES": (),
    "OPTIMIZER_COSTS": (),
    "STATUS": (),
    "USER_RESOURCES": (),
}

_COMPARISONS = {
    "=": "=",
    "<=>": "<=>",
    "<>": "<>",
    "!=": "<>",
    "<": "<",
    "<=": "<=",
    ">": ">",
    ">=": ">=",
}

_ISOLATION_LEVELS = (
    ("REPEATABLE", "READ"),
    ("READ", "COMMITTED"),
    ("READ", "UNCOMMITTED"),
    ("SERIALIZABLE",),
)


def parse(
    text: Union[str, bytes], serverVersion: int = SERVER_VERSION_ID
) -> ast.Statement:
    """
    Parse one statement.

    @param text: the statement, as text or as UTF-8 bytes; one C{;} may end
        it.
    @param serverVersion: the C{MYSQL_VERSION_ID} that C{/*!NNNNN ... */}
        comments are compared with.
    @return: the statement's node.
    @raise EmptyQuery: if the text holds only white space (a text of only
        comments is L{ast.CommentOnly}, which MySQL answers with OK).
    @raise ParseError: if it is not a statement this module knows, or has
        more after its end.
    @raise WrongStringLength: for a user name longer than
        L{USERNAME_LENGTH} or a host name longer than L{HOSTNAME_LENGTH}.
    """
    source = encodeSource(text)
    tokens = tokenize(source, serverVersion)
    if tokens[0].kind == END:
        if source.strip(b" \t\r\n;"):
            # Only comments: MySQL answers OK.
            return ast.CommentOnly()
        raise EmptyQuery()
    return _Parser(source, tokens).statement()


def splitStatements(text: str) -> List[str]:
    """
    Cut a script (such as an C{--init-file}) into statements at each C{;}
    that is outside strings, quoted identifiers and comments.

    @param text: the script.
    @return: the statements' texts, stripped of surrounding white space and
        without their C{;}; pieces without any token (white space and
        comments only) are left out.  Comments inside a statement are kept
        (so version comments still apply).
    """
    source = encodeSource(text)
    pieces = []
    for start, end in statementSpans(source):
        piece = source[start:end]
        try:
            empty = tokenize(piece)[0].kind == END
        except ParseError:
            empty = False
        if not empty:
            pieces.append(decodeText(piece).strip())
    return pieces


def _isAssignOperator(token: Token) -> bool:
    """
    @return: whether C{token} is C{=} or C{:=}.
    """
    return token.kind == OPERATOR and token.value in ("=", ":=")


class _Parser:
    """
    The parsing state for one statement.

    @ivar source: the statement's bytes.
    @ivar tokens: its tokens, ending with an L{END} token.
    @ivar pos: the index of the current token.
    @ivar lastEnd: the byte offset after the last token consumed.
    """

    def __init__(self, source: bytes, tokens: List[Token]) -> None:
        self.source = source
        self.tokens = tokens
        self.pos = 0
        self.lastEnd = 0

    # Token helpers.

    @property
    def tok(self) -> Token:
        """
        The current token.
        """
        return self.tokens[self.pos]

    def peek(self, ahead: int = 1) -> Token:
        """
        @return: the token C{ahead} places after the current one (the L{END}
            token past the end).
        """
        return self.tokens[min(self.pos + ahead, len(self.tokens) - 1)]

    def advance(self) -> Token:
        """
        Consume the current token.

        @return: it.
        """
        token = self.tokens[self.pos]
        if token.kind != END:
            self.pos += 1
            self.lastEnd = token.end
        return token

    def error(self, token: Optional[Token] = None) -> ParseError:
        """
        @param token: the offending token; the current one by default.
        @return: MySQL's syntax error naming the text from that token on.
        """
        if token is None:
            token = self.tok
        return syntaxError(self.source, token.offset, token.line)

    def atKeyword(self, *words: str) -> bool:
        """
        @return: whether the current token is one of the given keywords.
        """
        return self.tok.keyword in words

    def atWords(self, *words: str) -> bool:
        """
        @return: whether the next tokens are the given keywords, in order.
        """
        return all(self.peek(i).keyword == word for i, word in enumerate(words))

    def acceptWords(self, *words: str) -> bool:
        """
        Consume the given keywords if they come next.

        @return: whether they did.
        """
        if not self.atWords(*words):
            return False
        for _ in words:
            self.advance()
        return True

    def expectWords(self, *words: str) -> None:
        """
        Consume the given keywords.

        @raise ParseError: at the first one that is not there.
        """
        for word in words:
            if self.tok.keyword != word:
                raise self.error()
            self.advance()

    def atOperator(self, *operators: str) -> bool:
        """
        @return: whether the current token is one of the given operators.
        """
        token = self.tok
        return token.kind == OPERATOR and token.value in operators

    def acceptOperator(self, operator: str) -> bool:
        """
        Consume the given operator if it comes next.

        @return: whether it did.
        """
        if self.atOperator(operator):
            self.advance()
            return True
        return False

    def expectOperator(self, operator: str) -> None:
        """
        Consume the given operator.

        @raise ParseError: if it is not next.
        """
        if not self.acceptOperator(operator):
            raise self.error()

    def expectAssignOperator(self) -> None:
        """
        Consume C{=} or C{:=}.
        """
        if not _isAssignOperator(self.tok):
            raise self.error()
        self.advance()

    def atPasswordFunction(self) -> bool:
        """
        @return: whether C{PASSWORD(} comes next.
        """
        following = self.peek()
        return (
            self.atKeyword("PASSWORD")
            and following.kind == OPERATOR
            and following.value == "("
        )

    def atStatementEnd(self) -> bool:
        """
        @return: whether the current token ends the statement.
        """
        return self.tok.kind == END or self.atOperator(";")

    def isReserved(self, token: Token) -> bool:
        """
        @return: whether C{token} is a reserved word.
        """
        return token.keyword in RESERVED_WORDS

    def expectString(self) -> bytes:
        """
        Consume a string literal.

        @return: its value.
        """
        token = self.tok
        if token.kind != STRING:
            raise self.error()
        self.advance()
        return token.value

    def expectStringOrHex(self) -> bytes:
        """
        Consume a string literal or a hexadecimal literal (C{0x..},
        C{X'..'}), as C{SHOW CREATE USER} prints binary hashes.

        @return: its value.
        """
        token = self.tok
        if token.kind == HEXSTRING:
            self.advance()
            return token.value
        return self.expectString()

    def expectInteger(self) -> int:
        """
        Consume a whole number.

        @return: its value.
        """
        token = self.tok
        if token.kind != NUMBER or not isinstance(token.value, int):
            raise self.error()
        self.advance()
        return token.value

    def identifier(self, afterDot: bool = False) -> str:
        """
        Consume an identifier: a word that is not reserved (any word after
        a dot) or a quoted identifier.

        @return: its text.
        """
        token = self.tok
        if token.kind == QUOTED_IDENT or (
            token.kind == IDENT and (afterDot or not self.isReserved(token))
        ):
            self.advance()
            return token.value
        raise self.error()

    def identifierOrText(self) -> str:
        """
        Consume an identifier or a string (MySQL's C{ident_or_text}).

        @return: its text.
        """
        token = self.tok
        if token.kind == STRING:
            self.advance()
            return decodeText(token.value)
        return self.identifier()

    # Statements.

    def statement(self) -> ast.Statement:
        """
        Parse the statement, up to its end.

        @return: its node.
        """
        word = self.tok.keyword
        handler = self._handlers.get(word or "")
        if handler is not None:
            result = handler(self)
        elif word in STATEMENT_WORDS:
            result = self.unsupported()
        else:
            raise self.error()
        self.acceptOperator(";")
        if self.tok.kind != END:
            raise self.error()
        return result

    def unsupported(self) -> ast.Unsupported:
        """
        Name the statement by its leading keywords and skip the rest.
        """
        self.pos = 0
        first = self.advance().keyword
        words = [first]
        if first in _TWO_WORD_STATEMENTS:
            while self.tok.keyword is not None and len(words) < 4:
                if (
                    first in _OBJECT_STATEMENTS
                    and self.tok.keyword not in _OBJECT_WORDS
                    and self.tok.keyword not in _STATEMENT_MODIFIERS
                ):
                    # CREATE TABL: MySQL's parser knows no such statement.
                    raise self.error()
                words.append(self.advance().keyword)
                if words[-1] not in _STATEMENT_MODIFIERS:
                    break
        if first in _OBJECT_STATEMENTS and len(words) == 1:
            # CREATE followed by no word at all.
            raise self.error()
        while self.tok.kind != END:
            self.advance()
        return ast.Unsupported(" ".join(words))

    def create(self) -> ast.Statement:
        """
        C{CREATE USER}; other C{CREATE} statements are unsupported.
        """
        if self.peek().keyword != "USER":
            return self.unsupported()
        self.expectWords("CREATE", "USER")
        ifNotExists = self.acceptWords("IF", "NOT", "EXISTS")
        users = self.userSpecs(alter=False)
        options, lock = self.accountOptions(create=True)
        return ast.CreateUser(ifNotExists, users, lock, options)

    def alter(self) -> ast.Statement:
        """
        C{ALTER USER}; other C{ALTER} statements are unsupported.
        """
        if self.peek().keyword != "USER":
            return self.unsupported()
        self.expectWords("ALTER", "USER")
        ifExists = self.acceptWords("IF", "EXISTS")
        first = self.userSpec(alter=True, allowUserFunction=True)
        if first.auth is None and not first.discardOldPassword:
            if self.acceptWords("DEFAULT", "ROLE"):
                roles = self.defaultRoles(allowNoneOrAll=True)
                return ast.AlterUser(
                    ifExists, (first,), None, (("DEFAULT ROLE", roles),)
                )
        users = [first]
        while self.acceptOperator(","):
            users.append(self.userSpec(alter=True))
        options, lock = self.accountOptions(create=False)
        return ast.AlterUser(ifExists, tuple(users), lock, options)

    def drop(self) -> ast.Statement:
        """
        C{DROP USER [IF EXISTS] user [, user]}; other C{DROP} statements are
        unsupported.
        """
        if self.peek().keyword != "USER":
            return self.unsupported()
        self.expectWords("DROP", "USER")
        ifExists = self.acceptWords("IF", "EXISTS")
        return ast.DropUser(ifExists, self.accountList())

    def rename(self) -> ast.Statement:
        """
        C{RENAME USER old TO new [, old TO new]}; other C{RENAME} statements
        are unsupported.
        """
        if self.peek().keyword != "USER":
            return self.unsupported()
        self.expectWords("RENAME", "USER")
        pairs = []
        while True:
            old = self.accountName()
            self.expectWords("TO")
            pairs.append((old, self.accountName()))
            if not self.acceptOperator(","):
                return ast.RenameUser(tuple(pairs))

    def grant(self) -> ast.Statement:
        """
        C{GRANT privileges ON level TO users [WITH GRANT OPTION]} and
        C{GRANT PROXY ON user TO users [WITH GRANT OPTION]}; role grants are
        unsupported.
        """
        self.advance()
        if self.atWords("PROXY", "ON"):
            self.expectWords("PROXY", "ON")
            proxied = self.accountName()
            self.expectWords("TO")
            grantees = self.accountList()
            withGrant = self.acceptWords("WITH", "GRANT", "OPTION")
            return ast.GrantProxy(proxied, grantees, withGrant)
        if self.firstKeyword("ON", "TO") != "ON":
            self.pos = 0
            self.advance()
            while self.tok.kind != END:
                self.advance()
            return ast.Unsupported("GRANT ROLE")
        privileges, grantOption, _ = self.privilegeList(revoke=False)
        self.expectWords("ON")
        level = self.privilegeLevel()
        self.expectWords("TO")
        grantees = self.accountList()
        withGrant = self.acceptWords("WITH", "GRANT", "OPTION")
        return ast.Grant(privileges, level, grantees, withGrant or grantOption)

    def revoke(self) -> ast.Statement:
        """
        C{REVOKE privileges ON level FROM users}, C{REVOKE ALL [PRIVILEGES],
        GRANT OPTION FROM users} and C{REVOKE PROXY ON user FROM users};
        role revocations are unsupported.
        """
        self.advance()
        ifExists = self.acceptWords("IF", "EXISTS")
        if self.atWords("PROXY", "ON"):
            self.expectWords("PROXY", "ON")
            proxied = self.accountName()
            self.expectWords("FROM")
            grantees = self.accountList()
            ignore = self.acceptWords("IGNORE", "UNKNOWN", "USER")
            return ast.RevokeProxy(proxied, grantees, ifExists, ignore)
        if not self.atKeyword("ALL") and self.firstKeyword("ON", "FROM") != "ON":
            self.pos = 0
            self.advance()
            while self.tok.kind != END:
                self.advance()
            return ast.Unsupported("REVOKE ROLE")
        privileges, grantOption, allLevels = self.privilegeList(revoke=True)
        level: Optional[str] = None
        if not allLevels:
            self.expectWords("ON")
            level = self.privilegeLevel()
        self.expectWords("FROM")
        grantees = self.accountList()
        ignore = self.acceptWords("IGNORE", "UNKNOWN", "USER")
        return ast.Revoke(privileges, level, grantees, grantOption, ifExists, ignore)

    def firstKeyword(self, *words: str) -> Optional[str]:
        """
        @return: which of the given keywords comes first from the current
            token on, or C{None} if none does.
        """
        for token in self.tokens[self.pos :]:
            if token.keyword in words:
                return token.keyword
        return None

    def setStatement(self) -> ast.Statement:
        """
        C{SET PASSWORD}, C{SET NAMES}, C{SET CHARACTER SET}, C{SET
        TRANSACTION} and variable assignments; C{SET ROLE} and the like are
        unsupported.
        """
        self.advance()
        word = self.tok.keyword
        assigns = _isAssignOperator(self.peek())
        if word == "PASSWORD":
            return self.setPassword()
        if word == "NAMES" and not assigns:
            self.advance()
            return self.setNames(isCharacterSet=False)
        if self.atWords("CHARACTER", "SET") or (word == "CHARSET" and not assigns):
            self.acceptWords("CHARACTER")
            self.advance()
            return self.setNames(isCharacterSet=True)
        if word == "TRANSACTION" or (
            word in ("GLOBAL", "SESSION") and self.peek().keyword == "TRANSACTION"
        ):
            return self.setTransaction()
        if (word in ("ROLE", "RESOURCE") and not assigns) or word == "DEFAULT":
            return self.unsupported()
        return ast.SetVariables(self.assignments())

    def setPassword(self) -> ast.SetPassword:
        """
        C{SET PASSWORD [FOR user] {= 'pw' | TO RANDOM} [REPLACE 'current']
        [RETAIN CURRENT PASSWORD]}; C{= PASSWORD('pw')} is read as C{=
        'pw'}.
        """
        self.expectWords("PASSWORD")
        name = None
        if self.acceptWords("FOR"):
            name = self.accountName()
        password = None
        random = False
        if self.acceptWords("TO"):
            self.expectWords("RANDOM")
            random = True
        else:
            self.expectAssignOperator()
            if self.atPasswordFunction():
                self.advance()
                self.advance()
                password = self.expectString()
                self.expectOperator(")")
            else:
                password = self.expectString()
        replace = self.expectString() if self.acceptWords("REPLACE") else None
        retain = self.acceptWords("RETAIN", "CURRENT", "PASSWORD")
        return ast.SetPassword(
            name,
            password=password,
            randomPassword=random,
            replace=replace,
            retainCurrentPassword=retain,
        )

    def setNames(self, isCharacterSet: bool) -> ast.SetNames:
        """
        The rest of C{SET NAMES charset [COLLATE collation]} or C{SET
        CHARACTER SET charset}.
        """
        if self.acceptWords("DEFAULT"):
            return ast.SetNames(None, None, isCharacterSet)
        charset = self.characterSetName()
        collation = None
        if not isCharacterSet and self.acceptWords("COLLATE"):
            collation = self.characterSetName()
        return ast.SetNames(charset, collation, isCharacterSet)

    def characterSetName(self) -> str:
        """
        Consume a character set or collation name (a word, quoted
        identifier or string; C{BINARY} too).

        @return: it, lower-cased.
        """
        if self.atKeyword("BINARY"):
            return self.advance().value.lower()
        return self.identifierOrText().lower()

    def setTransaction(self) -> ast.SetTransaction:
        """
        C{SET [GLOBAL | SESSION] TRANSACTION characteristic [, ...]}.
        """
        scope = None
        if self.atKeyword("GLOBAL", "SESSION"):
            scope = self.advance().keyword.lower()
        self.expectWords("TRANSACTION")
        isolation = None
        access = None
        while True:
            if self.acceptWords("ISOLATION", "LEVEL"):
                for words in _ISOLATION_LEVELS:
                    if self.acceptWords(*words):
                        isolation = " ".join(words)
                        break
                else:
                    raise self.error()
            elif self.acceptWords("READ", "WRITE"):
                access = "READ WRITE"
            elif self.acceptWords("READ", "ONLY"):
                access = "READ ONLY"
            else:
                raise self.error()
            if not self.acceptOperator(","):
                return ast.SetTransaction(scope, isolation, access)

    def assignments(self) -> Tuple[ast.Assignment, ...]:
        """
        Variable assignments, separated by commas.  A scope word applies to
        the assignment after it and to later ones without a scope, as in
        MySQL.
        """
        carried: Optional[str] = None
        result = []
        while True:
            token = self.tok
            if token.keyword in _SET_SCOPES and not _isAssignOperator(self.peek()):
                self.advance()
                carried = _SET_SCOPES[token.keyword]
                scope: Optional[str] = carried
                name = self.variableName()
            elif token.kind == SYSVAR:
                self.advance()
                scope = _SET_SCOPES.get((token.value[0] or "").upper())
                name = token.value[1]
            elif token.kind == USERVAR:
                self.advance()
                scope = "user"
                name = token.value
            else:
                name = self.variableName()
                scope = carried
            self.expectAssignOperator()
            result.append(ast.Assignment(scope, name, self.setValue(scope != "user")))
            if not self.acceptOperator(","):
                return tuple(result)

    def variableName(self) -> str:
        """
        Consume a system variable name, C{name} or C{component.name}.
        """
        name = self.identifier()
        if self.acceptOperator("."):
            name += "." + self.identifier(afterDot=True)
        return name

    def setValue(self, system: bool) -> ast.Expression:
        """
        The value of an assignment: C{DEFAULT}, a bare word for a system
        variable (C{OFF}, C{ON}), or an expression.
        """
        token = self.tok
        if token.keyword == "DEFAULT":
            self.advance()
            return ast.Default()
        following = self.peek()
        if (
            system
            and token.kind == IDENT
            and (
                following.kind == END
                or (following.kind == OPERATOR and following.value in (",", ";"))
            )
            and (token.keyword in _RESERVED_SET_WORDS or not self.isReserved(token))
        ):
            self.advance()
            return ast.Literal(encodeSource(token.value))
        return self.expression()

    def show(self) -> ast.Statement:
        """
        C{SHOW GRANTS}, C{SHOW CREATE USER}, C{SHOW VARIABLES}, C{SHOW
        PLUGINS}, C{SHOW WARNINGS}, C{SHOW DATABASES}; other C{SHOW}
        statements are unsupported.
        """
        self.advance()
        if self.acceptWords("GRANTS"):
            name = None
            using: Tuple[AccountName, ...] = ()
            if self.acceptWords("FOR"):
                name = self.accountName()
                if self.acceptWords("USING"):
                    using = self.roleList()
            return ast.ShowGrants(name, using)
        if self.acceptWords("CREATE", "USER"):
            return ast.ShowCreateUser(self.accountName())
        scope = None
        if (
            self.atKeyword("GLOBAL", "SESSION", "LOCAL")
            and self.peek().keyword == "VARIABLES"
        ):
            scope = _SET_SCOPES[self.advance().keyword]
        if self.acceptWords("VARIABLES"):
            like, where = self.likeOrWhere()
            return ast.ShowVariables(scope, like, where)
        if self.acceptWords("PLUGINS"):
            return ast.ShowPlugins()
        if self.atKeyword("WARNINGS", "ERRORS"):
            errorsOnly = self.advance().keyword == "ERRORS"
            limit, offset = self.limitClause()
            return ast.ShowWarnings(limit, offset, errorsOnly=errorsOnly)
        if self.atKeyword("COUNT") and self.peek().kind == OPERATOR and self.peek().value == "(":
            # SHOW COUNT(*) WARNINGS | ERRORS
            self.advance()
            self.expectOperator("(")
            self.expectOperator("*")
            self.expectOperator(")")
            if not self.atKeyword("WARNINGS", "ERRORS"):
                raise self.error()
            errorsOnly = self.advance().keyword == "ERRORS"
            return ast.ShowWarnings(errorsOnly=errorsOnly, countOnly=True)
        if self.atKeyword("DATABASES", "SCHEMAS"):
            self.advance()
            like, where = self.likeOrWhere()
            return ast.ShowDatabases(like, where)
        return self.unsupported()

    def likeOrWhere(self) -> Tuple[Optional[bytes], Optional[ast.Expression]]:
        """
        An optional C{LIKE 'pattern'} or C{WHERE condition}.

        @return: the pattern and the condition (at most one of them).
        """
        if self.acceptWords("LIKE"):
            return self.expectString(), None
        if self.acceptWords("WHERE"):
            return None, self.expression()
        return None, None

    def limitClause(self) -> Tuple[Optional[int], Optional[int]]:
        """
        An optional C{LIMIT count}, C{LIMIT offset, count} or C{LIMIT count
        OFFSET offset}.

        @return: the count and the offset.
        """
        if not self.acceptWords("LIMIT"):
            return None, None
        first = self.expectInteger()
        if self.acceptOperator(","):
            return self.expectInteger(), first
        if self.acceptWords("OFFSET"):
            return first, self.expectInteger()
        return first, None

    def flush(self) -> ast.Statement:
        """
        C{FLUSH [LOCAL | NO_WRITE_TO_BINLOG] option [, option]}, or C{FLUSH
        TABLES ...} (whose rest is not checked).
        """
        self.advance()
        if self.atKeyword("LOCAL", "NO_WRITE_TO_BINLOG"):
            self.advance()
        if self.atKeyword("TABLES", "TABLE"):
            words: List[str] = []
            while not self.atStatementEnd():
                token = self.advance()
                text = token.keyword or decodeText(
                    self.source[token.offset : token.end]
                )
                if text == "," and words:
                    words[-1] += ","
                else:
                    words.append(text)
            return ast.Flush(" ".join(words))
        names = [self.flushOption()]
        while self.acceptOperator(","):
            names.append(self.flushOption())
        if names == ["PRIVILEGES"]:
            return ast.FlushPrivileges()
        return ast.Flush(", ".join(names))

    def flushOption(self) -> str:
        """
        Consume one C{FLUSH} option other than C{TABLES}.

        @return: its upper-case name, e.g. C{"PRIVILEGES"}, C{"BINARY
            LOGS"}.
        """
        word = self.tok.keyword
        if word not in _FLUSH_OPTIONS:
            raise self.error()
        self.advance()
        tail = _FLUSH_OPTIONS[word]
        self.expectWords(*tail)
        name = " ".join((word,) + tail)
        if name == "RELAY LOGS" and self.acceptWords("FOR", "CHANNEL"):
            name += " FOR CHANNEL " + self.identifierOrText()
        return name

    def use(self) -> ast.Use:
        """
        C{USE database}.
        """
        self.advance()
        return ast.Use(self.identifier())

    def begin(self) -> ast.Transaction:
        """
        C{BEGIN [WORK]}.
        """
        self.expectWords("BEGIN")
        self.acceptWords("WORK")
        return ast.Transaction("begin")

    def start(self) -> ast.Statement:
        """
        C{START TRANSACTION [WITH CONSISTENT SNAPSHOT | READ WRITE | READ
        ONLY] [, ...]}; other C{START} statements are unsupported.
        """
        if self.peek().keyword != "TRANSACTION":
            return self.unsupported()
        self.expectWords("START", "TRANSACTION")
        if self.tok.kind == END or self.atOperator(";"):
            return ast.Transaction("begin")
        accessMode = False
        while True:
            if self.acceptWords("WITH", "CONSISTENT", "SNAPSHOT"):
                pass
            elif self.atWords("READ", "WRITE") or self.atWords("READ", "ONLY"):
                if accessMode:
                    # READ ONLY and READ WRITE together: MySQL's syntax error.
                    raise self.error()
                accessMode = True
                self.advance()
                self.advance()
            else:
                raise self.error()
            if not self.acceptOperator(","):
                return ast.Transaction("begin")

    def endTransaction(self) -> ast.Statement:
        """
        C{COMMIT | ROLLBACK [WORK] [AND [NO] CHAIN] [[NO] RELEASE]};
        C{ROLLBACK ... TO [SAVEPOINT] name} is unsupported.
        """
        action = self.advance().keyword.lower()
        self.acceptWords("WORK")
        if action == "rollback" and self.atKeyword("TO"):
            return self.unsupported()
        chain = False
        if self.acceptWords("AND"):
            chain = not self.acceptWords("NO")
            self.expectWords("CHAIN")
        release = False
        if self.acceptWords("NO"):
            self.expectWords("RELEASE")
        elif self.atKeyword("RELEASE"):
            if chain:
                # AND CHAIN RELEASE: a syntax error in MySQL.
                raise self.error()
            self.advance()
            release = True
        return ast.Transaction(action, release)

    def install(self) -> ast.Statement:
        """
        C{INSTALL PLUGIN name SONAME 'library'}, or MariaDB's C{INSTALL
        SONAME 'library'} (every plugin of the library); C{INSTALL
        COMPONENT} is unsupported.
        """
        if self.peek(1).keyword == "SONAME":
            self.expectWords("INSTALL", "SONAME")
            return ast.InstallPlugin("", decodeText(self.expectString()))
        if self.peek().keyword != "PLUGIN":
            return self.unsupported()
        self.expectWords("INSTALL", "PLUGIN")
        name = self.identifier()
        self.expectWords("SONAME")
        return ast.InstallPlugin(name, decodeText(self.expectString()))

    def uninstall(self) -> ast.Statement:
        """
        C{UNINSTALL PLUGIN name}; C{UNINSTALL COMPONENT} is unsupported.
        """
        if self.peek().keyword != "PLUGIN":
            return self.unsupported()
        self.expectWords("UNINSTALL", "PLUGIN")
        return ast.UninstallPlugin(self.identifier())

    def select(self) -> ast.Select:
        """
        C{SELECT items [FROM table] [WHERE condition] [ORDER BY ...]
        [LIMIT ...]}.
        """
        self.advance()
        distinct = False
        while self.atKeyword("DISTINCT", "DISTINCTROW", *_SELECT_MODIFIERS):
            if self.advance().keyword in ("DISTINCT", "DISTINCTROW"):
                distinct = True
        items = [self.selectItem()]
        while self.acceptOperator(","):
            items.append(self.selectItem())
        table = None
        if self.acceptWords("FROM"):
            if not self.acceptWords("DUAL"):
                table = self.tableReference()
        where = self.expression() if self.acceptWords("WHERE") else None
        orderBy: List[ast.OrderBy] = []
        if self.acceptWords("ORDER", "BY"):
            while True:
                expression = self.expression()
                descending = False
                if self.atKeyword("ASC", "DESC"):
                    descending = self.advance().keyword == "DESC"
                orderBy.append(ast.OrderBy(expression, descending))
                if not self.acceptOperator(","):
                    break
        limit, offset = self.limitClause()
        return ast.Select(
            tuple(items), table, where, limit, offset, tuple(orderBy), distinct
        )

    def selectItem(self) -> ast.SelectItem:
        """
        One item of a select list, with its alias and source text.
        """
        first = self.tok
        if self.acceptOperator("*"):
            expression: ast.Expression = ast.Star()
        else:
            expression = self.expression()
        text = decodeText(self.source[first.offset : self.lastEnd])
        alias = None
        if self.acceptWords("AS"):
            alias = self.alias()
        elif self.tok.kind in (QUOTED_IDENT, STRING) or (
            self.tok.kind == IDENT and not self.isReserved(self.tok)
        ):
            alias = self.alias()
        return ast.SelectItem(expression, alias, text)

    def alias(self) -> str:
        """
        Consume an alias: an identifier or a string.
        """
        return self.identifierOrText()

    def tableReference(self) -> ast.TableRef:
        """
        C{[schema.]table [[AS] alias]}.
        """
        name = self.identifier()
        schema = None
        if self.acceptOperator("."):
            schema = name
            name = self.identifier(afterDot=True)
        alias = None
        if self.acceptWords("AS"):
            alias = self.identifier()
        elif self.tok.kind == QUOTED_IDENT or (
            self.tok.kind == IDENT and not self.isReserved(self.tok)
        ):
            alias = self.identifier()
        return ast.TableRef(schema, name, alias)

    _handlers: Dict[str, Callable[["_Parser"], ast.Statement]] = {
        "CREATE": create,
        "ALTER": alter,
        "DROP": drop,
        "RENAME": rename,
        "GRANT": grant,
        "REVOKE": revoke,
        "SET": setStatement,
        "SHOW": show,
        "FLUSH": flush,
        "USE": use,
        "BEGIN": begin,
        "START": start,
        "COMMIT": endTransaction,
        "ROLLBACK": endTransaction,
        "INSTALL": install,
        "UNINSTALL": uninstall,
        "SELECT": select,
    }

    # Accounts.

    def accountName(
        self, allowCurrentUser: bool = True, allowUserFunction: bool = False
    ) -> Optional[AccountName]:
        """
        Consume an account name: C{user}, C{user@host} (each part a word, a
        quoted identifier or a string), C{CURRENT_USER[()]}, and C{USER()}
        where C{allowUserFunction}.

        @return: the account name (host lower-cased, C{%} by default), or
            C{None} for the session's account.
        @raise WrongStringLength: if the user name or host name is too
            long.
        """
        if allowCurrentUser and self.atKeyword("CURRENT_USER"):
            self.advance()
            if self.acceptOperator("("):
                self.expectOperator(")")
            return None
        if (
            allowUserFunction
            and self.atKeyword("USER")
            and self.peek().kind == OPERATOR
            and self.peek().value == "("
        ):
            self.advance()
            self.advance()
            self.expectOperator(")")
            return None
        user = self.identifierOrText()
        host = "%"
        token = self.tok
        if token.kind == USERVAR:
            self.advance()
            host = token.value
        elif self.acceptOperator("@"):
            host = self.identifierOrText()
        if len(user) > USERNAME_LENGTH:
            raise WrongStringLength(
                string=user, what="user name", limit=USERNAME_LENGTH
            )
        if len(host) > HOSTNAME_LENGTH:
            raise WrongStringLength(
                string=host, what="host name", limit=HOSTNAME_LENGTH
            )
        return AccountName(user, host.lower())

    def accountList(self) -> Tuple[Optional[AccountName], ...]:
        """
        Account names separated by commas.
        """
        names = [self.accountName()]
        while self.acceptOperator(","):
            names.append(self.accountName())
        return tuple(names)

    def roleList(self) -> Tuple[AccountName, ...]:
        """
        Role names (account names without C{CURRENT_USER}) separated by
        commas.
        """
        names = [self.accountName(allowCurrentUser=False)]
        while self.acceptOperator(","):
            names.append(self.accountName(allowCurrentUser=False))
        return tuple(name for name in names if name is not None)

    def defaultRoles(self, allowNoneOrAll: bool) -> Union[str, Tuple[AccountName, ...]]:
        """
        The roles of C{DEFAULT ROLE}: a role list, or C{NONE} or C{ALL}.
        """
        if allowNoneOrAll and self.atKeyword("NONE", "ALL"):
            return self.advance().keyword
        return self.roleList()

    def userSpecs(self, alter: bool) -> Tuple[ast.UserSpec, ...]:
        """
        Accounts with optional C{IDENTIFIED} clauses, separated by commas.
        """
        specs = [self.userSpec(alter)]
        while self.acceptOperator(","):
            specs.append(self.userSpec(alter))
        return tuple(specs)

    def userSpec(self, alter: bool, allowUserFunction: bool = False) -> ast.UserSpec:
        """
        One account with its optional C{IDENTIFIED} clause (or, for C{ALTER
        USER}, C{DISCARD OLD PASSWORD}).
        """
        name = self.accountName(allowUserFunction=allowUserFunction)
        auth = self.authOption(alter)
        discard = False
        if auth is None and alter:
            discard = self.acceptWords("DISCARD", "OLD", "PASSWORD")
        return ast.UserSpec(name, auth, discard)

    def authOption(self, alter: bool) -> Optional[ast.AuthOption]:
        """
        An optional C{IDENTIFIED} clause, in MySQL's and MariaDB's forms.
        """
        if not self.acceptWords("IDENTIFIED"):
            return None
        if self.acceptWords("BY"):
            if self.acceptWords("RANDOM", "PASSWORD"):
                option = ast.AuthOption(randomPassword=True)
            elif self.atKeyword("PASSWORD") and self.peek().kind == STRING:
                self.advance()
                return ast.AuthOption(
                    plugin="mysql_native_password", authString=self.expectString()
                )
            else:
                option = ast.AuthOption(password=self.expectString())
            return self.replaceAndRetain(option, alter)
        if self.acceptWords("WITH"):
            plugin = self.identifierOrText()
            if self.acceptWords("BY"):
                if self.acceptWords("RANDOM", "PASSWORD"):
                    option = ast.AuthOption(plugin=plugin, randomPassword=True)
                else:
                    option = ast.AuthOption(plugin=plugin, password=self.expectString())
                return self.replaceAndRetain(option, alter)
            if self.acceptWords("AS"):
                return ast.AuthOption(plugin=plugin, authString=self.expectStringOrHex())
            if self.acceptWords("USING"):
                return self.usingClause(plugin)
            return ast.AuthOption(plugin=plugin)
        if self.acceptWords("VIA"):
            plugin = self.identifierOrText()
            if self.acceptWords("USING"):
                return self.usingClause(plugin)
            return ast.AuthOption(plugin=plugin)
        raise self.error()

    def usingClause(self, plugin: str) -> ast.AuthOption:
        """
        The rest of MariaDB's C{USING 'string'} or C{USING PASSWORD('pw')}.
        """
        if self.atPasswordFunction():
            self.advance()
            self.advance()
            password = self.expectString()
            self.expectOperator(")")
            return ast.AuthOption(plugin=plugin, password=password)
        return ast.AuthOption(plugin=plugin, authString=self.expectStringOrHex())

    def replaceAndRetain(self, option: ast.AuthOption, alter: bool) -> ast.AuthOption:
        """
        For C{ALTER USER}, the optional C{REPLACE 'current'} and C{RETAIN
        CURRENT PASSWORD} after a C{BY} clause.
        """
        if not alter:
            return option
        replace = self.expectString() if self.acceptWords("REPLACE") else None
        retain = self.acceptWords("RETAIN", "CURRENT", "PASSWORD")
        return ast.AuthOption(
            option.plugin,
            option.password,
            option.authString,
            option.randomPassword,
            replace,
            retain,
        )

    def accountOptions(
        self, create: bool
    ) -> Tuple[Tuple[Tuple[str, Any], ...], Optional[bool]]:
        """
        The clauses after the accounts of C{CREATE USER} and C{ALTER USER},
        in MySQL's order: C{DEFAULT ROLE} (C{CREATE} only), C{REQUIRE},
        C{WITH} resource limits, password and lock options, then C{COMMENT}
        or C{ATTRIBUTE}.

        @return: the options (see the module documentation) and the lock
            state (C{True}, C{False} or C{None}).
        """
        options: List[Tuple[str, Any]] = []
        lock = None
        if create and self.acceptWords("DEFAULT", "ROLE"):
            options.append(("DEFAULT ROLE", self.roleList()))
        if self.acceptWords("REQUIRE"):
            options.extend(self.requireOptions())
        if self.acceptWords("WITH"):
            options.extend(self.resourceOptions())
        while True:
            if self.acceptWords("ACCOUNT", "LOCK"):
                lock = True
            elif self.acceptWords("ACCOUNT", "UNLOCK"):
                lock = False
            elif self.atKeyword("PASSWORD"):
                options.append(self.passwordOption())
            elif self.acceptWords("FAILED_LOGIN_ATTEMPTS"):
                options.append(("FAILED_LOGIN_ATTEMPTS", self.expectInteger()))
            elif self.acceptWords("PASSWORD_LOCK_TIME"):
                if self.acceptWords("UNBOUNDED"):
                    options.append(("PASSWORD_LOCK_TIME", "UNBOUNDED"))
                else:
                    options.append(("PASSWORD_LOCK_TIME", self.expectInteger()))
            else:
                break
        if self.acceptWords("COMMENT"):
            options.append(("COMMENT", self.expectString()))
        elif self.acceptWords("ATTRIBUTE"):
            options.append(("ATTRIBUTE", self.expectString()))
        return tuple(options), lock

    def requireOptions(self) -> List[Tuple[str, Any]]:
        """
        The rest of C{REQUIRE {NONE | SSL | X509 | tls_option [[AND]
        tls_option] ...}}.
        """
        if self.atKeyword("NONE", "SSL", "X509"):
            return [("REQUIRE", self.advance().keyword)]
        options = []
        while True:
            if not self.atKeyword("ISSUER", "SUBJECT", "CIPHER"):
                raise self.error()
            word = self.advance().keyword
            options.append(("REQUIRE " + word, self.expectString()))
            self.acceptWords("AND")
            if not self.atKeyword("ISSUER", "SUBJECT", "CIPHER"):
                return options

    def resourceOptions(self) -> List[Tuple[str, Any]]:
        """
        The rest of C{WITH resource_option [resource_option] ...}.
        """
        names = (
            "MAX_QUERIES_PER_HOUR",
            "MAX_UPDATES_PER_HOUR",
            "MAX_CONNECTIONS_PER_HOUR",
            "MAX_USER_CONNECTIONS",
        )
        options = []
        while True:
            if not self.atKeyword(*names):
                raise self.error()
            word = self.advance().keyword
            options.append((word, self.expectInteger()))
            if not self.atKeyword(*names):
                return options

    def passwordOption(self) -> Tuple[str, Any]:
        """
        One of C{PASSWORD EXPIRE [DEFAULT | NEVER | INTERVAL n DAY]},
        C{PASSWORD HISTORY {DEFAULT | n}}, C{PASSWORD REUSE INTERVAL
        {DEFAULT | n DAY}}, C{PASSWORD REQUIRE CURRENT [DEFAULT |
        OPTIONAL]}.
        """
        self.expectWords("PASSWORD")
        if self.acceptWords("EXPIRE"):
            if self.acceptWords("INTERVAL"):
                days = self.expectInteger()
                self.expectWords("DAY")
                return ("PASSWORD EXPIRE INTERVAL", days)
            if self.atKeyword("DEFAULT", "NEVER"):
                return ("PASSWORD EXPIRE", self.advance().keyword)
            return ("PASSWORD EXPIRE", None)
        if self.acceptWords("HISTORY"):
            if self.acceptWords("DEFAULT"):
                return ("PASSWORD HISTORY", "DEFAULT")
            return ("PASSWORD HISTORY", self.expectInteger())
        if self.acceptWords("REUSE", "INTERVAL"):
            if self.acceptWords("DEFAULT"):
                return ("PASSWORD REUSE INTERVAL", "DEFAULT")
            days = self.expectInteger()
            self.expectWords("DAY")
            return ("PASSWORD REUSE INTERVAL", days)
        if self.acceptWords("REQUIRE", "CURRENT"):
            if self.atKeyword("DEFAULT", "OPTIONAL"):
                return ("PASSWORD REQUIRE CURRENT", self.advance().keyword)
            return ("PASSWORD REQUIRE CURRENT", None)
        raise self.error()

    # Privileges.

    def privilegeList(self, revoke: bool) -> Tuple[Tuple[str, ...], bool, bool]:
        """
        The privileges of C{GRANT} or C{REVOKE}.

        @param revoke: whether C{ALL [PRIVILEGES], GRANT OPTION} (without
            C{ON}) is allowed.
        @return: the privilege names without C{GRANT OPTION}, whether
            C{GRANT OPTION} was in the list, and whether this was C{REVOKE
            ALL, GRANT OPTION} (which has no level).
        """
        if self.acceptWords("ALL"):
            self.acceptWords("PRIVILEGES")
            if revoke and self.atOperator(",") and self.peek().keyword == "GRANT":
                self.advance()
                self.expectWords("GRANT", "OPTION")
                return ("ALL",), True, True
            return ("ALL",), False, False
        privileges = [self.privilege()]
        while self.acceptOperator(","):
            privileges.append(self.privilege())
        grantOption = _GRANT_OPTION in privileges
        names = []
        for name in privileges:
            if name != _GRANT_OPTION and name not in names:
                names.append(name)
        return tuple(names), grantOption, False

    def privilege(self) -> str:
        """
        Consume one privilege name (a static one of one or more words, or a
        dynamic one).

        @return: its upper-case name.
        """
        token = self.tok
        word = token.keyword
        if word is None or word in ("ALL", "PROXY"):
            raise self.error()
        self.advance()
        name = None
        if word in _COMPOUND_PRIVILEGES:
            for tail in _COMPOUND_PRIVILEGES[word]:
                if self.acceptWords(*tail):
                    name = " ".join((word,) + tail)
                    break
            else:
                if word not in _PRIVILEGE_PREFIXES_ALONE:
                    raise self.error()
                name = word
        elif word in _SIMPLE_PRIVILEGES or word not in RESERVED_WORDS:
            name = word
        else:
            raise self.error(token)
        if self.atOperator("("):
            # Column privileges: not supported.
            raise self.error()
        return _PRIVILEGE_SYNONYMS.get(name, name)

    def privilegeLevel(self) -> str:
        """
        Consume C{[TABLE | FUNCTION | PROCEDURE] level} where level is
        C{*}, C{*.*}, C{db.*}, C{db.tbl} or C{tbl}.

        @return: the level as text (see L{ast.Grant.level}).
        """
        prefix = ""
        if self.atKeyword("TABLE", "FUNCTION", "PROCEDURE"):
            word = self.advance().keyword
            if word != "TABLE":
                prefix = word + " "
        if self.acceptOperator("*"):
            if self.acceptOperator("."):
                self.expectOperator("*")
                return prefix + "*.*"
            return prefix + "*"
        name = self.identifier()
        if self.acceptOperator("."):
            if self.acceptOperator("*"):
                return prefix + name + ".*"
            return prefix + name + "." + self.identifier(afterDot=True)
        return prefix + name

    # Expressions.

    def expression(self) -> ast.Expression:
        """
        An expression, with MySQL's operator precedence.
        """
        left = self.xorExpression()
        while self.atKeyword("OR") or self.atOperator("||"):
            self.advance()
            left = ast.BinaryOp("OR", left, self.xorExpression())
        return left

    def xorExpression(self) -> ast.Expression:
        """
        C{a XOR b}.
        """
        left = self.andExpression()
        while self.acceptWords("XOR"):
            left = ast.BinaryOp("XOR", left, self.andExpression())
        return left

    def andExpression(self) -> ast.Expression:
        """
        C{a AND b}, C{a && b}.
        """
        left = self.notExpression()
        while self.atKeyword("AND") or self.atOperator("&&"):
            self.advance()
            left = ast.BinaryOp("AND", left, self.notExpression())
        return left

    def notExpression(self) -> ast.Expression:
        """
        C{NOT a}.
        """
        if self.acceptWords("NOT"):
            return ast.UnaryOp("NOT", self.notExpression())
        return self.predicate()

    def predicate(self) -> ast.Expression:
        """
        Comparisons, C{IS}, C{LIKE}, C{REGEXP}, C{IN} and C{BETWEEN}.
        """
        left = self.bitOr()
        while True:
            token = self.tok
            if token.kind == OPERATOR and token.value in _COMPARISONS:
                self.advance()
                left = ast.BinaryOp(_COMPARISONS[token.value], left, self.bitOr())
                continue
            if self.acceptWords("IS"):
                negated = self.acceptWords("NOT")
                if self.acceptWords("NULL") or self.acceptWords("UNKNOWN"):
                    value: Optional[bool] = None
                elif self.acceptWords("TRUE"):
                    value = True
                elif self.acceptWords("FALSE"):
                    value = False
                else:
                    raise self.error()
                left = ast.IsTest(left, value, negated)
                continue
            negated = False
            if self.atKeyword("NOT") and self.peek().keyword in (
                "LIKE",
                "IN",
                "BETWEEN",
                "REGEXP",
                "RLIKE",
            ):
                self.advance()
                negated = True
            if self.acceptWords("LIKE"):
                pattern = self.bitOr()
                escape = self.primary() if self.acceptWords("ESCAPE") else None
                left = ast.Like(left, pattern, escape, negated)
            elif self.atKeyword("REGEXP", "RLIKE"):
                self.advance()
                left = ast.BinaryOp("REGEXP", left, self.bitOr())
                if negated:
                    left = ast.UnaryOp("NOT", left)
            elif self.acceptWords("IN"):
                self.expectOperator("(")
                items = [self.expression()]
                while self.acceptOperator(","):
                    items.append(self.expression())
                self.expectOperator(")")
                left = ast.InList(left, tuple(items), negated)
            elif self.acceptWords("BETWEEN"):
                low = self.bitOr()
                self.expectWords("AND")
                high = self.predicate()
                left = ast.Between(left, low, high, negated)
            else:
                return left

    def binaryLevel(
        self,
        operand: Callable[[], ast.Expression],
        operators: Dict[str, str],
    ) -> ast.Expression:
        """
        A left-associative run of binary operators of one precedence.

        @param operand: parses an operand.
        @param operators: operator text or keyword -> the L{ast.BinaryOp}
            name.
        """
        left = operand()
        while True:
            token = self.tok
            key = token.value if token.kind == OPERATOR else token.keyword
            if key not in operators:
                return left
            self.advance()
            left = ast.BinaryOp(operators[key], left, operand())

    def bitOr(self) -> ast.Expression:
        """
        C{a | b}.
        """
        return self.binaryLevel(self.bitAnd, {"|": "|"})

    def bitAnd(self) -> ast.Expression:
        """
        C{a & b}.
        """
        return self.binaryLevel(self.shift, {"&": "&"})

    def shift(self) -> ast.Expression:
        """
        C{a << b}, C{a >> b}.
        """
        return self.binaryLevel(self.additive, {"<<": "<<", ">>": ">>"})

    def additive(self) -> ast.Expression:
        """
        C{a + b}, C{a - b}.
        """
        return self.binaryLevel(self.multiplicative, {"+": "+", "-": "-"})

    def multiplicative(self) -> ast.Expression:
        """
        C{a * b}, C{a / b}, C{a DIV b}, C{a MOD b}, C{a % b}.
        """
        return self.binaryLevel(
            self.bitXor, {"*": "*", "/": "/", "DIV": "DIV", "MOD": "MOD", "%": "MOD"}
        )

    def bitXor(self) -> ast.Expression:
        """
        C{a ^ b}.
        """
        return self.binaryLevel(self.unary, {"^": "^"})

    def unary(self) -> ast.Expression:
        """
        C{-a}, C{+a}, C{~a}, C{!a}.
        """
        if self.acceptOperator("-"):
            operand = self.unary()
            if isinstance(operand, ast.Literal) and _isNumber(operand.value):
                return ast.Literal(-operand.value)
            return ast.UnaryOp("-", operand)
        if self.acceptOperator("+"):
            return self.unary()
        if self.acceptOperator("~"):
            return ast.UnaryOp("~", self.unary())
        if self.acceptOperator("!"):
            return ast.UnaryOp("NOT", self.unary())
        return self.primary()

    def primary(self) -> ast.Expression:
        """
        A literal, variable, function call, column or parenthesized
        expression.
        """
        token = self.tok
        kind = token.kind
        if kind == NUMBER:
            self.advance()
            return ast.Literal(token.value)
        if kind == STRING:
            self.advance()
            return ast.Literal(token.value, token.charset)
        if kind in (HEXSTRING, BITSTRING):
            self.advance()
            return ast.Literal(token.value, token.charset or "binary")
        if kind == SYSVAR:
            self.advance()
            scope, name = token.value
            if scope == "local":
                scope = "session"
            return ast.SystemVariable(scope, name)
        if kind == USERVAR:
            self.advance()
            return ast.UserVariable(token.value)
        if self.acceptOperator("("):
            inner = self.expression()
            self.expectOperator(")")
            return inner
        if kind == QUOTED_IDENT:
            return self.columnReference()
        if kind != IDENT:
            raise self.error()
        word = token.keyword
        if word == "NULL":
            self.advance()
            return ast.Literal(None)
        if word in ("TRUE", "FALSE"):
            self.advance()
            return ast.Literal(word == "TRUE")
        following = self.peek()
        if (
            following.kind == OPERATOR
            and following.value == "("
            and word not in _NOT_FUNCTIONS
        ):
            return self.functionCall()
        if word in _NILADIC_FUNCTIONS:
            self.advance()
            return ast.FunctionCall(word)
        if self.isReserved(token):
            raise self.error()
        return self.columnReference()

    def functionCall(self) -> ast.FunctionCall:
        """
        C{NAME(args)}, C{NAME(*)}.
        """
        name = self.advance().value.upper()
        self.expectOperator("(")
        args: List[ast.Expression] = []
        if self.acceptOperator("*"):
            args.append(ast.Star())
        elif not self.atOperator(")"):
            args.append(self.expression())
            while self.acceptOperator(","):
                args.append(self.expression())
        self.expectOperator(")")
        return ast.FunctionCall(name, tuple(args))

    def columnReference(self) -> ast.Expression:
        """
        C{[[schema.]table.]column} or C{table.*}.
        """
        parts = [self.identifier()]
        while len(parts) < 3 and self.atOperator("."):
            self.advance()
            if self.acceptOperator("*"):
                return ast.Star(parts[-1])
            parts.append(self.identifier(afterDot=True))
        parts.reverse()
        return ast.Column(*parts)


def _isNumber(value: object) -> bool:
    """
    @return: whether C{value} is the value of a number literal.
    """
    return isinstance(value, (int, float, Decimal)) and not isinstance(value, bool)
