#!/usr/bin/env bash
# tests/otlp/mkcerts.sh DIR: a throw-away CA, a server certificate for 127.0.0.1/localhost, a
# client certificate (mTLS) and an unrelated second CA, for the exporter's TLS tests.
set -eu
d=${1:?usage: mkcerts.sh DIR}
mkdir -p "$d" && cd "$d"
q() { openssl "$@" >/dev/null 2>&1; }
for ca in ca other; do
	q req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=obi test $ca" -keyout $ca.key -out $ca.crt
done
printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' > san.ext
for who in server client; do
	q req -newkey rsa:2048 -nodes -subj "/CN=obi test $who" -keyout $who.key -out $who.csr
	q x509 -req -in $who.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 \
		$([ $who = server ] && echo -extfile san.ext) -out $who.crt
done
