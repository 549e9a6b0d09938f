"""Data generation: the synthetic national-scale dataset (`hrsys generate`). Depends on the domains, not the reverse."""
