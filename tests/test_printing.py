"""Printed documents: the round sheet and the visit log, read back with poppler (pdftotext, pdffonts, pdfinfo)."""

import json
import re
import subprocess
from datetime import date, datetime, timedelta

import pytest

from redstation import RedStationError
from redstation.cli import main
from redstation.printing import document
from redstation.printing.document import Document
from redstation.printing.visits import round_sheet, visit_log, visit_log_period
from redstation.services import register, station, visits
from redstation.services.session import Actor, Session

NOW = datetime(2026, 11, 24, 10, 0, 0)
H = timedelta(hours=1)


# --- reading PDFs back ------------------------------------------------------------------------------------------

def pdftext(path, page: int | None = None) -> str:
    pages = ["-f", str(page), "-l", str(page)] if page else []
    return subprocess.run(["pdftotext", "-layout", *pages, str(path), "-"], capture_output=True, text=True, check=True).stdout


def flat(path) -> str:
    """The text with all white space removed: cells wrap, so a long phrase may span lines in the layout."""
    return re.sub(r"\s+", "", pdftext(path))


def page_count(path) -> int:
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    return int(re.search(r"^Pages:\s+(\d+)", info, re.M).group(1))


def fonts(path) -> list[dict]:
    lines = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout.splitlines()[2:]
    found = []
    for line in lines:
        name, *rest = line.split()
        emb, sub, uni = rest[-5:-2]
        found.append({"name": name, "emb": emb})
    return found


def assert_fonts_embedded(path):
    used = fonts(path)
    assert used and all(f["emb"] == "yes" for f in used), used
    assert all("WenQuanYiMicroHei" in f["name"] for f in used), used


# --- a station with key households and every kind of visit ----------------------------------------------------------

def add_household(session, room, *people, building="3", phone=""):
    household_id = register.create_household(session, {"estate": "阳光花园", "building": building, "unit": "1", "room": room,
                                                       "phone": phone})
    for person in people:
        register.create_resident(session, household_id, person)
    return household_id


@pytest.fixture(scope="module")
def station_db(tmp_path_factory):
    """阳光服务站: three key households in the round, one visited recently, visits of every kind."""
    path = tmp_path_factory.mktemp("printing") / "station.db"
    with Session.open(path, Actor(None, "刘站长", "admin")) as s:
        station.init_station(s, "阳光服务站", "阳光社区", "幸福街道")
        zhang = add_household(s, "501", {"name": "张长锁", "birth_date": "1938-05-02", "care_categories": ["elderly_alone", "aged_80"],
                                         "care_notes": "耳背，家中使用燃气灶",
                                         "emergency_contacts": [{"name": "张伟", "relation": "儿子", "phone": "13800001234"}]},
                              phone="13911112222")
        li = add_household(s, "201", {"name": "李秀英", "birth_date": "1950-03-01", "care_categories": ["empty_nest"]},
                           {"name": "王建国", "birth_date": "1948-07-15", "relation": "spouse", "care_categories": ["veteran"],
                            "care_notes": "行动不便，需人搀扶"})
        zhao = add_household(s, "301", {"name": "赵六", "birth_date": "1944-01-09", "care_categories": ["elderly_alone"]})
        sun = add_household(s, "601", {"name": "孙八", "care_categories": ["veteran"]})
        add_household(s, "101", {"name": "钱七"})   # not a key household
        ids = {"zhang": zhang, "li": li, "zhao": zhao, "sun": sun}
        s.actor = Actor(None, "王保安", "guard")   # the guard logs the round's visits
        log = lambda household, when, **kw: visits.log_visit(s, ids[household], outcome=kw.pop("outcome", "normal"),  # noqa: E731
                                                             visited_at=when, now=kw.pop("now", when), **kw)
        log("li", NOW - 6 * 24 * H - 23 * H, notes="老两口精神很好")                   # empty-nest, every 7 days: due in an hour
        log("zhao", NOW - 26 * H)                                                      # daily: overdue by 2 hours
        log("sun", NOW - 3 * 24 * H, outcome="anomaly", finding="楼道堆放杂物", handling="on_site", notes="已清理")
        escalated = log("zhang", NOW - 30 * H, outcome="anomaly", finding="燃气灶阀门漏气", handling="escalated",
                        escalation={"kind": "repair", "severity": "major"})            # daily: overdue by 6 hours
        log("sun", NOW - 50 * H, now=NOW - 45 * H, notes="纸质巡查单补录")              # entered 5 hours late
        wrong = log("sun", NOW - 48 * H, notes="记错了户")["visit_id"]
        visits.correct_visit(s, wrong, household_id=zhao, notes="应为301户", now=NOW - 47 * H)
        mistake = log("sun", NOW - 40 * H)["visit_id"]
        visits.correct_visit(s, mistake, void=True, now=NOW - 39 * H)
        ids["ticket"] = escalated["ticket_number"]
    return path, ids


@pytest.fixture
def session(station_db):
    with Session.open(station_db[0], Actor(None, "王保安", "guard")) as s:
        yield s


# --- the round sheet -----------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def sheet(station_db, tmp_path_factory):
    out = tmp_path_factory.mktemp("sheet") / "巡查走访单.pdf"
    with Session.open(station_db[0], Actor(None, "王保安", "guard")) as s:
        made = round_sheet(s, out, now=NOW)
    return out, made


def test_round_sheet_lists_overdue_then_due_with_members_notes_and_contacts(sheet):
    out, made = sheet
    assert made == {"pages": 1, "households": 3, "overdue": 2, "due": 1}
    text = pdftext(out)
    for expected in ("阳光服务站", "巡查走访单", "2026年11月24日", "社区：阳光社区", "星期二",
                     "序号", "地址", "住户", "关爱事项", "紧急联系人", "应访", "已访", "走访时间", "情况 / 备注",
                     "张长锁 88岁 独居老人、高龄", "耳背，家中使用燃气灶", "紧急联系人：张伟（儿子）13800001234",
                     "电话 13911112222", "王建国 78岁 退役军人", "行动不便，需人搀扶", "逾期 6 小时", "逾期 2 小时", "上次",
                     "第 1 页 共 1 页", "巡查人（签名）：", "日期：______年____月____日"):
        assert expected in text, expected
    assert "应访重点户 3 户：逾期 2 户，到期 1 户" in text
    # overdue first (in address order: 3-1-301 before 3-1-501), then the due one
    order = [text.index(address) for address in ("阳光花园 3-1-301", "阳光花园 3-1-501", "阳光花园 3-1-201")]
    assert order == sorted(order)
    assert "3-1-601" not in text and "钱七" not in text      # visited lately; not a key household
    assert "今日 11:00 前" in text                              # the empty-nest household is due at 11:00


def test_every_pdf_embeds_its_font(sheet, tmp_path, session):
    assert_fonts_embedded(sheet[0])
    visit_log(session, tmp_path / "log.pdf", start=date(2026, 11, 1), end=date(2026, 11, 24), now=NOW)
    assert_fonts_embedded(tmp_path / "log.pdf")
    info = subprocess.run(["pdfinfo", str(sheet[0])], capture_output=True, text=True).stdout
    assert "841.89 x 595.276 pts (A4)" in info                 # landscape A4


def test_round_sheet_for_another_day_is_reckoned_at_eight_in_the_morning(session, tmp_path):
    made = round_sheet(session, tmp_path / "r.pdf", day=date(2026, 11, 25), now=NOW)   # tomorrow's round
    assert made["households"] == made["overdue"] == 3   # by 08:00 tomorrow the due household is overdue too
    text = pdftext(tmp_path / "r.pdf")
    assert "2026年11月25日" in text and "2026-11-25 08:00" in text and "逾期 21 小时" in text


def test_an_empty_round_still_prints_a_sheet_that_says_so(tmp_path):
    with Session.open(tmp_path / "empty.db", Actor.command_line()) as s:
        station.init_station(s, "空站", "空社区")
        made = round_sheet(s, tmp_path / "r.pdf", now=NOW)
    text = pdftext(tmp_path / "r.pdf")
    assert made == {"pages": 1, "households": 0, "overdue": 0, "due": 0}
    assert "没有到期或逾期的重点户" in text and "巡查人（签名）" in text and "第 1 页 共 1 页" in text
    assert "序号" not in text


def test_a_long_round_runs_over_pages_with_the_header_row_on_each(tmp_path):
    with Session.open(tmp_path / "big.db", Actor.command_line()) as s:
        station.init_station(s, "阳光服务站", "阳光社区")
        for n in range(40):
            household_id = add_household(s, "{n}01".format(n=n + 1), {
                "name": "住户{n}".format(n=n), "birth_date": "1940-01-01", "care_categories": ["elderly_alone"],
                "care_notes": "独居，子女在外地",
                "emergency_contacts": [{"name": "联系人{n}".format(n=n), "relation": "女儿", "phone": "13800001234"}]},
                building=str(n // 10 + 1))
            visits.log_visit(s, household_id, outcome="normal", visited_at=NOW - 30 * H, now=NOW - 30 * H)
        made = round_sheet(s, tmp_path / "big.pdf", now=NOW)
    pages = page_count(tmp_path / "big.pdf")
    assert made["households"] == 40 and made["pages"] == pages >= 3
    for page in range(1, pages + 1):
        text = pdftext(tmp_path / "big.pdf", page)
        assert "关爱事项 / 紧急联系人" in text and "走访时间" in text, page            # the header row repeats
        assert "第 {n} 页 共 {total} 页".format(n=page, total=pages) in text
        assert "阳光服务站" in text and "巡查走访单" in text
    assert "巡查人（签名）" in pdftext(tmp_path / "big.pdf", pages)
    assert all("住户{n}".format(n=n) in flat(tmp_path / "big.pdf") for n in range(40))


# --- the visit log ------------------------------------------------------------------------------------------------

def test_visit_log_shows_every_entry_with_corrections_voids_and_totals(session, station_db, tmp_path):
    out = tmp_path / "log.pdf"
    made = visit_log(session, out, start=date(2026, 11, 1), end=date(2026, 11, 24), now=NOW)
    text, squeezed = pdftext(out), flat(out)
    assert made["rows"] == 9 and made["visits"] == 6 and made["anomalies"] == 2 and made["escalated"] == 1
    assert (made["late"], made["corrected"], made["voided"]) == (1, 1, 1)
    for expected in ("走访记录表", "阳光服务站", "2026年11月1日 至 2026年11月24日", "期间：", "序号", "走访时间", "走访对象",
                     "走访人", "情况", "发现问题", "处置", "备注", "王保安", "正常", "异常", "现场处置", "上报",
                     "燃气灶阀门漏气", "楼道堆放杂物", "（补录）", "第 1 页 共 1 页", "制表人（签名）", "审核人（签名）"):
        assert expected in text, expected
    assert "工单" + station_db[1]["ticket"] in squeezed
    assert "李秀英、王建国" in squeezed or "王建国、李秀英" in squeezed
    # the wrong door: struck and marked, the correction marked; the voided one likewise
    assert re.search(r"已更正（见第\d+条）", squeezed) and re.search(r"更正第\d+条", squeezed)
    assert re.search(r"已作废（见第\d+条）", squeezed) and re.search(r"作废第\d+条", squeezed)
    assert "合计：走访6次，涉及4户；发现异常2次，其中上报1次；补录1次。" in squeezed
    assert "更正1条、作废1条" in squeezed


def test_visit_log_rows_are_oldest_first_and_numbered(session, tmp_path):
    out = tmp_path / "log.pdf"
    visit_log(session, out, start=date(2026, 11, 1), end=date(2026, 11, 24), now=NOW)
    days = re.findall(r"^\s*(?:\d+\s+)?2026-11-(\d\d)\s", pdftext(out), re.M)   # the day of each entry, its time below
    assert days == sorted(days) and len(days) == 9
    assert re.findall(r"^\s+(\d+)\s+(?:\d\d:\d\d\s+)?阳光花园", pdftext(out), re.M) == [str(n) for n in range(1, 10)]


def test_visit_log_of_one_household_names_it_in_the_header(session, station_db, tmp_path):
    out = tmp_path / "one.pdf"
    made = visit_log(session, out, start=None, end=None, household_id=station_db[1]["zhang"], now=NOW)
    text = pdftext(out)
    assert made["rows"] == 1 and "住户：阳光花园 3-1-501" in text and "燃气灶阀门漏气" in text
    assert "2026年11月1日 至 2026年11月24日" in text       # the default period: this month up to today
    with pytest.raises(RedStationError, match="没有编号为 nope 的住户"):
        visit_log(session, tmp_path / "x.pdf", start=None, end=None, household_id="nope", now=NOW)
    assert not (tmp_path / "x.pdf").exists()


def test_visit_log_period_ends_inclusive_and_says_when_empty(session, tmp_path):
    made = visit_log(session, tmp_path / "day.pdf", start=date(2026, 11, 22), end=date(2026, 11, 22), now=NOW)
    assert made["rows"] == 5 and "2026年11月22日" in pdftext(tmp_path / "day.pdf")   # 08:00, 10:00 and 18:00 with corrections
    made = visit_log(session, tmp_path / "none.pdf", start=date(2026, 10, 1), end=date(2026, 10, 31), now=NOW)
    assert made["rows"] == 0 and "本期没有走访记录" in pdftext(tmp_path / "none.pdf")


def test_visit_log_period_defaults():
    today = date(2026, 11, 24)
    assert visit_log_period(None, None, today) == (date(2026, 11, 1), today)
    assert visit_log_period(None, date(2026, 10, 15), today) == (date(2026, 10, 1), date(2026, 10, 15))
    assert visit_log_period(date(2026, 11, 3), None, today) == (date(2026, 11, 3), today)
    with pytest.raises(RedStationError, match="晚于"):
        visit_log_period(date(2026, 11, 5), date(2026, 11, 4), today)


def test_each_print_is_in_the_audit_log_with_counts_only(station_db, tmp_path):
    with Session.open(station_db[0], Actor(None, "王保安", "guard")) as s:
        round_sheet(s, tmp_path / "r.pdf", now=NOW)
        visit_log(s, tmp_path / "v.pdf", start=None, end=None, household_id=station_db[1]["zhang"], now=NOW)
        rows = s.conn.execute("SELECT action, user_name, record_id, detail FROM audit_log WHERE action LIKE 'print.%' "
                              "ORDER BY seq DESC LIMIT 2").fetchall()
    log, sheet = rows
    assert sheet["action"] == "print.round_sheet" and sheet["user_name"] == "王保安"
    assert json.loads(sheet["detail"]) == {"date": "2026-11-24", "pages": 1, "households": 3, "overdue": 2, "due": 1}
    assert log["action"] == "print.visit_log" and log["record_id"] == station_db[1]["zhang"]
    for row in rows:
        assert not re.search(r"[\u4e00-\u9fff]", row["detail"])   # no names, addresses or notes


# --- the builder -------------------------------------------------------------------------------------------------

def test_a_failed_print_leaves_the_old_file_and_no_half_pdf(tmp_path):
    out = tmp_path / "doc.pdf"
    out.write_bytes(b"the previous print")

    class Broken(document.Flowable):
        def wrap(self, width, height):
            return width, 10

        def draw(self):
            raise OSError("disk full")

    doc = Document("测试", station="站", period="今天")
    doc.title_block()
    doc.add(Broken())
    with pytest.raises(RedStationError, match="disk full"):
        doc.write(out)
    assert out.read_bytes() == b"the previous print"
    assert [p.name for p in tmp_path.iterdir()] == ["doc.pdf"]
    with pytest.raises(RedStationError, match="无法写入"):
        Document("测试", station="站").write(tmp_path / "missing" / "doc.pdf")


def test_builder_wraps_chinese_in_cells_and_splits_a_row_taller_than_a_page(tmp_path):
    doc = Document("测试表", station="站", period="2026年11月", landscape=False)
    doc.title_block(None, "副标题")
    rows = [["1", "短", "甲"], ["2", "很长的备注。" * 600, "乙"], ["3", "<b>不是标记</b> & 符号", "丙"]]
    doc.table(["序号", "内容", "备注"], rows, [1, 8, 2], centred=(0,))
    doc.signatures("记录人", "主持人")
    pages = doc.write(tmp_path / "t.pdf")
    squeezed = flat(tmp_path / "t.pdf")
    assert pages == page_count(tmp_path / "t.pdf") >= 3
    assert squeezed.count("长") == 600                          # nothing lost where the row was split
    assert "<b>不是标记</b>&符号" in squeezed                      # text is text, not markup
    assert "记录人（签名）" in squeezed and "主持人（签名）" in squeezed
    assert "595.276 x 841.89 pts (A4)" in subprocess.run(["pdfinfo", str(tmp_path / "t.pdf")], capture_output=True, text=True).stdout
    assert_fonts_embedded(tmp_path / "t.pdf")


# --- the command line ----------------------------------------------------------------------------------------------

def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_prints_the_round_sheet_and_the_visit_log(capsys, station_db, tmp_path):
    db = station_db[0]
    code, out, err = run(capsys, "--db", db, "print", "round-sheet", tmp_path / "r.pdf", "--date", "2026-11-24")
    assert code == 0 and err == "" and str(tmp_path / "r.pdf") in out and "页" in out
    assert "巡查走访单" in pdftext(tmp_path / "r.pdf")
    code, out, err = run(capsys, "--db", db, "print", "visits", tmp_path / "v.pdf", "--from", "2026-11-01", "--to", "2026-11-24")
    assert code == 0 and err == "" and "9 条记录" in out and "1 页" in out
    code, out, err = run(capsys, "--db", db, "print", "visits", tmp_path / "h.pdf", "--from", "2026-11-01", "--to", "2026-11-24",
                         "--household", station_db[1]["li"])
    assert code == 0 and "住户：阳光花园 3-1-201" in pdftext(tmp_path / "h.pdf")


@pytest.mark.parametrize("argv", [
    ["print", "round-sheet", "r.pdf", "--date", "2026-13-01"],
    ["print", "round-sheet", "r.pdf", "--date", "24.11.2026"],
    ["print", "visits", "v.pdf", "--from", "yesterday"],
    ["print", "visits", "v.pdf", "--from", "2026-11-10", "--to", "2026-11-01"],
    ["print", "visits"],
    ["print"],
    ["print", "poster", "p.pdf"],
])
def test_cli_print_usage_errors_exit_2(capsys, station_db, tmp_path, argv):
    code, _out, err = run(capsys, "--db", station_db[0], *[tmp_path / a if a.endswith(".pdf") else a for a in argv])
    assert code == 2 and "usage" in err
    assert not list(tmp_path.glob("*.pdf"))


def test_cli_from_after_to_says_so(capsys, station_db, tmp_path):
    _code, _out, err = run(capsys, "--db", station_db[0], "print", "visits", tmp_path / "v.pdf",
                           "--from", "2026-11-10", "--to", "2026-11-01")
    assert "--from 2026-11-10 晚于 --to 2026-11-01" in err


def test_cli_refusals_exit_1_with_one_line(capsys, station_db, tmp_path):
    code, out, err = run(capsys, "--db", station_db[0], "print", "visits", tmp_path / "v.pdf", "--household", "no-such-id")
    assert code == 1 and out == "" and err.count("\n") == 1 and "no-such-id" in err
    with Session.open(tmp_path / "bare.db", Actor.command_line()):
        pass   # a database without a station
    code, out, err = run(capsys, "--db", tmp_path / "bare.db", "print", "round-sheet", tmp_path / "r.pdf")
    assert code == 1 and err.count("\n") == 1 and "init" in err
    code, out, err = run(capsys, "--db", tmp_path / "missing.db", "print", "round-sheet", tmp_path / "r.pdf")
    assert code == 1 and err.count("\n") == 1 and not (tmp_path / "missing.db").exists()
    code, out, err = run(capsys, "--db", station_db[0], "print", "round-sheet", tmp_path / "nowhere" / "r.pdf")
    assert code == 1 and err.count("\n") == 1 and "无法写入" in err and "Traceback" not in err
    assert not list(tmp_path.glob("*.pdf"))
