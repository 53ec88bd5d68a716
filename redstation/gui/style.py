"""The look of the window: quiet, official, one red accent. Sizes in points so they follow the font."""

ACCENT = "#a8201a"

STYLE_SHEET = """
QMainWindow, QDialog { background: #f6f6f4; }
QListWidget#navigation {
    background: #ffffff;
    border: none;
    border-right: 1px solid #d9d9d6;
    padding-top: 8px;
    outline: none;
    font-size: 11pt;
}
QListWidget#navigation::item {
    padding: 9px 18px;
    margin: 1px 8px;
    border-radius: 3px;
    color: #333333;
}
QListWidget#navigation::item:hover { background: #f3e7e6; }
QListWidget#navigation::item:selected { background: ACCENT; color: #ffffff; }
QLabel#brand {
    background: ACCENT;
    color: #ffffff;
    font-size: 11pt;
    font-weight: bold;
    padding: 16px 12px;
}
QLabel#pageHeader { font-size: 16pt; font-weight: bold; color: #222222; }
QFrame#headerRule { background: ACCENT; max-height: 2px; }
QLabel#muted { color: #666666; }
QLabel#error { color: #c0141c; font-weight: bold; }
QLabel#success { color: #1d6b2a; font-weight: bold; }
QLabel#sectionTitle { font-size: 11pt; font-weight: bold; color: #333333; }
QLabel#dialogHeading { font-size: 14pt; font-weight: bold; color: ACCENT; }
QFrame#statCard {
    background: #ffffff;
    border: 1px solid #dcdcd8;
    border-top: 3px solid ACCENT;
    border-radius: 3px;
}
QLabel#statTitle { color: #555555; font-size: 11pt; }
QLabel#statNumber { color: #1f1f1f; font-size: 24pt; font-weight: bold; }
QLabel#statNumber[alert="true"] { color: #c0141c; }
QFrame#notice {
    background: #fffaf0;
    border: 1px solid #e8d9b5;
    border-left: 4px solid #d4a017;
    border-radius: 3px;
}
QLabel#noticeTitle { font-size: 12pt; font-weight: bold; color: #6b4e00; }
QLabel#noticeText { font-size: 11pt; color: #333333; }
QGroupBox { font-weight: bold; border: 1px solid #d6d6d2; border-radius: 3px; margin-top: 12px; background: #ffffff; }
QGroupBox::title { subcontrol-origin: margin; left: 10px; padding: 0 4px; }
QGroupBox QLabel { font-weight: normal; }
QLineEdit { padding: 4px 6px; border: 1px solid #bdbdb8; border-radius: 2px; background: #ffffff; min-height: 20px; }
QLineEdit:focus { border: 1px solid ACCENT; }
QLineEdit[invalid="true"], QComboBox[invalid="true"] { border: 1px solid #c0141c; background: #fff3f3; }
QPushButton { padding: 5px 18px; min-width: 64px; }
QLineEdit#searchBox { padding: 6px 10px; font-size: 11pt; }
QListWidget#searchResults { background: #ffffff; border: 1px solid #bdbdb8; font-size: 11pt; outline: none; }
QListWidget#searchResults::item { padding: 5px 8px; }
QListWidget#searchResults::item:selected { background: ACCENT; color: #ffffff; }
QTableView { background: #ffffff; gridline-color: #e4e4e0; }
QHeaderView::section { background: #ecebe7; border: none; border-right: 1px solid #d9d9d6;
                       border-bottom: 1px solid #d9d9d6; padding: 4px 6px; }
QTableView::item:selected, QTableWidget::item:selected { background: #c9413a; color: #ffffff; }
QLabel#householdDetails { background: #ffffff; padding: 8px 10px; }
QTabBar::tab { padding: 5px 16px; background: #ecebe7; border: 1px solid #d6d6d2; }
QTabBar::tab:selected { background: #ffffff; border-bottom: 2px solid ACCENT; }
QStatusBar { background: #ecebe7; border-top: 1px solid #d9d9d6; }
QStatusBar QLabel { padding: 0 8px; color: #444444; }
""".replace("ACCENT", ACCENT)
