"""Fraud-detection training job (`mlstack train` runs it in the `training` service).

1. Generates a small synthetic, imbalanced set of card transactions (about 2% fraud).
2. Writes their features to the feature store (Redis hashes tx:<id>).
3. Trains a scikit-learn random forest with class weights for the imbalance.
4. Logs parameters and metrics to MLflow when MLFLOW_TRACKING_URI answers and the mlflow package is
   installed; otherwise logs them locally next to the model, and says so.
5. Saves the model to $MODEL_DIR/model.joblib (a named volume the inference server reads).
"""
import json
import os
import sys
import time
import urllib.parse
import urllib.request

import joblib
import numpy as np
import pandas as pd
from sklearn.ensemble import RandomForestClassifier
from sklearn.metrics import average_precision_score, f1_score, precision_score, recall_score, roc_auc_score
from sklearn.model_selection import train_test_split

FEATURES = ["amount", "hour", "merchant_risk", "distance_km", "tx_last_24h", "foreign", "card_age_days"]
MODEL_DIR = os.environ.get("MODEL_DIR", "/models")
TRACKING_URI = os.environ.get("MLFLOW_TRACKING_URI", "")
FEATURE_STORE_URL = os.environ.get("FEATURE_STORE_URL", "")
SEED = int(os.environ.get("SEED", "7"))
N = int(os.environ.get("N_TRANSACTIONS", "20000"))
FRAUD_RATE = float(os.environ.get("FRAUD_RATE", "0.02"))


def synthetic_transactions(n, fraud_rate, seed):
    """Legitimate and fraudulent transactions differ in amount, hour, distance and history."""
    rng = np.random.default_rng(seed)
    fraud = rng.random(n) < fraud_rate
    df = pd.DataFrame({
        "amount": np.where(fraud, rng.lognormal(5.5, 1.0, n), rng.lognormal(3.5, 1.0, n)).round(2),
        "hour": np.where(fraud, rng.choice([0, 1, 2, 3, 4, 23], n), rng.integers(7, 23, n)),
        "merchant_risk": np.clip(np.where(fraud, rng.normal(0.7, 0.15, n), rng.normal(0.3, 0.15, n)), 0, 1).round(3),
        "distance_km": np.where(fraud, rng.exponential(300, n), rng.exponential(10, n)).round(1),
        "tx_last_24h": np.where(fraud, rng.poisson(8, n), rng.poisson(2, n)),
        "foreign": np.where(fraud, rng.random(n) < 0.6, rng.random(n) < 0.05).astype(int),
        "card_age_days": np.where(fraud, rng.integers(1, 120, n), rng.integers(30, 3000, n)),
    })
    # Some noise so that the problem is not trivially separable.
    flip = rng.random(n) < 0.003
    df["is_fraud"] = (fraud ^ flip).astype(int)
    return df


def write_features(df):
    """Stores every transaction's features in Redis; training goes on (and says so) without it."""
    if not FEATURE_STORE_URL:
        print("feature store: FEATURE_STORE_URL unset, features not stored")
        return
    try:
        import redis

        r = redis.Redis.from_url(FEATURE_STORE_URL, socket_timeout=5)
        pipe = r.pipeline(transaction=False)
        for i, row in enumerate(df[FEATURES + ["is_fraud"]].itertuples(index=False)):
            pipe.hset(f"tx:{i}", mapping={k: str(v) for k, v in zip(FEATURES + ["is_fraud"], row)})
            if i % 2000 == 1999:
                pipe.execute()
        pipe.set("features:schema", json.dumps(FEATURES))
        pipe.set("features:count", len(df))
        pipe.execute()
        print(f"feature store: wrote {len(df)} transactions to {FEATURE_STORE_URL} (keys tx:0..tx:{len(df) - 1})")
    except Exception as e:  # noqa: BLE001 - any failure of the store is reported, not fatal
        print(f"feature store: could not write to {FEATURE_STORE_URL}: {e}", file=sys.stderr)


def tracking_reachable(uri):
    if not uri:
        return False
    try:
        urllib.request.urlopen(urllib.parse.urljoin(uri.rstrip("/") + "/", "health"), timeout=2)
        return True
    except OSError:
        return False


def log_run(params, metrics):
    """Logs to MLflow when it is there; otherwise to $MODEL_DIR/runs/, saying why."""
    reason = f"MLflow at {TRACKING_URI} is not reachable" if TRACKING_URI else "MLFLOW_TRACKING_URI is unset"
    if tracking_reachable(TRACKING_URI):
        try:
            import mlflow

            mlflow.set_tracking_uri(TRACKING_URI)
            mlflow.set_experiment("fraud-detection")
            with mlflow.start_run() as run:
                mlflow.log_params(params)
                mlflow.log_metrics(metrics)
            print(f"metrics: logged to MLflow at {TRACKING_URI} (run {run.info.run_id})")
            return
        except ImportError:
            reason = "the mlflow package is not installed in this image"
    runs = os.path.join(MODEL_DIR, "runs")
    os.makedirs(runs, exist_ok=True)
    path = os.path.join(runs, time.strftime("%Y%m%d-%H%M%S") + ".json")
    with open(path, "w") as f:
        json.dump({"params": params, "metrics": metrics}, f, indent=2)
    print(f"metrics: {reason}; logged locally to {path}")


def main():
    t0 = time.time()
    df = synthetic_transactions(N, FRAUD_RATE, SEED)
    print(f"data: {len(df)} transactions, {int(df.is_fraud.sum())} fraudulent ({df.is_fraud.mean():.1%})")
    write_features(df)

    X, y = df[FEATURES], df["is_fraud"]
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, stratify=y, random_state=SEED)
    params = {"model": "RandomForestClassifier", "n_estimators": 150, "max_depth": 8,
              "class_weight": "balanced", "n_transactions": N, "fraud_rate": FRAUD_RATE, "seed": SEED}
    model = RandomForestClassifier(n_estimators=params["n_estimators"], max_depth=params["max_depth"],
                                   class_weight=params["class_weight"], random_state=SEED, n_jobs=-1)
    model.fit(X_train, y_train)
    scores = model.predict_proba(X_test)[:, 1]
    pred = (scores >= 0.5).astype(int)
    metrics = {
        "roc_auc": round(float(roc_auc_score(y_test, scores)), 4),
        "average_precision": round(float(average_precision_score(y_test, scores)), 4),
        "precision": round(float(precision_score(y_test, pred, zero_division=0)), 4),
        "recall": round(float(recall_score(y_test, pred)), 4),
        "f1": round(float(f1_score(y_test, pred)), 4),
    }
    print("metrics: " + ", ".join(f"{k}={v}" for k, v in metrics.items()))
    # Metrics for mlstack's run record and dashboard: one `MLSTACK_METRIC {json}` line per step, no
    # library needed. The curve: test ROC AUC of the forest's first k trees.
    for k in (5, 10, 25, 50, 100, params["n_estimators"]):
        partial = np.mean([t.predict_proba(X_test.to_numpy())[:, 1] for t in model.estimators_[:k]], axis=0)
        print("MLSTACK_METRIC " + json.dumps({"step": k, "roc_auc_by_trees": round(float(roc_auc_score(y_test, partial)), 4)}), flush=True)
    print("MLSTACK_METRIC " + json.dumps({"step": params["n_estimators"], **metrics}), flush=True)

    os.makedirs(MODEL_DIR, exist_ok=True)
    path = os.path.join(MODEL_DIR, "model.joblib")
    tmp = path + ".tmp"
    joblib.dump({"model": model, "features": FEATURES, "metrics": metrics, "trained_at": time.time()}, tmp)
    os.replace(tmp, path)  # the server never reads half a file
    print(f"model: saved to {path}")
    log_run(params, metrics)
    print(f"done in {time.time() - t0:.1f}s")


if __name__ == "__main__":
    main()
