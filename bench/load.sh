#!/usr/bin/env bash
# Load test of the whole service: wrk posts a 10-item start_batch (bench/start_batch.json) to each
# target in alternating rounds, each round on freshly started processes, then prints req/s, p50
# and p99 per run, their medians, and the ratios between targets.
#
# Targets: bare      a bare Vert.x server answering a fixed envelope (the baseline, and the stub
#                    the proxies forward to)
#          gateway   the fat jar on the memory engine
#          limited   the same with two local rate policies the load never exhausts
#          localpolicy  the gateway with one token policy the load never exhausts, backend local
#          redispolicy  the same policy with backend redis (on_store_failure: deny, so a failed
#                    check is a non-2xx answer), on a redis-server from PATH started for the round:
#                    its CPU counts as the backend's, and the Redis commands per request are shown
#          defaults  the fat jar as `java -jar` starts it (access log on, de-duplication on) plus
#                    one local rate policy the load never exhausts
#          unlogged  the same with the access log off: what the access log costs
#          prior     the defaults target with the jar named by BASELINE_JAR
#          nginx     nginx proxy_pass (bench/nginx.conf) with keep-alive to a bare server
#          upstream  the fat jar on the upstream engine, forwarding to a bare server
#          baseline  the same with another build's jar, named by BASELINE_JAR (e.g. one built from
#                    an earlier commit): old and new side by side in one run
#          forwarder a plain Vert.x forwarder (no checks) to a bare server: the floor for upstream
#          socket    the same, writing to pooled NetSockets by hand: the floor for any Vert.x proxy
#          delayed   the fat jar on the memory engine with a fixed injected latency of DELAY_MS
#          wiremock  WireMock standalone (asynchronous responses, no journal, no request log) with
#                    one stub answering the gateway's own envelope for this batch after DELAY_MS
#
# Every run fails on answers that are not 2xx and on wrk's socket errors (connect, read, write,
# timeout), so a server that refuses or drops connections cannot look fast; wrk waits TIMEOUT for
# an answer before it counts a timeout. The file descriptor limit is raised for CONNECTIONS
# sockets on both sides (wrk and the servers inherit it).
#
# With RATE set, each target of RATE_TARGETS then also runs at that fixed offered rate (wrk with
# bench/fixed_rate.lua sending on a schedule): latency without saturation. RATE=auto takes half of
# nginx's median saturated throughput from the rounds before.
#
# Usage: bench/load.sh
# Environment: DURATION (20s), WARMUP (5s, 0 to skip), CONNECTIONS (64), THREADS (2), ROUNDS (2),
#              TIMEOUT (10s, wrk's --timeout), SKIP_BUILD (0; 1 reuses target/ from a previous
#              run), TARGETS ("gateway bare"), BASELINE_JAR (for the baseline target),
#              DELAY_MS (200, for delayed and wiremock; 0 = none),
#              WIREMOCK_CONTAINER_THREADS (50), WIREMOCK_ASYNC_THREADS (20),
#              WIREMOCK_ACCEPT_QUEUE (net.core.somaxconn, the gateway's backlog; Jetty's own: 50),
#              RATE (unset; a number of requests/s, or auto), RATE_TARGETS ("nginx upstream"),
#              JAVA_OPTS (more JVM flags for the Java servers, e.g. a GC log per process:
#              JAVA_OPTS='-Xlog:gc:file=/tmp/gc-%p.log').
set -euo pipefail

cd "$(dirname "$0")/.."

DURATION=${DURATION:-20s}
WARMUP=${WARMUP:-5s}
CONNECTIONS=${CONNECTIONS:-64}
# bench/fixed_rate.lua reads THREADS from the environment.
export THREADS=${THREADS:-2}
ROUNDS=${ROUNDS:-2}
TIMEOUT=${TIMEOUT:-10s}
DELAY_MS=${DELAY_MS:-200}
WIREMOCK_VERSION=3.13.2
WIREMOCK_JAR=target/wiremock-standalone-$WIREMOCK_VERSION.jar
# Twice WireMock's defaults (25 and 10): more than two cores keep busy, so WireMock never waits
# for a thread; 25/10, 50/20 and 100/20 measured alike at 2,000 connections.
WIREMOCK_CONTAINER_THREADS=${WIREMOCK_CONTAINER_THREADS:-50}
WIREMOCK_ASYNC_THREADS=${WIREMOCK_ASYNC_THREADS:-20}
WIREMOCK_ACCEPT_QUEUE=${WIREMOCK_ACCEPT_QUEUE:-$(cat /proc/sys/net/core/somaxconn)}
read -r -a TARGETS <<<"${TARGETS:-gateway bare}"
RATE=${RATE:-}
read -r -a RATE_TARGETS <<<"${RATE_TARGETS:-nginx upstream}"
POLICIES='[{name: per-token, key: token, limit: 100000000, period_ms: 1000},
  {name: profiles-per-trigger, key: trigger, unit: profiles, limit: 1000000000, period_ms: 1000}]'
SKIP_BUILD=${SKIP_BUILD:-0}
ENDPOINT=/api/v1.1/campaigns/triggers/start_batch
read -r -a JAVA_OPTS <<<"${JAVA_OPTS:-}"
HEAP=(-Xms1g -Xmx1g -XX:+AlwaysPreTouch "${JAVA_OPTS[@]}")

tools=(wrk curl python3 java mvn)
if [[ " ${TARGETS[*]} ${RATE:+${RATE_TARGETS[*]}} " == *" nginx "* ]]; then
  tools+=(nginx)
fi
if [[ " ${TARGETS[*]} ${RATE:+${RATE_TARGETS[*]}} " == *" redispolicy "* ]]; then
  tools+=(redis-server redis-cli)
fi
if [[ " ${TARGETS[*]} " =~ \ (baseline|prior)\  && ! -f ${BASELINE_JAR:-} ]]; then
  echo "load.sh: the baseline and prior targets need BASELINE_JAR, the path of another build's jar" >&2
  exit 1
fi
if ! [[ $DELAY_MS =~ ^[0-9]+$ ]]; then
  echo "load.sh: DELAY_MS must be a whole number of milliseconds, got '$DELAY_MS'" >&2
  exit 1
fi
# The gateway closes connections beyond server.max_connections (10000 by default).
if ((CONNECTIONS > 10000)); then
  echo "load.sh: CONNECTIONS over the gateway's server.max_connections (10000)" >&2
  exit 1
fi
# wrk holds CONNECTIONS sockets and so does the server under test (a proxy twice that, with its
# backend's); both inherit this shell's limit, so raise it where it is too low.
need_fds=$((2 * CONNECTIONS + 1024))
if [[ $(ulimit -n) != unlimited ]] && (($(ulimit -n) < need_fds)); then
  if ! ulimit -n "$need_fds" 2>/dev/null; then
    echo "load.sh: $CONNECTIONS connections need 'ulimit -n' $need_fds; the hard limit is" \
      "$(ulimit -Hn)" >&2
    exit 1
  fi
fi
for tool in "${tools[@]}"; do
  if ! command -v "$tool" >/dev/null; then
    echo "load.sh: $tool not found on PATH" >&2
    echo "install it with: apt-get update && apt-get install -y ${tool/nginx/nginx-light}" >&2
    exit 1
  fi
done

work=$(mktemp -d)
server_pid=
backend_pid=
redis_port=
url=

stop_server() {
  local pid
  for pid in "$server_pid" "$backend_pid"; do
    if [[ -n $pid ]]; then
      kill "$pid" 2>/dev/null || true
      wait "$pid" 2>/dev/null || true
    fi
  done
  server_pid=
  backend_pid=
  redis_port=
}

cleanup() {
  stop_server
  rm -rf "$work"
}
trap cleanup EXIT

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# Waits until the URL answers 200, or fails with the server's log if it died or took too long.
wait_ready() {
  local url=$1 log=$2
  for _ in $(seq 1 120); do
    if curl -fsS -o /dev/null --max-time 1 "$url" 2>/dev/null; then
      return 0
    fi
    if ! kill -0 "$server_pid" 2>/dev/null; then
      echo "load.sh: the server exited before it was ready; its log:" >&2
      tail -n 30 "$log" >&2
      exit 1
    fi
    sleep 0.25
  done
  echo "load.sh: $url not ready after 30 s; the server's log:" >&2
  tail -n 30 "$log" >&2
  exit 1
}

start_gateway() {
  local port=$1 log=$2
  TG_SERVER__HOST=127.0.0.1 TG_SERVER__PORT=$port TG_ACCESS_LOG__ENABLED=false \
    java "${HEAP[@]}" -jar target/trigger-gateway.jar >"$log" 2>&1 &
  server_pid=$!
  wait_ready "http://127.0.0.1:$port/health" "$log"
}

start_limited() {
  local port=$1 log=$2
  TG_SERVER__HOST=127.0.0.1 TG_SERVER__PORT=$port TG_ACCESS_LOG__ENABLED=false \
    TG_RATE_LIMITS__POLICIES=$POLICIES \
    java "${HEAP[@]}" -jar target/trigger-gateway.jar >"$log" 2>&1 &
  server_pid=$!
  wait_ready "http://127.0.0.1:$port/health" "$log"
}

ONE_POLICY='[{name: per-token, key: token, limit: 100000000, period_ms: 1000%s}]'

start_localpolicy() {
  local port=$1 log=$2
  # shellcheck disable=SC2059
  TG_SERVER__HOST=127.0.0.1 TG_SERVER__PORT=$port TG_ACCESS_LOG__ENABLED=false \
    TG_RATE_LIMITS__POLICIES=$(printf "$ONE_POLICY" "") \
    java "${HEAP[@]}" -jar target/trigger-gateway.jar >"$log" 2>&1 &
  server_pid=$!
  wait_ready "http://127.0.0.1:$port/health" "$log"
}

start_redispolicy() {
  local port=$1 log=$2 _
  redis_port=$(free_port)
  redis-server --port "$redis_port" --bind 127.0.0.1 --save '' --appendonly no >"$log.redis" 2>&1 &
  backend_pid=$!
  for _ in $(seq 1 120); do
    if redis-cli -p "$redis_port" ping >/dev/null 2>&1; then
      break
    fi
    sleep 0.25
  done
  # shellcheck disable=SC2059
  TG_SERVER__HOST=127.0.0.1 TG_SERVER__PORT=$port TG_ACCESS_LOG__ENABLED=false \
    TG_REDIS__ENDPOINTS="redis://127.0.0.1:$redis_port" \
    TG_RATE_LIMITS__POLICIES=$(printf "$ONE_POLICY" ", backend: redis, on_store_failure: deny") \
    java "${HEAP[@]}" -jar target/trigger-gateway.jar >"$log" 2>&1 &
  server_pid=$!
  wait_ready "http://127.0.0.1:$port/health" "$log"
}

# "round trips, commands" to the round's Redis so far: the commands the gateway sent (its own
# count) and those Redis ran, the ones inside scripts included; empty when the target has none.
redis_counts() {
  if [[ -n $redis_port ]]; then
    echo "$(curl -s "${url%"$ENDPOINT"}/metrics" |
      awk '/^gateway_redis_commands_seconds_count/ {n += $2} END {print n + 0}')" \
      "$(redis-cli -p "$redis_port" info stats |
        awk -F: '/^total_commands_processed:/ {print $2 + 0}')"
  fi
}

# A jar on its defaults plus one rate policy; the access log goes to the server's log file.
start_defaults_jar() {
  local jar=$1 access_log=$2 port=$3 log=$4
  echo "server: {}" >"$work/defaults.yaml"
  TG_SERVER__HOST=127.0.0.1 TG_SERVER__PORT=$port TG_ACCESS_LOG__ENABLED=$access_log \
    TG_RATE_LIMITS__POLICIES="[{name: per-token, key: token, limit: 100000000, period_ms: 1000}]" \
    java "${HEAP[@]}" -jar "$jar" --conf "$work/defaults.yaml" >"$log" 2>&1 &
  server_pid=$!
  wait_ready "http://127.0.0.1:$port/health" "$log"
}

start_defaults() {
  start_defaults_jar target/trigger-gateway.jar true "$@"
}

start_unlogged() {
  start_defaults_jar target/trigger-gateway.jar false "$@"
}

start_prior() {
  start_defaults_jar "$BASELINE_JAR" true "$@"
}

# The memory engine answering each batch DELAY_MS after it launched it (on a timer).
start_delayed() {
  local port=$1 log=$2
  TG_SERVER__HOST=127.0.0.1 TG_SERVER__PORT=$port TG_ACCESS_LOG__ENABLED=false \
    TG_ENGINE__MEMORY__LATENCY__DISTRIBUTION=fixed TG_ENGINE__MEMORY__LATENCY__FIXED_MS=$DELAY_MS \
    java "${HEAP[@]}" -jar target/trigger-gateway.jar >"$log" 2>&1 &
  server_pid=$!
  wait_ready "http://127.0.0.1:$port/health" "$log"
}

# The answer the gateway gives the bench batch (body and Content-Type), for WireMock to give too:
# the memory engine derives the profile ids from the emails, so it is the same in every run.
capture_envelope() {
  local port log="$work/envelope.log" type
  port=$(free_port)
  start_gateway "$port" "$log"
  type=$(curl -fsS -o "$work/envelope.json" -w '%{content_type}' -H 'Content-Type: application/json' \
    --data-binary @bench/start_batch.json "http://127.0.0.1:$port$ENDPOINT")
  stop_server
  if ! grep -q '^{"error":0,' "$work/envelope.json"; then
    echo "load.sh: the gateway did not launch the bench batch:" "$(cat "$work/envelope.json")" >&2
    exit 1
  fi
  # One stub: POST to the endpoint, whatever the body, gets that answer after DELAY_MS.
  mkdir -p "$work/wiremock/mappings"
  ENVELOPE="$work/envelope.json" CONTENT_TYPE=$type ENDPOINT=$ENDPOINT DELAY_MS=$DELAY_MS \
    python3 -c 'import json, os
response = {"status": 200, "headers": {"Content-Type": os.environ["CONTENT_TYPE"]},
            "body": open(os.environ["ENVELOPE"], encoding="utf-8").read()}
if int(os.environ["DELAY_MS"]) > 0:
    response["fixedDelayMilliseconds"] = int(os.environ["DELAY_MS"])
print(json.dumps({"request": {"method": "POST", "urlPath": os.environ["ENDPOINT"]},
                  "response": response}, indent=2))' >"$work/wiremock/mappings/start_batch.json"
}

# WireMock with the stub of capture_envelope. Delays are waited out on its asynchronous response
# threads, so a container thread is not held for the whole delay. Jetty's accept queue is 50
# unless set, too short for thousands of connections opened at once: by default it gets the
# kernel's maximum, the backlog Netty gives the gateway.
start_wiremock() {
  local port=$1 log=$2
  java "${HEAP[@]}" -jar "$WIREMOCK_JAR" --port "$port" --bind-address 127.0.0.1 \
    --root-dir "$work/wiremock" --async-response-enabled true \
    --async-response-threads "$WIREMOCK_ASYNC_THREADS" \
    --container-threads "$WIREMOCK_CONTAINER_THREADS" \
    --jetty-accept-queue-size "$WIREMOCK_ACCEPT_QUEUE" \
    --no-request-journal --disable-request-logging --disable-banner >"$log" 2>&1 &
  server_pid=$!
  wait_ready "http://127.0.0.1:$port/__admin/health" "$log"
  if ! curl -fsS -H 'Content-Type: application/json' --data-binary @bench/start_batch.json \
    "http://127.0.0.1:$port$ENDPOINT" | cmp -s - "$work/envelope.json"; then
    echo "load.sh: WireMock's answer to the bench batch is not the gateway's" >&2
    exit 1
  fi
}

start_bare() {
  local port=$1 log=$2
  java "${HEAP[@]}" -cp "target/classes:target/test-classes:$(cat target/bench.cp)" \
    dev.triggergate.bench.BareServer "$port" >"$log" 2>&1 &
  server_pid=$!
  wait_ready "http://127.0.0.1:$port/" "$log"
}

# A bare server for a proxy to forward to; sets backend_port.
start_backend() {
  local log=$1
  backend_port=$(free_port)
  start_bare "$backend_port" "$log.backend"
  backend_pid=$server_pid
  server_pid=
}

start_nginx() {
  local port=$1 log=$2
  start_backend "$log"
  sed -e "s|__WORK__|$work|g" -e "s|__PORT__|$port|g" -e "s|__BACKEND_PORT__|$backend_port|g" \
    bench/nginx.conf >"$work/nginx.conf"
  nginx -p "$work" -c "$work/nginx.conf" >"$log" 2>&1 &
  server_pid=$!
  wait_ready "http://127.0.0.1:$port/" "$log"
}

# A bench forwarder class in front of a fresh bare server.
start_bench_forwarder() {
  local class=$1 port=$2 log=$3
  start_backend "$log"
  java "${HEAP[@]}" -cp "target/classes:target/test-classes:$(cat target/bench.cp)" \
    "dev.triggergate.bench.$class" "$port" "$backend_port" >"$log" 2>&1 &
  server_pid=$!
  wait_ready "http://127.0.0.1:$port/" "$log"
}

start_forwarder() {
  start_bench_forwarder PlainForwarder "$@"
}

start_socket() {
  start_bench_forwarder SocketForwarder "$@"
}

# The upstream engine of a jar in front of a fresh bare server, on that jar's own defaults (this
# tree's conf/gateway.yaml may name keys another build does not know).
start_upstream_jar() {
  local jar=$1 port=$2 log=$3
  start_backend "$log"
  echo "server: {}" >"$work/defaults.yaml"
  TG_SERVER__HOST=127.0.0.1 TG_SERVER__PORT=$port TG_ACCESS_LOG__ENABLED=false \
    TG_ENGINE__TYPE=upstream TG_ENGINE__UPSTREAM__URLS="http://127.0.0.1:$backend_port" \
    java "${HEAP[@]}" -jar "$jar" --conf "$work/defaults.yaml" >"$log" 2>&1 &
  server_pid=$!
  wait_ready "http://127.0.0.1:$port/ready" "$log"
}

start_upstream() {
  start_upstream_jar target/trigger-gateway.jar "$@"
}

start_baseline() {
  start_upstream_jar "$BASELINE_JAR" "$@"
}

# Converts a wrk latency ("812.00us", "1.23ms", "1.02s") to milliseconds.
to_ms() {
  awk -v v="$1" 'BEGIN {
    n = v + 0
    if (v ~ /us$/) n /= 1000; else if (v ~ /ms$/) n += 0; else if (v ~ /m$/) n *= 60000;
    else if (v ~ /s$/) n *= 1000
    printf "%.3f", n }'
}

# Starts a target on a free port and warms it up; sets url.
start_warm() {
  local target=$1 log=$2 port
  port=$(free_port)
  "start_$target" "$port" "$log"
  url="http://127.0.0.1:$port$ENDPOINT"
  if [[ $WARMUP != 0 ]]; then
    wrk -t"$THREADS" -c"$CONNECTIONS" -d"$WARMUP" --timeout "$TIMEOUT" -s bench/start_batch.lua \
      "$url" >/dev/null
  fi
}

# The sum of wrk's socket errors (connect, read, write, timeout) in its output; 0 when it printed
# none.
socket_errors() {
  awk '/Socket errors:/ {gsub(",", ""); n = $4 + $6 + $8 + $10} END {print n + 0}' "$1"
}

# Runs one server through one round and appends "target round req/s p50 p99 non2xx cpu_us
# backend_us socket_errors wrk_us server% wrk% busy%" to results (the shares are of all cores).
run() {
  local target=$1 round=$2 out cpu_before backend_before machine_before
  out="$work/$target-$round.wrk"
  start_warm "$target" "$work/$target-$round.log"
  cpu_before=$(cpu_ticks "$server_pid")
  backend_before=$(cpu_ticks "$backend_pid")
  machine_before=$(machine_ticks)
  local redis_before
  redis_before=$(redis_counts)
  # In a subshell of its own, whose children's CPU time is then wrk's alone.
  (
    wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --timeout "$TIMEOUT" --latency \
      -s bench/start_batch.lua "$url" >"$out"
    awk '{print $16 + $17}' "/proc/$BASHPID/stat" >"$out.ticks"
  )
  local cpu backend_cpu wrk_cpu busy total
  cpu=$(($(cpu_ticks "$server_pid") - cpu_before))
  backend_cpu=$(($(cpu_ticks "$backend_pid") - backend_before))
  read -r busy total < <(machine_ticks "$machine_before")
  wrk_cpu=$(cat "$out.ticks")
  if [[ -n $redis_before ]]; then
    local requests_made
    requests_made=$(awk '/requests in/ {print $1}' "$out")
    awk -v a="$redis_before" -v b="$(redis_counts)" -v n="$requests_made" \
      'BEGIN { split(a, x, " "); split(b, y, " ")
        printf "Redis per request: %.3f round trips, %.3f commands (scripts'"'"' own included)\n",
          (n > 0 ? (y[1] - x[1]) / n : 0), (n > 0 ? (y[2] - x[2]) / n : 0) }' >>"$out"
  fi
  stop_server
  sed "s/^/  [$target $round] /" "$out"
  local rps p50 p99 errors requests
  rps=$(awk '/^Requests\/sec:/ {print $2}' "$out")
  p50=$(to_ms "$(awk '$1 == "50%" {print $2}' "$out")")
  p99=$(to_ms "$(awk '$1 == "99%" {print $2}' "$out")")
  errors=$(awk '/Non-2xx or 3xx responses:/ {print $NF}' "$out")
  requests=$(awk '/requests in/ {print $1}' "$out")
  echo "$target $round $rps $p50 $p99 ${errors:-0} $(per_request "$cpu" "$requests")" \
    "$(per_request "$backend_cpu" "$requests") $(socket_errors "$out")" \
    "$(per_request "$wrk_cpu" "$requests") $(share "$((cpu + backend_cpu))" "$total")" \
    "$(share "$wrk_cpu" "$total") $(share "$busy" "$total")" >>"$work/results"
}

# The machine's busy and total CPU time (clock ticks, all cores) from /proc/stat; given an earlier
# "busy total", the difference since.
machine_ticks() {
  awk -v before="${1:-0 0}" '$1 == "cpu" {
    split(before, b, " ")
    idle = $5 + $6
    total = 0
    for (i = 2; i <= 9; i++) total += $i
    print total - idle - b[1], total - b[2] }' /proc/stat
}

# A share of the machine's CPU time, in percent of all its cores.
share() {
  awk -v t="$1" -v all="$2" 'BEGIN { printf "%.0f", (all > 0 ? 100 * t / all : 0) }'
}

# CPU time (user + system, in clock ticks) used so far by a process and its children's threads.
cpu_ticks() {
  local pid=$1 total=0 each
  if [[ -z $pid ]]; then
    echo 0
    return
  fi
  for each in $pid $(pgrep -P "$pid"); do
    total=$((total + $(awk '{print $14 + $15}' "/proc/$each/stat" 2>/dev/null || echo 0)))
  done
  echo "$total"
}

# Clock ticks spent over a number of requests, as microseconds per request.
per_request() {
  awk -v t="$1" -v n="$2" -v hz="$(getconf CLK_TCK)" \
    'BEGIN { printf "%.1f", (n > 0 ? t * 1e6 / hz / n : 0) }'
}

# Like run, at a fixed offered rate (bench/fixed_rate.lua); appends to rate-results.
run_at_rate() {
  local target=$1 round=$2 rate=$3 out
  out="$work/$target-rate-$round.wrk"
  start_warm "$target" "$work/$target-rate-$round.log"
  RATE=$rate wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --timeout "$TIMEOUT" --latency \
    -s bench/fixed_rate.lua "$url" >"$out"
  stop_server
  local rps p50 p99 errors sockets
  rps=$(awk '/^Requests\/sec:/ {print $2}' "$out")
  p50=$(to_ms "$(awk '$1 == "50%" {print $2}' "$out")")
  p99=$(to_ms "$(awk '$1 == "99%" {print $2}' "$out")")
  errors=$(awk '/Non-2xx or 3xx responses:/ {print $NF}' "$out")
  sockets=$(socket_errors "$out")
  echo "  [$target rate $round] $rps req/s, p50 $p50 ms, p99 $p99 ms, ${errors:-0} not 2xx," \
    "$sockets socket errors"
  echo "$target $round $rps $p50 $p99 ${errors:-0} $sockets" >>"$work/rate-results"
}

median() {
  sort -g | awk '{v[NR] = $1} END {
    if (NR % 2) printf "%.3f", v[(NR + 1) / 2]; else printf "%.3f", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

wiremock=0
if [[ " ${TARGETS[*]} ${RATE:+${RATE_TARGETS[*]}} " == *" wiremock "* ]]; then
  wiremock=1
fi
if [[ $SKIP_BUILD != 1 ]]; then
  echo "building..."
  mvn -q -B package -DskipTests
  mvn -q -B -Pbench test-compile \
    org.apache.maven.plugins:maven-dependency-plugin:3.8.1:build-classpath \
    -Dmdep.includeScope=test -Dmdep.outputFile=target/bench.cp
  if ((wiremock)); then
    mvn -q -B org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy \
      -Dartifact="org.wiremock:wiremock-standalone:$WIREMOCK_VERSION" -DoutputDirectory=target
  fi
fi
if ((wiremock)); then
  if [[ ! -f $WIREMOCK_JAR ]]; then
    echo "load.sh: $WIREMOCK_JAR missing: run without SKIP_BUILD=1 once" >&2
    exit 1
  fi
  capture_envelope
fi

echo "wrk -t$THREADS -c$CONNECTIONS -d$DURATION --timeout $TIMEOUT (warm-up $WARMUP)," \
  "$ROUNDS round(s), $(nproc) cores, delay $DELAY_MS ms (delayed, wiremock), ulimit -n $(ulimit -n)"
: >"$work/results"
for round in $(seq 1 "$ROUNDS"); do
  for target in "${TARGETS[@]}"; do
    run "$target" "$round"
  done
done

echo
# cpu_us: CPU time of the target's processes per request (for a proxy, without its backend);
# backend_us: the same for the backend a proxy forwards to; sockerr: wrk's socket errors (connect,
# read, write, timeout); wrk_us: wrk's own CPU time per request; srv%, wrk%, busy%: the target's
# processes (backend included), wrk, and everything on the machine, in percent of all cores.
row='%-8s %5s %12s %10s %10s %7s %7s %10s %7s %7s %5s %5s %5s\n'
# shellcheck disable=SC2059 # the one format of every row
printf "$row" target round req/s p50_ms p99_ms non2xx cpu_us backend_us sockerr wrk_us srv% wrk% \
  busy%
# shellcheck disable=SC2059
while read -r target round rps p50 p99 errors cpu backend sockets wrk_cpu srv_pct wrk_pct \
  busy_pct; do
  printf "$row" "$target" "$round" "$rps" "$p50" "$p99" "$errors" "$cpu" "$backend" "$sockets" \
    "$wrk_cpu" "$srv_pct" "$wrk_pct" "$busy_pct"
done <"$work/results"

declare -A med
for target in "${TARGETS[@]}"; do
  for col in 3 4 5 7 10; do
    med[$target.$col]=$(awk -v t="$target" -v c="$col" '$1 == t {print $c}' "$work/results" | median)
  done
  # shellcheck disable=SC2059
  printf "$row" "$target" median "${med[$target.3]}" "${med[$target.4]}" "${med[$target.5]}" "" \
    "${med[$target.7]}" "" "" "${med[$target.10]}" "" "" ""
done
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b == 0 ? 0 : a / b) }'; }
# Each target against the bare server, the rate-limited gateway against the plain one, the
# upstream engine against nginx and the plain forwarder, and the delayed memory engine against
# WireMock with the same delay (and against itself without one).
for pair in gateway/bare limited/bare limited/gateway redispolicy/localpolicy localpolicy/gateway \
  defaults/bare defaults/unlogged unlogged/bare \
  defaults/prior nginx/bare upstream/bare upstream/nginx upstream/forwarder forwarder/nginx \
  upstream/baseline baseline/nginx socket/nginx delayed/wiremock gateway/wiremock delayed/gateway; do
  a=${pair%/*} b=${pair#*/}
  if [[ -n ${med[$a.3]:-} && -n ${med[$b.3]:-} ]]; then
    printf '%-16s %12s %10s %10s %8s %8s\n' "ratio $pair" "$(ratio "${med[$a.3]}" "${med[$b.3]}")" \
      "$(ratio "${med[$a.4]}" "${med[$b.4]}")" "$(ratio "${med[$a.5]}" "${med[$b.5]}")" "" \
      "$(ratio "${med[$a.7]}" "${med[$b.7]}")"
  fi
done

if [[ -n $RATE ]]; then
  if [[ $RATE == auto ]]; then
    if [[ -z ${med[nginx.3]:-} ]]; then
      echo "load.sh: RATE=auto needs nginx among TARGETS" >&2
      exit 1
    fi
    RATE=$(awk -v r="${med[nginx.3]}" 'BEGIN { printf "%d", r / 2 }')
  fi
  echo
  echo "fixed rate: wrk -c$CONNECTIONS -d$DURATION at $RATE req/s in all, $ROUNDS round(s)"
  : >"$work/rate-results"
  for round in $(seq 1 "$ROUNDS"); do
    for target in "${RATE_TARGETS[@]}"; do
      run_at_rate "$target" "$round" "$RATE"
    done
  done
  echo
  printf '%-8s %5s %12s %10s %10s\n' target round req/s p50_ms p99_ms
  declare -A rmed
  for target in "${RATE_TARGETS[@]}"; do
    for col in 3 4 5; do
      rmed[$target.$col]=$(awk -v t="$target" -v c="$col" '$1 == t {print $c}' \
        "$work/rate-results" | median)
    done
    printf '%-8s %5s %12s %10s %10s\n' "$target" median "${rmed[$target.3]}" \
      "${rmed[$target.4]}" "${rmed[$target.5]}"
  done
  if [[ -n ${rmed[upstream.5]:-} && -n ${rmed[nginx.5]:-} ]]; then
    printf '%-16s %12s %10s %10s\n' "ratio upstream/nginx" \
      "$(ratio "${rmed[upstream.3]}" "${rmed[nginx.3]}")" \
      "$(ratio "${rmed[upstream.4]}" "${rmed[nginx.4]}")" \
      "$(ratio "${rmed[upstream.5]}" "${rmed[nginx.5]}")"
  fi
fi

failed=0
if awk '$6 != 0 {bad = 1} END {exit !bad}' "$work/results" ${RATE:+"$work/rate-results"}; then
  echo "load.sh: some responses were not 2xx: the numbers above are not of successful launches" >&2
  failed=1
fi
if awk 'FILENAME ~ /rate-results$/ ? $7 != 0 : $9 != 0 {bad = 1} END {exit !bad}' \
  "$work/results" ${RATE:+"$work/rate-results"}; then
  echo "load.sh: wrk counted socket errors (connect, read, write or timeout): requests were lost," \
    "the numbers above do not count them" >&2
  failed=1
fi
if ((failed)); then
  exit 1
fi
