"""Streamlit helpers the pages share: the widget store, controls drawn from the settings table, the camera keeper."""
