#!/usr/bin/env python3
"""Remote benchmark: mlv against DVC pushing to and pulling from the same local directory and
the same S3 server (moto on 127.0.0.1), in one run.

W1 = 10,000 files of ~10 KB in 100 folders; W4 = W1 with 100 files modified and 100 added.
W2 = one 1 GiB file (--w2-mib); W3 = W2 with 1% of its bytes changed in scattered 64 KiB regions.
Reports seconds (median of --repeat), requests each tool made to the S3 server (counted in
moto's access log, the same way for every tool), peak memory, and bytes stored on the remote
after v1 + v2.

Usage: python3 bench/remotes.py [--repeat N] [--w2-mib N] [--mlv PATH] [--no-s3] [--no-dir]
"""
import argparse, os, random, re, shutil, socket, statistics, subprocess, sys, tempfile, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tracking import ENV, run, make_w1, make_w1_v2, make_w2  # noqa: E402

ENV = dict(ENV, AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_DEFAULT_REGION="us-east-1")


class Failed(Exception):
    pass


def sh(cmd, cwd, settle=True):
    if settle:
        os.sync()
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, shell=True, cwd=cwd, env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    out = proc.stdout.read().decode(errors="replace")
    err = proc.stderr.read().decode(errors="replace")
    if os.waitstatus_to_exitcode(status) != 0:
        raise Failed(f"{cmd}: {(out + err).strip().splitlines()[-1] if (out + err).strip() else 'exit status'}")
    return time.perf_counter() - start, usage.ru_maxrss / 1024, out


# Trees of many small files are deleted only when the run ends: ext4 creates files slowly for
# minutes after tens of thousands are deleted nearby, which would tax whichever tool runs next.
# Large files go at once (few inodes, most of the disk space).
LATER = []


def discard(path):
    for root, _, files in os.walk(path):
        for name in files:
            full = os.path.join(root, name)
            if os.path.isfile(full) and not os.path.islink(full) and os.path.getsize(full) > (1 << 20):
                os.chmod(full, 0o644)
                os.unlink(full)
    LATER.append(path)


def make_w3(path):
    """1% of the bytes, in 64 KiB regions spread evenly over the file."""
    size = os.path.getsize(path)
    regions = max(1, size // 100 // (64 << 10))
    step = size // regions
    with open(path, "r+b") as f:
        for r in range(regions):
            f.seek(r * step + 4096)
            f.write(os.urandom(64 << 10))


def du(path):
    return sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(path) for f in fs)


def s3_bytes(endpoint, bucket):
    import boto3
    s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="testing", aws_secret_access_key="testing")
    total = 0
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        total += sum(o["Size"] for o in page.get("Contents", []))
    return total


# moto's server logs one line per request ("GET /bucket/key HTTP/1.1" 200 -); counting them
# measures every tool alike.
MOTO_LOG = None
REQUEST_LINE = re.compile(rb'"[A-Z]+ \S+ HTTP/1\.[01]" \d{3} ')


def moto_requests():
    if not MOTO_LOG:
        return 0
    with open(MOTO_LOG, "rb") as f:
        return sum(1 for line in f if REQUEST_LINE.search(line))


def start_moto(log):
    global MOTO_LOG
    sock = socket.socket(); sock.bind(("127.0.0.1", 0)); port = sock.getsockname()[1]; sock.close()
    MOTO_LOG = log
    proc = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                            stdout=subprocess.DEVNULL, stderr=open(log, "wb"))
    for _ in range(600):
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            return proc, f"http://127.0.0.1:{port}"
        except OSError:
            time.sleep(0.1)
    sys.exit("moto did not start")


def make_bucket(endpoint, name):
    import boto3
    boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="testing",
                 aws_secret_access_key="testing").create_bucket(Bucket=name)


class MLV:
    name = "mlv"
    def __init__(self, binary): self.bin = binary
    def setup(self, repo, url, endpoint):
        sh(f"{self.bin} init -q", repo, False)
        extra = f" --endpoint {endpoint}" if endpoint else ""
        sh(f"{self.bin} remote add r {url} --default -q{extra}", repo, False)
    def add(self, target): return f"{self.bin} add -q {target} && git commit -qm v"
    def push(self): return f"{self.bin} push -q"
    def pull(self): return f"{self.bin} pull -q"


class DVC:
    """`DVC` names the command (S3 needs dvc-s3, e.g. DVC="/opt/venv/bin/python -m dvc")."""
    name = "dvc"
    cmd = os.environ.get("DVC", "dvc")
    def setup(self, repo, url, endpoint):
        sh(f"{self.cmd} init -q", repo, False)
        sh(f"{self.cmd} remote add -d r {url}", repo, False)
        if endpoint:
            sh(f"{self.cmd} remote modify r endpointurl {endpoint}", repo, False)
        sh("git add -A && git commit -qm setup", repo, False)
    def add(self, target): return f"{self.cmd} add -q {target} && git add -A && git commit -qm v"
    def push(self): return f"{self.cmd} push -q"
    def pull(self): return f"{self.cmd} pull -q"


class LFS:
    """Git LFS pushing to a bare repository on disk (its standalone file transfer)."""
    name = "git-lfs"
    def setup(self, repo, url, endpoint):
        sh(f"git init -q --bare -b main {url}", repo, False)
        # Git's automatic gc runs detached after a commit of ~7,000 new objects and repacks
        # under git-lfs's feet ("missing object" while it scans); in the foreground it is part
        # of the commit, as for a user who commits and pushes a minute later.
        sh("git config gc.autoDetach false", repo, False)
        sh("git lfs install --local >/dev/null && git lfs track 'data/**' 'big.bin' >/dev/null && git add .gitattributes && git commit -qm lfs", repo, False)
        sh(f"git remote add origin {url}", repo, False)
    def add(self, target): return f"git add {target} && git commit -qm v"
    # LFS uploads from its pre-push hook.
    def push(self): return "git push -q origin main"
    def pull(self): return None  # the clone itself downloads


def scenario(tool, kind, out, w1, w2, endpoint, rep):
    base = f"{out}/{tool.name}-{kind}-{rep}"
    repo = base + "-repo"
    os.makedirs(repo)
    sh("git init -q -b main .", repo, False)
    if kind == "dir":
        store = base + "-store"; os.makedirs(store); url = store; ep = None
    else:
        bucket = f"{tool.name}-{rep}-{random.randrange(1 << 30)}"; make_bucket(endpoint, bucket)
        url = f"s3://{bucket}/bench"; ep = endpoint
    tool.setup(repo, url, ep)
    r = {}
    counted = {}

    def timed(name, cmd, cwd):
        before = moto_requests()
        seconds, peak, _ = sh(cmd, cwd)
        if kind == "s3":
            counted[name + " requests"] = moto_requests() - before
        r[name] = seconds
        return peak

    sh(f"cp -r {w1} {repo}/data", out, False)
    sh(tool.add("data"), repo)
    m1 = timed("W1 push", tool.push(), repo)
    make_w1_v2(f"{repo}/data")
    sh(tool.add("data"), repo)
    m2 = timed("W4 push", tool.push(), repo)
    clone = base + "-clone"
    if tool.pull() is None:
        m3 = timed("W4 clone+pull", f"git clone -q {store} {clone}", out)
    else:
        sh(f"git clone -q {repo} {clone}", out, False)
        m3 = timed("W4 clone+pull", tool.pull(), clone)
    discard(clone)
    sh(f"cp {w2} {repo}/big.bin", out, False)
    sh(tool.add("big.bin"), repo)
    m4 = timed("W2 push", tool.push(), repo)
    clone = base + "-clone2"
    if tool.pull() is None:
        m6 = timed("W2 clone+pull", f"git clone -q {store} {clone}", out) if kind == "dir" else 0
    else:
        sh(f"git clone -q {repo} {clone}", out, False)
        m6 = timed("W2 clone+pull", tool.pull(), clone)
    discard(clone)
    stored_before = du(store) if kind == "dir" else s3_bytes(endpoint, url[5:].split("/")[0])
    make_w3(f"{repo}/big.bin")
    sh(tool.add("big.bin"), repo)
    m5 = timed("W3 push", tool.push(), repo)
    stored_after = du(store) if kind == "dir" else s3_bytes(endpoint, url[5:].split("/")[0])
    r["W3 bytes added"] = stored_after - stored_before
    r["bytes stored (all)"] = stored_after
    r["peak MiB"] = max(m1, m2, m3, m4, m5, m6)
    r.update(counted)
    discard(repo)
    if kind == "dir":
        discard(store)
    return r


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--w2-mib", type=int, default=1024)
    parser.add_argument("--mlv", default=None)
    parser.add_argument("--no-s3", action="store_true")
    parser.add_argument("--no-dir", action="store_true")
    args = parser.parse_args()
    mlv = os.path.abspath(args.mlv or os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".build", "release", "mlv"))
    # Not under /tmp by default: test suites there create and delete many thousands of files,
    # and ext4 then creates new files slowly for minutes, skewing whoever runs first.
    base = os.path.join(os.path.dirname(os.path.abspath(__file__)), "out")
    os.makedirs(base, exist_ok=True)
    out = tempfile.mkdtemp(prefix="remotes-", dir=base)
    w1, w2 = f"{out}/w1-src", f"{out}/w2-src.bin"
    make_w1(w1); make_w2(w2, args.w2_mib)
    kinds = ([] if args.no_dir else ["dir"]) + ([] if args.no_s3 else ["s3"])
    moto, endpoint = (None, None) if args.no_s3 else start_moto(f"{out}/moto.log")
    baseline = {}
    try:
        t0 = time.perf_counter(); sh(f"cp {w2} {out}/cp.bin", out); baseline["cp W2 (dir)"] = time.perf_counter() - t0
        os.unlink(f"{out}/cp.bin")
        if endpoint:
            make_bucket(endpoint, "baseline")
            baseline["aws s3 cp W2"], _, _ = sh(f"aws --endpoint-url {endpoint} s3 cp {w2} s3://baseline/w2 --only-show-errors", out)
        results = {}
        failures = []
        for rep in range(args.repeat):
            for kind in kinds:
                for tool in [MLV(mlv), DVC()] + ([LFS()] if kind == "dir" else []):
                    print(f"repetition {rep + 1}: {tool.name} to {kind} ...", file=sys.stderr)
                    try:
                        results.setdefault((tool.name, kind), []).append(scenario(tool, kind, out, w1, w2, endpoint, rep))
                    except Failed as failure:
                        print(f"  {tool.name} to {kind} failed: {failure}", file=sys.stderr)
                        failures.append(f"{tool.name} to {kind}: {failure}")
    finally:
        if moto:
            moto.kill()
        for path in LATER:
            subprocess.run(["chmod", "-R", "u+w", path], check=False)
            shutil.rmtree(path, ignore_errors=True)
        shutil.rmtree(out, ignore_errors=True)
    print(f"\nmedians of {args.repeat} run(s); ratio = other / mlv (higher: mlv better); git-lfs: directory only\n")
    print("| remote | measure | mlv | dvc | git-lfs | dvc/mlv | git-lfs/mlv |")
    print("|---|---|---|---|---|---|---|")
    for kind in kinds:
        for key in results[("mlv", kind)][0]:
            m = statistics.median(r[key] for r in results[("mlv", kind)])
            dvc = [r[key] for r in results.get(("dvc", kind), [])]
            d = statistics.median(dvc) if dvc else float("nan")
            lfs = [r[key] for r in results.get(("git-lfs", kind), [])]
            g = statistics.median(lfs) if lfs else None
            fmt = (lambda v: f"{v / 2**20:.1f} MiB") if "bytes" in key else ((lambda v: f"{v:.0f}") if "MiB" in key or "requests" in key else (lambda v: f"{v:.2f} s"))
            ratio = lambda v: f"{v / m:.1f}x" if m else "-"
            print(f"| {kind} | {key} | {fmt(m)} | {fmt(d)} | {fmt(g) if g is not None else '-'} | {ratio(d)} | {ratio(g) if g is not None else '-'} |")
    print("\nbaselines: " + ", ".join(f"{k} {v:.2f} s" for k, v in baseline.items()))
    for failure in failures:
        print(f"failed: {failure}")


if __name__ == "__main__":
    main()
