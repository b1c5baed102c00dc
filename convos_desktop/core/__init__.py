"""Protocol, sync, cache and presence: no QtWidgets here (tests/desktop/test_core_imports.py)."""
