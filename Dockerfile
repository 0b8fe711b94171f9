# Fromline in a container: `docker build -t fromline .`, then
#   docker run --rm -v "$PWD:/work" fromline package evidence/ --image REF@sha256:... --key keys/release.pub --out package
#
# The base image is pinned by digest, the same in both stages. It is the multi-platform index (amd64, arm64, arm/v7,
# 386, ppc64le) of the official python:3.11-slim-bookworm as docker-library/repo-info recorded it in
# repos/python/remote/3.11-slim-bookworm.md (commit 33a22f41ac7bf613bc03380b0317536a9a7fb5e8): Python 3.11.16 on
# Debian bookworm, its images built on 24 and 25 Aug 2026. To move to a newer build of the tag, read its digest with
#   docker buildx imagetools inspect python:3.11-slim-bookworm
# (the "Digest:" line) and replace it on both FROM lines; tests/test_dockerfile.py checks that they agree.

# The build stage: the wheel, installed with its dependencies into a virtual environment at /opt/fromline.
FROM python:3.11-slim-bookworm@sha256:0bee7276f83efd4a1ee05bbbf4281d95ed28e079220a9457f25a93e3f1e3c31b AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PYTHONDONTWRITEBYTECODE=1
WORKDIR /src
COPY pyproject.toml README.md LICENSE ./
COPY evidence ./evidence
RUN python -m pip wheel --quiet --no-deps --wheel-dir /dist . \
    && python -m venv /opt/fromline \
    && /opt/fromline/bin/python -m pip install --quiet /dist/fromline-*.whl \
    && /opt/fromline/bin/fromline --version

# The runtime stage: the same Python, the virtual environment, and the fonts report.pdf is typeset with.
FROM python:3.11-slim-bookworm@sha256:0bee7276f83efd4a1ee05bbbf4281d95ed28e079220a9457f25a93e3f1e3c31b AS runtime
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends fonts-dejavu-core fontconfig \
    && rm -rf /var/lib/apt/lists/*
COPY --from=build /opt/fromline /opt/fromline
# HOME is /tmp so that any user id (`docker run --user "$(id -u):$(id -g)"`) has a writable one.
ENV PATH=/opt/fromline/bin:$PATH \
    HOME=/tmp \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1
ARG SOURCE=https://github.com/OWNER/fromline
LABEL org.opencontainers.image.title="fromline" \
      org.opencontainers.image.description="Turn the security evidence of container images into audit packages (OSCAL, PDF, Excel)" \
      org.opencontainers.image.source=$SOURCE \
      org.opencontainers.image.licenses="Apache-2.0"
WORKDIR /work
USER 10001:10001
ENTRYPOINT ["fromline"]
CMD ["--help"]
