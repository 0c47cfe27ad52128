"""optviz: the frame. Page config and navigation; the pages live in views/.

Not in a folder named pages/: Streamlit's older multipage mode claims that folder, and a fresh
visit to /playground or /optimizers then ran the page on its own, outside this frame, or put
up a "Page not found" box before this frame's navigation took over."""

from pathlib import Path

import streamlit as st

ASSETS = Path(__file__).parent / "assets"

st.set_page_config(page_title="optviz: RMSProp and its rivals", page_icon=str(ASSETS / "icon.svg"), layout="wide")
st.logo(str(ASSETS / "icon.svg"))

pages = st.navigation(
    [
        st.Page("views/playground.py", title="Playground", icon=":material/sports_score:", default=True),
        st.Page("views/why_rmsprop.py", title="Why RMSProp", icon=":material/school:", url_path="why-rmsprop"),
        st.Page("views/maps.py", title="Maps", icon=":material/grid_on:", url_path="maps"),
        st.Page("views/compare.py", title="Compare", icon=":material/leaderboard:", url_path="compare"),
        st.Page("views/optimizers.py", title="The optimizers", icon=":material/functions:", url_path="reference"),
    ]
)
pages.run()
