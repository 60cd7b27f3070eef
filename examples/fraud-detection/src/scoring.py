"""How /predict turns transactions into answers: the part of the inference server you edit.

serve.py reloads this module in place (importlib.reload, no restart, pandas and the model stay
loaded) on the first request after the file changes, so with `mlstack watch` an edit here changes
/predict's answers within a second. Try raising THRESHOLD, or adding a field to each prediction.
"""
import os

import pandas as pd

# A transaction is flagged when the model's fraud probability reaches this.
THRESHOLD = float(os.environ.get("FRAUD_THRESHOLD", "0.5"))


def parse(body, features):
    """Returns the request's transactions as a DataFrame of the model's features (ValueError if bad)."""
    txs = body.get("transactions", body) if isinstance(body, dict) else body
    if isinstance(txs, dict):
        txs = [txs]
    if not isinstance(txs, list) or not txs:
        raise ValueError("expected a transaction object or {\"transactions\": [...]}")
    missing = sorted({f for t in txs for f in features if f not in t})
    if missing:
        raise ValueError(f"missing features {missing}; each transaction needs {features}")
    return pd.DataFrame([{f: float(t[f]) for f in features} for t in txs], columns=features)


def predict(model, X):
    """One answer per row of X."""
    scores = model.predict_proba(X)[:, 1]
    return [{"fraud_probability": round(float(s), 4), "is_fraud": bool(s >= THRESHOLD)} for s in scores]
