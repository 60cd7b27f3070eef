# Prometheus from Debian bookworm's package, for the offline stack.
# A local base (docker import / built by run.sh) has no registry digest to pin.
# mlstack-lint: ignore=base-no-digest
FROM mlstack/debian:bookworm
RUN apt-get update \
 && apt-get install -y --no-install-recommends prometheus \
 && rm -rf /var/lib/apt/lists/* \
 && mkdir -p /prometheus && chown prometheus:prometheus /prometheus
USER prometheus
EXPOSE 9090
ENTRYPOINT ["/usr/bin/prometheus"]
CMD ["--config.file=/etc/prometheus/prometheus.yml", "--storage.tsdb.path=/prometheus"]
