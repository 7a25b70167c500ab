#!/usr/bin/env python3
"""Reads a /metrics answer (Prometheus text format) on standard input with the
Prometheus Python client's parser and prints what it found as JSON:
{"families": [{"name", "type", "help", "samples": [{"name", "labels", "value"}]}]}.
A text the parser refuses exits non-zero with its error on standard error.
Run in the venv of scripts/metrics-tools.sh (server/tests/http/metrics.rs)."""

import json
import sys

from prometheus_client.parser import text_string_to_metric_families


def main() -> int:
    text = sys.stdin.read()
    try:
        families = [
            {
                "name": family.name,
                "type": family.type,
                "help": family.documentation,
                "samples": [
                    {"name": s.name, "labels": dict(s.labels), "value": s.value}
                    for s in family.samples
                ],
            }
            for family in text_string_to_metric_families(text)
        ]
    except ValueError as e:
        print(f"metrics-check: not Prometheus text format: {e}", file=sys.stderr)
        return 1
    json.dump({"families": families}, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
