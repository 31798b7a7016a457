"""Make the labelled transaction sample the rules are evaluated on (deterministic).

    python model_assets/fraud_rules/data/make_sample.py [--output PATH]

Synthetic but shaped like card data: 400 transactions, about 15 % fraud. Fraud is drawn
from a hidden risk that the rules only partly see (with label noise), so the rules score
well but not perfectly. The file is committed; a test checks this script reproduces it.
"""

from __future__ import annotations

import argparse
import csv
import random
from pathlib import Path

COLUMNS = [
    "amount",
    "account_age_days",
    "txn_count_24h",
    "country_mismatch",
    "hour",
    "merchant_category",
    "is_fraud",
]
CATEGORIES = ["grocery", "travel", "electronics", "gambling", "crypto", "gift_cards", "other"]
SEED = 20261122
ROWS = 400


def make_rows(seed: int = SEED, count: int = ROWS) -> list[dict[str, object]]:
    """The sample, as rows in :data:`COLUMNS` order."""
    rng = random.Random(seed)
    rows = []
    for _ in range(count):
        fraud = rng.random() < 0.15
        if fraud:
            amount = round(rng.choice([rng.uniform(600, 1900), rng.uniform(2000, 9000)]), 2)
            age = rng.choice([rng.randint(0, 29), rng.randint(30, 2000)])
            count_24h = rng.choice([rng.randint(10, 40), rng.randint(0, 9)])
            mismatch = rng.random() < 0.7
            hour = rng.randint(0, 23) if rng.random() < 0.5 else rng.randint(0, 4)
            category = rng.choice(["gambling", "crypto", "gift_cards", "electronics", "travel"])
        else:
            amount = round(rng.lognormvariate(3.8, 1.0), 2)
            age = rng.randint(30, 5000) if rng.random() < 0.9 else rng.randint(0, 29)
            count_24h = rng.randint(0, 6) if rng.random() < 0.95 else rng.randint(10, 15)
            mismatch = rng.random() < 0.08
            hour = rng.randint(6, 23) if rng.random() < 0.9 else rng.randint(0, 5)
            category = rng.choice(
                CATEGORIES[:3] + ["other"] * 2 + ([rng.choice(CATEGORIES)] if rng.random() < 0.1 else [])
            )
        if rng.random() < 0.02:  # label noise
            fraud = not fraud
        rows.append(
            {
                "amount": min(amount, 999999.0),
                "account_age_days": age,
                "txn_count_24h": count_24h,
                "country_mismatch": mismatch,
                "hour": hour,
                "merchant_category": category,
                "is_fraud": fraud,
            }
        )
    return rows


def write(path: Path, rows: list[dict[str, object]]) -> None:
    """Write the sample as CSV (booleans as true/false)."""
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(COLUMNS)
        for row in rows:
            writer.writerow([str(row[c]).lower() if isinstance(row[c], bool) else row[c] for c in COLUMNS])


def main() -> int:
    """Command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=Path(__file__).with_name("labelled_sample.csv"))
    args = parser.parse_args()
    write(args.output, make_rows())
    print(args.output)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
