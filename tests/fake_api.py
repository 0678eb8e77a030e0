"""Fixtures for a fake Anthropic Messages API on 127.0.0.1 (see the Claude backend tests)."""
