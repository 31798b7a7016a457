"""``estate cost`` against a stand-in engine (the real one is built separately)."""

from __future__ import annotations

import json
import sys
import types

import pytest
import typer
from typer.testing import CliRunner

from infra.cli import cost as cost_cli
from infra.errors import ConfigError


def deployment(instance):
    return {
        "urn": "urn:blue",
        "type": "azure-native:machinelearningservices:OnlineDeployment",
        "name": "blue",
        "parent": None,
        "custom": True,
        "provider": None,
        "id": "/x/blue",
        "outputs": {},
        "dependencies": [],
        "inputs": {
            "properties": {"endpointComputeType": "Managed", "instanceType": instance},
            "sku": {"capacity": 1},
        },
    }


@pytest.fixture
def app(monkeypatch):
    cdn = {"urn": "urn:cdn", "type": "azure-native:cdn:Profile", "name": "cdn", "custom": True, "inputs": {}}
    plans = {
        "new": {"stack": "prod", "resources": [deployment("Standard_D4s_v3"), cdn]},
        "old": {"stack": "prod", "resources": [deployment("Standard_D2s_v3"), cdn]},
    }
    engine = types.ModuleType("infra.engine")
    engine.preview = lambda stack, *, project_dir=None: plans["new"]
    engine.preview_ref = lambda stack, ref: plans["old"]
    monkeypatch.setitem(sys.modules, "infra.engine", engine)
    application = typer.Typer()
    cost_cli.register(application)
    application.command("noop")(lambda: None)
    return application


def test_json_estimate_lists_unpriced(app):
    result = CliRunner().invoke(app, ["cost", "prod", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["totals"] == {"idle_usd": 140.16, "load_usd": 140.16, "priced": 1, "free": 0, "unpriced": 1}
    assert report["unpriced"] == [
        {"urn": "urn:cdn", "type": "azure-native:cdn:Profile", "reason": "no price rule for this type"}
    ]


def test_table_says_unpriced(app):
    result = CliRunner().invoke(app, ["cost", "prod"])
    assert result.exit_code == 0, result.output
    assert "$140.16" in result.output
    assert "unpriced: azure-native:cdn:Profile urn:cdn: no price rule for this type" in result.output
    assert "1 resource(s) are not priced; the totals exclude them." in result.output


def test_against_shows_the_delta(app, tmp_path):
    result = CliRunner().invoke(app, ["cost", "prod", "--against", "main", "--json"])
    report = json.loads(result.output)
    assert report["against"] == "main"
    assert report["delta"] == {"idle_usd": 70.08, "load_usd": 70.08}  # (0.192 − 0.096) × 730
    text = CliRunner().invoke(app, ["cost", "prod", "--against", "main"]).output
    assert "idle: $70.08 → $140.16 (+$70.08)" in text


def test_bad_assumptions_file_is_a_config_error(app, tmp_path):
    bad = tmp_path / "a.yaml"
    bad.write_text("storage:\n  gb_stored: lots\n")
    result = CliRunner().invoke(app, ["cost", "prod", "--assumptions", str(bad)])
    assert isinstance(result.exception, ConfigError)
    assert str(result.exception) == f"{bad}: storage.gb_stored: expected a non-negative number, got 'lots'"
