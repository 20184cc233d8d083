#!/usr/bin/env python3
"""Sends N requests to `mlv ui` (cycling through its pages) from this second process and reports
the status codes seen and the server's resident memory after the first and the last tenth.

Usage: load_ui.py BASE_URL N SERVER_PID
"""
import collections, json, sys, urllib.request

base, count, pid = sys.argv[1].rstrip("/"), int(sys.argv[2]), sys.argv[3]
paths = ["/", "/history?metric=accuracy", "/data", "/compare?rev=HEAD~1&rev=HEAD", "/lineage?path=models/model.bin", "/app.js"]


def rss():
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return -1


statuses = collections.Counter()
marks = {}
for i in range(count):
    request = urllib.request.Request(base + paths[i % len(paths)])
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            response.read()
            statuses[response.status] += 1
    except urllib.error.HTTPError as error:
        statuses[error.code] += 1
    except Exception as error:
        statuses[type(error).__name__] += 1
    if i == count // 10:
        marks["early_kib"] = rss()
marks["late_kib"] = rss()
print(json.dumps({"statuses": {str(k): v for k, v in statuses.items()}, **marks}))
