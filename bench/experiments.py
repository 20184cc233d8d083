#!/usr/bin/env python3
"""Experiments benchmark: mlv exp against DVC 3 experiments on the same real pipeline, in one run.

The pipeline: prepare, train, evaluate in Python, each a fixed amount of CPU work (about a
second on this machine); a param change reruns train and evaluate. Measured:
  1. overhead of `mlv exp run -S` over `mlv train` after the same param change (both run
     train + evaluate), and of `dvc exp run -S` (workspace and --temp) over `dvc repro`;
  2. a 12-experiment sweep (6 learning rates x 2 epoch counts): mlv -j 1, mlv -j 2, and DVC's
     `dvc exp run --queue` x 12 + `dvc queue start -j 2` until the queue is empty;
  3. `exp show` over 1,000 experiments written with `git fast-import` (mlv: refs/mlv/exps,
     DVC: refs/exps), DVC given up to 10 minutes.

Usage: python3 bench/experiments.py [--repeat N] [--mlv PATH] [--dvc CMD] [--out DIR]
(--mlv defaults to .build/release/mlv; --dvc to `dvc`, e.g. "/opt/venv/bin/dvc").
"""
import argparse, os, shutil, statistics, subprocess, sys, time

ENV = dict(os.environ, GIT_AUTHOR_NAME="bench", GIT_AUTHOR_EMAIL="b@example.com",
           GIT_COMMITTER_NAME="bench", GIT_COMMITTER_EMAIL="b@example.com",
           DVC_NO_ANALYTICS="1", NO_COLOR="1", SWIFT_BACKTRACE="enable=no")

WORK = "n = 0\nfor i in range({n}):\n    n = (n * 31 + i) % 1000003\n"
PREPARE = "import os\n" + WORK.format(n=6_000_000) + "os.makedirs('features', exist_ok=True)\nopen('features/rows.txt', 'w').write(open('raw.csv').read())\n"
TRAIN = ("import json, os, re\np = dict(re.findall(r'^\\s+(\\w+):\\s*(\\S+)', open('params.yaml').read(), re.M))\n"
         "lr, epochs = float(p['lr']), int(p['epochs'])\n" + WORK.format(n=6_000_000) +
         "os.makedirs('models', exist_ok=True)\njson.dump({'w': lr * epochs, 'n': n}, open('models/model.json', 'w'))\n")
EVALUATE = ("import json\nm = json.load(open('models/model.json'))\n" + WORK.format(n=3_000_000) +
            "json.dump({'loss': abs(m['w'] - 0.1), 'accuracy': 1 / (1 + abs(m['w'] - 0.1))}, open('metrics.json', 'w'))\n")
STAGES = """  prepare:
    cmd: python3 prepare.py
    deps: [raw.csv, prepare.py]
    outs: [features]
  train:
    cmd: python3 train.py
    deps: [features, train.py]
    params: [train.lr, train.epochs]
    outs: [models/model.json]
  evaluate:
    cmd: python3 evaluate.py
    deps: [models/model.json, evaluate.py]
    metrics: [metrics.json]
"""


def sh(cmd, cwd, check=True, timeout=None):
    start = time.perf_counter()
    proc = subprocess.run(cmd, shell=True, cwd=cwd, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=timeout)
    elapsed = time.perf_counter() - start
    if check and proc.returncode != 0:
        sys.exit(f"command failed ({proc.returncode}): {cmd}\n{proc.stderr.decode(errors='replace')[-2000:]}")
    return elapsed


def make_repo(path, tool, mlv, dvc):
    shutil.rmtree(path, ignore_errors=True)
    os.makedirs(path)
    files = {"prepare.py": PREPARE, "train.py": TRAIN, "evaluate.py": EVALUATE, "raw.csv": "1,2\n2,4\n3,6\n",
             "params.yaml": "train:\n  lr: 0.1\n  epochs: 1\n"}
    for name, text in files.items():
        with open(os.path.join(path, name), "w") as out:
            out.write(text)
    sh("git init -q -b main . && git config gc.auto 0", path)
    if tool == "mlv":
        with open(os.path.join(path, "mlv.yaml"), "w") as out:
            out.write("stages:\n" + STAGES)
        sh(f"{mlv} init -q && {mlv} add raw.csv -q && {mlv} train --commit -q && git add -A && git commit -q --allow-empty -m base", path)
    else:
        with open(os.path.join(path, "dvc.yaml"), "w") as out:
            out.write("stages:\n" + STAGES.replace("metrics: [metrics.json]", "metrics:\n      - metrics.json:\n          cache: false"))
        sh(f"{dvc} init -q && {dvc} add -q raw.csv && {dvc} repro -q && git add -A && git commit -q --allow-empty -m base", path)


def set_lr(path, lr):
    with open(os.path.join(path, "params.yaml"), "w") as out:
        out.write(f"train:\n  lr: {lr}\n  epochs: 1\n")


def fast_import_experiments(path, count, dvc_refs):
    base = subprocess.check_output(["git", "rev-parse", "HEAD"], cwd=path, text=True).strip()
    stream = []
    for i in range(count):
        ref = f"refs/exps/{base[:2]}/{base[2:]}/bench-{i:04}" if dvc_refs else f"refs/mlv/exps/{base}/bench-{i:04}"
        params = f"train:\n  lr: {0.001 * (i + 1):.3f}\n  epochs: {i % 7 + 1}\n".encode()
        metrics = f'{{"accuracy": {0.5 + (i % 500) / 1000:.4f}, "loss": {1.0 / (i + 1):.6f}}}\n'.encode()
        stream.append(f"commit {ref}\ncommitter bench <b@example.com> {1700000000 + i} +0000\ndata 12\nbench commit\nfrom {base}\n".encode())
        stream.append(f"M 100644 inline params.yaml\ndata {len(params)}\n".encode() + params + b"\n")
        stream.append(f"M 100644 inline metrics.json\ndata {len(metrics)}\n".encode() + metrics + b"\n")
    subprocess.run(["git", "fast-import", "--quiet"], cwd=path, input=b"".join(stream), check=True, env=ENV)


def wait_for_dvc_queue(path, dvc, timeout=1800):
    deadline = time.time() + timeout
    while time.time() < deadline:
        out = subprocess.run(f"{dvc} queue status", shell=True, cwd=path, env=ENV, capture_output=True, text=True).stdout
        lines = [l for l in out.splitlines() if " Queued" in l or " Running" in l]
        if not lines:
            return
        if "0 active" in out and not any(" Running" in l for l in lines):
            # DVC's workers can exit while entries are still queued; start them again.
            sh(f"{dvc} queue start -j 2", path)
        time.sleep(0.5)
    sys.exit("DVC's queue did not empty")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--mlv", default=os.path.abspath(".build/release/mlv"))
    parser.add_argument("--dvc", default=os.environ.get("DVC", "dvc"))
    parser.add_argument("--out", default="bench/out/experiments")
    args = parser.parse_args()
    mlv, dvc = args.mlv, args.dvc
    out = os.path.abspath(args.out)
    os.makedirs(out, exist_ok=True)
    results = {}

    # 1. Overhead of an experiment over a plain run of the same stages.
    m, d = os.path.join(out, "mlv"), os.path.join(out, "dvc")
    make_repo(m, "mlv", mlv, dvc)
    make_repo(d, "dvc", mlv, dvc)
    rows = {"mlv train": [], "mlv exp run": [], "dvc repro": [], "dvc exp run": [], "dvc exp run --temp": []}
    for r in range(args.repeat):
        set_lr(m, 0.2 + r / 100)
        rows["mlv train"].append(sh(f"{mlv} train -q", m))
        sh("git checkout -q -- params.yaml", m)
        rows["mlv exp run"].append(sh(f"{mlv} exp run -q -S train.lr={0.3 + r / 100}", m))
        set_lr(d, 0.2 + r / 100)
        rows["dvc repro"].append(sh(f"{dvc} repro -q", d))
        sh(f"git checkout -q -- params.yaml && {dvc} checkout -q --force", d, check=False)
        rows["dvc exp run"].append(sh(f"{dvc} exp run -q -S train.lr={0.3 + r / 100}", d))
        sh(f"git checkout -q -- . && {dvc} checkout -q --force", d, check=False)
        rows["dvc exp run --temp"].append(sh(f"{dvc} exp run -q --temp -S train.lr={0.4 + r / 100}", d))
    results.update({k: statistics.median(v) for k, v in rows.items()})

    # 2. A 12-experiment sweep.
    # Every run sweeps values no earlier run used, so nothing is restored from a run cache.
    lrs = lambda r, k: ",".join(f"0.0{i}{r}{k}" for i in range(1, 7))
    sweep = {"mlv sweep -j 1": [], "mlv sweep -j 2": [], "dvc queue x12 + queue start -j 2": []}
    for r in range(args.repeat):
        for jobs in (1, 2):
            sweep[f"mlv sweep -j {jobs}"].append(sh(f"{mlv} exp run -q -j {jobs} -S train.lr={lrs(r, jobs)} -S train.epochs=2,3", m))
        sh(f"{dvc} exp remove -q --all-commits", d, check=False)
        start = time.perf_counter()
        for lr in lrs(r, 9).split(","):
            for epochs in (2, 3):
                sh(f"{dvc} exp run -q --queue -S train.lr={lr} -S train.epochs={epochs}", d)
        sh(f"{dvc} queue start -j 2", d)
        wait_for_dvc_queue(d, dvc)
        sweep["dvc queue x12 + queue start -j 2"].append(time.perf_counter() - start)
    results.update({k: statistics.median(v) for k, v in sweep.items()})
    failed = subprocess.run(f"{dvc} queue status", shell=True, cwd=d, env=ENV, capture_output=True, text=True).stdout.count("Failed")
    done_mlv = subprocess.run(f"{mlv} exp show --csv", shell=True, cwd=m, env=ENV, capture_output=True, text=True).stdout.count(",done,")
    # (includes the overhead runs: 3 x repeat + 2 x 12 x repeat experiments expected)

    # 3. exp show with 1,000 experiments.
    show_m, show_d = os.path.join(out, "mlv-show"), os.path.join(out, "dvc-show")
    make_repo(show_m, "mlv", mlv, dvc)
    make_repo(show_d, "dvc", mlv, dvc)
    fast_import_experiments(show_m, 1000, dvc_refs=False)
    fast_import_experiments(show_d, 1000, dvc_refs=True)
    results["mlv exp show, 1,000 experiments"] = statistics.median(sh(f"{mlv} exp show --csv", show_m) for _ in range(args.repeat))
    try:
        results["dvc exp show, 1,000 experiments"] = sh(f"{dvc} exp show --csv", show_d, timeout=600)
    except subprocess.TimeoutExpired:
        results["dvc exp show, 1,000 experiments"] = None

    print(f"medians of {args.repeat} run(s), seconds; mlv {mlv}, {subprocess.check_output(dvc + ' --version', shell=True, text=True).strip()} (DVC)")
    for name, value in results.items():
        print(f"{name:45} {'> 600' if value is None else f'{value:8.2f}'}")
    o_mlv = results["mlv exp run"] - results["mlv train"]
    print(f"mlv exp run overhead over train: {o_mlv:+.2f} s ({100 * o_mlv / results['mlv train']:+.1f}%); goal <= 5% + 0.2 s")
    for mode in ("dvc exp run", "dvc exp run --temp"):
        o = results[mode] - results["dvc repro"]
        print(f"{mode} overhead over dvc repro: {o:+.2f} s ({100 * o / results['dvc repro']:+.1f}%)")
    print(f"sweep: -j 2 is {results['mlv sweep -j 1'] / results['mlv sweep -j 2']:.2f}x -j 1; "
          f"DVC's queue -j 2 takes {results['dvc queue x12 + queue start -j 2'] / results['mlv sweep -j 2']:.2f}x mlv -j 2 "
          f"(mlv experiments done: {done_mlv}, DVC queue entries failed: {failed})")
    if results["dvc exp show, 1,000 experiments"]:
        print(f"exp show: DVC takes {results['dvc exp show, 1,000 experiments'] / results['mlv exp show, 1,000 experiments']:.1f}x mlv")


if __name__ == "__main__":
    main()
