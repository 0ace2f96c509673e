# Multi-stage build: the SPA with Node, the binaries with Rust (no database
# needed: sqlx reads the committed .sqlx/), then a slim runtime image.
FROM node:20-bookworm-slim AS frontend
WORKDIR /src/frontend
COPY frontend/package.json frontend/package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY frontend/ ./
COPY openapi/ /src/openapi/
RUN npm run build

FROM rust:1.95-bookworm AS backend
WORKDIR /src
ENV SQLX_OFFLINE=true
COPY Cargo.toml Cargo.lock ./
COPY .sqlx/ .sqlx/
COPY crates/ crates/
COPY migrations/ migrations/
COPY openapi/ openapi/
COPY .env.example ./
RUN cargo build --release -p api -p sandbox --bins

FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates curl \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --home /app juragan
WORKDIR /app
COPY --from=backend /src/target/release/juragan /src/target/release/sandbox /usr/local/bin/
COPY --from=frontend /src/frontend/dist /app/frontend/dist
USER juragan
ENV FRONTEND_DIST=/app/frontend/dist \
    HTTP_ADDR=0.0.0.0:8080 \
    APP_ENV=production \
    LOG_FORMAT=json
EXPOSE 8080
CMD ["juragan", "serve"]
