package dev.triggergate.http;

import dev.triggergate.api.ApiError;
import dev.triggergate.api.Envelope;
import dev.triggergate.api.ErrorCode;
import dev.triggergate.api.RequestKeys;
import dev.triggergate.api.ResponseFormat;
import dev.triggergate.config.GatewayConfig.HttpStatusMode;
import dev.triggergate.intake.BodyReader;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.vertx.core.Handler;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.HttpVersion;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.HttpException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one place every failure becomes Altcraft's envelope: refusals of the pipeline, routing's
 * 404/405, and unexpected faults (logged once, answered as a bare 500 without their text).
 */
public final class FailureRenderer implements Handler<RoutingContext> {
  private static final Logger LOG = LoggerFactory.getLogger(FailureRenderer.class);
  private static final String START_BATCH_ALLOW = "POST";

  /** How long a refused body may keep arriving before the connection is closed on it. */
  private static final long LINGER_MS = 5_000;

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

  /** For {@code router.errorHandler(400, …)}: vertx-web could not decode the path to route it. */
  public void undecodablePath(RoutingContext ctx) {
    render(ctx, ApiError.invalid("malformed request: the path does not decode"));
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
    DecoderResult decoded = ctx.request().decoderResult();
    if (decoded != null && decoded.isFailure()) {
      return headRefusal(decoded.cause());
    }
    Throwable failure = ctx.failure();
    if (failure instanceof ApiError error) {
      return error;
    }
    if (ctx.statusCode() == 413) {
      return ApiError.tooLarge();
    }
    int status = failure instanceof HttpException http ? http.getStatusCode() : ctx.statusCode();
    if (status >= 400 && status < 500) {
      // vertx-web's own refusals (a path or query that does not decode, no authority): their text
      // may quote the URI, so it is not passed on.
      return ApiError.invalid("malformed request (HTTP " + status + ")");
    }
    String id = ctx.get(RequestKeys.REQUEST_ID);
    // The path without its query: a token may travel in the query, and a log never holds one.
    LOG.error("request {} to {} failed unexpectedly", id, ctx.request().path(), failure);
    return ApiError.of(
        ErrorCode.INTERNAL_ERROR, "internal error, request id " + id + "; see the gateway log");
  }

  /** What a head the decoder refused gets; the connection closes after it. */
  private static ApiError headRefusal(Throwable cause) {
    if (cause instanceof ApiError error) {
      return error;
    }
    if (cause instanceof TooLongHttpLineException) {
      return ApiError.of(ErrorCode.URI_TOO_LONG, "the request line is too long").closing();
    }
    if (cause instanceof TooLongHttpHeaderException) {
      return ApiError.of(ErrorCode.HEADERS_TOO_LARGE, "the request headers are too large")
          .closing();
    }
    return ApiError.invalid("malformed request head").closing();
  }

  private void render(RoutingContext ctx, ApiError error) {
    HttpServerResponse response = ctx.response();
    if (response.headWritten()) {
      // The answer already started: nothing can be said in the envelope any more.
      ctx.request().connection().close();
      return;
    }
    if (ctx.get(RequestKeys.REQUEST_ID) == null) {
      // Refused before the request-id step ran (vertx-web's own checks come first).
      String id = RequestIds.generate();
      ctx.put(RequestKeys.REQUEST_ID, id);
      response.putHeader(RequestIds.X_REQUEST_ID, id);
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
      ClientConnections.markClosing(ctx.request().connection());
    }
    response
        .end(Envelope.error(error, format))
        .onComplete(
            done -> {
              if (close) {
                closeAfterAnswer(ctx);
              }
            });
  }

  /**
   * Closes the connection after its answer. A client still sending the body it was refused for has
   * it read and dropped first, for at most {@link #LINGER_MS}: closing on unread bytes makes the
   * kernel reset the connection, and a reset destroys the answer the client has not read yet
   * (nginx's "lingering close"). A client still waiting for {@code 100 Continue} sends nothing.
   */
  private static void closeAfterAnswer(RoutingContext ctx) {
    HttpServerRequest request = ctx.request();
    boolean stillSending =
        !request.isEnded()
            && request.decoderResult().isSuccess()
            && (ctx.get(BodyReader.CONTINUED) != null
                || !request.headers().contains(HttpHeaders.EXPECT, HttpHeaders.CONTINUE, true));
    if (!stillSending) {
      request.connection().close();
      return;
    }
    long linger = ctx.vertx().setTimer(LINGER_MS, id -> request.connection().close());
    request
        .handler(dropped -> {})
        .exceptionHandler(broken -> {})
        .endHandler(
            ended -> {
              ctx.vertx().cancelTimer(linger);
              request.connection().close();
            })
        .resume();
  }

  private static boolean bodyUnread(HttpServerRequest request) {
    return !request.isEnded() && declaresBody(request);
  }

  /** Whether the head announces a body, by length or chunked. */
  static boolean declaresBody(HttpServerRequest request) {
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
    return queryAsksForXml(ctx.request()) ? ResponseFormat.XML : ResponseFormat.JSON;
  }

  /** A query that does not decode is one of the failures rendered here: it asks for nothing. */
  private static boolean queryAsksForXml(HttpServerRequest request) {
    try {
      return ResponseFormat.named(request.getParam("format")) == ResponseFormat.XML;
    } catch (RuntimeException undecodable) {
      return false;
    }
  }
}
