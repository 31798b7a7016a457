"""The retraining loop: the Function App's code (``function_app/``) and the Pulumi component
that deploys it (:mod:`components.retraining.component`)."""

from components.retraining.component import RetrainingLoop, RetrainingLoopArgs, RetrainModelArgs, app_contract

__all__ = ["RetrainModelArgs", "RetrainingLoop", "RetrainingLoopArgs", "app_contract"]
