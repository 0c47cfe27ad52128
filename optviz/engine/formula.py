"""Custom surfaces: a typed f(x, y), parsed as data, differentiated exactly, compiled to machine code.

The text never reaches ``eval``, ``exec``, ``sympify`` or ``parse_expr``. Python's ``ast``
parses it, and :func:`parse` converts the tree node by node through an explicit whitelist
(numbers, x, y, pi, e, + - * / ** and ^, and the functions in :data:`FUNCTIONS`) into a
SymPy expression; anything else is rejected with the column and a hint. Limits on length,
nesting, size of numbers and of powers keep every parse and rejection fast.

SymPy then differentiates f exactly, and :func:`compile_formula` emits LLVM IR for f and its
gradient from the expression tree (again node by node, common subexpressions shared) and
compiles it with llvmlite's MCJIT in a few milliseconds. The simulation driver calls the
result through a function pointer (:func:`optviz.engine.pointer.call_compiled`), so a new formula never
recompiles the driver.
"""

from __future__ import annotations

import ast
import ctypes
import ctypes.util
import io
import keyword
import math
import threading
import tokenize
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache

import llvmlite.binding as llvm
import sympy as sp
from llvmlite import ir

from .pointer import DOUBLE as _DOUBLE
from .pointer import SIGNATURE as _SIGNATURE

X, Y = sp.symbols("x y", real=True)


class RealAbs(sp.Function):
    """|u| with the real derivative sign(u) u'.

    SymPy's Abs differentiates through re, im and arg wherever it cannot prove its argument
    real (abs(sqrt(x)), abs(log(x))): not what a real surface means, and not compilable.
    """

    @classmethod
    def eval(cls, arg):
        if arg.is_number:
            return sp.Abs(arg)
        return None

    def fdiff(self, argindex=1):
        return sp.sign(self.args[0])

    def _latex(self, printer, exp=None):
        body = r"\left|" + printer._print(self.args[0]) + r"\right|"
        return body if exp is None else body + "^{" + exp + "}"


FUNCTIONS = {
    "sin": sp.sin, "cos": sp.cos, "tan": sp.tan, "exp": sp.exp, "log": sp.log,
    "sqrt": sp.sqrt, "abs": RealAbs, "tanh": sp.tanh,
}
_FLOAT_FUNCTIONS = {
    "sin": math.sin, "cos": math.cos, "tan": math.tan, "exp": math.exp, "log": math.log,
    "sqrt": math.sqrt, "abs": abs, "tanh": math.tanh,
}
CONSTANTS = {"pi": sp.pi, "e": sp.E}
MAX_LENGTH = 400  # characters
MAX_DEPTH = 32  # nesting of parentheses, calls and operators
MAX_NODES = 200  # syntax-tree nodes
MAX_NUMBER = 1e15  # largest literal or constant power
MAX_EXPONENT = 1000  # largest constant exponent of an expression in x, y

_OPERATORS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**"}
_FORBIDDEN = {
    ast.Attribute: "attribute access (a.b)",
    ast.Subscript: "a subscript (a[b])",
    ast.Lambda: "a lambda",
    ast.ListComp: "a comprehension", ast.SetComp: "a comprehension", ast.DictComp: "a comprehension",
    ast.GeneratorExp: "a comprehension",
    ast.Compare: "a comparison", ast.BoolOp: "and/or", ast.IfExp: "if/else",
    ast.List: "a list", ast.Tuple: "a tuple (a comma)", ast.Set: "a set", ast.Dict: "a dict",
    ast.Starred: "* unpacking", ast.NamedExpr: "an assignment (:=)", ast.JoinedStr: "an f-string",
    ast.Await: "await", ast.Yield: "yield", ast.YieldFrom: "yield", ast.Slice: "a slice",
}
ALLOWED_TEXT = "numbers, x, y, pi, e, + - * / ** ^, parentheses and " + ", ".join(FUNCTIONS)


class FormulaError(ValueError):
    """A formula that cannot be used; ``column`` (1-based) points at the problem when known."""

    def __init__(self, message: str, column: int | None = None):
        self.column = column
        self.reason = message
        super().__init__(f"column {column}: {message}" if column else message)


def _prepare(text) -> tuple[str, list[int]]:
    """Check length and characters; turn ^ into **. Returns the text and each character's original column."""
    if not isinstance(text, str):
        raise FormulaError(f"expected the formula as text, got {type(text).__name__}")
    if len(text) > MAX_LENGTH:
        raise FormulaError(f"the formula is {len(text)} characters long; at most {MAX_LENGTH} are allowed")
    if not text.strip():
        raise FormulaError("the formula is empty: type f(x, y), for example x**2 + 10*sin(y)")
    for i, ch in enumerate(text):
        if not (ch.isascii() and (ch.isprintable() or ch in " \t")):
            name = unicodedata.name(ch, "unnamed character")
            raise FormulaError(f"character {ch!r} (U+{ord(ch):04X} {name}) is not allowed: use plain ASCII", i + 1)
    out, columns = [], []
    for i, ch in enumerate(text):
        if ch == "^":
            out.append("**")
            columns += [i + 1, i + 1]
        else:
            out.append(ch)
            columns.append(i + 1)
    prepared = "".join(out)
    depth = deepest = 0
    for i, ch in enumerate(prepared):
        depth += (ch == "(") - (ch == ")")
        if depth > MAX_DEPTH:
            raise FormulaError(f"parentheses nest deeper than {MAX_DEPTH} levels", columns[i])
        deepest = max(deepest, depth)
    return prepared, columns


_BINARY = {"*", "/", "**", "+", "-"}
_ONLY_BINARY = {"*", "/", "**"}


def _syntax_problem(text: str, err: SyntaxError, columns: list[int], typed: str) -> tuple[str, int]:
    """What is wrong with a formula Python cannot parse, in plain words, and where (an offset
    into ``text``): a bracket never closed or never opened, an operator with nothing on one
    side, two values with no operator between them, a character that has no place in a
    formula. Python's own message points at column 1 for most of these."""

    def shown(offset: int, length: int) -> str:  # the operator as typed (^, not the ** it became)
        start = columns[offset] - 1
        return typed[start:start + max(1, columns[min(offset + length - 1, len(columns) - 1)] - start)]

    opened: list[int] = []
    for offset, ch in enumerate(text):
        if ch == "(":
            opened.append(offset)
        elif ch == ")":
            if not opened:
                return "this ')' closes a '(' that was never opened", offset
            opened.pop()
    if opened:
        return "this '(' is never closed: add a ')'", opened[-1]
    try:
        tokens = [t for t in tokenize.generate_tokens(io.StringIO(text).readline)
                  if t.type not in (tokenize.NEWLINE, tokenize.NL, tokenize.ENDMARKER, tokenize.INDENT, tokenize.DEDENT)]
    except (tokenize.TokenError, IndentationError, SyntaxError):
        tokens = None
    if tokens is None:
        return f"this cannot be read as a formula ({err.msg})", max((err.offset or 1) - 1, 0)
    for t in tokens:
        if t.type == tokenize.NAME and keyword.iskeyword(t.string):
            return f"{t.string!r} is a word of Python, not part of a formula; use {ALLOWED_TEXT}", t.start[1]
        if (t.type == tokenize.ERRORTOKEN and not t.string.isspace()) or (t.type == tokenize.OP and t.string not in {
                *_BINARY, "(", ")", ",", ".", "[", "]", "{", "}", ":", "<", ">", "==", "!=", "<=", ">=", ":="}):
            return f"{t.string!r} has no place in a formula; use {ALLOWED_TEXT}", t.start[1]
    previous = None  # the last token seen: None at the start
    for t in tokens:
        value = t.type in (tokenize.NUMBER, tokenize.NAME) or t.string == ")"
        if t.string in _ONLY_BINARY and (previous is None or previous.string in _BINARY or previous.string == "("):
            where = "at the start" if previous is None else f"right after {shown(previous.start[1], len(previous.string))!r}"
            return f"{shown(t.start[1], len(t.string))!r} needs a value before it, not {where}", t.start[1]
        if previous is not None and (value or t.string == "(") and (
                previous.type == tokenize.NUMBER or previous.string == ")"
                or (previous.type == tokenize.NAME and t.string != "(")):
            a, b = previous.string, t.string
            if previous.type == t.type == tokenize.NUMBER and b.startswith("."):
                return f"the number {a + b!r} has more than one decimal point", previous.start[1]
            return f"an operator is missing between {a!r} and {b!r}: write {a}*{b}", t.start[1]
        previous = t
    if previous is not None and previous.string in _BINARY:
        return (f"{shown(previous.start[1], len(previous.string))!r} needs a value after it: the formula ends there",
                previous.start[1])
    return f"this cannot be read as a formula ({err.msg})", max((err.offset or 1) - 1, 0)


def parse(text: str) -> sp.Expr:
    """The SymPy expression for a typed formula in x and y, or a :class:`FormulaError`.

    >>> parse("x^2 + 10*sin(y)")
    x**2 + 10*sin(y)
    """
    prepared, columns = _prepare(text)

    def column_of(node) -> int | None:
        offset = getattr(node, "col_offset", None)
        return columns[min(offset, len(columns) - 1)] if offset is not None else None

    try:
        tree = ast.parse(prepared.strip(), mode="eval")
    except SyntaxError as err:
        lead = len(prepared) - len(prepared.lstrip())
        reason, offset = _syntax_problem(prepared.strip(), err, columns[lead:], text)
        col = columns[min(lead + max(offset, 0), len(columns) - 1)]
        raise FormulaError(reason, col) from None
    except (RecursionError, MemoryError, ValueError):
        raise FormulaError("the formula is nested too deeply") from None
    lead = len(prepared) - len(prepared.lstrip())
    columns = columns[lead:]
    nodes = sum(1 for _ in ast.walk(tree))
    if nodes > MAX_NODES:
        raise FormulaError(f"the formula has {nodes} parts; at most {MAX_NODES} are allowed")

    def fail(message: str, node) -> FormulaError:
        return FormulaError(message, column_of(node))

    def checked(expr: sp.Expr, value: float | None, node) -> Part:
        """A converted node; a constant one must have a finite, moderate value in floats.

        Every constant subtree is valued in Python floats as it is built, so SymPy never
        holds an unbounded constant such as exp(exp(15)), which it would evaluate with
        millions of digits (sin of it reduces the argument modulo 2 pi exactly).
        """
        if value is None and not expr.free_symbols:  # SymPy made a constant of x - x + 15: value it
            value = _float_value(expr)
        check_value(value, node)
        if isinstance(expr, sp.Pow) and expr.exp.is_number and abs(float(expr.exp)) > MAX_EXPONENT:
            raise fail(f"the exponent {expr.exp} is too large: at most {MAX_EXPONENT} in size", node)
        return Part(expr, value)

    def check_value(value: float | None, node) -> None:
        if value is not None and (not math.isfinite(value) or abs(value) > MAX_NUMBER):
            raise fail(f"this constant is too large or not finite: a constant may be at most {MAX_NUMBER:g} in size",
                       node)

    def number(value, node) -> Part:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            what = "a string" if isinstance(value, (str, bytes)) else f"a {type(value).__name__} value"
            raise fail(f"{what} is not allowed; use {ALLOWED_TEXT}", node)
        if not math.isfinite(value) or abs(value) > MAX_NUMBER:
            raise fail(f"the number {value!r} is too large: at most {MAX_NUMBER:g} in size", node)
        return Part(sp.Integer(value) if isinstance(value, int) else sp.Float(value), float(value))

    def arithmetic(op, a: float, b: float, node) -> float:
        """``a op b`` in floats; an overflow is infinite (and refused by the caller)."""
        try:
            if isinstance(op, ast.Add):
                value = a + b
            elif isinstance(op, ast.Sub):
                value = a - b
            elif isinstance(op, ast.Mult):
                value = a * b
            elif isinstance(op, ast.Div):
                value = a / b
            else:
                value = a**b
        except ZeroDivisionError:
            raise fail("division by zero" + ("" if isinstance(op, ast.Div) else " (zero to a negative power)"), node) from None
        except OverflowError:
            value = math.inf
        if isinstance(value, complex):
            raise fail("this power of a negative number is not a real number", node)
        return value

    def convert(node, depth: int) -> Part:
        if depth > MAX_DEPTH:
            raise fail(f"the formula nests deeper than {MAX_DEPTH} levels", node)
        if isinstance(node, ast.Expression):
            return convert(node.body, depth)
        if isinstance(node, ast.Constant):
            return number(node.value, node)
        if isinstance(node, ast.Name):
            if node.id in ("x", "y"):
                return Part(X if node.id == "x" else Y, None)
            if node.id in CONSTANTS:
                return Part(CONSTANTS[node.id], float(CONSTANTS[node.id]))
            hint = " (a function: call it, like sin(x))" if node.id in FUNCTIONS else ""
            raise fail(f"the name {node.id!r} is not allowed{hint}; use {ALLOWED_TEXT}", node)
        if isinstance(node, ast.UnaryOp):
            if isinstance(node.op, (ast.USub, ast.UAdd)):
                inner = convert(node.operand, depth + 1)
                if isinstance(node.op, ast.UAdd):
                    return inner
                return checked(-inner.expr, None if inner.value is None else -inner.value, node)
            symbol = {ast.Invert: "~", ast.Not: "not"}.get(type(node.op), type(node.op).__name__)
            raise fail(f"the operator {symbol} is not allowed; use {ALLOWED_TEXT}", node)
        if isinstance(node, ast.BinOp):
            if type(node.op) not in _OPERATORS:
                symbol = {ast.Mod: "%", ast.FloorDiv: "//", ast.MatMult: "@", ast.BitXor: "^", ast.BitAnd: "&",
                          ast.BitOr: "|", ast.LShift: "<<", ast.RShift: ">>"}.get(type(node.op), "?")
                raise fail(f"the operator {symbol} is not allowed; use {ALLOWED_TEXT}", node)
            left, right = convert(node.left, depth + 1), convert(node.right, depth + 1)
            if left.value is not None and right.value is not None:  # a constant: valued in floats first
                value = arithmetic(node.op, left.value, right.value, node)
                check_value(value, node)
                if isinstance(node.op, ast.Pow):  # never let SymPy expand 9**9: use the float unless exact
                    exact = left.expr.is_Integer and right.expr.is_Integer and right.value >= 0
                    return Part(sp.Integer(int(left.expr) ** int(right.expr)) if exact else sp.Float(value), value)
            else:
                value = None
                if isinstance(node.op, ast.Div) and (right.value == 0 or right.expr == 0):
                    raise fail("division by zero", node)
                if isinstance(node.op, ast.Pow) and right.value is not None and abs(right.value) > MAX_EXPONENT:
                    raise fail(f"the exponent {right.expr} is too large: at most {MAX_EXPONENT} in size", node)
            expr = {ast.Add: lambda a, b: a + b, ast.Sub: lambda a, b: a - b, ast.Mult: lambda a, b: a * b,
                    ast.Div: lambda a, b: a / b, ast.Pow: lambda a, b: a**b}[type(node.op)](left.expr, right.expr)
            return checked(expr, value, node)
        if isinstance(node, ast.Call):
            if not isinstance(node.func, ast.Name):
                what = "calling " + _FORBIDDEN.get(type(node.func), "this")
                raise fail(f"{what} is not allowed; use {ALLOWED_TEXT}", node)
            name = node.func.id
            if name not in FUNCTIONS:
                raise fail(f"the function {name!r} is not allowed; the functions are {', '.join(FUNCTIONS)}", node)
            if node.keywords:
                raise fail(f"keyword arguments are not allowed in {name}(...)", node)
            if len(node.args) != 1 or isinstance(node.args[0], ast.Starred):
                raise fail(f"{name} takes exactly one argument", node)
            inner = convert(node.args[0], depth + 1)
            value = None
            if inner.value is not None:
                try:
                    value = _FLOAT_FUNCTIONS[name](inner.value)
                except ValueError:
                    raise fail(f"{name}({inner.value:g}) is not a finite real number", node) from None
                except OverflowError:
                    value = math.inf
            return checked(FUNCTIONS[name](inner.expr), value, node)
        what = _FORBIDDEN.get(type(node), type(node).__name__)
        raise fail(f"{what} is not allowed; use {ALLOWED_TEXT}", node)

    expr = convert(tree, 0).expr
    if expr.has(sp.zoo, sp.nan, sp.oo, -sp.oo) or expr.has(sp.I):
        raise FormulaError("the formula has a constant part that is not a finite real number (like log(0) or sqrt(-1))")
    if not expr.free_symbols <= {X, Y}:  # cannot happen through the whitelist; kept as a guard
        raise FormulaError("the formula may only use x and y")
    return expr


def _float_value(expr: sp.Expr) -> float:
    """A constant SymPy expression's value in floats, walking its tree (never ``evalf``, which
    would take unbounded time on a huge constant). A non-real or overflowing value is NaN/inf."""
    try:
        if expr.is_Number or isinstance(expr, sp.NumberSymbol):
            return float(expr)
        values = [_float_value(a) for a in expr.args]
        if expr.is_Add:
            return math.fsum(values)
        if expr.is_Mul:
            return math.prod(values)
        if expr.is_Pow:
            value = values[0] ** values[1]
            return math.nan if isinstance(value, complex) else value
        for name, function in FUNCTIONS.items():
            if isinstance(expr, function):
                return _FLOAT_FUNCTIONS[name](values[0])
        if isinstance(expr, sp.Abs):
            return abs(values[0])
    except (OverflowError, ZeroDivisionError):
        return math.inf
    except (ValueError, TypeError):
        return math.nan
    return math.nan


@dataclass(frozen=True)
class Part:
    """A converted piece of a formula and, if it is a constant, its value in floats."""

    expr: sp.Expr
    value: float | None


# --- Compilation: the expression tree, node by node, into LLVM IR.

_LIBM_FUNCTIONS = ("sin", "cos", "tan", "exp", "log", "pow", "tanh")
_LLVM_LOCK = threading.Lock()  # MCJIT set-up is not meant to run in several threads at once
_llvm_ready = False


def _init_llvm() -> None:
    global _llvm_ready
    if _llvm_ready:
        return
    llvm.initialize_native_target()
    llvm.initialize_native_asmprinter()
    libm = ctypes.CDLL(ctypes.util.find_library("m"))
    for name in _LIBM_FUNCTIONS:  # the JIT resolves these calls to the C library's own
        llvm.add_symbol(name, ctypes.cast(getattr(libm, name), ctypes.c_void_p).value)
    _llvm_ready = True


class _Emitter:
    """Writes one SymPy expression tree as LLVM instructions, sharing repeated subtrees."""

    def __init__(self, module: ir.Module, builder: ir.IRBuilder, x, y):
        self.module, self.builder = module, builder
        self.values: dict = {X: x, Y: y}

    def function(self, name: str):
        existing = self.module.globals.get(name)
        if existing is not None:
            return existing
        if name in ("sin", "cos", "exp", "log", "pow", "fabs", "sqrt"):
            return self.module.declare_intrinsic(f"llvm.{name}", [_DOUBLE])
        return ir.Function(self.module, ir.FunctionType(_DOUBLE, [_DOUBLE]), name=name)

    def const(self, value: float):
        return ir.Constant(_DOUBLE, value)

    def emit(self, expr: sp.Expr):
        if expr in self.values:
            return self.values[expr]
        value = self._emit(expr)
        self.values[expr] = value
        return value

    def _emit(self, expr: sp.Expr):
        b = self.builder
        if expr.is_Number or isinstance(expr, sp.NumberSymbol):
            return self.const(float(expr))
        if expr.is_Add:
            acc = self.emit(expr.args[0])
            for arg in expr.args[1:]:
                acc = b.fadd(acc, self.emit(arg))
            return acc
        if expr.is_Mul:
            acc = self.emit(expr.args[0])
            for arg in expr.args[1:]:
                acc = b.fmul(acc, self.emit(arg))
            return acc
        if expr.is_Pow:
            base, exponent = expr.args
            if exponent == sp.Rational(1, 2):
                return b.call(self.function("sqrt"), [self.emit(base)])
            if exponent == sp.Rational(-1, 2):
                return b.fdiv(self.const(1.0), b.call(self.function("sqrt"), [self.emit(base)]))
            if exponent.is_Integer and abs(int(exponent)) <= 32:
                return self._integer_power(self.emit(base), int(exponent))
            return b.call(self.module.declare_intrinsic("llvm.pow", [_DOUBLE]), [self.emit(base), self.emit(exponent)])
        if isinstance(expr, (sp.Abs, RealAbs)):
            return b.call(self.function("fabs"), [self.emit(expr.args[0])])
        if isinstance(expr, sp.sign):
            v = self.emit(expr.args[0])
            positive = b.select(b.fcmp_ordered(">", v, self.const(0.0)), self.const(1.0), self.const(0.0))
            return b.select(b.fcmp_ordered("<", v, self.const(0.0)), self.const(-1.0), positive)
        for sympy_function, name in ((sp.sin, "sin"), (sp.cos, "cos"), (sp.tan, "tan"), (sp.exp, "exp"),
                                     (sp.log, "log"), (sp.tanh, "tanh")):
            if isinstance(expr, sympy_function):
                return b.call(self.function(name), [self.emit(expr.args[0])])
        raise FormulaError(f"cannot compile the part {expr} of the formula")

    def _integer_power(self, base, n: int):
        """base**n by repeated squaring: exact for small n, as fast as a multiply chain."""
        b = self.builder
        result, power, k = None, base, abs(n)
        while k:
            if k & 1:
                result = power if result is None else b.fmul(result, power)
            k >>= 1
            if k:
                power = b.fmul(power, power)
        result = self.const(1.0) if result is None else result
        return b.fdiv(self.const(1.0), result) if n < 0 else result


@dataclass(frozen=True)
class CompiledFormula:
    """A parsed formula, its exact gradient, and the machine code computing all three."""

    text: str
    expr: sp.Expr
    grad: tuple[sp.Expr, sp.Expr]
    latex: str
    address: int
    _engine: object = field(repr=False, compare=False, hash=False)  # keeps the machine code alive

    def __call__(self, x: float, y: float) -> tuple[float, float, float]:
        """(f, df/dx, df/dy) at a point, from the compiled code (for tests and one-off use)."""
        out = (ctypes.c_double * 3)()
        _CALLER(self.address)(float(x), float(y), out)
        return out[0], out[1], out[2]


_CALLER = ctypes.CFUNCTYPE(None, ctypes.c_double, ctypes.c_double, ctypes.POINTER(ctypes.c_double))


@lru_cache(maxsize=256)
def compile_formula(text: str) -> CompiledFormula:
    """Parse, differentiate and compile ``text``; cached, so a formula compiles once per process."""
    expr = parse(text)
    grad = (sp.diff(expr, X), sp.diff(expr, Y))
    replacements, (f_red, gx_red, gy_red) = sp.cse([expr, *grad], optimizations=None)
    module = ir.Module(name="optviz_formula")
    function = ir.Function(module, _SIGNATURE, name="optviz_formula")
    x, y, out = function.args
    builder = ir.IRBuilder(function.append_basic_block("entry"))
    emitter = _Emitter(module, builder, x, y)
    for symbol, sub in replacements:
        emitter.values[symbol] = emitter.emit(sub)
    for i, part in enumerate((f_red, gx_red, gy_red)):
        builder.store(emitter.emit(part), builder.gep(out, [ir.Constant(ir.IntType(32), i)]))
    builder.ret_void()
    with _LLVM_LOCK:
        _init_llvm()
        compiled = llvm.parse_assembly(str(module))
        compiled.verify()
        machine = llvm.Target.from_default_triple().create_target_machine(opt=2)
        engine = llvm.create_mcjit_compiler(compiled, machine)
        engine.finalize_object()
        address = engine.get_function_address("optviz_formula")
    return CompiledFormula(text, expr, grad, sp.latex(expr), address, engine)
