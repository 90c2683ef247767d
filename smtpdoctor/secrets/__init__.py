"""Secrets of a run: where passwords and OAuth tokens come from, and the redactor that keeps
them (in any encoding) out of every result, transcript and message."""
