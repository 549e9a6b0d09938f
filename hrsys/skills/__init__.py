"""Skills."""

from hrsys.skills import extensions as extensions  # registrations with the layers below, at import
