"""Business logic of the server: plain async functions on a session, no HTTP in here."""
