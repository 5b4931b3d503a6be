# One image for every process role of Campus Careers; the role is the command
# (gateway, <svc>-api, <svc>-worker, <svc>-relay: see the Procfile, docker-compose.yml, deploy/k8s).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# A CJK TrueType font so generated PDFs (resumes, tickets, agreements) render in every viewer.
RUN apt-get update \
    && apt-get install -y --no-install-recommends fonts-wqy-microhei \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY requirements.txt ./
RUN pip install -r requirements.txt

COPY libs ./libs
COPY services ./services
COPY gateway ./gateway
COPY Procfile pyproject.toml ./

RUN groupadd --gid 10001 app \
    && useradd --uid 10001 --gid 10001 --no-create-home --shell /usr/sbin/nologin app \
    && mkdir -p /data \
    && chown app:app /data

# Code runs from the source tree (migrations and templates live beside it), as in `make run`.
ENV PYTHONPATH=/app/libs:/app \
    DATA_DIR=/data \
    BIND_HOST=0.0.0.0

USER 10001:10001
EXPOSE 8000
CMD ["python", "-m", "gateway.serve"]
