# syntax=docker/dockerfile:1

# ---- build ------------------------------------------------------------------
# The floating 1.26 tag tracks the newest 1.26.x patch, which must be at least
# the `go` line in go.mod (the official images set GOTOOLCHAIN=local).
FROM --platform=$BUILDPLATFORM golang:1.26-bookworm AS build

WORKDIR /src

# Module downloads get their own layer: rebuilt only when go.mod/go.sum change.
COPY go.mod go.sum ./
RUN go mod download && go mod verify

COPY . .

ARG VERSION=dev
ARG TARGETOS
ARG TARGETARCH
# Pure-Go build (SQLite driver is pure Go), so the binary is fully static and
# cross-compiles for any --platform without a C toolchain.
RUN CGO_ENABLED=0 GOOS=${TARGETOS:-linux} GOARCH=${TARGETARCH} \
    go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" \
        -o /out/channelbot . \
 && mkdir -p /out/data

# ---- runtime ----------------------------------------------------------------
# distroless/static: CA certificates, tzdata, /etc/passwd with nonroot (65532),
# no shell and no package manager.
FROM gcr.io/distroless/static-debian12:nonroot

# The binary also embeds the zone database (import _ "time/tzdata"); the system
# copy is here as a second source.
COPY --from=build /usr/share/zoneinfo /usr/share/zoneinfo
COPY --from=build /out/channelbot /channelbot
# /data must be writable by the nonroot user; a named volume mounted there is
# initialised from this directory, ownership included.
COPY --from=build --chown=65532:65532 /out/data /data

ENV DATABASE_URL=sqlite:///data/channelbot.db
VOLUME /data
EXPOSE 8080

USER nonroot:nonroot

# No HEALTHCHECK: distroless has no shell, curl or wget to probe with. Use the
# orchestrator's HTTP probes (e.g. Kubernetes liveness/readiness) instead.
ENTRYPOINT ["/channelbot"]
CMD ["serve"]
