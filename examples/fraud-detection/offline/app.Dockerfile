# Training and inference for the offline stack: the shared Python base plus the code.
# A local base (docker import / built by run.sh) has no registry digest to pin.
# mlstack-lint: ignore=base-no-digest
FROM fraud-detection/python-ml:bookworm
WORKDIR /app
# A non-root user owning /models, so the models volume (initialised from the image) is writable.
RUN useradd --create-home --uid 1000 app && mkdir -p /models && chown app:app /models
COPY src/ src/
USER app
EXPOSE 8080
CMD ["python", "src/serve.py"]
