"""Pure logic of the retraining Function App.

``function_app.py`` beside this package only adapts the Azure Functions triggers; everything
that decides, remembers and submits lives here and is tested without the Functions host:
settings (:mod:`.settings`), the NCRONTAB evaluator (:mod:`.ncrontab`), trigger payloads
(:mod:`.eventgrid`, :mod:`.monitor_events`, :mod:`.schedule`), the pure decision (:mod:`.decision`),
state stores (:mod:`.state`), the Azure DevOps submitter (:mod:`.ado`), the engine that ties
them together (:mod:`.engine`) and the wiring from app settings (:mod:`.runtime`).
"""
