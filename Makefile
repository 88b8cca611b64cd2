# kubectl-agentcore — build, test, release.
#   make build     the plugin in bin/kubectl-agentcore (the only binary that ships)
#   make sandbox   the developer sandbox in bin/agentcore-sandbox (not shipped; make demo builds it)
#   make demo      the sandbox on loopback, then the plugin's home screen in it; make demo-down stops it
#   make test      unit + integration tests (-race) against a real kube-apiserver + etcd, cognito-local and oidc-provider
#   make lint      gofmt + goimports + go vet + the plugin links no test/sandbox code + darwin/windows builds
#   make release VERSION=v0.1.0   archives for every platform in dist/, dist/checksums.txt, krew/agentcore.yaml
#   make image     the container image (linux/amd64 + linux/arm64) as an OCI image layout in dist/image, no daemon

GO        ?= go
MODULE    := github.com/kubectl-agentcore/kubectl-agentcore
VERSION   ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT    ?= $(shell git rev-parse --short=12 HEAD 2>/dev/null || echo none)
DATE      ?= $(shell git log -1 --format=%cd --date=format-local:%Y-%m-%dT%H:%M:%SZ 2>/dev/null || echo unknown)
LDFLAGS   := -s -w -X $(MODULE)/plugin/cmdutil.Version=$(VERSION) -X $(MODULE)/plugin/cmdutil.Commit=$(COMMIT) -X $(MODULE)/plugin/cmdutil.Date=$(DATE)

# The test control plane, built from Go modules (tools/testbin) and cached here.
TESTBIN     := .testbin/bin
K8S_VERSION := v1.36.4
K8S_MINOR   := 36
K8S_LDFLAGS := -s -w \
	-X k8s.io/component-base/version.gitVersion=$(K8S_VERSION) -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=$(K8S_MINOR) \
	-X k8s.io/client-go/pkg/version.gitVersion=$(K8S_VERSION) -X k8s.io/client-go/pkg/version.gitMajor=1 -X k8s.io/client-go/pkg/version.gitMinor=$(K8S_MINOR)
COGNITO_LOCAL := tools/cognito-local/node_modules/cognito-local/package.json
OIDC_PROVIDER := tools/oidc-provider/node_modules/oidc-provider/package.json

.PHONY: build sandbox install test unit lint testbin cognito-local oidc-provider clean bench release image demo demo-down

build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o bin/kubectl-agentcore ./cmd/kubectl-agentcore

# The developer sandbox (cmd/agentcore-sandbox): `bin/agentcore-sandbox up|env|down|serve`, state in .sandbox/ or
# in the folder $AGENTCORE_SANDBOX_DIR names. It needs this checkout (testbin, cognito-local, ../shared/crds).
sandbox:
	$(GO) build -o bin/agentcore-sandbox ./cmd/agentcore-sandbox

install:
	CGO_ENABLED=0 $(GO) install -trimpath -ldflags '$(LDFLAGS)' ./cmd/kubectl-agentcore

testbin: $(TESTBIN)/kube-apiserver $(TESTBIN)/etcd $(TESTBIN)/kwok $(TESTBIN)/agentgateway-controller

$(TESTBIN)/kube-apiserver: tools/testbin/go.mod tools/testbin/go.sum
	@mkdir -p $(TESTBIN)
	@echo "building kube-apiserver $(K8S_VERSION) from Go modules (a few minutes the first time)"
	cd tools/testbin && $(GO) build -trimpath -ldflags '$(K8S_LDFLAGS)' -o $(CURDIR)/$@ k8s.io/kubernetes/cmd/kube-apiserver

$(TESTBIN)/etcd: tools/testbin/go.mod tools/testbin/go.sum tools/testbin/etcd/main.go
	@mkdir -p $(TESTBIN)
	cd tools/testbin && $(GO) build -trimpath -ldflags '-s -w' -o $(CURDIR)/$@ ./etcd

$(TESTBIN)/kwok: tools/kwok/go.mod tools/kwok/go.sum
	@mkdir -p $(TESTBIN)
	cd tools/kwok && $(GO) build -trimpath -ldflags '-s -w' -o $(CURDIR)/$@ sigs.k8s.io/kwok/cmd/kwok

# The open-source Agent Gateway controller (v1.4.1) from the Go module proxy; its nested api module is generated from
# the protos in the root module's zip (tools/agentgateway/gen-api.sh, needs protoc). 10–20 minutes the first time.
AGW_SOURCES := tools/agentgateway/go.mod tools/agentgateway/go.sum tools/agentgateway/main.go \
	tools/agentgateway/gen-api.sh tools/agentgateway/api/go.mod

$(TESTBIN)/agentgateway-controller: $(AGW_SOURCES)
	@mkdir -p $(TESTBIN)
	@echo "building the Agent Gateway controller v1.4.1 from Go modules (10-20 minutes the first time)"
	GO='$(GO)' tools/agentgateway/gen-api.sh
	cd tools/agentgateway && $(GO) build -trimpath -ldflags '-s -w' -o $(CURDIR)/$@ .

cognito-local: $(COGNITO_LOCAL)

$(COGNITO_LOCAL): tools/cognito-local/package.json tools/cognito-local/package-lock.json
	cd tools/cognito-local && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

# A real OAuth 2.0 / OpenID Connect server (client credentials, JWT access tokens) for the token mint/rotate tests.
oidc-provider: $(OIDC_PROVIDER)

$(OIDC_PROVIDER): tools/oidc-provider/package.json tools/oidc-provider/package-lock.json
	cd tools/oidc-provider && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

test: testbin cognito-local oidc-provider
	AGENTCORE_REQUIRE_TESTBIN=1 AGENTCORE_REQUIRE_COGNITO=1 AGENTCORE_REQUIRE_OIDC=1 $(GO) test -race -count=1 -timeout 30m ./...
	@# The image tool is its own module (the plugin does not link go-containerregistry): its test builds the layout twice.
	cd tools/image && $(GO) test -count=1 -timeout 15m ./...

unit:
	$(GO) test -race -short ./...

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	@# Imports grouped as goimports does (standard library first); goimports is pinned in tools/lint.
	@cd tools/lint && $(GO) build -o $(CURDIR)/bin/goimports golang.org/x/tools/cmd/goimports
	@out=$$(bin/goimports -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "goimports would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	@# The shipped plugin links no test code and no sandbox rig (issue 11): `go list -deps` must not name them.
	@bad=$$($(GO) list -deps ./cmd/kubectl-agentcore | grep -E '^(testing|net/http/httptest)$$|/internal/(fakeagentcore|gatewaystandin|testcluster|cognitolocal|oidcserver|sandbox)(/|$$)'); \
	if [ -n "$$bad" ]; then echo "cmd/kubectl-agentcore links test or sandbox packages:"; echo "$$bad"; exit 1; fi
	@# The plugin ships for darwin and windows too (make release): catch Linux-only code early.
	GOOS=darwin GOARCH=arm64 CGO_ENABLED=0 $(GO) build -o /dev/null ./cmd/kubectl-agentcore
	GOOS=windows GOARCH=amd64 CGO_ENABLED=0 $(GO) build -o /dev/null ./cmd/kubectl-agentcore

# Reproducible: the build date is the commit's time, so two runs on one commit give identical archives.
release:
	GO='$(GO)' $(GO) run ./krew/cmd/release -version '$(VERSION)'

# The image `rotate --print-manifests` runs, assembled without a Docker daemon by tools/image (go-containerregistry,
# its own module so the plugin does not link it): scratch + the plugin + the CA bundle of Debian's ca-certificates
# package + a non-root user. Every timestamp is the commit's time, so two runs give the same index digest (printed).
IMAGE_DIR ?= dist/image
CA_CERTS  ?= /etc/ssl/certs/ca-certificates.crt

image:
	cd tools/image && $(GO) run . build -root '$(CURDIR)' -out '$(abspath $(IMAGE_DIR))' -ca-certs '$(CA_CERTS)' \
		-version '$(VERSION)' -commit '$(COMMIT)' -date '$(DATE)' -ldflags '$(LDFLAGS)'

# The whole path on loopback (local cluster + kwok, the real Agent Gateway controller, cognito-local, local AgentCore,
# DEMO stand-in for the gateway proxy) started by
# bin/agentcore-sandbox, then the plugin's home screen in it. A second `make demo` reuses the running sandbox;
# `make demo-down` stops it. Another shell joins it with: eval "$$(bin/agentcore-sandbox env)".
demo: build sandbox testbin cognito-local oidc-provider
	@env="$$(bin/agentcore-sandbox up)" && printf '%s\n' "$$env" && eval "$$env" && bin/kubectl-agentcore

demo-down: sandbox
	@bin/agentcore-sandbox down

# Benchmarks with targets (each script prints its numbers and fails when a target is missed).
bench: build sandbox testbin cognito-local oidc-provider
	bench/fleet.sh
	bench/startup.sh
	bench/doctor.sh
	bench/logs.sh
	bench/sandbox.sh

clean:
	rm -rf bin dist
