#!/usr/bin/env python3
"""curv fit against scikit-learn on the network data of data/nn, as a user
would run both: default settings, inputs standardized (curv by default,
scikit-learn by a StandardScaler pipeline), the same hidden sizes, the same
train/test split, five seeds, the median of each.

  R1 friedman1: friedman1_train.csv (2000 rows) / friedman1_test.csv (500),
     hidden 32,32, test MSE in the target's units; MLPRegressor.
  C1 digits: digits.csv split 80/20, stratified, by scikit-learn's
     train_test_split(random_state=seed) and written out, so that both fit
     exactly the same rows; hidden 32, test accuracy; MLPClassifier.

Wall time is the whole process, started here and timed to its exit (the
interpreter's start and scikit-learn's import included, as curv's start is);
the fit time inside the process is shown beside it (curv's JSON time_s,
scikit-learn's fit()).

Needs numpy and scikit-learn (Debian: apt-get install python3-sklearn) and a
built curv. Not part of CI.

  python3 bench/sklearn_compare.py [--curv build/release/tools/curv] [--seeds 5] [--curv-args "--l2 3"]
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NN = os.path.join(ROOT, "data", "nn")


def worker(kind, train, test, seed):
    """One scikit-learn fit in this process; prints a JSON line."""
    import numpy as np
    from sklearn.neural_network import MLPClassifier, MLPRegressor
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    tr = np.loadtxt(train, delimiter=",", skiprows=1)
    te = np.loadtxt(test, delimiter=",", skiprows=1)
    if kind == "regression":
        model = make_pipeline(StandardScaler(), MLPRegressor(hidden_layer_sizes=(32, 32), random_state=seed))
    else:
        model = make_pipeline(StandardScaler(), MLPClassifier(hidden_layer_sizes=(32,), random_state=seed))
    begin = time.perf_counter()
    model.fit(tr[:, :-1], tr[:, -1])
    fit_s = time.perf_counter() - begin
    predicted = model.predict(te[:, :-1])
    if kind == "regression":
        metric = float(np.mean((predicted - te[:, -1]) ** 2))
    else:
        metric = float(np.mean(predicted == te[:, -1]))
    print(json.dumps({"metric": metric, "fit_s": fit_s, "iterations": int(model[-1].n_iter_)}))


def timed(command):
    begin = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True)
    wall = time.perf_counter() - begin
    if done.returncode != 0:
        sys.exit("failed: " + " ".join(command) + "\n" + done.stderr)
    return json.loads(done.stdout.strip().splitlines()[-1]), wall


def digits_split(seed, directory):
    import numpy as np
    from sklearn.model_selection import train_test_split

    with open(os.path.join(NN, "digits.csv")) as f:
        header = f.readline().strip()
    data = np.loadtxt(os.path.join(NN, "digits.csv"), delimiter=",", skiprows=1)
    train, test = train_test_split(data, test_size=0.2, stratify=data[:, -1], random_state=seed)
    paths = []
    for name, rows in (("train", train), ("test", test)):
        path = os.path.join(directory, "digits_%s_%d.csv" % (name, seed))
        np.savetxt(path, rows, delimiter=",", header=header, comments="", fmt="%.17g")
        paths.append(path)
    return paths


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--curv", default=os.path.join(ROOT, "build", "release", "tools", "curv"))
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--curv-args", default="", help="more options for every curv fit (default: none)")
    parser.add_argument("--worker", nargs=4, metavar=("KIND", "TRAIN", "TEST", "SEED"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        kind, train, test, seed = args.worker
        worker(kind, train, test, int(seed))
        return

    rows = []
    with tempfile.TemporaryDirectory() as directory:
        for task in ("friedman1", "digits"):
            results = {"curv": [], "scikit-learn": []}
            for seed in range(args.seeds):
                if task == "friedman1":
                    train = os.path.join(NN, "friedman1_train.csv")
                    test = os.path.join(NN, "friedman1_test.csv")
                    curv = [args.curv, "fit", "--data", train, "--test", test, "--seed", str(seed)]
                    kind, metric = "regression", "test_mse"
                else:
                    train, test = digits_split(seed, directory)
                    curv = [args.curv, "fit", "--data", train, "--test", test, "--loss", "xent", "--hidden", "32",
                            "--seed", str(seed)]
                    kind, metric = "classification", "test_accuracy"
                out, wall = timed(curv + args.curv_args.split() + ["--json", "-"])
                results["curv"].append((out[metric], out["time_s"], wall, out["method"], out["iterations"]))
                out, wall = timed([sys.executable, os.path.abspath(__file__), "--worker", kind, train, test,
                                   str(seed)])
                results["scikit-learn"].append((out["metric"], out["fit_s"], wall, "adam", out["iterations"]))
            for tool, runs in results.items():
                rows.append((task, tool, runs[0][3], statistics.median(r[0] for r in runs),
                             statistics.median(r[1] for r in runs), statistics.median(r[2] for r in runs),
                             statistics.median(r[4] for r in runs), [r[0] for r in runs]))

    if args.curv_args:
        print("curv fit options beyond the defaults: " + args.curv_args + "\n")
    print("| data | tool | method | test metric (median) | fit time s | wall time s (process) | iterations | "
          "per seed |")
    print("|---|---|---|---|---|---|---|---|")
    for task, tool, method, metric, fit_s, wall, iterations, per_seed in rows:
        label = "MSE" if task == "friedman1" else "accuracy"
        print("| %s | %s | %s | %s %.4g | %.3f | %.3f | %d | %s |" % (task, tool, method, label, metric, fit_s, wall,
                                                                  iterations, ", ".join("%.4g" % m for m in per_seed)))


if __name__ == "__main__":
    main()
