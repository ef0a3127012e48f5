# syntax=docker/dockerfile:1
# Builds the api (which migrates on start) and the migration CLI; the image carries the in-repo
# bucket copy so it runs with no S3 configured (set DATA_SOURCE=s3 and AWS settings to use S3).
FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY . .
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked -p api -p migration \
    && cp target/release/api target/release/migration /usr/local/bin/

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --home /app blw
WORKDIR /app
COPY --from=build /usr/local/bin/api /usr/local/bin/migration /usr/local/bin/
COPY data-sources.json ./
COPY data ./data
COPY web ./web
ENV HOST=0.0.0.0 \
    PORT=8080 \
    DATA_DIR=/app/data/s3 \
    RUST_LOG=info,sqlx=warn,sea_orm=warn,sea_orm_migration=info,tower_http=info
USER blw
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s \
    CMD ["/bin/sh", "-c", "exec 3<>/dev/tcp/127.0.0.1/8080 && printf 'GET /healthz HTTP/1.0\\r\\n\\r\\n' >&3 && grep -q ' 200 ' <&3"]
CMD ["api"]
