"""Convos Desktop: the native PySide6 client for customer-service agents."""
