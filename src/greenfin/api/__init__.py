"""The HTTP API under /api/v1 (FastAPI). Thin: parse, call a service, render."""
