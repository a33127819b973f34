"""Pure computation engines: importable and runnable with no broker, database or web server."""
