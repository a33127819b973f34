"""The safe expression grammar: user text to sympy, and sympy back to text.

Every engine and the service read user-supplied formulas ("(exp(1)+1)/(exp(1)-1)",
"x**2 + besseli(0, x)", a registered constant name such as "tan1") through
:func:`parse_expression`.  It is a hand-written tokenizer plus a recursive-descent
parser over a whitelist; it builds sympy objects directly and never calls
``eval``, ``exec``, ``sympify``, ``parse_expr`` or ``lambdify``.  Every size is
capped *before* anything expensive happens (:class:`ExpressionLimits`): the text
length, the number of tokens, the nesting depth, the digits of one literal, the
size of integer powers (so ``9**9**9**9`` is refused at once instead of being
computed) and the arguments of functions that sympy evaluates eagerly
(``gamma(10**6)`` would be a factorial).

Grammar (``^`` and ``**`` are both power, right-associative, binding tighter than
unary minus, as in Python)::

    expr    := term (("+" | "-") term)*
    term    := unary (("*" | "/") unary)*
    unary   := ("+" | "-") unary | power
    power   := atom (("**" | "^") unary)?
    atom    := NUMBER | NAME | NAME "(" expr ("," expr)* ")" | "(" expr ")"
    NUMBER  := digits ["." digits] | "." digits      (exact rationals, no exponent notation)
    NAME    := a given variable, a registered constant (engines.numerics.constants),
               pi, E, e (when not a variable), or a function:
               exp log sqrt sin cos tan sinh cosh tanh asin acos atan abs gamma zeta
               besseli(nu, x), hyp0f1(b, z), hyp1f1(a, b, z), hyp2f1(a, b, c, z) (sympy's
               hyper([...], [...], z)), hyp2f1c(a, b, c, z) = 2F1(a + ib, a - ib; c; z),
               and re im (sympy prints abs(2**x) as 2**re(x))

:func:`to_text` prints an expression in this grammar so that it parses back to the
same sympy tree (sympy's ``sstr``, with products of a rational and a sum re-ordered; the
sympy spellings it produces -- ``Abs``, ``Catalan``, ``EulerGamma``,
``GoldenRatio`` -- are accepted as aliases), and :func:`constant_expression_value`
evaluates a variable-free expression with mpmath at a requested precision,
checking the digits by evaluating twice with different guard digits.

Examples
--------
>>> from mathdisco.engines.numerics.expressions import parse_expression, to_text, constant_expression_value
>>> parse_expression("(e^1 + 1)/(exp(1) - 1)")
(1 + E)/(-1 + E)
>>> parse_expression("2*x**2 - x/3", variables=["x"])
2*x**2 - x/3
>>> to_text(parse_expression("tan1 + besseli(0, 2)"))
'tan(1) + besseli(0, 2)'
>>> import mpmath
>>> mpmath.nstr(constant_expression_value("(exp(1)+1)/(exp(1)-1)", 30), 25)
'2.163953413738652848770004'
>>> parse_expression("9**9**9**9")
Traceback (most recent call last):
...
mathdisco.engines.numerics.expressions.ExpressionError: power too large: exponent 387420489 exceeds 1000

References
----------
The grammar is this project's (docs/design.md, "User-supplied expressions"):
a restricted parser, never eval or sympify.
"""

from __future__ import annotations

import keyword
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import mpmath
import sympy
from sympy.printing.precedence import precedence
from sympy.printing.str import StrPrinter

from mathdisco.engines.numerics.constants import CONSTANTS, MAX_DIGITS


class ExpressionError(ValueError):
    """The text is not a safe expression; the message says what is wrong."""


@dataclass(frozen=True)
class ExpressionLimits:
    """Caps applied while parsing, each checked before the work it bounds.

    Attributes
    ----------
    max_length : characters of input text.
    max_nodes : tokens (numbers, names, operators, parentheses).
    max_depth : nesting depth (parentheses, function calls, unary signs, exponents).
    max_digits : digits in one number literal.
    max_abs_exponent : largest |numerator| and denominator of a numeric exponent.
    max_result_digits : digits of any exact rational the expression builds
        (kept below Python's 4300-digit int-to-str limit so results can be printed).
    max_root_digits : digits of a rational raised to a non-integer power (sympy
        looks for perfect powers, which is slow on huge numbers).
    max_special_argument : largest |x| of a rational argument to gamma/zeta
        (sympy evaluates gamma(n) as a factorial and zeta(2n) via Bernoulli numbers).
    """

    max_length: int = 2_000
    max_nodes: int = 500
    max_depth: int = 50
    max_digits: int = 100
    max_abs_exponent: int = 1_000
    max_result_digits: int = 4_000
    max_root_digits: int = 500
    max_special_argument: int = 500


DEFAULT_LIMITS = ExpressionLimits()

_LOG10_2 = math.log10(2)

class hyp2f1c(sympy.Function):  # noqa: N801 (the grammar's spelling)
    """``2F1(a + i b, a - i b; c; z)``: Gauss's function with complex-conjugate upper
    parameters, real for real ``a, b, c`` and ``z < 1`` (its series has real terms).

    Closed forms of continued fractions need it (Nörlund's fraction when ``b(n)`` has
    complex roots); the grammar has no complex numbers, so it names the pair by ``a, b``.
    """

    nargs = 4

    def _eval_evalf(self, prec):
        a, b, c, z = (mpmath.mpmathify(arg.evalf(mpmath.libmp.prec_to_dps(prec) + 5))
                      for arg in self.args)
        with mpmath.workprec(prec + 20):
            value = mpmath.hyp2f1(mpmath.mpc(a, b), mpmath.mpc(a, -b), c, z)
        return sympy.Float(value.real if isinstance(value, mpmath.mpc) else value, precision=prec)


_FUNCTIONS: dict[str, tuple[Callable[..., sympy.Expr], int]] = {
    "exp": (sympy.exp, 1),
    "log": (sympy.log, 1),
    "sqrt": (sympy.sqrt, 1),
    "sin": (sympy.sin, 1),
    "cos": (sympy.cos, 1),
    "tan": (sympy.tan, 1),
    "sinh": (sympy.sinh, 1),
    "cosh": (sympy.cosh, 1),
    "tanh": (sympy.tanh, 1),
    "asin": (sympy.asin, 1),
    "acos": (sympy.acos, 1),
    "atan": (sympy.atan, 1),
    "abs": (sympy.Abs, 1),
    "Abs": (sympy.Abs, 1),  # sympy's printed spelling
    "gamma": (sympy.gamma, 1),
    "zeta": (sympy.zeta, 1),
    "besseli": (sympy.besseli, 2),
    # sympy's printed spellings for variables (complex symbols): abs(2**x) is 2**re(x),
    # abs(exp(sqrt(x))) has cos(atan2(im(x), re(x))/2)
    "re": (sympy.re, 1),
    "im": (sympy.im, 1),
    "atan2": (sympy.atan2, 2),
    # generalised hypergeometric functions (pcf closed forms); sympy's hyper([..], [..], z)
    # needs list syntax, so the grammar names the three it uses, as mpmath does
    "hyp0f1": (lambda b, z: sympy.hyper([], [b], z), 2),
    "hyp1f1": (lambda a, b, z: sympy.hyper([a], [b], z), 3),
    "hyp2f1": (lambda a, b, c, z: sympy.hyper([a, b], [c], z), 4),
    "hyp2f1c": (hyp2f1c, 4),
}

_BUILTIN_CONSTANTS: dict[str, sympy.Expr] = {
    "pi": sympy.pi,
    "E": sympy.E,
    # sympy's printed spellings, so to_text output parses back
    "Catalan": sympy.Catalan,
    "EulerGamma": sympy.EulerGamma,
    "GoldenRatio": sympy.GoldenRatio,
}

_VARIABLE_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,31}", re.ASCII)

_TOKEN = re.compile(
    r"(?P<space>\s+)"
    r"|(?P<number>[0-9]+(?:\.[0-9]*)?|\.[0-9]+)"
    r"|(?P<name>[A-Za-z_][A-Za-z0-9_]*)"
    r"|(?P<op>\*\*|[-+*/^(),])",
    re.ASCII,
)

_FORBIDDEN_CHARACTERS = {
    ".": "attribute access ('.') is not allowed",
    "[": "subscripts ('[') are not allowed",
    "]": "subscripts (']') are not allowed",
    "'": "strings are not allowed",
    '"': "strings are not allowed",
    "=": "assignments and keyword arguments ('=') are not allowed",
    ":": "lambdas and slices (':') are not allowed",
    "{": "sets and dicts ('{') are not allowed",
    "}": "sets and dicts ('}') are not allowed",
    ";": "statements (';') are not allowed",
    "@": "operator '@' is not allowed",
    "%": "operator '%' is not allowed",
    "&": "operator '&' is not allowed",
    "|": "operator '|' is not allowed",
    "~": "operator '~' is not allowed",
    "<": "comparisons ('<') are not allowed",
    ">": "comparisons ('>') are not allowed",
    "!": "operator '!' is not allowed",
    "\\": "backslashes are not allowed",
    "#": "comments ('#') are not allowed",
}


def _tokenize(text: str, limits: ExpressionLimits) -> list[tuple[str, str, int]]:
    tokens: list[tuple[str, str, int]] = []
    position = 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None:
            char = text[position]
            reason = _FORBIDDEN_CHARACTERS.get(char, f"character {char!r} is not allowed")
            raise ExpressionError(f"{reason} (position {position})")
        kind = match.lastgroup
        value = match.group()
        if kind == "number":
            digits = len(value) - value.count(".")
            if digits > limits.max_digits:
                raise ExpressionError(
                    f"number literal too long: {digits} digits (limit {limits.max_digits})")
            if match.end() < len(text) and text[match.end()] == ".":
                raise ExpressionError(
                    f"attribute access ('.') is not allowed (position {match.end()})")
        if kind != "space":
            tokens.append((kind, value, position))
            if len(tokens) > limits.max_nodes:
                raise ExpressionError(f"expression too large: more than {limits.max_nodes} tokens")
        position = match.end()
    return tokens


_UNDEFINED = (sympy.zoo, sympy.nan, sympy.oo, -sympy.oo, sympy.AccumBounds)


def _refuse_undefined_or_complex(expr: sympy.Expr) -> None:
    if expr.has(*_UNDEFINED):
        raise ExpressionError("expression is undefined (division by zero or a pole)")
    if expr.has(sympy.I):
        raise ExpressionError("expression is complex (e.g. the root of a negative number)")


def _rational_digits(expr: sympy.Expr) -> float:
    """Decimal digits of the largest exact rational inside ``expr``."""
    if expr.is_Rational:
        atoms = (expr,)
    else:
        atoms = expr.atoms(sympy.Rational)
    bits = max((max(abs(r.p).bit_length(), r.q.bit_length()) for r in atoms), default=0)
    return bits * _LOG10_2


class _Parser:
    """Recursive descent over the token list; depth is capped, so no stack overflow."""

    def __init__(self, tokens: list[tuple[str, str, int]], names: dict[str, sympy.Expr],
                 limits: ExpressionLimits):
        self.tokens = tokens
        self.names = names
        self.limits = limits
        self.index = 0
        self.depth = 0

    # -- token helpers -------------------------------------------------------
    def peek(self) -> tuple[str, str, int] | None:
        return self.tokens[self.index] if self.index < len(self.tokens) else None

    def accept(self, *ops: str) -> str | None:
        token = self.peek()
        if token is not None and token[0] == "op" and token[1] in ops:
            self.index += 1
            return token[1]
        return None

    def expect(self, op: str) -> None:
        if self.accept(op) is None:
            token = self.peek()
            found = "end of input" if token is None else f"{token[1]!r} at position {token[2]}"
            raise ExpressionError(f"expected {op!r}, found {found}")

    def enter(self) -> None:
        self.depth += 1
        if self.depth > self.limits.max_depth:
            raise ExpressionError(f"expression nested too deeply (limit {self.limits.max_depth})")

    # -- grammar -------------------------------------------------------------
    def parse(self) -> sympy.Expr:
        if not self.tokens:
            raise ExpressionError("empty expression")
        result = self.expr()
        token = self.peek()
        if token is not None:
            if token[0] in ("number", "name") or token[1] == "(":
                raise ExpressionError(
                    f"unexpected {token[1]!r} at position {token[2]}: implicit "
                    "multiplication is not supported, write '*'")
            raise ExpressionError(f"unexpected {token[1]!r} at position {token[2]}")
        return result

    def expr(self) -> sympy.Expr:
        self.enter()
        result = self.term()
        while (op := self.accept("+", "-")) is not None:
            right = self.term()
            result = result + right if op == "+" else result - right
            self._check_built(result)
        self.depth -= 1
        return result

    def term(self) -> sympy.Expr:
        result = self.unary()
        while (op := self.accept("*", "/")) is not None:
            right = self.unary()
            result = result * right if op == "*" else result / right
            self._check_built(result)
        return result

    def unary(self) -> sympy.Expr:
        op = self.accept("+", "-")
        if op is None:
            return self.power()
        self.enter()
        operand = self.unary()
        self.depth -= 1
        return -operand if op == "-" else operand

    def power(self) -> sympy.Expr:
        base = self.atom()
        if self.accept("**", "^") is None:
            return base
        self.enter()
        exponent = self.unary()
        self.depth -= 1
        self._check_power(base, exponent)
        result = sympy.Pow(base, exponent)
        self._check_built(result)
        return result

    def atom(self) -> sympy.Expr:
        token = self.peek()
        if token is None:
            raise ExpressionError("unexpected end of input")
        kind, value, position = token
        if kind == "number":
            self.index += 1
            return _number(value)
        if kind == "name":
            self.index += 1
            if self.accept("("):
                return self.call(value, position)
            return self.name(value, position)
        if self.accept("("):
            inner = self.expr()
            self.expect(")")
            return inner
        raise ExpressionError(f"unexpected {value!r} at position {position}")

    def name(self, name: str, position: int) -> sympy.Expr:
        if name in self.names:
            return self.names[name]
        if name in _FUNCTIONS:
            raise ExpressionError(f"function {name!r} needs arguments in parentheses")
        raise ExpressionError(_unknown_name(name, position))

    def call(self, name: str, position: int) -> sympy.Expr:
        if name not in _FUNCTIONS:
            if name in self.names:
                raise ExpressionError(f"{name!r} is not a function (position {position})")
            raise ExpressionError(_unknown_name(name, position))
        function, arity = _FUNCTIONS[name]
        self.enter()
        arguments = [self.expr()]
        while self.accept(","):
            arguments.append(self.expr())
        self.expect(")")
        self.depth -= 1
        if len(arguments) != arity:
            raise ExpressionError(f"{name} takes {arity} argument(s), got {len(arguments)}")
        if name in ("gamma", "zeta"):
            argument = arguments[0]
            if argument.is_Rational and abs(argument) > self.limits.max_special_argument:
                raise ExpressionError(
                    f"{name} argument too large: |{argument}| exceeds "
                    f"{self.limits.max_special_argument}")
        result = function(*arguments)
        self._check_built(result)
        return result

    # -- caps ----------------------------------------------------------------
    def _check_power(self, base: sympy.Expr, exponent: sympy.Expr) -> None:
        if not exponent.is_Rational:
            return
        limit = self.limits.max_abs_exponent
        if abs(exponent.p) > limit or exponent.q > limit:
            raise ExpressionError(f"power too large: exponent {exponent} exceeds {limit}")
        if exponent.q != 1 and base.is_Rational and base.is_negative:
            raise ExpressionError(f"({base})**({exponent}) is complex (root of a negative number)")
        base_digits = _rational_digits(base)
        if base_digits * abs(exponent) > self.limits.max_result_digits:
            raise ExpressionError(
                f"power too large: about {base_digits * abs(exponent):.0f} digits "
                f"(limit {self.limits.max_result_digits})")
        if exponent.q != 1 and base.is_Rational and base_digits > self.limits.max_root_digits:
            raise ExpressionError(
                f"root of a number with more than {self.limits.max_root_digits} digits")

    def _check_built(self, result: sympy.Expr) -> None:
        """Refuse a node just built that is undefined or holds too large a number.

        Checked at every node, not only at the end: an infinity or an imaginary part can
        vanish further up (sin of an infinity is ``AccumBounds(-1, 1)``, atan of it ``pi/2``;
        ``besseli(0, log(-1))`` is the real ``besselj(0, pi)``), so ``sin(abs(log(0)))``
        would otherwise be accepted as a number.
        """
        _refuse_undefined_or_complex(result)
        if _rational_digits(result) > self.limits.max_result_digits:
            raise ExpressionError(
                f"number too large: more than {self.limits.max_result_digits} digits")


def _rebuilt(expr: sympy.Expr) -> sympy.Expr:
    """``expr`` with every node built again from its arguments, with sympy's evaluation.

    sympy's evaluation sometimes leaves an unevaluated node behind: ``Abs(2*Abs(x))`` is
    ``2*Abs(Abs(x))``, ``Abs(c**x)`` for a negative sum ``c`` is ``(-(c))**re(x)`` with the
    minus not distributed.  Reading the printed text builds every node afresh and so gets
    a different tree; rebuilding until nothing changes gives the tree that reading its
    text gives, so :func:`to_text` round-trips.
    """
    for _ in range(4):
        again = _rebuild_once(expr)
        if again == expr:
            break
        expr = again
    return expr


def _rebuild_once(expr: sympy.Expr) -> sympy.Expr:
    if not expr.args:
        return expr
    return expr.func(*(_rebuild_once(a) for a in expr.args))


def _number(literal: str) -> sympy.Rational:
    if "." not in literal:
        return sympy.Integer(int(literal))
    whole, fraction = literal.split(".")
    return sympy.Rational(int(whole + fraction or "0"), 10 ** len(fraction))


def _unknown_name(name: str, position: int) -> str:
    if name.startswith("_"):
        return f"name {name!r} is not allowed: names may not start with '_' (position {position})"
    if keyword.iskeyword(name):
        return f"Python keyword {name!r} is not allowed (position {position})"
    return (f"unknown name {name!r} at position {position}; allowed: variables, registered "
            "constants, pi, E, e and the functions " + ", ".join(sorted(_FUNCTIONS)))


def _name_table(variables: Sequence[str]) -> dict[str, sympy.Expr]:
    names: dict[str, sympy.Expr] = {"e": sympy.E}
    names.update(_BUILTIN_CONSTANTS)
    names.update({name: constant.sympy_form for name, constant in CONSTANTS.items()})
    for variable in variables:
        if not isinstance(variable, str) or not _VARIABLE_NAME.fullmatch(variable):
            raise ExpressionError(
                f"invalid variable name {variable!r}: use a letter then letters, digits or '_' "
                "(at most 32 characters)")
        if variable in _FUNCTIONS or keyword.iskeyword(variable):
            raise ExpressionError(f"variable name {variable!r} is reserved")
        names[variable] = sympy.Symbol(variable)
    return names


def parse_expression(text: str, *, variables: Sequence[str] = (),
                     limits: ExpressionLimits = DEFAULT_LIMITS) -> sympy.Expr:
    """Parse ``text`` in the safe grammar into a sympy expression.

    Parameters
    ----------
    text : the expression, e.g. ``"(exp(1)+1)/(exp(1)-1)"`` or ``"x^2 + 1"``.
    variables : names that become ``sympy.Symbol``; they shadow constant names
        (so ``e`` may be a variable), not function names.
    limits : the caps; see :class:`ExpressionLimits`.

    Returns
    -------
    sympy.Expr, with decimal literals as exact rationals.

    Raises
    ------
    ExpressionError (a ValueError) naming the problem: a forbidden character or
    name, a syntax error, a cap exceeded, a division by zero, a complex value, or a
    simplification sympy itself cannot carry out.

    Examples
    --------
    >>> parse_expression("0.25 * pi")
    pi/4
    >>> parse_expression("x.__class__", variables=["x"])
    Traceback (most recent call last):
    ...
    mathdisco.engines.numerics.expressions.ExpressionError: attribute access ('.') is not allowed (position 1)
    """
    if not isinstance(text, str):
        raise ExpressionError("expression must be a string")
    if len(text) > limits.max_length:
        raise ExpressionError(
            f"expression too long: {len(text)} characters (limit {limits.max_length})")
    tokens = _tokenize(text, limits)
    try:
        result = _rebuilt(_Parser(tokens, _name_table(variables), limits).parse())
    except ExpressionError:
        raise
    except (ArithmeticError, TypeError, ValueError, AttributeError) as error:
        # sympy cannot always decide its own automatic simplification: atan(tan(X)) for a
        # huge X asks whether X - k*pi > pi/2 and raises (TypeError, then AttributeError in
        # sympy 1.14's cache wrapper); that is the input's problem, not a server error
        raise ExpressionError(
            f"expression cannot be evaluated exactly (sympy raised {type(error).__name__})"
        ) from error
    # again on the whole: a lone name or a negation builds no checked node, and rebuilding
    # evaluates afresh
    _refuse_undefined_or_complex(result)
    return result


class _GrammarPrinter(StrPrinter):
    """sympy's ``sstr``, except for the products it prints in a form that re-parses differently.

    The parser builds products left to right with sympy's arithmetic, and
    sympy distributes a rational times a sum (``2*(x + y)`` becomes
    ``2*x + 2*y``).  So ``Mul(2, 1/x, x + y)``, printed ``2*(x + y)/x``,
    would be read back as ``(2*x + 2*y)/x``, a different tree (issue 16).
    A product is unsafe when its printed form applies the rational
    coefficient (or a leading minus) directly to a sum: the first numerator
    factor after the coefficient is a sum, or the denominator ``(q*...)``
    starts its factors with a sum.  Such a product is printed as its
    coefficient-free part followed by ``*p`` and ``/q``, inside ``-(...)``
    when negative: ``(x + y)/x*2``, ``1/(1 + pi)/3``, ``-((x + y)/x)``; each
    step of that parse multiplies a rational by a product, never by a sum.
    """

    def _print_Mul(self, expr: sympy.Mul) -> str:
        coefficient, rest = expr.as_coeff_Mul()
        if (coefficient is sympy.S.One or not coefficient.is_Rational or rest.is_Add
                or not expr.is_commutative or not _applies_coefficient_to_sum(expr, coefficient)):
            return super()._print_Mul(expr)
        magnitude = abs(coefficient)
        text = self.parenthesize(rest, precedence(expr), strict=True)
        if magnitude.p != 1:
            text += f"*{magnitude.p}"
        if magnitude.q != 1:
            text += f"/{magnitude.q}"
        return f"-({text})" if coefficient < 0 else text

    def _print_hyper(self, expr: sympy.Expr) -> str:
        top, bottom = len(expr.ap), len(expr.bq)
        if bottom != 1 or top > 2:
            return self._print_Function(expr)
        arguments = [*expr.ap, *expr.bq, expr.argument]
        return f"hyp{top}f1(" + ", ".join(self._print(a) for a in arguments) + ")"


def _applies_coefficient_to_sum(expr: sympy.Mul, coefficient: sympy.Rational) -> bool:
    """Whether sstr's form of ``expr`` multiplies its coefficient (or a sign) into a sum first.

    sstr writes ``[-]p*A1*A2.../(q*B1*...)`` with the factors in
    ``as_ordered_factors`` order, numerator factors ``A`` and denominator bases
    ``B`` (a factor ``B**-1``); see :class:`_GrammarPrinter`.
    """
    numerator, denominator = [], []
    for factor in expr.as_ordered_factors():
        if factor.is_Rational:
            continue
        if factor.is_Pow and factor.exp.as_coeff_Mul()[0] < 0:
            denominator.append(factor.base if factor.exp is sympy.S.NegativeOne else factor)
        else:
            numerator.append(factor)
    magnitude = abs(coefficient)
    if (magnitude.p != 1 or coefficient < 0) and numerator and numerator[0].is_Add:
        return True
    return magnitude.q != 1 and bool(denominator) and denominator[0].is_Add


_PRINTER = _GrammarPrinter()


def to_text(expr: sympy.Expr) -> str:
    """``expr`` written in the safe grammar; ``parse_expression`` reads it back as ``expr``.

    For every expression ``e`` that :func:`parse_expression` returns,
    ``parse_expression(to_text(e)) == e`` (the same sympy tree), so
    ``to_text(parse_expression(text))`` is a canonical form.  The text is
    sympy's ``sstr`` except for products that would re-parse differently
    (see :class:`_GrammarPrinter`).

    Examples
    --------
    >>> to_text(parse_expression("catalan + 2^(1/2)"))
    'Catalan + sqrt(2)'
    >>> e = parse_expression("(x + y)/(x/2)", variables=["x", "y"])
    >>> to_text(e), parse_expression(to_text(e), variables=["x", "y"]) == e
    ('(x + y)/x*2', True)
    """
    return _PRINTER.doprint(expr)


# ---------------------------------------------------------------------------
# numeric evaluation with mpmath
# ---------------------------------------------------------------------------

#: magnitude cap (in bits of the binary exponent) for any intermediate value.
_MAX_MAGNITUDE_BITS = 1_000_000

_MP_FUNCTIONS: dict[type, Callable[..., mpmath.mpf]] = {
    sympy.exp: mpmath.exp,
    sympy.log: mpmath.log,
    sympy.sin: mpmath.sin,
    sympy.cos: mpmath.cos,
    sympy.tan: mpmath.tan,
    sympy.sinh: mpmath.sinh,
    sympy.cosh: mpmath.cosh,
    sympy.tanh: mpmath.tanh,
    sympy.asin: mpmath.asin,
    sympy.acos: mpmath.acos,
    sympy.atan: mpmath.atan,
    sympy.Abs: abs,
    sympy.gamma: mpmath.gamma,
    sympy.zeta: mpmath.zeta,
    sympy.besseli: mpmath.besseli,
    hyp2f1c: lambda a, b, c, z: mpmath.re(mpmath.hyp2f1(mpmath.mpc(a, b), mpmath.mpc(a, -b), c, z)),
    sympy.re: mpmath.re,
    sympy.im: mpmath.im,
}


def _check_magnitude(value: mpmath.mpf | mpmath.mpc) -> mpmath.mpf | mpmath.mpc:
    if not mpmath.isfinite(value):
        raise ExpressionError("expression is not finite")
    if value != 0 and abs(mpmath.mag(value)) > _MAX_MAGNITUDE_BITS:
        raise ExpressionError("intermediate value too large or too small to evaluate")
    return value


def _mp_value(expr: sympy.Expr) -> mpmath.mpf | mpmath.mpc:
    """Evaluate a variable-free sympy tree with mpmath at the current precision."""
    if expr.is_Integer:
        return mpmath.mpf(int(expr))
    if expr.is_Rational:
        return mpmath.mpf(int(expr.p)) / int(expr.q)
    if expr is sympy.pi:
        return +mpmath.pi
    if expr is sympy.E:
        return +mpmath.e
    if expr is sympy.Catalan:
        return +mpmath.catalan
    if expr is sympy.EulerGamma:
        return +mpmath.euler
    if expr is sympy.GoldenRatio:
        return +mpmath.phi
    if expr.is_Add:
        return _check_magnitude(mpmath.fsum(_mp_value(t) for t in expr.args))
    if expr.is_Mul:
        return _check_magnitude(mpmath.fprod(_mp_value(t) for t in expr.args))
    if expr.is_Pow:
        base, exponent = expr.args
        if exponent.is_Integer:
            return _check_magnitude(mpmath.power(_mp_value(base), int(exponent)))
        b = _mp_value(base)
        if exponent == sympy.S.Half:
            return _check_magnitude(mpmath.sqrt(b))
        return _check_magnitude(mpmath.power(b, _mp_value(exponent)))
    if isinstance(expr, sympy.hyper):
        top = [_mp_value(a) for a in expr.ap]
        bottom = [_mp_value(a) for a in expr.bq]
        return _check_magnitude(mpmath.hyper(top, bottom, _mp_value(expr.argument)))
    function = _MP_FUNCTIONS.get(type(expr))
    if function is not None:
        arguments = [_mp_value(a) for a in expr.args]
        if type(expr) in (sympy.exp, sympy.sinh, sympy.cosh) and abs(arguments[0]) > 10**6:
            raise ExpressionError("argument of exp too large to evaluate")
        return _check_magnitude(function(*arguments))
    raise ExpressionError(f"cannot evaluate {type(expr).__name__} numerically")


def _real(value: mpmath.mpf | mpmath.mpc, dps: int) -> mpmath.mpf:
    if isinstance(value, mpmath.mpc):
        if value.imag != 0 and abs(value.imag) > abs(value) * mpmath.mpf(10) ** (-dps):
            raise ExpressionError("the constant is not a real number")
        return value.real
    return value


def constant_expression_value(text: str, dps: int, *,
                              limits: ExpressionLimits = DEFAULT_LIMITS) -> mpmath.mpf:
    """The value of a constant expression, correct to ``dps`` significant digits.

    ``text`` is a registered constant name (``"tan1"``) or a variable-free
    expression in the safe grammar.  It is evaluated with mpmath twice, with
    different guard digits, and the results must agree to ``dps + 2`` digits
    (cancellation is detected and the guard raised, up to a cap).

    Parameters
    ----------
    text : the constant.
    dps : decimal digits wanted, 1..engines.numerics.constants.MAX_DIGITS.

    Returns
    -------
    mpmath.mpf carrying ``dps + 10`` or more digits of working precision.

    Raises
    ------
    ExpressionError when the text is not a safe expression, has variables, is
    zero, complex, infinite, or cannot be evaluated to ``dps`` digits.

    Examples
    --------
    >>> mpmath.nstr(constant_expression_value("tan1", 20), 15)
    '1.5574077246549'
    >>> mpmath.nstr(constant_expression_value("besseli(0, 2)/besseli(1, 2)", 20), 15)
    '1.43312742672231'
    """
    if not 1 <= dps <= MAX_DIGITS:
        raise ExpressionError(f"precision must be between 1 and {MAX_DIGITS} digits, got {dps}")
    if isinstance(text, str) and text.strip() in CONSTANTS:
        from mathdisco.engines.numerics.constants import constant_value

        return constant_value(text.strip(), dps)
    expr = parse_expression(text, limits=limits)
    if expr.free_symbols:
        raise ExpressionError(
            "a constant may not contain variables: " + ", ".join(sorted(map(str, expr.free_symbols))))
    guard = 20
    while guard <= 20 + 2 * dps + 400:
        with mpmath.workdps(dps + guard):
            first = _real(_mp_value(expr), dps)
        with mpmath.workdps(dps + 2 * guard):
            second = _real(_mp_value(expr), dps)
            if second == 0:
                raise ExpressionError("the constant is zero")
            if abs(first - second) <= abs(second) * mpmath.mpf(10) ** (-(dps + 2)):
                return +second
        guard *= 2
    raise ExpressionError(f"cannot evaluate the constant to {dps} digits (severe cancellation)")
