"""The server around the app: its start-up warm-up, the record of what numba has cached, its middleware."""
