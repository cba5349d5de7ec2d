# The bot's own image: what the bot preaches, practised.
# * every base image pinned by version tag AND digest (the bot keeps this ARG current itself);
# * multi-stage: the build stage makes a virtualenv, the runtime stage gets only that venv;
# * slim runtime: no compiler, no pip/apt caches, no package lists; non-root; read-only friendly
#   (all state under /var/lib/base-image-bot, mount a volume there);
# * tini as PID 1: serve spawns docker credential helpers and must reap them and forward SIGTERM.
# Build: docker build --build-arg VERSION=$(git describe --tags) --build-arg REVISION=$(git rev-parse HEAD) -t base-image-bot .
ARG PYTHON_IMAGE=python:3.11.16-slim-bookworm@sha256:59c9cfc401e37e452eba5fc5abb7780ddd2693d068ac3c84e45da0ea09f839dc

FROM ${PYTHON_IMAGE} AS build
# Extras: cluster (Dramatiq and redis-py for several serve replicas; imported only when
# cluster.enabled) by default; EXTRAS=postgres,cluster adds psycopg for a PostgreSQL job store.
ARG EXTRAS="cluster"
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1
WORKDIR /src
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY config ./config
RUN python -m venv /opt/venv \
 && /opt/venv/bin/pip install --no-compile ".${EXTRAS:+[$EXTRAS]}" \
 && /opt/venv/bin/pip uninstall --yes pip setuptools wheel \
 && find /opt/venv -name '__pycache__' -prune -exec rm -rf {} +

FROM ${PYTHON_IMAGE} AS runtime
ARG VERSION=0.1.0
ARG REVISION=unknown
LABEL org.opencontainers.image.title="base-image-bot" \
      org.opencontainers.image.description="Keeps Docker base images current: newer patch tags and refreshed digests, byte-exact Dockerfile rewrites, pull requests that explain the update." \
      org.opencontainers.image.source="https://github.com/base-image-bot/base-image-bot" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.licenses="Apache-2.0"
RUN apt-get update \
 && apt-get install --yes --no-install-recommends tini \
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/archives/*.deb /var/log/apt /var/log/dpkg.log \
 && mkdir -p /var/lib/base-image-bot \
 && chown 65532:65532 /var/lib/base-image-bot
COPY --from=build /opt/venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    HOME=/var/lib/base-image-bot \
    BASE_IMAGE_BOT_STATE_DIR=/var/lib/base-image-bot \
    BASE_IMAGE_BOT_SERVICE__HOST=0.0.0.0 \
    BASE_IMAGE_BOT_LOG_FORMAT=json
USER 65532:65532
WORKDIR /var/lib/base-image-bot
VOLUME ["/var/lib/base-image-bot"]
EXPOSE 8080
ENTRYPOINT ["/usr/bin/tini", "--", "base-image-bot"]
CMD ["serve"]
