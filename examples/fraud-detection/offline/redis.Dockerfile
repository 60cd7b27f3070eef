# Redis from Debian bookworm's package, for the offline stack.
# A local base (docker import / built by run.sh) has no registry digest to pin.
# mlstack-lint: ignore=base-no-digest
FROM mlstack/debian:bookworm
RUN apt-get update \
 && apt-get install -y --no-install-recommends redis-server \
 && rm -rf /var/lib/apt/lists/* \
 && mkdir -p /data && chown redis:redis /data
WORKDIR /data
USER redis
EXPOSE 6379
CMD ["redis-server", "--protected-mode", "no"]
