#!/usr/bin/env python3
"""Registry and `get` benchmark: mlv against GTO and DVC on the same repositories, in one run.

1. Registry lookups at 100, 1,000 and 10,000 tags. One repository per size, its annotated tags
   written with `git fast-import` as GTO names them (NAME@vX.Y.Z, NAME#STAGE#N), ten per model:
   five versions, three prod and two staging promotions; the messages carry mlv's trailers
   (mlv-path, mlv-version), and they are packed as in a clone (`git pack-refs`). Timed, median of --repeat runs: the whole registry (`mlv model
   list --json` / `gto show --json`), the latest version (`mlv model path NAME` / `gto latest
   NAME`) and the version in prod (`mlv model path NAME#prod` / `gto which NAME prod`).
2. `mlv get` of a 1 GiB model against `dvc get`: each tool's source repository (the model
   added, pushed to a directory remote, committed), fetched by path from a second folder;
   every output is hashed and compared with the source.

Usage: python3 bench/registry.py [--mlv PATH] [--gto CMD] [--dvc CMD] [--size-mib N] [--repeat N] [--out DIR]
"""
import argparse, hashlib, json, os, shutil, statistics, subprocess, sys, time

ENV = dict(os.environ, GIT_AUTHOR_NAME="bench", GIT_AUTHOR_EMAIL="b@example.com",
           GIT_COMMITTER_NAME="bench", GIT_COMMITTER_EMAIL="b@example.com",
           DVC_NO_ANALYTICS="1", NO_COLOR="1", SWIFT_BACKTRACE="enable=no", GTO_EMOJIS="false")


def sh(cmd, cwd, check=True):
    start = time.perf_counter()
    proc = subprocess.run(cmd, shell=True, cwd=cwd, env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    elapsed = time.perf_counter() - start
    if check and proc.returncode != 0:
        sys.exit(f"command failed ({proc.returncode}): {cmd}\n{proc.stderr.decode(errors='replace')[-2000:]}")
    return elapsed, proc.stdout.decode(errors="replace")


def median(cmd, cwd, repeat):
    times = []
    for _ in range(repeat):
        elapsed, out = sh(cmd, cwd)
        times.append(elapsed)
    return statistics.median(times), out


def registry_repo(path, tags, mlv):
    shutil.rmtree(path, ignore_errors=True)
    os.makedirs(path + "/models")
    sh(f"git init -q -b main . && {mlv} init -q", path)
    with open(path + "/models/model.pkl", "w") as f:
        f.write("weights\n")
    # GTO allows one version of a model per commit: version k of every model sits on commit k.
    commits = []
    for version in range(5):
        with open(path + "/models/model.pkl", "w") as f:
            f.write(f"weights {version}\n")
        sh(f"git add -A && git commit -qm v{version}", path)
        commits.append(sh("git rev-parse HEAD", path)[1].strip())
    stream, when = [], 1700000000
    for model in range(tags // 10):
        name = f"model{model:05}"
        for version in range(5):
            when += 1
            body = f"Register {name} v1.{version}.0\n\nmlv-model: {name}\nmlv-version: v1.{version}.0\nmlv-path: models/model.pkl\n"
            stream.append(f"tag {name}@v1.{version}.0\nfrom {commits[version]}\ntagger bench <b@example.com> {when} +0000\ndata {len(body)}\n{body}\n")
        for number, (stage, version) in enumerate([("prod", 1), ("staging", 2), ("prod", 2), ("staging", 4), ("prod", 3)], start=1):
            body_version = f"v1.{version}.0"
            when += 1
            message = f"Promote {name} {body_version} to {stage}\n\nmlv-model: {name}\nmlv-version: {body_version}\nmlv-stage: {stage}\n"
            stream.append(f"tag {name}#{stage}#{number}\nfrom {commits[version]}\ntagger bench <b@example.com> {when} +0000\ndata {len(message)}\n{message}\n")
    subprocess.run(["git", "fast-import", "--quiet"], cwd=path, input="".join(stream).encode(), check=True, env=ENV)
    # As a clone has them: in packed-refs, not one file per tag.
    sh("git pack-refs --all", path)


def file_hash(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--mlv", default=os.path.abspath(".build/release/mlv"))
    parser.add_argument("--gto", default="gto")
    parser.add_argument("--dvc", default="dvc")
    parser.add_argument("--size-mib", type=int, default=1024)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--out", default="bench/out/registry")
    parser.add_argument("--skip-registry", action="store_true", help="only the get comparison")
    args = parser.parse_args()
    out = os.path.abspath(args.out)
    os.makedirs(out, exist_ok=True)

    if not args.skip_registry:
        print(f"Registry lookups, seconds (median of {args.repeat}; release build)")
        print(f"{'tags':>7} {'lookup':28} {'mlv':>8} {'GTO':>8} {'GTO/mlv':>8}")
    for tags in () if args.skip_registry else (100, 1000, 10000):
        repo = f"{out}/tags-{tags}"
        registry_repo(repo, tags, args.mlv)
        model = "model00000"
        for label, mine, theirs in [("whole registry", f"{args.mlv} model list --json", f"{args.gto} show --json"),
                                    ("latest version", f"{args.mlv} model path {model}", f"{args.gto} show {model}@latest --version"),
                                    ("version in prod", f"{args.mlv} model path '{model}#prod'", f"{args.gto} show {model}#prod --version")]:
            mlv_time, mlv_out = median(mine, repo, args.repeat)
            gto_time, gto_out = median(theirs, repo, args.repeat)
            expected = {"latest version": "v1.4.0", "version in prod": "v1.3.0"}.get(label)
            assert expected is None or expected in gto_out, gto_out
            print(f"{tags:>7} {label:28} {mlv_time:8.3f} {gto_time:8.3f} {gto_time / mlv_time:7.1f}x")

        # mlv must read the same registry: v1.4.0 the latest, v1.3.0 in prod, v1.4.0 in staging.
        shown = json.loads(sh(f"{args.mlv} model show {model} --json", repo)[1])
        assert [v["version"] for v in shown][-1] == "v1.4.0" and {v["version"]: v["stages"] for v in shown}["v1.3.0"] == ["prod"], shown

    size = args.size_mib << 20
    print(f"\n`get` of a {args.size_mib} MiB model from another repository (directory remote), seconds")
    source = f"{out}/model.bin"
    if not os.path.exists(source) or os.path.getsize(source) != size:
        with open(source, "wb") as f:
            for _ in range(args.size_mib):
                f.write(os.urandom(1 << 20))
    expected = file_hash(source)
    for tool in ("mlv", "dvc"):
        repo, remote = f"{out}/{tool}-source", f"{out}/{tool}-remote"
        for folder in (repo, remote):
            shutil.rmtree(folder, ignore_errors=True)
        os.makedirs(repo + "/models")
        os.makedirs(remote)
        os.link(source, repo + "/models/model.bin") if tool == "dvc" else shutil.copy(source, repo + "/models/model.bin")
        if tool == "mlv":
            sh(f"git init -q -b main . && {args.mlv} init -q && {args.mlv} add -q models/model.bin && {args.mlv} remote add store {remote} --default"
               f" && git add -A && git commit -qm model && {args.mlv} push -q", repo)
        else:
            sh(f"git init -q -b main . && {args.dvc} init -q && {args.dvc} add -q models/model.bin && {args.dvc} remote add -d store {remote}"
               f" && git add -A && git commit -qm model && {args.dvc} push -q", repo)
    results = {}
    for tool, cmd in (("mlv", f"{args.mlv} get {out}/mlv-source models/model.bin -o got.bin"),
                      ("dvc", f"{args.dvc} get {out}/dvc-source models/model.bin -o got.bin")):
        times = []
        for _ in range(args.repeat):
            target = f"{out}/{tool}-get"
            shutil.rmtree(target, ignore_errors=True)
            os.makedirs(target)
            elapsed, _ = sh(cmd, target)
            assert file_hash(target + "/got.bin") == expected, f"{tool} get wrote other bytes"
            times.append(elapsed)
        results[tool] = statistics.median(times)
    print(f"mlv get {results['mlv']:.2f}  dvc get {results['dvc']:.2f}  dvc/mlv {results['dvc'] / results['mlv']:.2f}x (outputs hashed and equal to the source)")


if __name__ == "__main__":
    main()
