"""Fraud-detection model server (standard library http.server).

GET  /health   200 as soon as the server runs; says whether a model is loaded.
POST /predict  {"transactions": [{"amount": 812.5, "hour": 3, ...}, ...]} (or one object) ->
               {"predictions": [{"fraud_probability": 0.93, "is_fraud": true}, ...]}.
               503 with a clear message until training has written a model, which is then loaded
               on the next request without a restart (and reloaded when a new one is written).
GET  /metrics  Prometheus metrics.
"""
import json
import os
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import joblib
import pandas as pd
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Gauge, Histogram, generate_latest

MODEL_PATH = os.path.join(os.environ.get("MODEL_DIR", "/models"), "model.joblib")
THRESHOLD = float(os.environ.get("FRAUD_THRESHOLD", "0.5"))

PREDICTIONS = Counter("fraud_predictions_total", "Transactions scored", ["outcome"])
LATENCY = Histogram("fraud_predict_seconds", "Time to answer /predict")
MODEL_LOADED = Gauge("fraud_model_loaded", "1 when a model is loaded")
MODEL_TRAINED_AT = Gauge("fraud_model_trained_timestamp_seconds", "When the loaded model was trained")


class ModelStore:
    """Holds the current model and reloads it when the file on the volume changes."""

    def __init__(self, path):
        self.path, self.mtime, self.bundle = path, None, None
        self.lock = threading.Lock()

    def get(self):
        try:
            mtime = os.stat(self.path).st_mtime
        except FileNotFoundError:
            return None
        with self.lock:
            if mtime != self.mtime:
                self.bundle, self.mtime = joblib.load(self.path), mtime
                MODEL_LOADED.set(1)
                MODEL_TRAINED_AT.set(self.bundle.get("trained_at", 0))
                print(f"loaded model from {self.path} (metrics {self.bundle.get('metrics')})", flush=True)
            return self.bundle


STORE = ModelStore(MODEL_PATH)
NO_MODEL = f"no model loaded yet: {MODEL_PATH} does not exist; run `mlstack train` to train one"


class Handler(BaseHTTPRequestHandler):
    def reply(self, code, body, ctype="application/json"):
        data = body if isinstance(body, bytes) else (json.dumps(body) + "\n").encode()
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        if self.path == "/health":
            bundle = STORE.get()
            if bundle is None:
                return self.reply(200, {"status": "ok", "model_loaded": False, "detail": NO_MODEL})
            return self.reply(200, {"status": "ok", "model_loaded": True, "metrics": bundle.get("metrics")})
        if self.path == "/metrics":
            return self.reply(200, generate_latest(), CONTENT_TYPE_LATEST)
        self.reply(404, {"error": f"no route {self.path}: use /health, /predict (POST) or /metrics"})

    def do_POST(self):
        if self.path != "/predict":
            return self.reply(404, {"error": f"no route {self.path}: use POST /predict"})
        start = time.perf_counter()
        bundle = STORE.get()
        if bundle is None:
            return self.reply(503, {"error": NO_MODEL})
        try:
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"null")
            txs = body.get("transactions", body) if isinstance(body, dict) else body
            if isinstance(txs, dict):
                txs = [txs]
            if not isinstance(txs, list) or not txs:
                raise ValueError("expected a transaction object or {\"transactions\": [...]}")
            features = bundle["features"]
            missing = sorted({f for t in txs for f in features if f not in t})
            if missing:
                raise ValueError(f"missing features {missing}; each transaction needs {features}")
            X = pd.DataFrame([{f: float(t[f]) for f in features} for t in txs], columns=features)
        except (ValueError, TypeError, AttributeError) as e:
            return self.reply(400, {"error": str(e)})
        scores = bundle["model"].predict_proba(X)[:, 1]
        out = []
        for s in scores:
            fraud = bool(s >= THRESHOLD)
            PREDICTIONS.labels("fraud" if fraud else "legit").inc()
            out.append({"fraud_probability": round(float(s), 4), "is_fraud": fraud})
        LATENCY.observe(time.perf_counter() - start)
        self.reply(200, {"predictions": out})

    def log_message(self, fmt, *args):
        if "/health" not in (args[0] if args else ""):
            print(fmt % args, flush=True)


if __name__ == "__main__":
    MODEL_LOADED.set(0)
    port = int(os.environ.get("PORT", "8080"))
    print(f"inference: serving on :{port}; " + ("model present" if STORE.get() else NO_MODEL), flush=True)
    ThreadingHTTPServer(("0.0.0.0", port), Handler).serve_forever()
