"""Benchmarks: national-scale measurements of every area (`make bench`). Depends on the domains, never the reverse."""
