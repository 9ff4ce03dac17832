package dev.triggergate.http;

import dev.triggergate.admin.AdminApi;
import dev.triggergate.api.ApiError;
import dev.triggergate.api.RequestKeys;
import dev.triggergate.auth.TokenGate;
import dev.triggergate.config.GatewayConfig;
import dev.triggergate.engine.TriggerEngine;
import dev.triggergate.intake.Admission;
import dev.triggergate.intake.BatchDecoding;
import dev.triggergate.intake.BatchReader;
import dev.triggergate.intake.BodyReader;
import dev.triggergate.ops.Health;
import dev.triggergate.ops.MetricsEndpoint;
import dev.triggergate.ops.Readiness;
import dev.triggergate.ratelimit.RateLimiting;
import dev.triggergate.validation.BatchSchema;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.handler.codec.http.HttpHeaderValidationUtil;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpVersion;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.Map;

/**
 * The request pipeline, in order (DESIGN "The pipeline is the design"). Its handlers are built once
 * and shared by every event loop; they keep no per-request state.
 */
public final class Pipeline {
  /** The one API path. */
  public static final String START_BATCH = "/api/v1.1/campaigns/triggers/start_batch";

  private final RequestIds requestIds = new RequestIds();
  private final AccessLog accessLog;
  private final RequestMetrics requestMetrics;
  private final InFlightLimit inFlight;
  private final Admission admission = new Admission();
  private final TokenGate tokenGate;
  private final BodyReader bodyReader;
  private final BatchDecoding decoding;
  private final Launch launch;
  private final Health health;
  private final Readiness ready;
  private final MetricsEndpoint metrics;
  private final Handler<RoutingContext> rateBeforeBody;
  private final Handler<RoutingContext> rateAfterBody;
  private final FailureRenderer failures;
  private final AdminApi admin;
  private final boolean adminApart;

  public Pipeline(
      Vertx vertx,
      GatewayConfig config,
      BatchSchema schema,
      TriggerEngine engine,
      RateLimiting rateLimiting,
      PrometheusMeterRegistry registry,
      AdminApi admin,
      AccessLogOutput accessLogOutput) {
    this.admin = admin;
    this.adminApart = config.admin().apart();
    GatewayConfig.Limits limits = config.limits();
    this.accessLog = accessLogOutput == null ? null : new AccessLog(accessLogOutput);
    this.requestMetrics = new RequestMetrics(registry);
    this.inFlight = new InFlightLimit(limits.maxInFlight());
    this.tokenGate = TokenGate.of(config.auth(), registry);
    GatewayConfig.Server server = config.server();
    this.bodyReader =
        new BodyReader(
            limits.streamingCap(),
            limits.maxInFlightBytes(),
            server.bodyTimeoutMs(),
            server.bodyMinBytesPerSecond());
    BatchReader reader =
        new BatchReader(
            schema, limits.bodyMaxBytes(), limits.bodyWithFilesMaxBytes(), limits.maxItems());
    this.decoding =
        new BatchDecoding(
            vertx,
            reader,
            limits.offloadBytes(),
            limits.maxDecodingBytes(),
            limits.decodeWaitMs(),
            registry);
    this.launch = new Launch(engine);
    this.health = new Health();
    this.ready = new Readiness(() -> engine.isReady() && rateLimiting.isReady());
    this.metrics = new MetricsEndpoint(registry);
    this.rateBeforeBody = rateLimiting.beforeBody();
    this.rateAfterBody = rateLimiting.afterBody();
    this.failures = new FailureRenderer(config.errors().httpStatus());
  }

  /** A router for one event loop's server. */
  public Router router(Vertx vertx) {
    Router router = edge(vertx);
    // An exact route path matches with and without a trailing slash.
    router
        .route(HttpMethod.POST, START_BATCH)
        .handler(inFlight)
        .handler(admission)
        .handler(tokenGate.beforeBody())
        .handler(rateBeforeBody)
        .handler(bodyReader)
        .handler(decoding)
        .handler(tokenGate.afterBody())
        .handler(rateAfterBody)
        .handler(launch);
    router.get(Health.PATH).handler(health);
    router.get(Readiness.PATH).handler(ready);
    router.get(MetricsEndpoint.PATH).handler(metrics);
    if (admin != null && !adminApart) {
      admin.mount(router);
    }
    return answeringFailures(router);
  }

  /**
   * A router for one event loop's admin listener ({@code admin.port}): the same steps at the edge
   * and the same failure answers as {@link #router}, and {@code /admin} alone behind them.
   */
  public Router adminRouter(Vertx vertx) {
    Router router = edge(vertx);
    admin.mount(router);
    return answeringFailures(router);
  }

  /** The steps every request takes first, whichever listener it came to. */
  private Router edge(Vertx vertx) {
    Router router = Router.router(vertx);
    router.route().handler(this::pauseUntilRead);
    router.route().handler(requestIds);
    router.route().handler(requestMetrics);
    if (accessLog != null) {
      router.route().handler(accessLog);
    }
    router.route().handler(this::refuseMalformedHead);
    return router;
  }

  /** Every failure, and every path or method no route took, answered by the one renderer. */
  private Router answeringFailures(Router router) {
    router.route().failureHandler(ctx -> unrouted(ctx, failures));
    router.errorHandler(404, ctx -> unrouted(ctx, failures::notFound));
    router.errorHandler(405, failures::methodNotAllowed);
    // Failures vertx-web meets before or outside any route (a path that does not decode, an
    // exception inside a failure handler) still get the envelope.
    router.errorHandler(400, ctx -> unrouted(ctx, failures::undecodablePath));
    router.errorHandler(500, failures);
    return router;
  }

  /**
   * A target vertx-web will not route (empty, or not starting with {@code /}) is failed before any
   * route runs: the request still gets its id, its metrics and its access line, then the envelope.
   */
  private void unrouted(RoutingContext ctx, Handler<RoutingContext> render) {
    if (ctx.get(RequestKeys.REQUEST_ID) == null) {
      requestIds.begin(ctx);
      requestMetrics.begin(ctx);
      if (accessLog != null) {
        accessLog.begin(ctx);
      }
    }
    render.handle(ctx);
  }

  /**
   * A head the decoder refused reaches the router only to be answered (see FailureRenderer); a
   * query that does not decode is refused here once, so no later step meets it as an exception.
   */
  private void refuseMalformedHead(RoutingContext ctx) {
    if (ctx.request().version() != HttpVersion.HTTP_2
        && ClientConnections.isClosing(ctx.request().connection())) {
      // Pipelined behind an answer that closes the connection: never processed (RFC 9112 §9.6).
      ClientConnections.cut(ctx.request().connection());
      return;
    }
    if (ctx.request().decoderResult().isFailure()) {
      ctx.fail(ctx.request().decoderResult().cause());
      return;
    }
    if (ctx.request().version() == HttpVersion.HTTP_2 && holdsControlCharacter(ctx)) {
      // HTTP/2 carries values as bytes, not lines, and Vert.x does not check them: forwarded over
      // HTTP/1.1, a CR or LF would start a header line of the client's making (RFC 9113 §8.2.1).
      ctx.fail(ApiError.invalid("malformed request: a header value holds a control character"));
      return;
    }
    try {
      ctx.request().params();
    } catch (IllegalArgumentException undecodable) {
      ctx.fail(ApiError.invalid("malformed request: the query does not decode"));
      return;
    }
    HttpMethod method = ctx.request().method();
    if ((method == HttpMethod.GET || method == HttpMethod.HEAD)
        && FailureRenderer.declaresBody(ctx.request())) {
      // Only start_batch reads a body, under its deadline and rate: any other would be unbounded.
      ctx.fail(ApiError.invalid("malformed request: a body on " + method.name()).closing());
      return;
    }
    ctx.next();
  }

  private static boolean holdsControlCharacter(RoutingContext ctx) {
    for (Map.Entry<String, String> header : ctx.request().headers()) {
      if (HttpHeaderValidationUtil.validateValidHeaderValue(header.getValue()) != -1) {
        return true;
      }
    }
    return false;
  }

  /** Body bytes wait in the socket until {@link BodyReader} asks, so none are lost or buffered. */
  private void pauseUntilRead(RoutingContext ctx) {
    ctx.request().pause();
    ctx.next();
  }
}
