# syntax=docker/dockerfile:1
# The api (which migrates on start) and the migration CLI in a small non-root runtime image, with
# web/, the in-repo bucket copy (data/s3) and data-sources.json inside, so it runs with no S3 too.
#
#   docker build .                                    # compiles in the `build` stage (needs rust:1.95)
#   docker build --build-arg BINARIES=prebuilt .      # takes .container-bin/{api,migration}, built on
#                                                     # a bookworm host (scripts/container-test.sh)
ARG BINARIES=build

FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY . .
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked -p api -p migration \
    && mkdir -p /out && cp target/release/api target/release/migration /out/

FROM scratch AS prebuilt
COPY .container-bin/api .container-bin/migration /out/

FROM ${BINARIES} AS binaries

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --uid 10001 --no-create-home --home-dir /app --shell /usr/sbin/nologin blw
WORKDIR /app
COPY --from=binaries /out/api /out/migration /usr/local/bin/
COPY data-sources.json ./
COPY data ./data
COPY web ./web
ENV HOST=0.0.0.0 \
    PORT=8080 \
    WEB_DIR=/app/web \
    DATA_DIR=/app/data/s3 \
    DATA_SOURCES_FILE=/app/data-sources.json \
    RUST_LOG=info,sqlx=warn,sea_orm=warn,sea_orm_migration=info,tower_http=info
USER blw
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s \
    CMD ["/bin/bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/${PORT:-8080} && printf 'GET /readyz HTTP/1.0\\r\\n\\r\\n' >&3 && grep -q ' 200 ' <&3"]
CMD ["api"]
