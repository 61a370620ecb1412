#!/usr/bin/python3
"""Parses a Prometheus text exposition with the reference parser (python3-prometheus-client)
and prints one `name{label=value,...} value` line per sample, labels sorted, so that a test
can assert on values. Exits 1 when the text does not parse."""
import sys

from prometheus_client.parser import text_string_to_metric_families


def main() -> int:
    text = open(sys.argv[1], encoding="utf-8").read()
    try:
        for family in text_string_to_metric_families(text):
            for sample in family.samples:
                labels = ",".join(f"{k}={v}" for k, v in sorted(sample.labels.items()))
                print(f"{sample.name}{{{labels}}} {sample.value:g}")
    except Exception as error:  # the parser raises ValueError and others on bad input
        print(f"not a valid exposition: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
