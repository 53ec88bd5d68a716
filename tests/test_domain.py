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


# --- the 5341 clock with pauses --------------------------------------------------------------------------------------

T = datetime(2026, 11, 23, 23, 50)
M = timedelta(minutes=1)


def by_stage(found):
    return {c.stage: c for c in found}


def test_a_running_clock_shows_time_left_and_then_overdue_across_midnight():
    running = by_stage(response5341.clocks("ordinary", T, [], {}, T + 3 * M))
    assert set(running) == {"onsite", "resolve"}
    assert running["onsite"].state == "running" and running["onsite"].left == 2 * M
    assert running["resolve"].due_at == datetime(2026, 11, 24, 0, 20)
    late = by_stage(response5341.clocks("ordinary", T, [], {"onsite": T + 4 * M}, T + 31 * M))
    assert late["onsite"].state == "done" and late["resolve"].state == "overdue" and late["resolve"].left == -1 * M


def test_done_at_the_deadline_is_on_time_a_second_later_is_late():
    assert by_stage(response5341.clocks("ordinary", T, [], {"onsite": T + 5 * M}, T + 9 * M))["onsite"].state == "done"
    just_late = {"onsite": T + 5 * M + timedelta(seconds=1)}
    assert by_stage(response5341.clocks("ordinary", T, [], just_late, T + 9 * M))["onsite"].state == "done_late"


def test_a_pause_moves_the_deadline_by_the_time_waited():
    pauses = [response5341.Pause(T + 10 * M, T + 70 * M)]          # waited an hour for parts
    found = by_stage(response5341.clocks("ordinary", T, pauses, {"onsite": T + 3 * M}, T + 80 * M))
    assert found["resolve"].due_at == T + 90 * M and found["resolve"].state == "running"
    assert found["resolve"].left == 10 * M
    done = by_stage(response5341.clocks("ordinary", T, pauses, {"onsite": T + 3 * M, "resolve": T + 85 * M}, T + 99 * M))
    assert done["resolve"].state == "done"


def test_while_paused_the_clock_stands_still_and_says_how_much_is_left():
    pauses = [response5341.Pause(T + 10 * M, T + 20 * M), response5341.Pause(T + 25 * M, None)]
    found = by_stage(response5341.clocks("ordinary", T, pauses, {"onsite": T + 2 * M}, T + 500 * M))
    assert found["resolve"].state == "paused" and found["resolve"].due_at is None
    assert found["resolve"].left == 15 * M   # 30 allowed, 10 before the first pause and 5 between the two used


def test_a_pause_after_a_deadline_passed_does_not_rescue_it():
    pauses = [response5341.Pause(T + 40 * M, None)]
    found = by_stage(response5341.clocks("ordinary", T, pauses, {"onsite": T + 2 * M}, T + 60 * M))
    assert found["resolve"].state == "overdue" and found["resolve"].due_at == T + 30 * M


def test_a_stage_done_before_a_pause_is_not_affected_by_it():
    pauses = [response5341.Pause(T + 10 * M, T + 60 * M)]
    found = by_stage(response5341.clocks("major", T, pauses, {"onsite": T + 6 * M}, T + 90 * M))
    assert found["onsite"].state == "done_late"   # a minute late on site; waiting later does not change that
    assert found["resolve"].due_at == T + timedelta(hours=4) + 50 * M


def test_a_complex_issue_has_a_plan_stage_of_one_day():
    found = by_stage(response5341.clocks("complex", T, [], {"onsite": T + M}, T + 23 * timedelta(hours=1)))
    assert set(found) == {"onsite", "plan"} and found["plan"].due_at == T + timedelta(days=1)


@given(st.lists(st.tuples(st.integers(0, 600), st.integers(1, 120)), max_size=5), st.integers(1, 300))
def test_the_deadline_is_where_running_time_reaches_the_allowance(raw, allowed_minutes):
    """Running time (wall time minus waiting) from acceptance to the deadline equals the allowance."""
    pauses, moment = [], T
    for gap, length in sorted(raw):
        start = max(moment, T + gap * M)
        pauses.append(response5341.Pause(start, start + length * M))
        moment = start + length * M
    allowance = allowed_minutes * M
    due = response5341.due_with_pauses(T, allowance, pauses)
    assert due - T - response5341.paused_time(pauses, T, due) == allowance
