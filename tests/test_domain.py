"""Rules with no I/O: id numbers (GB 11643), phones, the hybrid logical clock, 5341 deadlines."""

from datetime import date, datetime, timedelta

import pytest
from hypothesis import given, strategies as st

from redstation.domain import idnumber, phone, response5341
from redstation.sync.hlc import HybridClock, parse_version

births = st.dates(min_value=date(1900, 1, 1), max_value=date(2025, 12, 31))
regions = st.sampled_from(["110101", "370102", "370181", "440305", "650102", "810000"])


def test_known_real_format_number():
    # The worked example of GB 11643-1999, appendix: 11010519491231002X (female, born 1949-12-31).
    parsed = idnumber.parse("11010519491231002X")
    assert parsed.birth_date == date(1949, 12, 31) and parsed.gender == "F"


@given(regions, births, st.integers(0, 499), st.sampled_from("MF"))
def test_made_numbers_parse_back_with_their_birth_date_and_sex(region, birth, seq, gender):
    number = idnumber.make(region, birth, seq, gender)
    parsed = idnumber.parse(number, today=date(2026, 1, 1))
    assert (parsed.number, parsed.birth_date, parsed.gender) == (number, birth, gender)


@given(regions, births, st.integers(0, 499), st.integers(0, 17), st.integers(1, 9))
def test_any_single_digit_change_is_caught(region, birth, seq, position, delta):
    number = idnumber.make(region, birth, seq, "M")
    chars = list(number)
    if chars[position] == "X":
        chars[position] = "0"
    else:
        chars[position] = str((int(chars[position]) + delta) % 10)
    with pytest.raises(idnumber.IdNumberError):
        idnumber.parse("".join(chars), today=date(2026, 1, 1))


@given(regions, births, st.integers(0, 499))
def test_swapping_two_different_neighbours_is_caught(region, birth, seq):
    number = idnumber.make(region, birth, seq, "F")
    for i in range(16):
        if number[i] != number[i + 1]:
            swapped = number[:i] + number[i + 1] + number[i] + number[i + 2:]
            with pytest.raises(idnumber.IdNumberError):
                idnumber.parse(swapped, today=date(2026, 1, 1))


def test_full_width_digits_spaces_and_lower_case_x_are_normalised():
    assert idnumber.parse("１１０１０５ １９４９１２３１ ００２x").number == "11010519491231002X"


def test_legacy_15_digit_number_is_upgraded():
    parsed = idnumber.parse("110105491231002")
    assert parsed.upgraded and parsed.number == "11010519491231002X" and parsed.birth_date == date(1949, 12, 31)


@pytest.mark.parametrize("text, says", [
    ("1101051949123100", "18"),                    # too short
    ("11010519491231002Y", "17"),                  # bad last character
    ("99010519491231002X", "990105"),               # no such region
    ("110105194913310028", "19491331"),              # month 13
    ("110105209912310020", "2099-12-31"),           # born in the future
    ("110105194912310021", "check"),                # wrong check character
])
def test_bad_numbers_say_what_is_wrong(text, says):
    from redstation import i18n
    i18n.set_language("en")
    try:
        with pytest.raises(idnumber.IdNumberError, match=says):
            idnumber.parse(text, today=date(2026, 1, 1))
    finally:
        i18n.set_language("zh_CN")


def test_masking_hides_the_middle():
    assert idnumber.mask("11010519491231002X") == "110105********002X"
    assert phone.mask("13812345678") == "138****5678"


@pytest.mark.parametrize("text", ["13812345678", "+86 138 1234 5678", "138-1234-5678", "0086 13812345678", "１３８１２３４５６７８"])
def test_mobile_numbers_in_every_usual_spelling(text):
    assert phone.normalize_mobile(text) == "13812345678"


@pytest.mark.parametrize("text", ["12812345678", "1381234567", "138123456789", "0531-88888888", "abc"])
def test_not_mobile_numbers(text):
    with pytest.raises(phone.PhoneError):
        phone.normalize_mobile(text)


def test_clock_is_monotonic_when_the_wall_clock_goes_back():
    wall = iter([1000.0, 1000.0, 999.0, 998.5, 1001.0])
    clock = HybridClock("A", wall=lambda: next(wall))
    versions = [clock.now() for _ in range(5)]
    assert versions == sorted(versions) and len(set(versions)) == 5
    assert parse_version(versions[-1])[:2] == (1001000, 0)


def test_clock_follows_a_station_whose_clock_runs_ahead():
    ahead = HybridClock("B", wall=lambda: 5000.0).now()
    behind = HybridClock("A", wall=lambda: 1000.0)
    behind.observe(ahead)
    assert behind.now() > ahead


def test_clock_resumes_after_the_last_version_it_saved():
    saved = HybridClock("A", wall=lambda: 2000.0).now()
    restarted = HybridClock("A", last=saved, wall=lambda: 1000.0)  # the PC's clock was set back
    assert restarted.now() > saved


def test_versions_compare_as_strings_in_time_order():
    a = HybridClock("A", wall=lambda: 9.999).now()
    b = HybridClock("A", wall=lambda: 10.0).now()
    assert a < b


def test_5341_deadlines():
    t = datetime(2026, 11, 23, 23, 50)
    ordinary = response5341.deadlines("ordinary", t)
    assert ordinary["onsite_due_at"] == t + timedelta(minutes=5)
    assert ordinary["resolve_due_at"] == datetime(2026, 11, 24, 0, 20)
    assert ordinary["plan_due_at"] is None
    assert response5341.deadlines("major", t)["resolve_due_at"] == t + timedelta(hours=4)
    complex_ = response5341.deadlines("complex", t)
    assert complex_["plan_due_at"] == t + timedelta(days=1) and complex_["resolve_due_at"] is None
