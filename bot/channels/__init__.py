"""Channel adapters: the only code that speaks a platform's language."""
