"""Parser for ConnectWise's ``conditions`` query language (reference §3.1).

Grammar (keywords and operators are case-insensitive)::

    expr       := and_expr ("or" and_expr)*
    and_expr   := primary ("and" primary)*
    primary    := "(" expr ")" | path operator value
    operator   := "=" | "!=" | "<" | "<=" | ">" | ">=" | ["not"] ("contains" | "like" | "in")
    value      := "string" | 'string' | number | [date] | null | true | false
                | "(" value ("," value)* ")"            (only after in / not in)
    path       := name ("/" name)*                       e.g. company/id, product/identifier

The tree is evaluated against rows by :mod:`psabill.sandbox.condition_eval`, which owns the
SQL Server semantics (collation, nulls, ``like`` wildcards). Literal forms: ``[...]`` holds a
date (``[2024-01-31]``) or a UTC timestamp (``[2024-01-31T00:00:00Z]``); naive values are read
as UTC.

Strings are in double or single quotes (both appear in ConnectWise's developer guide). It
documents no escape inside them, so the sandbox has none: a backslash is an ordinary character,
the string ends at the next quote of its kind, and a quote left open is a syntax error. A client
that relies on ``\\"`` (or on ``""``) gets a 400 here instead of a quiet mismatch there.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

Value = str | Decimal | bool | datetime | None
"""A literal value in a condition: string, number, boolean, timestamp or null."""


class ConditionError(ValueError):
    """The condition text cannot be parsed; the message names the position and the problem."""


@dataclass(frozen=True)
class Compare:
    path: tuple[str, ...]
    operator: str  # "=", "!=", "<", "<=", ">", ">=", "contains", "like", "in"
    value: Value | tuple[Value, ...]
    negated: bool = False


@dataclass(frozen=True)
class BoolOp:
    operator: str  # "and" | "or"
    operands: tuple[Node, ...]


Node = Compare | BoolOp

_TOKEN = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<op><=|>=|!=|=|<|>)
  | (?P<lparen>\()
  | (?P<rparen>\))
  | (?P<comma>,)
  | (?P<date>\[[^\]]*\])
  | (?P<string>"[^"]*"|'[^']*')
  | (?P<number>-?\d+(?:\.\d+)?(?![\w/]))
  | (?P<word>[A-Za-z_][A-Za-z0-9_]*(?:/[A-Za-z_][A-Za-z0-9_]*)*)
    """,
    re.VERBOSE,
)
_KEYWORD_OPERATORS = ("contains", "like", "in")
_ORDERING = ("<", "<=", ">", ">=")


@dataclass(frozen=True)
class _Token:
    kind: str
    text: str
    position: int


def _tokenize(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    position = 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None:
            char = text[position]
            if char in "\"'":
                raise ConditionError(f"the string opened at position {position} is never closed")
            raise ConditionError(f"unexpected character {char!r} at position {position}")
        kind = match.lastgroup or ""
        if kind != "ws":
            tokens.append(_Token(kind, match.group(), position))
        position = match.end()
    return tokens


def parse(text: str) -> Node:
    """Parse ``text`` into a condition tree; raise :class:`ConditionError` when malformed."""
    parser = _Parser(_tokenize(text))
    if not parser.tokens:
        raise ConditionError("the condition is empty")
    node = parser.expression()
    if parser.index < len(parser.tokens):
        token = parser.tokens[parser.index]
        raise ConditionError(f"unexpected {token.text!r} at position {token.position}")
    return node


class _Parser:
    def __init__(self, tokens: list[_Token]) -> None:
        self.tokens = tokens
        self.index = 0

    def _peek(self) -> _Token | None:
        return self.tokens[self.index] if self.index < len(self.tokens) else None

    def _next(self, expected: str) -> _Token:
        token = self._peek()
        if token is None:
            raise ConditionError(f"the condition ends where {expected} was expected")
        self.index += 1
        return token

    def _keyword(self, *words: str) -> str | None:
        token = self._peek()
        if token is not None and token.kind == "word" and token.text.lower() in words:
            self.index += 1
            return token.text.lower()
        return None

    def expression(self) -> Node:
        operands = [self._and_expression()]
        while self._keyword("or"):
            operands.append(self._and_expression())
        return operands[0] if len(operands) == 1 else BoolOp("or", tuple(operands))

    def _and_expression(self) -> Node:
        operands = [self._primary()]
        while self._keyword("and"):
            operands.append(self._primary())
        return operands[0] if len(operands) == 1 else BoolOp("and", tuple(operands))

    def _primary(self) -> Node:
        token = self._next("a field name or '('")
        if token.kind == "lparen":
            node = self.expression()
            closing = self._next("')'")
            if closing.kind != "rparen":
                raise ConditionError(f"expected ')' at position {closing.position}")
            return node
        if token.kind != "word" or token.text.lower() in ("and", "or", "not"):
            raise ConditionError(f"expected a field name at position {token.position}")
        return self._comparison(tuple(token.text.split("/")))

    def _comparison(self, path: tuple[str, ...]) -> Compare:
        negated = self._keyword("not") is not None
        operator = self._keyword(*_KEYWORD_OPERATORS)
        if operator is None:
            token = self._next("an operator")
            if negated or token.kind != "op":
                raise ConditionError(f"expected an operator at position {token.position}")
            operator = token.text
        if operator == "in":
            return Compare(path, operator, self._list(), negated)
        value = self._literal()
        if (isinstance(value, bool) or value is None) and operator not in ("=", "!="):
            raise ConditionError(f"{_show(value)} can only be compared with = or !=")
        return Compare(path, operator, value, negated)

    def _list(self) -> tuple[Value, ...]:
        opening = self._next("'('")
        if opening.kind != "lparen":
            raise ConditionError(f"expected '(' after 'in' at position {opening.position}")
        values = [self._literal()]
        while True:
            token = self._next("',' or ')'")
            if token.kind == "rparen":
                return tuple(values)
            if token.kind != "comma":
                raise ConditionError(f"expected ',' or ')' at position {token.position}")
            values.append(self._literal())

    def _literal(self) -> Value:
        token = self._next("a value")
        if token.kind == "string":
            return token.text[1:-1]
        if token.kind == "number":
            return Decimal(token.text)
        if token.kind == "date":
            return _parse_date(token)
        word = token.text.lower() if token.kind == "word" else ""
        if word in ("true", "false"):
            return word == "true"
        if word == "null":
            return None
        raise ConditionError(f"expected a value at position {token.position}, got {token.text!r}")


def _parse_date(token: _Token) -> datetime:
    text = token.text[1:-1].strip()
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ConditionError(f"invalid date {token.text} at position {token.position}") from None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed


def _show(value: Value) -> str:
    return "null" if value is None else str(value)


def paths(node: Node) -> Iterator[tuple[str, ...]]:
    """Every field path the condition mentions (so the caller can reject unknown fields)."""
    if isinstance(node, Compare):
        yield node.path
    else:
        for operand in node.operands:
            yield from paths(operand)
