"""People."""

from hrsys.people import extensions as extensions  # registrations with the layers below, at import
