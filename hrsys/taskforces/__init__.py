"""Task forces."""

from hrsys.taskforces import extensions as extensions  # registrations with the layers below, at import
