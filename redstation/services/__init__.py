"""Use cases that the window and the command line share. Each write is one transaction with one audit entry."""
