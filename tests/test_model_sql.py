"""Model SQL holds no figures: years, pools and amounts come from the data.

Scans every model for the literal values the seeds hold, so that a model that works only for
this appendix (a `where fiscal_year = ...`, a pool's code or name, an amount) fails here.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from seed_files import PROJECT_DIR, seed_rows

MODEL_FILES = sorted((PROJECT_DIR / "models").rglob("*.sql"))
SMALLEST_AMOUNT_CHECKED = 100  # smaller numbers (0, 1, 6, 9, 38) occur as SQL syntax and precisions


def data_literals() -> set[str]:
    literals = set()
    for row in seed_rows(PROJECT_DIR, "pools"):
        literals |= {row["pool_code"], row["pool_name"], row["pool_name_en"]}
    for row in seed_rows(PROJECT_DIR, "projects"):
        literals |= {row["project_code"], row["project_name"]}
    for row in seed_rows(PROJECT_DIR, "amounts"):
        literals.add(row["fiscal_year"])
        if int(row["amount_tdkk"]) >= SMALLEST_AMOUNT_CHECKED:
            literals.add(row["amount_tdkk"])
    for row in seed_rows(PROJECT_DIR, "published_totals"):
        literals |= {row["label_as_published"], row["amount_tdkk"]}
    for row in seed_rows(PROJECT_DIR, "documents"):
        literals |= {row["document_id"], row["unit_factor"], row["currency"]}
    return literals


def literal_pattern(literal: str) -> re.Pattern:
    return re.compile(r"(?<![\w.])" + re.escape(literal) + r"(?![\w.])", re.IGNORECASE)


PATTERNS = {literal: literal_pattern(literal) for literal in data_literals()}


def test_models_are_found():
    assert len(MODEL_FILES) >= 6


@pytest.mark.parametrize("model", MODEL_FILES, ids=lambda path: path.stem)
def test_model_has_no_data_literal(model: Path):
    sql = model.read_text(encoding="utf-8")
    found = sorted(literal for literal, pattern in PATTERNS.items() if pattern.search(sql))
    assert found == [], f"{model.name} writes data values into SQL: {found}"


def test_the_scan_finds_a_planted_literal():
    """The scan itself can fail: a year from the seeds written into SQL is found."""
    year = seed_rows(PROJECT_DIR, "amounts")[0]["fiscal_year"]
    planted = f"select * from allocations where fiscal_year = {year}"
    assert any(pattern.search(planted) for pattern in PATTERNS.values())
