#!/usr/bin/env python3
"""Count test cases in JUnit/xUnit XML files.

Usage: count_results.py [--log LOGFILE] [FILE ...]
Prints "PASSED FAILED SKIPPED" (three integers) on stdout.

Works for pytest's --junitxml and for SwiftPM's --xunit-output (XCTest writes
FILE, Swift Testing writes FILE with "-swift-testing" before the extension).
A test case counts as failed when it has a <failure> or <error> child, as
skipped when it has a <skipped> child, else as passed. Names that are not
files are ignored; an unparsable file exits with status 2.

When no XML file exists and --log is given, the counts are read from the
closing lines that `swift test` prints instead:
  XCTest:        "Executed 12 tests, with 1 failure (0 unexpected) in ..."
  Swift Testing: "Test run with 40 tests in 6 suites passed after ..."
                 "Test run with 40 tests in 6 suites failed after ... with 3 issues."
(for Swift Testing the number of failed tests is estimated as the number of issues).
"""
import re
import sys
import xml.etree.ElementTree as ET
from pathlib import Path


def count_xml(paths: list[Path]) -> tuple[int, int, int]:
    passed = failed = skipped = 0
    for path in paths:
        root = ET.parse(path).getroot()
        for case in root.iter("testcase"):
            tags = {child.tag for child in case}
            if tags & {"failure", "error"}:
                failed += 1
            elif "skipped" in tags:
                skipped += 1
            else:
                passed += 1
    return passed, failed, skipped


def count_log(text: str) -> tuple[int, int, int]:
    passed = failed = 0
    xctest = re.findall(r"Executed (\d+) tests?, with (\d+) failures?", text)
    if xctest:
        # The last line is the total for 'All tests'.
        total, fails = (int(x) for x in xctest[-1])
        fails = min(fails, total)
        passed += total - fails
        failed += fails
    for m in re.finditer(
        r"Test run with (\d+) tests?.*? (passed|failed) after [^\n]*?(?:with (\d+) issues?)?\.?$",
        text,
        re.MULTILINE,
    ):
        total = int(m.group(1))
        fails = 0 if m.group(2) == "passed" else max(1, min(total, int(m.group(3) or 1)))
        passed += total - fails
        failed += fails
    return passed, failed, 0


def main(argv: list[str]) -> int:
    log = None
    if len(argv) >= 2 and argv[0] == "--log":
        log, argv = Path(argv[1]), argv[2:]
    files = [Path(a) for a in argv if Path(a).is_file()]
    try:
        if files:
            counts = count_xml(files)
        elif log is not None and log.is_file():
            counts = count_log(log.read_text(errors="replace"))
        else:
            counts = (0, 0, 0)
    except ET.ParseError as exc:
        print(f"count_results: cannot parse XML: {exc}", file=sys.stderr)
        return 2
    print(*counts)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
