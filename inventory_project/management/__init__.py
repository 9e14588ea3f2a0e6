"""Management commands of the platform layer."""
