"""Task forces."""

from hrsys.taskforces import registrations as registrations  # registrations with the layers below, at import
