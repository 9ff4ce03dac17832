package dev.triggergate.http;

import dev.triggergate.api.RequestKeys;
import dev.triggergate.engine.StartBatch;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.vertx.core.Handler;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.RoutingContext;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Counts every request when its response ends (SPEC §8): latency by route, status and envelope
 * error code, and for start_batch the body bytes and the items per validated batch.
 *
 * <p>Routes are named, never taken from the path, so requests for made-up paths cannot grow the
 * number of series.
 */
public final class RequestMetrics implements Handler<RoutingContext> {
  private static final String[] ROUTES = {"start_batch", "health", "ready", "metrics", "other"};

  private final MeterRegistry registry;
  private final Map<Integer, Timer> timers = new ConcurrentHashMap<>();
  private final DistributionSummary bodyBytes;
  private final DistributionSummary items;

  public RequestMetrics(MeterRegistry registry) {
    this.registry = registry;
    this.bodyBytes =
        DistributionSummary.builder("gateway_request_body_bytes")
            .description("Bytes of start_batch request bodies")
            .baseUnit("bytes")
            .register(registry);
    this.items =
        DistributionSummary.builder("gateway_batch_items")
            .description("Items per validated batch")
            .register(registry);
  }

  @Override
  public void handle(RoutingContext ctx) {
    begin(ctx);
    ctx.next();
  }

  /** What {@link #handle} does, for a request no route will see (Pipeline's unrouted 400). */
  void begin(RoutingContext ctx) {
    long start = System.nanoTime();
    ctx.addEndHandler(done -> record(ctx, System.nanoTime() - start));
  }

  private void record(RoutingContext ctx, long nanos) {
    int route = route(ctx.request().path());
    int status = ClientOutcome.status(ctx);
    int error = ctx.get(RequestKeys.ERROR, 0);
    timer(route, status, error).record(nanos, TimeUnit.NANOSECONDS);
    if (route == 0 && ctx.request().method() == HttpMethod.POST) {
      bodyBytes.record(ctx.request().bytesRead());
      StartBatch batch = ctx.get(RequestKeys.BATCH);
      if (batch != null) {
        items.record(batch.itemCount());
      }
    }
  }

  private static int route(String path) {
    if (path == null) {
      return 4;
    }
    // The router serves the path with and without a trailing slash; anything longer is another.
    if (path.startsWith(Pipeline.START_BATCH)
        && (path.length() == Pipeline.START_BATCH.length()
            || path.length() == Pipeline.START_BATCH.length() + 1 && path.endsWith("/"))) {
      return 0;
    }
    return switch (path) {
      case "/health" -> 1;
      case "/ready" -> 2;
      case "/metrics" -> 3;
      default -> 4;
    };
  }

  /** One timer per route, status and error code, looked up without building a meter id. */
  private Timer timer(int route, int status, int error) {
    int key = (route << 20) | ((status & 0x3ff) << 10) | (error & 0x3ff);
    return timers.computeIfAbsent(
        key,
        k ->
            Timer.builder("gateway_requests")
                .description("Requests by route, HTTP status and envelope error code")
                .tag("route", ROUTES[route])
                .tag("status", Integer.toString(status))
                .tag("error", Integer.toString(error))
                .publishPercentileHistogram()
                .minimumExpectedValue(Duration.ofMillis(1))
                .maximumExpectedValue(Duration.ofSeconds(60))
                .register(registry));
  }
}
