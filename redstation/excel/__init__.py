"""Excel ledgers (台账): import a ledger whatever its header wording, export the register as ledgers.

``ledger_import`` reads a workbook with python-calamine (fast, low memory), finds the header
row, maps the columns to the register's fields (``columns``) and feeds every row through
the register's rules in one transaction; bad rows come back with their row number and
reason, and can be written to a rejects workbook. ``ledger_export`` writes households,
residents and key households with xlsxwriter. ``reading`` and ``writing`` hold the cell
handling both share: merged cells, formula-safe text, column widths.
"""

from __future__ import annotations

from redstation import RedStationError
from redstation.i18n import _


class LedgerFileError(RedStationError):
    """The file cannot be read as a ledger (not a workbook, no header row, no name column …)."""


class Cancelled(RedStationError):
    """The user cancelled an import or export; nothing of it was kept."""

    def __init__(self):
        super().__init__(_("Cancelled"))
