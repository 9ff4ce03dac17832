package dev.triggergate.engine.upstream;

import dev.triggergate.config.GatewayConfig.Breaker;
import dev.triggergate.ops.CircuitBreakers;
import dev.triggergate.ops.IntervalReport;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.net.URI;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One Altcraft server behind the gateway: where it is, whether it takes traffic (its circuit
 * breaker), and what its exchanges cost (metrics). A host leaves the rotation when its breaker
 * opens: after {@code connect_failures} failed connects in a row (passive health check), or when
 * too many recent exchanges failed; after {@code open_ms} a few trial requests decide whether it
 * returns.
 */
final class UpstreamHost {
  private static final Logger LOG = LoggerFactory.getLogger(UpstreamHost.class);

  private final String name;
  private final String host;
  private final String authority;
  private final int port;
  private final boolean ssl;
  private final String basePath;
  private final CircuitBreaker breaker;
  private final int connectFailuresToEject;
  private final long openNanos;
  private final AtomicInteger connectFailuresInRow = new AtomicInteger();
  private volatile long openUntilNanos;
  private final Map<Outcome, Timer> exchanges = new EnumMap<>(Outcome.class);
  private final IntervalReport failures = new IntervalReport(10_000);

  UpstreamHost(String url, Breaker config, MeterRegistry registry) {
    URI uri = URI.create(url);
    this.ssl = uri.getScheme().equals("https");
    // An IPv6 literal keeps its brackets in URLs and Host, and loses them for connecting.
    this.host = uri.getHost().replaceAll("^\\[(.*)]$", "$1");
    this.port = uri.getPort() > 0 ? uri.getPort() : ssl ? 443 : 80;
    this.authority = uri.getPort() > 0 ? uri.getHost() + ":" + port : uri.getHost();
    String path = uri.getRawPath() == null ? "" : uri.getRawPath();
    this.basePath = path.endsWith("/") ? path.substring(0, path.length() - 1) : path;
    this.name = uri.getScheme() + "://" + uri.getHost() + ":" + port + basePath;
    this.connectFailuresToEject = config.connectFailures();
    this.openNanos = TimeUnit.MILLISECONDS.toNanos(config.openMs());
    this.breaker = CircuitBreakers.of(name, config);
    breaker
        .getEventPublisher()
        .onStateTransition(event -> transitioned(event.getStateTransition()));
    for (Outcome outcome : Outcome.values()) {
      exchanges.put(
          outcome,
          Timer.builder("gateway_upstream_requests")
              .description("Exchanges with an upstream host, by how they ended")
              .tag("host", name)
              .tag("outcome", outcome.tag())
              .publishPercentileHistogram()
              .register(registry));
    }
    Gauge.builder("gateway_upstream_usable", this, usable -> usable.isUsable() ? 1 : 0)
        .description("1 while the host takes traffic, 0 while its breaker is open")
        .tag("host", name)
        .register(registry);
  }

  String name() {
    return name;
  }

  String host() {
    return host;
  }

  /** The {@code Host} field for requests to it (RFC 9110 §7.2). */
  String authority() {
    return authority;
  }

  int port() {
    return port;
  }

  boolean ssl() {
    return ssl;
  }

  /** The upstream URI for a request URI: the base path, then the request's path and query. */
  String uri(String requestUri) {
    return basePath.isEmpty() ? requestUri : basePath + requestUri;
  }

  /** Asks the breaker for one exchange; every granted one must end in {@link #record}. */
  boolean tryAcquire() {
    return breaker.tryAcquirePermission();
  }

  /** Whether a request would be let through now (without taking a trial slot). */
  boolean isUsable() {
    return breaker.getState() != CircuitBreaker.State.OPEN || System.nanoTime() >= openUntilNanos;
  }

  /** How long until the host is tried again, in milliseconds; 0 when it is usable. */
  long restingMillis() {
    return isUsable() ? 0 : TimeUnit.NANOSECONDS.toMillis(openUntilNanos - System.nanoTime());
  }

  /** Records how an exchange this host was granted ended. */
  void record(Outcome outcome, long startNanos, Throwable cause) {
    long nanos = System.nanoTime() - startNanos;
    exchanges.get(outcome).record(nanos, TimeUnit.NANOSECONDS);
    if (outcome.isNeutral()) {
      // Says nothing about the host's health: the permit goes back unrecorded.
      breaker.releasePermission();
      if (outcome == Outcome.GATEWAY_ERROR) {
        LOG.error("upstream {}: the gateway failed during an exchange", name, cause);
      }
      return;
    }
    boolean connectFailure = outcome.isFailure() && outcome.isUnsent();
    if (!connectFailure) {
      connectFailuresInRow.set(0);
    }
    if (!outcome.isFailure()) {
      breaker.onSuccess(nanos, TimeUnit.NANOSECONDS);
      return;
    }
    breaker.onError(nanos, TimeUnit.NANOSECONDS, cause == null ? outcome.failure() : cause);
    report(outcome, cause);
    if (connectFailure
        && connectFailuresInRow.incrementAndGet() >= connectFailuresToEject
        && breaker.getState() != CircuitBreaker.State.OPEN) {
      breaker.transitionToOpenState();
    }
  }

  private void transitioned(CircuitBreaker.StateTransition transition) {
    switch (transition.getToState()) {
      case OPEN -> {
        openUntilNanos = System.nanoTime() + openNanos;
        LOG.warn(
            "upstream {} taken out of rotation for {} ms after failures",
            name,
            TimeUnit.NANOSECONDS.toMillis(openNanos));
      }
      case CLOSED -> {
        connectFailuresInRow.set(0);
        LOG.info("upstream {} back in rotation", name);
      }
      default -> {}
    }
  }

  /** One line per interval at most: an outage must not turn into a log flood. */
  private void report(Outcome outcome, Throwable cause) {
    long count = failures.count();
    if (count > 0) {
      LOG.warn(
          "upstream {}: {} failed exchange(s) since the last report; the latest: {}{}",
          name,
          count,
          outcome.tag(),
          cause == null
              ? ""
              : " (" + cause.getClass().getSimpleName() + ": " + cause.getMessage() + ")");
    }
  }
}
