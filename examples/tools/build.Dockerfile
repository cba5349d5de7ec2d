# Cross-compiled Go tool on a distroless base.
FROM --platform=$BUILDPLATFORM golang:1.21.5-bookworm AS build
ARG TARGETOS TARGETARCH
WORKDIR /src
COPY . .
RUN CGO_ENABLED=0 GOOS=$TARGETOS GOARCH=$TARGETARCH go build -o /out/tool ./cmd/tool

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/tool /tool
ENTRYPOINT ["/tool"]
