"""Hook implementations of the core itself, registered before every plugin."""
