"""Training entry point: `mlstack train` runs it in the `training` service.

Trains a small scikit-learn model on synthetic data, logs its metrics to MLflow when the tracking
server is reachable (locally otherwise), and saves the model to $MODEL_DIR for the inference server.
Replace the data and the model with yours.
"""
import json
import os
import time
import urllib.request

import joblib
from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, roc_auc_score
from sklearn.model_selection import train_test_split

MODEL_DIR = os.environ.get("MODEL_DIR", "/models")
TRACKING_URI = os.environ.get("MLFLOW_TRACKING_URI", "")


def tracking_reachable(uri):
    if not uri:
        return False
    try:
        urllib.request.urlopen(uri.rstrip("/") + "/health", timeout=2)
        return True
    except OSError:
        return False


def log_metrics(params, metrics):
    if tracking_reachable(TRACKING_URI):
        try:
            import mlflow

            mlflow.set_tracking_uri(TRACKING_URI)
            with mlflow.start_run():
                mlflow.log_params(params)
                mlflow.log_metrics(metrics)
            print(f"metrics logged to MLflow at {TRACKING_URI}")
            return
        except ImportError:
            pass
    path = os.path.join(MODEL_DIR, "metrics.json")
    with open(path, "w") as f:
        json.dump({"params": params, "metrics": metrics, "time": time.time()}, f, indent=2)
    print(f"MLflow not reachable at {TRACKING_URI or '(unset)'}: metrics logged locally to {path}")


def main():
    params = {"n_samples": 5000, "C": 1.0}
    X, y = make_classification(n_samples=params["n_samples"], n_features=10, weights=[0.95], random_state=0)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, stratify=y, random_state=0)
    model = LogisticRegression(C=params["C"], max_iter=1000).fit(X_train, y_train)
    scores = model.predict_proba(X_test)[:, 1]
    metrics = {"accuracy": accuracy_score(y_test, model.predict(X_test)), "roc_auc": roc_auc_score(y_test, scores)}
    print("metrics:", json.dumps(metrics))
    # `mlstack train` records MLSTACK_METRIC lines in the run record (see `mlstack runs show` and
    # `mlstack dashboard`); print one per step, e.g. per epoch, for curves.
    print("MLSTACK_METRIC " + json.dumps({"step": 1, **metrics}), flush=True)
    os.makedirs(MODEL_DIR, exist_ok=True)
    tmp = os.path.join(MODEL_DIR, "model.joblib.tmp")
    joblib.dump(model, tmp)
    os.replace(tmp, os.path.join(MODEL_DIR, "model.joblib"))  # the server never sees half a file
    log_metrics(params, metrics)
    print(f"model saved to {MODEL_DIR}/model.joblib")


if __name__ == "__main__":
    main()
