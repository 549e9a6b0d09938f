"""Notifications: in-app messages and e-mail through a transactional outbox (see README.md)."""
