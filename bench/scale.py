#!/usr/bin/env python3
"""Scale benchmark: many small files (default 100,000 of 1-10 KiB in 1,000 folders) tracked as
one directory, with mlv and DVC in the same run, against `git status` on the same files.

Operations, each timed once with its peak memory (ru_maxrss of the command and its children):
add (+ git commit), unchanged status, status after 10 files change, add of those 10 changes
(with the bytes the cache and the remote grow by), push to a directory remote, clone + pull,
and checkout of a 100-file change. `git status` runs on the same files committed to a plain
Git repository.

With --s3, push and clone + pull also go through S3: a moto server on 127.0.0.1 that the
script starts and stops (needs `pip install 'moto[server]' boto3`, and dvc-s3 for DVC);
requests are counted in moto's access log. --keep-source DIR keeps the generated files there
and reuses them in a later run with the same --files.

Usage: python3 bench/scale.py [--files N] [--tools mlv,dvc] [--s3] [--mlv PATH] [--out DIR]
                              [--keep-source DIR]
(DVC is found as `dvc` on PATH, or named by the DVC environment variable.)
"""
import argparse, os, random, shutil, subprocess, sys, tempfile, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tracking  # noqa: E402
from tracking import run as run_command  # noqa: E402
import remotes  # noqa: E402

tracking.ENV.update(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_DEFAULT_REGION="us-east-1")


class OutOfTime(Exception):
    pass


DEADLINE = None  # perf_counter() time at which the running tool's scenario is stopped


def run(cmd, cwd, check=True):
    """Seconds and peak memory (MiB) of a shell command; dirty pages are flushed first, untimed.
    A command still running at DEADLINE is killed with its children (OutOfTime)."""
    if DEADLINE is None:
        return run_command(cmd, cwd, check=check, settle=True)
    os.sync()
    if time.perf_counter() >= DEADLINE:
        raise OutOfTime()
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, shell=True, cwd=cwd, env=tracking.ENV, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        if time.perf_counter() >= DEADLINE:
            os.killpg(proc.pid, 9)
            os.wait4(proc.pid, 0)
            raise OutOfTime()
        time.sleep(0.02)
    code = os.waitstatus_to_exitcode(status)
    if check and code != 0:
        sys.exit(f"command failed ({code}): {cmd}")
    return time.perf_counter() - start, usage.ru_maxrss / 1024


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
    def add_s3(self, url, endpoint): return f"{self.bin} remote add s3 {url} --endpoint {endpoint} -q"
    def push_s3(self): return f"{self.bin} push -q -r s3"
    def pull_s3(self): return f"{self.bin} pull -q -r s3"
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
    def add_s3(self, url, endpoint): return f"{self.cmd} remote add s3 {url} && {self.cmd} remote modify s3 endpointurl {endpoint}"
    def push_s3(self): return f"{self.cmd} push -q -r s3"
    def pull_s3(self): return f"{self.cmd} pull -q -r s3"
    def add(self): return f"{self.cmd} add -q data && git add -A && git commit -qm v"
    def status(self): return f"{self.cmd} status"
    def push(self): return f"{self.cmd} push -q"
    def pull(self): return f"{self.cmd} pull -q"
    def checkout(self, rev): return f"git checkout -q {rev} && {self.cmd} checkout -q"
    def cache(self, repo): return f"{repo}/.dvc/cache"


def scenario(tool, source, out, files, endpoint=None, r=None):
    """Fills `r` step by step (so a run stopped by --time-limit keeps what it measured)."""
    repo, remote, clone = f"{out}/{tool.name}-repo", f"{out}/{tool.name}-remote", f"{out}/{tool.name}-clone"
    os.makedirs(repo)
    os.makedirs(remote)
    run("git init -q -b main .", repo)
    run(tool.init(remote), repo)
    run(f"cp -r {source} {repo}/data", out)
    r = {} if r is None else r
    r["add"] = run(tool.add(), repo)
    time.sleep(1)  # past every tool's racy window, as a user's next command would be
    run(tool.status(), repo)  # the first status after add may record what add could not
    r["unchanged status"] = run(tool.status(), repo)
    r["push"] = run(tool.push(), repo)
    if endpoint:
        # The S3 remote is committed with the next add, so the clone below knows it.
        bucket = f"{tool.name}-{random.randrange(1 << 30)}"
        remotes.make_bucket(endpoint, bucket)
        run(tool.add_s3(f"s3://{bucket}/scale", endpoint), repo)
        before = remotes.moto_requests()
        r["push to S3"] = run(tool.push_s3(), repo)
        r["push to S3: requests"] = remotes.moto_requests() - before
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
    if endpoint:
        run(tool.push_s3(), repo)
    run(f"git clone -q {repo} {clone}", out)
    r["clone + pull"] = run(tool.pull(), clone)
    if endpoint:
        run(f"git clone -q {repo} {clone}-s3", out)
        before = remotes.moto_requests()
        r["clone + pull from S3"] = run(tool.pull_s3(), f"{clone}-s3")
        r["clone + pull from S3: requests"] = remotes.moto_requests() - before
    r["checkout of 100 changed"] = run(tool.checkout("HEAD~1"), repo)
    return r


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--files", type=int, default=100_000)
    parser.add_argument("--tools", default="mlv,dvc")
    parser.add_argument("--mlv", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".build", "release", "mlv"))
    parser.add_argument("--out", default=None)
    parser.add_argument("--s3", action="store_true", help="also push and pull through S3 (moto on 127.0.0.1)")
    parser.add_argument("--keep-source", default=None, help="keep the generated files here and reuse them")
    parser.add_argument("--time-limit", type=float, default=None,
                        help="seconds each tool's scenario may take; a tool still running then is stopped and reported")
    args = parser.parse_args()
    base = os.path.join(os.path.dirname(os.path.abspath(__file__)), "out")
    os.makedirs(base, exist_ok=True)
    out = args.out or tempfile.mkdtemp(prefix="scale-", dir=base)
    # Measured at a million files of 1-10 KiB: the source takes about 7.5 KiB per file on ext4;
    # each tool keeps a repository, its cache, a remote and a clone (30 KiB per file), and with
    # S3 a second clone and the server's copy (45 KiB). Tools' folders stay until the end.
    per_tool = 45 if args.s3 else 30
    needed = args.files * 1024 * (7.5 + per_tool * len(args.tools.split(",")))
    free = shutil.disk_usage(out).free
    if free < needed:
        sys.exit(f"{free / 2**30:.1f} GiB free in {out}; this run needs about {needed / 2**30:.0f} GiB")
    source = f"{out}/source"
    if args.keep_source:
        source = args.keep_source
        marker = f"{source}/../{os.path.basename(source)}.{args.files}.complete"
        if not os.path.exists(marker):
            shutil.rmtree(source, ignore_errors=True)
            make_files(source, args.files)
            open(marker, "w").close()
    else:
        make_files(source, args.files)
    gitrepo = f"{out}/git"
    os.makedirs(gitrepo)
    # No automatic gc: it would repack the comparison repository in the background while
    # the tools are timed.
    run("git init -q -b main . && git config gc.auto 0", gitrepo)
    # Physical baselines on the same disk in the same state: a run that grows faster than the
    # file count because the disk slows shows it here too.
    copy = run(f"cp -r {source} data", gitrepo)
    git_add = run("git add -A && git commit -qm files", gitrepo)
    run("git status --porcelain", gitrepo)
    git_status = run("git status --porcelain", gitrepo)
    # Timed; its copy of the files and a million loose objects would otherwise stay for the
    # whole run (15 GB at a million files).
    shutil.rmtree(gitrepo, ignore_errors=True)
    results = {}
    stopped = {}  # tool -> how many results it had when its time ran out
    moto, endpoint = remotes.start_moto(f"{out}/moto.log") if args.s3 else (None, None)
    try:
        for name in args.tools.split(","):
            tool = MLV(os.path.abspath(args.mlv)) if name == "mlv" else DVC()
            print(f"{tool.name} ...", file=sys.stderr)
            started = time.perf_counter()
            global DEADLINE
            DEADLINE = started + args.time_limit if args.time_limit else None
            partial = {}
            try:
                scenario(tool, source, out, args.files, endpoint, partial)
            except OutOfTime:
                stopped[name] = len(partial)
            results[name] = partial
            print(f"  {tool.name}: {time.perf_counter() - started:.0f} s in all", file=sys.stderr)
    finally:
        if moto:
            moto.terminate()
            moto.wait()
        subprocess.run(["chmod", "-R", "u+w", out], check=False)
        if not args.out:
            shutil.rmtree(out, ignore_errors=True)
    names = list(results)
    print(f"\n{args.files:,} files of 1-10 KiB in 1,000 folders; seconds (peak MiB); one run\n")
    others = [n for n in names if n != "mlv" and "mlv" in results]
    print("| operation | " + " | ".join(names) + "".join(f" | {n}/mlv" for n in others) + " |")
    print("|---|" + "---|" * (len(names) + len(others)))
    keys = max((list(results[n]) for n in names), key=len)
    for key in keys:
        cells, ratios = [], []
        for n in names:
            if key not in results[n]:
                cells.append("did not finish" if n in stopped else "-")
                if n in others:
                    ratios.append("")
                continue
            value = results[n][key]
            if isinstance(value, tuple):
                cells.append(f"{value[0]:.2f} s ({value[1]:.0f})")
                if n in others:
                    ratios.append(f"{value[0] / results['mlv'][key][0]:.1f}x")
            else:
                cells.append(f"{value:.2f}" if isinstance(value, float) else f"{value}")
                if n in others:
                    ratios.append(f"{value / results['mlv'][key]:.1f}x" if isinstance(value, int) and results['mlv'][key] else "")
        print(f"| {key} | " + " | ".join(cells) + "".join(f" | {r}" for r in ratios) + " |")
    for n, count in stopped.items():
        print(f"\n{n} was stopped after {args.time_limit:.0f} s (--time-limit), {count} result(s) in")
    print(f"\ngit status --porcelain on the same files: {git_status[0]:.2f} s ({git_status[1]:.0f} MiB)")
    print(f"cp -r of the files: {copy[0]:.2f} s;  git add -A + commit of them: {git_add[0]:.2f} s ({git_add[1]:.0f} MiB)")
    if "mlv" in results:
        print(f"mlv unchanged status / git status = {results['mlv']['unchanged status'][0] / git_status[0]:.1f}x")
        print(f"mlv add / cp -r = {results['mlv']['add'][0] / copy[0]:.2f}x;  mlv add / git add + commit = {results['mlv']['add'][0] / git_add[0]:.2f}x")


if __name__ == "__main__":
    main()
