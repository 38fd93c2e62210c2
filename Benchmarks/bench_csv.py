"""CSV ingest: labelaudit's whole `summary` process against pandas.read_csv (C engine) in-process.

Both read the same files in the same run; the ratio is what counts on a shared machine.
Usage: python Benchmarks/bench_csv.py [--repeat 5]
"""
import argparse, os, resource, statistics, subprocess, sys, time
import numpy as np
import pandas as pd

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(ROOT, ".build", "release", "labelaudit")
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
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    print(f"{'file':<16}{'size':>9}{'labelaudit':>12}{'pandas':>10}{'ratio':>8}  {'RSS / raw latents':>20}")
    for rows, name in [(4500, "csv4500"), (200000, "csv200k")]:
        folder = make(rows, name=name)
        size = os.path.getsize(os.path.join(folder, "train.csv"))
        repeat = args.repeat if rows < 100000 else max(2, args.repeat // 2)
        t_ours, rss, c_ours = ours(folder, repeat)
        t_pd, c_pd = pandas_time(folder, repeat)
        raw = rows * 512 * 4
        ok = "ok" if t_ours <= 0.5 * t_pd else "MISSED"
        mem_ok = "ok" if rss <= 1.3 * raw else "MISSED"
        print(f"{rows}x512{'':<7}{size / 1e6:>7.0f}MB{t_ours * 1000:>10.0f}ms{t_pd * 1000:>8.0f}ms{t_ours / t_pd:>8.2f}  "
              f"{rss / 1e6:>7.0f}MB / {raw / 1e6:.0f}MB = {rss / raw:.2f} "
              f"(bar: ratio <= 0.5 {ok}; RSS <= 1.3x {mem_ok if rows >= 100000 else 'n/a'})")
        print(f"{'':<25}CPU time: labelaudit {c_ours * 1000:.0f}ms (whole process, both cores), pandas {c_pd * 1000:.0f}ms, ratio {c_ours / c_pd:.2f}")
    print(f"load average now: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores (wall-clock ratios need idle cores: we parse on two)")


if __name__ == "__main__":
    main()
