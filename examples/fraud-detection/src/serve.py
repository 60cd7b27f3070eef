"""Fraud-detection model server (standard library http.server).

GET  /health   200 as soon as the server runs; says whether a model is loaded.
POST /predict  {"transactions": [{"amount": 812.5, "hour": 3, ...}, ...]} (or one object) ->
               {"predictions": [{"fraud_probability": 0.93, "is_fraud": true}, ...]}.
               503 with a clear message until training has written a model, which is then loaded
               on the next request without a restart (and reloaded when a new one is written).
GET  /metrics  Prometheus metrics.

The scoring code (src/scoring.py) is reloaded in place when its file changes, so an edit synced by
`mlstack watch` changes /predict on the next request, without restarting the process (which would
re-import pandas and reload the model). SIGTERM ends the server at once (as PID 1, without
compose's init: true, SIGTERM would otherwise be ignored).
"""
import importlib
import json
import os
import signal
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import joblib
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Gauge, Histogram, generate_latest

import scoring

MODEL_PATH = os.path.join(os.environ.get("MODEL_DIR", "/models"), "model.joblib")
STARTED_AT = time.time()

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


class CodeReloader:
    """Reloads a module in place when its source file changes (a stat per request)."""

    def __init__(self, module):
        self.module, self.lock = module, threading.Lock()
        self.mtime = self._mtime()

    def _mtime(self):
        try:
            return os.stat(self.module.__file__).st_mtime_ns
        except FileNotFoundError:
            return None

    def get(self):
        mtime = self._mtime()
        with self.lock:
            if mtime is not None and mtime != self.mtime:
                try:
                    importlib.reload(self.module)
                    print(f"reloaded {os.path.basename(self.module.__file__)} (threshold {self.module.THRESHOLD})", flush=True)
                except Exception as e:  # a half-written edit: keep serving the previous code
                    print(f"reload of {self.module.__file__} failed, keeping the previous code: {e!r}", flush=True)
                self.mtime = mtime
            return self.module


STORE = ModelStore(MODEL_PATH)
CODE = CodeReloader(scoring)
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
                return self.reply(200, {"status": "ok", "model_loaded": False, "detail": NO_MODEL, "started_at": STARTED_AT})
            return self.reply(200, {"status": "ok", "model_loaded": True, "metrics": bundle.get("metrics"), "started_at": STARTED_AT})
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
        code = CODE.get()
        try:
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"null")
            X = code.parse(body, bundle["features"])
        except (ValueError, TypeError, AttributeError) as e:
            return self.reply(400, {"error": str(e)})
        out = code.predict(bundle["model"], X)
        for p in out:
            PREDICTIONS.labels("fraud" if p.get("is_fraud") else "legit").inc()
        LATENCY.observe(time.perf_counter() - start)
        self.reply(200, {"predictions": out})

    def log_message(self, fmt, *args):
        if "/health" not in (args[0] if args else ""):
            print(fmt % args, flush=True)


if __name__ == "__main__":
    # Exit at once: nothing is left to flush, and a normal interpreter shutdown with pandas and the
    # model loaded takes seconds on a busy machine.
    signal.signal(signal.SIGTERM, lambda signum, frame: (sys.stdout.flush(), os._exit(0)))
    MODEL_LOADED.set(0)
    port = int(os.environ.get("PORT", "8080"))
    print(f"inference: serving on :{port}; " + ("model present" if STORE.get() else NO_MODEL), flush=True)
    ThreadingHTTPServer(("0.0.0.0", port), Handler).serve_forever()
