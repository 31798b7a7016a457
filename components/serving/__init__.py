"""Serving: a model's endpoint, its deployments pinned to registry versions, and traffic.

* :mod:`components.serving.model_assets` — the ``ModelAssets`` component
  (``mlops:model_assets:ModelAssets``, a deployed type token that never changes).
* :mod:`components.serving.specs` — loads a model's Azure ML CLI v2 specs with azure-ai-ml
  and converts them to azure-native inputs.
* :mod:`components.serving.code_asset` and :mod:`components.serving.traffic` — the two
  dynamic resources (scoring-code upload, traffic split).
* :mod:`components.serving.byom` — bring-your-own-model registration.
"""
