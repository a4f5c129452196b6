# Production image: slim Python, non-root user, uvicorn workers, healthcheck.
FROM python:3.11-slim AS runtime
# FORWARDED_ALLOW_IPS: the reverse proxy whose X-Forwarded-For/-Proto are believed, by uvicorn
# (--forwarded-allow-ips) and by the app's rate limiter alike; set it to your proxy's address.
# Behind a proxy on another host, set PUBLIC_BASE_URL (or TRUSTED_HOSTS) for absolute links.
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 \
    HOST=0.0.0.0 PORT=8000 WEB_CONCURRENCY=2 DATA_DIR=/var/lib/breakeven \
    FORWARDED_ALLOW_IPS=127.0.0.1
WORKDIR /srv/breakeven
COPY pyproject.toml README.md ./
COPY app ./app
COPY templates ./templates
COPY static ./static
RUN pip install ".[postgres]" && useradd --system --uid 10001 breakeven \
    && mkdir -p /var/lib/breakeven && chown breakeven /var/lib/breakeven
USER breakeven
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s --retries=3 \
    CMD python -c "import urllib.request,os; urllib.request.urlopen(f'http://127.0.0.1:{os.environ[\"PORT\"]}/healthz', timeout=2)"
CMD ["sh", "-c", "exec uvicorn app.main:app --host $HOST --port $PORT --workers $WEB_CONCURRENCY --no-server-header --no-access-log --proxy-headers --forwarded-allow-ips \"$FORWARDED_ALLOW_IPS\""]
