"""Small reusable widgets with no screen of their own."""
