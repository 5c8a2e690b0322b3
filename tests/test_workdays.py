from datetime import date, timedelta

import pytest

from engine.workdays import (
    BRIDGE_DAYS,
    Norm,
    add_months,
    add_working_days,
    deadline,
    deadline_before,
    is_working_day,
    next_working_day,
    parse_norm,
    previous_working_day,
    public_holidays,
)

# Pinned by hand so that a change in the `holidays` package cannot silently move a deadline.
# Weekend holidays (Eerste paasdag, Eerste pinksterdag, a Christmas day on a Saturday) are
# listed too: feestdagen() names them even though they are not werkdagen anyway.
VRIJE_DAGEN = {
    2026: {
        date(2026, 1, 1): "Nieuwjaarsdag",
        date(2026, 1, 2): "Brugdag (koninklijk besluit)",
        date(2026, 4, 3): "Goede vrijdag",
        date(2026, 4, 5): "Eerste paasdag",
        date(2026, 4, 6): "Tweede paasdag",
        date(2026, 4, 27): "Koningsdag",
        date(2026, 5, 5): "Bevrijdingsdag",
        date(2026, 5, 14): "Hemelvaartsdag",
        date(2026, 5, 15): "Brugdag (koninklijk besluit)",
        date(2026, 5, 24): "Eerste pinksterdag",
        date(2026, 5, 25): "Tweede pinksterdag",
        date(2026, 12, 25): "Eerste kerstdag",
        date(2026, 12, 26): "Tweede kerstdag",
    },
    2027: {
        date(2027, 1, 1): "Nieuwjaarsdag",
        date(2027, 3, 26): "Goede vrijdag",
        date(2027, 3, 28): "Eerste paasdag",
        date(2027, 3, 29): "Tweede paasdag",
        date(2027, 4, 27): "Koningsdag",
        date(2027, 5, 5): "Bevrijdingsdag",
        date(2027, 5, 6): "Hemelvaartsdag",
        date(2027, 5, 7): "Brugdag (koninklijk besluit)",
        date(2027, 5, 16): "Eerste pinksterdag",
        date(2027, 5, 17): "Tweede pinksterdag",
        date(2027, 12, 25): "Eerste kerstdag",
        date(2027, 12, 26): "Tweede kerstdag",
    },
}


@pytest.mark.parametrize("year", [2026, 2027])
def test_feestdagen_pinned(year):
    assert dict(public_holidays(year)) == VRIJE_DAGEN[year]


@pytest.mark.parametrize("year", [2026, 2027])
def test_every_day_of_the_year(year):
    d = date(year, 1, 1)
    while d.year == year:
        verwacht = d.weekday() < 5 and d not in VRIJE_DAGEN[year]
        assert is_working_day(d) is verwacht, d
        d += timedelta(days=1)


def test_bridge_days_are_not_werkdagen():
    assert date(2028, 4, 28) in BRIDGE_DAYS
    for day in BRIDGE_DAYS:
        assert day.weekday() < 5
        assert not is_working_day(day)


def test_easter_2026():
    assert not is_working_day(date(2026, 4, 3))  # Goede Vrijdag
    assert not is_working_day(date(2026, 4, 6))  # Tweede Paasdag
    assert is_working_day(date(2026, 4, 2))
    assert is_working_day(date(2026, 4, 7))


def test_koningsdag():
    assert date(2026, 4, 27).weekday() == 0 and not is_working_day(date(2026, 4, 27))
    # 27 April 2025 is a Sunday, so Koningsdag is Saturday the 26th.
    assert public_holidays(2025)[date(2025, 4, 26)] == "Koningsdag"
    assert date(2025, 4, 27) not in public_holidays(2025)
    assert is_working_day(date(2025, 4, 28))


def test_bevrijdingsdag_every_year():
    assert not is_working_day(date(2026, 5, 5))  # not a lustrum year
    assert not is_working_day(date(2027, 5, 5))
    assert not is_working_day(date(2025, 5, 5))


def test_hemelvaart_and_bridge_day_2026():
    assert not is_working_day(date(2026, 5, 14))
    assert not is_working_day(date(2026, 5, 15))
    assert add_working_days(date(2026, 5, 13), 1) == date(2026, 5, 18)


def test_pinksteren_and_christmas_2026():
    assert not is_working_day(date(2026, 5, 25))
    assert not is_working_day(date(2026, 12, 25))
    assert public_holidays(2026)[date(2026, 12, 26)] == "Tweede kerstdag"  # a Saturday
    assert is_working_day(date(2026, 12, 24)) and is_working_day(date(2026, 12, 31))


def test_plus_werkdagen_across_easter_and_koningsdag():
    assert add_working_days(date(2026, 4, 2), 1) == date(2026, 4, 7)
    assert add_working_days(date(2026, 4, 24), 1) == date(2026, 4, 28)
    assert add_working_days(date(2026, 4, 24), 2) == date(2026, 4, 29)


def test_plus_werkdagen_across_christmas_and_new_year():
    # From Tue 22 Dec: 23, 24, (25 holiday, 26-27 weekend), 28, 29, 30.
    assert add_working_days(date(2026, 12, 22), 5) == date(2026, 12, 30)
    # From Mon 28 Dec: 29, 30, 31, (1 Jan holiday, 2-3 weekend), 4, 5.
    assert add_working_days(date(2026, 12, 28), 4) == date(2027, 1, 4)
    assert add_working_days(date(2026, 12, 28), 5) == date(2027, 1, 5)
    # 2 January 2026 is a bridge day: from 31 Dec 2025 the next werkdag is Mon 5 Jan.
    assert add_working_days(date(2025, 12, 31), 1) == date(2026, 1, 5)


def test_plus_werkdagen_zero_and_negative():
    assert add_working_days(date(2026, 4, 4), 0) == date(2026, 4, 4)
    with pytest.raises(ValueError):
        add_working_days(date(2026, 4, 4), -1)


def test_volgende_en_vorige_werkdag():
    assert next_working_day(date(2026, 4, 3)) == date(2026, 4, 7)
    assert next_working_day(date(2026, 4, 7)) == date(2026, 4, 7)
    assert previous_working_day(date(2026, 4, 6)) == date(2026, 4, 2)


def test_plus_maanden_clamps():
    assert add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert add_months(date(2028, 1, 31), 1) == date(2028, 2, 29)
    assert add_months(date(2026, 11, 30), 3) == date(2027, 2, 28)
    assert add_months(date(2026, 3, 31), -1) == date(2026, 2, 28)
    assert add_months(date(2026, 12, 15), 1) == date(2027, 1, 15)


@pytest.mark.parametrize(
    "tekst, norm",
    [
        ("10 werkdagen", Norm(10, "werkdagen")),
        ("5 werkdagen", Norm(5, "werkdagen")),
        ("8 weken", Norm(8, "weken")),
        ("6 weken", Norm(6, "weken")),
        ("3 weken", Norm(3, "weken")),
        ("4 weken", Norm(4, "weken")),
        ("3 maanden", Norm(3, "maanden")),
        ("12 maanden", Norm(12, "maanden")),
        ("1 jaar", Norm(1, "jaren")),
        ("10 dagen", Norm(10, "dagen")),
        ("5 dagen", Norm(5, "dagen")),
        ("1 werkdag", Norm(1, "werkdagen")),
        ("1 maand", Norm(1, "maanden")),
        ("  10   Werkdagen ", Norm(10, "werkdagen")),
        ("P3M", Norm(3, "maanden")),
        ("P8W", Norm(8, "weken")),
        ("P10D", Norm(10, "dagen")),
        ("P1Y", Norm(1, "jaren")),
    ],
)
def test_parse_norm(tekst, norm):
    assert parse_norm(tekst) == norm


@pytest.mark.parametrize(
    "tekst", ["", "tien werkdagen", "10", "10 uur", "P1Y2M", "PT5H", "-3 dagen", "3.5 weken", "P", "3 mnd"]
)
def test_parse_norm_errors(tekst):
    with pytest.raises(ValueError, match="Onbekende termijn"):
        parse_norm(tekst)


def test_deadline_werkdagen():
    # From Wed 1 April 2026: Goede Vrijdag and Tweede Paasdag are skipped.
    assert deadline(date(2026, 4, 1), "10 werkdagen") == date(2026, 4, 17)
    assert deadline(date(2026, 4, 4), "0 werkdagen") == date(2026, 4, 7)


def test_calendar_deadline_on_sunday_moves_to_monday():
    assert date(2026, 3, 22).weekday() == 6
    assert deadline(date(2026, 3, 12), "10 dagen") == date(2026, 3, 23)


def test_calendar_deadline_on_holiday_moves_to_next_werkdag():
    # 16 March + 6 weeks = Koningsdag 27 April.
    assert deadline(date(2026, 3, 16), "6 weken") == date(2026, 4, 28)
    assert deadline(date(2026, 3, 16), "P6W") == date(2026, 4, 28)


def test_deadline_months_clamp_then_move():
    # 30 Nov + 3 months = 28 Feb 2027 (a Sunday) → Monday 1 March.
    assert deadline(date(2026, 11, 30), "3 maanden") == date(2027, 3, 1)
    # 31 Jan + 1 month = 28 Feb 2026 (Saturday) → Monday 2 March.
    assert deadline(date(2026, 1, 31), "P1M") == date(2026, 3, 2)


def test_deadline_year_and_norm_object():
    assert deadline(date(2028, 2, 29), "1 jaar") == date(2029, 2, 28)
    assert deadline(date(2026, 6, 1), Norm(12, "maanden")) == date(2027, 6, 1)


def test_deadline_voor_moves_to_previous_werkdag():
    # RET meeting Tue 26 May 2026; 10 days before is Sat 16 May; 15 May is a bridge day and
    # 14 May Hemelvaart, so the Expertkaart is due Wednesday 13 May.
    assert deadline_before(date(2026, 5, 26), "10 dagen") == date(2026, 5, 13)
    assert deadline_before(date(2026, 6, 9), "10 dagen") == date(2026, 5, 29)
    assert deadline_before(date(2026, 6, 12), "10 dagen") == date(2026, 6, 2)  # a werkdag: unchanged
    # 7 April (1), then Tweede Paasdag and Goede Vrijdag are skipped, 2 April (2).
    assert deadline_before(date(2026, 4, 8), "2 werkdagen") == date(2026, 4, 2)


def test_a_norm_reads_back_as_written():
    assert str(parse_norm("10 werkdagen")) == "10 werkdagen"
    assert str(parse_norm("P3M")) == "3 maanden"
