#!/usr/bin/env python3
"""Times `mlv lineage --used-by` over long histories (10,000 commits), built with
`git fast-import`: one history where the lock changes every 100 commits (code commits in
between), one where it changes in every commit (every lock blob is distinct).

Usage: python3 bench/lineage.py [--mlv PATH]   (default: .build/release/mlv)
"""
import argparse, hashlib, os, shutil, statistics, subprocess, sys, tempfile, time

# The same run record for every stage: lineage reads it, its values do not matter here.
RUN = """    run:
      started: "2026-01-01T00:00:00Z"
      duration: 1.000
      mlv: "0.1.0"
      commit: null
      dirty: false"""


def lock_text(version):
    def h(s):
        return hashlib.sha256(s.encode()).hexdigest()
    return f"""# mlv.lock
schema: 1
stages:

  prepare:
    cmd: "python3 prepare.py"
    deps:
      - path: "data/raw"
        type: directory
        id: {h("raw")}
    params: {{}}
    outs:
      - path: "data/features"
        type: directory
        id: {h(f"features{version // 7}")}
        size: 100
        files: 3
    metrics: []
{RUN}

  train:
    cmd: "python3 train.py"
    deps:
      - path: "data/features"
        type: directory
        id: {h(f"features{version // 7}")}
    params:
      "params.yaml":
        "train.lr": {version}
    outs:
      - path: "models/model.bin"
        type: file
        id: {h(f"model{version}")}
        size: 10
    metrics: []
{RUN}
"""

def build(path, commits, every):
    subprocess.run(["git", "init", "-q", "-b", "main", path], check=True)
    os.makedirs(path + "/.mlv/cache", exist_ok=True)
    open(path + "/.mlvconfig", "w").write("[core]\n")
    lines = []
    mark = 0
    for i in range(commits):
        mark += 1
        body = lock_text(i // every).encode()
        code = f"print({i})\n".encode()
        lines.append(f"commit refs/heads/main\nmark :{mark}\ncommitter B <b@example.com> {1700000000 + i} +0000\ndata 8\ncommit{i % 10}\n".encode())
        if i > 0:
            lines.append(f"from :{mark - 1}\n".encode())
        lines.append(b"M 100644 inline mlv.lock\ndata %d\n" % len(body) + body + b"\n")
        lines.append(b"M 100644 inline train.py\ndata %d\n" % len(code) + code + b"\n")
        lines.append(b"M 100644 inline .mlvconfig\ndata 7\n[core]\n\n")
    subprocess.run(["git", "fast-import", "--quiet"], input=b"".join(lines), cwd=path, check=True)
    subprocess.run(["git", "checkout", "-q", "-f", "main"], cwd=path, check=True)

def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--mlv", default=".build/release/mlv")
    args = parser.parse_args()
    mlv = os.path.abspath(args.mlv)
    out = tempfile.mkdtemp(prefix="mlv-bench-lineage-")
    try:
        for every, label in [(100, "lock changes every 100 commits"), (1, "lock changes in every commit")]:
            repo = f"{out}/r{every}"
            build(repo, 10_000, every)
            target = hashlib.sha256(b"raw").hexdigest()
            times = []
            for _ in range(3):
                start = time.perf_counter()
                result = subprocess.run([mlv, "lineage", "--used-by", target, "--json"], cwd=repo, capture_output=True, text=True)
                times.append(time.perf_counter() - start)
                if result.returncode != 0:
                    sys.exit(result.stderr)
            found = result.stdout.count('"path"')
            print(f"10,000 commits, {label}: {statistics.median(times):.3f} s (median of 3), {found} outputs found")
    finally:
        shutil.rmtree(out)

if __name__ == "__main__":
    main()
