"""Property-based fuzzing of the API from its own OpenAPI schema."""
