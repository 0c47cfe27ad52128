"""The optimizers and surfaces in optviz: equations, hyperparameters, sources (from the registries)."""

import streamlit as st

from optviz import OPTIMIZERS, SURFACES
from optviz.render.figures import COLORS


def shown(value) -> str:
    return str(value).lower() if isinstance(value, bool) else f"{value:g}"


st.title("The optimizers")
st.write(
    "Every update rule follows `torch.optim` in float64: buffers start at zero, the step counter at 1, "
    "eps where torch puts it. Where another library differs it is a named switch, never a silent change. "
    "Where optviz starts from another default than torch, both are given."
)
for opt in OPTIMIZERS.values():
    st.markdown(f"### <span style='color:{COLORS[opt.id]}'>■</span> {opt.name} (`{opt.id}`)", unsafe_allow_html=True)
    st.latex(opt.equation)
    st.caption(opt.reference)
    st.dataframe(
        [
            {
                "name": p.name,
                "label": p.label,
                "default here": shown(p.default),
                "torch.optim's default": shown(p.default if p.torch_default is None else p.torch_default),
                "valid": p.valid_range(),
                "help": p.help,
            }
            for p in opt.hyperparameters
        ],
        hide_index=True,
        width="stretch",
    )

st.title("The surfaces")
for surf in SURFACES.values():
    st.markdown(f"### {surf.name} (`{surf.id}`)")
    st.latex(surf.latex)
    minima = ", ".join(f"({m.x:.6g}, {m.y:.6g}) with f = {m.value:.6g}" for m in surf.minima) or "none (unbounded below)"
    x, y = surf.start
    st.markdown(
        f"Global minima: {minima}.  \nSource: {surf.source}.  \n"
        f"**Default race:** from ({x:g}, {y:g}), {surf.steps:,} steps. {surf.why_start}"
    )
    if surf.note:
        st.caption(surf.note)
