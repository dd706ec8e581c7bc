"""Safe arithmetic formulas over named columns, such as CDC's ``(E_POV150 /S1701_C01_001E) * 100``.

A formula is parsed with :mod:`ast` and only numbers, names, ``+ − × ÷``, unary signs and
parentheses are accepted — nothing is ever passed to ``eval``. A compiled formula evaluates over
whole numpy columns at once. Missing values are NaN: any missing operand makes the result
missing; ``0 / 0`` is 0 (CDC's rule for percentages of nothing) and ``x / 0`` for ``x ≠ 0`` is
missing.
"""
from __future__ import annotations

import ast
from collections.abc import Callable, Mapping

import numpy as np

_OPERATORS = {ast.Add: np.add, ast.Sub: np.subtract, ast.Mult: np.multiply}


class FormulaError(ValueError):
    """A formula that is not plain arithmetic over names, or that names an unknown column."""


def _divide(left: np.ndarray, right: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        quotient = np.divide(left, right)
    zero = right == 0
    quotient[zero & (left == 0)] = 0.0
    quotient[zero & (left != 0)] = np.nan
    return quotient


class Formula:
    """A compiled arithmetic formula; ``names`` are the columns it reads."""

    def __init__(self, text: str) -> None:
        self.text = text
        try:
            tree = ast.parse(text.strip(), mode="eval")
        except SyntaxError as exc:
            raise FormulaError(f"cannot read formula {text!r}: {exc.msg}") from None
        self.names: list[str] = []
        self._evaluate = self._compile(tree.body)

    def __repr__(self) -> str:
        return f"Formula({self.text!r})"

    def _compile(self, node: ast.AST) -> Callable[[Mapping[str, np.ndarray]], np.ndarray]:
        if isinstance(node, ast.Constant) and type(node.value) in (int, float):
            number = float(node.value)
            return lambda columns: np.float64(number)
        if isinstance(node, ast.Name):
            name = node.id
            if name not in self.names:
                self.names.append(name)
            return lambda columns: np.asarray(columns[name], dtype=float)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            operand = self._compile(node.operand)
            sign = -1.0 if isinstance(node.op, ast.USub) else 1.0
            return lambda columns: sign * operand(columns)
        if isinstance(node, ast.BinOp):
            left, right = self._compile(node.left), self._compile(node.right)
            if isinstance(node.op, ast.Div):
                return lambda columns: _divide(*np.broadcast_arrays(
                    np.array(left(columns), dtype=float), np.array(right(columns), dtype=float)))
            operator = _OPERATORS.get(type(node.op))
            if operator is not None:
                return lambda columns: operator(left(columns), right(columns))
        raise FormulaError(f"formula {self.text!r}: only numbers, column names, + - * / and "
                           f"parentheses are allowed, not {ast.dump(node)[:40]}")

    def evaluate(self, columns: Mapping[str, np.ndarray]) -> np.ndarray:
        """The formula over ``columns`` (name → array); raises ``FormulaError`` on unknown names."""
        missing = [name for name in self.names if name not in columns]
        if missing:
            raise FormulaError(f"formula {self.text!r} uses unknown column(s): "
                               f"{', '.join(missing)}")
        return np.asarray(self._evaluate(columns), dtype=float)
