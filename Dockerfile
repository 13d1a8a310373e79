# One image for every OneThing process (一个镜像，所有进程).
#
# docker-compose.yml runs each service from this image with `python -m <module>` (see
# cli/src/onething/processes.py); the one-shot `keys-init` and `demo` containers run the `onething` CLI.
# No HEALTHCHECK here: compose defines one per service (GET /readyz on the service's own port).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    ONETHING_DATA_DIR=/data \
    ONETHING_KEYS_DIR=/keys \
    ONETHING_HTTP_HOST=0.0.0.0

RUN groupadd --system --gid 10001 onething \
 && useradd --system --uid 10001 --gid onething --home-dir /app --shell /usr/sbin/nologin onething

WORKDIR /src

# The components, in dependency order (the Makefile's PKGS); installed non-editable below.
COPY contracts ./contracts
COPY libs/exchange ./libs/exchange
COPY libs/credentials ./libs/credentials
COPY libs/catalogue ./libs/catalogue
COPY libs/screens ./libs/screens
COPY services/intake ./services/intake
COPY services/dispatch ./services/dispatch
COPY services/licence ./services/licence
COPY services/supervision ./services/supervision
COPY services/rating ./services/rating
COPY services/gateway ./services/gateway
COPY simulators ./simulators
COPY cli ./cli

RUN pip install --no-cache-dir \
        ./contracts \
        ./libs/exchange \
        ./libs/credentials \
        ./libs/catalogue \
        ./libs/screens \
        ./services/intake \
        ./services/dispatch \
        ./services/licence \
        ./services/supervision \
        ./services/rating \
        ./services/gateway \
        ./simulators \
        ./cli \
 && rm -rf /src

# /keys and /data are owned by the runtime user, so the named volumes mounted there (which take the
# ownership of the image's directory when first created) are writable without root.
RUN mkdir -p /app /data /keys \
 && chown onething:onething /app /data /keys

WORKDIR /app
USER onething:onething

CMD ["onething", "--help"]
