"""Use cases: one function each, taking a session (the unit of work) and plain values."""
