#!/usr/bin/env python3
"""Times metrics reads over history: `mlv metrics history` along 1,000 commits, `mlv metrics
diff` between two commits, and a pre-push hook run with nothing to upload, in a repository
built with `git fast-import` (mlv.yaml, params.yaml and metrics.json change in every commit).

Usage: python3 bench/metrics.py [--mlv PATH]   (default: .build/release/mlv)
"""
import argparse, json, os, shutil, statistics, subprocess, sys, tempfile, time

PIPELINE = """stages:
  evaluate:
    cmd: python3 evaluate.py
    deps: [evaluate.py]
    params: [train.lr]
    metrics: [metrics.json]
metrics:
  accuracy: higher_is_better
gates:
  - accuracy >= 0.1
"""


def build(path, commits):
    subprocess.run(["git", "init", "-q", "-b", "main", path], check=True)
    os.makedirs(path + "/.mlv/cache", exist_ok=True)
    lines = []
    for i in range(commits):
        files = {
            ".mlvconfig": "[core]\n",
            "mlv.yaml": PIPELINE,
            "params.yaml": f"train:\n  lr: {0.001 * (i % 50 + 1):.3f}\n",
            "metrics.json": json.dumps({"accuracy": 0.5 + (i % 97) / 200, "loss": 1 / (i + 1)}),
        }
        lines.append(f"commit refs/heads/main\nmark :{i + 1}\ncommitter B <b@example.com> {1700000000 + i} +0000\ndata 9\ncommit {i % 10}\n".encode())
        if i:
            lines.append(f"from :{i}\n".encode())
        for name, text in files.items():
            body = text.encode()
            lines.append(b"M 100644 inline " + name.encode() + b"\ndata %d\n" % len(body) + body + b"\n")
    subprocess.run(["git", "fast-import", "--quiet"], input=b"".join(lines), cwd=path, check=True)
    subprocess.run(["git", "checkout", "-q", "-f", "main"], cwd=path, check=True)


def timed(cmd, cwd, stdin=None):
    times = []
    for _ in range(3):
        start = time.perf_counter()
        result = subprocess.run(cmd, cwd=cwd, input=stdin, capture_output=True, text=True)
        times.append(time.perf_counter() - start)
        if result.returncode != 0:
            sys.exit(f"{' '.join(cmd)}: {result.stderr}")
    return statistics.median(times)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--mlv", default=".build/release/mlv")
    args = parser.parse_args()
    mlv = os.path.abspath(args.mlv)
    out = tempfile.mkdtemp(prefix="mlv-bench-metrics-")
    try:
        repo = out + "/repo"
        build(repo, 1000)
        head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=repo, capture_output=True, text=True).stdout.strip()
        print(f"metrics history accuracy, 1,000 commits: {timed([mlv, 'metrics', 'history', 'accuracy', '--json'], repo):.3f} s")
        print(f"metrics diff HEAD~500 HEAD: {timed([mlv, 'metrics', 'diff', 'HEAD~500', 'HEAD'], repo):.3f} s")
        print(f"params diff HEAD~500 HEAD: {timed([mlv, 'params', 'diff', 'HEAD~500', 'HEAD'], repo):.3f} s")
        line = f"refs/heads/main {head} refs/heads/main {head}\n"
        print(f"hook pre-push, nothing to upload, gates against the remote tip: {timed([mlv, 'hook', 'pre-push', 'origin', 'x'], repo, line):.3f} s")
    finally:
        shutil.rmtree(out)


if __name__ == "__main__":
    main()
