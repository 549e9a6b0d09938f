"""Secondments."""

from hrsys.secondments import extensions as extensions  # registrations with the layers below, at import
