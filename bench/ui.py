#!/usr/bin/env python3
"""Web app benchmark: server time of `mlv ui`'s heaviest pages on a long history.

A repository with 10,000 commits written by `git fast-import` (each changes params.yaml and
metrics.json of a one-stage pipeline) and 1,000 experiments on the tip. Measured with the
server already running (release build), each request from a client on 127.0.0.1:
- the time from starting `mlv ui` until it prints its URL (it reads history before listening);
- the history of a metric over all 10,000 commits (`/history?metric=acc&limit=10000`), asked
  the moment the URL shows;
- the runs table with 1,000 rows (`/?limit=1000`: 1,000 commits) and the tip's experiments;
first request and a repeat, then the server's peak resident memory (VmHWM). The server is started
twice: first with no `.mlv/state/history` (it writes one), then again reading it.

With --mlflow PYTHON (the python of a virtualenv with mlflow installed), the same 1,000 runs
(params and metrics of the experiments) go into an MLflow tracking store (SQLite) and
`mlflow server` is timed on the request its UI makes for the runs table (runs/search, 1,000
results), first and repeat, with the peak memory of its processes.

Usage: python3 bench/ui.py [--mlv PATH] [--out DIR] [--mlflow PYTHON]
"""
import argparse, json, os, shutil, socket, subprocess, sys, time, urllib.request

ENV = dict(os.environ, GIT_AUTHOR_NAME="bench", GIT_AUTHOR_EMAIL="b@example.com",
           GIT_COMMITTER_NAME="bench", GIT_COMMITTER_EMAIL="b@example.com", SWIFT_BACKTRACE="enable=no")


def build(path, mlv, commits, experiments):
    shutil.rmtree(path, ignore_errors=True)
    os.makedirs(path)
    subprocess.run(f"git init -q -b main . && {mlv} init -q && git commit -qm init", shell=True, cwd=path, env=ENV, check=True)
    yaml = "stages:\n  train:\n    cmd: python3 train.py\n    params: [train.lr]\n    metrics: [metrics.json]\nmetrics:\n  acc: higher_is_better\n"
    stream = []
    for i in range(commits):
        params = f"train:\n  lr: {0.0001 * (i + 1):.4f}\n".encode()
        metrics = f'{{"acc": {0.5 + (i % 997) / 2000:.5f}, "loss": {1 / (i + 1):.6f}}}\n'.encode()
        message = f"commit {i}"
        stream.append(f"commit refs/heads/main\ncommitter bench <b@example.com> {1700000000 + i} +0000\ndata {len(message)}\n{message}\n".encode())
        if i == 0:
            stream.append(b"from refs/heads/main^0\n")
            stream.append(f"M 100644 inline mlv.yaml\ndata {len(yaml)}\n{yaml}\n".encode())
        stream.append(f"M 100644 inline params.yaml\ndata {len(params)}\n".encode() + params + b"\n")
        stream.append(f"M 100644 inline metrics.json\ndata {len(metrics)}\n".encode() + metrics + b"\n")
    subprocess.run(["git", "fast-import", "--quiet"], cwd=path, input=b"".join(stream), check=True, env=ENV)
    subprocess.run("git reset -q --hard main", shell=True, cwd=path, env=ENV, check=True)
    tip = subprocess.check_output(["git", "rev-parse", "HEAD"], cwd=path, text=True).strip()
    stream = []
    for i in range(experiments):
        params = f"train:\n  lr: {0.5 + i / 10000:.4f}\n".encode()
        metrics = f'{{"acc": {0.6 + (i % 400) / 1000:.4f}, "loss": {1 / (i + 2):.6f}}}\n'.encode()
        stream.append(f"commit refs/mlv/exps/{tip}/e{i:04}\ncommitter bench <b@example.com> {1800000000 + i} +0000\ndata 4\nexp\nfrom {tip}\n".encode())
        stream.append(f"M 100644 inline params.yaml\ndata {len(params)}\n".encode() + params + b"\n")
        stream.append(f"M 100644 inline metrics.json\ndata {len(metrics)}\n".encode() + metrics + b"\n")
    subprocess.run(["git", "fast-import", "--quiet"], cwd=path, input=b"".join(stream), check=True, env=ENV)


def peak_memory(pid):
    """VmHWM of a process and its children, in MiB."""
    total = 0
    for candidate in [pid] + [int(p) for p in subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout.split()]:
        try:
            total += int([l for l in open(f"/proc/{candidate}/status") if l.startswith("VmHWM")][0].split()[1])
        except (OSError, IndexError):
            pass
    return total / 1024


def free_port():
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    return port


def mlflow_runs_table(python, out, runs):
    store = os.path.abspath(out) + "/mlflow.db"
    if os.path.exists(store):
        os.remove(store)
    here = os.path.dirname(os.path.abspath(__file__))
    experiment = subprocess.run([python, here + "/mlflow_runs.py", "sqlite:///" + store, str(runs)], capture_output=True, text=True, check=True).stdout.split()[-1]
    port = free_port()
    server = subprocess.Popen([python, "-m", "mlflow", "server", "--backend-store-uri", "sqlite:///" + store, "--host", "127.0.0.1",
                               "--port", str(port), "--workers", "1"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(120):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=5)
                break
            except OSError:
                time.sleep(0.5)
        body = json.dumps({"experiment_ids": [experiment], "max_results": runs}).encode()
        def search():
            request = urllib.request.Request(f"http://127.0.0.1:{port}/ajax-api/2.0/mlflow/runs/search", data=body,
                                             headers={"Content-Type": "application/json"})
            start = time.perf_counter()
            with urllib.request.urlopen(request, timeout=600) as response:
                found = json.loads(response.read())
            assert len(found["runs"]) == runs, len(found["runs"])
            return time.perf_counter() - start
        first, again = search(), search()
        print(f"{'mlflow server: runs/search, ' + format(runs, ',') + ' runs':45} first {first:6.3f}  again {again:6.3f}  (JSON; the page renders it in the browser)")
        print(f"mlflow server peak memory: {peak_memory(server.pid):.0f} MiB")
    finally:
        server.terminate()
        server.wait()


def fetch(url):
    start = time.perf_counter()
    with urllib.request.urlopen(url, timeout=600) as response:
        body = response.read()
        assert response.status == 200, response.status
    return time.perf_counter() - start, len(body)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--mlv", default=os.path.abspath(".build/release/mlv"))
    parser.add_argument("--out", default="bench/out/ui")
    parser.add_argument("--commits", type=int, default=10000)
    parser.add_argument("--experiments", type=int, default=1000)
    parser.add_argument("--mlflow", help="python of a virtualenv with mlflow, to time mlflow server on the same runs")
    args = parser.parse_args()
    repo = os.path.abspath(args.out)
    build(repo, args.mlv, args.commits, args.experiments)
    print(f"{args.commits:,} commits, {args.experiments:,} experiments on the tip; seconds per request (release build)")
    # The first server finds no .mlv/state/history and writes it; the second starts from it.
    for start in ["first start, no history index", "second start, history index from the first"]:
        port = free_port()
        started = time.perf_counter()
        server = subprocess.Popen([args.mlv, "ui", "--port", str(port)], cwd=repo, env=ENV, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        server.stdout.readline()
        startup = time.perf_counter() - started
        base = f"http://127.0.0.1:{port}"
        try:
            print(f"{start}:")
            print(f"  {'start, until the URL is printed':43} {startup:6.3f}")
            # History first: the page that reads the most of Git, asked the moment the URL shows.
            for name, path in [(f"history over {args.commits:,} commits", f"/history?metric=acc&limit={args.commits}"),
                               ("runs table, 1,000 commits + experiments", "/?limit=1000")]:
                first, size = fetch(base + path)
                again, _ = fetch(base + path)
                print(f"  {name:43} first {first:6.3f}  again {again:6.3f}  ({size / 1024:.0f} KiB of HTML)")
            time.sleep(1)  # the index is written after the response
            print(f"  server peak memory: {peak_memory(server.pid):.0f} MiB")
        finally:
            server.terminate()
            server.wait()
    index = os.path.join(repo, ".mlv/state/history")
    print(f"history index: {os.path.getsize(index) / 2**20:.1f} MiB")
    if args.mlflow:
        mlflow_runs_table(args.mlflow, repo, args.experiments)


if __name__ == "__main__":
    main()
