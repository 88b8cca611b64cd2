# The kubectl-agentcore image: one static binary on a distroless base, non-root. It is what
# `kubectl agentcore rotate --print-manifests` runs in the cluster (`rotate --watch`).
#
#   docker build -t ghcr.io/kubectl-agentcore/kubectl-agentcore:$(git describe --tags --always) \
#     --build-arg VERSION=$(git describe --tags --always) --build-arg COMMIT=$(git rev-parse --short HEAD) .
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
ARG COMMIT=none
ARG DATE=unknown
ARG TARGETOS=linux
ARG TARGETARCH
RUN CGO_ENABLED=0 GOOS=${TARGETOS} GOARCH=${TARGETARCH} go build -trimpath \
      -ldflags "-s -w -X github.com/kubectl-agentcore/kubectl-agentcore/plugin/cmdutil.Version=${VERSION} -X github.com/kubectl-agentcore/kubectl-agentcore/plugin/cmdutil.Commit=${COMMIT} -X github.com/kubectl-agentcore/kubectl-agentcore/plugin/cmdutil.Date=${DATE}" \
      -o /out/kubectl-agentcore ./cmd/kubectl-agentcore

FROM gcr.io/distroless/static:nonroot
COPY --from=build /out/kubectl-agentcore /usr/local/bin/kubectl-agentcore
USER 65532:65532
ENTRYPOINT ["/usr/local/bin/kubectl-agentcore"]
CMD ["rotate", "--watch", "--log-format=json"]
