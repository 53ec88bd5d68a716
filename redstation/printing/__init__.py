"""Printed documents: real PDFs with the embedded Chinese font, A4, page numbers (reportlab, no Qt).

``document`` is the builder every document uses (header, footer "第 N 页 共 M 页", title,
form tables, signature lines, written all or nothing); ``fonts`` registers the shipped
font; one module per group of documents (``visits``: the round sheet and the visit log).
The window previews and prints these files through ``redstation.gui.printing``.
"""
