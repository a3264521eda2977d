# -*- test-case-name: tests.test_sqlparser -*-
# Copyright (c) twisted_mysqlauth developers.
# See LICENSE for details.
"""
The syntax tree that L{twisted_mysqlauth.sql.parser.parse} builds: one
immutable value per statement this server understands, and the expression
values that C{SELECT}, C{SET} and C{WHERE} clauses are made of.

Conventions shared by all the classes here:

  - An account name is an L{AccountName}; C{None} in its place means the
    session's own account (C{CURRENT_USER}, C{CURRENT_USER()}, and
    C{USER()} in C{ALTER USER}).  Host parts are lower-cased and default to
    C{"%"}.
  - Strings from the statement (passwords, authentication strings, C{LIKE}
    patterns, comments) are C{bytes}: the statement text encoded as UTF-8,
    with MySQL's backslash escapes applied.
  - Names (plugins, variables, schemas, tables, columns, aliases) are text,
    as written (keywords are upper-cased).
  - Lists are tuples, so that every node is hashable and comparable.
"""

from __future__ import annotations

from typing import Any, Optional, Tuple

import attr

from twisted_mysqlauth.accounts.model import AccountName


class Statement:
    """
    Base class of the statement nodes.
    """

    __slots__ = ()


class Expression:
    """
    Base class of the expression nodes.
    """

    __slots__ = ()


# Account management.


@attr.s(frozen=True, slots=True, auto_attribs=True)
class AuthOption:
    """
    The C{IDENTIFIED ...} clause given for one account.

    @ivar plugin: the authentication method named by C{IDENTIFIED WITH} or
        C{IDENTIFIED VIA}, as written; C{"mysql_native_password"} for
        C{IDENTIFIED BY PASSWORD 'hash'}; C{None} for the server's default
        method (C{IDENTIFIED BY 'pw'}).
    @ivar password: the cleartext password from C{BY 'pw'} or C{USING
        PASSWORD('pw')}, or C{None}.
    @ivar authString: the authentication string from C{AS 'string'}, C{USING
        'string'} or C{BY PASSWORD 'hash'}, verbatim, or C{None}.
    @ivar randomPassword: C{BY RANDOM PASSWORD}: the server picks the
        password and returns it.
    @ivar replace: C{REPLACE 'current'} (C{ALTER USER} only): the current
        password, to be checked before the change.
    @ivar retainCurrentPassword: C{RETAIN CURRENT PASSWORD} (C{ALTER USER}
        only).
    """

    plugin: Optional[str] = None
    password: Optional[bytes] = None
    authString: Optional[bytes] = None
    randomPassword: bool = False
    replace: Optional[bytes] = None
    retainCurrentPassword: bool = False


@attr.s(frozen=True, slots=True, auto_attribs=True)
class UserSpec:
    """
    One account of a C{CREATE USER} or C{ALTER USER} statement.

    @ivar name: the account, or C{None} for the session's account.
    @ivar auth: its C{IDENTIFIED} clause, if one was given.
    @ivar discardOldPassword: C{DISCARD OLD PASSWORD} (C{ALTER USER} only).
    """

    name: Optional[AccountName]
    auth: Optional[AuthOption] = None
    discardOldPassword: bool = False


@attr.s(frozen=True, slots=True, auto_attribs=True)
class CreateUser(Statement):
    """
    C{CREATE USER}.

    @ivar ifNotExists: C{IF NOT EXISTS} was given.
    @ivar users: the accounts to create, a tuple of L{UserSpec}.
    @ivar accountLock: C{True} for C{ACCOUNT LOCK}, C{False} for C{ACCOUNT
        UNLOCK}, C{None} if neither was given (the last one written wins).
    @ivar options: the other clauses, in order, as C{(name, value)} pairs;
        see L{twisted_mysqlauth.sql.parser} for the names and values.
    """

    ifNotExists: bool
    users: Tuple[UserSpec, ...]
    accountLock: Optional[bool] = None
    options: Tuple[Tuple[str, Any], ...] = ()


@attr.s(frozen=True, slots=True, auto_attribs=True)
class AlterUser(Statement):
    """
    C{ALTER USER}; fields as for L{CreateUser}.

    @ivar ifExists: C{IF EXISTS} was given.
    """

    ifExists: bool
    users: Tuple[UserSpec, ...]
    accountLock: Optional[bool] = None
    options: Tuple[Tuple[str, Any], ...] = ()


@attr.s(frozen=True, slots=True, auto_attribs=True)
class DropUser(Statement):
    """
    C{DROP USER [IF EXISTS] user [, user] ...}.

    @ivar names: a tuple of L{AccountName} (or C{None} for the session's
        account).
    """

    ifExists: bool
    names: Tuple[Optional[AccountName], ...]


@attr.s(frozen=True, slots=True, auto_attribs=True)
class RenameUser(Statement):
    """
    C{RENAME USER old TO new [, old TO new] ...}.

    @ivar pairs: a tuple of C{(old, new)} account names.
    """

    pairs: Tuple[Tuple[Optional[AccountName], Optional[AccountName]], ...]


@attr.s(frozen=True, slots=True, auto_attribs=True)
class SetPassword(Statement):
    """
    C{SET PASSWORD [FOR user] = 'pw'} and its variants.

    @ivar name: the account, or C{None} for the session's account.
    @ivar password: the cleartext password (C{= 'pw'}, C{= PASSWORD('pw')}),
        or C{None} for C{TO RANDOM}.
    @ivar hashed: never set by this parser: MySQL 8 takes the string after
        C{=} as a cleartext password.  Kept for executors that accept a
        pre-hashed value from other sources.
    @ivar randomPassword: C{TO RANDOM}.
    @ivar replace: C{REPLACE 'current'}.
    @ivar retainCurrentPassword: C{RETAIN CURRENT PASSWORD}.
    """

    name: Optional[AccountName]
    password: Optional[bytes] = None
    hashed: Optional[bytes] = None
    randomPassword: bool = False
    replace: Optional[bytes] = None
    retainCurrentPassword: bool = False


@attr.s(frozen=True, slots=True, auto_attribs=True)
class ShowCreateUser(Statement):
    """
    C{SHOW CREATE USER user}.

    @ivar name: the account, or C{None} for C{CURRENT_USER}.
    """

    name: Optional[AccountName]


@attr.s(frozen=True, slots=True, auto_attribs=True)
class Grant(Statement):
    """
    C{GRANT privileges ON level TO accounts [WITH GRANT OPTION]}.

    @ivar privileges: upper-case privilege names (C{"SELECT"}, C{"CREATE
        USER"}, dynamic names such as C{"SYSTEM_VARIABLES_ADMIN"});
        C{("ALL",)} for C{ALL [PRIVILEGES]}.  C{GRANT OPTION} written in the
        list is not kept here: it sets L{withGrantOption}, so this may be
        empty.
    @ivar level: C{"*.*"}, C{"*"}, C{"db.*"}, C{"db.tbl"} or C{"tbl"}, with
        C{"FUNCTION "} or C{"PROCEDURE "} in front for those object types.
    @ivar grantees: a tuple of L{AccountName} (C{None}: the session's).
    @ivar withGrantOption: C{WITH GRANT OPTION}, or C{GRANT OPTION} in the
        privilege list.
    """

    privileges: Tuple[str, ...]
    level: str
    grantees: Tuple[Optional[AccountName], ...]
    withGrantOption: bool = False


@attr.s(frozen=True, slots=True, auto_attribs=True)
class GrantProxy(Statement):
    """
    C{GRANT PROXY ON proxied TO grantee [, grantee] [WITH GRANT OPTION]}.
    """

    proxied: Optional[AccountName]
    grantees: Tuple[Optional[AccountName], ...]
    withGrantOption: bool = False


@attr.s(frozen=True, slots=True, auto_attribs=True)
class Revoke(Statement):
    """
    C{REVOKE privileges ON level FROM accounts}, and C{REVOKE ALL
    [PRIVILEGES], GRANT OPTION FROM accounts}.

    @ivar privileges: as for L{Grant.privileges}.
    @ivar level: as for L{Grant.level}; C{None} for C{REVOKE ALL, GRANT
        OPTION}, which revokes at every level.
    @ivar grantOption: the grant option is revoked too (C{GRANT OPTION} in
        the list).
    @ivar ifExists: C{REVOKE IF EXISTS}.
    @ivar ignoreUnknownUser: C{IGNORE UNKNOWN USER}.
    """

    privileges: Tuple[str, ...]
    level: Optional[str]
    grantees: Tuple[Optional[AccountName], ...]
    grantOption: bool = False
    ifExists: bool = False
    ignoreUnknownUser: bool = False


@attr.s(frozen=True, slots=True, auto_attribs=True)
class RevokeProxy(Statement):
    """
    C{REVOKE PROXY ON proxied FROM grantee [, grantee]}.
    """

    proxied: Optional[AccountName]
    grantees: Tuple[Optional[AccountName], ...]
    ifExists: bool = False
    ignoreUnknownUser: bool = False


@attr.s(frozen=True, slots=True, auto_attribs=True)
class ShowGrants(Statement):
    """
    C{SHOW GRANTS [FOR user [USING role [, role]]]}.

    @ivar name: the account, or C{None} for the session's account (no
        C{FOR}, or C{FOR CURRENT_USER[()]}).
    @ivar using: the roles of C{USING}, a tuple of L{AccountName}.
    """

    name: Optional[AccountName] = None
    using: Tuple[AccountName, ...] = ()


@attr.s(frozen=True, slots=True, auto_attribs=True)
class FlushPrivileges(Statement):
    """
    C{FLUSH [LOCAL | NO_WRITE_TO_BINLOG] PRIVILEGES}.
    """


@attr.s(frozen=True, slots=True, auto_attribs=True)
class Flush(Statement):
    """
    Any other C{FLUSH}.

    @ivar what: the options, upper-cased and separated by C{", "} (e.g.
        C{"HOSTS, STATUS"}, C{"BINARY LOGS"}, which may include
        C{"PRIVILEGES"}), or for C{FLUSH TABLES} the words after C{FLUSH},
        upper-cased (e.g. C{"TABLES WITH READ LOCK"}).
    """

    what: str


# Queries.


@attr.s(frozen=True, slots=True, auto_attribs=True)
class TableRef:
    """
    The table of a C{FROM} clause.

    @ivar schema: the schema written before the dot, or C{None}.
    @ivar name: the table name, as written.
    @ivar alias: the table alias, or C{None}.
    """

    schema: Optional[str]
    name: str
    alias: Optional[str] = None


@attr.s(frozen=True, slots=True, auto_attribs=True)
class SelectItem:
    """
    One item of a select list.

    @ivar expr: an L{Expression} (L{Star} for C{*} and C{t.*}).
    @ivar alias: the C{AS} name or bare alias, or C{None}.
    @ivar text: the item's source text, without the alias: what MySQL names
        an un-aliased column after (e.g. C{"@@version_comment"},
        C{"USER()"}; for a string literal MySQL uses the value instead).
    """

    expr: Expression
    alias: Optional[str]
    text: str


@attr.s(frozen=True, slots=True, auto_attribs=True)
class OrderBy:
    """
    One item of an C{ORDER BY} clause.
    """

    expr: Expression
    descending: bool = False


@attr.s(frozen=True, slots=True, auto_attribs=True)
class Select(Statement):
    """
    A single-table C{SELECT}.

    @ivar items: a tuple of L{SelectItem}.
    @ivar fromTable: the L{TableRef}, or C{None} without C{FROM} and for
        C{FROM DUAL}.
    @ivar where: the C{WHERE} condition, or C{None}.
    @ivar limit: the row count of C{LIMIT}, or C{None}.
    @ivar offset: the offset of C{LIMIT}, or C{None}.
    @ivar orderBy: a tuple of L{OrderBy}.
    @ivar distinct: C{SELECT DISTINCT}.
    """

    items: Tuple[SelectItem, ...]
    fromTable: Optional[TableRef] = None
    where: Optional[Expression] = None
    limit: Optional[int] = None
    offset: Optional[int] = None
    orderBy: Tuple[OrderBy, ...] = ()
    distinct: bool = False


# Session.


@attr.s(frozen=True, slots=True, auto_attribs=True)
class Assignment:
    """
    One assignment of a C{SET} statement.

    @ivar scope: C{"user"} for C{@name}; C{"global"}, C{"session"},
        C{"persist"} or C{"persist_only"} for a system variable with a scope
        (written before it, carried over from an earlier assignment of the
        same statement as MySQL does, or C{@@scope.}; C{LOCAL} is
        C{"session"}); C{None} for a system variable without one (C{SET
        autocommit=1}, C{SET @@autocommit=1}).
    @ivar name: the variable name as written (MySQL compares them
        case-insensitively); a component variable keeps its dot
        (C{"validate_password.length"}).
    @ivar expr: the value: an L{Expression}, L{Default} for C{DEFAULT}.  For
        a system variable, a bare word (C{OFF}, C{ON}, C{TRADITIONAL}) is a
        string L{Literal} of the word, as MySQL reads it.
    """

    scope: Optional[str]
    name: str
    expr: Expression


@attr.s(frozen=True, slots=True, auto_attribs=True)
class SetVariables(Statement):
    """
    C{SET variable = value [, variable = value] ...}.

    @ivar assignments: a tuple of L{Assignment}.
    """

    assignments: Tuple[Assignment, ...]


@attr.s(frozen=True, slots=True, auto_attribs=True)
class SetNames(Statement):
    """
    C{SET NAMES charset [COLLATE collation]}, C{SET CHARACTER SET charset}.

    @ivar charset: the character set name, lower-cased; C{None} for
        C{DEFAULT}.
    @ivar collation: the collation name, lower-cased, or C{None}.
    @ivar isCharacterSet: this was C{SET CHARACTER SET} (or C{SET CHARSET}),
        which sets the connection character set from the database's.
    """

    charset: Optional[str]
    collation: Optional[str] = None
    isCharacterSet: bool = False


@attr.s(frozen=True, slots=True, auto_attribs=True)
class SetTransaction(Statement):
    """
    C{SET [GLOBAL | SESSION] TRANSACTION characteristic [, ...]}.

    @ivar scope: C{"global"}, C{"session"} or C{None} (the next
        transaction only).
    @ivar isolationLevel: C{"REPEATABLE READ"}, C{"READ COMMITTED"},
        C{"READ UNCOMMITTED"}, C{"SERIALIZABLE"} or C{None}.
    @ivar accessMode: C{"READ WRITE"}, C{"READ ONLY"} or C{None}.
    """

    scope: Optional[str]
    isolationLevel: Optional[str] = None
    accessMode: Optional[str] = None


@attr.s(frozen=True, slots=True, auto_attribs=True)
class Transaction(Statement):
    """
    C{BEGIN [WORK]}, C{START TRANSACTION [characteristic, ...]}, C{COMMIT
    [WORK] [AND [NO] CHAIN] [[NO] RELEASE]} or C{ROLLBACK [WORK] ...}.
    The server keeps no tables, so there is nothing to commit or roll back:
    they succeed, as they do in MySQL for non-transactional tables.

    @ivar action: C{"begin"}, C{"commit"} or C{"rollback"}.
    @ivar release: C{RELEASE}: the server closes the connection after
        answering.
    """

    action: str
    release: bool = False


@attr.s(frozen=True, slots=True, auto_attribs=True)
class Use(Statement):
    """
    C{USE database}.
    """

    database: str


# Plugins and server information.


@attr.s(frozen=True, slots=True, auto_attribs=True)
class InstallPlugin(Statement):
    """
    C{INSTALL PLUGIN name SONAME 'library'}.
    """

    name: str
    soname: str


@attr.s(frozen=True, slots=True, auto_attribs=True)
class UninstallPlugin(Statement):
    """
    C{UNINSTALL PLUGIN name}.
    """

    name: str


@attr.s(frozen=True, slots=True, auto_attribs=True)
class ShowPlugins(Statement):
    """
    C{SHOW PLUGINS}.
    """


@attr.s(frozen=True, slots=True, auto_attribs=True)
class ShowVariables(Statement):
    """
    C{SHOW [GLOBAL | SESSION] VARIABLES [LIKE 'pattern' | WHERE expr]}.

    @ivar scope: C{"global"}, C{"session"} (also for C{LOCAL}) or C{None}.
    @ivar like: the C{LIKE} pattern, or C{None}.
    @ivar where: the C{WHERE} condition, or C{None}.
    """

    scope: Optional[str] = None
    like: Optional[bytes] = None
    where: Optional[Expression] = None


@attr.s(frozen=True, slots=True, auto_attribs=True)
class ShowWarnings(Statement):
    """
    C{SHOW {WARNINGS | ERRORS} [LIMIT [offset,] count]}, C{SHOW COUNT(*)
    {WARNINGS | ERRORS}}: diagnostic statements, which keep the last
    statement's diagnostics.

    @ivar errorsOnly: C{ERRORS}: only the errors.
    @ivar countOnly: C{COUNT(*)}: how many, as C{@@session.warning_count}
        (or C{error_count}).
    """

    limit: Optional[int] = None
    offset: Optional[int] = None
    errorsOnly: bool = False
    countOnly: bool = False


@attr.s(frozen=True, slots=True, auto_attribs=True)
class ShowDatabases(Statement):
    """
    C{SHOW {DATABASES | SCHEMAS} [LIKE 'pattern' | WHERE expr]}.
    """

    like: Optional[bytes] = None
    where: Optional[Expression] = None


@attr.s(frozen=True, slots=True, auto_attribs=True)
class CommentOnly(Statement):
    """
    A query of nothing but comments (MySQL answers it with OK).
    """


@attr.s(frozen=True, slots=True, auto_attribs=True)
class Unsupported(Statement):
    """
    A statement MySQL has but this server does not implement; the executor
    answers it with a "not supported" error.  Its text after the keywords
    is not checked.

    @ivar keyword: the statement's leading keywords, upper-cased, e.g.
        C{"CREATE TABLE"}, C{"INSERT"}, C{"GRANT ROLE"} (role grants),
        C{"COMMIT"}.
    """

    keyword: str


# Expressions.


@attr.s(frozen=True, slots=True, auto_attribs=True)
class Literal(Expression):
    """
    A constant.

    @ivar value: C{bytes} for strings (and hexadecimal and bit literals),
        C{int}, C{decimal.Decimal} (C{1.5}) or C{float} (C{1e3}) for
        numbers, C{None} for C{NULL}, C{True} or C{False}.
    @ivar charset: the introducer (C{"utf8mb4"} for C{_utf8mb4'x'},
        C{"utf8mb3"} for C{N'x'}), C{"binary"} for C{X'..'}, C{0x..},
        C{B'..'} and C{0b..} without one, else C{None}.
    """

    value: Any
    charset: Optional[str] = None


@attr.s(frozen=True, slots=True, auto_attribs=True)
class SystemVariable(Expression):
    """
    C{@@name}, C{@@global.name}, C{@@session.name}, C{@@local.name}.

    @ivar scope: C{"global"}, C{"session"} (also for C{local}),
        C{"persist"}, C{"persist_only"}, or C{None}.
    @ivar name: as written.
    """

    scope: Optional[str]
    name: str


@attr.s(frozen=True, slots=True, auto_attribs=True)
class UserVariable(Expression):
    """
    C{@name}, C{@'name'}.
    """

    name: str


@attr.s(frozen=True, slots=True, auto_attribs=True)
class FunctionCall(Expression):
    """
    C{NAME(args)}; also C{CURRENT_USER}, C{CURRENT_TIMESTAMP} and the other
    functions MySQL lets be written without parentheses.

    @ivar name: upper-cased.
    @ivar args: a tuple of L{Expression} (L{Star} for C{COUNT(*)}).
    """

    name: str
    args: Tuple[Expression, ...] = ()


@attr.s(frozen=True, slots=True, auto_attribs=True)
class Column(Expression):
    """
    A column reference, C{[[schema.]table.]name}.
    """

    name: str
    table: Optional[str] = None
    schema: Optional[str] = None


@attr.s(frozen=True, slots=True, auto_attribs=True)
class Star(Expression):
    """
    C{*} or C{table.*} in a select list, C{*} in C{COUNT(*)}.
    """

    table: Optional[str] = None


@attr.s(frozen=True, slots=True, auto_attribs=True)
class Default(Expression):
    """
    C{DEFAULT} as the value of a C{SET} assignment.
    """


@attr.s(frozen=True, slots=True, auto_attribs=True)
class UnaryOp(Expression):
    """
    C{NOT x} (also C{!x}), C{-x}, C{~x}.  A minus sign in front of a number
    is folded into the L{Literal}.
    """

    op: str
    operand: Expression


@attr.s(frozen=True, slots=True, auto_attribs=True)
class BinaryOp(Expression):
    """
    A binary operator.

    @ivar op: C{"OR"} (also for C{||}), C{"XOR"}, C{"AND"} (also C{&&}),
        C{"="}, C{"<=>"}, C{"<>"} (also C{!=}), C{"<"}, C{"<="}, C{">"},
        C{">="}, C{"REGEXP"} (also C{RLIKE}), C{"|"}, C{"&"}, C{"<<"},
        C{">>"}, C{"+"}, C{"-"}, C{"*"}, C{"/"}, C{"DIV"}, C{"MOD"} (also
        C{%}), C{"^"}.
    """

    op: str
    left: Expression
    right: Expression


@attr.s(frozen=True, slots=True, auto_attribs=True)
class Like(Expression):
    """
    C{expr [NOT] LIKE pattern [ESCAPE escape]}.
    """

    expr: Expression
    pattern: Expression
    escape: Optional[Expression] = None
    negated: bool = False


@attr.s(frozen=True, slots=True, auto_attribs=True)
class InList(Expression):
    """
    C{expr [NOT] IN (item, ...)}.
    """

    expr: Expression
    items: Tuple[Expression, ...]
    negated: bool = False


@attr.s(frozen=True, slots=True, auto_attribs=True)
class Between(Expression):
    """
    C{expr [NOT] BETWEEN low AND high}.
    """

    expr: Expression
    low: Expression
    high: Expression
    negated: bool = False


@attr.s(frozen=True, slots=True, auto_attribs=True)
class IsTest(Expression):
    """
    C{expr IS [NOT] {NULL | TRUE | FALSE | UNKNOWN}}.

    @ivar value: C{None} for C{NULL} and C{UNKNOWN}, C{True}, C{False}.
    """

    expr: Expression
    value: Optional[bool]
    negated: bool = False
