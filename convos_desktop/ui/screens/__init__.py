"""The help page's other sections: Nuovo Ticket, Scorciatoie, Caselle di posta,
Conversazioni, Ticket and Performance, each a screen of its own."""
