# The codeharvest sandbox image: a Python 3 base plus the stdlib-only job runner.
# BASE_IMAGE: python:3.11-slim where a registry answers; on offline machines
# infra/build_images.sh builds codeharvest-base:bookworm with debootstrap and passes it here.
ARG BASE_IMAGE=python:3.11-slim
FROM ${BASE_IMAGE}

ARG RUNNER_SHA256=unknown
LABEL org.opencontainers.image.title="codeharvest-sandbox" \
      codeharvest.runner_sha256="${RUNNER_SHA256}"

# A dedicated non-root user (the container also runs with --user 10001:10001).
RUN (grep -q '^sandbox:' /etc/passwd || echo 'sandbox:x:10001:10001:codeharvest sandbox:/tmp:/usr/sbin/nologin' >> /etc/passwd) \
 && (grep -q '^sandbox:' /etc/group || echo 'sandbox:x:10001:' >> /etc/group) \
 && mkdir -p /opt/codeharvest /run/codeharvest \
 && python3 -c "import sys; assert sys.version_info >= (3, 9), sys.version"

COPY runner.py /opt/codeharvest/runner.py
RUN chmod 0444 /opt/codeharvest/runner.py && python3 -m py_compile /opt/codeharvest/runner.py || true

ENV HOME=/tmp LANG=C.UTF-8 PYTHONDONTWRITEBYTECODE=1
USER 10001:10001
WORKDIR /tmp
ENTRYPOINT ["python3", "-I", "/opt/codeharvest/runner.py"]
