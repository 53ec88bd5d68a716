"""Importing and exporting ledgers from the register page, with real widgets offscreen."""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest  # noqa: E402
from python_calamine import CalamineWorkbook  # noqa: E402
from PySide6.QtCore import Qt  # noqa: E402

from redstation.gui.main_window import build_main_window  # noqa: E402
from redstation.services import station, users  # noqa: E402
from redstation.services.session import Actor, Session  # noqa: E402
from workbooks import MESSY_IMPORTED, MESSY_REJECTED, ZHANG, messy_ledger, simple_ledger, three_buildings  # noqa: E402

WAIT_MS = 20_000


@pytest.fixture
def window(qtbot, db_path):
    session = Session.open(db_path, Actor.command_line())
    station.init_station(session, "阳光服务站", "阳光社区")
    users.create_user(session, "admin", "王站长", "admin", "secret123")
    session.actor = users.first_admin(session)
    win = build_main_window(session)
    qtbot.addWidget(win)
    win.show()
    win.show_page(win.pages.index(win.register))
    yield win
    win.taskman.shutdown()
    session.close()


def residents(db_path):
    with Session.open(db_path, Actor.command_line()) as session:
        return {r[0] for r in session.conn.execute("SELECT name FROM residents WHERE deleted = 0")}


def open_import(qtbot, window, path):
    dialog = window.register.import_ledger(str(path))
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: dialog.analysis is not None, timeout=WAIT_MS)
    return dialog


def test_import_dialog_shows_the_header_it_found_checks_then_imports(qtbot, window, tmp_path, db_path):
    ledger = messy_ledger(tmp_path / "台账.xlsx")
    before = ledger.read_bytes()
    dialog = open_import(qtbot, window, ledger)
    assert "第 4 行" in dialog.summary.text()
    mapped = {dialog.mapping.item(r, 1).text(): dialog.mapping.cellWidget(r, 2).currentText()
              for r in range(dialog.mapping.rowCount())}
    assert mapped["公民身份号码"] == "身份证号" and mapped["序号"] == "（不导入）"
    assert dialog.preview.item(0, 1).text().strip() == "张建国"
    assert not dialog.import_button.isEnabled()  # check first

    qtbot.mouseClick(dialog.check_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.import_button.isEnabled(), timeout=WAIT_MS)
    assert "新居民 {n} 名".format(n=len(MESSY_IMPORTED)) in dialog.outcome.text()
    assert residents(db_path) == set()  # a check writes nothing
    shown = {int(dialog.rejects.item(r, 0).text()) for r in range(dialog.rejects.rowCount())}
    assert shown == set(MESSY_REJECTED)

    qtbot.mouseClick(dialog.import_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "已导入" in dialog.outcome.text(), timeout=WAIT_MS)
    assert residents(db_path) == set(MESSY_IMPORTED.values())
    assert ledger.read_bytes() == before
    qtbot.waitUntil(lambda: window.register.model().rowCount() == 2, timeout=WAIT_MS)  # the page shows them

    out = tmp_path / "问题行.xlsx"
    dialog.write_rejects(out)
    qtbot.waitUntil(lambda: "问题行.xlsx" in dialog.outcome.text(), timeout=WAIT_MS)
    rows = CalamineWorkbook.from_path(str(out)).get_sheet_by_index(0).to_python()
    assert sum(1 for row in rows if any(str(v).strip() for v in row)) >= len(MESSY_REJECTED)


def test_changing_the_mapping_asks_for_a_new_check(qtbot, window, tmp_path, db_path):
    dialog = open_import(qtbot, window, messy_ledger(tmp_path / "台账.xlsx"))
    qtbot.mouseClick(dialog.check_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.import_button.isEnabled(), timeout=WAIT_MS)
    phone_row = next(r for r in range(dialog.mapping.rowCount()) if dialog.mapping.item(r, 1).text() == "联系电话(手机)")
    dialog.mapping.cellWidget(phone_row, 2).setCurrentIndex(0)  # not imported
    assert not dialog.import_button.isEnabled() and "重新检查" in dialog.outcome.text()
    qtbot.mouseClick(dialog.check_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.import_button.isEnabled(), timeout=WAIT_MS)
    qtbot.mouseClick(dialog.import_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "已导入" in dialog.outcome.text(), timeout=WAIT_MS)
    with Session.open(db_path, Actor.command_line()) as session:
        assert session.conn.execute("SELECT phone FROM residents WHERE id_number = ?", (ZHANG,)).fetchone()[0] == ""


def test_a_file_that_is_not_a_ledger_is_refused_in_the_dialog(qtbot, window, tmp_path):
    bad = tmp_path / "notes.xlsx"
    bad.write_text("not a workbook")
    dialog = window.register.import_ledger(str(bad))
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: "无法导入" in dialog.summary.text(), timeout=WAIT_MS)
    assert not dialog.check_button.isEnabled() and not dialog.import_button.isEnabled()


def test_cancelling_an_import_leaves_nothing_behind(qtbot, window, tmp_path, db_path):
    rows = [["居民{n}".format(n=n), "", "", "", "", "阳光花园", str(n // 40 + 1), "", str(101 + n % 40), "户主", ""]
            for n in range(4000)]
    dialog = open_import(qtbot, window, simple_ledger(tmp_path / "big.xlsx", rows))
    qtbot.mouseClick(dialog.check_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.import_button.isEnabled(), timeout=WAIT_MS)
    qtbot.mouseClick(dialog.import_button, Qt.MouseButton.LeftButton)
    assert dialog.work.isVisible() and not dialog.close_button.isEnabled()
    qtbot.mouseClick(dialog.work.cancel_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.work.task is None, timeout=WAIT_MS)
    assert dialog.outcome.text() == "已取消：没有导入任何数据。"
    assert residents(db_path) == set()


def test_export_dialog_writes_a_masked_ledger(qtbot, window, tmp_path):
    dialog = open_import(qtbot, window, messy_ledger(tmp_path / "台账.xlsx"))
    qtbot.mouseClick(dialog.check_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.import_button.isEnabled(), timeout=WAIT_MS)
    qtbot.mouseClick(dialog.import_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "已导入" in dialog.outcome.text(), timeout=WAIT_MS)
    dialog.close()

    export = window.register.export_ledger()
    qtbot.addWidget(export)
    assert export.unmasked.isEnabled() and not export.unmasked.isChecked()  # the manager may, but must ask
    out = tmp_path / "导出.xlsx"
    export.set_file(out)
    qtbot.mouseClick(export.export_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: export.counts is not None, timeout=WAIT_MS)
    book = CalamineWorkbook.from_path(str(out))
    cells = [str(v) for name in book.sheet_names for row in book.get_sheet_by_name(name).to_python() for v in row]
    assert "张建国" in cells
    assert ZHANG not in cells and ZHANG[:6] + "********" + ZHANG[-4:] in cells


def test_the_dialog_imports_all_sheets_or_the_one_chosen(qtbot, window, tmp_path, db_path):
    ledger = three_buildings(tmp_path / "花名册.xlsx")
    dialog = open_import(qtbot, window, ledger)
    choice = dialog.sheet_choice
    assert [choice.itemText(n) for n in range(choice.count())] == ["全部工作表（3 个）", "1号楼", "2号楼", "3号楼"]
    assert choice.currentIndex() == 0 and choice.isEnabled()
    assert "填表说明" in dialog.summary.text() and "旧表（隐藏的工作表）" in dialog.summary.text()
    assert not dialog.mapping.isVisible() and dialog.all_sheets_note.isVisible()  # each sheet as recognised

    choice.setCurrentIndex(choice.findText("3号楼"))
    assert dialog.mapping.isVisible() and not dialog.all_sheets_note.isVisible()
    assert dialog.mapping.cellWidget(1, 2).isEnabled() and dialog.preview.item(0, 1).text() == "吴三"
    qtbot.mouseClick(dialog.check_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.import_button.isEnabled(), timeout=WAIT_MS)
    qtbot.mouseClick(dialog.import_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "已导入" in dialog.outcome.text(), timeout=WAIT_MS)
    assert residents(db_path) == {"吴三"}

    choice.setCurrentIndex(0)
    qtbot.mouseClick(dialog.check_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.import_button.isEnabled(), timeout=WAIT_MS)
    assert not dialog.rejects.isColumnHidden(3)
    shown = {(dialog.rejects.item(r, 3).text(), dialog.rejects.item(r, 0).text()) for r in range(dialog.rejects.rowCount())}
    assert shown == {("2号楼", "4"), ("2号楼", "5")}
    qtbot.mouseClick(dialog.import_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "已导入" in dialog.outcome.text(), timeout=WAIT_MS)
    assert residents(db_path) == {"吴三", "赵一", "钱一", "孙二"}


def test_the_dialog_shows_the_warnings_and_what_an_import_changes(qtbot, window, tmp_path, db_path):
    headers = ["姓名", "身份证号", "小区", "楼栋", "房号", "联系电话", "户籍派出所"]
    first = simple_ledger(tmp_path / "a.xlsx", [["张建国", ZHANG, "阳光花园", "3", "301", "13700007890", "历下"]], headers)
    dialog = open_import(qtbot, window, first)
    assert dialog.warnings.isVisible() and "户籍派出所" in dialog.warnings.text() and "无法识别" in dialog.warnings.text()
    qtbot.mouseClick(dialog.check_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.import_button.isEnabled(), timeout=WAIT_MS)
    qtbot.mouseClick(dialog.import_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "已导入" in dialog.outcome.text(), timeout=WAIT_MS)
    assert not dialog.changes.isVisible()
    dialog.close()

    moved = simple_ledger(tmp_path / "b.xlsx", [["张建国", ZHANG, "阳光花园", "6", "101", "13700007891", ""]], headers)
    dialog = open_import(qtbot, window, moved)
    qtbot.mouseClick(dialog.check_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.import_button.isEnabled(), timeout=WAIT_MS)
    assert dialog.changes.isVisible() and dialog.changes.rowCount() == 1 and dialog.changes.isColumnHidden(3)
    assert dialog.changes.item(0, 1).text() == "张建国"
    assert dialog.changes.item(0, 2).text() == "地址：阳光花园 3-301 → 阳光花园 6-101；电话：137****7890 → 137****7891"


def test_the_dialog_takes_the_estate_for_rows_that_name_none(qtbot, window, tmp_path, db_path, monkeypatch):
    two = simple_ledger(tmp_path / "a.xlsx", [["甲", "", "阳光花园", "1", "101"], ["乙", "", "幸福里", "1", "101"]],
                        ["姓名", "身份证号", "小区", "楼栋", "房号"])
    dialog = open_import(qtbot, window, two)
    qtbot.mouseClick(dialog.check_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.import_button.isEnabled(), timeout=WAIT_MS)
    qtbot.mouseClick(dialog.import_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "已导入" in dialog.outcome.text(), timeout=WAIT_MS)
    dialog.close()

    ledger = simple_ledger(tmp_path / "b.xlsx", [["丙", "3号楼2单元301"]], ["姓名", "住址"])
    dialog = open_import(qtbot, window, ledger)
    assert dialog.estate.text() == "" and dialog.estate.isEnabled()
    qtbot.mouseClick(dialog.check_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.import_button.isEnabled(), timeout=WAIT_MS)
    assert dialog.rejects.rowCount() == 1 and "表中没有小区时使用" in dialog.rejects.item(0, 2).text()
    dialog.estate.setText("幸福里")
    assert not dialog.import_button.isEnabled() and "小区已更改" in dialog.outcome.text()   # check again first
    qtbot.mouseClick(dialog.check_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.import_button.isEnabled(), timeout=WAIT_MS)
    assert not dialog.rejects.isVisible()
    qtbot.mouseClick(dialog.import_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "已导入" in dialog.outcome.text(), timeout=WAIT_MS)
    with Session.open(db_path, Actor.command_line()) as session:
        assert tuple(session.conn.execute("SELECT h.estate, h.building, h.room FROM residents r JOIN households h "
                                          "ON h.id = r.household_id WHERE r.name = '丙'").fetchone()) == ("幸福里", "3", "301")

    asked = []
    monkeypatch.setattr("redstation.gui.ledger.QFileDialog.getSaveFileName",
                        lambda _parent, _title, suggested, _filter: asked.append(suggested) or ("", ""))
    dialog.result = type("Result", (), {"rejected": [object()]})()
    dialog.save_rejects()
    assert asked == [str(tmp_path / "b-问题行.xlsx")]   # the suggested name, in the user's language
