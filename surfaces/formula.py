"""Your own surface: f(x, y) typed as text, read safely, differentiated exactly.

    s = surfaces.from_formula("sin(x)*cos(y) + 0.1*(x^2 + y^2)", (-5, 5), (-5, 5))
    s.value(xy), s.grad(xy)     # like every other surface

Safety. The text never reaches ``eval``, ``sympify`` or ``parse_expr`` (SymPy's
parsers call ``eval`` with every builtin in reach). Python's own parser turns
it into a syntax tree, a whitelist walk checks every node of it, and the SymPy
expression is then built from the checked tree by hand. The walk also bounds
the work: the text's length, the tree's size and depth, the size of numbers
and of constant exponents are capped (``MAX_LENGTH`` and friends below), and
constant parts are computed in plain floats first, so nothing like
``9**9**9**9`` ever reaches SymPy's exact arithmetic.

The language: ``x``, ``y``, numbers, ``+ - * /``, powers written ``**`` or
``^`` (``^`` is a power here, not Python's xor; ``2^3^2`` is ``2^(3^2)`` and
``-x^2`` is ``-(x^2)``, as on paper), unary minus, parentheses, the functions
in ``FUNCTIONS`` (one argument each; ``log`` and ``ln`` are the natural
logarithm) and the constants ``pi`` and ``e``. The typographic signs ``−``,
``×``, ``÷`` and ``·`` are read as ``-``, ``*``, ``/`` and ``*``.

The limits: at most ``MAX_LENGTH`` (200) characters, ``MAX_NODES`` (100)
parts (numbers, names, operations, calls) nested at most ``MAX_DEPTH`` (20)
deep; written numbers up to ``MAX_CONSTANT`` (1e6) in size and constant parts
up to ``MAX_VALUE`` (1e15); a constant exponent between -``MAX_EXPONENT`` and
``MAX_EXPONENT`` (10). An exponent with x or y in it is allowed (``e^(-x^2)``,
``x^y``) on a positive or non-constant base. The window's ends lie within
±``WINDOW_LIMIT`` (1e4), each side is at least ``MIN_WIDTH`` long and at most
``MAX_ASPECT`` (20) times the other, because the plot draws x and y at one
scale. Within these limits a formula is checked and compiled in well under a
second (the worst found took about 0.25 s), and refused in about a millisecond.

The gradient is SymPy's derivative of the expression, compiled by
``sympy.lambdify`` to elementwise NumPy: a batch of points gives bit for bit
the values of the same points one at a time.

What the surface gets, since the text says nothing about it:
- ``name`` is ``FORMULA_NAME`` ("formula") for every formula; ``label`` is the
  text with its whitespace tidied, so ``from_formula(s.label, s.x_range,
  s.y_range)`` rebuilds the same surface.
- ``minima`` is empty and ``minima_known`` False: a grid cannot prove where the
  global minima of an arbitrary function lie, or that it has any.
- ``start``: on a 41 x 41 grid of the window, among the points in the inner
  80% of the window where the value and gradient are finite (there and at the
  point's eight grid neighbours) and the value is at most the median, the one
  farthest (in window-relative units) from the lowest grid point. Low ground
  far from the lowest point gives a path with somewhere to go, without
  starting on a wall or at the edge of where the formula is defined.
- ``log_color`` when the lowest tenth of the grid's values is squeezed into
  the bottom 1/``LOG_SPREAD`` of their range (a deep, narrow valley).

A formula may be undefined in part of the window (``sqrt(x)`` left of 0): the
value there is NaN and NumPy's warnings about it are silenced, as they are
expected. It is refused if it is defined nowhere on the grid.
"""

from __future__ import annotations

import ast
import math
import re
from functools import lru_cache

import numpy as np

from surfaces.base import Surface

FORMULA_NAME = "formula"

MAX_LENGTH = 200        # characters of formula text
MAX_NODES = 100         # parts of the formula: numbers, names, operations and calls
MAX_DEPTH = 20          # nesting of the syntax tree
MAX_CONSTANT = 1e6      # largest number that may be written
MAX_VALUE = 1e15        # largest constant part, e.g. 10^10 or exp(20)
MAX_EXPONENT = 10       # a constant exponent must lie in [-10, 10]
WINDOW_LIMIT = 1e4      # window coordinates must lie in [-1e4, 1e4]
MIN_WIDTH = 1e-6        # narrowest window side
MAX_ASPECT = 20         # longer window side over shorter: x and y are drawn at one scale
GRID = 41               # points per side of the grid that checks a formula and picks its start
LOG_SPREAD = 30         # see log_color in the module docstring

# name -> (SymPy function, the same in floats for constant arguments)
FUNCTIONS = {
    "sin": ("sin", math.sin),
    "cos": ("cos", math.cos),
    "tan": ("tan", math.tan),
    "asin": ("asin", math.asin),
    "acos": ("acos", math.acos),
    "atan": ("atan", math.atan),
    "sinh": ("sinh", math.sinh),
    "cosh": ("cosh", math.cosh),
    "tanh": ("tanh", math.tanh),
    "exp": ("exp", math.exp),
    "log": ("log", math.log),  # natural logarithm
    "ln": ("log", math.log),
    "sqrt": ("sqrt", math.sqrt),
    "abs": ("Abs", abs),
}
CONSTANTS = {"pi": math.pi, "e": math.e}
VARIABLES = ("x", "y")

# Typographic signs a student may paste; one character each, so columns stay put.
_TYPOGRAPHIC = str.maketrans({"\u2212": "-", "\u00d7": "*", "\u00f7": "/", "\u00b7": "*",
                              "\t": " ", "\n": " ", "\r": " "})
_ALLOWED = "Allowed: x, y, numbers, + - * / ^ ( ), the constants pi and e, and the functions " + \
    ", ".join(FUNCTIONS)
_OPERATORS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "^"}
_REFUSED = {  # what a student would call the constructs Python accepts and formulas do not
    ast.Mod: "the operator %", ast.FloorDiv: "the operator //", ast.MatMult: "the operator @",
    ast.BitOr: "the operator |", ast.BitAnd: "the operator &", ast.BitXor: "the operator ^",
    ast.LShift: "the operator <<", ast.RShift: "the operator >>", ast.Invert: "the operator ~",
    ast.Not: "'not'", ast.Attribute: "attribute access (.)", ast.Subscript: "indexing with [ ]",
    ast.Lambda: "'lambda'", ast.ListComp: "a comprehension", ast.SetComp: "a comprehension",
    ast.DictComp: "a comprehension", ast.GeneratorExp: "a comprehension",
    ast.Compare: "a comparison", ast.BoolOp: "'and'/'or'", ast.IfExp: "'if ... else'",
    ast.Tuple: "a comma outside a function call", ast.List: "a list [ ]", ast.Set: "a set { }",
    ast.Dict: "a dict { }", ast.JoinedStr: "an f-string", ast.NamedExpr: "the operator :=",
    ast.Starred: "a starred *argument", ast.Await: "'await'", ast.Yield: "'yield'",
    ast.YieldFrom: "'yield'", ast.Slice: "a slice",
}


def from_formula(text: str, x_range, y_range) -> Surface:
    """The surface f(x, y) = ``text`` over the window ``x_range`` x ``y_range``.

    Raises ValueError with a message for a person when the text or the window
    cannot be used. The same text and window give the same (cached) object.
    """
    if not isinstance(text, str):
        raise ValueError(f"A formula must be text, got {type(text).__name__}")
    if len(text) > MAX_LENGTH:  # before the cache, which would hash all of it
        raise ValueError(f"The formula is {len(text)} characters long; the limit is {MAX_LENGTH}")
    return _from_formula(text, _window("x", x_range), _window("y", y_range))


def _window(axis: str, bounds) -> tuple[float, float]:
    try:
        lo, hi = (float(v) for v in bounds)
    except (TypeError, ValueError, OverflowError):
        raise ValueError(f"The {axis} range must be two numbers (low, high), got "
                         f"{_short(repr(bounds))}") from None
    if not (math.isfinite(lo) and math.isfinite(hi)):
        raise ValueError(f"The {axis} range ({lo:g}, {hi:g}) must be finite")
    if not hi - lo >= MIN_WIDTH:
        raise ValueError(f"The {axis} range ({lo:g}, {hi:g}) is empty: its low end must be below "
                         f"its high end by at least {MIN_WIDTH:g}")
    if max(abs(lo), abs(hi)) > WINDOW_LIMIT:
        raise ValueError(f"The {axis} range ({lo:g}, {hi:g}) is too large: both ends must lie "
                         f"between {-WINDOW_LIMIT:g} and {WINDOW_LIMIT:g}")
    return (lo, hi)


@lru_cache(maxsize=256)
def _from_formula(text: str, x_range: tuple[float, float], y_range: tuple[float, float]) -> Surface:
    (x0, x1), (y0, y1) = x_range, y_range
    if max(x1 - x0, y1 - y0) > MAX_ASPECT * min(x1 - x0, y1 - y0):
        raise ValueError(f"The window {x1 - x0:g} wide and {y1 - y0:g} high is too thin: x and y are "
                         f"drawn at the same scale, so one side may be at most {MAX_ASPECT} times "
                         f"the other")
    tree, reader = _parse(text)
    reader.check(tree.body, 1)
    label = " ".join(text.split())
    latex, value_fn, grad_fn, grad_cost = _compile(reader, tree.body, label)

    def f(xy):
        x, y = _coordinates(xy)
        with np.errstate(all="ignore"):  # undefined parts of the window are expected: NaN
            return _filled(value_fn(x, y), x.shape)

    def df(xy):
        x, y = _coordinates(xy)
        with np.errstate(all="ignore"):
            gx, gy = grad_fn(x, y)
            return np.stack([_filled(gx, x.shape), _filled(gy, x.shape)], axis=-1)

    # Check it on a grid of the window, where the start is also chosen.
    window = f"x in [{x0:g}, {x1:g}], y in [{y0:g}, {y1:g}]"
    grid = np.meshgrid(np.linspace(x0, x1, GRID), np.linspace(y0, y1, GRID))
    xy = np.stack(grid, axis=-1).reshape(-1, 2)
    with np.errstate(all="ignore"):
        raw = [value_fn(*_coordinates(xy)), *grad_fn(*_coordinates(xy))]
    if any(np.iscomplexobj(r) for r in raw):  # SymPy let a complex constant through
        raise ValueError(f"{label} is not a real function of x and y: it takes complex values")
    v, g = f(xy), df(xy)
    usable = np.isfinite(v) & np.isfinite(g).all(axis=-1)
    if not usable.any():
        raise ValueError(f"{label} is not finite anywhere in the window {window} (checked on a "
                         f"{GRID}x{GRID} grid): choose a window where it is defined")
    vu = v[usable]
    if np.ptp(vu) <= 1e-12 * np.max(np.abs(vu)):
        raise ValueError(f"{label} is constant in the window {window}: there is no slope to descend")
    lo, q10, hi = float(vu.min()), float(np.quantile(vu, 0.1)), float(vu.max())
    return Surface(
        name=FORMULA_NAME,
        label=label,
        latex=f"f(x, y) = {latex}",
        f=f,
        df=df,
        x_range=x_range,
        y_range=y_range,
        minima=(),
        start=_start(xy, v, usable, x_range, y_range, f, df),
        log_color=hi - lo > LOG_SPREAD * (q10 - lo),
        lesson=(
            "Your own function, with its gradient worked out by symbolic "
            "differentiation. No minimum is marked: the app cannot know where "
            "the lowest points of an arbitrary function lie, or whether it has any."
        ),
        minima_known=False,
        grad_cost=grad_cost,
    )


def _coordinates(xy):
    # Contiguous copies: NumPy may take a different (SIMD) loop for contiguous
    # and strided input, and one point would then round differently alone than
    # inside a batch.
    return np.ascontiguousarray(xy[..., 0]), np.ascontiguousarray(xy[..., 1])


def _filled(result, shape) -> np.ndarray:
    """A lambdified result as a fresh float array of ``shape``.

    A constant term (a partial derivative like d/dy of x^2) comes back as a
    scalar, and ``f = x`` would come back as the caller's own array.
    """
    out = np.empty(shape)
    out[...] = result
    return out


def _start(xy, v, usable, x_range, y_range, f, df) -> tuple[float, float]:
    (x0, x1), (y0, y1) = x_range, y_range
    size = np.array([x1 - x0, y1 - y0])
    rel = (xy - (x0, y0)) / size  # window-relative, 0..1
    low = np.flatnonzero(usable)[np.argmin(v[usable])]
    inner = ((rel >= 0.1) & (rel <= 0.9)).all(axis=-1)
    low_ground = usable & inner & (v <= np.median(v[usable]))
    # Not next to where the formula is undefined: ln(y - x - 1) one grid step from y = x + 1
    # has a gradient of about 1e15 there, and the first step would leave the window.
    grid = np.pad(usable.reshape(GRID, GRID), 1, constant_values=True)
    clear = np.ones((GRID, GRID), bool)
    for di in (0, 1, 2):
        for dj in (0, 1, 2):
            clear &= grid[di:di + GRID, dj:dj + GRID]
    for candidates in (low_ground & clear.ravel(), low_ground, usable):
        if candidates.any():
            break
    d = rel - rel[low]
    # Farthest first; among equals (a symmetric function) prefer the diagonal,
    # where both coordinates have something to do.
    score = np.hypot(d[:, 0], d[:, 1]) + 1e-6 * np.minimum(abs(d[:, 0]), abs(d[:, 1]))
    best = np.flatnonzero(candidates)[np.argmax(score[candidates])]
    start = (round(float(xy[best, 0]), 12), round(float(xy[best, 1]), 12))
    # A rounded point can land where the grid's point did not: ln(y - x - 1) at (0.6, 1.6)
    # is ln(0), while the grid's 0.6000000000000001, 1.5999999999999999 is not.
    point = np.array([start])
    with np.errstate(all="ignore"):
        if not (np.isfinite(f(point)).all() and np.isfinite(df(point)).all()):
            start = (float(xy[best, 0]), float(xy[best, 1]))
    return start


# Reading the text ------------------------------------------------------------


def _number(v: float) -> str:
    return str(int(v)) if v == int(v) and abs(v) < 1e15 else f"{v:g}"


def _short(text: str, n: int = 40) -> str:
    return text if len(text) <= n else text[: n - 3] + "..."


def _parse(text: str):
    if not text.strip():
        raise ValueError("The formula is empty: type a function of x and y, e.g. x^2/20 + y^2")
    plain = text.translate(_TYPOGRAPHIC)
    for i, ch in enumerate(plain):
        if not (" " <= ch <= "~"):
            hint = {"\u00b2": " (write ^2)", "\u00b3": " (write ^3)"}.get(ch, "")
            raise ValueError(f"The character {ch!r} at column {i + 1} is not allowed{hint}. {_ALLOWED}")
    reader = _Reader(text, plain)
    try:
        tree = ast.parse(reader.python, mode="eval")
    except SyntaxError as err:
        raise ValueError(reader.syntax_error(err)) from None
    except (ValueError, RecursionError, MemoryError):
        raise ValueError("The formula cannot be read: it is malformed or nested too deeply") from None
    nodes = sum(isinstance(n, ast.expr) for n in ast.walk(tree))  # numbers, names, operations, calls
    if nodes > MAX_NODES:
        raise ValueError(f"The formula is too complex: {nodes} parts, the limit is {MAX_NODES}")
    return tree, reader


class _Reader:
    """The text, its Python spelling (``^`` becomes ``**``), and the walk over its tree."""

    def __init__(self, text: str, plain: str):
        self.text = text
        # self._col[i] is the column in the student's text of character i of
        # self.python. Leading spaces go: Python reads them as an indent.
        lead = len(plain) - len(plain.lstrip())
        self.python = plain[lead:].replace("^", "**")
        self._col = [i for i, ch in enumerate(plain) if i >= lead for _ in range(2 if ch == "^" else 1)]

    def column(self, offset: int) -> int:
        """1-based column in the student's text of a 0-based offset in ``python``."""
        if offset >= len(self._col):  # just past the end, where "x +" runs out
            return len(self.text) + 1
        return self._col[max(offset, 0)] + 1

    def segment(self, node) -> str:
        start = self._col[node.col_offset]
        end = self._col[node.end_col_offset - 1] + 1
        return self.text[start:end]

    def at(self, node) -> str:
        return f"at column {self.column(node.col_offset)}"

    def syntax_error(self, err: SyntaxError) -> str:
        # Python reports offset 0 when the text ends in the middle of something.
        where = f"at column {self.column(err.offset - 1)}" if err.offset else "at the end"
        why = (err.msg or "invalid syntax").split(". Perhaps")[0]
        hint = ""
        if re.search(r"(\d|\))\s*[A-Za-z(]|[A-Za-z]\s+[A-Za-z(]", self.text):
            hint = ". A product needs a *, e.g. 2*x or (x + 1)*(y - 1)"
        return f"Syntax error {where} ({why}) in: {self.text}{hint}"

    def operator_at(self, left, right) -> str:
        """Where the operator between two operands is: the first sign after the left one."""
        i = left.end_col_offset
        while i < right.col_offset and self.python[i] in " )":
            i += 1
        return f"at column {self.column(i)}"

    def fail(self, node, what: str, where: str | None = None):
        where = where or self.at(node)
        raise ValueError(f"{what[0].upper()}{what[1:]} {where} is not allowed in a formula. {_ALLOWED}")

    # The whitelist walk: refuses whatever is not allowed, and returns the
    # node's value in floats when it is a constant (None when it depends on x
    # or y), so that constant arithmetic is bounded before SymPy does it exactly.

    def check(self, node, depth: int) -> float | None:
        if depth > MAX_DEPTH:
            raise ValueError(f"The formula nests more than {MAX_DEPTH} levels deep {self.at(node)}")
        if isinstance(node, ast.Constant):
            return self._number(node)
        if isinstance(node, ast.Name):
            return self._name(node)
        if isinstance(node, ast.UnaryOp):
            if not isinstance(node.op, (ast.USub, ast.UAdd)):
                self.fail(node, _REFUSED.get(type(node.op), "this operator"))
            v = self.check(node.operand, depth + 1)
            return None if v is None else (-v if isinstance(node.op, ast.USub) else v)
        if isinstance(node, ast.BinOp):
            if type(node.op) not in _OPERATORS:
                self.fail(node, _REFUSED.get(type(node.op), "this operator"),
                          self.operator_at(node.left, node.right))
            a = self.check(node.left, depth + 1)
            b = self.check(node.right, depth + 1)
            if isinstance(node.op, ast.Pow):
                return self._power(node, a, b)
            if isinstance(node.op, ast.Div) and b == 0:
                raise ValueError(f"{self.segment(node)} {self.at(node)} divides by zero")
            if a is None or b is None:
                return None
            ops = {ast.Add: float.__add__, ast.Sub: float.__sub__, ast.Mult: float.__mul__,
                   ast.Div: float.__truediv__}
            return self._bounded(node, ops[type(node.op)](a, b))
        if isinstance(node, ast.Call):
            return self._call(node, depth)
        where = None
        if isinstance(node, (ast.Attribute, ast.Subscript)):  # point at the . or the [
            where = f"at column {self.column(node.value.end_col_offset)}"
        elif isinstance(node, ast.Compare):
            where = self.operator_at(node.left, node.comparators[0])
        elif isinstance(node, ast.BoolOp):
            where = self.operator_at(node.values[0], node.values[1])
        self.fail(node, _REFUSED.get(type(node), type(node).__name__), where)

    def _number(self, node) -> float:
        v = node.value
        if isinstance(v, str):
            self.fail(node, f"Text in quotes ({self.segment(node)})")
        if isinstance(v, complex):
            self.fail(node, f"The complex number {self.segment(node)}")
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            self.fail(node, repr(v))
        if not abs(v) <= MAX_CONSTANT:  # also catches 1e999, which Python reads as inf
            raise ValueError(f"The number {self.segment(node)} {self.at(node)} is too large: "
                             f"numbers may be at most {MAX_CONSTANT:g} in size")
        return float(v)

    def _name(self, node) -> float | None:
        if node.id in VARIABLES:
            return None
        if node.id in CONSTANTS:
            return CONSTANTS[node.id]
        if node.id in FUNCTIONS:
            raise ValueError(f"{node.id} {self.at(node)} is a function: write {node.id}(...), "
                             f"e.g. {node.id}(x)")
        raise ValueError(f"Unknown name {node.id!r} {self.at(node)}{_case_hint(node.id)}. {_ALLOWED}")

    def _power(self, node, base: float | None, exponent: float | None) -> float | None:
        where = f"{self.segment(node)} {self.at(node)}"
        if exponent is None:
            if base is not None and not base > 0:
                raise ValueError(f"{where}: a power with x or y in the exponent needs a positive "
                                 f"base, e.g. e^x or 2^x")
            return None
        if not abs(exponent) <= MAX_EXPONENT:
            raise ValueError(f"The exponent {self.segment(node.right)} {self.at(node.right)} is "
                             f"{_number(exponent)}; a constant exponent must lie between "
                             f"{-MAX_EXPONENT} and {MAX_EXPONENT}")
        if base is None:
            return None
        try:
            v = math.pow(base, exponent)
        except (ValueError, ZeroDivisionError):
            raise ValueError(f"{where} is undefined: {base:g} to the power {exponent:g} is not "
                             f"a real number") from None
        except OverflowError:
            v = math.inf
        return self._bounded(node, v)

    def _call(self, node, depth: int) -> float | None:
        if not isinstance(node.func, ast.Name):
            # (x + 1)(y - 1) reads as calling (x + 1): the student meant a product.
            raise ValueError(f"{self.segment(node)} {self.at(node)}: a product needs a *, e.g. "
                             f"(x + 1)*(y - 1)")
        name = node.func.id
        if name not in FUNCTIONS:
            if name in VARIABLES or name in CONSTANTS:
                raise ValueError(f"{name} {self.at(node)} is not a function, so it cannot be "
                                 f"called; for a product write {name}*(...)")
            raise ValueError(f"Unknown function {name!r} {self.at(node)}{_case_hint(name)}. "
                             f"The functions are {', '.join(FUNCTIONS)}")
        if node.keywords or len(node.args) != 1 or isinstance(node.args[0], ast.Starred):
            raise ValueError(f"{name}() {self.at(node)} takes exactly one argument, e.g. {name}(x)")
        v = self.check(node.args[0], depth + 1)
        if v is None:
            return None
        try:
            v = float(FUNCTIONS[name][1](v))
        except (ValueError, ZeroDivisionError):
            raise ValueError(f"{self.segment(node)} {self.at(node)} is undefined: {v:g} is outside "
                             f"the domain of {name}") from None
        except OverflowError:
            v = math.inf
        return self._bounded(node, v)

    def _bounded(self, node, v: float) -> float:
        if not abs(v) <= MAX_VALUE:
            raise ValueError(f"{self.segment(node)} {self.at(node)} is too large: a constant "
                             f"part of a formula may be at most {MAX_VALUE:g} in size")
        return v

    # Building the SymPy expression from a tree that check() accepted.

    def build(self, node, sp, x, y):
        if isinstance(node, ast.Constant):
            return sp.Integer(node.value) if isinstance(node.value, int) else sp.Float(node.value)
        if isinstance(node, ast.Name):
            return {"x": x, "y": y, "pi": sp.pi, "e": sp.E}[node.id]
        if isinstance(node, ast.UnaryOp):
            operand = self.build(node.operand, sp, x, y)
            return -operand if isinstance(node.op, ast.USub) else operand
        if isinstance(node, ast.BinOp):
            a, b = self.build(node.left, sp, x, y), self.build(node.right, sp, x, y)
            op = type(node.op)
            return a + b if op is ast.Add else a - b if op is ast.Sub else a * b if op is ast.Mult \
                else a / b if op is ast.Div else a ** b
        function = getattr(sp, FUNCTIONS[node.func.id][0])
        return function(self.build(node.args[0], sp, x, y))


def _case_hint(name: str) -> str:
    known = (*VARIABLES, *CONSTANTS, *FUNCTIONS)
    return f" (names are lower case: did you mean {name.lower()}?)" if name.lower() in known else ""


def _compile(reader: _Reader, body, label: str):
    """The formula's LaTeX, NumPy functions for its value and its two partial derivatives, and
    what its gradient costs per point-step (``grad_cost``, see ``_grad_cost``)."""
    # SymPy takes about a second to import: only pay for it once a formula has
    # passed the checks above.
    import sympy as sp

    x, y = sp.symbols("x y", real=True)
    expr = reader.build(body, sp, x, y)
    if not expr.free_symbols & {x, y}:
        raise ValueError(f"{label} does not depend on x or y: it is constant, so there is no "
                         f"slope to descend")
    dfdx, dfdy = sp.diff(expr, x), sp.diff(expr, y)
    if dfdx == 0 and dfdy == 0:
        raise ValueError(f"{label} is constant: its gradient is zero everywhere")
    def complex_(part):
        # SymPy may pull a (-1)**(1/3) out of (-x^2)**(1/3): complex, though no I shows.
        odd_roots = (p.base.is_number and p.base.is_negative and not p.exp.is_integer
                     for p in part.atoms(sp.Pow))
        return part.has(sp.I, sp.zoo, sp.oo, sp.nan) or any(odd_roots)

    if any(complex_(part) for part in (expr, dfdx, dfdy)):
        raise ValueError(f"{label} is not a real function of x and y (it involves complex or "
                         f"infinite values, e.g. a negative number to a power)")
    value_fn = sp.lambdify((x, y), expr, modules="numpy")
    grad_fn = sp.lambdify((x, y), [dfdx, dfdy], modules="numpy")
    return sp.latex(expr), value_fn, grad_fn, _grad_cost(sp, (dfdx, dfdy))


# A formula's gradient is one NumPy call per operation of its two partial derivatives.  Timed
# here on 10,000 points with Adam (ten formulas up to 200 characters, 20 ns to 1.8 µs per
# point-step), about 3 ns per operation and 10 ns more per function call or non-integer power
# bound it from above: an estimate, not a timing, so the same formula gets the same map on any
# machine.  The unit is the limits' point-step (optimizers.limits: about 340 ns, the slowest
# registered surface); at most COST_CAP, so a sweep's 200 rates of MAX-length runs still fit.
NS_PER_OP, NS_PER_CALL, NS_FIXED, NS_PER_POINT_STEP = 3, 10, 20, 340
COST_CAP = 15.0


def _grad_cost(sp, parts) -> float:
    ops = sum(int(sp.count_ops(p)) for p in parts)
    calls = sum(1 for p in parts for node in sp.preorder_traversal(p)
                if isinstance(node, sp.Function) or (isinstance(node, sp.Pow) and not node.exp.is_Integer))
    ns = NS_FIXED + NS_PER_OP * ops + NS_PER_CALL * calls
    return float(min(COST_CAP, max(1.0, round(ns / NS_PER_POINT_STEP, 2))))
