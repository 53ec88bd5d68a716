"""Pages that are not built yet: they say so, and say what they will hold."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFormLayout, QFrame, QLabel, QVBoxLayout, QWidget

from redstation.gui.pages import Page
from redstation.i18n import _


class PlaceholderPage(Page):
    """A page still to be built: a plain notice and one sentence on what the page will hold.

    ``details`` are (label, value) pairs shown below the notice, e.g. the station's data on
    the settings page.
    """

    def __init__(self, title: str, purpose: str, details: list[tuple[str, str]] | None = None,
                 parent: QWidget | None = None):
        super().__init__(title, parent)
        notice = QFrame()
        notice.setObjectName("notice")
        box = QVBoxLayout(notice)
        box.setContentsMargins(20, 16, 20, 16)
        box.setSpacing(8)
        self.status = QLabel(_("This page is not built yet."))
        self.status.setObjectName("noticeTitle")
        self.purpose = QLabel(purpose)
        self.purpose.setObjectName("noticeText")
        self.purpose.setWordWrap(True)
        self.purpose.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        box.addWidget(self.status)
        box.addWidget(self.purpose)
        self.body.addWidget(notice)

        self.details: dict[str, QLabel] = {}
        if details:
            heading = QLabel(_("This station"))
            heading.setObjectName("sectionTitle")
            self.body.addSpacing(8)
            self.body.addWidget(heading)
            form = QFormLayout()
            form.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
            form.setHorizontalSpacing(16)
            form.setVerticalSpacing(8)
            for label, value in details:
                field = QLabel(value or "—")
                field.setWordWrap(True)
                field.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
                self.details[label] = field
                form.addRow(QLabel(_("{label}:").format(label=label)), field)
            self.body.addLayout(form)
        self.body.addStretch(1)
