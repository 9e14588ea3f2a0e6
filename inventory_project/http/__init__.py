"""The HTTP edge: middleware, request context, logging, metrics, health and response caching."""
