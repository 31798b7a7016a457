"""The onboarded model's register step: next version from the catalog, clear errors, and the
catalog written only through record_version (registered versions only)."""

from __future__ import annotations

from pathlib import Path

import pytest

from infra.catalog import load_catalog, record_version
from infra.errors import ConfigError
from model_assets import register_artifact


def _catalog(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "registry-catalog.yaml"
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("models: {}\n", "1"),
        ('models:\n  reg_model: ["1", "2"]\n', "3"),
        ('models:\n  other: ["7"]\n  reg_model: ["1.0.1", "4"]\n', "5"),
    ],
)
def test_next_version(tmp_path: Path, text: str, expected: str) -> None:
    assert register_artifact.next_version("reg_model", _catalog(tmp_path, text)) == expected


def test_a_model_that_was_not_onboarded_is_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    catalog = _catalog(tmp_path, "models: {}\n")
    argv = [
        "not_onboarded",
        "--subscription",
        "s",
        "--resource-group",
        "rg",
        "--registry",
        "r",
        "--catalog",
        str(catalog),
    ]
    assert register_artifact.main(argv) == 2
    assert "onboard the model first (estate onboard)" in capsys.readouterr().err
    assert catalog.read_text() == "models: {}\n"


def test_record_version_keeps_comments_and_is_idempotent(tmp_path: Path) -> None:
    catalog = _catalog(tmp_path, '# registered versions only\nmodels:\n  diabetes: ["1"]  # first\n')
    assert record_version("diabetes", "2", catalog) is True
    assert record_version("fresh", "1", catalog) is True
    assert record_version("fresh", "1", catalog) is False
    assert catalog.read_text().startswith("# registered versions only\n")
    assert "# first" in catalog.read_text()
    assert load_catalog(catalog).models == {"diabetes": ("1", "2"), "fresh": ("1",)}
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temp file left


@pytest.mark.parametrize(("model", "version", "key"), [("Bad", "1", "MODEL"), ("fine", "latest", "VERSION")])
def test_record_version_refuses_bad_input(tmp_path: Path, model: str, version: str, key: str) -> None:
    catalog = _catalog(tmp_path, "models: {}\n")
    with pytest.raises(ConfigError) as err:
        record_version(model, version, catalog)
    assert err.value.key == key
    assert catalog.read_text() == "models: {}\n"
