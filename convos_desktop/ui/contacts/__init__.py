"""Contacts: the contact dock, the contact's tickets, the contact picker."""
