"""mlops-estate infrastructure: the Pulumi entry point, settings, naming, the offline engine and the CLI."""
