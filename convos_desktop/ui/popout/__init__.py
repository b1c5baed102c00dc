"""Pop-out windows: a conversation in a top-level window of its own (issue 15)."""
