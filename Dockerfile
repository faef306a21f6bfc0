# The portal in a container. Builds with the committed .sqlx/ data (no database needed).
FROM rust:1-bookworm AS build
WORKDIR /src
COPY . .
ENV SQLX_OFFLINE=true
RUN cargo build --release --locked

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* && useradd --system --home /app portal \
    && mkdir -p /app/var && chown -R portal /app
COPY --from=build /src/target/release/portal /usr/local/bin/portal
WORKDIR /app
USER portal
ENV PORTAL_BIND=0.0.0.0:3000 PORTAL_DATA_DIR=/app/var
EXPOSE 3000
ENTRYPOINT ["portal"]
CMD ["serve"]
