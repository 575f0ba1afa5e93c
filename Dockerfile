# Rotadesk: one image for the IMAP worker, the dashboard and the webhook receiver (see compose.yaml).
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
# Dependencies first, so a code change does not reinstall them.
COPY requirements.txt ./
RUN pip install -r requirements.txt

COPY .streamlit/ .streamlit/
COPY core/ core/
COPY ingest/ ingest/
COPY ui/ ui/
COPY pages/ pages/
COPY dashboard.py ./
COPY data/samples/ data/samples/

# A fixed, unprivileged user; data/ (the volume) and static/ (calendar feeds) are the only places it writes.
RUN groupadd --system --gid 10001 rotadesk \
    && useradd --system --uid 10001 --gid rotadesk --create-home --home-dir /home/rotadesk --shell /usr/sbin/nologin rotadesk \
    && mkdir -p /app/data /app/static \
    && chown rotadesk:rotadesk /app/data /app/static
USER 10001:10001

ENV ROTADESK_DB=/app/data/rotadesk.db \
    ROTADESK_DATA_DIR=/app/data
VOLUME ["/app/data"]
EXPOSE 8501 8502

HEALTHCHECK --interval=60s --timeout=20s --start-period=120s --retries=3 \
    CMD ["python", "-m", "ingest", "health", "--offline", "--only", "database"]
CMD ["python", "-m", "ingest", "run"]
