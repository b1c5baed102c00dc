"""Convos Desktop: the native PySide6 client for customer-service agents."""

__version__ = "0.1.0"
