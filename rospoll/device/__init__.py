"""2 · Device I/O: every netmiko call lives here."""
