"""Management commands of the items app."""
