"""The HTTP edge: middleware, request context, logging, metrics, health, caching, rate limits."""
