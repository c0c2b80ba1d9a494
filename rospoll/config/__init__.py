"""3 · Config model: normalise, validate, parse and diff exports. Pure: no I/O."""
