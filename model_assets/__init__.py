"""Models, their Azure ML specs, the model_assets component and promotion."""
