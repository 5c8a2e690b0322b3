"""The web UI's words for dates, moments, numbers and case facts: Amsterdam days, Dutch month
names, and text that is no date shown as it is instead of an error page."""

from __future__ import annotations

from datetime import UTC, date, datetime

from engine.casefacts import display
from webapi.ui.charts import CASES, DAYS, bar_chart
from webapi.ui.filters import date_nl, fact_text, moment_nl, number_nl, percent_nl, short_date

LATE_EVENING = datetime(2026, 9, 30, 22, 30, tzinfo=UTC)  # 1 October 00:30 in Amsterdam


def test_dates_and_moments_are_amsterdam_days_in_dutch():
    assert date_nl(date(2026, 10, 1)) == "1 oktober 2026"
    assert date_nl("2026-10-01") == short_date("2026-10-01").replace("okt", "oktober")
    assert short_date(LATE_EVENING) == "1 okt 2026"
    assert date_nl(LATE_EVENING.isoformat()) == "1 oktober 2026"
    assert moment_nl(LATE_EVENING) == "1 okt 2026 00:30"
    assert (date_nl(None), short_date(""), moment_nl(None)) == ("", "", "")


def test_text_that_is_no_date_is_shown_as_it_is():
    assert short_date("morgen") == "morgen"
    assert date_nl("2026-13-45") == "2026-13-45"
    assert moment_nl("ooit") == "ooit"


def test_numbers_and_shares_the_dutch_way():
    assert (number_nl(1234.5, 1), number_nl(None), percent_nl(0.812), percent_nl(None)) == ("1.234,5", "–", "81%", "–")


def test_case_facts_stay_data_in_the_engine_and_become_words_here():
    field = {"type": "object", "properties": {
        "begin": {"type": "string", "format": "date", "title": "Begindatum"},
        "soort": {"type": "string", "oneOf": [{"const": "ots", "title": "Ondertoezichtstelling"}]},
        "akkoord": {"type": "boolean"},
    }}
    value = display(field, {"begin": "2026-10-01", "soort": "ots", "akkoord": True, "leeg": ""}, lambda key: None)
    assert value == {"Begindatum": date(2026, 10, 1), "Soort": "Ondertoezichtstelling", "Akkoord": True}
    assert fact_text(value) == "Begindatum: 1 oktober 2026; Soort: Ondertoezichtstelling; Akkoord: Ja"
    assert display({"format": "date"}, "binnenkort", lambda key: None) == "binnenkort"
    assert fact_text([False, 3, date(2027, 1, 2)]) == "Nee, 3, 2 januari 2027"


def test_charts_count_one_casus_and_more_casussen():
    chart = bar_chart("Uitkomst", [("Uitval", 1, None), ("Doelen behaald", 2, None), ("Niets", 0, None)], CASES)
    assert [bar.text for bar in chart.bars] == ["1 casus", "2 casussen", "0 casussen"]
    waits = bar_chart("Wachttijd", [("Stap", 1.0, 1.0)], DAYS, marker_label="p90")
    assert (waits.bars[0].text, waits.bars[0].marker_text) == ("1 dag (p90 1)", "1 dag")
