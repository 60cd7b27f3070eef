# The shared Python base of the offline stack: Debian's scientific Python packages (no PyPI needed).
# run.sh builds it as fraud-detection/python-ml:bookworm; training and inference build FROM it.
# A local base (docker import / built by run.sh) has no registry digest to pin.
# mlstack-lint: ignore=base-no-digest
FROM mlstack/debian:bookworm
# Debian's python3-scipy depends on python3-pythran, a compiler that pulls in g++ and headers
# (about 600 MB) and that scipy does not import at run time. A placeholder package satisfies the
# dependency so the image holds what training and serving use: 619 MB instead of 1.25 GB.
RUN mkdir -p /tmp/pythran/DEBIAN \
 && printf 'Package: python3-pythran\nVersion: 99:0\nArchitecture: all\nMaintainer: mlstack <noreply@mlstack.invalid>\nDescription: placeholder for a build-time compiler scipy does not need at run time\n' \
      > /tmp/pythran/DEBIAN/control \
 && dpkg-deb --build /tmp/pythran /tmp/python3-pythran.deb >/dev/null \
 && dpkg -i /tmp/python3-pythran.deb && rm -rf /tmp/pythran /tmp/python3-pythran.deb \
 && apt-get update \
 && apt-get install -y --no-install-recommends \
      python3 python-is-python3 python3-sklearn python3-pandas python3-joblib python3-redis python3-prometheus-client \
 && rm -rf /var/lib/apt/lists/*
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
