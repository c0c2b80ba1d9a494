"""4 · Attribution: who made which change. Pure: no I/O."""
