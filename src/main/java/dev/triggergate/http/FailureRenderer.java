package dev.triggergate.http;

import dev.triggergate.api.ApiError;
import dev.triggergate.api.Envelope;
import dev.triggergate.api.ErrorCode;
import dev.triggergate.api.RequestKeys;
import dev.triggergate.api.ResponseFormat;
import dev.triggergate.config.GatewayConfig.HttpStatusMode;
import io.vertx.core.Handler;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.HttpVersion;
import io.vertx.ext.web.RoutingContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one place every failure becomes Altcraft's envelope: refusals of the pipeline, routing's
 * 404/405, and unexpected faults (logged once, answered as a bare 500 without their text).
 */
public final class FailureRenderer implements Handler<RoutingContext> {
  private static final Logger LOG = LoggerFactory.getLogger(FailureRenderer.class);
  private static final String START_BATCH_ALLOW = "POST";

  private final HttpStatusMode statusMode;

  public FailureRenderer(HttpStatusMode statusMode) {
    this.statusMode = statusMode;
  }

  @Override
  public void handle(RoutingContext ctx) {
    render(ctx, toApiError(ctx));
  }

  /** For {@code router.errorHandler(404, …)}: paths that are not the gateway's. */
  public void notFound(RoutingContext ctx) {
    render(ctx, ApiError.of(ErrorCode.NOT_FOUND, "no such path: " + ctx.request().path()));
  }

  /** For {@code router.errorHandler(405, …)}: the path exists, the method does not. */
  public void methodNotAllowed(RoutingContext ctx) {
    String allow =
        ctx.request().path().startsWith(Pipeline.START_BATCH) ? START_BATCH_ALLOW : "GET";
    ctx.response().putHeader(HttpHeaders.ALLOW, allow);
    render(
        ctx,
        ApiError.of(
            ErrorCode.METHOD_NOT_ALLOWED,
            ctx.request().method().name() + " is not allowed here; use " + allow));
  }

  private ApiError toApiError(RoutingContext ctx) {
    Throwable failure = ctx.failure();
    if (failure instanceof ApiError error) {
      return error;
    }
    if (failure == null && ctx.statusCode() == 413) {
      return ApiError.tooLarge();
    }
    if (failure == null && ctx.statusCode() >= 400 && ctx.statusCode() < 500) {
      return ApiError.invalid("request refused with HTTP " + ctx.statusCode());
    }
    LOG.error("request {} failed unexpectedly", (Object) ctx.get(RequestKeys.REQUEST_ID), failure);
    return ApiError.of(ErrorCode.INTERNAL_ERROR, "internal error; see the gateway log");
  }

  private void render(RoutingContext ctx, ApiError error) {
    HttpServerResponse response = ctx.response();
    if (response.headWritten()) {
      // The answer already started: nothing can be said in the envelope any more.
      ctx.request().connection().close();
      return;
    }
    ResponseFormat format = formatOf(ctx, error);
    ctx.put(RequestKeys.ERROR, error.code().code());
    int status = statusMode == HttpStatusMode.ALWAYS_200 ? 200 : error.code().code();
    response.setStatusCode(status).putHeader(HttpHeaders.CONTENT_TYPE, format.contentType());
    error.headers().forEach(response::putHeader);
    // A body left unread (refused early, or over the cap) makes the connection unusable for the
    // next request: answer, then close it. HTTP/2 streams need no such care.
    boolean close =
        (error.closeConnection() || bodyUnread(ctx.request()))
            && ctx.request().version() != HttpVersion.HTTP_2;
    if (close) {
      response.putHeader(HttpHeaders.CONNECTION, HttpHeaders.CLOSE);
    }
    response
        .end(Envelope.error(error, format))
        .onComplete(
            done -> {
              if (close) {
                ctx.request().connection().close();
              }
            });
  }

  private static boolean bodyUnread(HttpServerRequest request) {
    if (request.isEnded()) {
      return false;
    }
    String length = request.getHeader(HttpHeaders.CONTENT_LENGTH);
    return (length != null && !length.equals("0"))
        || request.headers().contains(HttpHeaders.TRANSFER_ENCODING, "chunked", true);
  }

  private static ResponseFormat formatOf(RoutingContext ctx, ApiError error) {
    if (error.format() != null) {
      return error.format();
    }
    ResponseFormat known = ctx.get(RequestKeys.FORMAT);
    if (known != null) {
      return known;
    }
    return ResponseFormat.named(ctx.request().getParam("format")) == ResponseFormat.XML
        ? ResponseFormat.XML
        : ResponseFormat.JSON;
  }
}
