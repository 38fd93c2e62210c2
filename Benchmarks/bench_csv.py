"""CSV ingest against pandas.read_csv (C engine), both read the same files in the same run.

Two figures for labelaudit:
- in-process (the bar): `labelaudit-bench ingest-bench` loads the dataset in one process, as pandas'
  side calls read_csv in its Python process: reader against reader;
- whole process: `labelaudit summary --json` from exec to exit (start-up, the load, the summary),
  against the same in-process pandas figure: what a user waits for at every start.
The ratio is what counts on a shared machine.
Usage: python Benchmarks/bench_csv.py [--repeat 5]
"""
import argparse, json, os, resource, statistics, subprocess, sys, time
import numpy as np
import pandas as pd

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# The product and the bench commands (a separate executable, never shipped), like the shell scripts:
# $LABELAUDIT_BIN and $LABELAUDIT_BENCH_BIN override the release builds.
BIN = os.environ.get("LABELAUDIT_BIN") or os.path.join(ROOT, ".build", "release", "labelaudit")
BENCH_BIN = os.environ.get("LABELAUDIT_BENCH_BIN") or os.path.join(ROOT, ".build", "release", "labelaudit-bench")
DATA = os.path.join(ROOT, "bench-data", "csv")


def make(rows, dim=512, name=None):
    folder = os.path.join(DATA, name)
    path = os.path.join(folder, "train.csv")
    if os.path.exists(path):
        return folder
    os.makedirs(folder, exist_ok=True)
    rng = np.random.default_rng(7)
    distinct = min(rows, 5000)
    z = rng.standard_normal((distinct, dim)).astype(np.float32)
    # Like a pandas/numpy dump of float32 latents: up to 9 significant digits.
    lines = [",".join(f"{v:.9g}" for v in row) for row in z]
    labels = rng.integers(0, 2, rows)
    with open(path + ".tmp", "w") as f:
        f.write("id," + ",".join(f"v{k + 1}" for k in range(dim)) + ",glasses\n")
        for i in range(rows):
            f.write(f"{i + 1},{lines[i % distinct]},{labels[i]}\n")
    os.rename(path + ".tmp", path)
    return folder


def ours(folder, repeat):
    times, rss, cpu = [], 0, []
    for _ in range(repeat):
        t = time.perf_counter()
        p = subprocess.run(["/usr/bin/time", "-f", "%M %U %S", BIN, "summary", folder, "--json"],
                           capture_output=True, text=True)
        times.append(time.perf_counter() - t)
        if p.returncode != 0:
            sys.exit(f"labelaudit failed: {p.stderr}")
        m, u, sy = p.stderr.strip().splitlines()[-1].split()
        rss = max(rss, int(m) * 1024)
        cpu.append(float(u) + float(sy))
    return statistics.median(times), rss, statistics.median(cpu)


def ours_in_process(folder, repeat):
    p = subprocess.run([BENCH_BIN, "ingest-bench", folder, "--repeats", str(repeat)], capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit(f"labelaudit-bench ingest-bench failed: {p.stderr}")
    figures = json.loads(p.stdout)
    return figures["wall_seconds"], figures["cpu_seconds"]


def pandas_time(folder, repeat):
    times, cpu = [], []
    path = os.path.join(folder, "train.csv")
    for _ in range(repeat):
        t, c = time.perf_counter(), time.process_time()
        df = pd.read_csv(path, engine="c")
        times.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)
        del df
    return statistics.median(times), statistics.median(cpu)


def main():
    for binary in (BIN, BENCH_BIN):
        if not os.access(binary, os.X_OK):
            sys.exit(f"{binary} not found: build first (make bench builds both products in release)")
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    print(f"{'file':<16}{'size':>9}{'labelaudit':>12}{'pandas':>10}{'ratio':>8}  {'RSS / raw latents':>20}")
    print(f"{'':<25}(both in-process, median of the repeats)")
    for rows, name in [(4500, "csv4500"), (200000, "csv200k")]:
        folder = make(rows, name=name)
        size = os.path.getsize(os.path.join(folder, "train.csv"))
        # An odd count, so the median is a run and not the mean of two (one disturbed run of
        # the large file moved the figure by half).
        repeat = args.repeat if rows < 100000 else max(3, args.repeat // 2 | 1)
        os.sync()  # the builds before the bench leave writeback that would land in one side's runs
        with open(os.path.join(folder, "train.csv"), "rb") as f:  # into the page cache for both sides
            while f.read(1 << 24):
                pass
        t_in, c_in = ours_in_process(folder, repeat)
        t_ours, rss, c_ours = ours(folder, repeat)
        t_pd, c_pd = pandas_time(folder, repeat)
        raw = rows * 512 * 4
        ok = "ok" if t_in <= 0.5 * t_pd else "MISSED"
        mem_ok = "ok" if rss <= 1.3 * raw else "MISSED"
        print(f"{rows}x512{'':<7}{size / 1e6:>7.0f}MB{t_in * 1000:>10.0f}ms{t_pd * 1000:>8.0f}ms{t_in / t_pd:>8.2f}  "
              f"{rss / 1e6:>7.0f}MB / {raw / 1e6:.0f}MB = {rss / raw:.2f} "
              f"(bar: in-process ratio <= 0.5 {ok}; RSS <= 1.3x {mem_ok if rows >= 100000 else 'n/a'})")
        print(f"{'':<25}whole summary process, start-up included: {t_ours * 1000:.0f}ms, ratio {t_ours / t_pd:.2f}")
        print(f"{'':<25}CPU time in-process: labelaudit {c_in * 1000:.0f}ms (both cores), pandas {c_pd * 1000:.0f}ms, "
              f"ratio {c_in / c_pd:.2f}; whole process {c_ours * 1000:.0f}ms, ratio {c_ours / c_pd:.2f}")
    print(f"load average now: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores (wall-clock ratios need idle cores: we parse on two)")


if __name__ == "__main__":
    main()
