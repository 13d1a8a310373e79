"""Test support for the exchange: real broker and real PostgreSQL fixtures (a pytest plugin)."""
