"""The desktop window (PySide6): the only part of RedStation that imports Qt.

``app.run`` starts it; ``main_window.build_main_window(session)`` builds the window for a
session (tests call it); ``tasks.TaskManager`` runs slow work on worker threads; one
module per page under ``pages/``.
"""
