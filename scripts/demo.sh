#!/usr/bin/env bash
# Builds mlv and walks a throwaway repository through init, add, status, diff, checkout, gc,
# fsck, a three-stage pipeline (train, run cache, lineage), push / clone / pull through a
# local-directory remote, and an experiment sweep shared through Git, with a generated dataset
# and model file, then registers the model in Git tags and gets it from the shared repository
# without a clone. No services needed. Fails loudly if any byte comes back wrong.
set -euo pipefail
cd "$(dirname "$0")/.."
export SWIFT_BACKTRACE=enable=no
MLV_SKIP_TEST_DEPS=1 scripts/ensure-deps.sh
if ! swift build -c release --product mlv >/tmp/mlv-demo-build.log 2>&1; then
  cat /tmp/mlv-demo-build.log >&2
  exit 1
fi
PATH="$(swift build -c release --show-bin-path):$PATH"
export PATH
demo="$(mktemp -d /tmp/mlv-demo.XXXXXX)"
trap 'rm -rf "$demo"' EXIT
run() { printf '\n$ %s\n' "$*"; "$@"; }
cd "$demo"
export GIT_AUTHOR_NAME=demo GIT_AUTHOR_EMAIL=demo@example.com GIT_COMMITTER_NAME=demo GIT_COMMITTER_EMAIL=demo@example.com
git init -q -b main .
python3 - <<'PY'
import os, random
random.seed(1)
for d in range(5):
    os.makedirs(f"data/part{d}", exist_ok=True)
    for f in range(40):
        with open(f"data/part{d}/sample{f:03}.csv", "w") as out:
            rows = []
            for _ in range(200):
                x = random.random()
                y = int(x > 0.6) if random.random() > 0.1 else random.randint(0, 1)
                rows.append(f"{x:.6f},{y}\n")
            out.write("x,y\n" + "".join(rows))
os.makedirs("models", exist_ok=True)
with open("models/model.bin", "wb") as out:
    out.write(random.randbytes(8 * 1024 * 1024))
PY
run mlv init
run mlv add data models/model.bin
git commit -qm "v1: dataset and model"
v1_data=$(cd data && find . -type f -print0 | sort -z | xargs -0 sha256sum | sha256sum)
v1_model=$(sha256sum < models/model.bin)
echo "0.5,1" >> data/part0/sample000.csv
rm data/part1/sample001.csv
echo "x,y" > data/part4/extra.csv
python3 -c "import random; random.seed(2); open('models/model.bin','r+b').write(random.randbytes(4096))"
run mlv status -v
run mlv diff
run mlv add data models/model.bin
git commit -qm "v2: more data, retrained model"
run mlv diff HEAD~1 HEAD
run git checkout -q HEAD~1
run mlv checkout
[ "$(cd data && find . -type f -print0 | sort -z | xargs -0 sha256sum | sha256sum)" = "$v1_data" ] || { echo "data differs from v1" >&2; exit 1; }
[ "$(sha256sum < models/model.bin)" = "$v1_model" ] || { echo "model differs from v1" >&2; exit 1; }
echo "v1 bytes restored exactly"
run git checkout -q main
run mlv checkout
run mlv status
run mlv gc --workspace --dry-run
run mlv fsck
run git fsck --no-progress
# A pipeline: features from the dataset, a model trained on them, metrics from the model.
cat > prepare.py <<'PY'
import glob, os
os.makedirs("features", exist_ok=True)
rows = [l for f in sorted(glob.glob("data/*/*.csv")) for l in open(f).read().split("\n")[1:] if l]
open("features/table.csv", "w").write("x,y\n" + "\n".join(rows) + "\n")
PY
cat > train.py <<'PY'
import json, os, re
p = dict(re.findall(r"^\s+(\w+):\s*(\S+)", open("params.yaml").read(), re.M))
rows = [tuple(map(float, l.split(","))) for l in open("features/table.csv").read().split("\n")[1:] if l]
threshold = float(p["threshold"])
os.makedirs("models", exist_ok=True)
json.dump({"threshold": threshold, "epochs": int(p["epochs"])}, open("models/weights.json", "w"))
PY
cat > evaluate.py <<'PY'
import json
model = json.load(open("models/weights.json"))
rows = [tuple(map(float, l.split(","))) for l in open("features/table.csv").read().split("\n")[1:] if l]
hits = sum((x > model["threshold"]) == (y == 1) for x, y in rows)
json.dump({"accuracy": round(hits / len(rows), 4), "rows": len(rows)}, open("metrics.json", "w"))
PY
printf 'train:\n  threshold: 0.5\n  epochs: 3\n' > params.yaml
cat > mlv.yaml <<'YAML'
stages:
  prepare:
    cmd: python3 prepare.py
    deps: [data, prepare.py]
    outs: [features]
  train:
    cmd: python3 train.py
    deps: [features, train.py]
    params: [train.threshold, train.epochs]
    outs: [models/weights.json]
  evaluate:
    cmd: python3 evaluate.py
    deps: [models/weights.json, features, evaluate.py]
    metrics: [metrics.json]
metrics:
  accuracy: higher_is_better
YAML
git add prepare.py train.py evaluate.py params.yaml mlv.yaml
run mlv train --commit -m "pipeline: baseline"
sed -i 's/threshold: 0.5/threshold: 0.6/' params.yaml
run mlv train --commit
sed -i 's/threshold: 0.6/threshold: 0.5/' params.yaml
run mlv train
baseline_weights=$(git show HEAD~1:mlv.lock | grep -A3 '"models/weights.json"' | grep -m1 'id:' | awk '{print $2}')
[ "$(sha256sum < models/weights.json | cut -d' ' -f1)" = "$baseline_weights" ] || { echo "run cache restored the wrong weights" >&2; exit 1; }
git checkout -q -- mlv.lock params.yaml metrics.json && mlv checkout -q
run mlv lineage metrics.json
run mlv lineage --used-by data
run mlv metrics diff HEAD~1 HEAD
run mlv params diff HEAD~1 HEAD
run mlv metrics history accuracy

run mlv remote add store "$demo-remote" --default
trap 'rm -rf "$demo" "$demo-remote" "$demo-clone"' EXIT
run git commit -qm "share data through a local remote"
run mlv push --all-commits
# Gates on pushes: a bare Git repository stands in for the team's server.
git init -q --bare -b main "$demo-origin.git"
git remote add origin "$demo-origin.git"
trap 'rm -rf "$demo" "$demo-remote" "$demo-clone" "$demo-origin.git"' EXIT
printf 'gates:\n  - accuracy >= 0.7\n  - accuracy >= baseline - 0.01\n' >> mlv.yaml
git commit -qam "gate accuracy"
run mlv gate HEAD --baseline HEAD~1
run mlv hooks install
run git push -q -u origin main
sed -i 's/threshold: 0.6/threshold: 0.95/' params.yaml
run mlv train --commit -m "try a higher threshold"
printf '\n$ git push\n'
if git push -q 2>"$demo-push.err"; then echo "the regression was pushed" >&2; exit 1; fi
cat "$demo-push.err"; rm -f "$demo-push.err"
echo "(push refused; origin/main unchanged)"
git reset -q --hard HEAD~1 && mlv checkout -q
run git clone -q "$demo-origin.git" "$demo-clone"
cd "$demo-clone"
run mlv pull
[ "$(sha256sum < models/model.bin)" != "$v1_model" ] || { echo "clone has the old model" >&2; exit 1; }
cmp models/model.bin "$demo/models/model.bin" && diff -r data "$demo/data" >/dev/null || { echo "clone differs" >&2; exit 1; }
cmp models/weights.json "$demo/models/weights.json" && diff -r features "$demo/features" >/dev/null || { echo "clone's stage outputs differ" >&2; exit 1; }
run mlv metrics show
run mlv train
echo "the clone got every byte through the remote"
run mlv fsck --remote store

# Experiments: try thresholds without committing (a sweep, two at a time), compare, share, keep one.
cd "$demo"
run mlv exp run -n thr -S train.threshold=0.58,0.59,0.61 -j 2
run mlv exp show
run mlv exp diff thr-2
run mlv exp push origin --all
git status --short | grep . && { echo "exp run touched the work tree" >&2; exit 1; }
cd "$demo-clone"
run mlv exp pull
run mlv exp apply thr-2
run git commit -qam "threshold 0.59, from experiment thr-2"
(cd "$demo" && mlv exp apply -q thr-2)
cmp models/weights.json "$demo/models/weights.json" && cmp metrics.json "$demo/metrics.json" || { echo "the applied experiment differs between clones" >&2; exit 1; }
run mlv metrics diff HEAD~1 HEAD

# The model registry lives in Git tags; a deployment job gets the prod model without a clone.
run mlv model register weights --path models/weights.json --version v1.0.0 -m "threshold 0.59"
run mlv model promote weights v1.0.0 prod
run mlv model list
run mlv push -q
run git push -q origin main --tags
trap 'rm -rf "$demo" "$demo-remote" "$demo-clone" "$demo-origin.git" "$demo-deploy"' EXIT
mkdir "$demo-deploy" && cd "$demo-deploy"
run mlv ls "$demo-origin.git" --rev 'weights#prod'
run mlv get "$demo-origin.git" models/weights.json --rev 'weights#prod'
cmp weights.json "$demo-clone/models/weights.json" || { echo "mlv get brought other bytes" >&2; exit 1; }
echo
echo "demo finished: every byte matched"
