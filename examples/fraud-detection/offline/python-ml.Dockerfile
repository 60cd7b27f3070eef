# The shared Python base of the offline stack: Debian's scientific Python packages (no PyPI needed).
# run.sh builds it as fraud-detection/python-ml:bookworm; training and inference build # A local base (docker import / built by run.sh) has no registry digest to pin.
# mlstack-lint: ignore=base-no-digest
FROM it.
FROM mlstack/debian:bookworm
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      python3 python-is-python3 python3-sklearn python3-pandas python3-joblib python3-redis python3-prometheus-client \
 && rm -rf /var/lib/apt/lists/*
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
