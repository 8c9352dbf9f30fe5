"""Reading small headed CSV files with the csv module: every row checked, errors name file and line."""

import csv


def read_rows(filename):
    """Return ``(header, rows)`` of a comma-separated file whose first line is a header.

    Header names and cells are stripped of surrounding whitespace; blank lines are skipped.
    Each row is ``(line_number, cells)``. A row whose field count differs from the header's raises
    ValueError naming the file and the line.
    """
    with open(filename, newline="", encoding="utf-8") as f:
        reader = csv.reader(f)
        try:
            header = [h.strip() for h in next(reader)]
        except StopIteration:
            raise ValueError(f"{filename}: the file is empty (expected a header row)") from None
        rows = []
        for cells in reader:
            if not cells or all(not c.strip() for c in cells):
                continue
            if len(cells) != len(header):
                raise ValueError(
                    f"{filename}, line {reader.line_num}: expected {len(header)} "
                    f"fields as in the header, got {len(cells)}"
                )
            rows.append((reader.line_num, [c.strip() for c in cells]))
    if not rows:
        raise ValueError(f"{filename}: no data rows after the header")
    return header, rows
