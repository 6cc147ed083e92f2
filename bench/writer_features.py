"""What each workbook writer of bench/writers.py has of the workbook's needs (issue 25).

Read from each package's API (the versions pinned in pyproject.toml's [bench] extra) and, for
the cells, tried: a text "=1+2", "@SUM(A1)" and "+33 1 23", a text of 32,767 UTF-16 units of
emoji, and the 1900 serials of 1900-01-15 12:00 and 1900-03-01, each written and read back with
openpyxl; the sheet set-up as bench/writers.py writes it, read back the same way. Only the gaps
are listed: a writer with none writes every feature.
"""

FEATURES = (
    "typed cells with number formats",
    "column widths",
    "frozen header",
    "autofilter",
    "print set-up",
    "headers and footers with page numbers",
    "scatter charts with date axes",
    "constant memory",
    "more than one sheet",
    "text never a formula",
    "the 32,767-character cut",
    "the 1900 dates",
)

LACKS: dict[str, dict[str, str]] = {
    # XlsxWriter 3.3: write_datetime is a day off before 1900-03-01, so the exporter writes
    # the serials itself (cells.excel_days); nothing is missing
    "xlsxwriter": {},
    "rustpy-xlsxwriter": {
        "print set-up": "no page breaks (the Usage graph's charts are placed a page each by them)",
        "scatter charts with date axes": "a series is a whole column, never a run of rows"
        " (the exporter charts each room's rows, one series per day)",
    },
    "rvgsrust-xlsxwriter": {
        # tried: on a sheet held in memory it writes the exporter's chart whole (a series per
        # run of rows, title from a cell, date axis, legend entries, page breaks)
        "scatter charts with date axes": "not on a constant-memory sheet: inserting a chart"
        " counts as writing its row, and the exporter knows its charts only after their rows",
    },
    "pyaccelsx": {
        "autofilter": "none",
        "print set-up": "none",
        "headers and footers with page numbers": "none",
        "scatter charts with date axes": "no charts",
        "constant memory": "every cell held until save",
        "the 32,767-character cut": "cuts by UTF-8 bytes itself and panics inside a character",
    },
    "pyexcelerate": {
        "print set-up": "none",
        "headers and footers with page numbers": "none",
        "scatter charts with date axes": "no charts",
        "constant memory": "every row held until save",
        "text never a formula": "only with a text column style (data_type); by default a text"
        " starting with = is written as a formula",
    },
    "fastexcel-rw": {
        "typed cells with number formats": "no formats: a date is a bare number",
        "column widths": "set_column_width does nothing",
        "frozen header": "none",
        "autofilter": "none",
        "print set-up": "none",
        "headers and footers with page numbers": "none",
        "scatter charts with date axes": "no charts",
        "constant memory": "takes a sheet's rows as one list",
        "the 1900 dates": "no number format, so no date shows as one",
    },
}


def has_every_feature(writer: str) -> bool:
    return not LACKS[writer]
