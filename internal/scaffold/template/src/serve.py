"""Model server: GET /health, POST /predict, GET /metrics on $PORT (8080).

/health answers 200 as soon as the server runs and says whether a model is loaded; /predict answers
503 until training has written $MODEL_DIR/model.joblib, which is then loaded without a restart.
"""
import json
import os
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import joblib
from prometheus_client import CONTENT_TYPE_LATEST, Counter, generate_latest

MODEL_PATH = os.path.join(os.environ.get("MODEL_DIR", "/models"), "model.joblib")
PREDICTIONS = Counter("predictions_total", "Predictions served")

_model = {"mtime": None, "model": None}


def current_model():
    """Loads the model when the file appeared or changed since the last request."""
    try:
        mtime = os.stat(MODEL_PATH).st_mtime
    except FileNotFoundError:
        return None
    if mtime != _model["mtime"]:
        _model["model"], _model["mtime"] = joblib.load(MODEL_PATH), mtime
    return _model["model"]


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
            loaded = current_model() is not None
            self.reply(200, {"status": "ok", "model_loaded": loaded,
                             "detail": "model loaded" if loaded else f"no model yet at {MODEL_PATH}: run `mlstack train`"})
        elif self.path == "/metrics":
            self.reply(200, generate_latest(), CONTENT_TYPE_LATEST)
        else:
            self.reply(404, {"error": "not found"})

    def do_POST(self):
        if self.path != "/predict":
            return self.reply(404, {"error": "not found"})
        model = current_model()
        if model is None:
            return self.reply(503, {"error": f"no model loaded yet ({MODEL_PATH} does not exist): run `mlstack train` first"})
        try:
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
            rows = body["instances"]
            scores = model.predict_proba(rows)[:, 1].tolist()
        except (ValueError, KeyError, TypeError) as e:
            return self.reply(400, {"error": f"bad request: {e}; send {{\"instances\": [[...features...]]}}"})
        PREDICTIONS.inc(len(rows))
        self.reply(200, {"scores": scores})

    def log_message(self, fmt, *args):
        print(fmt % args, flush=True)


if __name__ == "__main__":
    port = int(os.environ.get("PORT", "8080"))
    print(f"serving on :{port}", flush=True)
    ThreadingHTTPServer(("0.0.0.0", port), Handler).serve_forever()
