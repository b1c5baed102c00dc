"""The conversation workspace: the ticket list beside the open conversation, the ticket
actions, and what follows them (selection, undo)."""
