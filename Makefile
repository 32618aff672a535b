# The fixed entry points (docs, CI and other tools rely on these names).
.PHONY: dev up down test build bench soak

## make dev   — install what is missing, build, run the whole stack in the foreground (Ctrl-C stops it)
dev:
	bash local/stack/stack.sh dev

## make up    — the same stack in the background; returns when every part answers; writes .local/stack.env
up:
	bash local/stack/stack.sh up

## make down  — stop the background stack (data is kept in .local/)
down:
	bash local/stack/stack.sh down

## make test  — install what is missing and run every test against a fresh stack of its own
test:
	bash tests/run.sh

## make build — build the functions to WebAssembly (functions/<name>/pkg/) for deployment
build:
	bash local/stack/tools.sh
	bash local/stack/build.sh

## make bench — build release WASM, start a stack of its own, run every scenario, print the table
bench:
	bash tools/bench/run.sh

## make soak  — the same stack of its own; a mixed workload at a fixed rate for 10 minutes, a line a minute
soak:
	bash tools/bench/run.sh soak
