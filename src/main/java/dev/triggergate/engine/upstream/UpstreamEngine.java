package dev.triggergate.engine.upstream;

import dev.triggergate.api.ApiError;
import dev.triggergate.api.ErrorCode;
import dev.triggergate.config.GatewayConfig.Upstream;
import dev.triggergate.config.TrustStore;
import dev.triggergate.engine.LaunchResult;
import dev.triggergate.engine.StartBatch;
import dev.triggergate.engine.TriggerEngine;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.net.TrustOptions;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The edge-proxy engine (SPEC §7 "upstream"): forwards the exact bytes it validated to an Altcraft
 * server and hands back the answer for relaying. Hosts are used in turn, skipping those whose
 * breaker is open. A POST is never sent twice: the one retry, on another host, happens only when no
 * connection could be had, so the request was never written.
 */
public final class UpstreamEngine implements TriggerEngine {
  private static final Logger LOG = LoggerFactory.getLogger(UpstreamEngine.class);

  private final Upstream config;
  private final UpstreamClient client;
  private final List<UpstreamHost> hosts;
  private final AtomicInteger turn = new AtomicInteger();
  private final Counter unavailable;

  private UpstreamEngine(Vertx vertx, Upstream config, TrustOptions trust, MeterRegistry registry) {
    this.config = config;
    this.client =
        config.http2()
            ? new Http2Client(vertx, config, trust)
            : new Http1Client(vertx, config, trust);
    this.hosts =
        config.urls().stream()
            .map(url -> new UpstreamHost(url, config.breaker(), registry))
            .toList();
    this.unavailable =
        Counter.builder("gateway_upstream_unavailable")
            .description("Batches answered 503 because no upstream host was usable")
            .register(registry);
  }

  /** Builds the engine; reads the trust store, so call it off the event loop. */
  public static UpstreamEngine create(Vertx vertx, Upstream config, MeterRegistry registry) {
    UpstreamEngine engine =
        new UpstreamEngine(
            vertx,
            config,
            TrustStore.read(
                config.trustStore(), config.trustStorePassword(), "engine.upstream.trust_store"),
            registry);
    LOG.info(
        "upstream engine: {} host(s) {}, pool {} per host and event loop, {}",
        engine.hosts.size(),
        engine.hosts.stream().map(UpstreamHost::name).toList(),
        config.poolSize(),
        config.http2() ? "HTTP/2" : "HTTP/1.1");
    return engine;
  }

  @Override
  public Future<LaunchResult> launch(StartBatch batch) {
    UpstreamHost host = pick(null);
    if (host == null) {
      return Future.failedFuture(noHostUsable());
    }
    return attempt(host, batch, true);
  }

  /** Usable while at least one host's breaker lets requests through. */
  @Override
  public boolean isReady() {
    for (UpstreamHost host : hosts) {
      if (host.isUsable()) {
        return true;
      }
    }
    return false;
  }

  private Future<LaunchResult> attempt(UpstreamHost host, StartBatch batch, boolean mayRetry) {
    return client
        .send(host, batch)
        .answer()
        .transform(
            sent -> {
              if (sent.succeeded()) {
                return Future.succeededFuture(sent.result());
              }
              Outcome outcome = ((Outcome.UpstreamFailure) sent.cause()).outcome();
              // Nothing was written: the one case where another host may take the request.
              UpstreamHost other = mayRetry && outcome.isUnsent() ? pick(host) : null;
              return other != null
                  ? attempt(other, batch, false)
                  : Future.failedFuture(failureFor(outcome));
            });
  }

  /** The next host in turn whose breaker grants a request, other than {@code not}; else null. */
  private UpstreamHost pick(UpstreamHost not) {
    int count = hosts.size();
    int first = Math.floorMod(turn.getAndIncrement(), count);
    for (int i = 0; i < count; i++) {
      UpstreamHost host = hosts.get((first + i) % count);
      if (host != not && host.tryAcquire()) {
        return host;
      }
    }
    return null;
  }

  private ApiError noHostUsable() {
    unavailable.increment();
    long restMs = Long.MAX_VALUE;
    for (UpstreamHost host : hosts) {
      restMs = Math.min(restMs, host.restingMillis());
    }
    long seconds = Math.max(1, (restMs + 999) / 1000);
    return ApiError.of(
            ErrorCode.SERVICE_UNAVAILABLE,
            "no upstream host is taking requests after repeated failures; retry in "
                + seconds
                + " s")
        .withHeaders(Map.of("Retry-After", Long.toString(seconds)));
  }

  /** What the client is told: the kind of failure, never the exception's own text. */
  private ApiError failureFor(Outcome outcome) {
    return switch (outcome) {
      case CONNECT_REFUSED, CONNECT_TIMEOUT, CONNECT_FAILED ->
          ApiError.of(ErrorCode.BAD_GATEWAY, "the upstream could not be reached");
      case POOL_WAIT ->
          ApiError.of(
                  ErrorCode.SERVICE_UNAVAILABLE,
                  "every connection to the upstream stayed busy for "
                      + config.poolWaitTimeoutMs()
                      + " ms")
              .withHeaders(Map.of("Retry-After", "1"));
      case HEAD_TIMEOUT ->
          ApiError.of(
              ErrorCode.GATEWAY_TIMEOUT,
              "the upstream did not answer within " + config.responseTimeoutMs() + " ms");
      case IDLE_TIMEOUT ->
          ApiError.of(
              ErrorCode.GATEWAY_TIMEOUT,
              "the upstream went silent for " + config.readIdleTimeoutMs() + " ms in its answer");
      case EXCHANGE_TIMEOUT ->
          ApiError.of(
              ErrorCode.GATEWAY_TIMEOUT,
              "the upstream's answer was not complete within "
                  + config.exchangeTimeoutMs()
                  + " ms");
      case RESET_BEFORE_HEAD, RESET_AFTER_HEAD ->
          ApiError.of(
              ErrorCode.BAD_GATEWAY,
              "the upstream closed the connection before its answer was complete");
      case UNRELAYABLE ->
          ApiError.of(
              ErrorCode.BAD_GATEWAY,
              "the upstream answered in a form the gateway cannot relay faithfully");
      case GATEWAY_ERROR ->
          ApiError.of(ErrorCode.INTERNAL_ERROR, "the gateway failed while forwarding it");
      default ->
          ApiError.of(
              ErrorCode.BAD_GATEWAY, "the upstream answered with something that is not HTTP");
    };
  }
}
