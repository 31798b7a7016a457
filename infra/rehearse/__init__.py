"""``make rehearse``: the MLOps loop run on this machine.

Real code everywhere (the pipelines' component commands, the evaluation gate, the registration
step, the Azure ML inference server, the smoke test, the retraining Function's handlers), with
stand-ins only at the edges this machine cannot reach: the Azure ML registry (a folder), the
Entra token endpoint, the Blob service and the Azure DevOps REST API (fake HTTP answers), and
Azure ML's model monitor (a local drift computation, labelled as such).
"""
