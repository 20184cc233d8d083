#!/usr/bin/env python3
"""Evaluation benchmark: `mlv evaluate` against pandas + scikit-learn computing the same metrics
from the same predictions file, in one run: wall time and peak memory (RSS of the process).

Workloads: binary (label, prediction, probability) and multiclass with 5 classes (label,
prediction, 5 probability columns), at 1M and 10M rows (CSV). The Python side reads the file
with pandas and computes what mlv computes: accuracy, balanced accuracy, precision/recall/F1
(per class and macro/micro/weighted), confusion matrix, MCC, ROC-AUC, average precision, log
loss and (binary) Brier score.

Usage: python3 bench/evaluate.py [--rows 1000000,10000000] [--repeat N] [--mlv PATH] [--out DIR]
"""
import argparse, os, random, statistics, subprocess, sys, time

PYTHON_SIDE = r'''
import sys, json
import numpy as np, pandas as pd
from sklearn import metrics as M
path, task = sys.argv[1], sys.argv[2]
df = pd.read_csv(path)
y, p = df["label"].to_numpy(), df["prediction"].to_numpy()
labels = np.unique(np.concatenate([y, p]))
out = {"accuracy": M.accuracy_score(y, p), "balanced_accuracy": M.balanced_accuracy_score(y, p),
       "mcc": M.matthews_corrcoef(y, p), "confusion": M.confusion_matrix(y, p, labels=labels).tolist()}
for avg in ("macro", "micro", "weighted", None):
    r = M.precision_recall_fscore_support(y, p, labels=labels, average=avg, zero_division=0)
    out[str(avg)] = [np.asarray(v).tolist() for v in r[:3]]
if task == "binary":
    s = df["score"].to_numpy()
    out.update(roc_auc=M.roc_auc_score(y, s), ap=M.average_precision_score(y, s), log_loss=M.log_loss(y, s), brier=M.brier_score_loss(y, s))
else:
    s = df[[c for c in df.columns if c.startswith("p")  and c != "prediction"]].to_numpy()
    out.update(roc_auc=M.roc_auc_score(y, s, multi_class="ovr"), log_loss=M.log_loss(y, s, labels=labels),
               ap=M.average_precision_score(np.eye(len(labels))[np.searchsorted(labels, y)], s, average="macro"))
print(json.dumps(out)[:200])
'''


def make(path, rows, task):
    rnd = random.Random(rows)
    with open(path, "w") as out:
        if task == "binary":
            out.write("label,prediction,score\n")
            for _ in range(rows):
                y = 1 if rnd.random() < 0.3 else 0
                s = min(1.0, max(0.0, (0.6 if y else 0.35) + rnd.gauss(0, 0.2)))
                out.write(f"{y},{int(s >= 0.5)},{s:.4f}\n")
        else:
            out.write("label,prediction,p0,p1,p2,p3,p4\n")
            for _ in range(rows):
                y = rnd.randrange(5)
                raw = [rnd.random() + (1.2 if c == y else 0) for c in range(5)]
                total = sum(raw)
                probs = [v / total for v in raw]
                out.write(f"{y},{max(range(5), key=lambda c: probs[c])}," + ",".join(f"{v:.8f}" for v in probs) + "\n")


def measure(cmd, cwd):
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=dict(os.environ, SWIFT_BACKTRACE="enable=no"))
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    err = proc.stderr.read().decode(errors="replace")
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"failed: {cmd}\n{err}")
    return elapsed, usage.ru_maxrss / 1024


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", default="1000000,10000000")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--mlv", default=os.path.abspath(".build/release/mlv"))
    parser.add_argument("--out", default="bench/out/evaluate")
    args = parser.parse_args()
    out = os.path.abspath(args.out)
    os.makedirs(out, exist_ok=True)
    script = os.path.join(out, "sklearn_eval.py")
    with open(script, "w") as f:
        f.write(PYTHON_SIDE)
    print(f"medians of {args.repeat}; time in seconds, peak memory in MiB; ratio = pandas+sklearn / mlv")
    print(f"{'workload':24} {'mlv s':>8} {'py s':>8} {'x faster':>9} {'mlv MiB':>8} {'py MiB':>8} {'x less':>7}")
    for rows in [int(r) for r in args.rows.split(",")]:
        for task in ("binary", "multiclass"):
            path = os.path.join(out, f"{task}-{rows}.csv")
            if not os.path.exists(path):
                make(path, rows, task)
            scores = ["--score", "score"] if task == "binary" else sum([["--score", f"p{c}"] for c in range(5)], [])
            mlv_cmd = [args.mlv, "evaluate", path, "--task", task, "-o", os.path.join(out, f"{task}-{rows}.json")] + scores
            py_cmd = [sys.executable, script, path, task]
            mlv_runs, py_runs = [], []
            for _ in range(args.repeat):
                mlv_runs.append(measure(mlv_cmd, out))
                py_runs.append(measure(py_cmd, out))
            mt, mm = statistics.median(r[0] for r in mlv_runs), statistics.median(r[1] for r in mlv_runs)
            pt, pm = statistics.median(r[0] for r in py_runs), statistics.median(r[1] for r in py_runs)
            print(f"{task + ' ' + format(rows, ','):24} {mt:8.2f} {pt:8.2f} {pt / mt:9.1f} {mm:8.0f} {pm:8.0f} {pm / mm:7.1f}")


if __name__ == "__main__":
    main()
