"""The page's memory of every widget value, kept while a widget is hidden.

Streamlit forgets a widget's state when the widget is not drawn in a run (a closed expander,
the formula box on a built-in surface). Every widget key also lives in one dict in session
state, so a setting survives being hidden and the URL can be written from, and read into, the
same keys.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

STORE = "_values"  # the Playground's store: widget key -> value, for every setting, shown or not
# Another page keeps its own store (its name passed as ``store``), and its widget keys apart.


def loaded(store: str = STORE) -> bool:
    """Whether this session's store is filled (false on a first visit)."""
    return store in st.session_state


def load(values: dict[str, Any], store: str = STORE) -> None:
    """Fill the store and the widget keys (before any widget is drawn in this run)."""
    st.session_state[store] = dict(values)
    for key, value in values.items():
        st.session_state[key] = value


def keep(key: str, store: str = STORE) -> None:
    """Give a widget its stored value if Streamlit dropped its state while it was hidden."""
    if key not in st.session_state:
        st.session_state[key] = st.session_state[store][key]


def remember(key: str, value: Any, store: str = STORE) -> None:
    st.session_state[store][key] = value


def stored(key: str, store: str = STORE) -> Any:
    return st.session_state[store][key]


def put(key: str, value: Any, store: str = STORE) -> None:
    """Set a widget's value from code (a click on the map, a new surface's start): store and widget."""
    remember(key, value, store)
    st.session_state[key] = value


MARKDOWN_SPECIALS = set("\\`*_[]<>$~#|")  # what Streamlit's Markdown would read as markup or LaTeX


def literal(text: str) -> str:
    """``text`` shown as typed inside Markdown: a link's ``__import__`` is not bold "import"."""
    return "".join("\\" + c if c in MARKDOWN_SPECIALS else c for c in text)
