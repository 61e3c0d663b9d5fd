"""Models of the interviews app."""
