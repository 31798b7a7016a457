"""Batch scoring: init() from AZUREML_MODEL_DIR, run(mini_batch) over CSV files."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

MODEL_DIR = Path(__file__).resolve().parents[1]
SAMPLE = MODEL_DIR / "sample" / "customers.csv"


@pytest.fixture()
def score(src, tmp_path: Path, monkeypatch):
    module = src("score")
    shutil.copytree(MODEL_DIR / "artifact", tmp_path / "models" / "churn_byom" / "1" / "artifact")
    monkeypatch.setenv("AZUREML_MODEL_DIR", str(tmp_path / "models" / "churn_byom" / "1"))
    module.init()
    return module


def test_scores_every_customer_of_every_file(score, tmp_path: Path) -> None:
    second = tmp_path / "more.csv"
    second.write_text(
        "customer_id,tenure_months,monthly_charges,support_calls_90d,contract_monthly,late_payments_12m\n"
        "C-9,70,20,0,0,0\n"
    )
    lines = score.run([str(SAMPLE), str(second)])
    assert len(lines) == 9
    ids = [line.split(",")[1] for line in lines]
    assert ids == [f"C-100{i}" for i in range(1, 9)] + ["C-9"]
    by_id = {line.split(",")[1]: line.split(",") for line in lines}
    assert by_id["C-1001"][0] == "customers.csv"
    assert float(by_id["C-1001"][2]) > 0.9 and by_id["C-1001"][3] == "1"  # new, pricey, unhappy, monthly
    assert float(by_id["C-9"][2]) < 0.1 and by_id["C-9"][3] == "0"  # loyal, cheap, quiet


def test_wrong_columns_name_the_file(score, tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("customer_id,tenure\nC-1,3\n")
    with pytest.raises(ValueError, match=r"bad.csv: missing column\(s\) \['tenure_months'"):
        score.run([str(bad)])


def test_non_numeric_value_names_the_line(score, tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text(SAMPLE.read_text().replace("C-1003,14,", "C-1003,fourteen,"))
    with pytest.raises(ValueError, match="bad.csv:4: every feature must be a number"):
        score.run([str(bad)])


def test_init_without_artifact(src, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("AZUREML_MODEL_DIR", str(tmp_path))
    with pytest.raises(FileNotFoundError, match="no model.json under AZUREML_MODEL_DIR"):
        src("score").init()


HEADER = "customer_id,tenure_months,monthly_charges,support_calls_90d,contract_monthly,late_payments_12m\n"


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("line break in an id", 'C-1,2,104.5,4,1,3\n"C-2\nX-9,1,1,1,1,1",2,104.5,4,1,3\n', "customer_id"),
        ("comma in an id", '"C-2,injected,0.99,1",2,104.5,4,1,3\n', "customer_id"),
        ("empty id", ",2,104.5,4,1,3\n", "customer_id"),
        ("100 KB id", "C" * 100_000 + ",2,104.5,4,1,3\n", "customer_id"),
        ("400-digit number", "C-1," + "9" * 400 + ",104.5,4,1,3\n", "finite"),
        ("100 KB value", "C-1," + "x" * 100_000 + ",104.5,4,1,3\n", "number"),
        ("missing fields", "C-1,2\n", "number"),
        ("300 KB field", "C-1," + "x" * 300_000 + ",1,1,1,1\n", "readable CSV line"),
    ],
)
def test_hostile_rows_are_refused_without_injecting_output(
    score, tmp_path: Path, name: str, content: str, message: str
) -> None:
    path = tmp_path / "in.csv"
    path.write_text(HEADER + content, encoding="utf-8")
    with pytest.raises(score.BadInput, match=message) as caught:
        score.run([str(path)])
    assert len(str(caught.value)) < 600, name


def test_a_file_name_with_a_comma_is_refused(score, tmp_path: Path) -> None:
    path = tmp_path / "a,b.csv"
    path.write_text(HEADER + "C-1,2,104.5,4,1,3\n", encoding="utf-8")
    with pytest.raises(score.BadInput, match="file name"):
        score.run([str(path)])


def test_valid_ids_give_one_line_each_with_four_fields(score, tmp_path: Path) -> None:
    path = tmp_path / "in.csv"
    path.write_text(HEADER + "C-1,2,104.5,4,1,3\ncust_2.x:9,60,35.2,0,0,0\n", encoding="utf-8")
    lines = score.run([str(path)])
    assert [line.split(",")[:2] for line in lines] == [["in.csv", "C-1"], ["in.csv", "cust_2.x:9"]]
    assert all(len(line.split(",")) == 4 for line in lines)


def test_databricks_entry_point_scores_and_writes(src, tmp_path: Path, capsys) -> None:
    """The Databricks job runs score.py as a script: it must really score and write output."""
    import subprocess
    import sys

    module = src("score")
    (tmp_path / "in").mkdir()
    shutil.copy(SAMPLE, tmp_path / "in" / "customers.csv")
    argv = [
        "--model",
        "churn_byom",
        "--environment",
        "prod",
        "--input",
        str(tmp_path / "in"),
        "--output",
        str(tmp_path / "out"),
        "--model-dir",
        str(MODEL_DIR / "artifact"),
    ]
    assert module.main(argv) == 0
    rows = (tmp_path / "out" / "predictions.csv").read_text().splitlines()
    assert rows[0] == "file,customer_id,churn_probability,churn" and len(rows) == 9
    # Run as __main__ exactly as spark_python_task does: the script must not be a no-op.
    (tmp_path / "out" / "predictions.csv").unlink()
    done = subprocess.run(
        [sys.executable, str(MODEL_DIR / "src" / "score.py"), *argv], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert len((tmp_path / "out" / "predictions.csv").read_text().splitlines()) == 9


def test_entry_point_without_input_files_exits_2(src, tmp_path: Path, capsys) -> None:
    module = src("score")
    (tmp_path / "in").mkdir()
    argv = [
        "--model",
        "churn_byom",
        "--environment",
        "qa",
        "--input",
        str(tmp_path / "in"),
        "--output",
        str(tmp_path / "out"),
        "--model-dir",
        str(MODEL_DIR / "artifact"),
    ]
    assert module.main(argv) == 2
    assert "no *.csv input files" in capsys.readouterr().err
