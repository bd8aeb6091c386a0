# syntax=docker/dockerfile:1
# One image for the tmcp binaries: tmcp-server (default entrypoint), tmcp-agent and tmcpctl.
#   docker build -t tmcp:dev .
#   docker run --rm tmcp:dev --help
#   docker run --rm --entrypoint node tmcp:dev apps/edge-agent/bin/tmcp-agent.js --help

FROM node:20-slim AS build
WORKDIR /src
COPY . .
RUN --mount=type=cache,target=/root/.npm npm ci --no-audit --no-fund
RUN npx turbo run build --filter=@tmcp/control-plane... --filter=@tmcp/edge-agent... --filter=@tmcp/admin-cli... \
 && npm prune --omit=dev --no-audit --no-fund \
 && rm -rf test bench packages/*/src apps/*/src

FROM node:20-slim AS runtime
ENV NODE_ENV=production
# A dedicated unprivileged user; the image's files stay owned by root (read-only to the app).
# /var/lib/tmcp-agent is the agent's data dir: a volume mounted there starts owned by tmcp.
RUN groupadd --system --gid 10001 tmcp \
 && useradd --system --uid 10001 --gid tmcp --home-dir /var/lib/tmcp --create-home --shell /usr/sbin/nologin tmcp \
 && install -d -o tmcp -g tmcp -m 0700 /var/lib/tmcp-agent
WORKDIR /app
COPY --from=build /src/package.json ./
COPY --from=build /src/node_modules ./node_modules
COPY --from=build /src/packages ./packages
COPY --from=build /src/apps ./apps
USER 10001:10001
EXPOSE 8080 9090 9443
ENTRYPOINT ["node", "apps/control-plane/bin/tmcp-server.js"]
CMD ["serve"]
