"""optviz: the frame. Page config and navigation; the pages live in pages/."""

from pathlib import Path

import streamlit as st

ASSETS = Path(__file__).parent / "assets"

st.set_page_config(page_title="optviz: RMSProp and its rivals", page_icon=str(ASSETS / "icon.svg"), layout="wide")
st.logo(str(ASSETS / "icon.svg"))

pages = st.navigation(
    [
        st.Page("pages/playground.py", title="Playground", icon=":material/sports_score:", default=True),
        # Its own url_path: Streamlit's older multipage mode maps /optimizers straight to
        # pages/optimizers.py on a fresh visit, skipping this frame; /reference always goes through it.
        st.Page("pages/optimizers.py", title="The optimizers", icon=":material/functions:", url_path="reference"),
    ]
)
pages.run()
