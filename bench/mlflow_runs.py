#!/usr/bin/env python3
"""Loads the web app benchmark's 1,000 runs into an MLflow tracking store (run inside a
virtualenv with mlflow installed): the same params (train.lr) and metrics (acc, loss) as the
1,000 experiments `bench/ui.py` writes, one MLflow run each.

Usage: python3 bench/mlflow_runs.py STORE_URI [COUNT]
"""
import sys

from mlflow.entities import Metric, Param
from mlflow.tracking import MlflowClient


def main():
    uri, count = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 1000
    client = MlflowClient(tracking_uri=uri)
    experiment = client.create_experiment("bench")
    for i in range(count):
        run = client.create_run(experiment, run_name=f"e{i:04}", start_time=1800000000000 + i)
        client.log_batch(run.info.run_id,
                         params=[Param("train.lr", f"{0.5 + i / 10000:.4f}")],
                         metrics=[Metric("acc", round(0.6 + (i % 400) / 1000, 4), 1800000000000 + i, 0),
                                  Metric("loss", round(1 / (i + 2), 6), 1800000000000 + i, 0)])
        client.set_terminated(run.info.run_id)
    print(experiment)


if __name__ == "__main__":
    main()
