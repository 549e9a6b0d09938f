"""Agencies."""

from hrsys.agencies import extensions as extensions  # registrations with the layers below, at import
