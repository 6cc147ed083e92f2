"""The report: its tabs and window as the build saved them, and the workbook and data files an
export writes."""
