package dev.triggergate.http;

import dev.triggergate.config.GatewayConfig;
import dev.triggergate.engine.TriggerEngine;
import dev.triggergate.intake.Admission;
import dev.triggergate.intake.BatchDecoding;
import dev.triggergate.intake.BatchReader;
import dev.triggergate.intake.BodyReader;
import dev.triggergate.ops.Health;
import dev.triggergate.validation.BatchSchema;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.Router;

/**
 * The request pipeline, in order (DESIGN "The pipeline is the design"). Its handlers are built once
 * and shared by every event loop; they keep no per-request state.
 */
public final class Pipeline {
  /** The one API path; a trailing slash is accepted too. */
  public static final String START_BATCH = "/api/v1.1/campaigns/triggers/start_batch";

  private final RequestIds requestIds = new RequestIds();
  private final AccessLog accessLog;
  private final InFlightLimit inFlight;
  private final Admission admission = new Admission();
  private final BodyReader bodyReader;
  private final BatchDecoding decoding;
  private final Launch launch;
  private final Health health;
  private final FailureRenderer failures;

  public Pipeline(Vertx vertx, GatewayConfig config, BatchSchema schema, TriggerEngine engine) {
    GatewayConfig.Limits limits = config.limits();
    this.accessLog = config.accessLog().enabled() ? new AccessLog() : null;
    this.inFlight = new InFlightLimit(limits.maxInFlight());
    this.bodyReader = new BodyReader(limits.streamingCap());
    BatchReader reader = new BatchReader(schema, limits.bodyMaxBytes(), limits.maxItems());
    this.decoding = new BatchDecoding(vertx, reader, limits.offloadBytes());
    this.launch = new Launch(engine);
    this.health = new Health();
    this.failures = new FailureRenderer(config.errors().httpStatus());
  }

  /** A router for one event loop's server. */
  public Router router(Vertx vertx) {
    Router router = Router.router(vertx);
    router.route().handler(this::pauseUntilRead);
    router.route().handler(requestIds);
    if (accessLog != null) {
      router.route().handler(accessLog);
    }
    for (String path : new String[] {START_BATCH, START_BATCH + "/"}) {
      router
          .route(HttpMethod.POST, path)
          .handler(inFlight)
          .handler(admission)
          .handler(bodyReader)
          .handler(decoding)
          .handler(launch);
    }
    router.get(Health.PATH).handler(health);
    router.route().failureHandler(failures);
    router.errorHandler(404, failures::notFound);
    router.errorHandler(405, failures::methodNotAllowed);
    return router;
  }

  /** Body bytes wait in the socket until {@link BodyReader} asks, so none are lost or buffered. */
  private void pauseUntilRead(io.vertx.ext.web.RoutingContext ctx) {
    ctx.request().pause();
    ctx.next();
  }
}
