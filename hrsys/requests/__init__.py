"""Requests: someone asks, someone else decides; the deciding domain applies the decision (see README.md)."""
