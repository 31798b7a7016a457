"""Reusable ComponentResources (type tokens `mlops:<module>:<Name>`). Components never read config."""
