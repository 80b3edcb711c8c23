"""Helpers the farm and the training package share, and nothing else: the error type whose message is the
one line a user sees (`errors`), reading user YAML and text with size and nesting limits (`yamlio`), and
atomic writes (`atomic`). Imports only the standard library, yaml and pydantic."""
