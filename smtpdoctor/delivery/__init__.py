"""Delivery: the test message (:mod:`.message`) and finding it again over IMAP
(:mod:`.imap`)."""
