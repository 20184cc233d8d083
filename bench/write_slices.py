#!/usr/bin/env python3
"""How the size of each write call changes the cost of writing a large file.

mlv writes objects, packs and checked-out files through one helper that caps each `write` at
a slice (FileSystem.writeSlice). This measures that choice on this machine: a file of random
bytes is read in 4 MiB blocks and written to a new file in slices of each size, rounds
interleaved, dirty pages flushed (untimed) before each. Prints the median and worst seconds.

Usage: python3 bench/write_slices.py [--mib 1024] [--rounds 6] [--dir DIR]
"""
import argparse, os, statistics, tempfile, time

BLOCK = 4 << 20


def write_copy(source, target, slice_bytes):
    buffer = bytearray(BLOCK)
    view = memoryview(buffer)
    src = os.open(source, os.O_RDONLY)
    dst = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        while True:
            n = os.readv(src, [buffer])
            if n == 0:
                break
            offset = 0
            while offset < n:
                offset += os.write(dst, view[offset:min(n, offset + slice_bytes)])
    finally:
        os.close(src)
        os.close(dst)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--mib", type=int, default=1024)
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--dir", default=None, help="folder on the disk to measure (default: a new temporary one)")
    args = parser.parse_args()
    folder = tempfile.mkdtemp(prefix="mlv-write-slices-", dir=args.dir)
    source = f"{folder}/source.bin"
    with open(source, "wb") as out:
        for _ in range(args.mib):
            out.write(os.urandom(1 << 20))
    slices = [64 << 10, 256 << 10, 1 << 20, 4 << 20]
    times = {s: [] for s in slices}
    for round in range(args.rounds):
        # Each round starts at a different size: the first write after a deletion can differ.
        for s in slices[round % len(slices):] + slices[:round % len(slices)]:
            os.sync()
            start = time.perf_counter()
            write_copy(source, f"{folder}/copy.bin", s)
            times[s].append(time.perf_counter() - start)
            os.unlink(f"{folder}/copy.bin")
    os.unlink(source)
    os.rmdir(folder)
    print(f"{args.mib} MiB read in 4 MiB blocks, written in slices of:")
    for s in slices:
        print(f"  {s >> 10:>5} KiB: median {statistics.median(times[s]):.2f} s, worst {max(times[s]):.2f} s")


if __name__ == "__main__":
    main()
