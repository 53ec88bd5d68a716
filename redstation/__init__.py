"""RedStation 红色物业服务站台账系统: the ledger program of a red-property service station."""

NAME = "RedStation"
__version__ = "0.1.0"


class RedStationError(Exception):
    """An error the user caused or can fix; its message is shown as it is (one line, translated)."""
