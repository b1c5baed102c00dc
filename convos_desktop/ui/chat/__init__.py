"""The open conversation: the chat view and its delegate, the header, the composer with its
emoji, quick replies, attachments and library, and what the agent does to a message (reply,
react, open or save a file)."""
