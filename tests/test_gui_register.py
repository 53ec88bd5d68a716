"""The register page, its forms and the search box, with real widgets offscreen.

Chinese goes into widgets with setText (qtbot.keyClicks with a Chinese character aborts
the process); ASCII is typed with keyClicks.
"""

import os
from datetime import date

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest  # noqa: E402
from PySide6.QtCore import Qt  # noqa: E402

from redstation.domain import idnumber  # noqa: E402
from redstation.gui.forms import HouseholdDialog, ResidentDialog  # noqa: E402
from redstation.gui.main_window import build_main_window  # noqa: E402
from redstation.gui.models import PENDING  # noqa: E402
from redstation.services import demo, register, users  # noqa: E402
from redstation.services.session import Actor, Session  # noqa: E402
from redstation.store import queries  # noqa: E402

WAIT_MS = 10_000
ID_1949 = idnumber.make("370102", date(1949, 10, 1), 12, "M")


@pytest.fixture
def register_db(db_path):
    with Session.open(db_path, Actor.command_line()) as session:
        demo.generate(session, 40, seed=3)
        household = register.create_household(session, {"estate": "阳光花园", "building": "9号楼", "unit": "1", "room": "304"})
        register.create_resident(session, household, {"name": "张长锁", "id_number": ID_1949, "phone": "13912345678",
                                                      "care_categories": ["elderly_alone"], "care_notes": "耳背，说话要大声",
                                                      "emergency_contacts": [{"name": "张小明", "relation": "儿子",
                                                                              "phone": "13800001111"}]})
    return db_path


@pytest.fixture
def window(qtbot, register_db):
    session = Session.open(register_db, Actor.command_line())
    session.actor = users.first_admin(session)
    win = build_main_window(session)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    yield win
    win.taskman.shutdown()
    session.close()


def db_count(path, sql, *params):
    with Session.open(path, Actor.command_line()) as session:
        return session.conn.execute(sql, params).fetchone()[0]


def open_register(qtbot, win):
    win.show_page(win.pages.index(win.register))
    page = win.register
    qtbot.waitUntil(lambda: not page.model().loading and page.model().rowCount() > 0, timeout=WAIT_MS)
    return page


def cell(model, row, column):
    return model.data(model.index(row, column))


def wait_for_rows(qtbot, model, row):
    model.row(row)
    qtbot.waitUntil(lambda: cell(model, row, 0) != PENDING, timeout=WAIT_MS)


# --- the tables --------------------------------------------------------------------------------------------

def test_register_shows_every_household_and_resident_and_filters(qtbot, window, register_db):
    page = open_register(qtbot, window)
    households = db_count(register_db, "SELECT count(*) FROM households WHERE deleted = 0")
    assert page.model().rowCount() == households
    assert page.count.text() == "共 {n} 户".format(n=households)

    page.tabs.setCurrentIndex(1)
    qtbot.waitUntil(lambda: not page.model().loading and page.model().rowCount() > 0, timeout=WAIT_MS)
    residents = db_count(register_db, "SELECT count(*) FROM residents WHERE deleted = 0")
    assert page.model().rowCount() == residents

    page.category.setCurrentIndex(page.category.findData("elderly_alone"))
    qtbot.waitUntil(lambda: not page.model().loading, timeout=WAIT_MS)
    alone = db_count(register_db, "SELECT count(*) FROM residents WHERE deleted = 0 AND care_categories LIKE '%elderly_alone%'")
    assert page.model().rowCount() == alone > 0
    for row in range(alone):
        wait_for_rows(qtbot, page.model(), row)
        assert "独居老人" in cell(page.model(), row, 7)


def test_filter_by_estate_and_building(qtbot, window, register_db):
    page = open_register(qtbot, window)
    qtbot.waitUntil(lambda: page.estate.count() > 2, timeout=WAIT_MS)
    page.estate.setCurrentIndex(page.estate.findData("阳光花园"))
    qtbot.waitUntil(lambda: page.building.findData("9") >= 0, timeout=WAIT_MS)
    page.building.setCurrentIndex(page.building.findData("9"))
    qtbot.waitUntil(lambda: not page.model().loading and page.model().rowCount() == 1, timeout=WAIT_MS)
    wait_for_rows(qtbot, page.model(), 0)
    assert cell(page.model(), 0, 0) == "阳光花园 9-1-304"
    assert cell(page.model(), 0, 1) == "张长锁"


def test_the_paged_model_passes_qt_model_tests(qtbot, qtmodeltester, window):
    page = open_register(qtbot, window)
    qtmodeltester.check(page.model())


def test_ids_and_phones_are_masked_in_the_resident_table(qtbot, window):
    page = open_register(qtbot, window)
    page.tabs.setCurrentIndex(1)
    qtbot.waitUntil(lambda: not page.model().loading and page.model().rowCount() > 0, timeout=WAIT_MS)
    model = page.model()
    for row in range(model.rowCount()):
        wait_for_rows(qtbot, model, row)
        if cell(model, row, 0) == "张长锁":
            assert cell(model, row, 5) == "139****5678"
            assert cell(model, row, 6) == ID_1949[:6] + "********" + ID_1949[-4:]
            break
    else:
        pytest.fail("张长锁 is not in the resident table")


def test_choosing_a_household_shows_its_members_care_notes_and_contacts(qtbot, window):
    page = open_register(qtbot, window)
    page.estate.setCurrentIndex(page.estate.findData("阳光花园"))
    qtbot.waitUntil(lambda: page.building.findData("9") >= 0, timeout=WAIT_MS)
    page.building.setCurrentIndex(page.building.findData("9"))
    qtbot.waitUntil(lambda: not page.model().loading and page.model().rowCount() == 1, timeout=WAIT_MS)
    wait_for_rows(qtbot, page.model(), 0)
    page.table.setFocus()
    page.table.selectRow(0)
    qtbot.waitUntil(lambda: page.panel.view is not None, timeout=WAIT_MS)
    assert page.panel.title.text() == "阳光花园 9-1-304"
    assert page.panel.members.item(0, 0).text() == "张长锁"
    assert page.panel.members.item(0, 4).text() == "独居老人"
    details = page.panel.details.text()
    assert "耳背，说话要大声" in details and "张小明" in details and "138****1111" in details


# --- the forms ----------------------------------------------------------------------------------------------

def test_new_household_form_validates_and_saves_normalised(qtbot, window, register_db):
    dialog = HouseholdDialog(window.taskman, estates=["阳光花园"], parent=window)
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.estate.currentText() == "阳光花园"
    qtbot.keyClicks(dialog.building, "12")
    qtbot.keyClick(dialog.building, Qt.Key.Key_Return)
    assert dialog.message.isVisible() and "房号" in dialog.message.text()
    assert dialog.room.property("invalid") is True
    qtbot.keyClicks(dialog.room, "1203")
    assert not dialog.message.isVisible()
    qtbot.keyClicks(dialog.phone, "1391234")
    assert "不是电话号码" in dialog.message.text()
    qtbot.keyClicks(dialog.phone, "5678")
    before = db_count(register_db, "SELECT count(*) FROM households")
    qtbot.keyClick(dialog.phone, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: dialog.result_id is not None, timeout=WAIT_MS)
    assert db_count(register_db, "SELECT count(*) FROM households") == before + 1
    assert db_count(register_db, "SELECT floor FROM households WHERE id = ?", dialog.result_id) == 12


def test_a_household_address_registered_already_is_refused_in_the_form(qtbot, window, register_db):
    dialog = HouseholdDialog(window.taskman, estates=["阳光花园"], parent=window)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.building.setText("9栋")
    qtbot.keyClicks(dialog.unit, "1")
    qtbot.keyClicks(dialog.room, "304")
    before = db_count(register_db, "SELECT count(*) FROM households")
    qtbot.keyClick(dialog.room, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: "已登记" in dialog.message.text(), timeout=WAIT_MS)
    assert dialog.isVisible() and dialog.result_id is None
    assert db_count(register_db, "SELECT count(*) FROM households") == before


def resident_dialog(qtbot, window, register_db, current=None):
    household = db_count(register_db, "SELECT id FROM households WHERE building = '9' AND room = '304'")
    dialog = ResidentDialog(window.taskman, household, "阳光花园 9-1-304", current, parent=window)
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog


def test_resident_form_reads_the_id_number_as_it_is_typed(qtbot, window, register_db):
    dialog = resident_dialog(qtbot, window, register_db)
    dialog.name.setText("李秀英")
    woman = idnumber.make("370102", date(1952, 3, 8), 7, "F")
    dialog.id_number.setFocus()
    qtbot.keyClicks(dialog.id_number, woman[:10])
    assert dialog.id_hint.text() == "已输入 10 位，共 18 位" and not dialog.message.isVisible()
    wrong = woman[:17] + ("1" if woman[17] != "1" else "2")
    qtbot.keyClicks(dialog.id_number, wrong[10:])
    assert "校验" in dialog.message.text() and dialog.id_number.property("invalid") is True
    qtbot.keyClick(dialog.id_number, Qt.Key.Key_Backspace)
    qtbot.keyClicks(dialog.id_number, woman[17])
    assert dialog.id_hint.text() == "1952-03-08 出生，女"
    assert dialog.birth.text() == "1952-03-08" and dialog.gender.currentData() == "F"
    assert not dialog.message.isVisible()

    dialog.birth.setFocus()
    dialog.birth.selectAll()
    qtbot.keyClicks(dialog.birth, "1953-03-08")
    assert "与身份证号中的 1952-03-08 不符" in dialog.message.text()
    dialog.birth.selectAll()
    qtbot.keyClicks(dialog.birth, "1952.3.8")
    assert not dialog.message.isVisible()
    qtbot.keyClicks(dialog.phone, "+86 138-0000-2222")
    qtbot.keyClick(dialog.phone, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: dialog.result_id is not None, timeout=WAIT_MS)
    with Session.open(register_db, Actor.command_line()) as session:
        saved = register.resident(session.conn, dialog.result_id)
    assert (saved["id_number"], saved["birth_date"], saved["gender"], saved["phone"]) == (woman, "1952-03-08", "F", "13800002222")


def test_escape_cancels_the_resident_form_and_saves_nothing(qtbot, window, register_db):
    dialog = resident_dialog(qtbot, window, register_db)
    dialog.name.setText("王五")
    before = db_count(register_db, "SELECT count(*) FROM residents")
    qtbot.keyClick(dialog.name, Qt.Key.Key_Escape)
    assert not dialog.isVisible()
    assert db_count(register_db, "SELECT count(*) FROM residents") == before


def test_an_id_number_registered_to_someone_else_is_refused(qtbot, window, register_db):
    dialog = resident_dialog(qtbot, window, register_db)
    dialog.name.setText("王五")
    qtbot.keyClicks(dialog.id_number, ID_1949)
    qtbot.keyClick(dialog.id_number, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: "已登记为 张长锁" in dialog.message.text(), timeout=WAIT_MS)
    assert dialog.result_id is None and dialog.isVisible()


def test_editing_a_resident_changed_meanwhile_is_refused(qtbot, window, register_db):
    with Session.open(register_db, Actor.command_line()) as session:
        resident_id = session.conn.execute("SELECT id FROM residents WHERE name = '张长锁'").fetchone()[0]
        current = register.resident(session.conn, resident_id)
        dialog = resident_dialog(qtbot, window, register_db, current)
        assert dialog.id_number.text() == ID_1949 and "耳背" in dialog.care_notes.text()
        assert dialog.categories["elderly_alone"].isChecked()
        register.edit_resident(session, resident_id, {"phone": "13700000000"})  # another user, meanwhile
    qtbot.keyClicks(dialog.notes, "x")
    qtbot.keyClick(dialog.notes, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: "其他人修改" in dialog.message.text(), timeout=WAIT_MS)
    assert db_count(register_db, "SELECT phone FROM residents WHERE id = ?", resident_id) == "13700000000"


# --- the search box -------------------------------------------------------------------------------------------

def test_search_box_finds_by_initials_and_opens_the_household(qtbot, window):
    window.focus_search()
    qtbot.keyClicks(window.search, "zcs")
    qtbot.waitUntil(lambda: window.search.results.isVisible() and bool(window.search.items), timeout=WAIT_MS)
    texts = [window.search.results.item(i).text() for i in range(window.search.results.count())]
    assert any(text.startswith("张长锁") and "阳光花园 9-1-304" in text and "139****5678" in text for text in texts)
    row = next(i for i, item in enumerate(window.search.items) if item["name"] == "张长锁")
    for _step in range(row):
        qtbot.keyClick(window.search, Qt.Key.Key_Down)
    qtbot.keyClick(window.search, Qt.Key.Key_Return)
    assert window.current_page() is window.register
    qtbot.waitUntil(lambda: window.register.panel.view is not None, timeout=WAIT_MS)
    assert window.register.panel.title.text() == "阳光花园 9-1-304"
    assert window.register.panel.selected_member()["name"] == "张长锁"
    assert not window.search.results.isVisible()


def test_enter_right_after_typing_opens_the_first_result(qtbot, window):
    window.focus_search()
    qtbot.keyClicks(window.search, "9-1-304")
    qtbot.keyClick(window.search, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.register.panel.view is not None, timeout=WAIT_MS)
    assert window.register.panel.title.text() == "阳光花园 9-1-304"


def test_search_box_says_when_nobody_is_found(qtbot, window):
    window.focus_search()
    qtbot.keyClicks(window.search, "qqqqxz")
    qtbot.waitUntil(lambda: window.search.results.isVisible(), timeout=WAIT_MS)
    assert window.search.items == []
    assert "没有找到" in window.search.results.item(0).text()
    qtbot.keyClick(window.search, Qt.Key.Key_Escape)
    assert not window.search.results.isVisible()


def test_register_rows_and_keys_agree_with_the_database(register_db):
    with Session.open(register_db, Actor.command_line()) as session:
        keys = queries.register_keys(session.conn, "residents", estate="阳光花园")
        rows = queries.register_rows(session.conn, "residents", keys)
    assert rows and all(row["address"].startswith("阳光花园 ") for row in rows)
    assert [row["key"] for row in rows] == keys


def test_a_street_office_filters_the_register_by_station(qtbot, window, register_db):
    with Session.open(register_db, Actor.command_line()) as session:
        other = "0000aaaa-0000-4000-8000-000000000001"
        with session.write("test.other-station", "stations") as change:
            change.conn.execute("""INSERT INTO stations (id, version, origin, deleted, created_at, name, code, community)
                                   VALUES (?, '0', ?, 0, '2026-01-01', '乙站', '0000', '乙社区')""", (other, other))
            change.conn.execute("UPDATE households SET origin = ? WHERE building = '9'", (other,))
    page = open_register(qtbot, window)
    qtbot.waitUntil(lambda: page.origin.count() == 3, timeout=WAIT_MS)
    assert page.origin.isVisibleTo(page)
    page.origin.setCurrentIndex(page.origin.findData(other))
    qtbot.waitUntil(lambda: not page.model().loading and page.model().rowCount() == 1, timeout=WAIT_MS)
    wait_for_rows(qtbot, page.model(), 0)
    assert cell(page.model(), 0, 0) == "阳光花园 9-1-304"
