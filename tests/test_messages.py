"""The message catalogue: complete in both languages, the right terms, honest rounding."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from siting.messages import (
    MESSAGES,
    Lifts,
    Text,
    fields_of,
    floor_percent,
    ownership,
    solver_status,
    text,
    wan,
)

CJK = re.compile(r"[\u3400-\u9fff]")
#: Entries whose Chinese text is deliberately not Chinese: the switch names the other language;
#: a list of names after its noun is fields only.
NOT_CHINESE = {"page.language", "word.none", "input.choices"}


@pytest.mark.parametrize("key", sorted(MESSAGES))
def test_every_message_has_both_languages_and_the_same_fields(key: str) -> None:
    zh, en = MESSAGES[key]
    assert en.strip(), key
    assert fields_of(zh) == fields_of(en), key
    if key not in NOT_CHINESE:
        assert CJK.search(zh), f"{key}: no Chinese in {zh!r}"
        assert "人次" not in zh, "人次 means visits; count residents in 人数"


def test_money_is_in_wan_yuan() -> None:
    headers = [t for k, t in MESSAGES.items() if k.endswith("_wan")]
    assert headers
    assert all("万元" in t.zh and "10,000 yuan" in t.en for t in headers)
    assert wan(7_995_000) == "799.5"
    assert wan(None) == "—"


def test_fields_of_each_language_are_filled() -> None:
    line = text("summary.tier_after", tier=Text("提升型", "Improved"))
    assert line == Text("提升型及以上生活圈(前→后)", "Improved or higher circles (before → after)")


@given(st.floats(min_value=0, max_value=1, allow_nan=False))
def test_a_share_below_its_target_never_prints_as_the_target(share: float) -> None:
    for target in (0.5, 0.8, 0.9):
        if share < target:
            assert float(floor_percent(share).rstrip("%")) < 100 * target


def test_exact_shares_keep_their_value() -> None:
    assert floor_percent(0.8) == "80%"
    assert floor_percent(0.29) == "29%"
    assert floor_percent(0.7996) == "79%"
    assert floor_percent(0.2892, 1) == "28.9%"


def test_solver_status_in_chinese_rounds_the_gap_up() -> None:
    line = solver_status("feasible", 0.02994, 12.34)
    assert line.zh == "可行解(未证明最优) · 与最优上界差距 ≤ 3.00% · 用时 12.3 秒"
    assert line.en == "feasible (not proven optimal) · gap to the proven bound ≤ 3.00% · 12.3 s"
    assert CJK.search(solver_status("optimal", 0.0, 1.0).zh)
    assert "status" not in solver_status("infeasible", float("inf"), 1.0).en


def test_with_the_tier_objective_the_solver_line_leads_with_the_lifts() -> None:
    """The coverage gap under an unproven lifting level says nothing a planner can use: it is
    left out until the lifting level is proven."""
    unproven = solver_status("feasible", 9.375, 9.7, Lifts(17, 16, False))
    assert unproven.zh == ("可行解(未证明最优) · 期末 17 个社区提升一级"
                           "(逐个按最省投资提升可达 16 个) · 用时 9.7 秒")
    assert "17 communities lifted a tier" in unproven.en
    assert "gap" not in unproven.en
    proven = solver_status("feasible", 0.0123, 9.7, Lifts(17, 16, True, 17))
    assert "覆盖率与最优上界差距 ≤ 1.23%" in proven.zh
    assert "coverage gap to the proven bound ≤ 1.23%" in proven.en
    assert "至多" not in proven.zh
    assert "more than" not in proven.en


def test_an_unproven_lifting_level_says_the_most_any_plan_lifts() -> None:
    """While the lifting level is not proven optimal, the line says how many communities no
    plan within the budget can exceed, when a bound proves it."""
    line = solver_status("feasible", 9.375, 9.7, Lifts(17, 16, False, 32))
    assert line.zh == ("可行解(未证明最优) · 期末 17 个社区提升一级"
                       "(已证明任何方案至多 32 个;逐个按最省投资提升可达 16 个) · 用时 9.7 秒")
    assert line.en == ("feasible (not proven optimal) · 17 communities lifted a tier by the end "
                       "(no plan within the budget lifts more than 32, proven; one by one at "
                       "least cost: 16) · 9.7 s")


def test_ownership_vocabulary() -> None:
    assert ownership("state/collective") == Text("国有/集体", "state/collective")
    assert ownership("private") == Text("私有", "private")
    assert ownership("村委会") == Text("村委会", "村委会")
    assert ownership("") == Text("", "")
