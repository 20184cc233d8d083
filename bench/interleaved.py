#!/usr/bin/env python3
"""Times short commands run in turn, N rounds, and prints each one's median and 10th percentile.

Interleaving puts every command under the same load as this VM's speed drifts, which a block of
runs per command does not. Usage: python3 bench/interleaved.py N "cmd one" "cmd two" ...
(each command is split on spaces and run from the current folder, output discarded).
"""
import statistics, subprocess, sys, time


def main():
    rounds, commands = int(sys.argv[1]), [c.split() for c in sys.argv[2:]]
    times = [[] for _ in commands]
    for _ in range(rounds):
        for k, command in enumerate(commands):
            start = time.perf_counter()
            subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            times[k].append(time.perf_counter() - start)
    for command, values in zip(commands, times):
        values.sort()
        print(f"{' '.join(command)[-55:]:55s} median {statistics.median(values) * 1000:6.2f} ms"
              f"  p10 {values[len(values) // 10] * 1000:6.2f} ms")


if __name__ == "__main__":
    main()
