# syntax=docker/dockerfile:1
# The bot's own image. A hardened multi-stage build (pinned digests, non-root, init for PID 1)
# arrives with the service work; this one already runs the CLI.
ARG PYTHON_TAG=3.11.14-slim-bookworm

FROM python:${PYTHON_TAG} AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY config ./config
RUN pip wheel --no-cache-dir --wheel-dir /wheels .

FROM python:${PYTHON_TAG}
RUN --mount=type=bind,from=build,source=/wheels,target=/wheels \
    pip install --no-cache-dir /wheels/*.whl
USER 65532:65532
ENTRYPOINT ["base-image-bot"]
CMD ["--help"]
