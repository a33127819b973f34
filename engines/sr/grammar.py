"""Token library, prefix expressions and the legality grammar.

An expression is a tuple of integer tokens in prefix (pre-order) notation over
a :class:`Library`: the input variables, optionally the fitted-constant
placeholder ``C``, and the operators of the registry.  A partial expression is
described by its stack of open slots; each slot knows its depth, whether a
trigonometric function lies above it, its parent token, its position among the
parent's arguments and whether its left sibling is a bare constant.  The
legality rules are RSRM's (ICLR 2024, section 3 and the reference code's
token masks): depth limit, no trig inside trig, no ``exp`` directly under
``log`` and no ``log`` directly under ``exp``, a bound on constants; plus the
rules that keep fitted constants meaningful (no ``C`` as the whole expression,
as the argument of a unary operator, or next to another bare ``C``).

Examples
--------
>>> lib = Library(["x"], ["add", "mul", "sin"], constants=False)
>>> expr = lib.encode(["add", "x", "mul", "x", "x"])
>>> lib.is_legal(expr, max_depth=5, max_length=20)
True
>>> str(lib.to_sympy(expr))
'x**2 + x'
>>> lib.is_legal(lib.encode(["sin", "sin", "x"]), max_depth=5, max_length=20)
False
"""

from __future__ import annotations

import random
from collections.abc import Sequence

import numpy as np
import sympy

from mathdisco.engines.sr.operators import OPERATORS, Operator

Slot = tuple[int, bool, int, int, bool]  # depth, trig above, parent token, position, after bare C
ROOT_SLOT: Slot = (1, False, -1, 0, False)


class Library:
    """The tokens a search may use and the grammar over them.

    Parameters
    ----------
    variables : names of the input variables (tokens ``0 .. n-1``).
    operators : operator names from :data:`mathdisco.engines.sr.operators.OPERATORS`.
    constants : whether the fitted-constant token ``C`` is available.
    max_constants : the most ``C`` tokens one expression may hold.
    grow_with : the operators new expressions may use (default: all of ``operators``);
        the others keep their tokens, so expressions of the sub-grammar are expressions
        of the whole one.
    """

    def __init__(self, variables: Sequence[str], operators: Sequence[str], constants: bool = True,
                 max_constants: int = 3, grow_with: Sequence[str] | None = None) -> None:
        self.variables = list(variables)
        self.n_variables = len(self.variables)
        self.names: list[str] = list(self.variables)
        self.const_token = -1
        if constants:
            self.const_token = len(self.names)
            self.names.append("C")
        self.ops: list[Operator | None] = [None] * len(self.names)
        for name in operators:
            self.names.append(name)
            self.ops.append(OPERATORS[name])
        self.arity = [op.arity if op else 0 for op in self.ops]
        self.weights = [op.weight if op else 1 for op in self.ops]
        self.terminals = [t for t in range(len(self.names)) if self.arity[t] == 0]
        self.functions = [t for t in range(len(self.names)) if self.arity[t] > 0]
        # the operators new trees may use (all by default); a sub-grammar keeps the token
        # numbering of the whole one, so its trees share the evaluator and its cache
        self.growable = [t for t in self.functions if grow_with is None or self.names[t] in grow_with]
        self.token_of = {name: t for t, name in enumerate(self.names)}
        self.max_constants = max_constants if constants else 0
        self._trig = {t for t in self.functions if self.ops[t].trig}
        self._exp = self.token_of.get("exp", -2)
        self._log = self.token_of.get("log", -2)
        self._legal_cache: dict[tuple, list[int]] = {}
        self._legal_sets: dict[int, frozenset[int]] = {}  # id of a cached list -> its set
        self._verdicts: dict[tuple, bool] = {}  # (prefix, max_depth, max_length) -> is_legal
        from mathdisco.engines.sr.kernels import CONST, OPCODES, VAR
        self.opcode = [VAR] * self.n_variables + ([CONST] if constants else []) + [
            OPCODES[name] for name in operators]

    def size(self, expression: Sequence[int]) -> int:
        """The complexity of a prefix expression: its tokens, each operator by its weight
        (:attr:`mathdisco.engines.sr.operators.Operator.weight`: shortcuts count like their expansion).

        >>> lib = Library(["x"], ["add", "sinh"], constants=False)
        >>> lib.size(lib.encode(["sinh", "x"])), lib.size(lib.encode(["add", "x", "x"]))
        (7, 3)
        """
        weights = self.weights
        return sum(weights[t] for t in expression)

    # -- grammar ---------------------------------------------------------
    def legal(self, n_tokens: int, slots: list[Slot], n_constants: int, max_depth: int,
              max_length: int) -> list[int]:
        """Tokens allowed in the next slot of a partial expression."""
        depth, trig_above, parent, _position, after_const = slots[-1]
        room = max_length - n_tokens - len(slots)
        key = (depth >= max_depth, trig_above, parent, after_const, min(room, 2),
               n_constants >= self.max_constants)
        cached = self._legal_cache.get(key)
        if cached is not None:
            return cached
        allowed = []
        for t in self.terminals:
            if t == self.const_token and (parent < 0 or self.arity[parent] == 1 or after_const
                                          or n_constants >= self.max_constants):
                continue
            allowed.append(t)
        if depth < max_depth:
            for t in self.growable:
                if self.arity[t] > room:
                    continue
                if trig_above and t in self._trig:
                    continue
                if (parent == self._log and t == self._exp) or (parent == self._exp and t == self._log):
                    continue
                allowed.append(t)
        self._legal_cache[key] = allowed
        return allowed

    def push(self, slots: list[Slot], token: int) -> None:
        """Fill the next open slot with ``token`` (in place)."""
        depth, trig_above, _parent, position, _after = slots.pop()
        arity = self.arity[token]
        if arity == 0:
            if token == self.const_token and position == 0 and slots:
                d, ta, p, pos, _ = slots[-1]
                if p >= 0 and pos == 1 and d == depth:
                    slots[-1] = (d, ta, p, pos, True)
            return
        child_trig = trig_above or token in self._trig
        for position in range(arity - 1, -1, -1):
            slots.append((depth + 1, child_trig, token, position, False))

    def is_legal(self, prefix: Sequence[int], max_depth: int, max_length: int) -> bool:
        """Whether a complete prefix expression obeys the grammar."""
        if not prefix or len(prefix) > max_length:
            return False
        key = (tuple(prefix), max_depth, max_length)
        verdict = self._verdicts.get(key)
        if verdict is None:
            verdict = self._check(prefix, max_depth, max_length)
            if len(self._verdicts) > 200_000:
                self._verdicts.clear()
            self._verdicts[key] = verdict
        return verdict

    def _check(self, prefix: Sequence[int], max_depth: int, max_length: int) -> bool:
        slots: list[Slot] = [ROOT_SLOT]
        n_constants = 0
        sets = self._legal_sets
        for i, token in enumerate(prefix):
            if not slots:
                return False
            allowed = self.legal(i, slots, n_constants, max_depth, max_length)
            members = sets.get(id(allowed))
            if members is None:
                members = sets[id(allowed)] = frozenset(allowed)
            if token not in members:
                return False
            n_constants += token == self.const_token
            self.push(slots, token)
        return not slots

    def random_expression(self, rng: random.Random, max_depth: int, max_length: int,
                          terminal_bias: float = 0.3) -> tuple[int, ...]:
        """A random legal expression (the "grow" method of genetic programming)."""
        slots: list[Slot] = [ROOT_SLOT]
        prefix: list[int] = []
        n_constants = 0
        while slots:
            allowed = self.legal(len(prefix), slots, n_constants, max_depth, max_length)
            terminals = [t for t in allowed if self.arity[t] == 0]
            if prefix and terminals and rng.random() < terminal_bias:
                token = rng.choice(terminals)
            else:
                token = rng.choice(allowed)
            n_constants += token == self.const_token
            prefix.append(token)
            self.push(slots, token)
        return tuple(prefix)

    # -- structure -------------------------------------------------------
    def subtree_end(self, prefix: Sequence[int], start: int) -> int:
        """Index one past the subtree that starts at ``start``."""
        need = 1
        i = start
        while need:
            need += self.arity[prefix[i]] - 1
            i += 1
        return i

    def children(self, prefix: Sequence[int], start: int) -> list[tuple[int, int]]:
        """(start, end) of each argument of the node at ``start``."""
        spans = []
        i = start + 1
        for _ in range(self.arity[prefix[start]]):
            end = self.subtree_end(prefix, i)
            spans.append((i, end))
            i = end
        return spans

    def additive_terms(self, prefix: tuple[int, ...]) -> tuple[tuple[int, ...], ...]:
        """The distinct top-level summands (through ``add`` and ``sub``), sorted.

        Signs are dropped: the fit gives every summand its own coefficient.
        """
        add, sub = self.token_of.get("add", -2), self.token_of.get("sub", -2)
        terms: list[tuple[int, ...]] = []
        stack = [(0, len(prefix))]
        while stack:
            start, end = stack.pop()
            if prefix[start] in (add, sub):
                (a0, a1), (b0, b1) = self.children(prefix, start)
                stack.append((b0, b1))
                stack.append((a0, a1))
            else:
                terms.append(tuple(prefix[start:end]))
        return tuple(sorted(set(terms)))

    def inner_summand_removals(self, prefix: tuple[int, ...]) -> list[tuple[tuple[int, ...], int, int]]:
        """Every expression left by dropping one argument of an inner ``add`` or ``sub`` node.

        Returns ``(expression, first, stop)`` with ``first:stop`` the indices, in
        ``prefix``'s own constant order, of the ``C`` tokens dropped with the
        argument.  Dropping the minuend of ``a - b`` leaves ``neg b`` (skipped
        without ``neg``).  Only legal results are listed (a bare ``C`` left
        under a unary operator, say, is not).

        >>> lib = Library(["x"], ["add", "mul", "exp"], constants=True)
        >>> term = lib.encode(["mul", "x", "add", "x", "exp", "mul", "C", "x"])
        >>> [(lib.decode(e), first, stop) for e, first, stop in lib.inner_summand_removals(term)]
        [(['mul', 'x', 'exp', 'mul', 'C', 'x'], 0, 0), (['mul', 'x', 'x'], 0, 1)]
        """
        add, sub, neg = (self.token_of.get(name, -2) for name in ("add", "sub", "neg"))
        out = []
        for start, token in enumerate(prefix):
            if token not in (add, sub):
                continue
            end = self.subtree_end(prefix, start)
            (a0, a1), (b0, b1) = self.children(prefix, start)
            options = [(prefix[b0:b1] if token == add else (neg, *prefix[b0:b1]), a0, a1)] if (
                token == add or neg >= 0) else []
            options.append((prefix[a0:a1], b0, b1))
            for kept, d0, d1 in options:
                expression = (*prefix[:start], *kept, *prefix[end:])
                if not self.is_legal(expression, len(expression), len(expression)):
                    continue
                first = self.count_constants(prefix[:d0])
                out.append((expression, first, first + self.count_constants(prefix[d0:d1])))
        return out

    def lower(self, prefix: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
        """The (code, arg) arrays of :mod:`mathdisco.engines.sr.kernels` for a prefix expression."""
        code = np.array([self.opcode[t] for t in prefix], dtype=np.int64)
        arg = np.zeros(len(prefix), dtype=np.int64)
        k = 0
        for i, t in enumerate(prefix):
            if t < self.n_variables:
                arg[i] = t
            elif t == self.const_token:
                arg[i] = k
                k += 1
        return code, arg

    def count_constants(self, prefix: Sequence[int]) -> int:
        return sum(1 for t in prefix if t == self.const_token)

    def encode(self, names: Sequence[str]) -> tuple[int, ...]:
        """Prefix token names to a token tuple (for tests and examples)."""
        return tuple(self.token_of[n] for n in names)

    def decode(self, prefix: Sequence[int]) -> list[str]:
        return [self.names[t] for t in prefix]

    def to_sympy(self, prefix: Sequence[int], constants: Sequence[float | sympy.Expr] = (),
                 symbols: Sequence[sympy.Symbol] | None = None) -> sympy.Expr:
        """The sympy expression of a prefix tree; ``C`` tokens take ``constants`` in order."""
        symbols = symbols or [sympy.Symbol(v) for v in self.variables]
        values = list(constants)
        position = 0
        const_index = 0

        def build() -> sympy.Expr:
            nonlocal position, const_index
            token = prefix[position]
            position += 1
            if token < self.n_variables:
                return symbols[token]
            if token == self.const_token:
                value = values[const_index] if const_index < len(values) else sympy.Symbol(f"c{const_index}")
                const_index += 1
                return value if isinstance(value, sympy.Basic) else sympy.Float(value)
            args = [build() for _ in range(self.arity[token])]
            return self.ops[token].sympy(*args)

        return build()
