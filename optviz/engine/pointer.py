"""Calling compiled formula code from the numba kernels, through a function pointer.

Kept apart from :mod:`optviz.engine.formula` so that the driver, which must import this, does not
pull in SymPy: a built-in surface never pays for the formula machinery.
"""

from __future__ import annotations

from llvmlite import ir
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic

DOUBLE = ir.DoubleType()
SIGNATURE = ir.FunctionType(ir.VoidType(), [DOUBLE, DOUBLE, DOUBLE.as_pointer()])
"""void f(double x, double y, double out[3]): writes f, df/dx, df/dy."""


@intrinsic
def call_compiled(typingctx, address, x, y):
    """(f, df/dx, df/dy) from the compiled formula at ``address`` (a jitted call through a pointer)."""
    signature = types.UniTuple(types.float64, 3)(types.int64, types.float64, types.float64)

    def codegen(context, builder, sig, args):
        address_value, x_value, y_value = args
        function = builder.inttoptr(address_value, SIGNATURE.as_pointer())
        out = cgutils.alloca_once(builder, DOUBLE, size=3)
        builder.call(function, [x_value, y_value, out])
        values = [builder.load(builder.gep(out, [ir.Constant(ir.IntType(32), i)])) for i in range(3)]
        return context.make_tuple(builder, sig.return_type, values)

    return signature, codegen


@intrinsic
def load_double(typingctx, address, index):
    """The float64 at ``address + 8 * index``: a data surface's samples, read by the kernels
    from the block its Surface keeps alive (see :mod:`optviz.engine.data`)."""
    signature = types.float64(types.int64, types.int64)

    def codegen(context, builder, sig, args):
        address_value, index_value = args
        base = builder.inttoptr(address_value, DOUBLE.as_pointer())
        return builder.load(builder.gep(base, [index_value]))

    return signature, codegen
