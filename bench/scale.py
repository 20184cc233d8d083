#!/usr/bin/env python3
"""Scale benchmark: many small files (default 100,000 of 1-10 KiB in 1,000 folders) tracked as
one directory, with mlv and DVC in the same run, against `git status` on the same files.

Operations, each timed once with its peak memory (ru_maxrss of the command and its children):
add (+ git commit), unchanged status, status after 10 files change, add of those 10 changes
(with the bytes the cache and the remote grow by), push to a directory remote, clone + pull,
and checkout of a 100-file change. `git status` runs on the same files committed to a plain
Git repository.

Usage: python3 bench/scale.py [--files N] [--tools mlv,dvc] [--mlv PATH] [--out DIR]
(DVC is found as `dvc` on PATH, or named by the DVC environment variable.)
"""
import argparse, os, random, shutil, subprocess, sys, tempfile, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tracking import run as run_command  # noqa: E402


def run(cmd, cwd, check=True):
    """Seconds and peak memory (MiB) of a shell command; dirty pages are flushed first, untimed."""
    return run_command(cmd, cwd, check=check, settle=True)


def du(path):
    return sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(path) for f in fs
               if not os.path.islink(os.path.join(d, f)))


def make_files(path, count):
    rnd = random.Random(1)
    for i in range(count):
        folder = f"{path}/d{i % 1000:03}"
        if i < 1000:
            os.makedirs(folder, exist_ok=True)
        with open(f"{folder}/f{i:07}.bin", "wb") as out:
            out.write(rnd.randbytes(rnd.randint(1024, 10240)))


def change(path, count, seed, tag):
    """Rewrites `count` files spread over the folders."""
    rnd = random.Random(seed)
    names = sorted(os.listdir(path))
    for i in range(count):
        folder = f"{path}/{names[(i * 97) % len(names)]}"
        name = sorted(os.listdir(folder))[0]
        with open(f"{folder}/{name}", "wb") as out:
            out.write(tag + rnd.randbytes(2000))


class MLV:
    name = "mlv"
    def __init__(self, binary): self.bin = binary
    def init(self, remote): return f"{self.bin} init -q && {self.bin} remote add store {remote} --default -q"
    def add(self): return f"{self.bin} add -q data && git add -A && git commit -qm v"
    def status(self): return f"{self.bin} status"
    def push(self): return f"{self.bin} push -q"
    def pull(self): return f"{self.bin} pull -q"
    def checkout(self, rev): return f"git checkout -q {rev} && {self.bin} checkout -q"
    def cache(self, repo): return f"{repo}/.mlv/cache"


class DVC:
    name = "dvc"
    def __init__(self): self.cmd = os.environ.get("DVC", "dvc")
    def init(self, remote): return f"{self.cmd} init -q && {self.cmd} remote add -d store {remote} && git add -A && git commit -qm setup"
    def add(self): return f"{self.cmd} add -q data && git add -A && git commit -qm v"
    def status(self): return f"{self.cmd} status"
    def push(self): return f"{self.cmd} push -q"
    def pull(self): return f"{self.cmd} pull -q"
    def checkout(self, rev): return f"git checkout -q {rev} && {self.cmd} checkout -q"
    def cache(self, repo): return f"{repo}/.dvc/cache"


def scenario(tool, source, out, files):
    repo, remote, clone = f"{out}/{tool.name}-repo", f"{out}/{tool.name}-remote", f"{out}/{tool.name}-clone"
    os.makedirs(repo)
    os.makedirs(remote)
    run("git init -q -b main .", repo)
    run(tool.init(remote), repo)
    run(f"cp -r {source} {repo}/data", out)
    r = {}
    r["add"] = run(tool.add(), repo)
    time.sleep(1)  # past every tool's racy window, as a user's next command would be
    run(tool.status(), repo)  # the first status after add may record what add could not
    r["unchanged status"] = run(tool.status(), repo)
    r["push"] = run(tool.push(), repo)
    cache_before, remote_before = du(tool.cache(repo)), du(remote)
    change(f"{repo}/data", 10, 3, b"ten")
    r["status, 10 changed"] = run(tool.status(), repo)
    r["add of 10 changes"] = run(tool.add(), repo)
    r["push of 10 changes"] = run(tool.push(), repo)
    r["cache grew (MiB)"] = (du(tool.cache(repo)) - cache_before) / 2**20
    r["remote grew (MiB)"] = (du(remote) - remote_before) / 2**20
    change(f"{repo}/data", 100, 4, b"hundred")
    run(tool.add(), repo)
    run(tool.push(), repo)
    run(f"git clone -q {repo} {clone}", out)
    r["clone + pull"] = run(tool.pull(), clone)
    r["checkout of 100 changed"] = run(tool.checkout("HEAD~1"), repo)
    return r


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--files", type=int, default=100_000)
    parser.add_argument("--tools", default="mlv,dvc")
    parser.add_argument("--mlv", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".build", "release", "mlv"))
    parser.add_argument("--out", default=None)
    args = parser.parse_args()
    base = os.path.join(os.path.dirname(os.path.abspath(__file__)), "out")
    os.makedirs(base, exist_ok=True)
    out = args.out or tempfile.mkdtemp(prefix="scale-", dir=base)
    source = f"{out}/source"
    make_files(source, args.files)
    gitrepo = f"{out}/git"
    os.makedirs(gitrepo)
    # No automatic gc: it would repack the comparison repository in the background while
    # the tools are timed.
    run(f"git init -q -b main . && git config gc.auto 0 && cp -r {source} data && git add -A && git commit -qm files", gitrepo)
    run("git status --porcelain", gitrepo)
    git_status = run("git status --porcelain", gitrepo)
    results = {}
    try:
        for name in args.tools.split(","):
            tool = MLV(os.path.abspath(args.mlv)) if name == "mlv" else DVC()
            print(f"{tool.name} ...", file=sys.stderr)
            started = time.perf_counter()
            results[name] = scenario(tool, source, out, args.files)
            print(f"  {tool.name}: {time.perf_counter() - started:.0f} s in all", file=sys.stderr)
    finally:
        subprocess.run(["chmod", "-R", "u+w", out], check=False)
        if not args.out:
            shutil.rmtree(out, ignore_errors=True)
    names = list(results)
    print(f"\n{args.files:,} files of 1-10 KiB in 1,000 folders; seconds (peak MiB); one run\n")
    others = [n for n in names if n != "mlv" and "mlv" in results]
    print("| operation | " + " | ".join(names) + "".join(f" | {n}/mlv" for n in others) + " |")
    print("|---|" + "---|" * (len(names) + len(others)))
    for key in results[names[0]]:
        cells, ratios = [], []
        for n in names:
            value = results[n][key]
            if isinstance(value, tuple):
                cells.append(f"{value[0]:.2f} s ({value[1]:.0f})")
                if n in others:
                    ratios.append(f"{value[0] / results['mlv'][key][0]:.1f}x")
            else:
                cells.append(f"{value:.2f}")
                if n in others:
                    ratios.append("")
        print(f"| {key} | " + " | ".join(cells) + "".join(f" | {r}" for r in ratios) + " |")
    print(f"\ngit status --porcelain on the same files: {git_status[0]:.2f} s ({git_status[1]:.0f} MiB)")
    if "mlv" in results:
        print(f"mlv unchanged status / git status = {results['mlv']['unchanged status'][0] / git_status[0]:.1f}x")


if __name__ == "__main__":
    main()
