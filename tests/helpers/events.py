#!/usr/bin/env python3
"""Checks NDJSON from blit --json on stdin against schema/events.v1.json.

Every line must be one JSON object valid against the schema; the first must
be `start` with "v": 1 and the last `summary`. Prints the events back as one
JSON array (for the test to look at), or the first problem and exits 1.
"""
import json
import pathlib
import sys

import jsonschema

SCHEMA = pathlib.Path(__file__).resolve().parent.parent.parent / "schema" / "events.v1.json"


def main() -> int:
    validator = jsonschema.Draft202012Validator(json.loads(SCHEMA.read_text()))
    raw = sys.stdin.buffer.read()
    if not raw.endswith(b"\n"):
        print(f"output does not end with a newline: {raw[-80:]!r}", file=sys.stderr)
        return 1
    events = []
    for number, line in enumerate(raw.split(b"\n")[:-1], 1):
        try:
            event = json.loads(line)
        except ValueError as err:
            print(f"line {number} is not JSON ({err}): {line[:200]!r}", file=sys.stderr)
            return 1
        errors = sorted(validator.iter_errors(event), key=lambda e: list(e.path))
        if errors:
            print(f"line {number} breaks the schema: {errors[0].message}: {line[:300]!r}", file=sys.stderr)
            return 1
        events.append(event)
    if not events or events[0]["type"] != "start" or events[0].get("v") != 1:
        print("the first event is not start with v 1", file=sys.stderr)
        return 1
    if events[-1]["type"] != "summary" or any(e["type"] == "summary" for e in events[:-1]):
        print("summary is not the last event, once", file=sys.stderr)
        return 1
    json.dump(events, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
