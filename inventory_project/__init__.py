"""Platform layer of the inventory backend: settings, URLs, the API envelope and shared plumbing.

Nothing in this package imports an app; apps import from here.
"""

__version__ = "20.2.0"
