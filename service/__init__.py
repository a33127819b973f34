"""The HTTP service and command line: FastAPI app, dashboard, CLI."""
