"""Qt item models over the client's typed records: navigation, ticket list, chat thread."""
