"""Reads the JSON of JMH runs (-rf json) for the table scripts beside this file."""
import json
import statistics


def read(paths, key):
    """{key(params): {method: (mean, error, median of the measurement iterations)}} over every result of every file."""
    runs = {}
    for path in paths:
        with open(path) as f:
            for result in json.load(f):
                method = result["benchmark"].rsplit(".", 1)[1]
                metric = result["primaryMetric"]
                iterations = [x for fork in metric["rawData"] for x in fork]
                runs.setdefault(key(result["params"]), {})[method] = (
                    metric["score"], metric["scoreError"], statistics.median(iterations))
    return runs
