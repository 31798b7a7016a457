"""The CrossGuard pack: importable rules, also run offline by `estate preview`.

* ``policy.rules`` — every rule as a ``pulumi_policy`` policy object, grouped by area;
  ``policy.rules.ALL_POLICIES`` is the registry.
* ``policy/__main__.py`` + ``PulumiPolicy.yaml`` — the real pack:
  ``pulumi preview --policy-pack policy --policy-pack-config policy/config/<stack>.json``.
* ``policy.pack_config`` — writes ``policy/config/<stack>.json`` (enforcement + environment).
* ``infra.engine.policy_runner.evaluate`` — the offline run over a captured plan.
"""
