"""``estate timeline`` against a stand-in engine (the real one is built separately)."""

from __future__ import annotations

import json
import sys
import types

import pytest
import typer
from typer.testing import CliRunner

from infra.cli import timeline as timeline_cli
from infra.errors import ConfigError

RG = "/subscriptions/0000/resourceGroups/rg-test"


@pytest.fixture
def app(monkeypatch, resource, plan):
    ws = resource("ws", "azure-native:machinelearningservices:Workspace", outputs={"name": "mlw-a"})
    ep = resource(
        "ep",
        "azure-native:machinelearningservices:OnlineEndpoint",
        deps=("ws",),
        inputs={"workspaceName": "mlw-a"},
    )
    dep = resource(
        "dep",
        "azure-native:machinelearningservices:OnlineDeployment",
        deps=("ep", "ws"),
        inputs={"endpoint": f"{RG}/things/ep"},
    )
    new = plan(ws, ep, dep)
    calls: list[tuple[str, ...]] = []

    def preview(stack, *, project_dir=None):
        calls.append(("preview", stack))
        return new

    def preview_ref(stack, ref):
        calls.append(("preview_ref", stack, ref))
        return new

    engine = types.ModuleType("infra.engine")
    engine.preview, engine.preview_ref = preview, preview_ref
    diff = types.ModuleType("infra.engine.diff")
    diff.changes = lambda old, new_: [
        {"urn": "urn:dep", "type": dep["type"], "action": "update", "keys": ["sku"]}
    ]
    monkeypatch.setitem(sys.modules, "infra.engine", engine)
    monkeypatch.setitem(sys.modules, "infra.engine.diff", diff)
    application = typer.Typer()
    timeline_cli.register(application)
    application.command("noop")(lambda: None)  # keep "timeline" a sub-command
    application.calls = calls
    return application


def test_json_create_estimate(app):
    result = CliRunner().invoke(app, ["timeline", "prod", "--json", "--parallel", "4"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["mode"] == "create" and report["parallel"] == 4
    # 180 s workspace + 120 s endpoint + 720 s deployment (first image build)
    assert report["graph_seconds"]["typical"] == 1020
    assert [e["name"] for e in report["critical_chain"]] == ["ws", "ep", "dep"]
    # dep also lists ws without using it: reported, but it costs nothing (ep already waits for ws).
    assert [(e["from"], e["to"], e["saves_seconds"]) for e in report["serializing_edges"]] == [
        ("urn:ws", "urn:dep", 0.0)
    ]
    assert app.calls == [("preview", "prod")]


def test_table_output_and_against(app):
    result = CliRunner().invoke(app, ["timeline", "prod", "--against", "HEAD~1", "--parallel", "2"])
    assert result.exit_code == 0, result.output
    assert "update: 3 timed resources, parallel 2" in result.output
    assert "critical chain" in result.output
    assert "changes: create 0, update 1, replace 0, delete 0" in result.output
    assert app.calls == [("preview", "prod"), ("preview_ref", "prod", "HEAD~1")]


def test_bad_parallel_is_a_config_error(app):
    result = CliRunner().invoke(app, ["timeline", "prod", "--parallel", "0"])
    assert isinstance(result.exception, ConfigError)
    assert str(result.exception) == "--parallel: must be at least 1, got 0"
