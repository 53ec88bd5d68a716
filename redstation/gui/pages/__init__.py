"""The pages of the main window: a common frame (header, body) and one module per page."""

from __future__ import annotations

from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from redstation.domain import roles


class Page(QWidget):
    """A page of the main window: a header line with the page's title, then the page's body.

    ``header_row`` has room on the right for the page's own buttons; ``body`` takes the rest.
    """

    def __init__(self, title: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.title = title
        outer = QVBoxLayout(self)
        outer.setContentsMargins(28, 20, 28, 20)
        outer.setSpacing(12)

        self.header_row = QHBoxLayout()
        self.header_row.setSpacing(12)
        self.header = QLabel(title)
        self.header.setObjectName("pageHeader")
        self.header_row.addWidget(self.header)
        self.header_row.addStretch(1)
        outer.addLayout(self.header_row)

        rule = QFrame()
        rule.setObjectName("headerRule")
        rule.setFrameShape(QFrame.Shape.NoFrame)
        rule.setFixedHeight(2)
        outer.addWidget(rule)

        self.body = QVBoxLayout()
        self.body.setSpacing(12)
        outer.addLayout(self.body, 1)

    def activated(self) -> None:
        """Called when the page is shown in the main window; override to refresh."""


def needs(action: str, *buttons: QWidget) -> None:
    """Mark ``buttons`` as doing ``action``: the main window hides them from a user whose role may not."""
    for button in buttons:
        button.setProperty("needs", action)


def hide_what_is_not_allowed(root: QWidget, role: str) -> None:
    """Hide the buttons under ``root`` marked with ``needs`` that ``role`` may not use (the services refuse anyway)."""
    for widget in root.findChildren(QWidget):
        action = widget.property("needs")
        if action and not roles.allowed(role, action):
            widget.hide()
