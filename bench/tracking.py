#!/usr/bin/env python3
"""Tracking benchmark: mlv against DVC and Git LFS on the same workloads, in one run.

W1  = 10,000 files of ~10 KB in 100 folders;  W1 v2 = 100 files modified + 100 added.
W2  = one 1 GiB file.
Operations: add (+ git commit), status with nothing changed, add of v2, checkout v2 -> v1 and
back, and each command's peak memory. Physical baselines on the same data: openssl dgst
-sha256, cp, cp -r, git status. Prints medians and ratios (other tool / mlv).

Usage: python3 bench/tracking.py [--repeat N] [--w2-mib N] [--mlv PATH] [--out DIR]
"""
import argparse, os, random, shutil, statistics, subprocess, sys, time

ENV = dict(os.environ, GIT_AUTHOR_NAME="bench", GIT_AUTHOR_EMAIL="b@example.com",
           GIT_COMMITTER_NAME="bench", GIT_COMMITTER_EMAIL="b@example.com",
           DVC_NO_ANALYTICS="1", NO_COLOR="1", SWIFT_BACKTRACE="enable=no")


def run(cmd, cwd, check=True, settle=False):
    """Runs a shell command; returns (seconds, peak RSS in MiB). With `settle`, dirty pages are
    flushed first (untimed) so no tool pays for the previous step's writeback."""
    if settle:
        os.sync()
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, shell=True, cwd=cwd, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    err = proc.stderr.read().decode(errors="replace")
    proc.stderr.close()
    code = os.waitstatus_to_exitcode(status)
    if check and code != 0:
        sys.exit(f"command failed ({code}): {cmd}\n{err}")
    return elapsed, usage.ru_maxrss / 1024


def make_w1(path):
    rnd = random.Random(1)
    for d in range(100):
        os.makedirs(f"{path}/d{d:03}", exist_ok=True)
        for f in range(100):
            with open(f"{path}/d{d:03}/f{f:03}.bin", "wb") as out:
                out.write(rnd.randbytes(10_000 + rnd.randint(0, 500)))


def make_w1_v2(path):
    rnd = random.Random(2)
    for i in range(100):
        with open(f"{path}/d{i:03}/f000.bin", "wb") as out:
            out.write(rnd.randbytes(10_000))
        with open(f"{path}/d{i:03}/new.bin", "wb") as out:
            out.write(rnd.randbytes(10_000))


def make_w2(path, mib):
    with open(path, "wb") as out:
        for _ in range(mib):
            out.write(os.urandom(1 << 20))


def make_w2_v2(path):
    with open(path, "r+b") as out:
        out.seek(0)
        out.write(os.urandom(1 << 20))


class Tool:
    name = ""
    def init(self, repo): ...
    def add(self, repo, target): ...
    def status(self, repo): ...
    def checkout(self, repo): ...


class MLV(Tool):
    name = "mlv"
    def __init__(self, binary): self.bin = binary
    def init(self, repo): run(f"{self.bin} init -q", repo)
    def add(self, repo, target): return f"{self.bin} add -q {target} && git commit -qm v"
    def status(self, repo): return f"{self.bin} status -q"
    def checkout(self, repo): return f"{self.bin} checkout -q"


class DVC(Tool):
    name = "dvc"
    def init(self, repo): run("dvc init -q && git commit -qm dvc-init", repo)
    def add(self, repo, target): return f"dvc add -q {target} && git add -A && git commit -qm v"
    def status(self, repo): return "dvc status -q; true"
    def checkout(self, repo): return "dvc checkout -q"


class LFS(Tool):
    name = "git-lfs"
    def init(self, repo): run("git lfs install --local >/dev/null && git lfs track 'data/**' 'big.bin' >/dev/null && git add .gitattributes && git commit -qm lfs", repo)
    def add(self, repo, target): return f"git add {target} && git commit -qm v"
    def status(self, repo): return "git status --porcelain"
    def checkout(self, repo): return None  # git checkout already smudges


def fresh_repo(root, tool):
    # A new folder per run: creating files right after deleting as many in the same place
    # makes ext4's inode allocator crawl, for every tool alike.
    os.makedirs(root)
    run("git init -q -b main .", root)
    tool.init(root)


def median(values):
    return statistics.median(values) if values else float("nan")


def bench_w1(tool, src, out, rep, times):
    peak = 0.0
    if True:
        repo = f"{out}/{tool.name}-w1-{rep}"
        fresh_repo(repo, tool)
        run(f"cp -r {src} {repo}/data", out)
        t, m = run(tool.add(repo, "data"), repo, settle=True); times["add"].append(t); peak = max(peak, m)
        run(tool.status(repo), repo)  # first status may record state; the measured one is steady
        t, m = run(tool.status(repo), repo, settle=True); times["status"].append(t); peak = max(peak, m)
        make_w1_v2(f"{repo}/data")
        t, m = run(tool.add(repo, "data"), repo, settle=True); times["add v2"].append(t); peak = max(peak, m)
        for label, rev in [("checkout v1", "HEAD~1"), ("checkout v2", "main")]:
            co = tool.checkout(repo)
            cmd = f"git checkout -q {rev}" + (f" && {co}" if co else "")
            t, m = run(cmd, repo, settle=True); times[label].append(t); peak = max(peak, m)
    return peak


def bench_w2(tool, src, out, rep, times):
    peak = 0.0
    if True:
        repo = f"{out}/{tool.name}-w2-{rep}"
        fresh_repo(repo, tool)
        run(f"cp {src} {repo}/big.bin", out)
        t, m = run(tool.add(repo, "big.bin"), repo, settle=True); times["add"].append(t); peak = max(peak, m)
        run(tool.status(repo), repo)
        t, m = run(tool.status(repo), repo, settle=True); times["status"].append(t); peak = max(peak, m)
        make_w2_v2(f"{repo}/big.bin")
        run(tool.add(repo, "big.bin"), repo)
        co = tool.checkout(repo)
        t, m = run("git checkout -q HEAD~1" + (f" && {co}" if co else ""), repo, settle=True); times["checkout v1"].append(t); peak = max(peak, m)
        if tool.name == "mlv" or tool.name == "dvc":
            # the checked-out file must be v1 again
            run(f"cmp -s {src} {repo}/big.bin", repo)
    shutil.rmtree(repo, ignore_errors=True)
    return peak


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--w2-mib", type=int, default=1024)
    parser.add_argument("--mlv", default=None)
    parser.add_argument("--out", default=None, help="work folder (default: a new temporary one, removed at the end)")
    parser.add_argument("--tools", default="mlv,dvc,git-lfs")
    args = parser.parse_args()
    here = os.path.dirname(os.path.abspath(__file__))
    mlv = args.mlv or os.path.join(here, "..", ".build", "release", "mlv")
    for need in ["dvc", "git-lfs", "openssl"]:
        if shutil.which(need) is None:
            sys.exit(f"{need} is missing: pip install dvc; apt-get install git-lfs openssl")
    if not os.path.exists(mlv):
        sys.exit(f"no mlv binary at {mlv}: swift build -c release --product mlv")
    import tempfile
    out = args.out or tempfile.mkdtemp(prefix="mlv-bench-")
    os.makedirs(out, exist_ok=True)
    # A page cache full of earlier work makes every new page cost reclaim: the same 10,000-file
    # add took 0.14-0.56 s of system time run to run in that state. Start from an empty one
    # where allowed (root).
    if os.access("/proc/sys/vm/drop_caches", os.W_OK):
        os.sync()
        with open("/proc/sys/vm/drop_caches", "w") as drop:
            drop.write("3\n")
        print("page cache dropped before the run", file=sys.stderr)
    w1, w2 = f"{out}/w1-src", f"{out}/w2-src.bin"
    make_w1(w1)
    make_w2(w2, args.w2_mib)
    # A VM backs guest memory lazily: touch 4 GiB of page cache once so the first tool to
    # write a lot is not the only one to pay for it.
    run(f"dd if=/dev/zero of={out}/warm bs=1M count=4096 status=none && rm {out}/warm", out)
    time.sleep(1)

    base = {}
    base["cp -r W1"] = median([run(f"cp -r {w1} {out}/cp-{i}", out, settle=True)[0] for i in range(args.repeat)])
    base["cp W2"] = median([run(f"cp {w2} {out}/cp-{i}.bin", out, settle=True)[0] for i in range(args.repeat)])
    base["openssl W2"] = median([run(f"openssl dgst -sha256 {w2}", out, settle=True)[0] for _ in range(args.repeat)])
    base["openssl+cp W2"] = base["openssl W2"] + base["cp W2"]
    for i in range(args.repeat):
        os.unlink(f"{out}/cp-{i}.bin")

    tools = {"mlv": MLV(os.path.abspath(mlv)), "dvc": DVC(), "git-lfs": LFS()}
    names = args.tools.split(",")
    w1t = {n: {k: [] for k in ["add", "status", "add v2", "checkout v1", "checkout v2"]} for n in names}
    w2t = {n: {k: [] for k in ["add", "status", "checkout v1"]} for n in names}
    peaks = {n: 0.0 for n in names}
    # Tools take turns in every repetition, so none is always first on a cold page cache.
    for rep in range(args.repeat):
        for name in names:
            print(f"repetition {rep + 1}: {name} ...", file=sys.stderr)
            peaks[name] = max(peaks[name], bench_w1(tools[name], w1, out, rep, w1t[name]),
                              bench_w2(tools[name], w2, out, rep, w2t[name]))
    results = {n: ({k: median(v) for k, v in w1t[n].items()}, {k: median(v) for k, v in w2t[n].items()}, peaks[n])
               for n in names}
    # git status on the LFS W1 repo as the "on a par with git status" reference
    lfs_repo = f"{out}/git-lfs-w1-0"
    if os.path.exists(lfs_repo):
        run("git checkout -q main", lfs_repo)
        base["git status W1 (LFS)"] = median([run("git status --porcelain", lfs_repo, settle=True)[0] for _ in range(args.repeat)])

    rows = []
    ops = [("W1", "add"), ("W1", "status"), ("W1", "add v2"), ("W1", "checkout v1"), ("W1", "checkout v2"),
           ("W2", "add"), ("W2", "status"), ("W2", "checkout v1")]
    names = list(results)
    print(f"\nmedians of {args.repeat} runs, seconds; ratio = other / mlv (higher: mlv faster)\n")
    header = "| workload | operation | " + " | ".join(names) + " | " + " | ".join(f"{n}/mlv" for n in names if n != "mlv") + " |"
    print(header)
    print("|" + "---|" * (2 + len(names) + len(names) - 1))
    for w, op in ops:
        vals = [results[n][0 if w == "W1" else 1][op] for n in names]
        m = results["mlv"][0 if w == "W1" else 1][op] if "mlv" in results else None
        ratios = [f"{results[n][0 if w == 'W1' else 1][op] / m:.1f}x" for n in names if n != "mlv" and m]
        print(f"| {w} | {op} | " + " | ".join(f"{v:.3f}" for v in vals) + " | " + " | ".join(ratios) + " |")
    print("| all | peak memory (MiB) | " + " | ".join(f"{results[n][2]:.0f}" for n in names) + " | |")
    # The 1 GiB steps wait on the disk, whose speed moves between runs: every run is shown.
    print("\nW2 runs in order (seconds):")
    for n in names:
        print(f"  {n}: " + "; ".join(f"{op} " + ", ".join(f"{v:.2f}" for v in w2t[n][op]) for op in w2t[n]))
    print("\nbaselines (seconds):")
    for k, v in base.items():
        print(f"  {k}: {v:.3f}")
    if "mlv" in results:
        m1, m2, _ = results["mlv"]
        print(f"\nmlv add W1 / cp -r W1 = {m1['add'] / base['cp -r W1']:.2f}x;  "
              f"mlv add W2 / (openssl + cp) W2 = {m2['add'] / base['openssl+cp W2']:.2f}x")
        if "git status W1 (LFS)" in base:
            print(f"mlv status W1 / git status W1 = {m1['status'] / base['git status W1 (LFS)']:.2f}x")


if __name__ == "__main__":
    main()
