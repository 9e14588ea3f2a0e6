"""The API plumbing of the platform: envelope, rendering, errors, paging, ordering, schema."""
