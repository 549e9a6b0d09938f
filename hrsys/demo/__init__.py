"""The demo dataset of `make run` (`hrsys demo load`). Depends on the domains, never the reverse."""
