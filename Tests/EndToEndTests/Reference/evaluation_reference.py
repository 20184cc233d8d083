#!/usr/bin/env python3
"""Writes random prediction files and the metrics scikit-learn computes for them.

Usage: evaluation_reference.py OUT_DIR
For each case it writes OUT_DIR/<case>.csv (or .jsonl) and OUT_DIR/<case>.expected.json: the
flattened metric names mlv writes (dotted, as `mlv metrics show` reads them) with scikit-learn's
values (None where scikit-learn raises or has no value). Text metrics follow the SQuAD
definitions (v2.0 evaluation script: normalize, exact match, token F1).
"""
import collections, json, math, os, random, re, string, sys

import numpy as np
from sklearn import metrics as M


def write_csv(path, columns, rows):
    with open(path, "w") as out:
        out.write(",".join(columns) + "\n")
        for row in rows:
            out.write(",".join(str(v) for v in row) + "\n")


def classification_expected(y_true, y_pred, labels, pos_label=None, scores=None, multiclass_scores=None):
    e = {}
    labels = sorted(set(y_true) | set(y_pred), key=lambda v: (float(v) if all(_num(l) for l in labels) else v))
    e["rows"] = len(y_true)
    e["accuracy"] = M.accuracy_score(y_true, y_pred)
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        e["balanced_accuracy"] = M.balanced_accuracy_score(y_true, y_pred)
    if pos_label is not None:
        e["precision"] = M.precision_score(y_true, y_pred, pos_label=pos_label, zero_division=0)
        e["recall"] = M.recall_score(y_true, y_pred, pos_label=pos_label, zero_division=0)
        e["f1"] = M.f1_score(y_true, y_pred, pos_label=pos_label, zero_division=0)
    e["mcc"] = M.matthews_corrcoef(y_true, y_pred)
    for avg in ("macro", "micro", "weighted"):
        p, r, f, _ = M.precision_recall_fscore_support(y_true, y_pred, labels=labels, average=avg, zero_division=0)
        e[f"{avg}.precision"], e[f"{avg}.recall"], e[f"{avg}.f1"] = p, r, f
    p, r, f, s = M.precision_recall_fscore_support(y_true, y_pred, labels=labels, average=None, zero_division=0)
    for i, label in enumerate(labels):
        e[f"per_class.{label}.precision"], e[f"per_class.{label}.recall"] = p[i], r[i]
        e[f"per_class.{label}.f1"], e[f"per_class.{label}.support"] = f[i], int(s[i])
    if scores is not None:
        y_bin = [1 if y == pos_label else 0 for y in y_true]
        e["roc_auc"] = M.roc_auc_score(y_bin, scores) if 0 < sum(y_bin) < len(y_bin) else None
        e["average_precision"] = M.average_precision_score(y_bin, scores) if sum(y_bin) > 0 else None
        e["log_loss"] = M.log_loss(y_bin, scores, labels=[0, 1])
        e["brier"] = M.brier_score_loss(y_bin, scores)
    if multiclass_scores is not None:
        arr = np.array(multiclass_scores)
        e["roc_auc"] = M.roc_auc_score(y_true, arr, multi_class="ovr", average="macro", labels=labels)
        e["average_precision"] = M.average_precision_score(np.array([[1 if y == l else 0 for l in labels] for y in y_true]), arr, average="macro")
        e["log_loss"] = M.log_loss(y_true, arr, labels=labels)
    return e


def _num(v):
    try:
        float(v)
        return True
    except ValueError:
        return False


def squad_normalize(s):
    s = s.lower()
    s = "".join(ch for ch in s if ch not in set(string.punctuation))
    s = re.sub(r"\b(a|an|the)\b", " ", s)
    return " ".join(s.split())


def squad_f1(pred, gold):
    p, g = squad_normalize(pred).split(), squad_normalize(gold).split()
    if len(p) == 0 or len(g) == 0:
        return int(p == g)
    common = collections.Counter(p) & collections.Counter(g)
    same = sum(common.values())
    if same == 0:
        return 0
    precision, recall = same / len(p), same / len(g)
    return 2 * precision * recall / (precision + recall)


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    cases = {}
    for seed in (1, 2, 3):
        rnd = random.Random(seed)
        # Binary, imbalanced, with ties in the scores (rounded to 2 decimals).
        n = 500 + seed * 37
        y = [1 if rnd.random() < 0.2 else 0 for _ in range(n)]
        s = [round(min(1, max(0, (0.35 if t else 0.0) + rnd.random() * 0.65)), 2) for t in y]
        yp = [1 if v >= 0.5 else 0 for v in s]
        write_csv(f"{out}/binary{seed}.csv", ["y_true", "y_pred", "y_score"], zip(y, yp, s))
        cases[f"binary{seed}"] = dict(task="binary", args=["--label", "y_true", "--prediction", "y_pred", "--score", "y_score"],
                                      expected=classification_expected(y, yp, [0, 1], pos_label=1, scores=s))
        # Multiclass, 7 classes, one never predicted; probabilities per class.
        k = 7
        y = [rnd.choice(range(k)) if rnd.random() < 0.8 else 0 for _ in range(n)]
        probs = []
        for t in y:
            raw = [rnd.random() + (1.5 if c == t and rnd.random() < 0.6 else 0) for c in range(k)]
            total = sum(raw)
            probs.append([v / total for v in raw])
        yp = [max(range(k), key=lambda c: p[c]) if max(range(k), key=lambda c: p[c]) != 6 else 5 for p in probs]
        write_csv(f"{out}/multi{seed}.csv", ["y", "pred"] + [f"p{c}" for c in range(k)], [[t, q] + [repr(v) for v in p] for t, q, p in zip(y, yp, probs)])
        cases[f"multi{seed}"] = dict(task="multiclass", args=["--label", "y", "--prediction", "pred"] + sum([["--score", f"p{c}"] for c in range(k)], []),
                                     expected=classification_expected([str(v) for v in y], [str(v) for v in yp], [str(c) for c in range(k)], multiclass_scores=probs))
        # Regression.
        yt = [rnd.gauss(10, 3) for _ in range(n)]
        yr = [v + rnd.gauss(0, 1) for v in yt]
        write_csv(f"{out}/reg{seed}.csv", ["t", "p"], [[repr(a), repr(b)] for a, b in zip(yt, yr)])
        cases[f"reg{seed}"] = dict(task="regression", args=["--label", "t", "--prediction", "p"], expected={
            "rows": n, "mae": M.mean_absolute_error(yt, yr), "mse": M.mean_squared_error(yt, yr),
            "rmse": math.sqrt(M.mean_squared_error(yt, yr)), "r2": M.r2_score(yt, yr),
            "mape": M.mean_absolute_percentage_error(yt, yr), "median_absolute_error": M.median_absolute_error(yt, yr),
            "max_error": M.max_error(yt, yr)})
    # Degenerate: one class only, a class never predicted, constant scores.
    y = [1] * 20
    yp = [1] * 15 + [0] * 5
    write_csv(f"{out}/single.csv", ["label", "prediction", "score"], zip(y, yp, [0.5] * 20))
    cases["single"] = dict(task="binary", args=["--score", "score"], expected=classification_expected(y, yp, [0, 1], pos_label=1, scores=[0.5] * 20))
    # String labels with a slice column.
    words = ["cat", "dog", "eel"]
    rnd = random.Random(9)
    rows = [(rnd.choice(words), rnd.choice(words), rnd.choice(["en", "de"])) for _ in range(300)]
    write_csv(f"{out}/animals.csv", ["truth", "guess", "language"], rows)
    expected = classification_expected([r[0] for r in rows], [r[1] for r in rows], words)
    for lang in ("en", "de"):
        part = [r for r in rows if r[2] == lang]
        for key, value in classification_expected([r[0] for r in part], [r[1] for r in part], words).items():
            expected[f"slices.language={lang}.{key}"] = value
    cases["animals"] = dict(task="multiclass", args=["--label", "truth", "--prediction", "guess", "--slice-by", "language"], expected=expected)
    # Text, as JSON Lines.
    refs = ["The cat sat.", "a dog", "Paris", "", "the answer is 42", "New York City"]
    outs = ["cat sat", "the dog!", "paris, france", "", "42", "York"]
    with open(f"{out}/text.jsonl", "w") as f:
        for r, o in zip(refs, outs):
            f.write(json.dumps({"reference": r, "output": o}) + "\n")
    lengths = sorted(len(o.split()) for o in outs)
    cases["text"] = dict(task="text", args=["--label", "reference", "--prediction", "output"], expected={
        "rows": len(refs), "exact_match": sum(squad_normalize(r) == squad_normalize(o) for r, o in zip(refs, outs)) / len(refs),
        "f1": sum(squad_f1(o, r) for r, o in zip(refs, outs)) / len(refs),
        "output_tokens.mean": sum(lengths) / len(lengths), "output_tokens.p50": float(np.percentile(lengths, 50)),
        "output_tokens.p90": float(np.percentile(lengths, 90)), "output_tokens.min": lengths[0], "output_tokens.max": lengths[-1]})
    for name, case in cases.items():
        case["expected"] = {k: (None if v is None or (isinstance(v, float) and math.isnan(v)) else float(v)) for k, v in case["expected"].items()}
    json.dump(cases, open(f"{out}/cases.json", "w"), indent=1)


if __name__ == "__main__":
    main()
