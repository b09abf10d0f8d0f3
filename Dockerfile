# syntax=docker/dockerfile:1
# aml-baseline as a container image: a static (musl) binary on an empty base.
#   docker build -t aml-baseline .
#   docker run --rm -v "$PWD:/work" aml-baseline scan .
# Alpine's Rust targets musl and links statically by default; the image holds
# the binary and the CA certificates `collect` needs, nothing else.
FROM rust:1-alpine AS build
RUN apk add --no-cache musl-dev build-base cmake perl ca-certificates
WORKDIR /src
COPY . .
RUN CARGO_INCREMENTAL=0 cargo build --release --locked \
 && strip target/release/aml-baseline \
 && ! ldd target/release/aml-baseline 2>/dev/null | grep -q '=>'

FROM scratch
COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY --from=build /src/target/release/aml-baseline /usr/local/bin/aml-baseline
ENV AML_BASELINE_PROGRESS=0
WORKDIR /work
ENTRYPOINT ["/usr/local/bin/aml-baseline"]
CMD ["scan", "."]
