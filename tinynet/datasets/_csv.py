"""Reading small headed CSV files with the csv module: every row checked, errors name file and line."""

import csv


def read_rows(filename):
    """Return ``(header, rows)`` of a comma-separated file whose first line is a header.

    Header names and cells are stripped of surrounding whitespace; blank lines are skipped.
    Each row is ``(line_number, cells)``. A row whose field count differs from the header's raises
    ValueError naming the file and the line.
    """
    try:
        with open(filename, newline="", encoding="utf-8") as f:
            return _read(filename, f)
    except UnicodeDecodeError as e:
        raise ValueError(
            f"{filename}: not a UTF-8 text (CSV) file: byte {e.start} is 0x{e.object[e.start]:02x} "
            f"({e.reason}); is it the right file, or compressed?"
        ) from None


def _read(filename, f):
    reader = csv.reader(f)
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration:
        raise ValueError(f"{filename}: the file is empty (expected a header row)") from None
    except csv.Error as e:
        raise ValueError(f"{filename}, line 1: not a CSV header ({e})") from None
    rows = []
    try:
        for cells in reader:
            if not cells or all(not c.strip() for c in cells):
                continue
            if len(cells) != len(header):
                raise ValueError(
                    f"{filename}, line {reader.line_num}: expected {len(header)} "
                    f"fields as in the header, got {len(cells)}"
                )
            rows.append((reader.line_num, [c.strip() for c in cells]))
    except csv.Error as e:
        raise ValueError(
            f"{filename}, line {reader.line_num}: not CSV ({e}); is it the right file?"
        ) from None
    if not rows:
        raise ValueError(f"{filename}: no data rows after the header")
    return header, rows
