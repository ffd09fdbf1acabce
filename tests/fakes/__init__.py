"""Fake cloud endpoints for the adapter tests: a local HTTP server and response builders."""
